//! Guest-free `String` methods (`str_method`): `+`, `<<`/`concat`, `*`,
//! sizes, case and whitespace conversions, `reverse`, conversions
//! (`to_sym`, `to_i`, `to_f`), predicates (`empty?`, `include?`,
//! `start_with?`, `end_with?`), `chars`/`bytes`/`ord`, `split`,
//! `ljust`/`rjust`/`center`, `[]`, `hash`, `freeze`.
//! `builtins::stringobject` tries its own names (mutation, blocks,
//! character sets) first and falls through to `str_method`.
//!
//! May touch: the receiver's bytes (`<<`/`concat` replace them with the
//! longer string), and allocates results.

use super::*;

pub fn str_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let s = str_of(recv);
    let a1 = args.first().copied();
    match (name, a1) {
        ("+", Some(a)) => Ok(new_str(&(s + &str_arg(a)?))),
        ("<<" | "concat", Some(a)) => {
            let t = if is_int(a) {
                char::from_u32(int_arg(a)? as u32)
                    .unwrap_or('?')
                    .to_string()
            } else {
                str_arg(a)?
            };
            set_str(recv, &(s + &t));
            Ok(recv)
        }
        ("*", Some(a)) => {
            let n = int_arg(a)?;
            if n < 0 {
                return err("ArgumentError", "negative argument");
            }
            Ok(new_str(&s.repeat(n as usize)))
        }
        ("<" | "<=" | ">" | ">=" | "<=>", Some(a)) => {
            if a.tid() != tid::STR {
                if name == "<=>" {
                    return Ok(nil());
                }
                return err(
                    "ArgumentError",
                    format!("comparison of String with {} failed", inspect_or_class(a)),
                );
            }
            Ok(cmp_result(name, s.as_bytes().cmp(str_of(a).as_bytes())))
        }
        ("length" | "size", None) => Ok(new_int(s.chars().count() as i64)),
        ("bytesize", None) => Ok(new_int(s.len() as i64)),
        ("upcase", None) => Ok(new_str(&s.to_uppercase())),
        ("downcase", None) => Ok(new_str(&s.to_lowercase())),
        ("capitalize", None) => {
            let mut c = s.chars();
            let r = match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
                None => String::new(),
            };
            Ok(new_str(&r))
        }
        ("reverse", None) => Ok(new_str(&s.chars().rev().collect::<String>())),
        ("strip", None) => Ok(new_str(s.trim())),
        ("chomp", None) => Ok(new_str(s.strip_suffix('\n').unwrap_or(&s))),
        ("to_sym" | "intern", None) => Ok(sym_obj(sym_id(&s))),
        ("to_str", None) => Ok(recv),
        ("to_i", None) => {
            let t: String = s
                .trim_start()
                .chars()
                .enumerate()
                .take_while(|(i, c)| {
                    c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')) || *c == '_'
                })
                .map(|(_, c)| c)
                .filter(|c| *c != '_')
                .collect();
            Ok(new_bigint(&t.parse::<BigInt>().unwrap_or_default()))
        }
        ("to_f", None) => {
            let t: String = s
                .trim_start()
                .chars()
                .enumerate()
                .take_while(|(i, c)| {
                    c.is_ascii_digit() || *c == '.' || *c == 'e' || (*i == 0 && *c == '-')
                })
                .map(|(_, c)| c)
                .collect();
            Ok(new_float(t.parse::<f64>().unwrap_or(0.0)))
        }
        ("empty?", None) => Ok(boolean(s.is_empty())),
        ("include?", Some(a)) => Ok(boolean(s.contains(&str_arg(a)?))),
        ("start_with?", Some(a)) => Ok(boolean(s.starts_with(&str_arg(a)?))),
        ("end_with?", Some(a)) => Ok(boolean(s.ends_with(&str_arg(a)?))),
        ("chars", None) => {
            let v: Vec<GcRef> = s.chars().map(|c| new_str(&c.to_string())).collect();
            Ok(new_array(&v))
        }
        ("bytes", None) => {
            let v: Vec<GcRef> = s.bytes().map(|c| new_int(c as i64)).collect();
            Ok(new_array(&v))
        }
        ("ord", None) => match s.chars().next() {
            Some(c) => Ok(new_int(c as i64)),
            None => err("ArgumentError", "empty string"),
        },
        ("split", _) => {
            let parts: Vec<String> = match a1 {
                None => s.split_whitespace().map(String::from).collect(),
                Some(a) => {
                    let sep = str_arg(a)?;
                    if sep == " " {
                        s.split_whitespace().map(String::from).collect()
                    } else if sep.is_empty() {
                        s.chars().map(|c| c.to_string()).collect()
                    } else {
                        let mut v: Vec<String> = s.split(sep.as_str()).map(String::from).collect();
                        while v.last().is_some_and(|x| x.is_empty()) {
                            v.pop();
                        }
                        v
                    }
                }
            };
            let v: Vec<GcRef> = parts.iter().map(|p| new_str(p)).collect();
            Ok(new_array(&v))
        }
        ("sub" | "gsub", Some(a)) if args.len() == 2 => {
            let (pat, rep) = (str_arg(a)?, str_arg(args[1])?);
            Ok(new_str(&if name == "sub" {
                s.replacen(&pat, &rep, 1)
            } else {
                s.replace(&pat, &rep)
            }))
        }
        ("ljust" | "rjust" | "center", Some(a)) => {
            let w = int_arg(a)? as usize;
            let pad = match args.get(1) {
                Some(p) => str_arg(*p)?,
                None => " ".into(),
            };
            let n = s.chars().count();
            if w <= n || pad.is_empty() {
                return Ok(new_str(&s));
            }
            let fill = |k: usize| pad.chars().cycle().take(k).collect::<String>();
            let total = w - n;
            Ok(new_str(&match name {
                "ljust" => s + &fill(total),
                "rjust" => fill(total) + &s,
                _ => {
                    let l = total / 2;
                    fill(l) + &s + &fill(total - l)
                }
            }))
        }
        ("[]", Some(a)) => {
            let chars: Vec<char> = s.chars().collect();
            if a.tid() == tid::RANGE {
                return Ok(match range_span(a, chars.len())? {
                    Some((st, n)) => new_str(&chars[st..st + n].iter().collect::<String>()),
                    None => nil(),
                });
            }
            let i = int_arg(a)?;
            if let Some(l) = args.get(1) {
                let l = int_arg(*l)?;
                let st = if i < 0 { i + chars.len() as i64 } else { i };
                if st < 0 || st > chars.len() as i64 || l < 0 {
                    return Ok(nil());
                }
                let e = (st + l).min(chars.len() as i64);
                return Ok(new_str(
                    &chars[st as usize..e as usize].iter().collect::<String>(),
                ));
            }
            Ok(match norm_index(i, chars.len()) {
                Some(i) => new_str(&chars[i].to_string()),
                None => nil(),
            })
        }
        ("hash", None) => {
            let mut h: i64 = 1469598103934665603;
            for b in s.bytes() {
                h = (h ^ b as i64).wrapping_mul(1099511628211);
            }
            Ok(new_int(h))
        }
        ("freeze", None) => Ok(recv),
        _ => no_method(name, recv),
    }
}
