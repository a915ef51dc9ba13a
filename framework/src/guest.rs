//! Guest calls from residual helpers: the run-time half of PyPy's
//! `call_may_force`.
//!
//! Owns: [`reenter`], the entry point a Rust helper
//! uses to run guest code while it is itself running on behalf of the
//! interpreter (a user `__hash__` called from a dict lookup, a key
//! function called from a sort, a callback from a builtin `map`).
//!
//! Why an activation: a helper is a plain `extern "C"` function, called
//! from the interpreter (through a context), from the recorder or from
//! compiled code; none of them passes it the interpreter. The framework
//! keeps the thread's *activation* — which driver and interpreter are
//! waiting on the helper — and [`reenter`] borrows it:
//! - compiled code makes one whenever it is entered (`enter_code`), so any
//!   helper it calls can re-enter;
//! - in the interpreter and while recording, [`crate::Jit::call_may_force`]
//!   makes one from the `&mut` interpreter the VM passes in, for the
//!   length of the helper call. A helper called with plain `Ctx::call`
//!   finds none: [`reenter`] answers `None`, and the VM falls back (raises,
//!   or runs a guest-level version of the work).
//!
//! The activation is taken, not shared, while the closure runs: a nested
//! helper needs its own (made by the nested `call_may_force` or compiled
//! code), so two `&mut` to the interpreter never coexist.
//!
//! Collections: a helper runs inside a `heap::gc::NoCollect` scope (see
//! `residual!`), and guest code it runs stays inside it — collections that
//! come due meanwhile wait until the helper returns. That is what lets a
//! helper keep references anywhere (a `Vec` of a dict's items while a user
//! `__eq__` runs, which might drop them from the dict); the price is that
//! the garbage of one guest call from a helper is only collected after it.
//! Fine for dunders and callbacks; a helper running a long guest loop
//! should give the work back to the interpreter instead.
//!
//! What the trace knows: the call is `call_may_force_K` followed by
//! `guard_no_exception`; heap caches are dropped and the next
//! quasi-immutable read guards again (`guard_not_invalidated`). No
//! `guard_not_forced` follows it: the caller's frame lives in its trace's
//! registers, where guest code cannot reach it, so there is nothing a
//! helper could force. The nested portal runs like any other: interpreted,
//! entering compiled code, or tracing its own loops once none is being
//! recorded.

use crate::ctx::Interp;
use crate::metainterp::activation::with_activation;
use crate::metainterp::direct::NoLog;
use crate::metainterp::{Direct, JitDriver};

/// Runs `f` with the interpreter and a direct-mode context of the current
/// activation, or answers `None` when the thread has none for an `I`
/// (the helper was not called through `call_may_force` or from compiled
/// code). Anything `f` does through the context behaves as in the
/// interpreter: portal calls may enter compiled code or start tracing.
/// Make guest calls the way the VM's `step` makes them (its own call
/// path, with its bookkeeping such as a recursion-depth cell), not with a
/// bare `call_portal`.
pub fn reenter<I: Interp, T>(f: impl FnOnce(&mut I, &mut Direct<'_, I>) -> T) -> Option<T> {
    with_activation::<JitDriver<I>, I, _>(|jit, interp, _| {
        f(interp, &mut Direct { jit, log: NoLog })
    })
}
