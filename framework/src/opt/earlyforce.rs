//! Early forcing (PyPy's `optimizeopt/earlyforce.py`): a documented no-op.
//!
//! Owns: nothing. In PyPy this pass forces virtuals that reach an op the
//! later passes cannot handle virtually (raw-memory and `*_raw` ops on
//! virtual raw buffers). Metatrace has no virtual raw buffers, and
//! `virtualize` already forces a virtual at every op it does not
//! understand, so nothing is left for this pass; it keeps its place in the
//! pipeline and its `enable_opts` name.

use super::{send, Pass, Shared};
use crate::ir::Op;

pub(crate) struct EarlyForce;

impl Pass for EarlyForce {
    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        send(op, sh, next)
    }
}
