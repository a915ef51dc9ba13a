//! Exceptions being handled, and exception chaining.
//!
//! Owns: the VM's handled-exception stack (CPython's `exc_info`: pushed
//! when an except/finally handler or a `with` exit starts, popped on every
//! way out of it), implicit chaining (`__context__`, set when an exception
//! is first raised while another is handled), explicit chaining (`raise X
//! from Y`: `__cause__`, `__suppress_context__`) and the chained
//! traceback text, and `__traceback__` objects built from an exception's
//! recorded (code, line) entries.
//!
//! The stack lives behind residual calls rather than in `Vm` fields:
//! compiled code does not run the interpreter's Rust code, so state the
//! interpreter mutates directly would go stale under the JIT.

use crate::objects::*;
use crate::types;
use metatrace::heap::roots::Handle;
use metatrace::heap::GcRef;
use metatrace::ir::EffectInfo;
use std::cell::RefCell;

thread_local! {
    static HANDLED: RefCell<Vec<Handle>> = const { RefCell::new(Vec::new()) };
}

/// The exception handled innermost, if any.
pub fn current() -> Option<GcRef> {
    HANDLED.with(|h| h.borrow().last().map(|x| x.get()))
}

/// `sys.exc_info()`: (type, value, traceback) of the exception handled
/// innermost, or three Nones outside every handler.
pub fn exc_info() -> GcRef {
    match current() {
        Some(e) if e != none() => new_tuple(&[types::type_of(e), e, traceback_of(e)]),
        _ => new_tuple(&[none(), none(), none()]),
    }
}

extern "C" fn mp_exc_push(e: GcRef) {
    HANDLED.with(|h| h.borrow_mut().push(Handle::new(e)));
}
metatrace::residual!(
    /// A handler starts: its exception becomes the one being handled.
    pub static EXC_PUSH = fn mp_exc_push(e: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_exc_pop() {
    HANDLED.with(|h| h.borrow_mut().pop());
}
metatrace::residual!(
    /// A handler is left.
    pub static EXC_POP = fn mp_exc_pop(), EffectInfo::RESIDUAL
);
extern "C" fn mp_exc_current() -> GcRef {
    current().unwrap_or(GcRef::NULL)
}
metatrace::residual!(
    /// The exception being handled (null if none): bare `raise` outside
    /// an except clause.
    pub static EXC_CURRENT = fn mp_exc_current() -> GcRef, EffectInfo::RESIDUAL
);

extern "C" fn mp_exc_gen_enter(gen: GcRef) -> i64 {
    HANDLED.with(|h| {
        let mut h = h.borrow_mut();
        let depth = h.len() as i64;
        let saved = getr(gen, &gen_obj::exc);
        if !saved.is_null() {
            h.extend(tuple_items(saved).into_iter().map(Handle::new));
            setr(gen, &gen_obj::exc, GcRef::NULL);
        }
        depth
    })
}
metatrace::residual!(
    /// A generator resumes: the exceptions its frame was handling when it
    /// last yielded are handled again (on top of the caller's). Returns
    /// the stack depth to give back to [`EXC_GEN_LEAVE`].
    pub static EXC_GEN_ENTER = fn mp_exc_gen_enter(gen: GcRef) -> i64, EffectInfo::RESIDUAL
);

extern "C" fn mp_exc_gen_leave(gen: GcRef, depth: i64) {
    let rest: Vec<GcRef> = HANDLED.with(|h| {
        let mut h = h.borrow_mut();
        let d = (depth.max(0) as usize).min(h.len());
        h.split_off(d).iter().map(|x| x.get()).collect()
    });
    let saved = if rest.is_empty() {
        GcRef::NULL
    } else {
        new_tuple(&rest)
    };
    setr(gen, &gen_obj::exc, saved);
}
metatrace::residual!(
    /// A generator yielded or finished: the exceptions its frame still
    /// handles (a yield inside an except block) leave the stack with it,
    /// kept in the generator for its next resumption, so they never become
    /// the caller's `__context__` (CPython's per-frame `gi_exc_state`).
    pub static EXC_GEN_LEAVE = fn mp_exc_gen_leave(gen: GcRef, depth: i64), EffectInfo::RESIDUAL
);

/// A fresh raise of `e`: chain it to the exception being handled, like
/// CPython's `_PyErr_SetObject` (never to itself, never into a cycle).
pub fn on_first_raise(e: GcRef) {
    let Some(ctx) = current() else { return };
    if ctx == e || types::inst_get(e, "__context__").is_some_and(|c| c.tid() != tid::NONE) {
        return;
    }
    // Cut the chain where it would come back to `e`.
    let mut o = ctx;
    while o.tid() == tid::INST {
        match types::inst_get(o, "__context__") {
            Some(c) if c == e => {
                types::inst_set(o, "__context__", none());
                break;
            }
            Some(c) => o = c,
            None => break,
        }
    }
    types::inst_set(e, "__context__", ctx);
}

/// `raise e from cause` (cause already checked: an exception or None).
pub fn set_cause(e: GcRef, cause: GcRef) {
    types::inst_set(e, "__cause__", cause);
    types::inst_set(e, "__suppress_context__", bool_obj(true));
}

fn attr(e: GcRef, name: &str) -> Option<GcRef> {
    types::inst_get(e, name).filter(|v| v.tid() == tid::INST)
}

/// The full report for an uncaught exception: its cause or context
/// first (CPython's order and linking sentences), then itself.
pub fn chained_traceback(e: GcRef, single: &dyn Fn(GcRef) -> String) -> String {
    let mut seen = Vec::new();
    chain(e, single, &mut seen)
}

fn chain(e: GcRef, single: &dyn Fn(GcRef) -> String, seen: &mut Vec<GcRef>) -> String {
    seen.push(e);
    let mut out = String::new();
    let suppress = types::inst_get(e, "__suppress_context__")
        .is_some_and(|v| v.tid() == tid::BOOL && geti(v, &bool_obj::v) == 1);
    if let Some(c) = attr(e, "__cause__").filter(|c| !seen.contains(c)) {
        out += &chain(c, single, seen);
        out += "\nThe above exception was the direct cause of the following exception:\n\n";
    } else if let Some(c) = attr(e, "__context__").filter(|c| !suppress && !seen.contains(c)) {
        out += &chain(c, single, seen);
        out += "\nDuring handling of the above exception, another exception occurred:\n\n";
    }
    out += &single(e);
    out
}

thread_local! {
    static TB_CLASS: std::cell::Cell<GcRef> = const { std::cell::Cell::new(GcRef::NULL) };
}

/// The `traceback` class (made on first use; not a builtin name).
fn tb_class() -> GcRef {
    TB_CLASS.with(|c| {
        if c.get().is_null() {
            let ns = crate::dict::new_dict();
            crate::dict::set_str(ns, "__module__", intern("builtins"));
            let object = rt().ty(tag::OBJECT);
            if let Ok(cls) = types::new_class(intern("traceback"), &[object], ns) {
                c.set(keep(cls));
            }
        }
        c.get()
    })
}

/// `e.__traceback__`: a chain of traceback objects (outermost frame first,
/// `tb_next` going inwards, `tb_lineno` each), or None if `e` was never
/// raised.
pub fn traceback_of(e: GcRef) -> GcRef {
    let entries = match types::inst_get(e, "__tb__") {
        Some(l) if l.tid() == tid::LIST => list_items(l),
        _ => return none(),
    };
    let cls = tb_class();
    if cls.is_null() {
        return none();
    }
    let mut next = none();
    for ent in entries {
        if ent.tid() != tid::INT {
            continue;
        }
        let line = geti(ent, &int_obj::v) & 0xffff_ffff;
        let tb = types::new_instance(cls);
        types::inst_set(tb, "tb_next", next);
        types::inst_set(tb, "tb_lineno", new_int(line));
        types::inst_set(tb, "tb_frame", none());
        next = tb;
    }
    next
}
