//! The thread's *activation*: which driver and interpreter compiled code,
//! or a `call_may_force` helper, was entered from.
//!
//! Owns: the thread-local current activation, `activate` (made by
//! `enter_code` and `call_may_force`), `with_activation` (taken by the
//! `call_assembler` helper and by `guest::reenter`), the process-unique
//! driver numbers.
//!
//! A leaf: it knows neither the driver nor the contexts. The activation
//! stores type-erased pointers plus the `TypeId` of the (driver,
//! interpreter) pair; `with_activation` hands them back only to a caller
//! naming the same pair of types.
//!
//! Why raw pointers at all: while compiled code runs, the driver that
//! entered it is mutably borrowed further up the stack, and a helper
//! called from compiled code receives nothing but words. The pointers are
//! derived from that live `&mut` borrow just before the code is entered,
//! and the activation is *taken*, not shared, while it is used, so two
//! `&mut` to the driver or the interpreter never coexist.

use std::any::TypeId;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The thread's current activation: the driver and interpreter that
/// compiled code, or a `call_may_force` helper, was entered from.
#[derive(Clone, Copy)]
struct Current {
    driver: *mut (),
    interp: *mut (),
    id: usize,
    /// `TypeId` of the (driver, interpreter) pair: checked before casting.
    ty: Option<TypeId>,
}

impl Current {
    const NONE: Current = Current {
        driver: std::ptr::null_mut(),
        interp: std::ptr::null_mut(),
        id: 0,
        ty: None,
    };
}

thread_local! {
    static CURRENT: Cell<Current> = const { Cell::new(Current::NONE) };
}

static NEXT_DRIVER: AtomicUsize = AtomicUsize::new(1);

/// A process-unique driver number (descrs name their driver by it: drivers
/// move, numbers do not).
pub(crate) fn new_driver_id() -> usize {
    NEXT_DRIVER.fetch_add(1, Ordering::Relaxed)
}

/// Restores the previous activation when compiled code or a helper
/// returns (or a panic unwinds through it).
pub(crate) struct Restore(Current);
impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Makes `driver` and `interp` the thread's activation until the result
/// drops. Both pointers must come from live `&mut` borrows that stay
/// unused meanwhile (the caller only waits for compiled code or a helper).
pub(crate) fn activate<D: 'static, I: 'static>(
    driver: *mut D,
    interp: *mut I,
    id: usize,
) -> Restore {
    let current = Current {
        driver: driver as *mut (),
        interp: interp as *mut (),
        id,
        ty: Some(TypeId::of::<(D, I)>()),
    };
    Restore(CURRENT.with(|c| c.replace(current)))
}

/// Runs `f` on the thread's activation if it belongs to an interpreter
/// of type `I` (`None` otherwise), leaving none behind while `f` runs:
/// `f` is the only user of the pointers, so a nested helper cannot reach
/// them a second time (it needs an activation of its own, made by
/// `enter_code` or `call_may_force`).
pub(crate) fn with_activation<D: 'static, I: 'static, T>(
    f: impl FnOnce(&mut D, &mut I, usize) -> T,
) -> Option<T> {
    let cur = CURRENT.with(|c| c.get());
    if cur.driver.is_null() || cur.ty != Some(TypeId::of::<(D, I)>()) {
        return None;
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Current::NONE)));
    // SAFETY: an activation holds pointers from live `&mut` borrows of a
    // `D` and an `I` (the type id was just checked), made by
    // `enter_code` or `call_may_force` further up this thread's stack,
    // whose owners only wait for the call we are inside of. No activation
    // is left behind until `_restore` drops, so these are the only
    // references made from it meanwhile.
    let (jit, interp) = unsafe { (&mut *(cur.driver as *mut D), &mut *(cur.interp as *mut I)) };
    Some(f(jit, interp, cur.id))
}
