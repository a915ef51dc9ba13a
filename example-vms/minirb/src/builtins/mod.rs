//! The builtin methods (residual calls from the interpreter): `Kernel`,
//! `Module`/`Class`, and the core classes' methods that need guest code
//! (`to_s`/`inspect`/`==` of user objects, blocks given to builtins). The
//! guest-free part of numbers, strings, arrays and ranges is in `prim`.
//!
//! Owns: [`BUILTIN`] (the generic residual send: a null result means an
//! exception, left in a rooted slot for [`TAKE_ERROR`]; the undef marker
//! means "no such method"), CRuby's formatting of values, `format`, and
//! the output buffer.

use crate::hash;
use crate::interp::{guest_call, guest_yield, guest_yield_self};
use crate::objects::{self, cls, *};
use crate::prim::{self, *};
use crate::residuals::{DEFAULT_VIS, MODULE_FUNCTION};
use metatrace::heap::roots::Handle;
use metatrace::heap::{self, GcRef};
use metatrace::ir::EffectInfo;
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};
use std::cell::RefCell;
use std::io::Write;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static ERROR: RefCell<Option<Handle>> = const { RefCell::new(None) };
    static RNG: std::cell::Cell<u64> = const { std::cell::Cell::new(0x2545F4914F6CDD1D) };
    pub static ARGV: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    pub static LOADED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static START: std::time::Instant = std::time::Instant::now();
    /// When set (`capture_output`), program output and error messages are
    /// collected here instead of written to the process's stdout/stderr.
    static CAPTURE: RefCell<Option<(Vec<u8>, String)>> = const { RefCell::new(None) };
}

/// Collects this thread's program output and error messages in memory
/// from now on (in-process test harnesses); `take_captured` returns them.
pub fn capture_output() {
    CAPTURE.with(|c| *c.borrow_mut() = Some((Vec::new(), String::new())));
}

/// What was captured since `capture_output`: (stdout bytes, stderr text).
pub fn take_captured() -> (Vec<u8>, String) {
    flush_out();
    CAPTURE.with(|c| c.borrow_mut().take().unwrap_or_default())
}

/// Writes an error message (stderr, or the capture buffer).
pub fn write_err(s: &str) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((_, e)) => {
            e.push_str(s);
            true
        }
        None => false,
    });
    if !captured {
        eprint!("{s}");
    }
}

fn emit_out(o: &[u8]) {
    let captured = CAPTURE.with(|c| match c.borrow_mut().as_mut() {
        Some((out, _)) => {
            out.extend_from_slice(o);
            true
        }
        None => false,
    });
    if !captured {
        let _ = std::io::stdout().write_all(o);
    }
}

/// Writes program output (buffered).
pub fn write_out(b: &[u8]) {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        o.extend_from_slice(b);
        if o.len() > 1 << 16 {
            emit_out(&o);
            o.clear();
        }
    });
}
pub fn flush_out() {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        emit_out(&o);
        let _ = std::io::stdout().flush();
        o.clear();
    });
}
pub fn shutdown() {
    ERROR.with(|s| std::mem::forget(s.borrow_mut().take()));
}

pub type RbErr = GcRef;
pub type RbRes = Result<GcRef, GcRef>;

pub fn err<T>(cls_name: &str, msg: impl Into<String>) -> Result<T, GcRef> {
    Err(new_exc_named(cls_name, &msg.into()))
}

/// Stores `e` for `TAKE_ERROR` and returns the null that signals it.
pub fn fail(e: GcRef) -> GcRef {
    ERROR.with(|s| *s.borrow_mut() = Some(Handle::new(e)));
    GcRef::NULL
}

extern "C" fn rb_take_error() -> GcRef {
    ERROR
        .with(|s| s.borrow_mut().take())
        .map(|h| h.get())
        .unwrap_or_else(|| new_exc_named("RuntimeError", "unknown error"))
}
metatrace::residual!(pub static TAKE_ERROR = fn rb_take_error() -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_builtin(sym: i64, recv: GcRef, args: GcRef, blk: GcRef, fcall: i64) -> GcRef {
    let name = sym_name(sym as usize);
    let args = array_items(args);
    match dispatch(&name, recv, &args, blk, fcall != 0) {
        Ok(v) => v,
        Err(e) => fail(e),
    }
}
metatrace::residual!(
    /// `recv.sym(*args, &blk)` for builtin methods (may run guest code).
    pub static BUILTIN = fn rb_builtin(sym: i64, recv: GcRef, args: GcRef, blk: GcRef, fcall: i64) -> GcRef,
    EffectInfo::MAY_FORCE);
metatrace::residual!(
    /// The same, for methods that never run guest code.
    pub static BUILTIN_PURE = fn rb_builtin(sym: i64, recv: GcRef, args: GcRef, blk: GcRef, fcall: i64) -> GcRef,
    EffectInfo::RESIDUAL);

/// Whether a Comparable/Enumerable method found for builtin class `c` is
/// better answered by the builtin of the same name.
pub fn native_shadow(c: usize, name: &str) -> bool {
    match c {
        cls::INTEGER | cls::FLOAT | cls::STRING => {
            matches!(name, "<" | "<=" | ">" | ">=" | "==" | "between?" | "clamp")
        }
        cls::ARRAY => matches!(
            name,
            "first" | "take" | "include?" | "member?" | "sort" | "to_a" | "entries"
        ),
        cls::HASH => matches!(name, "include?" | "member?" | "to_a" | "first" | "sort"),
        cls::RANGE => matches!(
            name,
            "first" | "to_a" | "entries" | "include?" | "member?" | "min" | "max"
        ),
        _ => false,
    }
}

/// Whether builtin `name` runs no guest code (plain residual call).
pub fn is_pure(name: &str) -> bool {
    matches!(
        name,
        "push"
            | "<<"
            | "pop"
            | "shift"
            | "unshift"
            | "empty?"
            | "first"
            | "last"
            | "concat"
            | "size"
            | "length"
            | "clear"
            | "insert"
            | "upcase"
            | "downcase"
            | "strip"
            | "to_sym"
            | "to_i"
            | "to_f"
            | "chr"
            | "ord"
            | "abs"
            | "floor"
            | "ceil"
            | "sqrt"
            | "sin"
            | "cos"
            | "atan2"
            | "-@"
            | "/"
            | "%"
            | "**"
            | ">>"
            | "|"
            | "^"
            | "nanosecond"
            | "clock_gettime"
            | "even?"
            | "odd?"
            | "zero?"
    )
}

// ---- guest calls from builtins ------------------------------------------

/// `recv.name(*args)` as guest code.
pub fn gcall(recv: GcRef, name: &str, args: Vec<GcRef>) -> RbRes {
    gcall_blk(recv, name, args, nil())
}
pub fn gcall_blk(recv: GcRef, name: &str, args: Vec<GcRef>, blk: GcRef) -> RbRes {
    match guest_call(recv, sym_id(name), args, blk) {
        Some(r) => r,
        None => err("RuntimeError", "minirb: guest call from a plain builtin"),
    }
}
/// Runs block `blk` with `args`.
pub fn gyield(blk: GcRef, args: Vec<GcRef>) -> RbRes {
    if blk.tid() != tid::PROC {
        return err("LocalJumpError", "no block given (yield)");
    }
    match guest_yield(blk, args) {
        Some(r) => r,
        None => err("RuntimeError", "minirb: guest call from a plain builtin"),
    }
}
fn user_defined(v: GcRef, name: &str) -> bool {
    lookup(class_of(v), sym_id(name)).is_some()
}

// ---- formatting -------------------------------------------------------------

/// The class name of a value.
pub fn class_name(v: GcRef) -> String {
    class_name_of(real_class_of(v))
}

pub fn default_to_s(v: GcRef) -> String {
    match v.tid() {
        tid::OBJ => {
            let c = real_class_of(v);
            if v == main_obj() {
                return "main".into();
            }
            if is_a(v, cls::EXCEPTION) {
                return exc_message_plain(v);
            }
            format!("#<{}>", class_name_of(c))
        }
        _ => to_s_plain(v),
    }
}

fn main_obj() -> GcRef {
    MAIN.with(|m| m.get())
}
thread_local! {
    static MAIN: std::cell::Cell<GcRef> = const { std::cell::Cell::new(GcRef::NULL) };
}
pub fn set_main(m: GcRef) {
    MAIN.with(|c| c.set(m));
}

fn exc_message_plain(e: GcRef) -> String {
    let m = ivar_get(e, sym_id("@message"));
    if m.tid() == tid::NIL {
        class_name(e)
    } else {
        to_s_plain(m)
    }
}

/// `to_s` without guest code.
pub fn to_s_plain(v: GcRef) -> String {
    match v.tid() {
        tid::INT => geti(v, &int_obj::v).to_string(),
        tid::BIG => big_of(v).to_string(),
        tid::FLOAT => fmt_float(float_of(v)),
        tid::NIL => String::new(),
        tid::TRUE => "true".into(),
        tid::FALSE => "false".into(),
        tid::STR => str_of(v),
        tid::SYM => sym_name(geti(v, &sym_obj::id) as usize),
        tid::ARR | tid::HASH => inspect(v),
        tid::RANGE => {
            let (lo, hi, ex) = range_parts(v);
            format!("{}{}{}", to_s(lo), if ex { "..." } else { ".." }, to_s(hi))
        }
        tid::CLASS => {
            let c = class_id(v);
            if is_singleton(c) {
                return format!("#<Class:{}>", class_name_of(class_sup(c).unwrap_or(0)));
            }
            class_name_of(c)
        }
        tid::PROC => {
            if geti(v, &proc_obj::lambda) != 0 {
                "#<Proc:0x0001 (lambda)>".into()
            } else {
                "#<Proc:0x0001>".into()
            }
        }
        tid::OBJ => default_to_s(v),
        tid::METH => format!("#<Method: {}>", sym_name(geti(v, &meth_obj::sym) as usize)),
        _ => "#<Object>".into(),
    }
}

/// `to_s` (a user `to_s` is called).
pub fn to_s(v: GcRef) -> String {
    if v.tid() == tid::STR {
        return str_of(v);
    }
    if (v.tid() == tid::OBJ || v.tid() == tid::CLASS) && user_defined(v, "to_s") {
        if let Ok(r) = gcall(v, "to_s", vec![]) {
            if r.tid() == tid::STR {
                return str_of(r);
            }
        }
        return default_to_s(v);
    }
    to_s_plain(v)
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
            let (k, vs) = hash::entries(v);
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
            let l = if lo.tid() == tid::NIL {
                String::new()
            } else {
                inspect(lo)
            };
            let h = if hi.tid() == tid::NIL {
                String::new()
            } else {
                inspect(hi)
            };
            format!("{l}{}{h}", if ex { "..." } else { ".." })
        }
        tid::OBJ => {
            if user_defined(v, "inspect") {
                if let Ok(r) = gcall(v, "inspect", vec![]) {
                    return to_s_plain(r);
                }
            }
            if is_a(v, cls::EXCEPTION) {
                let m = to_s(v);
                let c = class_name(v);
                if m.is_empty() {
                    return c;
                }
                return format!("#<{c}: {m}>");
            }
            let c = real_class_of(v);
            if let Some(members) = class_mut(c, |k| k.struct_members.clone()) {
                let parts: Vec<String> = members
                    .iter()
                    .map(|m| {
                        let n = sym_name(*m);
                        format!("{n}={}", inspect(ivar_get(v, sym_id(&format!("@{n}")))))
                    })
                    .collect();
                return format!("#<struct {} {}>", class_name_of(c), parts.join(", "));
            }
            if v == main_obj() {
                return "main".into();
            }
            let ivs = ivar_names(v);
            if ivs.is_empty() {
                return format!("#<{}>", class_name_of(c));
            }
            let parts: Vec<String> = ivs
                .iter()
                .filter(|s| !sym_name(**s).starts_with("@__"))
                .map(|s| format!("{}={}", sym_name(*s), inspect(ivar_get(v, *s))))
                .collect();
            format!("#<{} {}>", class_name_of(c), parts.join(", "))
        }
        tid::CLASS if user_defined(v, "inspect") => match gcall(v, "inspect", vec![]) {
            Ok(r) => to_s_plain(r),
            Err(_) => to_s_plain(v),
        },
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

/// `==` (a user `==` is called).
pub fn equal(a: GcRef, b: GcRef) -> bool {
    let num = |v: GcRef| matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT);
    if num(a) && num(b) {
        if a.tid() == tid::FLOAT || b.tid() == tid::FLOAT {
            return prim::to_f(a) == prim::to_f(b);
        }
        return big_of(a) == big_of(b);
    }
    if a.tid() == tid::OBJ {
        if a == b {
            return true;
        }
        if user_defined(a, "==") {
            return matches!(gcall(a, "==", vec![b]), Ok(v) if truthy(v));
        }
        return false;
    }
    if a.tid() != b.tid() {
        return false;
    }
    match a.tid() {
        tid::STR => str_bytes(a) == str_bytes(b),
        tid::SYM => geti(a, &sym_obj::id) == geti(b, &sym_obj::id),
        tid::ARR => {
            let (x, y) = (array_items(a), array_items(b));
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(*p, *q))
        }
        tid::HASH => {
            let (ka, va) = hash::entries(a);
            ka.len() == hash::len(b)
                && ka
                    .iter()
                    .zip(va.iter())
                    .all(|(k, v)| hash::get(b, *k).is_some_and(|w| equal(*v, w)))
        }
        tid::RANGE => {
            let (l1, h1, e1) = range_parts(a);
            let (l2, h2, e2) = range_parts(b);
            e1 == e2 && equal(l1, l2) && equal(h1, h2)
        }
        _ => a == b,
    }
}

/// `eql?` (hash keys).
pub fn eql(a: GcRef, b: GcRef) -> bool {
    hash::key_eql(a, b)
}

pub fn no_method(_name: &str, _recv: GcRef) -> RbRes {
    Ok(undef())
}

/// How NoMethodError describes a receiver (CRuby 3.1).
pub fn no_method_desc(recv: GcRef) -> String {
    match recv.tid() {
        tid::NIL => "nil:NilClass".to_string(),
        tid::TRUE => "true:TrueClass".into(),
        tid::FALSE => "false:FalseClass".into(),
        tid::OBJ if recv == main_obj() => "main:Object".into(),
        tid::OBJ => format!("an instance of {}", class_name(recv)),
        tid::CLASS => {
            let c = class_id(recv);
            format!(
                "{}:{}",
                class_name_of(c),
                if is_module(c) { "Module" } else { "Class" }
            )
        }
        _ => format!("{}:{}", inspect(recv), class_name(recv)),
    }
}

pub fn frozen_error(o: GcRef) -> GcRef {
    new_exc_named(
        "FrozenError",
        &format!("can't modify frozen {}: {}", class_name(o), inspect(o)),
    )
}

/// The singleton class of `o` (created on first use).
pub fn singleton_class_of(o: GcRef) -> usize {
    match o.tid() {
        tid::CLASS => meta_of(class_id(o)),
        tid::OBJ => {
            let c = geti(o, &obj_obj::cls) as usize;
            if is_singleton(c) {
                return c;
            }
            let s = new_singleton(c, o);
            seti(o, &obj_obj::cls, s as i64);
            s
        }
        _ => class_of(o),
    }
}

pub fn method_to_proc(m: GcRef) -> GcRef {
    // A lambda calling the method: `method(:x).to_proc` via a prelude helper.
    let recv = getr(m, &meth_obj::recv);
    let s = geti(m, &meth_obj::sym);
    let p = heap::new_struct(&proc_obj::SIZE);
    seti(p, &proc_obj::code, -2);
    seti(p, &proc_obj::sym, s);
    setr(p, &proc_obj::self_, recv);
    setr(p, &proc_obj::env, nil());
    setr(p, &proc_obj::blk, nil());
    setr(p, &proc_obj::home, nil());
    seti(p, &proc_obj::lambda, 1);
    p
}

/// The items a splat of `v` spreads.
pub fn splat_items(v: GcRef) -> Vec<GcRef> {
    match v.tid() {
        tid::ARR => array_items(v),
        tid::NIL => Vec::new(),
        tid::HASH => {
            let (k, vs) = hash::entries(v);
            k.into_iter()
                .zip(vs)
                .map(|(k, v)| new_array(&[k, v]))
                .collect()
        }
        tid::RANGE => match prim::range_method("to_a", v, &[]) {
            Ok(a) if a.tid() == tid::ARR => array_items(a),
            _ => vec![v],
        },
        _ => vec![v],
    }
}

fn rand_next() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.set(x);
        x
    })
}

// ---- dispatch ----------------------------------------------------------------

fn dispatch(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef, fcall: bool) -> RbRes {
    let name = match name.strip_prefix("__") {
        Some(n) if matches!(n, "sum" | "fill" | "min" | "max" | "uniq" | "zip") => n,
        _ => name,
    };
    let r = match recv.tid() {
        tid::INT | tid::BIG | tid::FLOAT => numeric(name, recv, args)?,
        tid::STR => string(name, recv, args, blk)?,
        tid::SYM => symbol(name, recv, args)?,
        tid::ARR => array(name, recv, args, blk)?,
        tid::HASH => hash_m(name, recv, args, blk)?,
        tid::RANGE => prim::range_method(name, recv, args)?,
        tid::CLASS => module_m(name, recv, args, blk)?,
        tid::PROC => proc_m(name, recv, args, blk)?,
        tid::METH => meth_m(name, recv, args, blk)?,
        tid::NIL | tid::TRUE | tid::FALSE => nil_m(name, recv, args)?,
        tid::OBJ => obj_m(name, recv, args, blk)?,
        _ => undef(),
    };
    if r.tid() != tid::UNDEF {
        return Ok(r);
    }
    kernel(name, recv, args, blk, fcall)
}

fn numeric(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    match (name, args.len()) {
        ("hash", 0) => return Ok(new_int(hash::key_hash(recv))),
        ("inspect" | "to_s", 0) => return Ok(new_str(&to_s_plain(recv))),
        ("coerce", 1) => return Ok(new_array(&[args[0], recv])),
        ("fdiv", 1) => return Ok(new_float(prim::to_f(recv) / prim::to_f(args[0]))),
        ("quo", 1) => return Ok(new_float(prim::to_f(recv) / prim::to_f(args[0]))),
        ("infinite?", 0) if recv.tid() == tid::FLOAT => {
            let f = float_of(recv);
            return Ok(if f.is_infinite() {
                new_int(if f > 0.0 { 1 } else { -1 })
            } else {
                nil()
            });
        }
        ("finite?", 0) => {
            return Ok(boolean(
                recv.tid() != tid::FLOAT || float_of(recv).is_finite(),
            ))
        }
        ("positive?", 0) => return Ok(boolean(prim::to_f(recv) > 0.0)),
        ("negative?", 0) => return Ok(boolean(prim::to_f(recv) < 0.0)),
        ("nonzero?", 0) => return Ok(if prim::to_f(recv) == 0.0 { nil() } else { recv }),
        ("bit_length", 0) if recv.tid() == tid::INT => {
            let v = geti(recv, &int_obj::v);
            let v = if v < 0 { !v } else { v };
            return Ok(new_int(64 - v.leading_zeros() as i64));
        }
        ("[]", 1) if prim::is_int(recv) => {
            let b = prim::int_arg(args[0])?;
            let v = big_of(recv);
            return Ok(new_int(
                ((v >> b.max(0) as usize) & BigInt::from(1))
                    .to_i64()
                    .unwrap_or(0),
            ));
        }
        ("~", 0) if prim::is_int(recv) => return Ok(new_bigint(&(-big_of(recv) - 1))),
        ("gcd" | "lcm", 1) if prim::is_int(recv) => {
            use num_integer::Integer;
            let (a, b) = (big_of(recv), big_of(args[0]));
            return Ok(new_bigint(&if name == "gcd" {
                a.gcd(&b)
            } else {
                a.lcm(&b)
            }));
        }
        ("pow", 2) => {
            let (b, e, m) = (big_of(recv), big_of(args[0]), big_of(args[1]));
            return Ok(new_bigint(&b.modpow(&e, &m)));
        }
        ("pow", 1) => return prim::num_binop("**", recv, args[0]),
        ("digits", 0) => {
            let mut v = big_of(recv).abs();
            let mut out = Vec::new();
            let ten = BigInt::from(10);
            if v.is_zero() {
                out.push(new_int(0));
            }
            while !v.is_zero() {
                out.push(new_bigint(&(&v % &ten)));
                v /= &ten;
            }
            return Ok(new_array(&out));
        }
        ("between?", 2) => {
            let a = truthy(prim::num_binop(">=", recv, args[0])?);
            let b = truthy(prim::num_binop("<=", recv, args[1])?);
            return Ok(boolean(a && b));
        }
        ("clamp", 2) => {
            if truthy(prim::num_binop("<", recv, args[0])?) {
                return Ok(args[0]);
            }
            if truthy(prim::num_binop(">", recv, args[1])?) {
                return Ok(args[1]);
            }
            return Ok(recv);
        }
        ("round", _) if recv.tid() == tid::FLOAT => return float_round(recv, args),
        ("round", 1) if prim::is_int(recv) => {
            let d = prim::int_arg(args[0])?;
            if d >= 0 {
                return Ok(recv);
            }
            let m = BigInt::from(10).pow((-d) as u32);
            let v = big_of(recv);
            let h = &m / 2;
            let r: BigInt = if v.is_negative() {
                let t: BigInt = (-&v + &h) / &m;
                -(t * &m)
            } else {
                let t: BigInt = (&v + &h) / &m;
                t * &m
            };
            return Ok(new_bigint(&r));
        }
        ("dup" | "clone" | "freeze" | "itself", 0) => return Ok(recv),
        ("equal?", 1) => return Ok(boolean(hash::key_eql(recv, args[0]))),
        ("frozen?", 0) => return Ok(boolean(true)),
        ("size", 0) if prim::is_int(recv) => return Ok(new_int(8)),
        ("===" | "eql?", 1) if name == "eql?" => {
            return Ok(boolean(hash::key_eql(recv, args[0])));
        }
        ("===", 1) => return Ok(boolean(equal(recv, args[0]))),
        ("to_r" | "rationalize", _) => return Ok(undef()),
        ("integer?", 0) => return Ok(boolean(prim::is_int(recv))),
        ("to_c", _) => return Ok(undef()),
        _ => {}
    }
    if (name == "==" || name == "!=") && args.len() == 1 && !prim::is_num(args[0]) {
        let eq = if args[0].tid() == tid::OBJ && user_defined(args[0], "==") {
            truthy(gcall(args[0], "==", vec![recv])?)
        } else {
            false
        };
        return Ok(boolean(eq == (name == "==")));
    }
    if args.len() == 1
        && matches!(
            name,
            "+" | "-" | "*" | "/" | "<" | ">" | "<=" | ">=" | "<=>"
        )
        && args[0].tid() == tid::OBJ
        && user_defined(args[0], "coerce")
    {
        let pair = gcall(args[0], "coerce", vec![recv])?;
        let items = array_items(pair);
        if items.len() == 2 {
            return gcall(items[0], name, vec![items[1]]);
        }
    }
    prim::num_method(name, recv, args)
}

fn float_round(recv: GcRef, args: &[GcRef]) -> RbRes {
    let f = float_of(recv);
    let digits = match args.first() {
        Some(d) if d.tid() == tid::INT => prim::int_arg(*d)?,
        _ => 0,
    };
    if digits > 0 {
        if !f.is_finite() {
            return Ok(recv);
        }
        // Round half away from zero on the decimal representation.
        let s = format!("{:.*}", digits as usize + 3, f);
        let m = 10f64.powi(digits as i32);
        let r = (f * m).round() / m;
        let _ = s;
        return Ok(new_float(r));
    }
    if !f.is_finite() {
        return err("FloatDomainError", fmt_float(f));
    }
    let r = f.round();
    if digits < 0 {
        let m = 10f64.powi((-digits) as i32);
        return Ok(new_bigint(&BigInt::from(((f / m).round() * m) as i128)));
    }
    Ok(new_bigint(&BigInt::from(r as i128)))
}

fn symbol(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let s = sym_name(geti(recv, &sym_obj::id) as usize);
    Ok(match (name, args.len()) {
        ("to_sym", 0) => recv,
        ("to_s" | "id2name" | "name", 0) => new_str(&s),
        ("inspect", 0) => new_str(&inspect(recv)),
        ("to_proc", 0) => {
            let p = heap::new_struct(&proc_obj::SIZE);
            seti(p, &proc_obj::code, -1);
            seti(p, &proc_obj::sym, geti(recv, &sym_obj::id));
            seti(p, &proc_obj::lambda, 1);
            setr(p, &proc_obj::self_, nil());
            setr(p, &proc_obj::env, nil());
            setr(p, &proc_obj::blk, nil());
            setr(p, &proc_obj::home, nil());
            p
        }
        ("length" | "size", 0) => new_int(s.chars().count() as i64),
        ("upcase", 0) => sym(&s.to_uppercase()),
        ("downcase", 0) => sym(&s.to_lowercase()),
        ("<=>", 1) if args[0].tid() == tid::SYM => {
            let o = sym_name(geti(args[0], &sym_obj::id) as usize);
            new_int(s.cmp(&o) as i64)
        }
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("[]", _) => return prim::str_method("[]", new_str(&s), args),
        ("start_with?" | "end_with?", _) => return prim::str_method(name, new_str(&s), args),
        ("empty?", 0) => boolean(s.is_empty()),
        _ => undef(),
    })
}

fn check_frozen_str(s: GcRef) -> Result<(), GcRef> {
    if geti(s, &str_obj::frozen) != 0 {
        return Err(frozen_error(s));
    }
    Ok(())
}

fn string(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let a1 = args.first().copied();
    if matches!(
        name,
        "<<" | "concat"
            | "replace"
            | "insert"
            | "prepend"
            | "upcase!"
            | "downcase!"
            | "strip!"
            | "chomp!"
            | "[]="
            | "gsub!"
            | "sub!"
            | "reverse!"
            | "squeeze!"
            | "capitalize!"
            | "clear"
    ) {
        check_frozen_str(recv)?;
    }
    // ASCII fast paths (no decoding of the whole string, no copy of it).
    if matches!(name, "[]" | "size" | "length") && str_is_ascii(recv) {
        let n = str_byte_len(recv) as i64;
        let int = |v: &GcRef| (v.tid() == tid::INT).then(|| geti(*v, &int_obj::v));
        match (name, args) {
            ("size" | "length", []) => return Ok(new_int(n)),
            ("[]", [i]) if i.tid() == tid::INT => {
                return Ok(crate::residuals::str_slice_ascii(
                    recv,
                    int(i).unwrap_or(0),
                    1,
                    true,
                ));
            }
            ("[]", [i, l]) if i.tid() == tid::INT && l.tid() == tid::INT => {
                let (i, l) = (int(i).unwrap_or(0), int(l).unwrap_or(0));
                return Ok(crate::residuals::str_slice_ascii(recv, i, l, false));
            }
            ("[]", [r]) if r.tid() == tid::RANGE => {
                let (lo, hi) = (getr(*r, &range_obj::lo), getr(*r, &range_obj::hi));
                let excl = geti(*r, &range_obj::excl) != 0;
                let start = match lo.tid() {
                    tid::INT => Some(geti(lo, &int_obj::v)),
                    tid::NIL => Some(0),
                    _ => None,
                };
                let end = match hi.tid() {
                    tid::INT => Some(geti(hi, &int_obj::v)),
                    tid::NIL => Some(-1),
                    _ => None,
                };
                if let (Some(a), Some(b)) = (start, end) {
                    let a = if a < 0 { a + n } else { a };
                    let b = if b < 0 { b + n } else { b };
                    let excl = excl && hi.tid() != tid::NIL;
                    let len = (b - a + if excl { 0 } else { 1 }).max(0);
                    if a < 0 {
                        return Ok(nil());
                    }
                    return Ok(crate::residuals::str_slice_ascii(recv, a, len, false));
                }
            }
            _ => {}
        }
    }
    Ok(match (name, args.len()) {
        ("to_s" | "to_str", 0) => recv,
        ("inspect", 0) => new_str(&inspect(recv)),
        ("dump", 0) => new_str(&inspect(recv)),
        ("==" | "eql?" | "===", 1) => {
            boolean(a1.is_some_and(|a| a.tid() == tid::STR && str_bytes(a) == str_bytes(recv)))
        }
        ("!=", 1) => {
            boolean(!(a1.is_some_and(|a| a.tid() == tid::STR && str_bytes(a) == str_bytes(recv))))
        }
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("freeze", 0) => {
            seti(recv, &str_obj::frozen, 1);
            recv
        }
        ("frozen?", 0) => boolean(geti(recv, &str_obj::frozen) != 0),
        ("dup" | "+@" | "clone", 0) => new_str(&str_of(recv)),
        ("-@", 0) => recv,
        ("%", 1) => {
            let a = match a1 {
                Some(a) if a.tid() == tid::ARR => array_items(a),
                Some(a) => vec![a],
                None => vec![],
            };
            new_str(&format(&str_of(recv), &a)?)
        }
        ("each_char", 0) if blk.tid() == tid::PROC => {
            for c in str_of(recv).chars() {
                gyield(blk, vec![new_str(&c.to_string())])?;
            }
            recv
        }
        ("each_line" | "lines", 0) => {
            let s = str_of(recv);
            let lines: Vec<GcRef> = s.split_inclusive('\n').map(new_str).collect();
            if blk.tid() == tid::PROC {
                for l in lines {
                    gyield(blk, vec![l])?;
                }
                recv
            } else {
                new_array(&lines)
            }
        }
        ("replace", 1) => {
            set_str(recv, &prim::str_arg(args[0])?);
            recv
        }
        ("clear", 0) => {
            set_str(recv, "");
            recv
        }
        ("upcase!" | "downcase!" | "strip!" | "chomp!" | "reverse!" | "capitalize!", 0) => {
            let base = &name[..name.len() - 1];
            let r = prim::str_method(base, recv, args)?;
            let changed = str_of(r) != str_of(recv);
            set_str(recv, &str_of(r));
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("gsub!" | "sub!", 2) => {
            let r = prim::str_method(&name[..name.len() - 1], recv, args)?;
            let changed = str_of(r) != str_of(recv);
            set_str(recv, &str_of(r));
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("prepend", 1) => {
            set_str(recv, &(prim::str_arg(args[0])? + &str_of(recv)));
            recv
        }
        ("insert", 2) => {
            let mut chars: Vec<char> = str_of(recv).chars().collect();
            let i = prim::int_arg(args[0])?;
            let n = chars.len() as i64;
            let i = if i < 0 { i + n + 1 } else { i };
            if i < 0 || i > n {
                return err(
                    "IndexError",
                    format!("index {} out of string", prim::int_arg(args[0])?),
                );
            }
            let ins: Vec<char> = prim::str_arg(args[1])?.chars().collect();
            chars.splice(i as usize..i as usize, ins);
            set_str(recv, &chars.into_iter().collect::<String>());
            recv
        }
        ("[]=", 2) => {
            let mut chars: Vec<char> = str_of(recv).chars().collect();
            let v = prim::str_arg(args[1])?;
            if args[0].tid() == tid::STR {
                let s = str_of(recv);
                let pat = str_of(args[0]);
                if !s.contains(&pat) {
                    return err("IndexError", "string not matched");
                }
                set_str(recv, &s.replacen(&pat, &v, 1));
                return Ok(args[1]);
            }
            let i = prim::int_arg(args[0])?;
            let n = chars.len() as i64;
            let i = if i < 0 { i + n } else { i };
            if i < 0 || i >= n {
                return err(
                    "IndexError",
                    format!("index {} out of string", prim::int_arg(args[0])?),
                );
            }
            chars.splice(i as usize..i as usize + 1, v.chars());
            set_str(recv, &chars.into_iter().collect::<String>());
            args[1]
        }
        ("sub" | "gsub", 1) if blk.tid() == tid::PROC => {
            let s = str_of(recv);
            let pat = prim::str_arg(args[0])?;
            if pat.is_empty() {
                return Ok(recv);
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find(&pat) {
                out.push_str(&rest[..i]);
                let r = gyield(blk, vec![new_str(&pat)])?;
                out.push_str(&to_s(r));
                rest = &rest[i + pat.len()..];
                if name == "sub" {
                    break;
                }
            }
            out.push_str(rest);
            new_str(&out)
        }
        ("sub" | "gsub", 2) if args[1].tid() == tid::HASH => {
            let s = str_of(recv);
            let pat = prim::str_arg(args[0])?;
            let rep = hash::get(args[1], new_str(&pat))
                .map(to_s)
                .unwrap_or_default();
            new_str(&if name == "sub" {
                s.replacen(&pat, &rep, 1)
            } else {
                s.replace(&pat, &rep)
            })
        }
        ("tr", 2) => {
            let s = str_of(recv);
            let from = expand_tr(&prim::str_arg(args[0])?);
            let to = expand_tr(&prim::str_arg(args[1])?);
            let out: String = s
                .chars()
                .map(|c| match from.iter().position(|f| *f == c) {
                    Some(i) => *to.get(i).or(to.last()).unwrap_or(&c),
                    None => c,
                })
                .collect();
            new_str(&out)
        }
        ("delete", 1) => {
            let set = expand_tr(&prim::str_arg(args[0])?);
            new_str(
                &str_of(recv)
                    .chars()
                    .filter(|c| !set.contains(c))
                    .collect::<String>(),
            )
        }
        ("count", 1) => {
            let set = expand_tr(&prim::str_arg(args[0])?);
            new_int(str_of(recv).chars().filter(|c| set.contains(c)).count() as i64)
        }
        ("squeeze", 0) => {
            let mut out = String::new();
            for c in str_of(recv).chars() {
                if !out.ends_with(c) {
                    out.push(c);
                }
            }
            new_str(&out)
        }
        ("index" | "rindex", _) if !args.is_empty() => {
            let s = str_of(recv);
            let pat = prim::str_arg(args[0])?;
            let r = if name == "index" {
                let start = match args.get(1) {
                    Some(v) => prim::int_arg(*v)?.max(0) as usize,
                    None => 0,
                };
                let bstart = s.char_indices().nth(start).map_or(s.len(), |(b, _)| b);
                s[bstart..].find(&pat).map(|b| b + bstart)
            } else {
                s.rfind(&pat)
            };
            match r {
                Some(b) => new_int(s[..b].chars().count() as i64),
                None => nil(),
            }
        }
        ("slice", _) => return prim::str_method("[]", recv, args),
        ("lstrip", 0) => new_str(str_of(recv).trim_start()),
        ("rstrip", 0) => new_str(str_of(recv).trim_end()),
        ("chop", 0) => {
            let mut s = str_of(recv);
            s.pop();
            new_str(&s)
        }
        ("chomp", 1) => {
            let s = str_of(recv);
            let suf = prim::str_arg(args[0])?;
            new_str(s.strip_suffix(suf.as_str()).unwrap_or(&s))
        }
        ("swapcase", 0) => new_str(
            &str_of(recv)
                .chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().next().unwrap_or(c)
                    } else {
                        c.to_uppercase().next().unwrap_or(c)
                    }
                })
                .collect::<String>(),
        ),
        ("hex", 0) => new_bigint(
            &BigInt::parse_bytes(str_of(recv).trim_start_matches("0x").as_bytes(), 16)
                .unwrap_or_default(),
        ),
        ("oct", 0) => {
            new_bigint(&BigInt::parse_bytes(str_of(recv).as_bytes(), 8).unwrap_or_default())
        }
        ("succ" | "next", 0) => new_str(&str_succ(&str_of(recv))),
        ("casecmp", 1) => new_int(
            str_of(recv)
                .to_lowercase()
                .cmp(&prim::str_arg(args[0])?.to_lowercase()) as i64,
        ),
        ("casecmp?", 1) => {
            boolean(str_of(recv).to_lowercase() == prim::str_arg(args[0])?.to_lowercase())
        }
        ("encoding", 0) => new_str("UTF-8"),
        ("force_encoding" | "encode" | "unicode_normalize" | "b" | "scrub", _) => recv,
        ("valid_encoding?" | "ascii_only?", 0) => {
            boolean(str_of(recv).is_ascii() || name == "valid_encoding?")
        }
        ("each_byte", 0) if blk.tid() == tid::PROC => {
            for b in str_bytes(recv) {
                gyield(blk, vec![new_int(b as i64)])?;
            }
            recv
        }
        ("getbyte", 1) => {
            let b = str_bytes(recv);
            let i = prim::int_arg(args[0])?;
            let i = if i < 0 { i + b.len() as i64 } else { i };
            b.get(i as usize).map_or_else(nil, |c| new_int(*c as i64))
        }
        ("byteslice", _) => {
            let b = str_bytes(recv);
            let st = prim::int_arg(args[0])?.max(0) as usize;
            let n = match args.get(1) {
                Some(v) => prim::int_arg(*v)?.max(0) as usize,
                None => 1,
            };
            let e = (st + n).min(b.len());
            if st > b.len() {
                nil()
            } else {
                new_str(&String::from_utf8_lossy(&b[st..e]))
            }
        }
        ("unpack" | "unpack1" | "=~" | "match" | "match?" | "scan", _) => {
            return err(
                "NotImplementedError",
                format!("minirb does not support String#{name}"),
            );
        }
        ("split", 2) => {
            let r = prim::str_method("split", recv, &args[..1])?;
            let lim = prim::int_arg(args[1])?;
            if lim > 0 {
                let s = str_of(recv);
                let sep = prim::str_arg(args[0])?;
                let parts: Vec<GcRef> = s.splitn(lim as usize, sep.as_str()).map(new_str).collect();
                new_array(&parts)
            } else {
                r
            }
        }
        ("between?", 2) => {
            let s = str_bytes(recv);
            boolean(s >= str_bytes(args[0]) && s <= str_bytes(args[1]))
        }
        ("start_with?" | "end_with?", n) if n > 1 => {
            for a in args {
                if truthy(prim::str_method(name, recv, &[*a])?) {
                    return Ok(boolean(true));
                }
            }
            boolean(false)
        }
        ("center" | "ljust" | "rjust" | "+" | "*" | "<=>" | "<" | ">" | "<=" | ">=", _) => {
            return prim::str_method(name, recv, args)
        }
        ("to_i", 1) => {
            let base = prim::int_arg(args[0])? as u32;
            let s = str_of(recv);
            let t: String = s
                .trim()
                .chars()
                .take_while(|c| c.is_digit(base) || *c == '-')
                .collect();
            new_bigint(&BigInt::parse_bytes(t.as_bytes(), base).unwrap_or_default())
        }
        ("sum", _) => return Ok(undef()),
        _ => return prim::str_method(name, recv, args),
    })
}

fn expand_tr(s: &str) -> Vec<char> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if i + 2 < c.len() && c[i + 1] == '-' {
            let (a, b) = (c[i] as u32, c[i + 2] as u32);
            for x in a..=b {
                if let Some(ch) = char::from_u32(x) {
                    out.push(ch);
                }
            }
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn str_succ(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut c: Vec<char> = s.chars().collect();
    let mut i = c.len();
    loop {
        if i == 0 {
            let first = c[0];
            let ins = if first == '0' {
                '1'
            } else if first == 'a' {
                'a'
            } else {
                'A'
            };
            c.insert(0, ins);
            break;
        }
        i -= 1;
        match c[i] {
            'z' => c[i] = 'a',
            'Z' => c[i] = 'A',
            '9' => c[i] = '0',
            ch if ch.is_ascii_alphanumeric() => {
                c[i] = (ch as u8 + 1) as char;
                break;
            }
            ch => {
                c[i] = char::from_u32(ch as u32 + 1).unwrap_or(ch);
                break;
            }
        }
    }
    c.into_iter().collect()
}

fn check_frozen_arr(a: GcRef) -> Result<(), GcRef> {
    if geti(a, &arr_obj::frozen) != 0 {
        return Err(frozen_error(a));
    }
    Ok(())
}

/// `<=>` of two values for sorting (a user `<=>` is called).
pub fn compare(a: GcRef, b: GcRef) -> Result<std::cmp::Ordering, GcRef> {
    if a.tid() == tid::OBJ || b.tid() == tid::OBJ {
        let r = gcall(a, "<=>", vec![b])?;
        if r.tid() != tid::INT {
            return err(
                "ArgumentError",
                format!(
                    "comparison of {} with {} failed",
                    class_name(a),
                    prim::inspect_or_class(b)
                ),
            );
        }
        return Ok(geti(r, &int_obj::v).cmp(&0));
    }
    prim::sort_cmp(a, b)
}

fn sort_values(items: &mut [GcRef], blk: GcRef) -> Result<(), GcRef> {
    let mut e = None;
    let mut cmp = |a: &GcRef, b: &GcRef| {
        if e.is_some() {
            return std::cmp::Ordering::Equal;
        }
        let r = if blk.tid() == tid::PROC {
            gyield(blk, vec![*a, *b]).and_then(|r| {
                if r.tid() == tid::INT {
                    Ok(geti(r, &int_obj::v).cmp(&0))
                } else {
                    err(
                        "ArgumentError",
                        format!(
                            "comparison of {} with {} failed",
                            class_name(*a),
                            prim::inspect_or_class(*b)
                        ),
                    )
                }
            })
        } else {
            compare(*a, *b)
        };
        match r {
            Ok(o) => o,
            Err(x) => {
                e = Some(x);
                std::cmp::Ordering::Equal
            }
        }
    };
    // A merge sort that tolerates inconsistent comparisons.
    items.sort_by(&mut cmp);
    match e {
        Some(x) => Err(x),
        None => Ok(()),
    }
}

fn array(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let a1 = args.first().copied();
    let mutating = matches!(
        name,
        "<<" | "push"
            | "append"
            | "pop"
            | "shift"
            | "unshift"
            | "prepend"
            | "insert"
            | "[]="
            | "concat"
            | "delete"
            | "delete_at"
            | "clear"
            | "replace"
            | "fill"
            | "sort!"
            | "reverse!"
            | "map!"
            | "uniq!"
            | "compact!"
            | "flatten!"
            | "shuffle!"
            | "slice!"
            | "rotate!"
            | "sort_by!"
            | "select!"
            | "reject!"
            | "keep_if"
            | "delete_if"
            | "collect!"
            | "filter!"
    );
    if mutating {
        check_frozen_arr(recv)?;
    }
    let items = || array_items(recv);
    Ok(match (name, args.len()) {
        ("inspect" | "to_s", 0) => new_str(&inspect(recv)),
        ("==" | "eql?", 1) => boolean(equal(recv, args[0])),
        ("!=", 1) => boolean(!equal(recv, args[0])),
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("freeze", 0) => {
            seti(recv, &arr_obj::frozen, 1);
            recv
        }
        ("frozen?", 0) => boolean(geti(recv, &arr_obj::frozen) != 0),
        ("dup" | "clone" | "to_a" | "entries", 0) if name != "to_a" => new_array(&items()),
        ("to_a" | "entries", 0) => recv,
        ("append", _) => return array("push", recv, args, blk),
        ("prepend", _) => return array("unshift", recv, args, blk),
        ("pop" | "shift", 1) => {
            let mut it = items();
            let n = (prim::int_arg(args[0])?.max(0) as usize).min(it.len());
            let taken: Vec<GcRef> = if name == "pop" {
                it.split_off(it.len() - n)
            } else {
                it.drain(..n).collect()
            };
            array_set_items(recv, &it);
            new_array(&taken)
        }
        ("insert", _) if !args.is_empty() => {
            let mut it = items();
            let i = prim::int_arg(args[0])?;
            let n = it.len() as i64;
            let i = if i < 0 { i + n + 1 } else { i };
            if i < 0 {
                return err(
                    "IndexError",
                    format!("index {} too small for array; minimum: -{}", i - 1, n + 1),
                );
            }
            let i = i as usize;
            while it.len() < i {
                it.push(nil());
            }
            it.splice(i..i, args[1..].iter().copied());
            array_set_items(recv, &it);
            recv
        }
        ("concat", _) => {
            for a in args {
                for x in array_items(*a) {
                    array_push(recv, x);
                }
            }
            recv
        }
        ("replace", 1) => {
            array_set_items(recv, &array_items(args[0]));
            recv
        }
        ("delete", 1) => {
            let it = items();
            let mut found = None;
            let mut keep = Vec::new();
            for x in it {
                if equal(x, args[0]) {
                    found = Some(x);
                } else {
                    keep.push(x);
                }
            }
            array_set_items(recv, &keep);
            match found {
                Some(x) => x,
                None if blk.tid() == tid::PROC => gyield(blk, vec![args[0]])?,
                None => nil(),
            }
        }
        ("delete_at", 1) => {
            let mut it = items();
            let i = prim::int_arg(args[0])?;
            match prim::norm_index(i, it.len()) {
                Some(i) => {
                    let v = it.remove(i);
                    array_set_items(recv, &it);
                    v
                }
                None => nil(),
            }
        }
        ("slice!", _) => {
            let r = prim::arr_method("[]", recv, args)?;
            if r.tid() == tid::NIL {
                return Ok(r);
            }
            let mut it = items();
            if args.len() == 1 && args[0].tid() == tid::INT {
                if let Some(i) = prim::norm_index(prim::int_arg(args[0])?, it.len()) {
                    it.remove(i);
                }
            } else {
                let n = array_len(r);
                let st = if args[0].tid() == tid::RANGE {
                    prim::range_span(args[0], it.len())?.map_or(0, |x| x.0)
                } else {
                    let i = prim::int_arg(args[0])?;
                    (if i < 0 { i + it.len() as i64 } else { i }) as usize
                };
                it.drain(st..st + n);
            }
            array_set_items(recv, &it);
            r
        }
        ("compact!", 0) => {
            let it = items();
            let k: Vec<GcRef> = it.iter().copied().filter(|x| x.tid() != tid::NIL).collect();
            let changed = k.len() != it.len();
            array_set_items(recv, &k);
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("reverse!", 0) => {
            let mut it = items();
            it.reverse();
            array_set_items(recv, &it);
            recv
        }
        ("flatten!" | "uniq!", 0) => {
            let r = array(&name[..name.len() - 1], recv, args, blk)?;
            let changed = array_len(r) != array_len(recv);
            array_set_items(recv, &array_items(r));
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("flatten", 1) => {
            fn flat(v: GcRef, d: i64, out: &mut Vec<GcRef>) {
                for x in array_items(v) {
                    if x.tid() == tid::ARR && d != 0 {
                        flat(x, d - 1, out)
                    } else {
                        out.push(x)
                    }
                }
            }
            let mut out = Vec::new();
            flat(recv, prim::int_arg(args[0])?, &mut out);
            new_array(&out)
        }
        ("sort", 0) => {
            let mut it = items();
            sort_values(&mut it, blk)?;
            new_array(&it)
        }
        ("sort!", 0) => {
            let mut it = items();
            sort_values(&mut it, blk)?;
            array_set_items(recv, &it);
            recv
        }
        ("min" | "max", 0) if blk.tid() != tid::PROC => {
            let it = items();
            let mut best: Option<GcRef> = None;
            for x in it {
                best = Some(match best {
                    None => x,
                    Some(b) => {
                        let c = compare(x, b)?;
                        if (name == "min" && c.is_lt()) || (name == "max" && c.is_gt()) {
                            x
                        } else {
                            b
                        }
                    }
                });
            }
            best.unwrap_or_else(nil)
        }
        ("min" | "max", 1) if blk.tid() != tid::PROC => {
            let mut it = items();
            sort_values(&mut it, nil())?;
            if name == "max" {
                it.reverse();
            }
            let n = (prim::int_arg(args[0])?.max(0) as usize).min(it.len());
            new_array(&it[..n])
        }
        ("include?" | "member?", 1) => boolean(items().iter().any(|x| equal(*x, args[0]))),
        ("index" | "find_index", 1) => items()
            .iter()
            .position(|x| equal(*x, args[0]))
            .map_or_else(nil, |i| new_int(i as i64)),
        ("rindex", 1) => items()
            .iter()
            .rposition(|x| equal(*x, args[0]))
            .map_or_else(nil, |i| new_int(i as i64)),
        ("count", 1) => new_int(items().iter().filter(|x| equal(**x, args[0])).count() as i64),
        ("join", _) => {
            let sep = match a1 {
                Some(s) if s.tid() != tid::NIL => prim::str_arg(s)?,
                _ => String::new(),
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
            for x in items() {
                flat(x, &mut parts);
            }
            new_str(&parts.join(&sep))
        }
        ("-", 1) => {
            let other = array_items(args[0]);
            let mut it = items();
            it.retain(|x| !other.iter().any(|y| eql(*x, *y)));
            new_array(&it)
        }
        ("&", 1) => {
            let other = array_items(args[0]);
            let mut out: Vec<GcRef> = Vec::new();
            for x in items() {
                if other.iter().any(|y| eql(x, *y)) && !out.iter().any(|y| eql(x, *y)) {
                    out.push(x);
                }
            }
            new_array(&out)
        }
        ("|", 1) => {
            let mut out: Vec<GcRef> = Vec::new();
            for x in items().into_iter().chain(array_items(args[0])) {
                if !out.iter().any(|y| eql(x, *y)) {
                    out.push(x);
                }
            }
            new_array(&out)
        }
        ("uniq", 0) if blk.tid() != tid::PROC => {
            let mut out: Vec<GcRef> = Vec::new();
            let seen = hash::new_hash();
            for x in items() {
                if hash::get(seen, x).is_none() {
                    hash::set(seen, x, boolean(true));
                    out.push(x);
                }
            }
            new_array(&out)
        }
        ("<=>", 1) => {
            let (x, y) = (items(), array_items(args[0]));
            for (p, q) in x.iter().zip(y.iter()) {
                let c = compare(*p, *q)?;
                if c.is_ne() {
                    return Ok(new_int(c as i64));
                }
            }
            new_int(x.len().cmp(&y.len()) as i64)
        }
        ("assoc", 1) => items()
            .into_iter()
            .find(|x| x.tid() == tid::ARR && array_len(*x) > 0 && equal(array_get(*x, 0), args[0]))
            .unwrap_or_else(nil),
        ("values_at", _) => {
            let it = items();
            let mut out = Vec::new();
            for a in args {
                let i = prim::int_arg(*a)?;
                out.push(prim::norm_index(i, it.len()).map_or_else(nil, |i| it[i]));
            }
            new_array(&out)
        }
        ("dig", _) if !args.is_empty() => {
            let mut v = prim::arr_method("[]", recv, &args[..1])?;
            for a in &args[1..] {
                if v.tid() == tid::NIL {
                    break;
                }
                v = gcall(v, "[]", vec![*a])?;
            }
            v
        }
        ("rotate", _) => {
            let it = items();
            if it.is_empty() {
                return Ok(new_array(&[]));
            }
            let k = match a1 {
                Some(a) => prim::int_arg(a)?,
                None => 1,
            };
            let n = it.len() as i64;
            let k = ((k % n) + n) % n;
            let mut out = it[k as usize..].to_vec();
            out.extend_from_slice(&it[..k as usize]);
            new_array(&out)
        }
        ("transpose", 0) => {
            let rows: Vec<Vec<GcRef>> = items().into_iter().map(array_items).collect();
            if rows.is_empty() {
                return Ok(new_array(&[]));
            }
            let w = rows[0].len();
            let cols: Vec<GcRef> = (0..w)
                .map(|j| {
                    new_array(
                        &rows
                            .iter()
                            .map(|r| r.get(j).copied().unwrap_or_else(nil))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            new_array(&cols)
        }
        ("product", _) => {
            let mut acc: Vec<Vec<GcRef>> = items().into_iter().map(|x| vec![x]).collect();
            for a in args {
                let other = array_items(*a);
                let mut next = Vec::new();
                for p in &acc {
                    for o in &other {
                        let mut q = p.clone();
                        q.push(*o);
                        next.push(q);
                    }
                }
                acc = next;
            }
            new_array(&acc.iter().map(|r| new_array(r)).collect::<Vec<_>>())
        }
        ("sample", 0) => {
            let it = items();
            if it.is_empty() {
                nil()
            } else {
                it[(rand_next() % it.len() as u64) as usize]
            }
        }
        ("shuffle", 0) => {
            let mut it = items();
            for i in (1..it.len()).rev() {
                let j = (rand_next() % (i as u64 + 1)) as usize;
                it.swap(i, j);
            }
            new_array(&it)
        }
        ("fill", 1) if blk.tid() != tid::PROC => {
            let v = vec![args[0]; array_len(recv)];
            array_set_items(recv, &v);
            recv
        }
        ("fill", 3) => {
            let mut it = items();
            let st = prim::int_arg(args[1])?.max(0) as usize;
            let n = prim::int_arg(args[2])?.max(0) as usize;
            while it.len() < st + n {
                it.push(nil());
            }
            for x in it.iter_mut().skip(st).take(n) {
                *x = args[0];
            }
            array_set_items(recv, &it);
            recv
        }
        ("any?", 0) if blk.tid() != tid::PROC => boolean(items().iter().any(|x| truthy(*x))),
        ("all?", 0) if blk.tid() != tid::PROC => boolean(items().iter().all(|x| truthy(*x))),
        ("none?", 0) if blk.tid() != tid::PROC => boolean(!items().iter().any(|x| truthy(*x))),
        ("sum", 0) if blk.tid() != tid::PROC => {
            let mut acc = new_int(0);
            for x in items() {
                acc = if prim::is_num(acc) && prim::is_num(x) {
                    prim::num_binop("+", acc, x)?
                } else {
                    gcall(acc, "+", vec![x])?
                };
            }
            acc
        }
        ("sum", 1) if blk.tid() != tid::PROC => {
            let mut acc = args[0];
            for x in items() {
                acc = if prim::is_num(acc) && prim::is_num(x) {
                    prim::num_binop("+", acc, x)?
                } else {
                    gcall(acc, "+", vec![x])?
                };
            }
            acc
        }
        ("pack", _) => return err("NotImplementedError", "minirb does not support Array#pack"),
        ("<<", 1) | ("push", _) => {
            for a in args {
                array_push(recv, *a);
            }
            recv
        }
        (
            "first" | "last" | "size" | "length" | "empty?" | "pop" | "shift" | "unshift" | "[]"
            | "slice" | "[]=" | "take" | "drop" | "reverse" | "+" | "*" | "flatten" | "compact"
            | "zip" | "clear" | "count",
            _,
        ) if blk.tid() != tid::PROC || !matches!(name, "count" | "zip") => {
            return prim::arr_method(name, recv, args)
        }
        _ => undef(),
    })
}

fn hash_default(h: GcRef, k: GcRef) -> RbRes {
    let dp = getr(h, &hash_obj::default_proc);
    if dp.tid() == tid::PROC {
        return gyield(dp, vec![h, k]);
    }
    Ok(getr(h, &hash_obj::default))
}

fn hash_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let a1 = args.first().copied();
    if matches!(
        name,
        "[]=" | "store" | "delete" | "clear" | "merge!" | "update" | "default="
    ) && geti(recv, &hash_obj::frozen) != 0
    {
        return Err(frozen_error(recv));
    }
    Ok(match (name, args.len()) {
        ("[]", 1) => match hash::get(recv, args[0]) {
            Some(v) => v,
            None => hash_default(recv, args[0])?,
        },
        ("[]=" | "store", 2) => {
            hash::set(recv, args[0], args[1]);
            args[1]
        }
        ("fetch", _) if !args.is_empty() => match hash::get(recv, args[0]) {
            Some(v) => v,
            None => match (args.get(1), blk.tid()) {
                (_, tid::PROC) => gyield(blk, vec![args[0]])?,
                (Some(d), _) => *d,
                (None, _) => {
                    let e =
                        new_exc_named("KeyError", &format!("key not found: {}", inspect(args[0])));
                    ivar_set(e, sym_id("@key"), args[0]);
                    ivar_set(e, sym_id("@receiver"), recv);
                    return Err(e);
                }
            },
        },
        ("dig", _) if !args.is_empty() => {
            let mut v = hash::get(recv, args[0]).unwrap_or_else(nil);
            for a in &args[1..] {
                if v.tid() == tid::NIL {
                    break;
                }
                v = gcall(v, "[]", vec![*a])?;
            }
            v
        }
        ("key?" | "has_key?" | "include?" | "member?", 1) => {
            boolean(hash::find(recv, args[0]).is_some())
        }
        ("value?" | "has_value?", 1) => {
            boolean(hash::entries(recv).1.iter().any(|v| equal(*v, args[0])))
        }
        ("key", 1) => {
            let (k, v) = hash::entries(recv);
            v.iter()
                .position(|x| equal(*x, args[0]))
                .map_or_else(nil, |i| k[i])
        }
        ("size" | "length", 0) => new_int(hash::len(recv) as i64),
        ("count", 0) if blk.tid() != tid::PROC => new_int(hash::len(recv) as i64),
        ("empty?", 0) => boolean(hash::len(recv) == 0),
        ("keys", 0) => new_array(&hash::entries(recv).0),
        ("values", 0) => new_array(&hash::entries(recv).1),
        ("values_at", _) => new_array(
            &args
                .iter()
                .map(|k| hash::get(recv, *k).unwrap_or_else(nil))
                .collect::<Vec<_>>(),
        ),
        ("to_a", 0) => new_array(&splat_items(recv)),
        ("to_h", 0) if blk.tid() != tid::PROC => recv,
        ("to_s" | "inspect", 0) => new_str(&inspect(recv)),
        ("==" | "eql?", 1) => boolean(equal(recv, args[0])),
        ("!=", 1) => boolean(!equal(recv, args[0])),
        ("hash", 0) => new_int(hash::len(recv) as i64),
        ("delete", 1) => match hash::delete(recv, args[0]) {
            Some(v) => v,
            None if blk.tid() == tid::PROC => gyield(blk, vec![args[0]])?,
            None => nil(),
        },
        ("clear", 0) => {
            hash::clear(recv);
            recv
        }
        ("dup" | "clone", 0) => {
            let h = hash::new_hash();
            let (k, v) = hash::entries(recv);
            for (k, v) in k.into_iter().zip(v) {
                hash::set(h, k, v);
            }
            setr(h, &hash_obj::default, getr(recv, &hash_obj::default));
            setr(
                h,
                &hash_obj::default_proc,
                getr(recv, &hash_obj::default_proc),
            );
            h
        }
        ("merge" | "merge!" | "update", _) => {
            let h = if name == "merge" {
                hash_m("dup", recv, &[], nil())?
            } else {
                recv
            };
            for o in args {
                let (k, v) = hash::entries(*o);
                for (k, v) in k.into_iter().zip(v) {
                    let v = match hash::get(h, k) {
                        Some(old) if blk.tid() == tid::PROC => gyield(blk, vec![k, old, v])?,
                        _ => v,
                    };
                    hash::set(h, k, v);
                }
            }
            h
        }
        ("default", _) => getr(recv, &hash_obj::default),
        ("default=", 1) => {
            setr(recv, &hash_obj::default, args[0]);
            args[0]
        }
        ("invert", 0) => {
            let h = hash::new_hash();
            let (k, v) = hash::entries(recv);
            for (k, v) in k.into_iter().zip(v) {
                hash::set(h, v, k);
            }
            h
        }
        ("first", 0) => {
            let (k, v) = hash::entries(recv);
            if k.is_empty() {
                nil()
            } else {
                new_array(&[k[0], v[0]])
            }
        }
        ("freeze", 0) => {
            seti(recv, &hash_obj::frozen, 1);
            recv
        }
        ("frozen?", 0) => boolean(geti(recv, &hash_obj::frozen) != 0),
        ("compare_by_identity" | "rehash", 0) => recv,
        ("sort", 0) => {
            let mut it = splat_items(recv);
            sort_values(&mut it, blk)?;
            new_array(&it)
        }
        ("shift", 0) => {
            let (k, v) = hash::entries(recv);
            if k.is_empty() {
                nil()
            } else {
                hash::delete(recv, k[0]);
                new_array(&[k[0], v[0]])
            }
        }
        _ => {
            let _ = a1;
            undef()
        }
    })
}

fn proc_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    Ok(match (name, args.len()) {
        ("call" | "()" | "yield" | "[]" | "===", _) => {
            let code = geti(recv, &proc_obj::code);
            if code == -2 {
                let r = getr(recv, &proc_obj::self_);
                let s = sym_name(geti(recv, &proc_obj::sym) as usize);
                return gcall_blk(r, &s, args.to_vec(), blk);
            }
            gyield(recv, args.to_vec())?
        }
        ("to_proc", 0) => recv,
        ("lambda?", 0) => boolean(geti(recv, &proc_obj::lambda) != 0),
        ("arity", 0) => {
            let c = geti(recv, &proc_obj::code);
            if c < 0 {
                return Ok(new_int(-2));
            }
            let p = &crate::bytecode::code(c as usize).params;
            let req = (p.req.len() + p.post.len()) as i64;
            let lambda = geti(recv, &proc_obj::lambda) != 0;
            let _ = lambda;
            if p.rest.is_some() || !p.opt.is_empty() {
                new_int(-req - 1)
            } else {
                new_int(req)
            }
        }
        ("parameters", 0) => new_array(&[]),
        ("curry", _) => return err("NotImplementedError", "minirb does not support Proc#curry"),
        _ => undef(),
    })
}

fn meth_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let r = getr(recv, &meth_obj::recv);
    let s = sym_name(geti(recv, &meth_obj::sym) as usize);
    Ok(match name {
        "call" | "()" | "[]" | "===" => return gcall_blk(r, &s, args.to_vec(), blk),
        "to_proc" => method_to_proc(recv),
        "name" => sym(&s),
        "receiver" => r,
        "owner" => match lookup(class_of(r), sym_id(&s)) {
            Some((_, _, o)) => class_obj_of(o),
            None => class_obj_of(real_class_of(r)),
        },
        "arity" => match lookup(class_of(r), sym_id(&s)) {
            Some((Meth::Code(c), _, _)) => {
                let p = &crate::bytecode::code(c).params;
                let req = (p.req.len() + p.post.len()) as i64;
                if p.rest.is_some() || !p.opt.is_empty() {
                    new_int(-req - 1)
                } else {
                    new_int(req)
                }
            }
            _ => new_int(-1),
        },
        "unbind" => recv,
        _ => undef(),
    })
}

fn nil_m(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let b = recv.tid() == tid::TRUE;
    Ok(match (name, recv.tid(), args.len()) {
        ("to_s", _, 0) => new_str(&to_s_plain(recv)),
        ("inspect", _, 0) => new_str(&inspect(recv)),
        ("to_a", tid::NIL, 0) => new_array(&[]),
        ("to_h", tid::NIL, 0) => hash::new_hash(),
        ("to_i", tid::NIL, 0) => new_int(0),
        ("to_f", tid::NIL, 0) => new_float(0.0),
        ("&", _, 1) => boolean(b && truthy(args[0])),
        ("|", _, 1) => boolean(b || truthy(args[0])),
        ("^", _, 1) => boolean(b != truthy(args[0])),
        ("==" | "===" | "eql?" | "equal?", _, 1) => boolean(recv == args[0]),
        _ => undef(),
    })
}

/// Exception and Struct instances.
fn obj_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let _ = blk;
    if is_a(recv, cls::EXCEPTION) {
        let ms = sym_id("@message");
        return Ok(match (name, args.len()) {
            ("initialize", _) => {
                ivar_set(recv, ms, args.first().copied().unwrap_or_else(nil));
                nil()
            }
            ("message", 0) => gcall(recv, "to_s", vec![])?,
            ("to_s", 0) => {
                let m = ivar_get(recv, ms);
                if m.tid() == tid::NIL {
                    new_str(&class_name(recv))
                } else {
                    new_str(&to_s(m))
                }
            }
            ("full_message", _) => new_str(&format!(
                "{} ({})",
                to_s(ivar_get(recv, ms)),
                class_name(recv)
            )),
            ("backtrace", 0) => {
                let bt = ivar_get(recv, sym_id("@__bt"));
                if bt.tid() == tid::ARR {
                    new_array(&array_items(bt))
                } else {
                    nil()
                }
            }
            ("set_backtrace", 1) => nil(),
            ("exception", 0) => recv,
            ("exception", 1) => {
                let e = new_object(real_class_of(recv));
                ivar_set(e, ms, args[0]);
                e
            }
            ("cause", 0) => nil(),
            ("result", 0) => ivar_get(recv, sym_id("@result")),
            ("key", 0) => ivar_get(recv, sym_id("@key")),
            ("receiver", 0) => ivar_get(recv, sym_id("@receiver")),
            ("name", 0) => ivar_get(recv, sym_id("@name")),
            ("==", 1) => boolean(
                recv == args[0]
                    || (args[0].tid() == tid::OBJ
                        && real_class_of(args[0]) == real_class_of(recv)
                        && equal(ivar_get(recv, ms), ivar_get(args[0], ms))),
            ),
            _ => undef(),
        });
    }
    let c = real_class_of(recv);
    if let Some(members) = class_mut(c, |k| k.struct_members.clone()) {
        let ivar = |m: usize| sym_id(&format!("@{}", sym_name(m)));
        return Ok(match (name, args.len()) {
            ("initialize", n) => {
                if n > members.len() {
                    return err("ArgumentError", "struct size differs");
                }
                let kw = n == 1 && args[0].tid() == tid::HASH && {
                    let kws = sym_id("__kw");
                    class_mut(c, |k| k.consts.contains_key(&kws))
                };
                for (i, m) in members.iter().enumerate() {
                    let v = if kw {
                        hash::get(args[0], sym_obj(*m)).unwrap_or_else(nil)
                    } else {
                        args.get(i).copied().unwrap_or_else(nil)
                    };
                    ivar_set(recv, ivar(*m), v);
                }
                nil()
            }
            ("to_a" | "deconstruct" | "values", 0) => new_array(
                &members
                    .iter()
                    .map(|m| ivar_get(recv, ivar(*m)))
                    .collect::<Vec<_>>(),
            ),
            ("to_h", 0) => {
                let h = hash::new_hash();
                for m in &members {
                    hash::set(h, sym_obj(*m), ivar_get(recv, ivar(*m)));
                }
                h
            }
            ("members", 0) => new_array(&members.iter().map(|m| sym_obj(*m)).collect::<Vec<_>>()),
            ("==", 1) => boolean(
                args[0].tid() == tid::OBJ
                    && real_class_of(args[0]) == c
                    && members
                        .iter()
                        .all(|m| equal(ivar_get(recv, ivar(*m)), ivar_get(args[0], ivar(*m)))),
            ),
            ("[]", 1) => {
                let m = match args[0].tid() {
                    tid::INT => members.get(geti(args[0], &int_obj::v) as usize).copied(),
                    tid::SYM => Some(geti(args[0], &sym_obj::id) as usize),
                    _ => Some(sym_id(&str_of(args[0]))),
                };
                match m {
                    Some(m) => ivar_get(recv, ivar(m)),
                    None => return err("IndexError", "offset out of struct"),
                }
            }
            ("[]=", 2) => {
                let m = match args[0].tid() {
                    tid::INT => members.get(geti(args[0], &int_obj::v) as usize).copied(),
                    tid::SYM => Some(geti(args[0], &sym_obj::id) as usize),
                    _ => Some(sym_id(&str_of(args[0]))),
                };
                if let Some(m) = m {
                    ivar_set(recv, ivar(m), args[1]);
                }
                args[1]
            }
            ("to_s" | "inspect", 0) => new_str(&inspect(recv)),
            _ => {
                for m in &members {
                    let n = sym_name(*m);
                    if name == n && args.is_empty() {
                        return Ok(ivar_get(recv, ivar(*m)));
                    }
                    if name.strip_suffix('=') == Some(n.as_str()) && args.len() == 1 {
                        ivar_set(recv, ivar(*m), args[0]);
                        return Ok(args[0]);
                    }
                }
                undef()
            }
        });
    }
    Ok(undef())
}

fn vis_of(name: &str) -> Vis {
    match name {
        "private" => Vis::Private,
        "protected" => Vis::Protected,
        _ => Vis::Public,
    }
}

fn sym_arg(v: GcRef) -> Result<usize, GcRef> {
    match v.tid() {
        tid::SYM => Ok(geti(v, &sym_obj::id) as usize),
        tid::STR => Ok(sym_id(&str_of(v))),
        _ => err(
            "TypeError",
            format!("{} is not a symbol nor a string", inspect(v)),
        ),
    }
}

/// Instantiates class `c` (allocate + initialize).
pub fn instantiate(c: usize, args: &[GcRef], blk: GcRef) -> RbRes {
    let anc = ancestors(c);
    if anc.contains(&cls::ARRAY) {
        return array_new(args, blk);
    }
    if anc.contains(&cls::HASH) {
        let h = hash::new_hash();
        if let Some(d) = args.first() {
            setr(h, &hash_obj::default, *d);
        }
        if blk.tid() == tid::PROC {
            setr(h, &hash_obj::default_proc, blk);
        }
        return Ok(h);
    }
    if anc.contains(&cls::STRING) {
        return Ok(new_str(&match args.first() {
            Some(s) => prim::str_arg(*s)?,
            None => String::new(),
        }));
    }
    if c != cls::OBJECT && !anc.contains(&cls::OBJECT) && c != cls::BASIC_OBJECT && is_module(c) {
        {
            return err(
                "NoMethodError",
                format!("undefined method `new' for {}:Module", class_name_of(c)),
            );
        }
    }
    if anc.contains(&cls::PROC) {
        if blk.tid() == tid::PROC {
            return Ok(blk);
        }
        return err(
            "ArgumentError",
            "tried to create Proc object without a block",
        );
    }
    if [
        cls::INTEGER,
        cls::FLOAT,
        cls::SYMBOL,
        cls::NIL,
        cls::TRUE,
        cls::FALSE,
    ]
    .contains(&c)
    {
        return err(
            "NoMethodError",
            format!("undefined method `new' for {}:Class", class_name_of(c)),
        );
    }
    if c == cls::CLASS || c == cls::MODULE {
        let sup = match args.first() {
            Some(s) if s.tid() == tid::CLASS => Some(class_id(*s)),
            _ => Some(cls::OBJECT),
        };
        let id = new_class(
            "",
            if c == cls::MODULE { None } else { sup },
            c == cls::MODULE,
            None,
        );
        if blk.tid() == tid::PROC {
            let o = class_obj_of(id);
            crate::bytecode::set_cref(geti(blk, &proc_obj::code).max(0) as usize, id);
            guest_yield_self(blk, o, vec![o]).unwrap_or(Ok(o))?;
        }
        return Ok(class_obj_of(id));
    }
    if c == find_class("Struct").unwrap_or(usize::MAX) {
        return struct_new(args, blk);
    }
    let o = new_object(c);
    gcall_blk(o, "initialize", args.to_vec(), blk)?;
    Ok(o)
}

fn array_new(args: &[GcRef], blk: GcRef) -> RbRes {
    let a = new_array(&[]);
    match args.first() {
        Some(n) if n.tid() == tid::ARR => {
            array_set_items(a, &array_items(*n));
        }
        Some(n) => {
            let n = prim::int_arg(*n)?;
            if n < 0 {
                return err("ArgumentError", "negative array size");
            }
            let fill = args.get(1).copied().unwrap_or_else(nil);
            for i in 0..n {
                let v = if blk.tid() == tid::PROC {
                    gyield(blk, vec![new_int(i)])?
                } else {
                    fill
                };
                array_push(a, v);
            }
        }
        None => {}
    }
    Ok(a)
}

fn struct_new(args: &[GcRef], blk: GcRef) -> RbRes {
    let mut members = Vec::new();
    let mut kw = false;
    for a in args {
        match a.tid() {
            tid::SYM => members.push(geti(*a, &sym_obj::id) as usize),
            tid::HASH => kw = truthy(hash::get(*a, sym("keyword_init")).unwrap_or_else(nil)),
            _ => {}
        }
    }
    let sc = find_class("Struct").unwrap_or(cls::OBJECT);
    let id = new_class("", Some(sc), false, None);
    class_mut(id, |k| k.struct_members = Some(members.clone()));
    if kw {
        set_const(id, sym_id("__kw"), boolean(true));
    }
    for m in &members {
        let iv = sym_id(&format!("@{}", sym_name(*m)));
        define_method(id, *m, Meth::Reader(iv), Vis::Public);
        define_method(
            id,
            sym_id(&format!("{}=", sym_name(*m))),
            Meth::Writer(iv),
            Vis::Public,
        );
    }
    let o = class_obj_of(id);
    if blk.tid() == tid::PROC {
        crate::bytecode::set_cref(geti(blk, &proc_obj::code).max(0) as usize, id);
        guest_yield_self(blk, o, vec![]).unwrap_or(Ok(o))?;
    }
    Ok(o)
}

fn module_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let c = class_id(recv);
    let cname = class_name_of(c);
    // Class methods of builtin classes.
    match (cname.as_str(), name) {
        ("Math", _) => {
            let f = |i: usize| -> Result<f64, GcRef> {
                match args.get(i) {
                    Some(v) if prim::is_num(*v) => Ok(prim::to_f(*v)),
                    Some(v) => err(
                        "TypeError",
                        format!("can't convert {} into Float", class_name(*v)),
                    ),
                    None => err("ArgumentError", "wrong number of arguments"),
                }
            };
            let r = match name {
                "sqrt" => {
                    let x = f(0)?;
                    if x < 0.0 {
                        return err(
                            "Math::DomainError",
                            "Numerical argument is out of domain - \"sqrt\"",
                        );
                    }
                    x.sqrt()
                }
                "cbrt" => f(0)?.cbrt(),
                "sin" => f(0)?.sin(),
                "cos" => f(0)?.cos(),
                "tan" => f(0)?.tan(),
                "atan" => f(0)?.atan(),
                "asin" => f(0)?.asin(),
                "acos" => f(0)?.acos(),
                "exp" => f(0)?.exp(),
                "log" => {
                    if args.len() > 1 {
                        f(0)?.ln() / f(1)?.ln()
                    } else {
                        f(0)?.ln()
                    }
                }
                "log2" => f(0)?.log2(),
                "log10" => f(0)?.log10(),
                "pow" => f(0)?.powf(f(1)?),
                "atan2" => f(0)?.atan2(f(1)?),
                "hypot" => f(0)?.hypot(f(1)?),
                "floor" => f(0)?.floor(),
                _ => return Ok(undef()),
            };
            return Ok(new_float(r));
        }
        ("Integer", "sqrt") => {
            let v = big_of(args[0]);
            return Ok(new_bigint(&v.sqrt()));
        }
        ("Process", "clock_gettime") => {
            let el = START.with(|s| s.elapsed());
            let unit = args.get(1).map(|u| to_s_plain(*u)).unwrap_or_default();
            return Ok(match unit.as_str() {
                "nanosecond" => new_int(el.as_nanos() as i64),
                "microsecond" => new_int(el.as_micros() as i64),
                "millisecond" => new_int(el.as_millis() as i64),
                "float_millisecond" => new_float(el.as_secs_f64() * 1000.0),
                _ => new_float(el.as_secs_f64()),
            });
        }
        ("Process", "pid") => return Ok(new_int(std::process::id() as i64)),
        ("Time", "now") => {
            let o = new_object(c);
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            ivar_set(o, sym_id("@t"), new_float(t));
            return Ok(o);
        }
        ("File", "exist?" | "file?" | "exists?") => {
            return Ok(boolean(std::path::Path::new(&to_s(args[0])).exists()));
        }
        ("File", "directory?") => {
            return Ok(boolean(std::path::Path::new(&to_s(args[0])).is_dir()))
        }
        ("File", "dirname") => {
            let p = to_s(args[0]);
            let d = match p.rfind('/') {
                Some(0) => "/".to_string(),
                Some(i) => p[..i].to_string(),
                None => ".".to_string(),
            };
            return Ok(new_str(&d));
        }
        ("File", "basename") => {
            let p = to_s(args[0]);
            let mut b = p.rsplit('/').next().unwrap_or("").to_string();
            if let Some(s) = args.get(1) {
                let suf = to_s(*s);
                if suf == ".*" {
                    if let Some(i) = b.rfind('.') {
                        b.truncate(i);
                    }
                } else if let Some(x) = b.strip_suffix(suf.as_str()) {
                    b = x.to_string();
                }
            }
            return Ok(new_str(&b));
        }
        ("File", "join") => {
            let parts: Vec<String> = args.iter().map(|a| to_s(*a)).collect();
            return Ok(new_str(&parts.join("/")));
        }
        ("File", "read") => {
            return match std::fs::read_to_string(to_s(args[0])) {
                Ok(s) => Ok(new_str(&s)),
                Err(_) => err(
                    "Errno::ENOENT",
                    format!("No such file or directory @ rb_sysopen - {}", to_s(args[0])),
                ),
            };
        }
        ("File", "expand_path") => return Ok(args[0]),
        ("GC", _) => return Ok(nil()),
        ("Random", "rand") => return kernel("rand", recv, args, blk, true),
        ("Random", "srand") => return kernel("srand", recv, args, blk, true),
        ("Signal", "trap") => return Ok(nil()),
        ("ObjectSpace", _) => return Ok(nil()),
        _ => {}
    }
    let singleton_of = || singleton_class_of(recv);
    Ok(match (name, args.len()) {
        ("new", _) => return instantiate(c, args, blk),
        ("allocate", 0) => new_object(c),
        ("name" | "to_s" | "inspect", 0) => {
            let n = to_s_plain(recv);
            if n.is_empty() {
                if name == "name" {
                    nil()
                } else {
                    new_str("#<Class:0x0001>")
                }
            } else {
                new_str(&n)
            }
        }
        ("class", 0) => class_obj_of(if is_module(c) {
            cls::MODULE
        } else {
            cls::CLASS
        }),
        ("superclass", 0) => {
            let mut s = class_sup(c);
            while let Some(x) = s {
                if !is_singleton(x) {
                    break;
                }
                s = class_sup(x);
            }
            s.map_or_else(nil, class_obj_of)
        }
        ("ancestors", 0) => new_array(
            &ancestors(c)
                .into_iter()
                .map(class_obj_of)
                .collect::<Vec<_>>(),
        ),
        ("===", 1) => boolean(is_a(args[0], c)),
        ("==" | "equal?" | "eql?", 1) => boolean(recv == args[0]),
        ("<", 1) | ("<=", 1) => {
            if args[0].tid() != tid::CLASS {
                return err("TypeError", "compared with non class/module");
            }
            let o = class_id(args[0]);
            if o == c {
                boolean(name == "<=")
            } else if ancestors(c).contains(&o) {
                boolean(true)
            } else if ancestors(o).contains(&c) {
                boolean(false)
            } else {
                nil()
            }
        }
        (">", 1) | (">=", 1) => {
            let o = class_id(args[0]);
            if o == c {
                boolean(name == ">=")
            } else if ancestors(o).contains(&c) {
                boolean(true)
            } else if ancestors(c).contains(&o) {
                boolean(false)
            } else {
                nil()
            }
        }
        ("<=>", 1) => new_int(if recv == args[0] {
            0
        } else if ancestors(c).contains(&class_id(args[0])) {
            -1
        } else {
            1
        }),
        ("hash", 0) => new_int(c as i64),
        ("attr_reader" | "attr_writer" | "attr_accessor" | "attr", _) => {
            let mut out = Vec::new();
            for a in args {
                let s = sym_arg(*a)?;
                let n = sym_name(s);
                let iv = sym_id(&format!("@{n}"));
                let vis = DEFAULT_VIS
                    .with(|m| m.borrow().get(&c).copied())
                    .unwrap_or(Vis::Public);
                if name != "attr_writer" {
                    define_method(c, s, Meth::Reader(iv), vis);
                    out.push(sym_obj(s));
                }
                if name == "attr_writer" || name == "attr_accessor" {
                    let w = sym_id(&format!("{n}="));
                    define_method(c, w, Meth::Writer(iv), vis);
                    out.push(sym_obj(w));
                }
            }
            new_array(&out)
        }
        ("include" | "prepend", _) => {
            for m in args.iter().rev() {
                if m.tid() != tid::CLASS {
                    return err(
                        "TypeError",
                        format!("wrong argument type {} (expected Module)", class_name(*m)),
                    );
                }
                let mid = class_id(*m);
                if !ancestors(c).contains(&mid) {
                    class_mut(c, |k| k.includes.push(mid));
                    bump();
                    let hs = sym_id("included");
                    if lookup(meta_of(mid), hs).is_some() {
                        gcall(*m, "included", vec![recv])?;
                    }
                }
            }
            recv
        }
        ("include?", 1) => boolean(
            args[0].tid() == tid::CLASS
                && class_id(args[0]) != c
                && ancestors(c).contains(&class_id(args[0])),
        ),
        ("extend", _) => {
            let s = singleton_of();
            for m in args {
                let mid = class_id(*m);
                class_mut(s, |k| k.includes.push(mid));
                bump();
                let hs = sym_id("extended");
                if lookup(meta_of(mid), hs).is_some() {
                    gcall(*m, "extended", vec![recv])?;
                }
            }
            recv
        }
        ("private" | "public" | "protected", 0) => {
            DEFAULT_VIS.with(|m| m.borrow_mut().insert(c, vis_of(name)));
            nil()
        }
        ("private" | "public" | "protected", _) => {
            let names: Vec<GcRef> = if args.len() == 1 && args[0].tid() == tid::ARR {
                array_items(args[0])
            } else {
                args.to_vec()
            };
            for a in &names {
                let s = sym_arg(*a)?;
                if !set_visibility(c, s, vis_of(name)) {
                    return err(
                        "NameError",
                        format!("undefined method `{}' for class `{}'", sym_name(s), cname),
                    );
                }
            }
            if names.len() == 1 {
                names[0]
            } else {
                new_array(&names)
            }
        }
        ("module_function", 0) => {
            MODULE_FUNCTION.with(|m| m.borrow_mut().insert(c, true));
            nil()
        }
        ("module_function", _) => {
            let meta = meta_of(c);
            for a in args {
                let s = sym_arg(*a)?;
                if let Some((m, _, _)) = lookup(c, s) {
                    define_method(meta, s, m, Vis::Public);
                }
            }
            nil()
        }
        ("private_class_method" | "public_class_method", _) => {
            let meta = meta_of(c);
            for a in args {
                let s = sym_arg(*a)?;
                set_visibility(
                    meta,
                    s,
                    if name.starts_with("private") {
                        Vis::Private
                    } else {
                        Vis::Public
                    },
                );
            }
            nil()
        }
        ("private_constant" | "public_constant" | "module_eval_noop", _) => nil(),
        ("define_method", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let body = if blk.tid() == tid::PROC {
                blk
            } else {
                args.get(1).copied().unwrap_or_else(nil)
            };
            match body.tid() {
                tid::PROC => {
                    let vis = DEFAULT_VIS
                        .with(|m| m.borrow().get(&c).copied())
                        .unwrap_or(Vis::Public);
                    define_method(c, s, Meth::Proc(body), vis)
                }
                tid::METH => {
                    let ms = geti(body, &meth_obj::sym) as usize;
                    if let Some((m, _, _)) = lookup(class_of(getr(body, &meth_obj::recv)), ms) {
                        define_method(c, s, m, Vis::Public)
                    }
                }
                _ => {
                    return err(
                        "ArgumentError",
                        "tried to create Proc object without a block",
                    )
                }
            }
            sym_obj(s)
        }
        ("alias_method", 2) => {
            let (new, old) = (sym_arg(args[0])?, sym_arg(args[1])?);
            match lookup(c, old) {
                Some((m, v, _)) => define_method(c, new, m, v),
                None => define_method(c, new, Meth::Builtin(old), Vis::Public),
            }
            sym_obj(new)
        }
        ("remove_method" | "undef_method", _) => {
            for a in args {
                let s = sym_arg(*a)?;
                if name == "undef_method" {
                    define_method(c, s, Meth::Undef, Vis::Public);
                } else {
                    class_mut(c, |k| k.methods.remove(&s));
                    bump();
                }
            }
            recv
        }
        ("method_defined?" | "public_method_defined?" | "instance_method", _)
            if !args.is_empty() =>
        {
            let s = sym_arg(args[0])?;
            let r = lookup(c, s);
            if name == "instance_method" {
                return match r {
                    Some(_) => Ok(recv),
                    None => err(
                        "NameError",
                        format!("undefined method `{}' for class `{cname}'", sym_name(s)),
                    ),
                };
            }
            boolean(r.is_some_and(|(_, v, _)| v != Vis::Private) || prim_has(c, &sym_name(s)))
        }
        ("private_method_defined?", 1) => {
            let s = sym_arg(args[0])?;
            boolean(lookup(c, s).is_some_and(|(_, v, _)| v == Vis::Private))
        }
        ("instance_methods" | "public_instance_methods", _) => {
            let own_only = args.first().is_some_and(|a| !truthy(*a));
            let mut out = Vec::new();
            let list = if own_only { vec![c] } else { ancestors(c) };
            for a in list {
                if a == cls::OBJECT || a == cls::KERNEL || a == cls::BASIC_OBJECT {
                    continue;
                }
                let mut ms: Vec<(usize, Vis)> =
                    class_mut(a, |k| k.methods.iter().map(|(s, m)| (*s, m.1)).collect());
                ms.sort();
                for (s, v) in ms {
                    let o = sym_obj(s);
                    if v != Vis::Private && !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
            new_array(&out)
        }
        ("const_get", _) if !args.is_empty() => {
            let n = to_s(args[0]);
            let mut cur = c;
            let mut v = nil();
            for part in n.split("::") {
                match lookup_const(cur, sym_id(part)) {
                    Some(x) => {
                        v = x;
                        if x.tid() == tid::CLASS {
                            cur = class_id(x);
                        }
                    }
                    None => return err("NameError", format!("uninitialized constant {n}")),
                }
            }
            v
        }
        ("const_set", 2) => {
            set_const(c, sym_arg(args[0])?, args[1]);
            args[1]
        }
        ("const_defined?", _) if !args.is_empty() => {
            boolean(lookup_const(c, sym_arg(args[0])?).is_some())
        }
        ("constants", _) => new_array(
            &class_mut(c, |k| k.const_order.clone())
                .into_iter()
                .filter(|s| !sym_name(*s).starts_with("__"))
                .map(sym_obj)
                .collect::<Vec<_>>(),
        ),
        ("class_variable_get", 1) => cvar_get(c, sym_arg(args[0])?).unwrap_or_else(nil),
        ("class_variable_set", 2) => {
            cvar_set(c, sym_arg(args[0])?, args[1]);
            args[1]
        }
        ("class_variable_defined?", 1) => boolean(cvar_get(c, sym_arg(args[0])?).is_some()),
        ("class_variables", 0) => new_array(
            &class_mut(c, |k| k.cvars.keys().copied().collect::<Vec<_>>())
                .into_iter()
                .filter(|s| sym_name(*s).starts_with("@@"))
                .map(sym_obj)
                .collect::<Vec<_>>(),
        ),
        ("instance_variable_get", 1) => {
            let s = sym_id(&to_s(args[0]));
            class_mut(c, |k| k.cvars.get(&s).copied()).unwrap_or_else(nil)
        }
        ("instance_variable_set", 2) => {
            keep(args[1]);
            let s = sym_id(&to_s(args[0]));
            class_mut(c, |k| k.cvars.insert(s, args[1]));
            args[1]
        }
        ("class_eval" | "module_eval" | "class_exec" | "module_exec", _)
            if blk.tid() == tid::PROC =>
        {
            crate::bytecode::set_cref(geti(blk, &proc_obj::code).max(0) as usize, c);
            let _ = DEFAULT_VIS.with(|m| m.borrow_mut().remove(&c));
            match guest_yield_self(blk, recv, args.to_vec()) {
                Some(r) => {
                    // `def` inside class_eval defines into the class.
                    r?
                }
                None => return err("RuntimeError", "minirb: guest call from a plain builtin"),
            }
        }
        ("freeze", 0) => recv,
        ("module_function_p", _) => nil(),
        ("instance_variable_defined?", 1) => {
            let s = sym_id(&to_s(args[0]));
            boolean(class_mut(c, |k| k.cvars.contains_key(&s)))
        }
        ("members", 0) => match class_mut(c, |k| k.struct_members.clone()) {
            Some(m) => new_array(&m.into_iter().map(sym_obj).collect::<Vec<_>>()),
            None => undef(),
        },
        _ => undef(),
    })
}

/// Whether builtin class `c` answers `name` natively (for respond_to?).
fn prim_has(c: usize, name: &str) -> bool {
    let common = [
        "to_s",
        "inspect",
        "==",
        "!=",
        "hash",
        "class",
        "is_a?",
        "respond_to?",
        "send",
        "object_id",
        "dup",
        "freeze",
        "frozen?",
        "nil?",
        "instance_variable_get",
        "instance_variable_set",
        "method",
        "tap",
        "then",
        "equal?",
        "eql?",
        "kind_of?",
        "instance_of?",
        "!",
        "===",
        "display",
        "extend",
        "itself",
    ];
    if common.contains(&name) {
        return true;
    }
    let list: &[&str] = match c {
        cls::INTEGER | cls::FLOAT => &[
            "+", "-", "*", "/", "%", "**", "<", "<=", ">", ">=", "<=>", "abs", "to_i", "to_f",
            "to_s", "times", "upto", "downto", "step", "divmod", "round", "floor", "ceil", "zero?",
            "even?", "odd?", "succ", "pred", "chr", "coerce", "integer?", "nan?", "&", "|", "^",
            "<<", ">>",
        ],
        cls::STRING => &[
            "+",
            "*",
            "%",
            "<<",
            "[]",
            "size",
            "length",
            "upcase",
            "downcase",
            "split",
            "strip",
            "chars",
            "bytes",
            "each_char",
            "include?",
            "start_with?",
            "end_with?",
            "sub",
            "gsub",
            "to_i",
            "to_f",
            "to_sym",
            "ljust",
            "rjust",
            "center",
            "ord",
            "reverse",
            "empty?",
            "<=>",
            "capitalize",
            "chomp",
        ],
        cls::ARRAY => &[
            "[]",
            "[]=",
            "<<",
            "push",
            "pop",
            "shift",
            "unshift",
            "each",
            "map",
            "select",
            "size",
            "length",
            "first",
            "last",
            "include?",
            "join",
            "sort",
            "reverse",
            "empty?",
            "inject",
            "reduce",
            "sum",
            "min",
            "max",
            "each_with_index",
            "index",
            "flatten",
            "uniq",
            "zip",
            "take",
            "drop",
            "any?",
            "all?",
            "count",
        ],
        cls::HASH => &[
            "[]",
            "[]=",
            "fetch",
            "key?",
            "keys",
            "values",
            "each",
            "each_pair",
            "size",
            "length",
            "delete",
            "to_a",
            "map",
            "select",
            "include?",
            "has_key?",
            "merge",
            "empty?",
        ],
        cls::PROC => &["call", "arity", "lambda?", "to_proc", "yield", "[]"],
        cls::RANGE => &[
            "each", "map", "to_a", "first", "last", "include?", "step", "size", "min", "max", "sum",
        ],
        cls::SYMBOL => &["to_proc", "to_s", "to_sym", "length", "size", "<=>"],
        cls::NIL => &["to_a", "to_s", "to_i", "inspect"],
        _ => &[],
    };
    if list.contains(&name) {
        return true;
    }
    if c == cls::PROC || c == cls::METHOD {
        return false;
    }
    // Exceptions and Structs.
    if ancestors(c).contains(&cls::EXCEPTION) {
        return ["message", "backtrace", "full_message"].contains(&name);
    }
    if let Some(m) = class_mut(c, |k| k.struct_members.clone()) {
        return m.iter().any(|s| sym_name(*s) == name.trim_end_matches('='))
            || ["to_a", "members", "to_h", "[]"].contains(&name);
    }
    false
}

/// `Kernel` methods (every object).
fn kernel(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef, fcall: bool) -> RbRes {
    let a1 = args.first().copied();
    Ok(match (name, args.len()) {
        ("puts", _) => {
            let mut out = String::new();
            if args.is_empty() {
                out.push('\n');
            }
            fn one(v: GcRef, out: &mut String, depth: usize) {
                if v.tid() == tid::ARR && depth < 64 {
                    let items = array_items(v);
                    if items.is_empty() && depth == 0 {
                        out.push('\n');
                    }
                    for x in items {
                        one(x, out, depth + 1);
                    }
                    return;
                }
                let s = if v.tid() == tid::NIL && depth > 0 {
                    String::new()
                } else {
                    to_s(v)
                };
                out.push_str(&s);
                if !s.ends_with('\n') {
                    out.push('\n');
                }
            }
            for a in args {
                one(*a, &mut out, 0);
            }
            write_out(out.as_bytes());
            nil()
        }
        ("print", _) => {
            for a in args {
                write_out(to_s(*a).as_bytes());
            }
            nil()
        }
        ("p", _) => {
            for a in args {
                write_out(format!("{}\n", inspect(*a)).as_bytes());
            }
            match args.len() {
                0 => nil(),
                1 => args[0],
                _ => new_array(args),
            }
        }
        ("pp", _) => return kernel("p", recv, args, blk, fcall),
        ("printf", _) if !args.is_empty() => {
            write_out(format(&to_s(args[0]), &args[1..])?.as_bytes());
            nil()
        }
        ("format" | "sprintf", _) if !args.is_empty() => {
            new_str(&format(&to_s(args[0]), &args[1..])?)
        }
        ("raise" | "fail", _) => {
            let e = make_exception(args)?;
            return Err(e);
        }
        ("Integer", _) if !args.is_empty() => {
            let exc = !(args.len() > 1
                && args[1].tid() == tid::HASH
                && hash::get(args[1], sym("exception")).is_some_and(|v| !truthy(v)));
            match args[0].tid() {
                tid::INT | tid::BIG => args[0],
                tid::FLOAT => {
                    let f = float_of(args[0]);
                    if !f.is_finite() {
                        return err("FloatDomainError", fmt_float(f));
                    }
                    new_bigint(&BigInt::from(f.trunc() as i128))
                }
                tid::STR => {
                    let s = str_of(args[0]);
                    let t = s.trim().replace('_', "");
                    let (neg, body) = match t.strip_prefix('-') {
                        Some(b) => (true, b.to_string()),
                        None => (false, t.trim_start_matches('+').to_string()),
                    };
                    let base = if args.len() > 1 && args[1].tid() == tid::INT {
                        prim::int_arg(args[1])? as u32
                    } else {
                        10
                    };
                    let (radix, digits) =
                        if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
                            (16, h.to_string())
                        } else if let Some(b) = body.strip_prefix("0b") {
                            (2, b.to_string())
                        } else if body.len() > 1 && body.starts_with('0') && base == 10 {
                            (8, body[1..].trim_start_matches('o').to_string())
                        } else {
                            (base, body.clone())
                        };
                    match BigInt::parse_bytes(digits.as_bytes(), radix) {
                        Some(v) if !digits.is_empty() => new_bigint(&if neg { -v } else { v }),
                        _ if !exc => nil(),
                        _ => {
                            return err(
                                "ArgumentError",
                                format!("invalid value for Integer(): {}", inspect(args[0])),
                            )
                        }
                    }
                }
                tid::NIL => return err("TypeError", "can't convert nil into Integer"),
                _ => gcall(args[0], "to_i", vec![])?,
            }
        }
        ("Float", _) if !args.is_empty() => match args[0].tid() {
            tid::INT | tid::BIG | tid::FLOAT => new_float(prim::to_f(args[0])),
            tid::STR => match str_of(args[0]).trim().replace('_', "").parse::<f64>() {
                Ok(v) => new_float(v),
                Err(_) => {
                    return err(
                        "ArgumentError",
                        format!("invalid value for Float(): {}", inspect(args[0])),
                    )
                }
            },
            tid::NIL => return err("TypeError", "can't convert nil into Float"),
            _ => gcall(args[0], "to_f", vec![])?,
        },
        ("String", 1) => new_str(&to_s(args[0])),
        ("Array", 1) => new_array(&splat_items(args[0])),
        ("Hash", 1) => args[0],
        ("rand", _) => {
            let x = rand_next();
            match a1 {
                None => new_float((x >> 11) as f64 / (1u64 << 53) as f64),
                Some(n) if n.tid() == tid::FLOAT => {
                    new_float((x >> 11) as f64 / (1u64 << 53) as f64 * float_of(n))
                }
                Some(n) if n.tid() == tid::RANGE => {
                    let (lo, hi, ex) = range_parts(n);
                    let (lo, hi) = (prim::int_arg(lo)?, prim::int_arg(hi)?);
                    let span = (hi - lo + if ex { 0 } else { 1 }).max(1) as u64;
                    new_int(lo + (x % span) as i64)
                }
                Some(n) => {
                    let n = prim::int_arg(n)?;
                    if n <= 0 {
                        new_float((x >> 11) as f64 / (1u64 << 53) as f64)
                    } else {
                        new_int((x % n as u64) as i64)
                    }
                }
            }
        }
        ("srand", _) => {
            let seed = match a1 {
                Some(s) => prim::int_arg(s)? as u64,
                None => 0,
            };
            RNG.with(|r| {
                r.set(
                    seed.wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407)
                        | 1,
                )
            });
            new_int(0)
        }
        ("sleep", _) => new_int(0),
        ("exit" | "exit!", _) => {
            let code = match a1 {
                Some(v) if v.tid() == tid::INT => geti(v, &int_obj::v),
                Some(v) if v.tid() == tid::FALSE => 1,
                _ => 0,
            };
            let e = new_exc_named("SystemExit", "exit");
            ivar_set(e, sym_id("@status"), new_int(code));
            return Err(e);
        }
        ("abort", _) => {
            if let Some(m) = a1 {
                flush_out();
                write_err(&format!("{}\n", to_s(m)));
            }
            let e = new_exc_named("SystemExit", "exit");
            ivar_set(e, sym_id("@status"), new_int(1));
            return Err(e);
        }
        ("at_exit", _) => blk,
        ("gets", _) => {
            let mut s = String::new();
            match std::io::stdin().read_line(&mut s) {
                Ok(0) | Err(_) => nil(),
                Ok(_) => new_str(&s),
            }
        }
        ("require", _) => boolean(false),
        ("require_relative" | "load", 1) => return require_relative(&to_s(args[0])),
        ("lambda", 0) if blk.tid() == tid::PROC => {
            seti(blk, &proc_obj::lambda, 1);
            blk
        }
        ("proc", 0) if blk.tid() == tid::PROC => blk,
        ("catch", _) => {
            let tag = a1.unwrap_or_else(|| new_object(cls::OBJECT));
            match gyield(blk, vec![tag]) {
                Ok(v) => v,
                Err(e)
                    if e.tid() == tid::CTL
                        && geti(e, &ctl_obj::kind) == 2
                        && (getr(e, &ctl_obj::tag) == tag
                            || equal(getr(e, &ctl_obj::tag), tag)) =>
                {
                    getr(e, &ctl_obj::val)
                }
                Err(e) => return Err(e),
            }
        }
        ("throw", _) if !args.is_empty() => {
            let o = heap::new_struct(&ctl_obj::SIZE);
            seti(o, &ctl_obj::kind, 2);
            setr(o, &ctl_obj::tag, args[0]);
            setr(o, &ctl_obj::val, args.get(1).copied().unwrap_or_else(nil));
            return Err(o);
        }
        ("caller", _) => new_array(&[]),
        ("binding", 0) => nil(),
        ("class", 0) => class_obj_of(real_class_of(recv)),
        ("singleton_class", 0) => class_obj_of(singleton_class_of(recv)),
        ("frozen?", 0) => boolean(match recv.tid() {
            tid::OBJ => geti(recv, &obj_obj::frozen) != 0,
            tid::STR => geti(recv, &str_obj::frozen) != 0,
            _ => true,
        }),
        ("freeze", 0) => {
            if recv.tid() == tid::OBJ {
                seti(recv, &obj_obj::frozen, 1);
            }
            recv
        }
        ("object_id" | "__id__", 0) => new_int(match recv.tid() {
            tid::INT => geti(recv, &int_obj::v) * 2 + 1,
            tid::NIL => 8,
            tid::TRUE => 20,
            tid::FALSE => 0,
            _ => (recv.addr() / 8) as i64,
        }),
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("==" | "equal?" | "eql?", 1) => boolean(recv == args[0]),
        ("!=", 1) => {
            let eq = gcall(recv, "==", vec![args[0]])?;
            boolean(!truthy(eq))
        }
        ("===", 1) => {
            if recv == args[0] {
                boolean(true)
            } else {
                gcall(recv, "==", vec![args[0]])?
            }
        }
        ("=~", 1) => nil(),
        ("!", 0) => boolean(!truthy(recv)),
        ("nil?", 0) => boolean(recv.tid() == tid::NIL),
        ("to_s", 0) => new_str(&default_to_s(recv)),
        ("inspect", 0) => new_str(&inspect(recv)),
        ("itself" | "then_self", 0) => recv,
        ("dup" | "clone", _) => match recv.tid() {
            tid::OBJ => {
                let o = new_object(real_class_of(recv));
                if name == "clone" && is_singleton(class_of(recv)) {
                    seti(o, &obj_obj::cls, geti(recv, &obj_obj::cls));
                }
                for s in ivar_names(recv) {
                    ivar_set(o, s, ivar_get(recv, s));
                }
                if name == "clone" {
                    seti(o, &obj_obj::frozen, geti(recv, &obj_obj::frozen));
                }
                if user_defined(o, "initialize_copy") {
                    gcall(o, "initialize_copy", vec![recv])?;
                }
                o
            }
            _ => recv,
        },
        ("instance_variable_get", 1) => ivar_get(recv, sym_arg(args[0])?),
        ("instance_variable_set", 2) => {
            if recv.tid() == tid::OBJ && geti(recv, &obj_obj::frozen) != 0 {
                return Err(frozen_error(recv));
            }
            ivar_set(recv, sym_arg(args[0])?, args[1]);
            args[1]
        }
        ("instance_variable_defined?", 1) => boolean(ivar_defined(recv, sym_arg(args[0])?)),
        ("instance_variables", 0) => new_array(
            &ivar_names(recv)
                .into_iter()
                .filter(|s| !sym_name(*s).starts_with("@__"))
                .map(sym_obj)
                .collect::<Vec<_>>(),
        ),
        ("is_a?" | "kind_of?", 1) => match args[0].tid() {
            tid::CLASS => boolean(is_a(recv, class_id(args[0]))),
            _ => return err("TypeError", "class or module required"),
        },
        ("instance_of?", 1) => {
            boolean(args[0].tid() == tid::CLASS && real_class_of(recv) == class_id(args[0]))
        }
        ("respond_to?", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let priv_ok = args.get(1).is_some_and(|v| truthy(*v));
            let c = class_of(recv);
            let kernel_private = [
                "puts",
                "print",
                "p",
                "pp",
                "require",
                "require_relative",
                "raise",
                "format",
                "sprintf",
                "printf",
                "loop",
                "lambda",
                "proc",
                "rand",
                "srand",
                "sleep",
                "exit",
                "abort",
                "catch",
                "throw",
                "Integer",
                "Float",
                "String",
                "Array",
                "gets",
                "binding",
                "block_given?",
                "at_exit",
            ];
            let r = match lookup(c, s) {
                Some((_, v, _)) => v != Vis::Private || priv_ok,
                None if priv_ok && kernel_private.contains(&sym_name(s).as_str()) => true,
                None => {
                    let n = sym_name(s);
                    if recv.tid() == tid::CLASS {
                        [
                            "new",
                            "name",
                            "ancestors",
                            "superclass",
                            "instance_methods",
                            "class",
                        ]
                        .contains(&n.as_str())
                            || prim_has(real_class_of(recv), &n)
                    } else {
                        prim_has(real_class_of(recv), &n)
                    }
                }
            };
            if !r {
                let rm = sym_id("respond_to_missing?");
                if lookup(c, rm).is_some() {
                    return Ok(boolean(truthy(gcall(
                        recv,
                        "respond_to_missing?",
                        vec![args[0], boolean(priv_ok)],
                    )?)));
                }
            }
            boolean(r)
        }
        ("send" | "__send__" | "public_send", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            match guest_call(recv, s, args[1..].to_vec(), blk) {
                Some(r) => r?,
                None => return err("RuntimeError", "minirb: guest call from a plain builtin"),
            }
        }
        ("method" | "public_method", 1) => {
            let s = sym_arg(args[0])?;
            if lookup(class_of(recv), s).is_none()
                && !prim_has(real_class_of(recv), &sym_name(s))
                && !fcall
            {
                return err(
                    "NameError",
                    format!(
                        "undefined method `{}' for {}",
                        sym_name(s),
                        no_method_desc(recv)
                    ),
                );
            }
            let m = heap::new_struct(&meth_obj::SIZE);
            setr(m, &meth_obj::recv, recv);
            seti(m, &meth_obj::sym, s as i64);
            m
        }
        ("methods" | "public_methods", _) => {
            let c = class_of(recv);
            let mut out = Vec::new();
            for a in ancestors(c) {
                if a == cls::OBJECT || a == cls::KERNEL {
                    continue;
                }
                let ms: Vec<usize> = class_mut(a, |k| k.methods.keys().copied().collect());
                for s in ms {
                    let o = sym_obj(s);
                    if !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
            new_array(&out)
        }
        ("singleton_methods", 0) => {
            let c = class_of(recv);
            if is_singleton(c) {
                new_array(
                    &class_mut(c, |k| k.methods.keys().copied().collect::<Vec<_>>())
                        .into_iter()
                        .map(sym_obj)
                        .collect::<Vec<_>>(),
                )
            } else {
                new_array(&[])
            }
        }
        ("extend", _) => {
            let s = singleton_class_of(recv);
            for m in args {
                if m.tid() != tid::CLASS {
                    return err("TypeError", "wrong argument type (expected Module)");
                }
                let mid = class_id(*m);
                class_mut(s, |k| k.includes.push(mid));
                bump();
                let hs = sym_id("extended");
                if lookup(meta_of(mid), hs).is_some() {
                    gcall(*m, "extended", vec![recv])?;
                }
            }
            recv
        }
        ("define_singleton_method", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let body = if blk.tid() == tid::PROC {
                blk
            } else {
                args.get(1).copied().unwrap_or_else(nil)
            };
            let c = singleton_class_of(recv);
            define_method(c, s, Meth::Proc(body), Vis::Public);
            sym_obj(s)
        }
        ("instance_eval" | "instance_exec", _) if blk.tid() == tid::PROC => {
            let a = if name == "instance_eval" {
                vec![recv]
            } else {
                args.to_vec()
            };
            match guest_yield_self(blk, recv, a) {
                Some(r) => r?,
                None => return err("RuntimeError", "minirb: guest call from a plain builtin"),
            }
        }
        ("display", 0) => {
            write_out(to_s(recv).as_bytes());
            nil()
        }
        ("__const_or_nil", 1) => {
            let s = sym_arg(args[0])?;
            lookup_const(
                if recv.tid() == tid::CLASS {
                    class_id(recv)
                } else {
                    cls::OBJECT
                },
                s,
            )
            .unwrap_or_else(nil)
        }
        ("__const_defined", 1) => {
            let s = sym_arg(args[0])?;
            boolean(
                lookup_const(
                    if recv.tid() == tid::CLASS {
                        class_id(recv)
                    } else {
                        cls::OBJECT
                    },
                    s,
                )
                .is_some(),
            )
        }
        ("alias_method", 2) if recv.tid() == tid::OBJ => {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("private" | "public" | "protected" | "module_function", _) if recv.tid() == tid::OBJ => {
            // At the top level: visibility of Object's methods.
            if args.is_empty() {
                nil()
            } else {
                args[0]
            }
        }
        ("include", _) if recv.tid() == tid::OBJ => {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("define_method", _) if recv.tid() == tid::OBJ => {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("attr_accessor" | "attr_reader" | "attr_writer", _)
            if recv.tid() == tid::OBJ && recv == main_obj() =>
        {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("initialize", _) => nil(),
        ("method_missing", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let _ = fcall;
            return err(
                "NoMethodError",
                format!(
                    "undefined method `{}' for {}",
                    sym_name(s),
                    no_method_desc(recv)
                ),
            );
        }
        ("respond_to_missing?", _) => boolean(false),
        ("instance_variables_hash", _) => nil(),
        _ => undef(),
    })
}

fn make_exception(args: &[GcRef]) -> RbRes {
    match args {
        [] => {
            let cur = global_get("$!");
            if cur.tid() == tid::OBJ {
                return Ok(cur);
            }
            Ok(new_exc_named("RuntimeError", "unhandled exception"))
        }
        [m] if m.tid() == tid::STR => Ok(new_exc_named("RuntimeError", &str_of(*m))),
        [c, rest @ ..] if c.tid() == tid::CLASS => {
            let id = class_id(*c);
            if !ancestors(id).contains(&cls::EXCEPTION) {
                return err("TypeError", "exception class/object expected");
            }
            let a: Vec<GcRef> = rest.iter().take(1).copied().collect();
            let e = gcall(*c, "new", a)?;
            Ok(e)
        }
        [e, rest @ ..] if e.tid() == tid::OBJ && is_a(*e, cls::EXCEPTION) => {
            if let Some(m) = rest.first() {
                ivar_set(*e, sym_id("@message"), *m);
            }
            Ok(*e)
        }
        [o, ..] if o.tid() == tid::OBJ && user_defined(*o, "exception") => {
            gcall(*o, "exception", vec![])
        }
        _ => err("TypeError", "exception class/object expected"),
    }
}

fn require_relative(path: &str) -> RbRes {
    let base = crate::CURRENT_FILE.with(|f| f.borrow().clone());
    let dir = match base.rfind('/') {
        Some(i) => base[..i].to_string(),
        None => ".".to_string(),
    };
    let mut full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    if !full.ends_with(".rb") {
        full.push_str(".rb");
    }
    let canon = std::fs::canonicalize(&full)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or(full.clone());
    if LOADED.with(|l| l.borrow().contains(&canon)) {
        return Ok(boolean(false));
    }
    let text = match std::fs::read_to_string(&full) {
        Ok(t) => t,
        Err(_) => {
            return err(
                "LoadError",
                format!("cannot load such file -- {}", full.trim_end_matches(".rb")),
            )
        }
    };
    LOADED.with(|l| l.borrow_mut().push(canon));
    let cid = match crate::compiler::compile_program(&full, &text) {
        Ok(c) => c,
        Err(e) => return err("SyntaxError", e.0),
    };
    let prev = crate::CURRENT_FILE.with(|f| std::mem::replace(&mut *f.borrow_mut(), full.clone()));
    let r = crate::interp::guest_run_main(cid);
    crate::CURRENT_FILE.with(|f| *f.borrow_mut() = prev);
    match r {
        Some(Ok(_)) => Ok(boolean(true)),
        Some(Err(e)) => Err(e),
        None => err("RuntimeError", "minirb: guest call from a plain builtin"),
    }
}

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

pub fn _unused() {
    let _ = objects::nil;
}
