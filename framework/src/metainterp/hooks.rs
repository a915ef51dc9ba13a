//! The narrow interface between the contexts and the driver.
//!
//! Owns: `Hooks`, everything direct mode (`direct`) and the recorder
//! (`record`) may ask of the driver that runs them. PyPy's `pyjitpl`
//! reaches its `MetaInterpStaticData` and warm state through a handful of
//! calls; this trait is that handful, so neither context names
//! `JitDriver` and the metainterp modules import each other in one
//! direction only (see the module map in `metainterp`).
//!
//! The contexts hold a `&mut dyn Hooks<I>`: the calls that go through it
//! are rare (quasi-immutable writes, guest calls, guard numbering while
//! recording), so the indirection costs nothing measurable in direct mode
//! and keeps the contexts' types independent of the driver's.

use super::activation::Restore;
use super::warmstate::LoopEntry;
use crate::ctx::{Interp, Plain, Shape};
use crate::heap::GcRef;
use crate::ir::{AssemblerDescr, FieldDescr, GuardId, Kind};
use crate::params::JitParams;
use std::rc::Rc;

/// What a context may ask of the driver running it.
pub(crate) trait Hooks<I: Interp> {
    /// The driver's `--jit` parameters (`trace_limit`, inline depth, ...).
    fn params(&self) -> &JitParams;
    /// A fresh guard number (also used for `finish` descrs).
    fn new_guard_id(&mut self) -> GuardId;
    /// A quasi-immutable field was written: invalidate what read it.
    fn quasi_immutable_written(&mut self, obj: GcRef, d: &'static FieldDescr);
    /// A portal call: interpret, trace or enter compiled code, like a call
    /// from the interpreter.
    fn portal(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Plain>,
    ) -> I::Ret<Plain>;
    /// Makes this driver and `interp` the thread's activation until the
    /// result drops (`call_may_force`: the helper may re-enter).
    fn activate(&mut self, interp: &mut I) -> Restore;
    /// May portal calls become `call_assembler` (the VM compares result
    /// shapes)?
    fn call_assembler_allowed(&self) -> bool;
    /// The VM cannot compare result shapes: portal calls are inlined only.
    fn forbid_call_assembler(&mut self);
    /// The descr of a `call_assembler` site (shared by equal sites).
    fn assembler_site(
        &mut self,
        greens: I::Greens,
        frame: Rc<I::Frame<Shape>>,
        ret: Rc<I::Ret<Shape>>,
        args: &[Kind],
        result: Kind,
        at_loop: bool,
    ) -> &'static AssemblerDescr;
    /// A portal call that starts at the loop header `greens` (right after
    /// its `can_enter_jit`) and runs the frame to its return.
    fn portal_at_loop(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Plain>,
    ) -> I::Ret<Plain>;
    /// The compiled loop whose header is `greens`, if any (a trace reaching
    /// it closes with a jump there).
    fn loop_at(&self, greens: &I::Greens) -> Option<LoopEntry>;
}
