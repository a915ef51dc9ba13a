//! The optimizer pipeline (DESIGN §6): PyPy's passes in PyPy's order —
//! intbounds, rewrite, virtualize, string, pure, earlyforce, heap, unroll —
//! one module each, each switchable through `enable_opts`.
//!
//! Owns: the entry points the warm state calls for loops and bridges.
//! Contract for passes: the result is a verified trace with the same
//! inputargs; guards keep their descr (so resume data still applies) and
//! their fail args keep their length and order; a pass may remove guards
//! and must not invent new guard ids.
//!
//! The passes land with the optimizer issue; until then traces go to the
//! backend as recorded (the recorder already folds constant operations).

use crate::ir::Trace;
use crate::params::JitParams;

/// Optimizes a loop trace (`label ... jump`).
pub fn optimize_loop(trace: &Trace, _params: &JitParams) -> Trace {
    trace.clone()
}

/// Optimizes a bridge trace.
pub fn optimize_bridge(trace: &Trace, _params: &JitParams) -> Trace {
    trace.clone()
}
