//! Builtin methods of the core classes that need no guest code of
//! their own: number arithmetic and conversions, `String`, `Array` and
//! `Range` methods, CRuby's float printing and string/symbol inspection.
//! Unknown names answer the undef marker (`no_method`), so the caller
//! can try `Kernel` methods next.
//!
//! One module per class (`numeric`, `string`, `array`, `range`, the
//! guest-free halves of `builtins::numericobject` & co.); this module
//! keeps what they share: float printing, string/symbol inspection,
//! argument conversion (`int_arg`, `str_arg`, `to_f`), index and range
//! normalisation, and comparison results.

use crate::builtins::*;
use crate::objects::*;
use metatrace::heap::GcRef;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

mod array;
mod numeric;
mod range;
mod string;

pub use array::{arr_method, sort_cmp};
pub use numeric::{num_binop, num_method};
pub use range::range_method;
pub use string::str_method;

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
