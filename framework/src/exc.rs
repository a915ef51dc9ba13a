//! The pending guest exception, PyPy's `pos_exception` slot.
//!
//! Owns: one thread-local word. A residual call whose descr says
//! `can_raise` reports a guest exception by setting it (to the exception
//! object, never null); the trace follows such calls with
//! `guard_no_exception`, which fails while the slot is set. The VM clears
//! it with [`take`] when it handles the exception in the interpreter.

use crate::heap::GcRef;
use std::cell::Cell;

thread_local! {
    static PENDING: Cell<usize> = const { Cell::new(0) };
}

/// Records a pending exception (`exc` must not be null).
pub fn raise(exc: GcRef) {
    debug_assert!(!exc.is_null());
    PENDING.with(|p| p.set(exc.addr()));
}

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
