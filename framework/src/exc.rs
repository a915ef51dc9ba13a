//! The pending guest exception, PyPy's `pos_exception` slot.
//!
//! Owns: one thread-local word. A residual call whose descr says
//! `can_raise` reports a guest exception by setting it (to the exception
//! object, never null); the trace follows such calls with
//! `guard_no_exception`, which fails while the slot is set. The VM clears
//! it with [`take`] when it handles the exception in the interpreter.
//!
//! Also owns the *forced* flag (PyPy's `vable_token` check after
//! `call_assembler`): a helper called from compiled code sets it when the
//! trace cannot go on after the call (the callee's result does not fit
//! what was traced); the `guard_not_forced` that follows the call fails
//! while it is set, and the driver clears it when it handles that exit.

use crate::heap::GcRef;
use crate::ir::EffectInfo;
use std::cell::Cell;

thread_local! {
    static PENDING: Cell<usize> = const { Cell::new(0) };
    static FORCED: Cell<u64> = const { Cell::new(0) };
}

/// Makes the next `guard_not_forced` fail.
pub fn set_forced() {
    FORCED.with(|f| f.set(1));
}

/// Whether the forced flag is set (the next `guard_not_forced` would fail).
pub fn is_forced() -> bool {
    FORCED.with(|f| f.get() != 0)
}

/// Clears the forced flag; true if it was set.
pub fn take_forced() -> bool {
    FORCED.with(|f| f.replace(0) != 0)
}

/// Address of this thread's forced flag (a word, non-zero = forced), for
/// native backends to test inline.
pub fn forced_slot_addr() -> usize {
    FORCED.with(|f| f.as_ptr() as usize)
}

/// Records a pending exception (`exc` must not be null).
pub fn raise(exc: GcRef) {
    debug_assert!(!exc.is_null());
    PENDING.with(|p| p.set(exc.addr()));
}

/// Whether a guest exception is pending (the next `guard_no_exception` would fail).
pub fn is_pending() -> bool {
    PENDING.with(|p| p.get() != 0)
}

/// Takes the pending exception, leaving the slot empty.
pub fn take() -> Option<GcRef> {
    let a = PENDING.with(|p| p.replace(0));
    // SAFETY-free: the slot only ever holds refs stored by `raise`.
    (a != 0).then(|| unsafe_ref(a))
}

/// The pending exception without taking it (a root for the collector).
pub fn peek() -> Option<GcRef> {
    let a = PENDING.with(|p| p.get());
    (a != 0).then(|| unsafe_ref(a))
}

fn unsafe_ref(a: usize) -> GcRef {
    // SAFETY: `raise` only stores valid heap references.
    unsafe { GcRef::from_addr(a) }
}

/// Address of this thread's slot, for native backends to test inline.
pub fn slot_addr() -> usize {
    PENDING.with(|p| p.as_ptr() as usize)
}

extern "C" fn mt_take_exception() -> GcRef {
    take().unwrap_or(GcRef::NULL)
}
crate::residual!(
    /// Takes the pending exception (null if none), clearing the slot: what
    /// [`Ctx::take_exception`](crate::Ctx::take_exception) records. PyPy's
    /// `save_exception`, as a residual call: compiled code reads the slot
    /// through it, so a bridge out of `guard_no_exception` gets the
    /// exception it fails with, not the one seen while tracing. It writes
    /// the slot only, but is marked as writing the heap so that no shadow
    /// run (`--jit verify`) and no optimization moves or drops it.
    pub static TAKE_EXCEPTION = fn mt_take_exception() -> GcRef,
    EffectInfo::RESIDUAL
);
