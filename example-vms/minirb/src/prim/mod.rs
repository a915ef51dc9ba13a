//! Builtin methods of the core classes that need no guest code of
//! their own: number arithmetic and conversions, `String`, `Array` and
//! `Range` methods, CRuby's float printing and string/symbol inspection.
//! Unknown names answer the undef marker (`no_method`), so the caller
//! can try `Kernel` methods next.

use crate::builtins::*;
use crate::objects::*;
use metatrace::heap::GcRef;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

pub fn fmt_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let s = if exp >= 0 {
            let ip = exp as usize + 1;
            if digits.len() <= ip {
                format!("{}{}.0", digits, "0".repeat(ip - digits.len()))
            } else {
                format!("{}.{}", &digits[..ip], &digits[ip..])
            }
        } else {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        };
        format!("{sign}{s}")
    } else {
        let rest = if digits.len() > 1 { &digits[1..] } else { "0" };
        format!(
            "{sign}{}.{}e{}{:02}",
            &digits[..1],
            rest,
            if exp < 0 { "-" } else { "+" },
            exp.abs()
        )
    }
}

/// `to_s`.
pub fn inspect_str(s: &str) -> String {
    let mut o = String::from("\"");
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            '\x1b' => o.push_str("\\e"),
            '#' => {
                if matches!(chars.peek(), Some('{') | Some('$') | Some('@')) {
                    o.push_str("\\#")
                } else {
                    o.push('#')
                }
            }
            c if (c as u32) < 0x20 => o.push_str(&format!("\\x{:02X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

pub fn inspect_sym(name: &str) -> String {
    let bare = name
        .trim_start_matches("@@")
        .trim_start_matches('@')
        .trim_start_matches('$');
    let name_ok = |n: &str| {
        n.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && n.chars().enumerate().all(|(i, c)| {
                c.is_alphanumeric() || c == '_' || (i == n.chars().count() - 1 && "?!=".contains(c))
            })
    };
    if bare.len() < name.len() && name_ok(bare) && !bare.ends_with(['?', '!', '=']) {
        return format!(":{name}");
    }
    let plain = name_ok(name);
    let op = [
        "+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "<=>", "<<", ">>", "[]",
        "[]=", "!", "===", "=~", "&", "|", "^", "~", "+@", "-@",
    ]
    .contains(&name);
    if plain || op {
        format!(":{name}")
    } else {
        format!(":{}", inspect_str(name))
    }
}

/// `inspect` (what `p` prints).
pub fn to_f(v: GcRef) -> f64 {
    match v.tid() {
        tid::INT => geti(v, &int_obj::v) as f64,
        tid::BIG => big_of(v).to_f64().unwrap_or(f64::INFINITY),
        _ => float_of(v),
    }
}

pub fn is_int(v: GcRef) -> bool {
    matches!(v.tid(), tid::INT | tid::BIG)
}

pub fn coerce_err(recv: GcRef, arg: GcRef) -> RbRes {
    let what = match arg.tid() {
        tid::NIL => "nil".to_string(),
        tid::TRUE => "true".into(),
        tid::FALSE => "false".into(),
        _ => class_name(arg),
    };
    let _ = recv;
    err(
        "TypeError",
        format!("{what} can't be coerced into {}", class_name(recv)),
    )
}

/// Integer and Float binary operators (any mix, big ints included).
pub fn num_binop(name: &str, a: GcRef, b: GcRef) -> RbRes {
    let num = |v: GcRef| matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT);
    if !num(b) {
        return match name {
            "==" => Ok(boolean(false)),
            "!=" => Ok(boolean(true)),
            "<=>" => Ok(nil()),
            "<" | "<=" | ">" | ">=" => err(
                "ArgumentError",
                format!(
                    "comparison of {} with {} failed",
                    class_name(a),
                    inspect_or_class(b)
                ),
            ),
            _ => coerce_err(a, b),
        };
    }
    if is_int(a) && is_int(b) {
        let (x, y) = (big_of(a), big_of(b));
        let r = match name {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "/" | "div" => {
                if y.is_zero() {
                    return err("ZeroDivisionError", "divided by 0");
                }
                x.div_floor(&y)
            }
            "%" | "modulo" => {
                if y.is_zero() {
                    return err("ZeroDivisionError", "divided by 0");
                }
                x.mod_floor(&y)
            }
            "**" => {
                if y.is_negative() {
                    return Ok(new_float(to_f(a).powf(to_f(b))));
                }
                let e = y.to_u32().unwrap_or(u32::MAX);
                num_traits::pow(x, e as usize)
            }
            "&" => x & y,
            "|" => x | y,
            "^" => x ^ y,
            "<<" => x << y.to_usize().unwrap_or(0),
            ">>" => x >> y.to_usize().unwrap_or(0),
            _ => return Ok(cmp_result(name, x.cmp(&y))),
        };
        return Ok(new_bigint(&r));
    }
    let (x, y) = (to_f(a), to_f(b));
    let r = match name {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        "/" => x / y,
        "%" | "modulo" => {
            let m = x % y;
            if m != 0.0 && (m < 0.0) != (y < 0.0) {
                m + y
            } else {
                m
            }
        }
        "**" => x.powf(y),
        _ => {
            return Ok(match x.partial_cmp(&y) {
                Some(o) => cmp_result(name, o),
                None if name == "<=>" => nil(),
                None => boolean(name == "!="),
            })
        }
    };
    Ok(new_float(r))
}

pub fn inspect_or_class(v: GcRef) -> String {
    match v.tid() {
        tid::NIL | tid::TRUE | tid::FALSE => inspect(v),
        _ => class_name(v),
    }
}

pub fn cmp_result(name: &str, o: std::cmp::Ordering) -> GcRef {
    use std::cmp::Ordering::*;
    match name {
        "<" => boolean(o == Less),
        "<=" => boolean(o != Greater),
        ">" => boolean(o == Greater),
        ">=" => boolean(o != Less),
        "==" => boolean(o == Equal),
        "!=" => boolean(o != Equal),
        _ => new_int(match o {
            Less => -1,
            Equal => 0,
            Greater => 1,
        }),
    }
}

pub fn int_arg(v: GcRef) -> Result<i64, RbErr> {
    match v.tid() {
        tid::INT => Ok(geti(v, &int_obj::v)),
        tid::FLOAT => Ok(float_of(v) as i64),
        _ => err(
            "TypeError",
            format!("no implicit conversion of {} into Integer", class_name(v)),
        ),
    }
}

pub fn str_arg(v: GcRef) -> Result<String, RbErr> {
    match v.tid() {
        tid::STR => Ok(str_of(v)),
        _ => err(
            "TypeError",
            format!(
                "no implicit conversion of {} into String",
                match v.tid() {
                    tid::NIL => "nil".to_string(),
                    _ => class_name(v),
                }
            ),
        ),
    }
}

pub fn norm_index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    (i >= 0 && (i as usize) < len).then_some(i as usize)
}

/// `[start, len]` of a range over a sequence of `len` items.
pub fn range_span(r: GcRef, len: usize) -> Result<Option<(usize, usize)>, RbErr> {
    let (lo, hi, ex) = range_parts(r);
    let lo = if lo.tid() == tid::NIL {
        0
    } else {
        int_arg(lo)?
    };
    let hi = if hi.tid() == tid::NIL {
        -1
    } else {
        int_arg(hi)?
    };
    let n = len as i64;
    let lo = if lo < 0 { lo + n } else { lo };
    if lo < 0 || lo > n {
        return Ok(None);
    }
    let mut hi = if hi < 0 { hi + n } else { hi };
    if !ex {
        hi += 1;
    }
    let hi = hi.min(n).max(lo);
    Ok(Some((lo as usize, (hi - lo) as usize)))
}

pub fn argn(args: &[GcRef], n: usize, name: &str) -> Result<(), RbErr> {
    let _ = name;
    if args.len() != n {
        return err(
            "ArgumentError",
            format!(
                "wrong number of arguments (given {}, expected {n})",
                args.len()
            ),
        );
    }
    Ok(())
}

pub fn is_num(v: GcRef) -> bool {
    matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT)
}
pub fn is_imm(v: GcRef) -> bool {
    matches!(
        v.tid(),
        tid::INT | tid::SYM | tid::NIL | tid::TRUE | tid::FALSE
    )
}

pub fn num_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    if args.len() == 1 {
        if let "+" | "-" | "*" | "/" | "%" | "**" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "<=>"
        | "div" | "modulo" = name
        {
            if name == "div" && args[0].tid() == tid::FLOAT {
                return Ok(new_int((to_f(recv) / to_f(args[0])).floor() as i64));
            }
            return num_binop(name, recv, args[0]);
        }
        if is_int(recv) && matches!(name, "&" | "|" | "^" | "<<" | ">>") {
            if !is_int(args[0]) {
                return coerce_err(recv, args[0]);
            }
            return num_binop(name, recv, args[0]);
        }
    }
    let fl = recv.tid() == tid::FLOAT;
    match name {
        "-@" => num_binop("-", new_int(0), recv),
        "+@" => Ok(recv),
        "abs" => {
            if fl {
                Ok(new_float(float_of(recv).abs()))
            } else {
                Ok(new_bigint(&big_of(recv).abs()))
            }
        }
        "to_i" | "to_int" | "truncate" => {
            if fl {
                let f = float_of(recv);
                if !f.is_finite() {
                    return err("FloatDomainError", fmt_float(f));
                }
                Ok(new_bigint(&BigInt::from(f.trunc() as i128)))
            } else {
                Ok(recv)
            }
        }
        "to_f" => Ok(new_float(to_f(recv))),
        "floor" | "ceil" | "round" if fl => {
            let f = float_of(recv);
            let digits = match args.first() {
                Some(d) => int_arg(*d)?,
                None => 0,
            };
            if digits > 0 {
                let m = 10f64.powi(digits as i32);
                let r = match name {
                    "floor" => (f * m).floor() / m,
                    "ceil" => (f * m).ceil() / m,
                    _ => (f * m).round() / m,
                };
                return Ok(new_float(r));
            }
            let r = match name {
                "floor" => f.floor(),
                "ceil" => f.ceil(),
                _ => f.round(),
            };
            Ok(new_int(r as i64))
        }
        "floor" | "ceil" | "round" => Ok(recv),
        "nan?" if fl => Ok(boolean(float_of(recv).is_nan())),
        "zero?" => Ok(boolean(to_f(recv) == 0.0)),
        "even?" if !fl => Ok(boolean(big_of(recv).is_even())),
        "odd?" if !fl => Ok(boolean(big_of(recv).is_odd())),
        "succ" | "next" if !fl => num_binop("+", recv, new_int(1)),
        "pred" if !fl => num_binop("-", recv, new_int(1)),
        "chr" if !fl => {
            let c = char::from_u32(int_arg(recv)? as u32).unwrap_or('?');
            Ok(new_str(&c.to_string()))
        }
        "to_s" if !fl && args.len() == 1 => {
            let base = int_arg(args[0])? as u32;
            Ok(new_str(&big_of(recv).to_str_radix(base)))
        }
        "divmod" if args.len() == 1 => {
            let q = if fl || args[0].tid() == tid::FLOAT {
                new_float((to_f(recv) / to_f(args[0])).floor())
            } else {
                num_binop("/", recv, args[0])?
            };
            let m = num_binop("%", recv, args[0])?;
            Ok(new_array(&[q, m]))
        }
        "integer?" => Ok(boolean(!fl)),
        "hash" => Ok(new_int(to_s(recv).len() as i64)),
        _ => no_method(name, recv),
    }
}

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

pub fn arr_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let mut items = array_items(recv);
    let a1 = args.first().copied();
    match (name, a1) {
        ("size" | "length", None) => Ok(new_int(items.len() as i64)),
        ("empty?", None) => Ok(boolean(items.is_empty())),
        ("<<" | "push", Some(_)) => {
            for a in args {
                array_push(recv, *a);
            }
            Ok(recv)
        }
        ("push", None) => Ok(recv),
        ("pop", None) => {
            let v = items.pop().unwrap_or_else(nil);
            array_set_items(recv, &items);
            Ok(v)
        }
        ("shift", None) => {
            if items.is_empty() {
                return Ok(nil());
            }
            let v = items.remove(0);
            array_set_items(recv, &items);
            Ok(v)
        }
        ("unshift", _) => {
            let mut v = args.to_vec();
            v.extend(items);
            array_set_items(recv, &v);
            Ok(recv)
        }
        ("[]" | "slice", Some(a)) => {
            if a.tid() == tid::RANGE {
                return Ok(match range_span(a, items.len())? {
                    Some((s, n)) => new_array(&items[s..s + n]),
                    None => nil(),
                });
            }
            let i = int_arg(a)?;
            if let Some(l) = args.get(1) {
                let l = int_arg(*l)?;
                let st = if i < 0 { i + items.len() as i64 } else { i };
                if st < 0 || st > items.len() as i64 || l < 0 {
                    return Ok(nil());
                }
                let e = (st + l).min(items.len() as i64);
                return Ok(new_array(&items[st as usize..e as usize]));
            }
            Ok(norm_index(i, items.len())
                .map(|i| items[i])
                .unwrap_or_else(nil))
        }
        ("[]=", Some(a)) if args.len() == 2 => {
            let i = int_arg(a)?;
            let n = items.len() as i64;
            let i = if i < 0 { i + n } else { i };
            if i < 0 {
                return err(
                    "IndexError",
                    format!("index {} too small for array; minimum: -{n}", i - n),
                );
            }
            let i = i as usize;
            while items.len() <= i {
                items.push(nil());
            }
            items[i] = args[1];
            array_set_items(recv, &items);
            Ok(args[1])
        }
        ("first", None) => Ok(items.first().copied().unwrap_or_else(nil)),
        ("last", None) => Ok(items.last().copied().unwrap_or_else(nil)),
        ("first" | "take", Some(n)) => {
            let n = (int_arg(n)?.max(0) as usize).min(items.len());
            Ok(new_array(&items[..n]))
        }
        ("last", Some(n)) => {
            let n = (int_arg(n)?.max(0) as usize).min(items.len());
            Ok(new_array(&items[items.len() - n..]))
        }
        ("drop", Some(n)) => {
            let n = (int_arg(n)?.max(0) as usize).min(items.len());
            Ok(new_array(&items[n..]))
        }
        ("reverse", None) => {
            items.reverse();
            Ok(new_array(&items))
        }
        ("include?", Some(a)) => Ok(boolean(items.iter().any(|x| equal(*x, a)))),
        ("index", Some(a)) => Ok(items
            .iter()
            .position(|x| equal(*x, a))
            .map(|i| new_int(i as i64))
            .unwrap_or_else(nil)),
        ("join", _) => {
            let sep = match a1 {
                Some(s) => str_arg(s)?,
                None => String::new(),
            };
            fn flat(v: GcRef, out: &mut Vec<String>) {
                if v.tid() == tid::ARR {
                    for x in array_items(v) {
                        flat(x, out);
                    }
                } else {
                    out.push(to_s(v));
                }
            }
            let mut parts = Vec::new();
            for x in items {
                flat(x, &mut parts);
            }
            Ok(new_str(&parts.join(&sep)))
        }
        ("+", Some(a)) if a.tid() == tid::ARR => {
            items.extend(array_items(a));
            Ok(new_array(&items))
        }
        ("-", Some(a)) if a.tid() == tid::ARR => {
            let other = array_items(a);
            items.retain(|x| !other.iter().any(|y| eql(*x, *y)));
            Ok(new_array(&items))
        }
        ("*", Some(a)) if is_int(a) => {
            let n = int_arg(a)?.max(0) as usize;
            let v: Vec<GcRef> = (0..n).flat_map(|_| items.iter().copied()).collect();
            Ok(new_array(&v))
        }
        ("flatten", None) => {
            fn flat(v: GcRef, out: &mut Vec<GcRef>) {
                for x in array_items(v) {
                    if x.tid() == tid::ARR {
                        flat(x, out)
                    } else {
                        out.push(x)
                    }
                }
            }
            let mut out = Vec::new();
            flat(recv, &mut out);
            Ok(new_array(&out))
        }
        ("uniq", None) => {
            let mut out: Vec<GcRef> = Vec::new();
            for x in items {
                if !out.iter().any(|y| eql(x, *y)) {
                    out.push(x);
                }
            }
            Ok(new_array(&out))
        }
        ("compact", None) => {
            items.retain(|x| x.tid() != tid::NIL);
            Ok(new_array(&items))
        }
        ("sum", None) => {
            let mut acc = new_int(0);
            for x in items {
                acc = num_binop("+", acc, x)?;
            }
            Ok(acc)
        }
        ("min" | "max", None) => {
            let mut best: Option<GcRef> = None;
            for x in items {
                best = Some(match best {
                    None => x,
                    Some(b) => {
                        let c = sort_cmp(x, b)?;
                        if (name == "min" && c.is_lt()) || (name == "max" && c.is_gt()) {
                            x
                        } else {
                            b
                        }
                    }
                });
            }
            Ok(best.unwrap_or_else(nil))
        }
        ("sort", None) => {
            let mut e = None;
            items.sort_by(|a, b| match sort_cmp(*a, *b) {
                Ok(o) => o,
                Err(x) => {
                    e = Some(x);
                    std::cmp::Ordering::Equal
                }
            });
            if let Some(x) = e {
                return Err(x);
            }
            Ok(new_array(&items))
        }
        ("zip", Some(_)) => {
            let others: Vec<Vec<GcRef>> = args.iter().map(|a| array_items(*a)).collect();
            let v: Vec<GcRef> = items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let mut row = vec![*x];
                    for o in &others {
                        row.push(o.get(i).copied().unwrap_or_else(nil));
                    }
                    new_array(&row)
                })
                .collect();
            Ok(new_array(&v))
        }
        ("count", None) => Ok(new_int(items.len() as i64)),
        ("count", Some(a)) => Ok(new_int(
            items.iter().filter(|x| equal(**x, a)).count() as i64
        )),
        ("to_a" | "entries", None) => Ok(recv),
        ("hash", None) => Ok(new_int(items.len() as i64)),
        ("clear", None) => {
            array_set_items(recv, &[]);
            Ok(recv)
        }
        ("fill", Some(a)) => {
            let v = vec![a; items.len()];
            array_set_items(recv, &v);
            Ok(recv)
        }
        _ => no_method(name, recv),
    }
}

pub fn sort_cmp(a: GcRef, b: GcRef) -> Result<std::cmp::Ordering, RbErr> {
    if a.tid() == tid::SYM && b.tid() == tid::SYM {
        return Ok(to_s(a).cmp(&to_s(b)));
    }
    let r = if a.tid() == tid::STR && b.tid() == tid::STR {
        return Ok(str_of(a).cmp(&str_of(b)));
    } else if is_num(a) && is_num(b) {
        num_binop("<=>", a, b)?
    } else if a.tid() == tid::ARR && b.tid() == tid::ARR {
        let (x, y) = (array_items(a), array_items(b));
        for (p, q) in x.iter().zip(y.iter()) {
            let c = sort_cmp(*p, *q)?;
            if c.is_ne() {
                return Ok(c);
            }
        }
        return Ok(x.len().cmp(&y.len()));
    } else {
        nil()
    };
    if r.tid() != tid::INT {
        return err(
            "ArgumentError",
            format!(
                "comparison of {} with {} failed",
                class_name(a),
                inspect_or_class(b)
            ),
        );
    }
    Ok(geti(r, &int_obj::v).cmp(&0))
}

pub fn range_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let (lo, hi, ex) = range_parts(recv);
    match (name, args.first()) {
        ("first" | "begin" | "min", None) => Ok(lo),
        ("last" | "end", None) => Ok(hi),
        ("max", None) => {
            if ex && is_int(hi) {
                num_binop("-", hi, new_int(1))
            } else {
                Ok(hi)
            }
        }
        ("exclude_end?", None) => Ok(boolean(ex)),
        ("to_a" | "entries", None) => {
            let (a, b) = (int_arg(lo)?, int_arg(hi)?);
            let b = if ex { b } else { b + 1 };
            if b - a > 100_000_000 {
                return err("RangeError", "range too large");
            }
            let v: Vec<GcRef> = (a..b).map(new_int).collect();
            Ok(new_array(&v))
        }
        ("size" | "count", None) => {
            let (a, b) = (int_arg(lo)?, int_arg(hi)?);
            let b = if ex { b } else { b + 1 };
            Ok(new_int((b - a).max(0)))
        }
        ("include?" | "member?" | "cover?" | "===", Some(v)) => {
            if !is_num(*v) || !is_num(lo) {
                return Ok(boolean(false));
            }
            let ge = truthy(num_binop(">=", *v, lo)?);
            let le = truthy(num_binop(if ex { "<" } else { "<=" }, *v, hi)?);
            Ok(boolean(ge && le))
        }
        ("sum", None) => {
            let (a, b) = (big_of(lo), big_of(hi));
            let b = if ex { b - 1 } else { b };
            if b < a {
                return Ok(new_int(0));
            }
            let n: BigInt = &b - &a + 1;
            Ok(new_bigint(&((a + b) * n / 2)))
        }
        _ => no_method(name, recv),
    }
}
