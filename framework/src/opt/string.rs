//! String optimizations (PyPy's `optimizeopt/vstring.py`): a documented
//! no-op for now.
//!
//! Owns: nothing yet. PyPy keeps strings virtual (concatenation, slicing,
//! `strgetitem` on virtual strings) because RPython has string ops in its
//! IR. Metatrace's IR has no string ops: a VM's strings are ordinary heap
//! arrays and structs, so `virtualize` and `heap` already see them. The
//! pass keeps its place in the pipeline (and its `enable_opts` name) so a
//! future string-op family has a home.

use super::{send, Pass, Shared};
use crate::ir::Op;

pub(crate) struct Strings;

impl Pass for Strings {
    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        send(op, sh, next)
    }
}
