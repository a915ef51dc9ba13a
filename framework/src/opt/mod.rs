//! The optimizer pipeline (DESIGN §6): PyPy's passes in PyPy's order —
//! intbounds, rewrite, virtualize, string, pure, earlyforce, heap, unroll —
//! one module each, each switchable through `enable_opts`.
//!
//! Owns: the entry points the warm state calls for loops and bridges.
//!
//! Contract for passes:
//! - the result verifies, has the same `inputargs`, and a loop keeps its
//!   first op `label(inputargs, descr=TargetToken(n))` so bridges and the
//!   interpreter can enter there;
//! - a guard keeps its descr, and its fail args keep the recorder's layout
//!   (length and order) as a prefix: resume data is keyed by guard id and
//!   cuts the fail args by position. A pass may append fail args and
//!   describe virtuals (`Op::virtuals`) whose slot holds `ConstPtr(null)`;
//! - a guard may be removed; a guard may be duplicated (loop peeling) only
//!   under a fresh id from `new_guard`, reported in `guard_copies` as
//!   (copy, original) so the copy gets the original's resume data.
//!
//! The passes land with the optimizer issue; until then traces go to the
//! backend as recorded (the recorder already folds constant operations).

use crate::ir::{GuardId, Trace};
use crate::params::JitParams;

/// An optimized trace and the guards it cloned.
pub struct Optimized {
    pub trace: Trace,
    /// (new guard id, guard whose resume data it shares).
    pub guard_copies: Vec<(GuardId, GuardId)>,
}

/// Optimizes a loop trace (`label ... jump`).
pub fn optimize_loop(trace: &Trace, _params: &JitParams, _new_guard: &mut dyn FnMut() -> GuardId) -> Optimized {
    Optimized { trace: trace.clone(), guard_copies: Vec::new() }
}

/// Optimizes a bridge trace (inputargs = the guard's fail args).
pub fn optimize_bridge(trace: &Trace, _params: &JitParams, _new_guard: &mut dyn FnMut() -> GuardId) -> Optimized {
    Optimized { trace: trace.clone(), guard_copies: Vec::new() }
}
