//! The tracer's orchestration (the driver half of PyPy's `pyjitpl.py`):
//! recording a loop, an entry trace or a bridge, closing it, aborting it.
//!
//! Owns: `JitDriver::trace` — the recording loop that runs `step` with the
//! recorder until the trace closes (back at its start, at another
//! compiled loop's header, or at the traced frame's return) or aborts —
//! the bridge prologue (rebuilding a failed guard's frame chain inside the
//! recorder), and what an abort does to the warm state. What happens to
//! a closed trace is `compile`'s; the per-op recording is `record`'s.

use super::compile::Recorded;
use super::driver::JitDriver;
use super::record::{Effect, Inlined, Mode, Recorder};
use super::resume::{
    allocate_in_trace, materialize, replay_queue, split, store_in_trace, EffectShape, GuardResume,
};
use super::stats::AbortReason;
use super::warmstate::LoopEntry;
use crate::ctx::{Concrete, Interp, Lift, Plain, Rebuild, Step, Traced};
use crate::heap::{self, roots::Rooted};
use crate::ir::{
    Descr, FieldDescr, GuardId, Kind, OpNum, Operand, PendingWrite, TargetToken, VirtualInfo,
};
use crate::log::cat;
use hashbrown::HashSet;
use std::rc::Rc;
use std::time::Instant;

/// Where a trace starts.
pub(crate) enum Start<I: Interp> {
    /// At a loop header (`can_enter_jit` got hot).
    Loop,
    /// At a portal entry called `function_threshold` times.
    Function,
    /// At a guard that failed often: a bridge.
    Bridge(
        GuardId,
        Rc<GuardResume<I>>,
        Vec<u64>,
        Rc<[Kind]>,
        Option<Rc<[VirtualInfo]>>,
        Option<Rc<[PendingWrite]>>,
    ),
}

/// How recording ended.
enum Close {
    /// Back at the start: jump to our own label.
    Own,
    /// At a header with compiled code: jump there.
    Jump(LoopEntry),
    /// The traced frame returned: `finish` with its result.
    Finish,
    Abort,
}

impl<I: Interp> JitDriver<I> {
    /// Records a loop or bridge starting here, compiles it if it closes.
    /// Execution goes on concretely while recording, so on return `greens`
    /// and `frame` are wherever the interpreter got to.
    pub(crate) fn trace(
        &mut self,
        interp: &mut I,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
        start: Start<I>,
    ) -> Step<I::Ret<Plain>> {
        self.stats.tracings += 1;
        self.qi_written.clear();
        self.recording += 1;
        let step = self.trace_and_compile(interp, greens, frame, start);
        self.recording -= 1;
        self.maybe_free_loops();
        step
    }

    fn trace_and_compile(
        &mut self,
        interp: &mut I,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
        start: Start<I>,
    ) -> Step<I::Ret<Plain>> {
        let t0 = Instant::now();
        let start_greens = greens.clone();
        let own_token = TargetToken(self.new_id());
        let (close, step, trace, guards, qi_deps, abort, end_greens, finish) = {
            let mut rec = Recorder::new(self, Mode::Tracing);
            // The recorder's trace constants, replay queue and (below) the
            // traced frame are roots while recording.
            let mut rec = Rooted::new(&mut rec, Recorder::<I>::visit_roots);
            let rec: &mut Recorder<'_, I> = &mut rec;
            let (mut tframe, mut pending_step) = match &start {
                Start::Loop | Start::Function => {
                    let tframe = {
                        let trace = &mut rec.trace;
                        I::map_frame(frame, &mut Lift(|k, _| Operand::Var(trace.new_inputarg(k))))
                    };
                    let args: Vec<Operand> = rec
                        .trace
                        .inputargs
                        .iter()
                        .map(|v| Operand::Var(*v))
                        .collect();
                    rec.trace
                        .push(OpNum::Label, &args, Some(Descr::Target(own_token)));
                    rec.push_frame(greens.clone(), &tframe);
                    (tframe, None)
                }
                Start::Bridge(_, resume, words, kinds, virtuals, pending) => {
                    for k in kinds.iter() {
                        rec.trace.new_inputarg(*k);
                    }
                    let mut inputs: Vec<Operand> = rec
                        .trace
                        .inputargs
                        .iter()
                        .map(|v| Operand::Var(*v))
                        .collect();
                    let mut words = words.clone();
                    let mut words = Rooted::new(&mut words, heap::roots::visit_words);
                    let (v, p) = (
                        virtuals.as_deref().unwrap_or(&[]),
                        pending.as_deref().unwrap_or(&[]),
                    );
                    // The bridge re-creates the guard's virtuals and does
                    // its pending stores itself.
                    materialize(v, p, &mut words);
                    allocate_in_trace(&mut rec.trace, v, &mut inputs);
                    store_in_trace(&mut rec.trace, p, &inputs);
                    let (tframe, step) =
                        Self::bridge_prologue(rec, interp, resume, &inputs, &words, greens);
                    (tframe, Some(step))
                }
            };
            let mut tframe = Rooted::new(&mut tframe, crate::ctx::visit_frame::<I, Traced>);
            let tframe: &mut I::Frame<Traced> = &mut tframe;
            let is_loop = matches!(start, Start::Loop);
            let mut seen: HashSet<I::Greens> = HashSet::new();
            let (close, step) = loop {
                let step = match pending_step.take() {
                    Some(s) => s,
                    None => {
                        rec.merge_point(interp, greens, tframe);
                        interp.step(rec, greens, tframe)
                    }
                };
                if rec.abort.is_some() {
                    break (Close::Abort, step);
                }
                match step {
                    Step::Next => {}
                    Step::Return(r) => break (Close::Finish, Step::Return(r)),
                    Step::CanEnterJit => {
                        if is_loop && *greens == start_greens {
                            break (Close::Own, step);
                        }
                        if let Some(e) = rec.jit.loop_at(greens) {
                            break (Close::Jump(e), step);
                        }
                        if !seen.insert(greens.clone()) {
                            rec.set_abort(AbortReason::InnerLoop);
                            break (Close::Abort, step);
                        }
                    }
                }
            };
            // Close the trace with a jump carrying the reds.
            let (ops, kinds) = Recorder::<I>::frame_operands(tframe);
            let target = match &close {
                Close::Own => {
                    let own: Vec<Kind> = rec
                        .trace
                        .inputargs
                        .iter()
                        .map(|v| rec.trace.kind(*v))
                        .collect();
                    (own == kinds).then_some(own_token)
                }
                Close::Jump(e) => (e.kinds == kinds).then_some(e.token),
                Close::Finish | Close::Abort => None,
            };
            let mut finish = None;
            if let (Close::Finish, Step::Return(r)) = (&close, &step) {
                // PyPy's done_with_this_frame: the result leaves through a
                // `finish` whose descr says how to rebuild it.
                let mut ops = Vec::new();
                let mut kinds = Vec::new();
                let shape = I::map_ret(r, &mut crate::ctx::Operands(&mut ops, &mut kinds));
                let id = rec.jit.new_guard_id();
                rec.trace.push(OpNum::Finish, &ops, Some(Descr::Guard(id)));
                finish = Some((id, Rc::new(shape)));
            }
            match target {
                Some(t) => {
                    if rec.jit.params().verify {
                        rec.guard_verify(greens, tframe);
                    }
                    rec.trace.push(OpNum::Jump, &ops, Some(Descr::Target(t)));
                }
                None if matches!(close, Close::Own | Close::Jump(_)) => {
                    rec.set_abort(AbortReason::FrameShapeMismatch)
                }
                None => {}
            }
            *frame = I::map_frame(&*tframe, &mut Concrete);
            let step = match step {
                Step::Next => Step::Next,
                Step::CanEnterJit => Step::CanEnterJit,
                Step::Return(r) => Step::Return(I::map_ret(&r, &mut Concrete)),
            };
            let abort = rec.abort;
            let trace = std::mem::take(&mut rec.trace);
            let guards = std::mem::take(&mut rec.guards);
            let qi = std::mem::take(&mut rec.qi_deps);
            (
                close,
                step,
                trace,
                guards,
                qi,
                abort,
                greens.clone(),
                finish,
            )
        };
        self.stats.tracing += t0.elapsed();
        if let Some(f) = finish {
            self.pending_finish = Some(f);
        }
        self.log.section(cat::TRACING, || {
            format!("# {}\n{}", interp.printable_location(&start_greens), trace)
        });
        let stale = qi_deps.iter().any(|(obj, d)| {
            let key = (obj.addr(), *d as *const FieldDescr as usize);
            self.qi_written.contains(&key)
        });
        let abort = abort.or(stale.then_some(AbortReason::QuasiImmutWrite));
        if let Some(reason) = abort {
            self.abort(interp, &start_greens, &end_greens, reason, &start);
            return step;
        }
        let ok = match start {
            Start::Loop | Start::Function => {
                let function = matches!(start, Start::Function);
                self.compile_loop(
                    interp,
                    &start_greens,
                    own_token,
                    Recorded {
                        trace,
                        guards,
                        qi_deps,
                    },
                    function,
                )
            }
            Start::Bridge(guard, ..) => self.compile_bridge(
                guard,
                Recorded {
                    trace,
                    guards,
                    qi_deps,
                },
            ),
        };
        if !ok {
            self.abort(
                interp,
                &start_greens,
                &end_greens,
                AbortReason::Compiling,
                &start,
            );
        }
        let _ = close;
        step
    }

    /// Starts a bridge at a failed guard: rebuilds the guard's frame chain
    /// in the recorder (reds and effect logs as the bridge's input args),
    /// finishes the failing instruction of the innermost frame by replay,
    /// records inner frames to their return and hands each result to its
    /// caller's replayed call instruction. Returns the outermost frame and
    /// what its instruction's `step` said.
    fn bridge_prologue(
        rec: &mut Recorder<'_, I>,
        interp: &mut I,
        resume: &GuardResume<I>,
        inputs: &[Operand],
        words: &[u64],
        greens: &mut I::Greens,
    ) -> (I::Frame<Traced>, Step<I::Ret<Traced>>) {
        let parts = split(resume, words);
        let n = resume.frames.len();
        let mut offsets = Vec::with_capacity(n);
        let mut pos = 0;
        for (reds, effs) in &parts {
            offsets.push(pos);
            pos += reds.len() + effs.len();
        }
        let mut tframes = Vec::with_capacity(n);
        for (i, fr) in resume.frames.iter().enumerate() {
            let (reds, effs) = parts[i];
            let ops = &inputs[offsets[i]..offsets[i] + reds.len() + effs.len()];
            let mut next = ops.iter();
            let tframe = I::map_frame(
                &fr.shape,
                &mut Rebuild {
                    words: reds.iter(),
                    mk: |_: Kind, _: u64| *next.next().unwrap(),
                },
            );
            rec.push_frame(fr.greens.clone(), &tframe);
            rec.frames[i].entry = fr.entry.clone();
            // Outer frames keep their effect log (ending in the pending call)
            // for guards recorded in inner frames.
            let mut eff_ops = next.as_slice().iter();
            rec.frames[i].effects = fr
                .effects
                .iter()
                .map(|e| match e {
                    EffectShape::Val(k) => Effect::Val(*k, *eff_ops.next().unwrap()),
                    EffectShape::Void => Effect::Void,
                    EffectShape::Ret(shape, n) => Effect::Ret(
                        shape.clone(),
                        (0..*n).map(|_| *eff_ops.next().unwrap()).collect(),
                    ),
                    EffectShape::Pending => Effect::Pending,
                })
                .collect();
            tframes.push(tframe);
        }
        let mut inner: Option<I::Ret<Traced>> = None;
        for i in (0..n).rev() {
            let fr = &resume.frames[i];
            let (reds, effs) = parts[i];
            let mut eff_ops =
                inputs[offsets[i] + reds.len()..offsets[i] + reds.len() + effs.len()].iter();
            rec.replay = replay_queue(
                &fr.effects,
                effs,
                |_, _| *eff_ops.next().unwrap(),
                &mut inner,
            );
            // The replay logs the effects again as it hands them back.
            rec.frames[i].effects.clear();
            let mut g = fr.greens.clone();
            let mut tframe = tframes.pop().expect("one frame per level");
            let step = {
                let mut rooted = Rooted::new(&mut tframe, crate::ctx::visit_frame::<I, Traced>);
                interp.step(rec, &mut g, &mut *rooted)
            };
            if i == 0 {
                *greens = g;
                return (tframe, step);
            }
            // An inner frame that reaches a loop header is left to the
            // loop's code, as in `Recorder::run_inline_call`.
            let ret = match step {
                Step::Return(r) => {
                    rec.frames.pop();
                    r
                }
                Step::CanEnterJit if rec.may_leave_at_loop() => {
                    rec.leave_at_loop(interp, g, &tframe)
                }
                Step::Next | Step::CanEnterJit => match rec.run_inline_call(interp, g, tframe) {
                    Inlined::Returned(r) => {
                        rec.frames.pop();
                        r
                    }
                    Inlined::LeftAtLoop(r) => r,
                },
            };
            inner = Some(ret);
        }
        unreachable!("a guard has at least one frame")
    }

    fn abort(
        &mut self,
        interp: &I,
        start: &I::Greens,
        end: &I::Greens,
        reason: AbortReason,
        kind: &Start<I>,
    ) {
        *self.stats.aborts.entry(reason.name()).or_default() += 1;
        self.log.section(cat::ABORT, || {
            format!(
                "{}: {} (started at {})",
                reason.name(),
                interp.printable_location(end),
                interp.printable_location(start)
            )
        });
        if let Start::Function = kind {
            let threshold = self.params.function_threshold as i64;
            self.cell_mut(start).function_aborted(threshold);
        }
        if let Start::Loop = kind {
            let threshold = self.params.threshold as i64;
            if reason == AbortReason::InnerLoop {
                // Retry the outer loop once the inner one is compiled.
                self.cell_mut(start).counter = 0;
                self.cell_mut(end).counter = threshold - 1;
            } else {
                self.cell_mut(start).loop_aborted(threshold);
            }
        }
    }
}
