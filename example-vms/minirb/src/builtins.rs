//! The core classes' methods that run as Rust (residual calls from the
//! interpreter): `to_s`/`inspect` formatting as CRuby prints it, `Integer`
//! arithmetic past the traced fast paths (big ints, floor division),
//! `Float`, `String`, `Symbol`, `Array`, `Hash`, `Range`, and `Kernel`'s
//! output methods.
//!
//! Owns: [`SEND`], the generic residual send (`rb_send`): a null result
//! means an exception, left in a rooted slot for [`TAKE_ERROR`]; and the
//! output buffer.

use crate::objects::*;
use metatrace::heap::roots::Handle;
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::ir::EffectInfo;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::io::Write;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static ERROR: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// Writes program output (buffered).
pub fn write_out(b: &[u8]) {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        o.extend_from_slice(b);
        if o.len() > 1 << 16 {
            let _ = std::io::stdout().write_all(&o);
            o.clear();
        }
    });
}
pub fn flush_out() {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        let _ = std::io::stdout().write_all(&o);
        let _ = std::io::stdout().flush();
        o.clear();
    });
}

/// An error of a builtin: (class name, message).
pub type RbErr = (String, String);
pub type RbRes = Result<GcRef, RbErr>;

pub fn err<T>(cls: &str, msg: impl Into<String>) -> Result<T, RbErr> {
    Err((cls.to_string(), msg.into()))
}

/// Stores `e` for `TAKE_ERROR` and returns the null that signals it.
fn fail(e: GcRef) -> GcRef {
    ERROR.with(|s| *s.borrow_mut() = Some(Handle::new(e)));
    GcRef::NULL
}

extern "C" fn rb_take_error() -> GcRef {
    ERROR
        .with(|s| s.borrow_mut().take())
        .map(|h| h.get())
        .unwrap_or_else(|| new_exc("RuntimeError", "unknown error"))
}
metatrace::residual!(pub static TAKE_ERROR = fn rb_take_error() -> GcRef, EffectInfo::RESIDUAL);

/// The class name of a value.
pub fn class_name(v: GcRef) -> String {
    match v.tid() {
        tid::INT | tid::BIG => "Integer",
        tid::FLOAT => "Float",
        tid::NIL => "NilClass",
        tid::TRUE => "TrueClass",
        tid::FALSE => "FalseClass",
        tid::STR => "String",
        tid::SYM => "Symbol",
        tid::ARR => "Array",
        tid::HASH => "Hash",
        tid::RANGE => "Range",
        tid::EXC => return str_of(getr(v, &exc_obj::cls)),
        _ => "Object",
    }
    .to_string()
}

/// `Float#to_s` as CRuby prints it.
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
pub fn to_s(v: GcRef) -> String {
    match v.tid() {
        tid::INT => geti(v, &int_obj::v).to_string(),
        tid::BIG => big_of(v).to_string(),
        tid::FLOAT => fmt_float(float_of(v)),
        tid::NIL => String::new(),
        tid::TRUE => "true".into(),
        tid::FALSE => "false".into(),
        tid::STR => str_of(v),
        tid::SYM => sym_name(geti(v, &sym_obj::id) as usize),
        tid::EXC => str_of(getr(v, &exc_obj::msg)),
        tid::ARR | tid::HASH => inspect(v),
        tid::RANGE => {
            let (lo, hi, ex) = range_parts(v);
            format!("{}{}{}", to_s(lo), if ex { "..." } else { ".." }, to_s(hi))
        }
        _ => "#<Object>".into(),
    }
}

fn inspect_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            '\x1b' => o.push_str("\\e"),
            '#' => o.push('#'),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\x{:02X}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn inspect_sym(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_alphanumeric() || c == '_' || (i == name.len() - 1 && "?!=".contains(c)));
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
pub fn inspect(v: GcRef) -> String {
    match v.tid() {
        tid::NIL => "nil".into(),
        tid::STR => inspect_str(&str_of(v)),
        tid::SYM => inspect_sym(&sym_name(geti(v, &sym_obj::id) as usize)),
        tid::ARR => {
            let items: Vec<String> = array_items(v).into_iter().map(inspect).collect();
            format!("[{}]", items.join(", "))
        }
        tid::HASH => {
            let (k, vs) = hash_entries(v);
            if k.is_empty() {
                return "{}".into();
            }
            let items: Vec<String> = k
                .iter()
                .zip(vs.iter())
                .map(|(k, v)| format!("{}=>{}", inspect(*k), inspect(*v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        tid::RANGE => {
            let (lo, hi, ex) = range_parts(v);
            format!(
                "{}{}{}",
                inspect(lo),
                if ex { "..." } else { ".." },
                inspect(hi)
            )
        }
        tid::EXC => {
            let m = str_of(getr(v, &exc_obj::msg));
            let c = class_name(v);
            if m.is_empty() {
                c
            } else {
                format!("#<{c}: {m}>")
            }
        }
        _ => to_s(v),
    }
}

pub fn range_parts(v: GcRef) -> (GcRef, GcRef, bool) {
    (
        getr(v, &range_obj::lo),
        getr(v, &range_obj::hi),
        geti(v, &range_obj::excl) != 0,
    )
}

/// `==` on builtin values.
pub fn equal(a: GcRef, b: GcRef) -> bool {
    let num = |v: GcRef| matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT);
    if num(a) && num(b) {
        if a.tid() == tid::FLOAT || b.tid() == tid::FLOAT {
            return to_f(a) == to_f(b);
        }
        return big_of(a) == big_of(b);
    }
    if a.tid() != b.tid() {
        return false;
    }
    match a.tid() {
        tid::STR => str_of(a) == str_of(b),
        tid::SYM => geti(a, &sym_obj::id) == geti(b, &sym_obj::id),
        tid::ARR => {
            let (x, y) = (array_items(a), array_items(b));
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(*p, *q))
        }
        tid::HASH => {
            let (ka, va) = hash_entries(a);
            ka.len() == hash_entries(b).0.len()
                && ka
                    .iter()
                    .zip(va.iter())
                    .all(|(k, v)| hash_get(b, *k).is_some_and(|w| equal(*v, w)))
        }
        tid::RANGE => {
            let (l1, h1, e1) = range_parts(a);
            let (l2, h2, e2) = range_parts(b);
            e1 == e2 && equal(l1, l2) && equal(h1, h2)
        }
        _ => a == b,
    }
}

/// `eql?` (hash keys): like `==` but `1.eql?(1.0)` is false.
fn eql(a: GcRef, b: GcRef) -> bool {
    let int = |v: GcRef| matches!(v.tid(), tid::INT | tid::BIG);
    if int(a) != int(b) || (a.tid() == tid::FLOAT) != (b.tid() == tid::FLOAT) {
        return false;
    }
    equal(a, b)
}

pub fn hash_find(h: GcRef, k: GcRef) -> Option<usize> {
    let keys = array_items(getr(h, &hash_obj::keys));
    keys.iter().position(|x| eql(*x, k))
}
pub fn hash_get(h: GcRef, k: GcRef) -> Option<GcRef> {
    hash_find(h, k).map(|i| array_items(getr(h, &hash_obj::vals))[i])
}
pub fn hash_set(h: GcRef, k: GcRef, v: GcRef) {
    let vals = getr(h, &hash_obj::vals);
    match hash_find(h, k) {
        Some(i) => heap::setarrayitem_ref(getr(vals, &arr_obj::items), &REF_ARRAY, i as i64, v),
        None => {
            // String keys are copied (and frozen) as in CRuby.
            let k = if k.tid() == tid::STR { new_str(&str_of(k)) } else { k };
            array_push(getr(h, &hash_obj::keys), k);
            array_push(vals, v);
        }
    }
}

fn to_f(v: GcRef) -> f64 {
    match v.tid() {
        tid::INT => geti(v, &int_obj::v) as f64,
        tid::BIG => big_of(v).to_f64().unwrap_or(f64::INFINITY),
        _ => float_of(v),
    }
}

fn is_int(v: GcRef) -> bool {
    matches!(v.tid(), tid::INT | tid::BIG)
}

fn coerce_err(recv: GcRef, arg: GcRef) -> RbRes {
    let what = match arg.tid() {
        tid::NIL => "nil".to_string(),
        tid::TRUE => "true".into(),
        tid::FALSE => "false".into(),
        _ => class_name(arg),
    };
    let _ = recv;
    err("TypeError", format!("{what} can't be coerced into {}", class_name(recv)))
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
                format!("comparison of {} with {} failed", class_name(a), inspect_or_class(b)),
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

fn inspect_or_class(v: GcRef) -> String {
    match v.tid() {
        tid::NIL | tid::TRUE | tid::FALSE => inspect(v),
        _ => class_name(v),
    }
}

fn cmp_result(name: &str, o: std::cmp::Ordering) -> GcRef {
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

fn int_arg(v: GcRef) -> Result<i64, RbErr> {
    match v.tid() {
        tid::INT => Ok(geti(v, &int_obj::v)),
        tid::FLOAT => Ok(float_of(v) as i64),
        _ => err(
            "TypeError",
            format!("no implicit conversion of {} into Integer", class_name(v)),
        ),
    }
}

fn str_arg(v: GcRef) -> Result<String, RbErr> {
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

fn norm_index(i: i64, len: usize) -> Option<usize> {
    let i = if i < 0 { i + len as i64 } else { i };
    (i >= 0 && (i as usize) < len).then_some(i as usize)
}

/// `[start, len]` of a range over a sequence of `len` items.
fn range_span(r: GcRef, len: usize) -> Result<Option<(usize, usize)>, RbErr> {
    let (lo, hi, ex) = range_parts(r);
    let lo = if lo.tid() == tid::NIL { 0 } else { int_arg(lo)? };
    let hi = if hi.tid() == tid::NIL { -1 } else { int_arg(hi)? };
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

fn argn(args: &[GcRef], n: usize, name: &str) -> Result<(), RbErr> {
    let _ = name;
    if args.len() != n {
        return err(
            "ArgumentError",
            format!("wrong number of arguments (given {}, expected {n})", args.len()),
        );
    }
    Ok(())
}

fn no_method(name: &str, recv: GcRef) -> RbRes {
    let desc = match recv.tid() {
        tid::NIL => "nil".to_string(),
        tid::TRUE => "true".into(),
        tid::FALSE => "false".into(),
        tid::INT | tid::BIG | tid::FLOAT => format!("{}:{}", to_s(recv), class_name(recv)),
        _ => format!("an instance of {}", class_name(recv)),
    };
    let desc = if desc.starts_with("an instance") {
        // CRuby 3.1 prints the receiver's inspect for small values.
        match recv.tid() {
            tid::STR | tid::SYM | tid::ARR | tid::HASH | tid::RANGE => {
                format!("{}:{}", inspect(recv), class_name(recv))
            }
            _ => desc,
        }
    } else {
        desc
    };
    err(
        "NoMethodError",
        format!("undefined method `{name}' for {desc}"),
    )
}

/// `puts` of one value (arrays flattened, one line each).
fn puts_one(v: GcRef, out: &mut String) {
    if v.tid() == tid::ARR {
        let items = array_items(v);
        if items.is_empty() && out.is_empty() {
            out.push('\n');
        }
        for x in items {
            puts_one(x, out);
        }
        return;
    }
    let s = to_s(v);
    out.push_str(&s);
    if !s.ends_with('\n') {
        out.push('\n');
    }
}

/// Kernel methods callable without a receiver.
pub fn kernel(name: &str, args: &[GcRef]) -> Option<RbRes> {
    if !matches!(name, "puts" | "print" | "p" | "raise" | "Integer" | "Float") {
        return None;
    }
    Some(kernel_impl(name, args))
}

fn kernel_impl(name: &str, args: &[GcRef]) -> RbRes {
    match name {
        "puts" => {
            let mut out = String::new();
            if args.is_empty() {
                out.push('\n');
            }
            for a in args {
                let mut o = String::new();
                puts_one(*a, &mut o);
                if o.is_empty() {
                    o.push('\n');
                }
                out.push_str(&o);
            }
            write_out(out.as_bytes());
            Ok(nil())
        }
        "print" => {
            for a in args {
                write_out(to_s(*a).as_bytes());
            }
            Ok(nil())
        }
        "p" => {
            for a in args {
                write_out(format!("{}\n", inspect(*a)).as_bytes());
            }
            Ok(match args.len() {
                0 => nil(),
                1 => args[0],
                _ => new_array(args),
            })
        }
        "raise" => {
            let e = match args {
                [] => new_exc("RuntimeError", "unhandled exception"),
                [m] if m.tid() == tid::STR => new_exc("RuntimeError", &str_of(*m)),
                [m] if m.tid() == tid::EXC => *m,
                [c, m] if c.tid() == tid::STR => new_exc(&str_of(*c), &str_of(*m)),
                _ => new_exc("TypeError", "exception class/object expected"),
            };
            Ok(fail(e))
        }
        "Integer" => {
            argn(args, 1, name)?;
            match args[0].tid() {
                tid::INT | tid::BIG => Ok(args[0]),
                tid::FLOAT => Ok(new_int(float_of(args[0]) as i64)),
                _ => {
                    let s = str_of(args[0]);
                    match s.trim().replace('_', "").parse::<BigInt>() {
                        Ok(v) => Ok(new_bigint(&v)),
                        Err(_) => err(
                            "ArgumentError",
                            format!("invalid value for Integer(): {}", inspect(args[0])),
                        ),
                    }
                }
            }
        }
        "Float" => {
            argn(args, 1, name)?;
            match args[0].tid() {
                tid::INT | tid::BIG | tid::FLOAT => Ok(new_float(to_f(args[0]))),
                _ => match str_of(args[0]).trim().parse::<f64>() {
                    Ok(v) => Ok(new_float(v)),
                    Err(_) => err(
                        "ArgumentError",
                        format!("invalid value for Float(): {}", inspect(args[0])),
                    ),
                },
            }
        }
        _ => unreachable!("kernel checked the name"),
    }
}

/// A method of a builtin value.
pub fn call_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    // Methods every object has.
    match (name, args.len()) {
        ("to_s", 0) => return Ok(new_str(&to_s(recv))),
        ("inspect", 0) => return Ok(new_str(&inspect(recv))),
        ("==", 1) if !is_num(recv) => return Ok(boolean(equal(recv, args[0]))),
        ("!=", 1) if !is_num(recv) => return Ok(boolean(!equal(recv, args[0]))),
        ("eql?", 1) => return Ok(boolean(eql(recv, args[0]))),
        ("equal?", 1) => return Ok(boolean(recv == args[0] || (is_imm(recv) && eql(recv, args[0])))),
        ("!", 0) => return Ok(boolean(!truthy(recv))),
        ("nil?", 0) => return Ok(boolean(recv.tid() == tid::NIL)),
        ("class", 0) => return Ok(new_str(&class_name(recv))),
        ("frozen?", 0) => return Ok(boolean(recv.tid() != tid::STR && recv.tid() != tid::ARR && recv.tid() != tid::HASH)),
        ("dup" | "clone", 0) => {
            return Ok(match recv.tid() {
                tid::STR => new_str(&str_of(recv)),
                tid::ARR => new_array(&array_items(recv)),
                tid::HASH => {
                    let h = new_hash();
                    let (k, v) = hash_entries(recv);
                    for (k, v) in k.into_iter().zip(v) {
                        hash_set(h, k, v);
                    }
                    h
                }
                _ => recv,
            })
        }
        _ => {}
    }
    match recv.tid() {
        tid::INT | tid::BIG | tid::FLOAT => num_method(name, recv, args),
        tid::STR => str_method(name, recv, args),
        tid::SYM => match name {
            "to_sym" => Ok(recv),
            "to_proc" => no_method(name, recv),
            "length" | "size" => Ok(new_int(to_s(recv).chars().count() as i64)),
            "<=>" if args.len() == 1 && args[0].tid() == tid::SYM => {
                Ok(cmp_result("<=>", to_s(recv).cmp(&to_s(args[0]))))
            }
            _ => no_method(name, recv),
        },
        tid::ARR => arr_method(name, recv, args),
        tid::HASH => hash_method(name, recv, args),
        tid::RANGE => range_method(name, recv, args),
        tid::NIL => match name {
            "to_a" => Ok(new_array(&[])),
            "to_i" => Ok(new_int(0)),
            "&" => Ok(boolean(false)),
            _ => no_method(name, recv),
        },
        tid::EXC => match name {
            "message" => Ok(getr(recv, &exc_obj::msg)),
            "backtrace" => Ok(getr(recv, &exc_obj::bt)),
            _ => no_method(name, recv),
        },
        _ => no_method(name, recv),
    }
}

fn is_num(v: GcRef) -> bool {
    matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT)
}
fn is_imm(v: GcRef) -> bool {
    matches!(v.tid(), tid::INT | tid::SYM | tid::NIL | tid::TRUE | tid::FALSE)
}

fn num_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    if args.len() == 1 {
        if let "+" | "-" | "*" | "/" | "%" | "**" | "<" | "<=" | ">" | ">=" | "==" | "!="
        | "<=>" | "div" | "modulo" = name
        {
            if name == "div" && args[0].tid() == tid::FLOAT {
                return Ok(new_int(
                    (to_f(recv) / to_f(args[0])).floor() as i64,
                ));
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

fn str_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let s = str_of(recv);
    let a1 = args.first().copied();
    match (name, a1) {
        ("+", Some(a)) => Ok(new_str(&(s + &str_arg(a)?))),
        ("<<" | "concat", Some(a)) => {
            let t = if is_int(a) {
                char::from_u32(int_arg(a)? as u32).unwrap_or('?').to_string()
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
            let t: String = s.trim_start().chars().enumerate()
                .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+')) || *c == '_')
                .map(|(_, c)| c).filter(|c| *c != '_').collect();
            Ok(new_bigint(&t.parse::<BigInt>().unwrap_or_default()))
        }
        ("to_f", None) => {
            let t: String = s.trim_start().chars().enumerate()
                .take_while(|(i, c)| c.is_ascii_digit() || *c == '.' || *c == 'e' || (*i == 0 && *c == '-'))
                .map(|(_, c)| c).collect();
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
                return Ok(new_str(&chars[st as usize..e as usize].iter().collect::<String>()));
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

fn arr_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
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
            Ok(norm_index(i, items.len()).map(|i| items[i]).unwrap_or_else(nil))
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
        ("count", Some(a)) => Ok(new_int(items.iter().filter(|x| equal(**x, a)).count() as i64)),
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

fn sort_cmp(a: GcRef, b: GcRef) -> Result<std::cmp::Ordering, RbErr> {
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
            format!("comparison of {} with {} failed", class_name(a), inspect_or_class(b)),
        );
    }
    Ok(geti(r, &int_obj::v).cmp(&0))
}

fn hash_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let a1 = args.first().copied();
    match (name, a1) {
        ("[]", Some(k)) => Ok(hash_get(recv, k).unwrap_or_else(nil)),
        ("[]=" | "store", Some(k)) if args.len() == 2 => {
            hash_set(recv, k, args[1]);
            Ok(args[1])
        }
        ("fetch", Some(k)) => match hash_get(recv, k) {
            Some(v) => Ok(v),
            None => match args.get(1) {
                Some(d) => Ok(*d),
                None => err("KeyError", format!("key not found: {}", inspect(k))),
            },
        },
        ("key?" | "has_key?" | "include?" | "member?", Some(k)) => {
            Ok(boolean(hash_find(recv, k).is_some()))
        }
        ("size" | "length" | "count", None) => Ok(new_int(hash_entries(recv).0.len() as i64)),
        ("empty?", None) => Ok(boolean(hash_entries(recv).0.is_empty())),
        ("keys", None) => Ok(new_array(&hash_entries(recv).0)),
        ("values", None) => Ok(new_array(&hash_entries(recv).1)),
        ("to_a", None) => {
            let (k, v) = hash_entries(recv);
            let pairs: Vec<GcRef> = k
                .into_iter()
                .zip(v)
                .map(|(k, v)| new_array(&[k, v]))
                .collect();
            Ok(new_array(&pairs))
        }
        ("delete", Some(k)) => match hash_find(recv, k) {
            Some(i) => {
                let (mut ks, mut vs) = hash_entries(recv);
                ks.remove(i);
                let v = vs.remove(i);
                array_set_items(getr(recv, &hash_obj::keys), &ks);
                array_set_items(getr(recv, &hash_obj::vals), &vs);
                Ok(v)
            }
            None => Ok(nil()),
        },
        _ => no_method(name, recv),
    }
}

fn range_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
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

fn send_impl(sym: i64, recv: GcRef, args: GcRef, fcall: bool) -> GcRef {
    let name = sym_name(sym as usize);
    let args = array_items(args);
    let r = if fcall {
        match kernel(&name, &args) {
            Some(r) => r,
            None => {
                let desc = if recv.tid() == tid::NIL {
                    "nil".to_string()
                } else {
                    "main:Object".to_string()
                };
                if args.is_empty() {
                    err(
                        "NameError",
                        format!("undefined local variable or method `{name}' for {desc}"),
                    )
                } else {
                    err("NoMethodError", format!("undefined method `{name}' for {desc}"))
                }
            }
        }
    } else {
        call_method(&name, recv, &args)
    };
    match r {
        Ok(v) if v.is_null() => v, // `raise` left its exception
        Ok(v) => v,
        Err((c, m)) => fail(new_exc(&c, &m)),
    }
}

extern "C" fn rb_send(sym: i64, recv: GcRef, args: GcRef) -> GcRef {
    send_impl(sym, recv, args, false)
}
extern "C" fn rb_fcall(sym: i64, recv: GcRef, args: GcRef) -> GcRef {
    send_impl(sym, recv, args, true)
}
metatrace::residual!(
    /// A method of a builtin value: the result, or null with the exception
    /// left for `TAKE_ERROR`.
    pub static SEND = fn rb_send(sym: i64, recv: GcRef, args: GcRef) -> GcRef, EffectInfo::RESIDUAL);
metatrace::residual!(
    /// A receiver-less call of a Kernel method (`puts`, `raise`, ...).
    pub static FCALL = fn rb_fcall(sym: i64, recv: GcRef, args: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_num_slow(sym: i64, a: GcRef, b: GcRef) -> GcRef {
    match num_binop(&sym_name(sym as usize), a, b) {
        Ok(v) => v,
        Err((c, m)) => fail(new_exc(&c, &m)),
    }
}
metatrace::residual!(
    /// An Integer/Float operator off the traced fast path (overflow into
    /// big ints, mixed operands, division).
    pub static NUM_SLOW = fn rb_num_slow(sym: i64, a: GcRef, b: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_str_dup(s: GcRef) -> GcRef {
    new_str(&str_of(s))
}
metatrace::residual!(pub static STR_DUP = fn rb_str_dup(s: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_concat(parts: GcRef) -> GcRef {
    let s: String = array_items(parts).into_iter().map(to_s).collect();
    new_str(&s)
}
metatrace::residual!(
    /// String interpolation: the pieces' `to_s`, joined.
    pub static CONCAT = fn rb_concat(parts: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_new_hash(pairs: GcRef) -> GcRef {
    let h = new_hash();
    let items = array_items(pairs);
    for kv in items.chunks(2) {
        hash_set(h, kv[0], kv[1]);
    }
    h
}
metatrace::residual!(pub static NEW_HASH = fn rb_new_hash(pairs: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_new_range(lo: GcRef, hi: GcRef, excl: i64) -> GcRef {
    new_range(lo, hi, excl != 0)
}
metatrace::residual!(pub static NEW_RANGE = fn rb_new_range(lo: GcRef, hi: GcRef, excl: i64) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_bt_push(exc: GcRef, loc: GcRef) {
    if exc.tid() == tid::EXC {
        array_push(getr(exc, &exc_obj::bt), new_str(&str_of(loc)));
    }
}
metatrace::residual!(
    /// Appends a `file:line:in 'name'` entry to an exception's backtrace.
    pub static BT_PUSH = fn rb_bt_push(exc: GcRef, loc: GcRef), EffectInfo::RESIDUAL);

extern "C" fn rb_make_exc(cls: GcRef, msg: GcRef) -> GcRef {
    new_exc(&str_of(cls), &str_of(msg))
}
metatrace::residual!(pub static MAKE_EXC = fn rb_make_exc(cls: GcRef, msg: GcRef) -> GcRef, EffectInfo::RESIDUAL);

#[cfg(test)]
mod tests {
    use super::fmt_float;
    #[test]
    fn floats_print_as_cruby() {
        assert_eq!(fmt_float(1.0), "1.0");
        assert_eq!(fmt_float(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(fmt_float(1e20), "1.0e+20");
        assert_eq!(fmt_float(1e15), "1000000000000000.0");
        assert_eq!(fmt_float(1e16), "1.0e+16");
        assert_eq!(fmt_float(0.0001), "0.0001");
        assert_eq!(fmt_float(0.00001), "1.0e-05");
        assert_eq!(fmt_float(-2.5), "-2.5");
        assert_eq!(fmt_float(123.456), "123.456");
    }
}
