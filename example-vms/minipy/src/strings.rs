//! Text: `repr`/`str` of values that need no guest code, format specs
//! (f-strings, `format`), `%`-formatting, and the str methods.
//!
//! Owns: everything that turns values into text and every `str.method`.

use crate::dict;
use crate::numbers::{self, float_repr};
use crate::objects::*;
use crate::types::{self, err, PyResult};
use metatrace::heap::GcRef;

pub fn str_repr(s: &str) -> String {
    let q = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == q => {
                out.push('\\');
                out.push(c)
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

fn has_dunder(o: GcRef, name: &str) -> bool {
    o.tid() == tid::INST && {
        let f = types::class_lookup(getr(o, &inst_obj::cls), name);
        !f.is_null() && f.tid() != tid::BUILTIN
    }
}

thread_local! {
    /// Containers whose repr is being built (self-references print `[...]`).
    static IN_REPR: std::cell::RefCell<Vec<GcRef>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `repr(o)`; a user `__repr__` runs as guest code (`Err(NEED_GUEST)` when
/// the helper asking cannot re-enter).
pub fn repr(o: GcRef) -> PyResult<String> {
    if matches!(o.tid(), tid::LIST | tid::DICT | tid::SET) {
        if IN_REPR.with(|r| r.borrow().contains(&o)) {
            return Ok(if o.tid() == tid::LIST {
                "[...]"
            } else {
                "{...}"
            }
            .into());
        }
        IN_REPR.with(|r| r.borrow_mut().push(o));
        let r = repr_inner(o);
        IN_REPR.with(|r| r.borrow_mut().pop());
        return r;
    }
    repr_inner(o)
}

fn repr_inner(o: GcRef) -> PyResult<String> {
    Ok(match o.tid() {
        tid::INT => geti(o, &int_obj::v).to_string(),
        tid::BIG => {
            let b = numbers::to_big(o).expect("big");
            let s = if b.bits() > 14300 {
                String::new()
            } else {
                b.to_string()
            };
            if s.is_empty() || s.trim_start_matches('-').len() > 4300 {
                return err(
                    ExcKind::ValueError,
                    "Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit",
                );
            }
            s
        }
        tid::BOOL => if geti(o, &bool_obj::v) != 0 {
            "True"
        } else {
            "False"
        }
        .into(),
        tid::NONE => "None".into(),
        tid::FLOAT => float_repr(getf(o, &float_obj::v)),
        tid::STR => str_repr(&str_of(o)),
        tid::LIST => {
            let parts: PyResult<Vec<String>> = list_items(o).into_iter().map(repr).collect();
            format!("[{}]", parts?.join(", "))
        }
        tid::TUPLE => {
            let items = tuple_items(o);
            let parts: PyResult<Vec<String>> = items.iter().map(|x| repr(*x)).collect();
            if items.len() == 1 {
                format!("({},)", parts?[0])
            } else {
                format!("({})", parts?.join(", "))
            }
        }
        tid::DICT => {
            let mut parts = vec![];
            for (k, v) in dict::items(o) {
                parts.push(format!("{}: {}", repr(k)?, repr(v)?));
            }
            format!("{{{}}}", parts.join(", "))
        }
        tid::SET => {
            let ks = crate::sets::keys(o);
            let frozen = crate::sets::is_frozen(o);
            if ks.is_empty() {
                if frozen { "frozenset()" } else { "set()" }.into()
            } else {
                let parts: PyResult<Vec<String>> = ks.into_iter().map(repr).collect();
                let body = format!("{{{}}}", parts?.join(", "));
                if frozen {
                    format!("frozenset({body})")
                } else {
                    body
                }
            }
        }
        tid::DICT_VIEW => crate::views::repr(o)?,
        tid::RANGE => {
            let (a, b, s) = (
                geti(o, &range_obj::start),
                geti(o, &range_obj::stop),
                geti(o, &range_obj::step),
            );
            if s == 1 {
                format!("range({a}, {b})")
            } else {
                format!("range({a}, {b}, {s})")
            }
        }
        tid::FUNC => format!(
            "<function {} at 0x{:x}>",
            str_of(getr(o, &func_obj::name)),
            o.addr()
        ),
        tid::TYPE => {
            let t = geti(o, &type_obj::tag);
            let n = types::type_name(o);
            if t == tag::USER {
                // `abc.ABC` and `abc.ABCMeta` name their module; guest
                // classes print as `__main__`'s.
                let m = crate::dict::get_str(getr(o, &type_obj::dict), "__module__")
                    .filter(|m| m.tid() == tid::STR && str_of(*m) == "abc")
                    .map_or("__main__".to_string(), str_of);
                format!("<class '{m}.{n}'>")
            } else {
                format!("<class '{n}'>")
            }
        }
        tid::BUILTIN => format!(
            "<built-in function {}>",
            crate::builtin_table::name_of(geti(o, &builtin_obj::id))
        ),
        tid::METHOD => "<bound method>".to_string(),
        tid::MODULE => format!("<module '{}'>", str_of(getr(o, &module_obj::name))),
        tid::INST => {
            if has_dunder(o, "__repr__") {
                return (types::upcalls().user_text)(o, "__repr__");
            }
            let cls = getr(o, &inst_obj::cls);
            if types::is_exception_class(cls) {
                let args = types::inst_get(o, "args")
                    .map(tuple_items)
                    .unwrap_or_default();
                let parts: PyResult<Vec<String>> = args.iter().map(|x| repr(*x)).collect();
                let parts = parts?;
                if parts.len() == 1 {
                    format!("{}({})", types::type_name(cls), parts[0])
                } else {
                    format!("{}({})", types::type_name(cls), parts.join(", "))
                }
            } else {
                format!(
                    "<__main__.{} object at 0x{:x}>",
                    types::type_name(cls),
                    o.addr()
                )
            }
        }
        tid::SLICE => format!(
            "slice({}, {}, {})",
            repr(getr(o, &slice_obj::start))?,
            repr(getr(o, &slice_obj::stop))?,
            repr(getr(o, &slice_obj::step))?
        ),
        tid::GEN => format!("<generator object at 0x{:x}>", o.addr()),
        _ => format!("<object at 0x{:x}>", o.addr()),
    })
}

/// `str(o)`.
pub fn to_str(o: GcRef) -> PyResult<String> {
    match o.tid() {
        tid::STR => Ok(str_of(o)),
        tid::INST => {
            if has_dunder(o, "__str__") {
                return (types::upcalls().user_text)(o, "__str__");
            }
            let cls = getr(o, &inst_obj::cls);
            if types::is_exception_class(cls) && !has_dunder(o, "__repr__") {
                let args = types::inst_get(o, "args")
                    .map(tuple_items)
                    .unwrap_or_default();
                return match args.len() {
                    0 => Ok(String::new()),
                    1 => {
                        if types::is_subclass(cls, rt().exc(ExcKind::KeyError)) {
                            repr(args[0])
                        } else {
                            to_str(args[0])
                        }
                    }
                    _ => repr(new_tuple(&args)),
                };
            }
            repr(o)
        }
        _ => repr(o),
    }
}

// ---- format specs ---------------------------------------------------------

struct Spec {
    fill: char,
    align: Option<char>,
    sign: char,
    alt: bool,
    zero: bool,
    width: usize,
    comma: Option<char>,
    prec: Option<usize>,
    ty: Option<char>,
}

fn parse_spec(s: &str) -> PyResult<Spec> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut sp = Spec {
        fill: ' ',
        align: None,
        sign: '-',
        alt: false,
        zero: false,
        width: 0,
        comma: None,
        prec: None,
        ty: None,
    };
    if c.len() >= 2 && "<>^=".contains(c[1]) {
        sp.fill = c[0];
        sp.align = Some(c[1]);
        i = 2;
    } else if !c.is_empty() && "<>^=".contains(c[0]) {
        sp.align = Some(c[0]);
        i = 1;
    }
    if i < c.len() && "+- ".contains(c[i]) {
        sp.sign = c[i];
        i += 1;
    }
    if i < c.len() && c[i] == '#' {
        sp.alt = true;
        i += 1;
    }
    if i < c.len() && c[i] == '0' {
        sp.zero = true;
        i += 1;
    }
    let st = i;
    while i < c.len() && c[i].is_ascii_digit() {
        i += 1;
    }
    if i > st {
        sp.width = c[st..i].iter().collect::<String>().parse().unwrap_or(0);
    }
    if i < c.len() && (c[i] == ',' || c[i] == '_') {
        sp.comma = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '.' {
        i += 1;
        let st = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        sp.prec = Some(c[st..i].iter().collect::<String>().parse().unwrap_or(0));
    }
    if i < c.len() {
        sp.ty = Some(c[i]);
        i += 1;
    }
    if i != c.len() {
        return err(ExcKind::ValueError, "Invalid format specifier");
    }
    Ok(sp)
}

fn group(digits: &str, sep: char) -> String {
    let (int, frac) = match digits.find('.') {
        Some(p) => (&digits[..p], &digits[p..]),
        None => (digits, ""),
    };
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(ch);
    }
    out + frac
}

fn pad(body: String, sign: &str, sp: &Spec, default_right: bool) -> String {
    let len = body.chars().count() + sign.chars().count();
    if len >= sp.width {
        return format!("{sign}{body}");
    }
    let n = sp.width - len;
    let (fill, align) = if sp.zero && sp.align.is_none() {
        ('0', '=')
    } else {
        (
            sp.fill,
            sp.align.unwrap_or(if default_right { '>' } else { '<' }),
        )
    };
    let f = |k: usize| fill.to_string().repeat(k);
    match align {
        '<' => format!("{sign}{body}{}", f(n)),
        '^' => format!("{}{sign}{body}{}", f(n / 2), f(n - n / 2)),
        '=' => format!("{sign}{}{body}", f(n)),
        _ => format!("{}{sign}{body}", f(n)),
    }
}

fn exp_fmt(x: f64, prec: usize, upper: bool) -> String {
    let s = format!("{:.*e}", prec, x);
    let (m, e) = s.split_once('e').expect("exp");
    let e: i32 = e.parse().expect("exp");
    let r = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    if upper {
        r.to_uppercase()
    } else {
        r
    }
}

fn general_fmt(x: f64, prec: usize, alt: bool) -> String {
    let p = prec.max(1);
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    let s = if exp < -4 || exp >= p as i32 {
        exp_fmt(x, p - 1, false)
    } else {
        format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, x)
    };
    if alt {
        return s;
    }
    if let Some(epos) = s.find('e') {
        let (m, e) = s.split_at(epos);
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        format!("{m}{e}")
    } else if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `format(v, spec)` for builtin values.
pub fn format_value(v: GcRef, spec: &str) -> PyResult<String> {
    if spec.is_empty() {
        return to_str(v);
    }
    let sp = parse_spec(spec)?;
    let is_num = matches!(v.tid(), tid::INT | tid::BIG | tid::BOOL | tid::FLOAT);
    if !is_num {
        if v.tid() != tid::STR && v.tid() != tid::INST {
            let s = to_str(v)?;
            return Ok(pad(s, "", &sp, false));
        }
        if sp.ty.is_some_and(|t| t != 's') {
            return err(
                ExcKind::ValueError,
                format!(
                    "Unknown format code '{}' for object of type '{}'",
                    sp.ty.unwrap_or('s'),
                    types::tname(v)
                ),
            );
        }
        let mut s = to_str(v)?;
        if let Some(p) = sp.prec {
            s = s.chars().take(p).collect();
        }
        return Ok(pad(s, "", &sp, false));
    }
    let float_ty = matches!(sp.ty, Some('f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%'))
        || (v.tid() == tid::FLOAT && sp.ty.is_none());
    if float_ty {
        let x = dict::to_f64(v).unwrap_or(0.0);
        let neg = x < 0.0 || (x == 0.0 && x.is_sign_negative());
        let a = x.abs();
        let body = match sp.ty {
            Some('f' | 'F') => format!("{:.*}", sp.prec.unwrap_or(6), a),
            Some('e' | 'E') => exp_fmt(a, sp.prec.unwrap_or(6), sp.ty == Some('E')),
            Some('g' | 'G') => general_fmt(a, sp.prec.unwrap_or(6), sp.alt),
            Some('%') => format!("{:.*}%", sp.prec.unwrap_or(6), a * 100.0),
            _ => match sp.prec {
                Some(p) => {
                    let g = general_fmt(a, p, sp.alt);
                    if g.contains('.') || g.contains('e') || g.contains("inf") || g.contains("nan")
                    {
                        g
                    } else {
                        g + ".0"
                    }
                }
                None => float_repr(a),
            },
        };
        let body = if a.is_infinite() {
            "inf".to_string()
        } else if a.is_nan() {
            "nan".to_string()
        } else {
            body
        };
        let body = match sp.comma {
            Some(c) => group(&body, c),
            None => body,
        };
        let sign = if neg {
            "-"
        } else if sp.sign == '+' {
            "+"
        } else if sp.sign == ' ' {
            " "
        } else {
            ""
        };
        return Ok(pad(body, sign, &sp, true));
    }
    let b = numbers::to_big(v).unwrap_or_default();
    let neg = b.sign() == num_bigint::Sign::Minus;
    let m = b.magnitude();
    let body = match sp.ty {
        Some('x') => format!("{}{:x}", if sp.alt { "0x" } else { "" }, m),
        Some('X') => format!("{}{:X}", if sp.alt { "0X" } else { "" }, m),
        Some('o') => format!("{}{:o}", if sp.alt { "0o" } else { "" }, m),
        Some('b') => format!("{}{:b}", if sp.alt { "0b" } else { "" }, m),
        Some('c') => char::from_u32(m.iter_u32_digits().next().unwrap_or(0))
            .unwrap_or('?')
            .to_string(),
        Some('d') | Some('n') | None => m.to_string(),
        Some(t) => {
            return err(
                ExcKind::ValueError,
                format!("Unknown format code '{t}' for object of type 'int'"),
            )
        }
    };
    let body = match sp.comma {
        Some(c) => group(&body, c),
        None => body,
    };
    let sign = if neg {
        "-"
    } else if sp.sign == '+' {
        "+"
    } else if sp.sign == ' ' {
        " "
    } else {
        ""
    };
    Ok(pad(body, sign, &sp, true))
}

/// `fmt % args`.
pub fn percent_format(fmt: &str, args: GcRef) -> PyResult<String> {
    let items = if args.tid() == tid::TUPLE {
        tuple_items(args)
    } else {
        vec![args]
    };
    let mut it = items.into_iter();
    let mut out = String::new();
    let c: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < c.len() {
        if c[i] != '%' {
            out.push(c[i]);
            i += 1;
            continue;
        }
        i += 1;
        if i < c.len() && c[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        let st = i;
        while i < c.len() && "-+ #0123456789.".contains(c[i]) {
            i += 1;
        }
        let flags: String = c[st..i].iter().collect();
        let Some(&ty) = c.get(i) else {
            return err(ExcKind::ValueError, "incomplete format");
        };
        i += 1;
        let Some(v) = it.next() else {
            return err(ExcKind::TypeError, "not enough arguments for format string");
        };
        let flags = flags.replacen('-', "<", 1);
        let piece = match ty {
            's' => {
                let s = to_str(v)?;
                format_value(new_str(&s), &flags)?
            }
            'r' => {
                let s = repr(v)?;
                format_value(new_str(&s), &flags)?
            }
            'd' | 'i' => {
                let iv = if v.tid() == tid::FLOAT {
                    new_int(getf(v, &float_obj::v).trunc() as i64)
                } else {
                    v
                };
                if !numbers::is_intlike(iv) {
                    return err(
                        ExcKind::TypeError,
                        format!(
                            "%d format: a real number is required, not {}",
                            types::tname(v)
                        ),
                    );
                }
                format_value(iv, &format!("{flags}d"))?
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' => {
                format_value(v, &format!("{flags}{ty}"))?
            }
            'c' => match v.tid() {
                tid::STR => str_of(v),
                _ => format_value(v, "c")?,
            },
            _ => {
                return err(
                    ExcKind::ValueError,
                    format!("unsupported format character '{ty}'"),
                )
            }
        };
        out.push_str(&piece);
    }
    if it.next().is_some() {
        return err(
            ExcKind::TypeError,
            "not all arguments converted during string formatting",
        );
    }
    Ok(out)
}

/// Python-style char index normalisation.
pub fn char_at(s: &str, i: i64) -> Option<char> {
    let n = s.chars().count() as i64;
    let i = if i < 0 { i + n } else { i };
    if i < 0 || i >= n {
        return None;
    }
    s.chars().nth(i as usize)
}

/// `str.format(*args, **kwargs)` (auto and explicit numbering, names,
/// attribute-free fields, format specs and !r/!s).
pub fn str_format(fmt: &str, args: &[GcRef], kw: GcRef) -> PyResult<String> {
    let c: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut auto = 0;
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '{' if c.get(i + 1) == Some(&'{') => {
                out.push('{');
                i += 2;
            }
            '}' if c.get(i + 1) == Some(&'}') => {
                out.push('}');
                i += 2;
            }
            '{' => {
                let st = i + 1;
                let mut j = st;
                while j < c.len() && c[j] != '}' {
                    j += 1;
                }
                let field: String = c[st..j].iter().collect();
                i = j + 1;
                let (name, rest) = match field.find([':', '!']) {
                    Some(p) => (&field[..p], &field[p..]),
                    None => (field.as_str(), ""),
                };
                let (conv, spec) = if let Some(r) = rest.strip_prefix('!') {
                    let (cv, sp) = r.split_once(':').unwrap_or((r, ""));
                    (cv.chars().next(), sp.to_string())
                } else {
                    (None, rest.strip_prefix(':').unwrap_or("").to_string())
                };
                let v = if name.is_empty() {
                    auto += 1;
                    args.get(auto - 1).copied()
                } else if let Ok(n) = name.parse::<usize>() {
                    args.get(n).copied()
                } else if !kw.is_null() && kw.tid() == tid::DICT {
                    dict::get_str(kw, name)
                } else {
                    None
                };
                let Some(v) = v else {
                    return if name.is_empty() || name.parse::<usize>().is_ok() {
                        err(
                            ExcKind::IndexError,
                            "Replacement index out of range for positional args tuple",
                        )
                    } else {
                        Err(types::exc_with_args(
                            rt().exc(ExcKind::KeyError),
                            &[new_str(name)],
                        ))
                    };
                };
                let v = match conv {
                    Some('r') => new_str(&repr(v)?),
                    Some('s') => new_str(&to_str(v)?),
                    _ => v,
                };
                out.push_str(&format_value(v, &spec)?);
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    Ok(out)
}
