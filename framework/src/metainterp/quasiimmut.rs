//! Quasi-immutable fields (PyPy's `quasiimmut.py`): fields read as
//! constants by compiled code, guarded by `guard_not_invalidated`.
//!
//! Owns: what happens when such a field is written — every loop that
//! folded it is invalidated (its `guard_not_invalidated`s fail from now
//! on, also in a running activation), its cells forget it, and a trace
//! being recorded meanwhile is marked stale. The dependencies themselves
//! are filed by `compile`.

use super::driver::JitDriver;
use crate::ctx::Interp;
use crate::heap::GcRef;
use crate::ir::FieldDescr;

impl<I: Interp> JitDriver<I> {
    /// A quasi-immutable field was written: every loop that read it as a
    /// constant is invalidated and will not be entered again.
    pub(crate) fn quasi_immutable_written(&mut self, obj: GcRef, d: &'static FieldDescr) {
        if self.recording > 0 {
            self.qi_written
                .push((obj.addr(), d as *const FieldDescr as usize));
        }
        let Some(loops) = self
            .qi_deps
            .remove(&(obj.addr(), d as *const FieldDescr as usize))
        else {
            return;
        };
        let any = !loops.is_empty();
        for id in loops {
            self.backend.invalidate(id);
            if let Some(v) = &self.verifier {
                crate::backend::Backend::invalidate(&v.shadow, id);
            }
            self.stats.invalidated_loops += 1;
            for cell in self.cells.values_mut() {
                cell.forget(id);
            }
        }
        if any {
            // Function entries and loops both serve `call_assembler` sites.
            self.bump_code_epoch();
        }
    }
}
