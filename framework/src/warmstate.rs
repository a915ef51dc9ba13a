//! The warm state and the portal: PyPy's `warmstate.py` + `pyjitpl`'s
//! driver loop + `compile.py`, for one interpreter loop.
//!
//! Owns: `JitDriver` — hot counters per green key, the interpreting →
//! tracing → compiled state machine, loop closing, bridges, trace aborts
//! with back-off, resuming after guard failures (via the recorder's replay,
//! see `record`), quasi-immutable invalidation, statistics and the
//! `jit-summary` log section.
//!
//! The portal loop (`run` / `portal`) calls the VM's `step` in direct mode;
//! only `Step::CanEnterJit` reaches the JIT machinery, so an instruction
//! costs one match on the step result beyond the interpreter's own work.

use crate::backend::{Backend, DeadFrame, LoopId};
use crate::ctx::{Concrete, Flatten, Interp, Lift, Plain, Rebuild, Shape, Step, Traced};
use crate::direct::Direct;
use crate::heap::roots::{Handle, Rooted};
use crate::heap::{self, GcRef};
use crate::ir::{
    Descr, FieldDescr, GuardId, Kind, OpNum, Operand, PendingWrite, TargetToken, Trace,
    VirtualAlloc, VirtualField, VirtualInfo,
};
use crate::log::{cat, Log};
use crate::params::JitParams;
use crate::record::{Effect, EffectShape, GuardResume, Mode, Recorder, Replayed};
use hashbrown::{HashMap, HashSet};
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Why a trace was given up (the `abort:` lines of `jit-summary`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AbortReason {
    /// More than `trace_limit` ops.
    TraceTooLong,
    /// Inlined portal calls nested deeper than `max_unroll_recursion`.
    RecursionLimit,
    /// Went around an inner loop that has no compiled code yet; the inner
    /// loop is made hot so it gets compiled first.
    InnerLoop,
    /// The trace writes a quasi-immutable field.
    QuasiImmutWrite,
    /// A residual call raised while tracing.
    ExceptionWhileTracing,
    /// Reds at the loop header do not match the target loop's inputs.
    FrameShapeMismatch,
    /// The backend refused the trace.
    Compiling,
    /// A portal result of several words cannot come back from a
    /// `call_assembler` (one word).
    ResultTooWide,
}

impl AbortReason {
    pub fn name(self) -> &'static str {
        match self {
            AbortReason::TraceTooLong => "trace too long",
            AbortReason::RecursionLimit => "recursion limit",
            AbortReason::InnerLoop => "inner loop not compiled",
            AbortReason::QuasiImmutWrite => "quasi-immutable write",
            AbortReason::ExceptionWhileTracing => "exception while tracing",
            AbortReason::FrameShapeMismatch => "frame shape mismatch",
            AbortReason::Compiling => "compiling",
            AbortReason::ResultTooWide => "portal result too wide",
        }
    }
}

/// Counters and timings (`jit-summary`).
#[derive(Default, Debug, Clone)]
pub struct Stats {
    pub loops: u32,
    pub bridges: u32,
    pub aborts: BTreeMap<&'static str, u32>,
    pub guard_failures: u64,
    /// `call_assembler` results that did not fit their trace
    /// (`guard_not_forced` exits).
    pub forced_exits: u64,
    pub invalidated_loops: u32,
    /// Loops (and their bridges) freed by `loop_longevity`.
    pub freed_loops: u32,
    pub freed_bridges: u32,
    pub recorded_ops: u64,
    pub recorded_guards: u64,
    pub opt_ops: u64,
    pub opt_guards: u64,
    pub tracing: Duration,
    pub optimizing: Duration,
    pub backend: Duration,
    pub compiled: Duration,
    pub tracings: u32,
    pub start: Option<Instant>,
}

/// What the warm state knows about one green key.
#[derive(Default)]
pub(crate) struct Cell {
    /// Back-edge counter; negative after aborts (back-off).
    pub(crate) counter: i64,
    pub(crate) entry: Option<LoopEntry>,
    aborts: u32,
    /// Portal entries here (function_threshold) and their compiled trace.
    pub(crate) calls: i64,
    pub(crate) function: Option<LoopEntry>,
}

#[derive(Clone)]
pub(crate) struct LoopEntry {
    pub(crate) id: LoopId,
    token: TargetToken,
    kinds: Vec<Kind>,
}

pub(crate) struct GuardEntry<I: Interp> {
    resume: Rc<GuardResume<I>>,
    pub(crate) owner: LoopId,
    fails: u32,
    bridge_tried: bool,
    /// A `guard_not_forced`: fails only with a stashed call result.
    forced_exit: bool,
    /// Kinds of the compiled guard's fail args (the recorder's layout,
    /// plus whatever the optimizer appended for virtuals).
    kinds: Rc<[Kind]>,
    virtuals: Option<Rc<[VirtualInfo]>>,
    /// Stores the optimizer delayed past the guard: done on failure.
    pending: Option<Rc<[PendingWrite]>>,
    /// What the optimizer knew about the fail args: a bridge starts there.
    facts: Rc<[(u32, crate::opt::Fact)]>,
    /// Set for a `finish`: how to rebuild the portal's result.
    finish: Option<Rc<I::Ret<Shape>>>,
}

/// Where a trace starts.
enum Start<I: Interp> {
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

/// What a finished recording hands to compilation.
struct Recorded<I: Interp> {
    trace: Trace,
    guards: Vec<(GuardId, GuardResume<I>)>,
    /// Quasi-immutable fields read as constants: (object, field).
    qi_deps: Vec<(GcRef, &'static FieldDescr)>,
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

/// A JIT driver for one interpreter loop (RPython's `JitDriver`): owns the
/// warm state and the backend, and runs the portal.
pub struct JitDriver<I: Interp> {
    pub params: JitParams,
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) cells: HashMap<I::Greens, Cell>,
    pub(crate) guards: HashMap<GuardId, GuardEntry<I>>,
    /// Peeled loops by first-label token: how a bridge jumps into the body.
    pub(crate) bodies: HashMap<TargetToken, Rc<crate::opt::unroll::BodyEntry>>,
    next_id: u32,
    pub(crate) qi_deps: HashMap<(usize, usize), Vec<LoopId>>,
    /// Quasi-immutable fields written while a trace is being recorded —
    /// by guest code the recording ran concretely (a `call_assembler`
    /// callee, a `call_may_force` helper): a trace that read one of them
    /// as a constant would be stale from birth, so it is aborted.
    qi_written: Vec<(usize, usize)>,
    pub stats: Stats,
    pub log: Log,
    /// When true, every compiled loop and bridge is kept in `traces` as
    /// (header, optimized trace): tests and tools read them.
    pub keep_traces: bool,
    pub traces: Vec<(String, Trace)>,
    /// The `finish` of the trace being compiled (its id and result shape).
    pending_finish: Option<(GuardId, Rc<I::Ret<Shape>>)>,
    /// Entries into compiled code from the interpreter, per loop
    /// (`jit-backend-counts`).
    pub(crate) entered: HashMap<LoopId, u64>,
    /// Reference constants of compiled code (baked into machine code or
    /// llgraph's traces): roots for as long as the code may run, which is
    /// as long as this driver lives. Deduplicated by address.
    const_roots: HashMap<usize, Handle>,
    /// `call_assembler` call sites (see `assembler`).
    pub(crate) sites: Vec<crate::assembler::AsmSite<I>>,
    /// A `call_assembler` result waiting for its `guard_not_forced` exit.
    pub(crate) forced: Option<crate::assembler::Forced<I>>,
    /// The VM's `ret_shape_eq` said `None`: portal calls are inlined only.
    pub(crate) no_call_assembler: bool,
    /// Names this driver in its `AssemblerDescr`s.
    pub(crate) driver_id: usize,
    /// Activations of compiled code on the stack now.
    pub(crate) running: u32,
    /// `loop_longevity`: generations (compiles so far), per-loop life,
    /// label owners, a check waiting for the outermost level (`memmgr`).
    pub(crate) generation: u64,
    pub(crate) lives: HashMap<LoopId, crate::memmgr::LoopLife>,
    pub(crate) token_owner: HashMap<TargetToken, LoopId>,
    pub(crate) free_pending: bool,
    /// Traces being recorded now (nested through portal calls).
    pub(crate) recording: u32,
    /// Reused buffers for `call_assembler` results.
    pub(crate) scratch: (Vec<u64>, Vec<Kind>),
    /// Bumped whenever a portal entry's compiled code changes (sites
    /// cache the callee's code per epoch).
    pub(crate) code_epoch: u64,
}

/// A portal result read from a `finish`, with the finish's result shape.
pub(crate) type FinishResult<I> = (<I as Interp>::Ret<Plain>, Rc<<I as Interp>::Ret<Shape>>);

/// Kept for readers who know PyPy's `warmstate`.
pub type JitState<I> = JitDriver<I>;

impl<I: Interp> JitDriver<I> {
    /// A driver with `params`, running traces on `backend`, logging as
    /// `METATRACE_LOG` says.
    pub fn new(params: JitParams, backend: Box<dyn Backend>) -> Self {
        JitDriver {
            params,
            backend,
            cells: HashMap::new(),
            guards: HashMap::new(),
            bodies: HashMap::new(),
            next_id: 1,
            qi_deps: HashMap::new(),
            qi_written: Vec::new(),
            stats: Stats {
                start: Some(Instant::now()),
                ..Stats::default()
            },
            log: Log::from_env(),
            keep_traces: false,
            traces: Vec::new(),
            pending_finish: None,
            entered: HashMap::new(),
            const_roots: HashMap::new(),
            sites: Vec::new(),
            forced: None,
            no_call_assembler: false,
            driver_id: crate::assembler::new_driver_id(),
            running: 0,
            scratch: (Vec::new(), Vec::new()),
            generation: 0,
            lives: HashMap::new(),
            token_owner: HashMap::new(),
            free_pending: false,
            recording: 0,
            code_epoch: 0,
        }
        .log_gc()
    }

    /// Turns the heap's `gc` events on when the log selects them.
    fn log_gc(self) -> Self {
        if self.log.enabled(cat::GC) {
            heap::gc::set_logging(true);
        }
        self
    }

    /// Writes the heap's pending `gc` events to the log.
    fn drain_gc_log(&self) {
        if self.log.enabled(cat::GC) {
            for e in heap::gc::take_events() {
                self.log.section(cat::GC, || e);
            }
        }
    }

    /// Roots the reference constants of a trace that was just compiled.
    fn keep_constants(&mut self, trace: &Trace) {
        for op in &trace.ops {
            for o in op.args.iter().chain(op.fail_args.iter().flatten()) {
                if let Operand::ConstPtr(p) = *o {
                    if p != 0 {
                        self.const_roots
                            .entry(p)
                            .or_insert_with(|| Handle::new(crate::backend::word_to_ref(p as u64)));
                    }
                }
            }
        }
    }

    fn keep_trace(&mut self, header: String, trace: &Trace) {
        if self.keep_traces {
            self.traces.push((header, trace.clone()));
        }
    }

    /// Replaces the log sink (tests).
    pub fn with_log(mut self, log: Log) -> Self {
        self.log = log;
        self.log_gc()
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    fn cell_mut(&mut self, g: &I::Greens) -> &mut Cell {
        if !self.cells.contains_key(g) {
            self.cells.insert(g.clone(), Cell::default());
        }
        self.cells.get_mut(g).expect("just inserted")
    }

    fn new_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
    pub(crate) fn new_guard_id(&mut self) -> GuardId {
        GuardId(self.new_id())
    }

    /// Runs a portal invocation: interprets `frame` from `greens` until it
    /// returns, entering compiled code and tracing as loops get hot.
    pub fn run(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Plain>,
    ) -> I::Ret<Plain> {
        // The VM's own references (`Interp::trace_roots`) are roots while
        // it runs.
        let mut interp = Rooted::new(interp, crate::ctx::visit_interp::<I>);
        let r = self.portal(&mut interp, greens, frame);
        self.drain_gc_log();
        r
    }

    pub(crate) fn portal(
        &mut self,
        interp: &mut I,
        mut greens: I::Greens,
        mut frame: I::Frame<Plain>,
    ) -> I::Ret<Plain> {
        // The frame this portal runs is a root until it returns.
        let mut frame = Rooted::new(&mut frame, crate::ctx::visit_frame::<I, Plain>);
        let frame: &mut I::Frame<Plain> = &mut frame;
        let first = if self.params.enabled {
            self.function_entry(interp, &mut greens, frame)
        } else {
            Step::Next
        };
        self.portal_loop(interp, &mut greens, frame, first)
    }

    /// The portal's interpreter loop, after `first` (what the instruction
    /// just run, or the compiled code just left, said). `frame` must be
    /// rooted by the caller.
    pub(crate) fn portal_loop(
        &mut self,
        interp: &mut I,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
        first: Step<I::Ret<Plain>>,
    ) -> I::Ret<Plain> {
        match first {
            Step::Next => {}
            Step::Return(r) => return r,
            Step::CanEnterJit => {
                if let Some(r) = self.can_enter_jit(interp, greens, frame) {
                    return r;
                }
            }
        }
        loop {
            match interp.step(&mut Direct { jit: self }, greens, frame) {
                Step::Next => {}
                Step::Return(r) => return r,
                Step::CanEnterJit => {
                    if self.params.enabled {
                        if let Some(r) = self.can_enter_jit(interp, greens, frame) {
                            return r;
                        }
                    }
                }
            }
        }
    }

    /// The compiled entry trace of the portal entry `greens`, if it takes
    /// reds of `kinds` (counted as an entry from outside).
    pub(crate) fn function_code(&mut self, greens: &I::Greens, kinds: &[Kind]) -> Option<LoopId> {
        if !self.params.enabled {
            return None;
        }
        let e = self.cells.get(greens)?.function.as_ref()?;
        if e.kinds != kinds {
            return None;
        }
        let id = e.id;
        *self.entered.entry(id).or_default() += 1;
        self.memmgr_used(id);
        Some(id)
    }

    /// The portal result if `dead` is a `finish`, and the finish's shape.
    pub(crate) fn finish_result(&self, dead: &DeadFrame) -> Option<FinishResult<I>> {
        let shape = self.guards.get(&dead.guard)?.finish.as_ref()?;
        Some((
            I::map_ret(shape, &mut crate::ctx::Unflatten(dead.values.iter())),
            shape.clone(),
        ))
    }

    /// A portal invocation starts: run its entry trace, or count towards
    /// `function_threshold` and trace one. `Step::Next` means "interpret".
    fn function_entry(
        &mut self,
        interp: &mut I,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
    ) -> Step<I::Ret<Plain>> {
        let threshold = self.params.function_threshold as i64;
        let cell = self.cell_mut(greens);
        if let Some(entry) = cell.function.clone() {
            let mut args = Vec::new();
            let _ = I::map_frame(frame, &mut Flatten(&mut args));
            *self.entered.entry(entry.id).or_default() += 1;
            self.memmgr_used(entry.id);
            let dead = self.enter_code(interp, entry.id, &args);
            return self.handle_exit(interp, dead, greens, frame);
        }
        cell.calls += 1;
        if cell.calls < threshold {
            return Step::Next;
        }
        // Not again while this trace runs (nested portals may come here).
        cell.calls = i64::MIN / 2;
        self.trace(interp, greens, frame, Start::Function)
    }

    /// `can_enter_jit`: count, trace, or run compiled code. Returns the
    /// portal's result if the frame returned meanwhile.
    fn can_enter_jit(
        &mut self,
        interp: &mut I,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
    ) -> Option<I::Ret<Plain>> {
        loop {
            let threshold = self.params.threshold as i64;
            let cell = self.cell_mut(greens);
            let step = if let Some(entry) = cell.entry.clone() {
                let mut args = Vec::new();
                let _ = I::map_frame(frame, &mut Flatten(&mut args));
                *self.entered.entry(entry.id).or_default() += 1;
                self.memmgr_used(entry.id);
                let dead = self.enter_code(interp, entry.id, &args);
                self.handle_exit(interp, dead, greens, frame)
            } else {
                cell.counter += 1;
                if cell.counter < threshold {
                    return None;
                }
                // Not again while this trace runs (nested portals may come here).
                cell.counter = i64::MIN / 2;
                self.trace(interp, greens, frame, Start::Loop)
            };
            match step {
                Step::Next => return None,
                Step::Return(r) => return Some(r),
                Step::CanEnterJit => {
                    // Only go round again if there is code to enter now;
                    // otherwise this back-edge has been counted already.
                    if self.cells.get(&*greens).is_none_or(|c| c.entry.is_none()) {
                        return None;
                    }
                }
            }
        }
    }

    /// A guard failed (or a `finish` was reached) in compiled code.
    pub(crate) fn handle_exit(
        &mut self,
        interp: &mut I,
        dead: DeadFrame,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
    ) -> Step<I::Ret<Plain>> {
        let eagerness = self.params.trace_eagerness;
        let entry = self.guards.get_mut(&dead.guard).unwrap_or_else(|| {
            panic!(
                "compiled code exited through unknown guard {}",
                dead.guard.0
            )
        });
        if let Some(shape) = &entry.finish {
            return Step::Return(I::map_ret(
                shape,
                &mut crate::ctx::Unflatten(dead.values.iter()),
            ));
        }
        self.stats.guard_failures += 1;
        entry.fails += 1;
        let resume = entry.resume.clone();
        let virtuals = entry.virtuals.clone();
        let pending = entry.pending.clone();
        // A `call_assembler` whose result did not fit: its guard_not_forced
        // failed and the real result waits in the stash (never a bridge).
        let forced = if entry.forced_exit {
            self.take_forced()
        } else {
            None
        };
        self.stats.forced_exits += forced.is_some() as u64;
        let entry = self.guards.get_mut(&dead.guard).expect("looked up above");
        let want_bridge = !entry.bridge_tried && entry.fails >= eagerness.max(1);
        if want_bridge {
            entry.bridge_tried = true;
            let kinds = entry.kinds.clone();
            return self.trace(
                interp,
                greens,
                frame,
                Start::Bridge(dead.guard, resume, dead.values, kinds, virtuals, pending),
            );
        }
        // The dead frame's values (and the virtuals materialized into it)
        // are roots while the interpreter frames are rebuilt from them.
        let mut words = dead.values;
        let mut words = Rooted::new(&mut words, heap::roots::visit_words);
        materialize(
            virtuals.as_deref().unwrap_or(&[]),
            pending.as_deref().unwrap_or(&[]),
            &mut words,
        );
        self.resume_in_interpreter(interp, &resume, &words, greens, frame, forced)
    }

    /// Splits a dead frame's words frame by frame: (reds, effect words).
    fn split<'w>(resume: &GuardResume<I>, words: &'w [u64]) -> Vec<(&'w [u64], &'w [u64])> {
        let mut out = Vec::with_capacity(resume.frames.len());
        let mut pos = 0;
        for fr in &resume.frames {
            let n_eff: usize = fr
                .effects
                .iter()
                .map(|e| match e {
                    EffectShape::Val(_) => 1,
                    EffectShape::Ret(_, n) => *n,
                    EffectShape::Void | EffectShape::Pending => 0,
                })
                .sum();
            out.push((
                &words[pos..pos + fr.n_reds],
                &words[pos + fr.n_reds..pos + fr.n_reds + n_eff],
            ));
            pos += fr.n_reds + n_eff;
        }
        out
    }

    /// The replay queue of one frame's instruction prefix.
    fn replay_queue(
        effects: &[EffectShape<I>],
        mut words: &[u64],
        mut operand: impl FnMut(Kind, u64) -> Operand,
        inner: &mut Option<I::Ret<Traced>>,
    ) -> VecDeque<Replayed<I>> {
        let mut q = VecDeque::with_capacity(effects.len());
        for e in effects {
            q.push_back(match e {
                EffectShape::Val(k) => {
                    let w = words[0];
                    words = &words[1..];
                    Replayed::Val(*k, w, operand(*k, w))
                }
                EffectShape::Void => Replayed::Void,
                EffectShape::Ret(shape, n) => {
                    let (mine, rest) = words.split_at(*n);
                    words = rest;
                    Replayed::Ret(I::map_ret(
                        shape,
                        &mut Rebuild {
                            words: mine.iter(),
                            mk: &mut operand,
                        },
                    ))
                }
                EffectShape::Pending => Replayed::Ret(
                    inner
                        .take()
                        .expect("pending portal call without a callee result"),
                ),
            });
        }
        q
    }

    /// Rebuilds the frame chain of a failed guard and finishes the failing
    /// instruction of each frame by replay, innermost first; inner frames
    /// then run to their return. Leaves the outermost frame just after its
    /// instruction and returns what that instruction's `step` said.
    /// `forced` is the real result of the `call_assembler` whose
    /// `guard_not_forced` failed: it replaces the innermost frame's last
    /// logged call result.
    fn resume_in_interpreter(
        &mut self,
        interp: &mut I,
        resume: &GuardResume<I>,
        words: &[u64],
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
        mut forced: Option<crate::assembler::Forced<I>>,
    ) -> Step<I::Ret<Plain>> {
        let parts = Self::split(resume, words);
        let mut inner: Option<I::Ret<Traced>> = None;
        for i in (0..resume.frames.len()).rev() {
            let fr = &resume.frames[i];
            let (reds, effs) = parts[i];
            let mut g = fr.greens.clone();
            let mut tframe = I::map_frame(
                &fr.shape,
                &mut Rebuild {
                    words: reds.iter(),
                    mk: Operand::from_bits,
                },
            );
            let mut tframe = Rooted::new(&mut tframe, crate::ctx::visit_frame::<I, Traced>);
            let tframe: &mut I::Frame<Traced> = &mut tframe;
            let step = {
                let mut rec = Recorder::new(self, Mode::Discard);
                let mut rec = Rooted::new(&mut rec, Recorder::<I>::visit_roots);
                rec.replay = Self::replay_queue(&fr.effects, effs, Operand::from_bits, &mut inner);
                if let Some(f) = forced.take() {
                    let last = rec.replay.pop_back();
                    assert!(
                        matches!(last, Some(Replayed::Ret(_))),
                        "guard_not_forced must follow its call_assembler"
                    );
                    let f = I::map_ret(&f.result(), &mut Lift(Operand::from_bits));
                    rec.replay.push_back(Replayed::Ret(f));
                }
                let step = interp.step(&mut *rec, &mut g, tframe);
                assert!(rec.replay.is_empty(), "resume: the instruction did not replay its effect log (the VM's step is not deterministic)");
                step
            };
            let pframe = I::map_frame(&*tframe, &mut Concrete);
            let step = match step {
                Step::Next => Step::Next,
                Step::CanEnterJit => Step::CanEnterJit,
                Step::Return(r) => Step::Return(I::map_ret(&r, &mut Concrete)),
            };
            if i == 0 {
                *greens = g;
                *frame = pframe;
                return step;
            }
            let ret = match step {
                Step::Return(r) => r,
                _ => self.portal(interp, g, pframe),
            };
            inner = Some(I::map_ret(&ret, &mut Lift(Operand::from_bits)));
        }
        unreachable!("a guard has at least one frame")
    }

    /// Records a loop or bridge starting here, compiles it if it closes.
    /// Execution goes on concretely while recording, so on return `greens`
    /// and `frame` are wherever the interpreter got to.
    fn trace(
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
        let (close, step, trace, guards, qi_deps, abort, end_greens) = {
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
                        if let Some(e) = rec.jit.cells.get(&*greens).and_then(|c| c.entry.clone()) {
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
            if let Some((id, shape)) = finish {
                rec.jit.pending_finish = Some((id, shape));
            }
            let trace = std::mem::take(&mut rec.trace);
            let guards = std::mem::take(&mut rec.guards);
            let qi = std::mem::take(&mut rec.qi_deps);
            (close, step, trace, guards, qi, abort, greens.clone())
        };
        self.stats.tracing += t0.elapsed();
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
        let parts = Self::split(resume, words);
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
            rec.replay = Self::replay_queue(
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
            let ret = match step {
                Step::Return(r) => r,
                _ => rec.run_inline(interp, g, tframe),
            };
            rec.frames.pop();
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
            let cell = self.cell_mut(start);
            cell.aborts += 1;
            cell.calls = if cell.aborts >= 6 {
                i64::MIN / 2
            } else {
                -(threshold << cell.aborts)
            };
        }
        if let Start::Loop = kind {
            let threshold = self.params.threshold as i64;
            let cell = self.cell_mut(start);
            if reason == AbortReason::InnerLoop {
                // Retry the outer loop once the inner one is compiled.
                cell.counter = 0;
                self.cell_mut(end).counter = threshold - 1;
            } else {
                // Back off exponentially; after a few aborts never trace here.
                cell.aborts += 1;
                cell.counter = if cell.aborts >= 6 {
                    i64::MIN / 2
                } else {
                    -(threshold << cell.aborts)
                };
            }
        }
    }

    /// Files the resume data of every guard the compiled trace still has,
    /// including guards the optimizer copied.
    fn register_guards(
        &mut self,
        owner: LoopId,
        opt: &crate::opt::Optimized,
        guards: Vec<(GuardId, GuardResume<I>)>,
    ) {
        let mut resumes: HashMap<GuardId, Rc<GuardResume<I>>> =
            guards.into_iter().map(|(id, r)| (id, Rc::new(r))).collect();
        for (copy, orig) in &opt.guard_copies {
            if let Some(r) = resumes.get(orig).cloned() {
                resumes.insert(*copy, r);
            }
        }
        for op in opt.trace.guards() {
            let Some(id) = op.guard_id() else { continue };
            let Some(resume) = resumes.get(&id) else {
                continue;
            };
            let kinds: Rc<[Kind]> = op
                .fail_args
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .map(|o| opt.trace.operand_kind(o))
                .collect();
            let virtuals = op.virtuals.as_deref().map(Rc::from);
            let pending = op.pending.as_deref().map(Rc::from);
            self.guards.insert(
                id,
                GuardEntry {
                    resume: resume.clone(),
                    owner,
                    fails: 0,
                    bridge_tried: op.opnum == OpNum::GuardNotForced,
                    forced_exit: op.opnum == OpNum::GuardNotForced,
                    kinds,
                    virtuals,
                    pending,
                    facts: opt
                        .facts
                        .get(&id)
                        .map_or_else(|| Rc::from([]), |f| Rc::from(&f[..])),
                    finish: None,
                },
            );
        }
        if let Some((id, shape)) = self.pending_finish.take() {
            let resume = Rc::new(GuardResume { frames: Vec::new() });
            self.guards.insert(
                id,
                GuardEntry {
                    resume,
                    owner,
                    fails: 0,
                    bridge_tried: true,
                    forced_exit: false,
                    kinds: Rc::from([]),
                    virtuals: None,
                    pending: None,
                    facts: Rc::from([]),
                    finish: Some(shape),
                },
            );
        }
    }

    /// Optimizes a loop, or a bridge out of `bridge` (starting from what
    /// the optimizer knew at that guard).
    fn optimize(&mut self, trace: &Trace, bridge: Option<GuardId>) -> crate::opt::Optimized {
        let t0 = Instant::now();
        let params = self.params.clone();
        let mut next = self.next_id;
        let mut new_guard = || {
            next += 1;
            GuardId(next - 1)
        };
        let opt = if let Some(g) = bridge {
            let facts = self.guards.get(&g).map(|e| e.facts.clone());
            let facts = facts.as_deref().unwrap_or(&[]);
            let body = match trace.ops.last().and_then(|o| o.descr) {
                Some(Descr::Target(t)) => self.bodies.get(&t).cloned(),
                _ => None,
            };
            crate::opt::optimize_bridge(trace, &params, &mut new_guard, facts, body.as_deref())
        } else {
            crate::opt::optimize_loop(trace, &params, &mut new_guard)
        };
        self.next_id = next;
        self.stats.optimizing += t0.elapsed();
        self.count_ops(trace, &opt.trace);
        opt
    }

    fn count_ops(&mut self, before: &Trace, after: &Trace) {
        self.stats.recorded_ops += before.op_count() as u64;
        self.stats.recorded_guards += before.guards().count() as u64;
        self.stats.opt_ops += after.op_count() as u64;
        self.stats.opt_guards += after.guards().count() as u64;
    }

    fn compile_loop(
        &mut self,
        interp: &I,
        greens: &I::Greens,
        token: TargetToken,
        Recorded {
            trace,
            guards,
            qi_deps,
        }: Recorded<I>,
        function: bool,
    ) -> bool {
        let opt = self.optimize(&trace, None);
        let id = LoopId(self.new_id());
        let t1 = Instant::now();
        let res = self.backend.compile_loop(id, &opt.trace);
        self.stats.backend += t1.elapsed();
        if let Err(e) = res {
            self.log.section(cat::ABORT, || format!("compiling: {e}"));
            return false;
        }
        self.stats.loops += 1;
        self.keep_constants(&opt.trace);
        let kinds = trace.inputargs.iter().map(|v| trace.kind(*v)).collect();
        self.register_guards(id, &opt, guards);
        if let Some(b) = &opt.body {
            self.bodies.insert(token, Rc::new(b.clone()));
        }
        for (obj, d) in qi_deps {
            self.qi_deps
                .entry((obj.addr(), d as *const FieldDescr as usize))
                .or_default()
                .push(id);
        }
        let loc = interp.printable_location(greens);
        self.log.section(cat::OPT_LOOP, || {
            format!(
                "# Loop {} ({}) : {} with {} ops\n{}",
                id.0,
                loc,
                if function { "entry bridge" } else { "loop" },
                opt.trace.op_count(),
                opt.trace
            )
        });
        self.keep_trace(
            format!(
                "# Loop {} ({}) : {} with {} ops",
                id.0,
                loc,
                if function { "entry bridge" } else { "loop" },
                opt.trace.op_count()
            ),
            &opt.trace,
        );
        self.log_backend(id, &format!("Loop {} ({})", id.0, loc));
        let entry = Some(LoopEntry { id, token, kinds });
        if function {
            self.cell_mut(greens).function = entry;
            self.bump_code_epoch();
        } else {
            self.cell_mut(greens).entry = entry;
        }
        self.memmgr_new_loop(id, &opt.trace);
        true
    }

    fn compile_bridge(
        &mut self,
        guard: GuardId,
        Recorded {
            trace,
            guards,
            qi_deps,
        }: Recorded<I>,
    ) -> bool {
        let opt = self.optimize(&trace, Some(guard));
        let t1 = Instant::now();
        let res = self.backend.compile_bridge(guard, &opt.trace);
        self.stats.backend += t1.elapsed();
        if let Err(e) = res {
            self.log
                .section(cat::ABORT, || format!("compiling bridge: {e}"));
            return false;
        }
        self.stats.bridges += 1;
        self.keep_constants(&opt.trace);
        let owner = self.guards[&guard].owner;
        self.register_guards(owner, &opt, guards);
        for (obj, d) in qi_deps {
            self.qi_deps
                .entry((obj.addr(), d as *const FieldDescr as usize))
                .or_default()
                .push(owner);
        }
        self.log.section(cat::OPT_BRIDGE, || {
            format!(
                "# bridge out of Guard {} with {} ops\n{}",
                guard.0,
                opt.trace.op_count(),
                opt.trace
            )
        });
        self.keep_trace(
            format!(
                "# bridge out of Guard {} with {} ops",
                guard.0,
                opt.trace.op_count()
            ),
            &opt.trace,
        );
        self.memmgr_new_bridge(owner, &opt.trace);
        true
    }

    fn log_backend(&self, id: LoopId, what: &str) {
        if self.log.enabled(cat::BACKEND) {
            let text = self
                .backend
                .disassemble(id)
                .unwrap_or_else(|| format!("({} backend: no machine code)", self.backend.name()));
            self.log
                .section(cat::BACKEND, || format!("# {what}\n{text}"));
        }
    }

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
        let mut function_changed = false;
        for id in loops {
            self.backend.invalidate(id);
            self.stats.invalidated_loops += 1;
            for cell in self.cells.values_mut() {
                if cell.entry.as_ref().is_some_and(|e| e.id == id) {
                    cell.entry = None;
                    cell.counter = 0;
                }
                if cell.function.as_ref().is_some_and(|e| e.id == id) {
                    cell.function = None;
                    function_changed = true;
                    cell.calls = 0;
                }
            }
        }
        if function_changed {
            self.bump_code_epoch();
        }
    }

    /// The `jit-backend-counts` text: how often each loop was entered from
    /// the interpreter and each guard failed (the format `mtlog` reads).
    pub fn backend_counts(&self) -> String {
        let mut loops: Vec<_> = self.entered.iter().collect();
        loops.sort();
        let mut guards: Vec<_> = self.guards.iter().filter(|(_, g)| g.fails > 0).collect();
        guards.sort_by_key(|(id, _)| **id);
        let mut out = String::new();
        for (id, n) in loops {
            out += &format!("loop {}: entered {n}\n", id.0);
        }
        for (id, g) in guards {
            out += &format!("guard {}: failed {}\n", id.0, g.fails);
        }
        out
    }

    /// The `jit-summary` text, in PyPy's line shapes.
    pub fn summary(&self) -> String {
        let s = &self.stats;
        let total = s.start.map(|t| t.elapsed()).unwrap_or_default();
        let mut out = String::new();
        let secs = |d: Duration| format!("{:.6}", d.as_secs_f64());
        out += &format!("Tracing:      \t{}\t{}\n", s.tracings, secs(s.tracing));
        out += &format!("Optimizing:   \t{}\n", secs(s.optimizing));
        out += &format!(
            "Backend:      \t{}\t{}\n",
            s.loops + s.bridges,
            secs(s.backend)
        );
        out += &format!("Running:      \t{}\n", secs(s.compiled));
        let jit_time = s.tracing + s.optimizing + s.backend + s.compiled;
        out += &format!("Interpreting: \t{}\n", secs(total.saturating_sub(jit_time)));
        out += &format!("TOTAL:      \t\t{}\n", secs(total));
        out += &format!("ops:             \t{}\n", s.recorded_ops);
        out += &format!("guards:          \t{}\n", s.recorded_guards);
        out += &format!("opt ops:         \t{}\n", s.opt_ops);
        out += &format!("opt guards:      \t{}\n", s.opt_guards);
        out += &format!("guard failures:  \t{}\n", s.guard_failures);
        out += &format!("forced exits:    \t{}\n", s.forced_exits);
        out += &format!("invalidated:     \t{}\n", s.invalidated_loops);
        for (reason, n) in &s.aborts {
            out += &format!("abort: {reason}:\t{n}\n");
        }
        out += &format!("Total # of loops:\t{}\n", s.loops);
        out += &format!("Total # of bridges:\t{}\n", s.bridges);
        out += &format!("Freed # of loops:\t{}\n", s.freed_loops);
        out += &format!("Freed # of bridges:\t{}\n", s.freed_bridges);
        // The heap is per thread, not per driver: these are the thread's.
        let gc = heap::stats();
        out += &format!("gc collections:  \t{}\n", gc.collections);
        out += &format!("gc time:         \t{}\n", secs(gc.gc_time));
        out += &format!("gc max pause:    \t{}\n", secs(gc.max_pause));
        out
    }
}

impl<I: Interp> Drop for JitDriver<I> {
    fn drop(&mut self) {
        self.drain_gc_log();
        if self.log.enabled(cat::BACKEND_COUNTS) {
            let text = self.backend_counts();
            self.log.section(cat::BACKEND_COUNTS, || text);
        }
        if self.log.enabled(cat::SUMMARY) {
            let text = self.summary();
            self.log.section(cat::SUMMARY, || text);
        }
        self.log.flush();
    }
}

/// Allocates the virtuals a guard describes, writes their references into
/// their slots, then fills their fields from the (patched) words; then
/// performs the guard's pending stores in order (their values may be the
/// virtuals). (The optimizer's random tests use this too, so resume has
/// one definition.)
pub(crate) fn materialize(virtuals: &[VirtualInfo], pending: &[PendingWrite], words: &mut [u64]) {
    for v in virtuals {
        let r = match v.alloc {
            VirtualAlloc::Struct(d) => crate::heap::new_struct(d),
            VirtualAlloc::Array(d, len) => crate::heap::new_array(d, len).unwrap_or(GcRef::NULL),
        };
        for slot in v.slots() {
            words[slot as usize] = r.addr() as u64;
        }
    }
    for v in virtuals {
        let obj = crate::backend::word_to_ref(words[v.slot as usize]);
        for (f, idx) in &v.fields {
            let w = words[*idx as usize];
            match (f, v.alloc) {
                (VirtualField::Field(d), _) => crate::heap::setfield(obj, d, w),
                (VirtualField::Item(i), VirtualAlloc::Array(d, _)) => {
                    crate::heap::setarrayitem(obj, d, *i, w)
                }
                (VirtualField::Item(_), VirtualAlloc::Struct(_)) => {}
            }
        }
    }
    for p in pending {
        let obj = crate::backend::word_to_ref(words[p.target as usize]);
        let w = words[p.value as usize];
        match (p.descr, p.index) {
            (Descr::Field(d), _) => crate::heap::setfield(obj, d, w),
            (Descr::Array(d), Some(i)) => {
                crate::heap::setarrayitem(obj, d, words[i as usize] as i64, w)
            }
            _ => {}
        }
    }
}

/// At a bridge's entry: the guard's pending stores as IR ops (after the
/// virtuals' allocations, which they may store), so the bridge performs
/// them — its optimizer may delay them again.
fn store_in_trace(trace: &mut Trace, pending: &[PendingWrite], inputs: &[Operand]) {
    for p in pending {
        let (obj, val) = (inputs[p.target as usize], inputs[p.value as usize]);
        match p.index {
            None => trace.push(OpNum::SetfieldGc, &[obj, val], Some(p.descr)),
            Some(i) => trace.push(
                OpNum::SetarrayitemGc,
                &[obj, inputs[i as usize], val],
                Some(p.descr),
            ),
        };
    }
}

/// At a bridge's entry: the same allocations as IR ops, so the bridge's
/// trace owns the objects; `inputs[slot]` becomes the new object.
fn allocate_in_trace(trace: &mut Trace, virtuals: &[VirtualInfo], inputs: &mut [Operand]) {
    for v in virtuals {
        let res = match v.alloc {
            VirtualAlloc::Struct(d) => trace.push(OpNum::New, &[], Some(Descr::Size(d))),
            VirtualAlloc::Array(d, len) => trace.push(
                OpNum::NewArray,
                &[Operand::ConstInt(len)],
                Some(Descr::Array(d)),
            ),
        };
        for slot in v.slots() {
            inputs[slot as usize] = Operand::Var(res.expect("allocations have results"));
        }
    }
    for v in virtuals {
        let obj = inputs[v.slot as usize];
        for (f, idx) in &v.fields {
            let val = inputs[*idx as usize];
            match (f, v.alloc) {
                (VirtualField::Field(d), _) => {
                    trace.push(OpNum::SetfieldGc, &[obj, val], Some(Descr::Field(d)));
                }
                (VirtualField::Item(i), VirtualAlloc::Array(d, _)) => {
                    trace.push(
                        OpNum::SetarrayitemGc,
                        &[obj, Operand::ConstInt(*i), val],
                        Some(Descr::Array(d)),
                    );
                }
                (VirtualField::Item(_), VirtualAlloc::Struct(_)) => {}
            }
        }
    }
}
