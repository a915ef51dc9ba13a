//! Guest code called from residual helpers: user `__hash__` and `__eq__`
//! met inside dict and set operations (and anything else a Rust helper
//! cannot finish alone).
//!
//! Owns: [`guest`] (run interpreter code from a helper through
//! `metatrace::guest::reenter`), [`user_hash`], [`user_eq`], and the
//! interpreter side of the protocol, [`Vm::call_maybe_guest`].
//!
//! The protocol: a helper that meets a user dunder calls it through
//! [`guest`]. When the helper was called with plain `ctx.call` there is no
//! activation to re-enter, and the helper answers `NEED_GUEST` (null,
//! nothing pending) *before changing anything*; the interpreter then calls
//! it again with `call_may_force`, which lets it re-enter. So traces of
//! dicts keyed by strings and ints keep their cheap residual calls (the
//! heap caches survive them), and only paths that met a user key pay for
//! a `call_may_force`.

use crate::interp::{Res, Thrown, Vm};
use crate::objects::*;
use crate::types::{self, PyResult, NEED_GUEST};
use metatrace::direct::Direct;
use metatrace::heap::GcRef;
use metatrace::ir::CallDescr;
use metatrace::{Jit, Val};

/// Runs `f` as interpreter code on behalf of the helper running now;
/// `Err(NEED_GUEST)` when the helper was not called through
/// `call_may_force` (or compiled code), a raised exception as `Err(exc)`.
pub fn guest<T>(
    f: impl FnOnce(&mut Vm, &mut Direct<'_, Vm>) -> Result<T, Thrown<GcRef>>,
) -> PyResult<T> {
    match metatrace::guest::reenter::<Vm, _>(f) {
        None => Err(NEED_GUEST),
        Some(Ok(v)) => Ok(v),
        Some(Err(Thrown { exc, .. })) => Err(exc),
    }
}

/// `hash(o)` for an instance whose class defines `__hash__`.
pub fn user_hash(o: GcRef) -> PyResult<i64> {
    let r = guest(|vm, ctx| vm.call_dunder(ctx, o, "__hash__", &[]))?;
    match r {
        Some(v) if matches!(v.tid(), tid::INT | tid::BOOL | tid::BIG) => {
            let h = crate::dict::hash(v)?;
            // CPython reserves -1 for errors.
            Ok(if h == -1 { -2 } else { h })
        }
        _ => types::err("TypeError", "__hash__ method should return an integer"),
    }
}

/// `a == b` when either is an instance whose class defines `__eq__`:
/// `a.__eq__(b)`, then the reflected `b.__eq__(a)`, then identity.
pub fn user_eq(a: GcRef, b: GcRef) -> PyResult<bool> {
    guest(|vm, ctx| {
        for (x, y) in [(a, b), (b, a)] {
            if x.tid() == tid::INST {
                if let Some(r) = vm.call_dunder_ni(ctx, x, "__eq__", &[y])? {
                    return vm.truthy(ctx, r);
                }
            }
        }
        Ok(a == b)
    })
}

/// `o.__repr__()` or `o.__str__()` (`name`), which must return a str.
pub fn user_text(o: GcRef, name: &str) -> PyResult<String> {
    let r = guest(|vm, ctx| vm.call_dunder(ctx, o, name, &[]))?;
    match r {
        Some(s) if s.tid() == tid::STR => Ok(str_of(s)),
        Some(s) => types::err(
            "TypeError",
            format!("{name} returned non-string (type {})", types::tname(s)),
        ),
        None => Err(NEED_GUEST),
    }
}

/// Whether a dunder named `name` is defined by the class of instance `o`.
pub fn has_dunder(o: GcRef, name: &str) -> bool {
    o.tid() == tid::INST && !types::class_lookup(getr(o, &inst_obj::cls), name).is_null()
}

impl Vm {
    /// Calls helper `d`; when it needs guest code (null, nothing pending),
    /// calls it again as `call_may_force` so it can run that code itself.
    /// `None`: still not possible (the caller's own fallback).
    pub fn call_maybe_guest<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        d: &'static CallDescr,
        args: &[Val<C::R>],
    ) -> Res<C, Option<C::Ref>> {
        let r = ctx.call(d, args).gcref();
        if let Some(v) = self.check(ctx, r)? {
            return Ok(Some(v));
        }
        let r = ctx.call_may_force(self, d, args).gcref();
        self.check(ctx, r)
    }
}
