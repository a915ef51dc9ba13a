//! `format` / `sprintf` / `printf` / `String#%`: CRuby's directives
//! `%d %i %u %f %e %E %g %G %s %p %x %X %o %b %B %c %%`, with flags,
//! width and precision (`*` taking an argument), and the padding
//! helpers.
//!
//! May touch: nothing but its arguments (read) and `to_s`/`inspect` of
//! them (which may run a user `to_s`), `Kernel#Integer`/`Float` for
//! conversions.

use super::*;

/// `format` / `String#%`.
pub fn format(fmt: &str, args: &[GcRef]) -> Result<String, GcRef> {
    let mut out = String::new();
    let cs: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut ai = 0;
    let next = |ai: &mut usize| -> Result<GcRef, GcRef> {
        let v = args.get(*ai).copied();
        *ai += 1;
        v.ok_or_else(|| new_exc_named("ArgumentError", "too few arguments"))
    };
    while i < cs.len() {
        let c = cs[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if i >= cs.len() {
            out.push('%');
            break;
        }
        let mut flags = String::new();
        while i < cs.len() && "-+ 0#".contains(cs[i]) {
            flags.push(cs[i]);
            i += 1;
        }
        let mut width = String::new();
        while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '*') {
            if cs[i] == '*' {
                width = to_s(next(&mut ai)?);
            } else {
                width.push(cs[i]);
            }
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < cs.len() && cs[i] == '.' {
            i += 1;
            let mut p = String::new();
            while i < cs.len() && cs[i].is_ascii_digit() {
                p.push(cs[i]);
                i += 1;
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        if i >= cs.len() {
            break;
        }
        let conv = cs[i];
        i += 1;
        let left = flags.contains('-');
        let zero = flags.contains('0') && !left;
        let plus = flags.contains('+');
        let space = flags.contains(' ');
        let w: usize = width.parse().unwrap_or(0);
        let body = match conv {
            '%' => {
                out.push('%');
                continue;
            }
            'd' | 'i' | 'u' => {
                let v = next(&mut ai)?;
                let n = match v.tid() {
                    tid::FLOAT => BigInt::from(float_of(v).floor() as i128),
                    tid::INT | tid::BIG => big_of(v),
                    _ => big_of(kernel("Integer", nil(), &[v], nil(), true)?),
                };
                let s = n.abs().to_string();
                let sign = if n.is_negative() {
                    "-"
                } else if plus {
                    "+"
                } else if space {
                    " "
                } else {
                    ""
                };
                pad_num(sign, &s, w, zero, left)
            }
            'f' | 'e' | 'E' | 'g' | 'G' => {
                let v = next(&mut ai)?;
                let f = if prim::is_num(v) {
                    prim::to_f(v)
                } else {
                    prim::to_f(kernel("Float", nil(), &[v], nil(), true)?)
                };
                let p = prec.unwrap_or(6);
                let s = match conv {
                    'f' => format!("{:.*}", p, f.abs()),
                    'e' | 'E' => {
                        let s = fmt_exp(f.abs(), p);
                        if conv == 'E' {
                            s.to_uppercase()
                        } else {
                            s
                        }
                    }
                    _ => {
                        let p = if p == 0 { 1 } else { p };
                        let exp = if f == 0.0 {
                            0
                        } else {
                            f.abs().log10().floor() as i32
                        };
                        if exp < -4 || exp >= p as i32 {
                            let s = fmt_exp(f.abs(), p - 1);
                            let (m, e) = s.split_once('e').unwrap_or((&s, "+00"));
                            let m = if m.contains('.') {
                                m.trim_end_matches('0').trim_end_matches('.')
                            } else {
                                m
                            };
                            format!("{m}e{e}")
                        } else {
                            let s = format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, f.abs());
                            if s.contains('.') && !flags.contains('#') {
                                s.trim_end_matches('0').trim_end_matches('.').to_string()
                            } else {
                                s
                            }
                        }
                    }
                };
                let s = if f.is_nan() {
                    "NaN".into()
                } else if f.is_infinite() {
                    "Inf".into()
                } else {
                    s
                };
                let sign = if f.is_sign_negative() && !f.is_nan() {
                    "-"
                } else if plus {
                    "+"
                } else if space {
                    " "
                } else {
                    ""
                };
                pad_num(sign, &s, w, zero, left)
            }
            's' | 'p' => {
                let v = next(&mut ai)?;
                let mut s = if conv == 's' { to_s(v) } else { inspect(v) };
                if let Some(p) = prec {
                    s = s.chars().take(p).collect();
                }
                pad_str(&s, w, left)
            }
            'x' | 'X' | 'o' | 'b' | 'B' => {
                let v = next(&mut ai)?;
                let n = big_of(v);
                let radix = match conv {
                    'x' | 'X' => 16,
                    'o' => 8,
                    _ => 2,
                };
                let mut s = n.abs().to_str_radix(radix);
                if conv == 'X' {
                    s = s.to_uppercase();
                }
                if let Some(p) = prec {
                    while s.len() < p {
                        s.insert(0, '0');
                    }
                }
                if flags.contains('#') {
                    s = format!(
                        "{}{s}",
                        match conv {
                            'x' => "0x",
                            'X' => "0X",
                            'o' => "0",
                            'b' => "0b",
                            _ => "0B",
                        }
                    );
                }
                let sign = if n.is_negative() {
                    "-"
                } else if plus {
                    "+"
                } else {
                    ""
                };
                pad_num(sign, &s, w, zero, left)
            }
            'c' => {
                let v = next(&mut ai)?;
                let s = if v.tid() == tid::STR {
                    str_of(v).chars().take(1).collect()
                } else {
                    char::from_u32(prim::int_arg(v)? as u32)
                        .unwrap_or('?')
                        .to_string()
                };
                pad_str(&s, w, left)
            }
            other => {
                return err(
                    "ArgumentError",
                    format!("malformed format string - %{other}"),
                )
            }
        };
        out.push_str(&body);
    }
    Ok(out)
}

fn fmt_exp(f: f64, p: usize) -> String {
    let s = format!("{:.*e}", p, f);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

fn pad_num(sign: &str, digits: &str, w: usize, zero: bool, left: bool) -> String {
    let len = sign.len() + digits.chars().count();
    if len >= w {
        return format!("{sign}{digits}");
    }
    if left {
        format!("{sign}{digits}{}", " ".repeat(w - len))
    } else if zero {
        format!("{sign}{}{digits}", "0".repeat(w - len))
    } else {
        format!("{}{sign}{digits}", " ".repeat(w - len))
    }
}
fn pad_str(s: &str, w: usize, left: bool) -> String {
    let n = s.chars().count();
    if n >= w {
        return s.to_string();
    }
    if left {
        format!("{s}{}", " ".repeat(w - n))
    } else {
        format!("{}{s}", " ".repeat(w - n))
    }
}
