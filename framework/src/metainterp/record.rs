//! The recorder: recording mode of the context (LuaJIT's `lj_record`,
//! PyPy's `pyjitpl`).
//!
//! Owns: `Recorder`, the `Ctx` whose reds are `T<v>` (value + operand).
//! Every op is executed concretely *and* appended to the trace; ops whose
//! operands are all constants are folded instead of recorded; branches on
//! reds record the guard for the direction taken.
//!
//! Exact deoptimization starts here (DESIGN §4). For each inline frame the
//! recorder keeps the snapshot of the reds at the merge point that started
//! the current instruction, plus the *effect log* of that instruction so
//! far: results of heap reads, allocations and residual calls, and markers
//! for heap writes. A guard's fail args are, frame by frame, the snapshot
//! followed by the logged results; its resume data says how to cut them up.
//! On failure the instruction is re-run from its start with the log as a
//! *replay queue*: logged ops hand back their recorded results (writes are
//! skipped, they already happened), so no effect is ever repeated.
//!
//! The same recorder runs in `Discard` mode to replay an instruction after a
//! guard failure when no bridge is wanted: values are computed, nothing is
//! recorded.

use super::hooks::Hooks;
use super::resume::{EffectShape, FrameResume, GuardResume, Replayed};
use super::stats::AbortReason;
use crate::ctx::{Ctx, Interp, Jit, Lift, Operands, Repr, Shape, Step, Traced, Val, T};
use crate::heap::roots::Rooted;
use crate::heap::{self, GcRef};
use crate::ir::{
    eval, ArrayDescr, CallDescr, Descr, FieldDescr, GuardId, Kind, OpNum, Operand, SizeDescr, Trace,
};
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// Recording a loop or bridge.
    Tracing,
    /// Replaying after a guard failure: compute, record nothing.
    Discard,
}

/// One entry of an instruction's effect log (see module docs).
pub(crate) enum Effect<I: Interp> {
    /// A replayable result (heap read, allocation, residual call).
    Val(Kind, Operand),
    /// A write or void call: skipped on replay.
    Void,
    /// The result of an inlined portal call that has returned.
    Ret(Rc<I::Ret<Shape>>, Vec<Operand>),
    /// The inlined portal call now running (outer frames only).
    Pending,
}

/// How an inlined portal call ended (`Recorder::run_inline_call`).
pub(crate) enum Inlined<R> {
    /// The callee returned inside the trace.
    Returned(R),
    /// The callee reached a loop header and was left to that loop's code
    /// through `call_assembler`.
    LeftAtLoop(R),
}

/// The per-frame state of an inline frame being recorded.
pub(crate) struct FrameRec<I: Interp> {
    pub greens: I::Greens,
    /// Where this frame's portal invocation started (recursion detection).
    pub entry: I::Greens,
    pub shape: Rc<I::Frame<Shape>>,
    pub snapshot: Vec<Operand>,
    pub kinds: Vec<Kind>,
    pub effects: Vec<Effect<I>>,
}

/// The recording-mode context.
pub struct Recorder<'a, I: Interp> {
    pub(crate) jit: &'a mut dyn Hooks<I>,
    pub(crate) trace: Trace,
    pub(crate) mode: Mode,
    pub(crate) abort: Option<AbortReason>,
    pub(crate) frames: Vec<FrameRec<I>>,
    pub(crate) replay: VecDeque<Replayed<I>>,
    /// Guards recorded so far with their resume data.
    pub(crate) guards: Vec<(GuardId, GuardResume<I>)>,
    /// Quasi-immutable fields read as constants: (object, field).
    pub(crate) qi_deps: Vec<(GcRef, &'static FieldDescr)>,
    /// Classes already guarded, by variable (PyPy's heapcache known classes).
    known_class: hashbrown::HashMap<u32, u32>,
    known_nonnull: hashbrown::HashSet<u32>,
    invalidation_guarded: bool,
}

impl<'a, I: Interp> Recorder<'a, I> {
    pub(crate) fn new(jit: &'a mut dyn Hooks<I>, mode: Mode) -> Self {
        Recorder {
            jit,
            trace: Trace::new(),
            mode,
            abort: None,
            frames: Vec::new(),
            replay: VecDeque::new(),
            guards: Vec::new(),
            qi_deps: Vec::new(),
            known_class: Default::default(),
            known_nonnull: Default::default(),
            invalidation_guarded: false,
        }
    }

    /// Root visitor (`heap::roots::Visit`) for a recorder in use: the
    /// constants of the trace so far (a promoted or quasi-immutable
    /// reference may exist nowhere else until the loop is compiled), the
    /// operands of frame snapshots and effect logs, and the values waiting
    /// in the replay queue.
    pub(crate) fn visit_roots(rec: &Self, out: &mut dyn FnMut(usize)) {
        fn op(o: &Operand, out: &mut dyn FnMut(usize)) {
            if let Operand::ConstPtr(p) = o {
                out(*p)
            }
        }
        for o in &rec.trace.ops {
            o.args.iter().for_each(|a| op(a, out));
            o.fail_args.iter().flatten().for_each(|a| op(a, out));
        }
        for fr in &rec.frames {
            fr.snapshot.iter().for_each(|a| op(a, out));
            for e in &fr.effects {
                match e {
                    Effect::Val(_, o) => op(o, out),
                    Effect::Ret(_, os) => os.iter().for_each(|a| op(a, out)),
                    Effect::Void | Effect::Pending => {}
                }
            }
        }
        for r in &rec.replay {
            match r {
                Replayed::Val(Kind::Ref, w, o) => {
                    out(*w as usize);
                    op(o, out)
                }
                Replayed::Ret(r) => {
                    let _ = I::map_ret(r, &mut crate::ctx::RefWords(out));
                }
                Replayed::Val(..) | Replayed::Void => {}
            }
        }
        for (obj, _) in &rec.qi_deps {
            out(obj.addr())
        }
    }

    /// Recording (not discarding, not aborted)?
    #[inline]
    pub(crate) fn recording(&self) -> bool {
        self.mode == Mode::Tracing && self.abort.is_none()
    }

    pub(crate) fn set_abort(&mut self, r: AbortReason) {
        if self.mode == Mode::Tracing && self.abort.is_none() {
            self.abort = Some(r);
        }
    }

    /// Pushes a frame for a trace or an inlined call, with its reds as the
    /// initial snapshot.
    pub(crate) fn push_frame(&mut self, greens: I::Greens, frame: &I::Frame<Traced>) {
        let mut snapshot = Vec::new();
        let mut kinds = Vec::new();
        let shape = I::map_frame(frame, &mut Operands(&mut snapshot, &mut kinds));
        self.frames.push(FrameRec {
            entry: greens.clone(),
            greens,
            shape: Rc::new(shape),
            snapshot,
            kinds,
            effects: Vec::new(),
        });
    }

    /// `jit_merge_point` of the innermost frame: a new instruction starts.
    pub(crate) fn merge_point(&mut self, interp: &I, greens: &I::Greens, frame: &I::Frame<Traced>) {
        if !self.recording() {
            return;
        }
        let depth = self.frames.len().saturating_sub(1);
        let mut op = crate::ir::Op::new(
            OpNum::DebugMergePoint,
            &[Operand::ConstInt(depth as i64)],
            None,
            None,
        );
        op.comment = Some(interp.printable_location(greens).into());
        self.trace.ops.push(op);
        let fr = self.frames.last_mut().expect("merge point without a frame");
        fr.greens = greens.clone();
        fr.snapshot.clear();
        fr.kinds.clear();
        fr.shape = Rc::new(I::map_frame(
            frame,
            &mut Operands(&mut fr.snapshot, &mut fr.kinds),
        ));
        fr.effects.clear();
        if self.trace.ops.len() > self.jit.params().trace_limit {
            self.set_abort(AbortReason::TraceTooLong);
        }
    }

    /// `--jit verify`: before a trace's closing `jump`, a `guard_verify`
    /// whose resume data is the frame at the loop header it reaches (no
    /// instruction in progress), so the verifier's shadow run can stop
    /// there and read the frame off it. Only in the outermost frame.
    pub(crate) fn guard_verify(&mut self, greens: &I::Greens, frame: &I::Frame<Traced>) {
        if !self.recording() || self.frames.len() != 1 {
            return;
        }
        let fr = self.frames.last_mut().expect("checked above");
        fr.greens = greens.clone();
        fr.snapshot.clear();
        fr.kinds.clear();
        fr.shape = Rc::new(I::map_frame(
            frame,
            &mut Operands(&mut fr.snapshot, &mut fr.kinds),
        ));
        fr.effects.clear();
        self.guard(OpNum::GuardVerify, &[]);
    }

    fn new_const(kind: Kind, w: u64) -> Operand {
        Operand::from_bits(kind, w)
    }

    /// Records `op` if recording; returns its result operand (the concrete
    /// value as a constant when not recording).
    fn rec(&mut self, op: OpNum, args: &[Operand], descr: Option<Descr>, w: u64) -> Operand {
        if !self.recording() {
            return Self::new_const(op.result_kind(), w);
        }
        match self.trace.push(op, args, descr) {
            Some(v) => Operand::Var(v),
            None => Operand::ConstInt(0),
        }
    }

    /// Records a guard with the current resume data.
    fn guard(&mut self, op: OpNum, args: &[Operand]) {
        if !self.recording() {
            return;
        }
        let id = self.jit.new_guard_id();
        let mut fail_args = Vec::new();
        let mut frames = Vec::with_capacity(self.frames.len());
        for fr in &self.frames {
            fail_args.extend_from_slice(&fr.snapshot);
            let mut effects = Vec::with_capacity(fr.effects.len());
            for e in &fr.effects {
                effects.push(match e {
                    Effect::Val(k, o) => {
                        fail_args.push(*o);
                        EffectShape::Val(*k)
                    }
                    Effect::Void => EffectShape::Void,
                    Effect::Ret(shape, ops) => {
                        fail_args.extend_from_slice(ops);
                        EffectShape::Ret(shape.clone(), ops.len())
                    }
                    Effect::Pending => EffectShape::Pending,
                });
            }
            frames.push(FrameResume {
                greens: fr.greens.clone(),
                entry: fr.entry.clone(),
                shape: fr.shape.clone(),
                n_reds: fr.snapshot.len(),
                effects,
            });
        }
        let mut g = crate::ir::Op::new(op, args, None, Some(Descr::Guard(id)));
        g.fail_args = Some(fail_args);
        self.trace.ops.push(g);
        self.guards.push((id, GuardResume { frames }));
    }

    fn log_effect(&mut self, e: Effect<I>) {
        if self.mode == Mode::Tracing {
            if let Some(fr) = self.frames.last_mut() {
                fr.effects.push(e);
            }
        }
    }

    /// Next replayed value, if replaying; logs it again as an effect so
    /// later guards of the same instruction can replay it too.
    fn replay_val(&mut self, kind: Kind) -> Option<(u64, Operand)> {
        match self.replay.pop_front()? {
            Replayed::Val(k, w, o) => {
                assert_eq!(
                    k, kind,
                    "replay diverged: the VM's instruction is not deterministic"
                );
                self.log_effect(Effect::Val(k, o));
                Some((w, o))
            }
            _ => panic!("replay diverged: expected a value, the log has a write or call"),
        }
    }

    fn replay_void(&mut self) -> bool {
        match self.replay.pop_front() {
            None => false,
            Some(Replayed::Void) => {
                self.log_effect(Effect::Void);
                true
            }
            Some(_) => panic!("replay diverged: expected a write, the log has a value"),
        }
    }

    fn traced_val(kind: Kind, w: u64, op: Operand) -> Val<Traced> {
        match kind {
            Kind::Int => Val::Int(T { v: w as i64, op }),
            Kind::Float => Val::Float(T {
                v: f64::from_bits(w),
                op,
            }),
            Kind::Ref => Val::Ref(T {
                v: crate::backend::word_to_ref(w),
                op,
            }),
            Kind::Void => Val::Void,
        }
    }

    fn val_parts(v: &Val<Traced>) -> (u64, Operand) {
        match v {
            Val::Int(t) => (t.v as u64, t.op),
            Val::Float(t) => (t.v.to_bits(), t.op),
            Val::Ref(t) => (t.v.addr() as u64, t.op),
            Val::Void => (0, Operand::ConstInt(0)),
        }
    }

    /// A heap read that must be replayed (it may see later writes).
    fn logged_read(
        &mut self,
        op: OpNum,
        args: &[Operand],
        d: Descr,
        kind: Kind,
        read: impl FnOnce() -> u64,
    ) -> Val<Traced> {
        if let Some((w, o)) = self.replay_val(kind) {
            return Self::traced_val(kind, w, o);
        }
        let w = read();
        let o = self.rec(op, args, Some(d), w);
        self.log_effect(Effect::Val(kind, o));
        Self::traced_val(kind, w, o)
    }

    fn var_key(o: &Operand) -> Option<u32> {
        o.as_var().map(|v| v.0)
    }
}

impl<I: Interp> Repr for Recorder<'_, I> {
    type Int = T<i64>;
    type Float = T<f64>;
    type Ref = T<GcRef>;
}

impl<'a, I: Interp> Ctx for Recorder<'a, I> {
    type R = Traced;

    fn we_are_jitted(&self) -> bool {
        true
    }
    fn const_int(&mut self, v: i64) -> T<i64> {
        T {
            v,
            op: Operand::ConstInt(v),
        }
    }
    fn const_float(&mut self, v: f64) -> T<f64> {
        T {
            v,
            op: Operand::float(v),
        }
    }
    fn const_ref(&mut self, v: GcRef) -> T<GcRef> {
        T {
            v,
            op: Operand::ConstPtr(v.addr()),
        }
    }

    fn int_binop(&mut self, op: OpNum, a: T<i64>, b: T<i64>) -> T<i64> {
        let v = eval::int_binop(op, a.v, b.v);
        if a.op.is_const() && b.op.is_const() {
            return self.const_int(v);
        }
        T {
            v,
            op: self.rec(op, &[a.op, b.op], None, v as u64),
        }
    }
    fn int_unop(&mut self, op: OpNum, a: T<i64>) -> T<i64> {
        let v = eval::int_unop(op, a.v);
        if a.op.is_const() {
            return self.const_int(v);
        }
        T {
            v,
            op: self.rec(op, &[a.op], None, v as u64),
        }
    }
    fn int_ovf(&mut self, op: OpNum, a: T<i64>, b: T<i64>) -> Option<T<i64>> {
        let r = eval::int_ovf(op, a.v, b.v);
        if a.op.is_const() && b.op.is_const() {
            return r.map(|v| self.const_int(v));
        }
        let wrapped = eval::int_binop(
            match op {
                OpNum::IntAddOvf => OpNum::IntAdd,
                OpNum::IntSubOvf => OpNum::IntSub,
                _ => OpNum::IntMul,
            },
            a.v,
            b.v,
        );
        let res = self.rec(op, &[a.op, b.op], None, wrapped as u64);
        match r {
            Some(v) => {
                self.guard(OpNum::GuardNoOverflow, &[]);
                Some(T { v, op: res })
            }
            None => {
                self.guard(OpNum::GuardOverflow, &[]);
                None
            }
        }
    }
    fn float_binop(&mut self, op: OpNum, a: T<f64>, b: T<f64>) -> T<f64> {
        let v = eval::float_binop(op, a.v, b.v);
        if a.op.is_const() && b.op.is_const() {
            return self.const_float(v);
        }
        T {
            v,
            op: self.rec(op, &[a.op, b.op], None, v.to_bits()),
        }
    }
    fn float_unop(&mut self, op: OpNum, a: T<f64>) -> T<f64> {
        let v = eval::float_unop(op, a.v);
        if a.op.is_const() {
            return self.const_float(v);
        }
        T {
            v,
            op: self.rec(op, &[a.op], None, v.to_bits()),
        }
    }
    fn float_cmp(&mut self, op: OpNum, a: T<f64>, b: T<f64>) -> T<i64> {
        let v = eval::float_cmp(op, a.v, b.v);
        if a.op.is_const() && b.op.is_const() {
            return self.const_int(v);
        }
        T {
            v,
            op: self.rec(op, &[a.op, b.op], None, v as u64),
        }
    }
    fn cast_int_to_float(&mut self, a: T<i64>) -> T<f64> {
        let v = a.v as f64;
        if a.op.is_const() {
            return self.const_float(v);
        }
        T {
            v,
            op: self.rec(OpNum::CastIntToFloat, &[a.op], None, v.to_bits()),
        }
    }
    fn cast_float_to_int(&mut self, a: T<f64>) -> T<i64> {
        let v = a.v as i64;
        if a.op.is_const() {
            return self.const_int(v);
        }
        T {
            v,
            op: self.rec(OpNum::CastFloatToInt, &[a.op], None, v as u64),
        }
    }
    fn ptr_eq(&mut self, a: T<GcRef>, b: T<GcRef>) -> T<i64> {
        let v = (a.v == b.v) as i64;
        if (a.op.is_const() && b.op.is_const()) || a.op == b.op {
            return self.const_int(v);
        }
        T {
            v,
            op: self.rec(OpNum::PtrEq, &[a.op, b.op], None, v as u64),
        }
    }

    fn is_true(&mut self, a: T<i64>) -> bool {
        let t = a.v != 0;
        if !a.op.is_const() {
            self.guard(
                if t {
                    OpNum::GuardTrue
                } else {
                    OpNum::GuardFalse
                },
                &[a.op],
            );
        }
        t
    }
    fn is_null(&mut self, a: T<GcRef>) -> bool {
        let n = a.v.is_null();
        if let Some(k) = Self::var_key(&a.op) {
            if n || !self.known_nonnull.contains(&k) {
                self.guard(
                    if n {
                        OpNum::GuardIsnull
                    } else {
                        OpNum::GuardNonnull
                    },
                    &[a.op],
                );
            }
            if !n && self.recording() {
                self.known_nonnull.insert(k);
            }
        }
        n
    }
    fn promote_int(&mut self, a: T<i64>) -> i64 {
        if !a.op.is_const() {
            self.guard(OpNum::GuardValue, &[a.op, Operand::ConstInt(a.v)]);
        }
        a.v
    }
    fn promote_float(&mut self, a: T<f64>) -> f64 {
        if !a.op.is_const() {
            self.guard(OpNum::GuardValue, &[a.op, Operand::float(a.v)]);
        }
        a.v
    }
    fn promote_ref(&mut self, a: T<GcRef>) -> GcRef {
        if !a.op.is_const() {
            self.guard(OpNum::GuardValue, &[a.op, Operand::ConstPtr(a.v.addr())]);
        }
        a.v
    }
    fn class_of(&mut self, a: T<GcRef>) -> u32 {
        let tid = a.v.tid();
        if let Some(k) = Self::var_key(&a.op) {
            if self.known_class.get(&k) != Some(&tid) {
                let op = if self.known_nonnull.contains(&k) {
                    OpNum::GuardClass
                } else {
                    OpNum::GuardNonnullClass
                };
                self.guard(op, &[a.op, Operand::ConstInt(tid as i64)]);
                if self.recording() {
                    self.known_class.insert(k, tid);
                    self.known_nonnull.insert(k);
                }
            }
        }
        tid
    }

    fn getfield(&mut self, obj: T<GcRef>, d: &'static FieldDescr) -> Val<Traced> {
        if d.quasi_immutable && obj.op.is_const() {
            let w = heap::getfield(obj.v, d);
            if self.recording() {
                self.rec(OpNum::QuasiimmutField, &[obj.op], Some(Descr::Field(d)), 0);
                if !self.invalidation_guarded {
                    self.guard(OpNum::GuardNotInvalidated, &[]);
                    self.invalidation_guarded = true;
                }
                self.qi_deps.push((obj.v, d));
            }
            return Self::traced_val(d.kind, w, Operand::from_bits(d.kind, w));
        }
        if d.immutable {
            let w = heap::getfield(obj.v, d);
            if obj.op.is_const() {
                return Self::traced_val(d.kind, w, Operand::from_bits(d.kind, w));
            }
            let o = self.rec(
                OpNum::getfield_for(d.kind, true),
                &[obj.op],
                Some(Descr::Field(d)),
                w,
            );
            return Self::traced_val(d.kind, w, o);
        }
        self.logged_read(
            OpNum::getfield_for(d.kind, false),
            &[obj.op],
            Descr::Field(d),
            d.kind,
            || heap::getfield(obj.v, d),
        )
    }
    fn setfield(&mut self, obj: T<GcRef>, d: &'static FieldDescr, v: Val<Traced>) {
        if self.replay_void() {
            return;
        }
        let (w, o) = Self::val_parts(&v);
        if d.quasi_immutable {
            // A loop that writes a field other loops read as a constant
            // would have to invalidate itself mid-iteration; refuse it.
            self.set_abort(AbortReason::QuasiImmutWrite);
            self.jit.quasi_immutable_written(obj.v, d);
        }
        match v {
            Val::Ref(r) => heap::setfield_ref(obj.v, d, r.v),
            _ => heap::setfield(obj.v, d, w),
        }
        self.rec(OpNum::SetfieldGc, &[obj.op, o], Some(Descr::Field(d)), 0);
        self.log_effect(Effect::Void);
    }
    fn getarrayitem(&mut self, arr: T<GcRef>, d: &'static ArrayDescr, i: T<i64>) -> Val<Traced> {
        self.logged_read(
            OpNum::getarrayitem_for(d.kind),
            &[arr.op, i.op],
            Descr::Array(d),
            d.kind,
            || heap::getarrayitem(arr.v, d, i.v),
        )
    }
    fn setarrayitem(&mut self, arr: T<GcRef>, d: &'static ArrayDescr, i: T<i64>, v: Val<Traced>) {
        if self.replay_void() {
            return;
        }
        let (w, o) = Self::val_parts(&v);
        match v {
            Val::Ref(r) => heap::setarrayitem_ref(arr.v, d, i.v, r.v),
            _ => heap::setarrayitem(arr.v, d, i.v, w),
        }
        self.rec(
            OpNum::SetarrayitemGc,
            &[arr.op, i.op, o],
            Some(Descr::Array(d)),
            0,
        );
        self.log_effect(Effect::Void);
    }
    fn arraylen(&mut self, arr: T<GcRef>, d: &'static ArrayDescr) -> T<i64> {
        let v = heap::arraylen(arr.v, d);
        if arr.op.is_const() {
            return self.const_int(v);
        }
        T {
            v,
            op: self.rec(
                OpNum::ArraylenGc,
                &[arr.op],
                Some(Descr::Array(d)),
                v as u64,
            ),
        }
    }
    fn new(&mut self, d: &'static SizeDescr) -> T<GcRef> {
        if let Some((w, o)) = self.replay_val(Kind::Ref) {
            return T {
                v: crate::backend::word_to_ref(w),
                op: o,
            };
        }
        let r = heap::new_struct(d);
        let o = self.rec(OpNum::New, &[], Some(Descr::Size(d)), r.addr() as u64);
        self.log_effect(Effect::Val(Kind::Ref, o));
        if let Some(k) = Self::var_key(&o) {
            self.known_class.insert(k, d.tid);
            self.known_nonnull.insert(k);
        }
        T { v: r, op: o }
    }
    fn new_array(&mut self, d: &'static ArrayDescr, len: T<i64>) -> T<GcRef> {
        if let Some((w, o)) = self.replay_val(Kind::Ref) {
            return T {
                v: crate::backend::word_to_ref(w),
                op: o,
            };
        }
        let r = heap::new_array(d, len.v).unwrap_or(GcRef::NULL);
        let o = self.rec(
            OpNum::NewArray,
            &[len.op],
            Some(Descr::Array(d)),
            r.addr() as u64,
        );
        self.log_effect(Effect::Val(Kind::Ref, o));
        T { v: r, op: o }
    }

    fn call(&mut self, d: &'static CallDescr, args: &[Val<Traced>]) -> Val<Traced> {
        self.record_call(d, args, None)
    }

    fn peek_int(&self, a: T<i64>) -> i64 {
        a.v
    }
    fn peek_float(&self, a: T<f64>) -> f64 {
        a.v
    }
    fn peek_ref(&self, a: T<GcRef>) -> GcRef {
        a.v
    }
}

impl<'a, I: Interp> Recorder<'a, I> {
    /// `call` and `call_may_force`: runs the helper (with `interp` as the
    /// activation when it may re-enter) and records the call.
    fn record_call(
        &mut self,
        d: &'static CallDescr,
        args: &[Val<Traced>],
        reenter: Option<&mut I>,
    ) -> Val<Traced> {
        let parts: smallvec::SmallVec<[(u64, Operand); 8]> =
            args.iter().map(Self::val_parts).collect();
        let words: smallvec::SmallVec<[u64; 8]> = parts.iter().map(|p| p.0).collect();
        let mut ops: smallvec::SmallVec<[Operand; 8]> =
            smallvec::smallvec![Operand::ConstInt(d.addr as i64)];
        ops.extend(parts.iter().map(|p| p.1));
        if d.effect.elidable {
            let w = (d.invoke)(&words);
            if parts.iter().all(|p| p.1.is_const()) {
                return Self::traced_val(d.result, w, Operand::from_bits(d.result, w));
            }
            let o = self.rec(
                OpNum::call_for(d.result, true),
                &ops,
                Some(Descr::Call(d)),
                w,
            );
            return Self::traced_val(d.result, w, o);
        }
        // A residual call: replayed, never repeated.
        if d.result == Kind::Void {
            if self.replay_void() {
                return Val::Void;
            }
        } else if let Some((w, o)) = self.replay_val(d.result) {
            return Self::traced_val(d.result, w, o);
        }
        let may_force = d.effect.may_force || reenter.is_some();
        let w = match reenter {
            Some(interp) => {
                let _restore = self.jit.activate(interp);
                (d.invoke)(&words)
            }
            None => (d.invoke)(&words),
        };
        let opnum = if may_force {
            match d.result {
                Kind::Int => OpNum::CallMayForceI,
                Kind::Ref => OpNum::CallMayForceR,
                Kind::Float => OpNum::CallMayForceF,
                Kind::Void => OpNum::CallMayForceN,
            }
        } else {
            OpNum::call_for(d.result, false)
        };
        let o = self.rec(opnum, &ops, Some(Descr::Call(d)), w);
        self.log_effect(if d.result == Kind::Void {
            Effect::Void
        } else {
            Effect::Val(d.result, o)
        });
        if d.effect.writes_heap || may_force {
            // Heap facts cached at trace time may be stale now.
            self.known_class.clear();
        }
        if d.effect.can_raise || may_force {
            if crate::exc::is_pending() {
                self.set_abort(AbortReason::ExceptionWhileTracing);
            } else {
                self.guard(OpNum::GuardNoException, &[]);
            }
        }
        if d.effect.may_invalidate || may_force {
            // Guest code may have changed a quasi-immutable field: the
            // next read of one guards again.
            self.invalidation_guarded = false;
        }
        Self::traced_val(d.result, w, o)
    }
}

impl<'a, I: Interp> Jit<I> for Recorder<'a, I> {
    fn call_may_force(
        &mut self,
        interp: &mut I,
        d: &'static CallDescr,
        args: &[Val<Traced>],
    ) -> Val<Traced> {
        self.record_call(d, args, Some(interp))
    }

    fn call_portal(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Traced>,
    ) -> I::Ret<Traced> {
        match self.replay.front() {
            Some(Replayed::Ret(_)) => {
                let Some(Replayed::Ret(r)) = self.replay.pop_front() else {
                    unreachable!()
                };
                self.log_ret(&r);
                return r;
            }
            Some(_) => panic!("replay diverged: expected a portal call"),
            None => {}
        }
        if self.recording() && self.wants_call_assembler(interp, &greens) {
            return self.call_assembler(interp, greens, &frame, false);
        }
        if self.recording() && self.frames.len() > self.jit.params().max_inline_depth() {
            self.set_abort(AbortReason::RecursionLimit);
        }
        if !self.recording() {
            // Not recording: run the callee at full speed (it may even enter
            // compiled code) and lift its result back with constant operands.
            let plain = I::map_frame(&frame, &mut crate::ctx::Concrete);
            let r = self.jit.portal(interp, greens, plain);
            return I::map_ret(&r, &mut Lift(Operand::from_bits));
        }
        // Inline the callee: PyPy's default for calls that are not loops.
        self.log_effect(Effect::Pending);
        self.push_frame(greens.clone(), &frame);
        let ret = match self.run_inline_call(interp, greens, frame) {
            Inlined::Returned(r) => r,
            // The frame was left for its loop's code: popped, the result
            // logged, `guard_not_forced` recorded.
            Inlined::LeftAtLoop(r) => return r,
        };
        self.frames.pop();
        if let Some(fr) = self.frames.last_mut() {
            if matches!(fr.effects.last(), Some(Effect::Pending)) {
                fr.effects.pop();
            }
        }
        self.log_ret(&ret);
        ret
    }
}

impl<'a, I: Interp> Recorder<'a, I> {
    /// Should this portal call become a `call_assembler` instead of being
    /// inlined? PyPy's rules, simplified: the VM said `can_never_inline`,
    /// the call is recursive (its entry is already on the inline stack, or
    /// is where this trace started), or inlining would nest deeper than
    /// `max_unroll_recursion`. Only for VMs that compare result shapes.
    fn wants_call_assembler(&self, interp: &I, greens: &I::Greens) -> bool {
        // Learned on the first attempt (see `call_assembler`).
        if !self.jit.call_assembler_allowed() {
            return false;
        }
        interp.can_never_inline(greens)
            || self.frames.iter().any(|f| &f.entry == greens)
            || self.frames.len() > self.jit.params().max_inline_depth()
    }

    /// Runs the callee concretely (a nested portal invocation, which may
    /// enter compiled code itself) and records `call_assembler` +
    /// `guard_not_forced`. The call is an effect of the instruction: a
    /// later guard replays its result instead of calling again.
    ///
    /// `at_loop`: the call enters at the loop header `greens` instead of a
    /// portal entry (see `run_inline_call`).
    fn call_assembler(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: &I::Frame<Traced>,
        at_loop: bool,
    ) -> I::Ret<Traced> {
        let (args, kinds) = Self::frame_operands(frame);
        let shape = Rc::new(I::map_frame(
            frame,
            &mut Operands(&mut Vec::new(), &mut Vec::new()),
        ));
        let plain = I::map_frame(frame, &mut crate::ctx::Concrete);
        let r = if at_loop {
            self.jit.portal_at_loop(interp, greens.clone(), plain)
        } else {
            self.jit.portal(interp, greens.clone(), plain)
        };
        let mut words = Vec::new();
        let mut rkinds = Vec::new();
        let rshape = I::map_ret(&r, &mut crate::ctx::Words(&mut words, &mut rkinds));
        if I::ret_shape_eq(&rshape, &rshape).is_none() {
            // The VM cannot compare result shapes: no `call_assembler`
            // for it, ever. This trace already ran the call, so it ends.
            self.jit.forbid_call_assembler();
            self.set_abort(AbortReason::RecursionLimit);
            return I::map_ret(&r, &mut Lift(Operand::from_bits));
        }
        if words.len() > 1 {
            // One result word is what `call_assembler` returns.
            self.set_abort(AbortReason::ResultTooWide);
            return I::map_ret(&r, &mut Lift(Operand::from_bits));
        }
        let result = rkinds.first().copied().unwrap_or(Kind::Void);
        let w = words.first().copied().unwrap_or(0);
        let d = self
            .jit
            .assembler_site(greens, shape, Rc::new(rshape), &kinds, result, at_loop);
        let opnum = match result {
            Kind::Int => OpNum::CallAssemblerI,
            Kind::Ref => OpNum::CallAssemblerR,
            Kind::Float => OpNum::CallAssemblerF,
            Kind::Void => OpNum::CallAssemblerN,
        };
        let o = self.rec(opnum, &args, Some(Descr::Assembler(d)), w);
        let ret = I::map_ret(&r, &mut Lift(|_, _| o));
        // The callee may have written anything.
        self.known_class.clear();
        self.invalidation_guarded = false;
        self.log_ret(&ret);
        self.guard(OpNum::GuardNotForced, &[]);
        ret
    }

    /// Records an inline frame (already pushed) from its next instruction
    /// to its return; if recording stops meanwhile, the frame is finished
    /// at full speed instead. Used for portal calls being inlined
    /// (`call_portal`) and the inner frames of a bridge's prologue, with
    /// PyPy's rule for loops in inlined frames: when the callee reaches a
    /// loop header (`can_enter_jit`), the rest of the callee is not
    /// unrolled into this trace but becomes a `call_assembler` entering at
    /// that header, so it runs in the loop's own code (compiled when the
    /// header gets hot on its own). Unrolling the loop instead would copy
    /// its iterations, and a bridge per different trip count, into every
    /// trace that inlines the function — CD's tree walks made hundreds of
    /// bridges that way.
    pub(crate) fn run_inline_call(
        &mut self,
        interp: &mut I,
        mut greens: I::Greens,
        mut frame: I::Frame<Traced>,
    ) -> Inlined<I::Ret<Traced>> {
        let mut frame = Rooted::new(&mut frame, crate::ctx::visit_frame::<I, Traced>);
        let frame: &mut I::Frame<Traced> = &mut frame;
        loop {
            if !self.recording() {
                let plain = I::map_frame(&*frame, &mut crate::ctx::Concrete);
                let r = self.jit.portal(interp, greens, plain);
                return Inlined::Returned(I::map_ret(&r, &mut Lift(Operand::from_bits)));
            }
            self.merge_point(interp, &greens, frame);
            match interp.step(self, &mut greens, frame) {
                Step::Return(r) => return Inlined::Returned(r),
                Step::CanEnterJit if self.may_leave_at_loop() => {
                    return Inlined::LeftAtLoop(self.leave_at_loop(interp, greens, frame));
                }
                Step::Next | Step::CanEnterJit => {}
            }
        }
    }

    /// May an inlined frame that reached a loop header be left to the
    /// loop's code (`run_inline_call`)?
    pub(crate) fn may_leave_at_loop(&self) -> bool {
        self.recording() && self.jit.call_assembler_allowed()
    }

    /// Leaves the innermost (inlined) frame, standing at the loop header
    /// `greens`, as if it had returned, and records the rest of it as a
    /// `call_assembler` entering at that header. Pops the frame; the
    /// result is logged in the caller's instruction.
    pub(crate) fn leave_at_loop(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: &I::Frame<Traced>,
    ) -> I::Ret<Traced> {
        self.frames.pop();
        if let Some(fr) = self.frames.last_mut() {
            if matches!(fr.effects.last(), Some(Effect::Pending)) {
                fr.effects.pop();
            }
        }
        self.call_assembler(interp, greens, frame, true)
    }

    fn log_ret(&mut self, r: &I::Ret<Traced>) {
        if self.mode != Mode::Tracing {
            return;
        }
        let mut ops = Vec::new();
        let mut kinds = Vec::new();
        let shape = I::map_ret(r, &mut Operands(&mut ops, &mut kinds));
        self.log_effect(Effect::Ret(Rc::new(shape), ops));
    }

    /// The trace's jump/finish arguments for the current outermost frame.
    pub(crate) fn frame_operands(frame: &I::Frame<Traced>) -> (Vec<Operand>, Vec<Kind>) {
        let mut ops = Vec::new();
        let mut kinds = Vec::new();
        let _ = I::map_frame(frame, &mut Operands(&mut ops, &mut kinds));
        (ops, kinds)
    }
}
