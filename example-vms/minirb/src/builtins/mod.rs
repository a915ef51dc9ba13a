//! The builtin methods (residual calls from the interpreter), one module
//! per core class in the style of Topaz's `objects/`: `numericobject`
//! (Integer, Float), `stringobject`, `symbolobject`, `arrayobject`,
//! `hashobject`, `rangeobject`, `procobject`, `methodobject`, `nilobject`
//! (nil, true, false), `exceptionobject`, `structobject`, `classobject`
//! (`Class#new`), `moduleobject` (Module/Class methods), `kernel`
//! (Kernel/Object, the fallback of every receiver); beside them
//! `display` (to_s/inspect/== of any value) and `format` (sprintf). The
//! guest-free part of numbers, strings, arrays and ranges is in `prim`;
//! Comparable and Enumerable are Ruby, in the prelude.
//!
//! Owns: [`BUILTIN`] (the generic residual send: a null result means an
//! exception, left in a rooted slot for [`TAKE_ERROR`]; the undef marker
//! means "no such method"), `dispatch` (receiver type -> that class's
//! module, then `Kernel`), which names are pure or shadow the prelude's
//! Comparable/Enumerable, guest calls from builtins (`gcall`, `gyield`),
//! the error helpers, and the output buffer.
//!
//! The class modules see everything here (`use super::*`) and each
//! other's helpers through the re-exports below, as when this was one
//! file; what they may touch is in each module's doc.

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

mod arrayobject;
mod classobject;
mod display;
mod exceptionobject;
mod format;
mod hashobject;
mod kernel;
mod methodobject;
mod moduleobject;
mod nilobject;
mod numericobject;
mod procobject;
mod rangeobject;
mod stringobject;
mod structobject;
mod symbolobject;

// The helpers the class modules share (and the public API of builtins).
pub use arrayobject::compare;
use arrayobject::{array_new, sort_values};
pub use classobject::{instantiate, singleton_class_of};
use display::main_obj;
pub use display::{class_name, default_to_s, eql, equal, inspect, set_main, to_s, to_s_plain};
use exceptionobject::make_exception;
pub use format::format;
use kernel::{kernel, prim_has, rand_next};
pub use methodobject::method_to_proc;
use moduleobject::{module_m, sym_arg};
pub use rangeobject::range_parts;
use structobject::struct_new;

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

// ---- dispatch ----------------------------------------------------------------

fn dispatch(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef, fcall: bool) -> RbRes {
    let name = match name.strip_prefix("__") {
        Some(n) if matches!(n, "sum" | "fill" | "min" | "max" | "uniq" | "zip") => n,
        _ => name,
    };
    // One arm per core class: each class's module answers its own names
    // and the undef marker for the rest, which go on to `Kernel`.
    let r = match recv.tid() {
        tid::INT | tid::BIG | tid::FLOAT => numericobject::numeric(name, recv, args)?,
        tid::STR => stringobject::string(name, recv, args, blk)?,
        tid::SYM => symbolobject::symbol(name, recv, args)?,
        tid::ARR => arrayobject::array(name, recv, args, blk)?,
        tid::HASH => hashobject::hash_m(name, recv, args, blk)?,
        tid::RANGE => rangeobject::range_m(name, recv, args)?,
        tid::CLASS => moduleobject::module_m(name, recv, args, blk)?,
        tid::PROC => procobject::proc_m(name, recv, args, blk)?,
        tid::METH => methodobject::meth_m(name, recv, args, blk)?,
        tid::NIL | tid::TRUE | tid::FALSE => nilobject::nil_m(name, recv, args)?,
        tid::OBJ => obj_m(name, recv, args, blk)?,
        _ => undef(),
    };
    if r.tid() != tid::UNDEF {
        return Ok(r);
    }
    kernel::kernel(name, recv, args, blk, fcall)
}

/// Exception and Struct instances.
fn obj_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let _ = blk;
    if is_a(recv, cls::EXCEPTION) {
        return exceptionobject::exception_m(name, recv, args);
    }
    let c = real_class_of(recv);
    if let Some(members) = class_mut(c, |k| k.struct_members.clone()) {
        return structobject::struct_m(name, recv, args, c, members);
    }
    Ok(undef())
}

pub fn _unused() {
    let _ = objects::nil;
}
