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

use crate::bytecode::CmpOp;
use crate::interp::{Res, Thrown, Vm};
use crate::objects::*;
pub use crate::types::has_dunder;
use crate::types::{self, PyResult, NEED_GUEST};
use metatrace::heap::{GcRef, REF_ARRAY};
use metatrace::ir::{CallDescr, EffectInfo};
use metatrace::Direct;
use metatrace::{Jit, Val};

extern "C" fn mp_dict_probe(d: GcRef, h: i64, n: i64) -> i64 {
    crate::dict::probe(d, h, n as usize).map_or(-1, |e| e as i64)
}
metatrace::residual!(
    /// Entry number of the `n`-th live entry with hash `h` along `d`'s
    /// probe sequence (-1: none). Reads only.
    pub static DICT_PROBE = fn mp_dict_probe(d: GcRef, h: i64, n: i64) -> i64,
    EffectInfo { writes_heap: false, ..EffectInfo::RESIDUAL }
);
extern "C" fn mp_hash_result(r: GcRef) -> i64 {
    match r.tid() {
        tid::INT | tid::BOOL | tid::BIG => match crate::dict::hash(r) {
            Ok(-1) => -2,
            Ok(h) => h,
            Err(e) => {
                crate::ops::deliver(Err(e));
                0
            }
        },
        _ => {
            crate::ops::deliver(types::err(
                ExcKind::TypeError,
                "__hash__ method should return an integer",
            ));
            0
        }
    }
}
metatrace::residual!(
    /// The hash a user `__hash__`'s result stands for.
    pub static HASH_RESULT = fn mp_hash_result(r: GcRef) -> i64, crate::ops::RAISES
);
extern "C" fn mp_key_error(k: GcRef) -> GcRef {
    types::exc_with_args(rt().exc(ExcKind::KeyError), &[k])
}
metatrace::residual!(
    /// `KeyError(k)`.
    pub static KEY_ERROR = fn mp_key_error(k: GcRef) -> GcRef, EffectInfo::RESIDUAL
);

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
        _ => types::err(
            ExcKind::TypeError,
            "__hash__ method should return an integer",
        ),
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
            ExcKind::TypeError,
            format!("{name} returned non-string (type {})", types::tname(s)),
        ),
        None => Err(NEED_GUEST),
    }
}

impl Vm {
    /// `d[key]` for a dict and an instance whose class defines `__hash__`,
    /// with the dunders called from the trace (inlined there) rather than
    /// from a helper: the hash, then `DICT_PROBE` for each entry of equal
    /// hash in CPython's probe order, `__eq__` on it, and a restart when
    /// `__eq__` replaced the table — what `dict::find` does, call for
    /// call. `None` (before any dunder ran): not such a key.
    pub(crate) fn dict_getitem_user<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        d: C::Ref,
        key: C::Ref,
    ) -> Res<C, Option<C::Ref>> {
        let kc = ctx.peek_ref(key);
        let f = types::class_lookup(getr(kc, &inst_obj::cls), "__hash__");
        if f.is_null() || f.tid() != tid::FUNC {
            return Ok(None);
        }
        let Some(r) = self.call_dunder(ctx, key, "__hash__", &[])? else {
            return Ok(None);
        };
        let h = ctx.call(&HASH_RESULT, &[Val::Ref(r)]).int();
        if metatrace::exc::is_pending() {
            self.check(ctx, r)?;
        }
        let mut n = 0i64;
        loop {
            let nn = ctx.const_int(n);
            let e = ctx
                .call(&DICT_PROBE, &[Val::Ref(d), Val::Int(h), Val::Int(nn)])
                .int();
            let zero = ctx.const_int(0);
            let absent = ctx.int_lt(e, zero);
            if ctx.is_true(absent) {
                let exc = ctx.call(&KEY_ERROR, &[Val::Ref(key)]).gcref();
                return Err(Thrown { exc, tb: true });
            }
            let keys = ctx.getfield_r(d, &dict_obj::keys);
            let k2 = ctx.getarrayitem_r(keys, &REF_ARRAY, e);
            let same = ctx.ptr_eq(k2, key);
            if !ctx.is_true(same) {
                let r = self.compare(ctx, CmpOp::Eq, k2, key)?;
                let equal = self.truthy(ctx, r)?;
                // `__eq__` may have changed the dict: if the table or the
                // entry is not what was compared, start over.
                let keys2 = ctx.getfield_r(d, &dict_obj::keys);
                let kept = ctx.ptr_eq(keys, keys2);
                let still = ctx.is_true(kept) && {
                    let k3 = ctx.getarrayitem_r(keys2, &REF_ARRAY, e);
                    let same3 = ctx.ptr_eq(k3, k2);
                    ctx.is_true(same3)
                };
                if !still {
                    n = 0;
                    continue;
                }
                if !equal {
                    n += 1;
                    continue;
                }
            }
            let vals = ctx.getfield_r(d, &dict_obj::vals);
            return Ok(Some(ctx.getarrayitem_r(vals, &REF_ARRAY, e)));
        }
    }

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

    /// `call_maybe_guest` where `key` is the value whose dunders the
    /// helper would call: an instance goes straight to `call_may_force`
    /// (its class is known in the trace, so the plain call that would only
    /// answer "needs guest code" is not made at all).
    pub fn call_keyed<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        key: C::Ref,
        d: &'static CallDescr,
        args: &[Val<C::R>],
    ) -> Res<C, Option<C::Ref>> {
        if ctx.class_of(key) == tid::INST {
            let r = ctx.call_may_force(self, d, args).gcref();
            return self.check(ctx, r);
        }
        self.call_maybe_guest(ctx, d, args)
    }
}

extern "C" fn mp_bump_versions(cls: GcRef) {
    // The versions are quasi-immutable: written through a context, so
    // the JIT invalidates the loops that folded them (guest::reenter
    // hands this helper one; it is called with `call_may_force`).
    let _ = guest(|_, ctx| {
        for k in types::affected_by(cls) {
            let v = metatrace::Ctx::getfield_i(ctx, k, &type_obj::version);
            metatrace::Ctx::setfield_i(ctx, k, &type_obj::version, v + 1);
        }
        Ok(())
    });
}
metatrace::residual!(
    /// After a write to `cls`'s namespace: bumps the versions of `cls` and
    /// its subclasses.
    pub static BUMP_VERSIONS = fn mp_bump_versions(cls: GcRef), EffectInfo::MAY_FORCE
);

/// Gives the object model the functions of higher layers it calls
/// (`types::Upcalls`).
pub fn install_upcalls() {
    types::install_upcalls(types::Upcalls {
        user_hash,
        user_eq,
        user_text,
        view_eq: crate::views::eq,
        iterate: crate::ops::iterate,
    });
}
