//! The driver: PyPy's `JitDriver` and the portal loop of `warmspot.py`.
//!
//! Owns: [`JitDriver`] — its state (the warm-state cells, the compiled
//! guards, the backend, statistics, the log), the portal (`run`,
//! `portal`, `portal_loop`), `can_enter_jit` and portal entries (count,
//! trace, or enter compiled code), leaving compiled code through a guard
//! (bridge or resume), and the `Hooks` the contexts use. The other
//! concerns live beside it, each extending `JitDriver` from its own file:
//! `tracer` (recording), `compile` (trace to code), `blackhole` and
//! `resume` (deoptimization), `quasiimmut`, `call_assembler`, `memmgr`,
//! `stats`.
//!
//! The portal loop calls the VM's `step` in direct mode; only
//! `Step::CanEnterJit` reaches the JIT machinery, so an instruction costs
//! one match on the step result beyond the interpreter's own work.

use super::activation::{self, Restore};
use super::blackhole::resume_in_interpreter;
use super::call_assembler::AsmSite;
use super::compile::GuardEntry;
use super::direct::{Direct, NoLog};
use super::hooks::Hooks;
use super::resume::{materialize, Forced};
use super::stats::{AbortReason, Stats};
use super::tracer::Start;
use super::warmstate::{Cell, LoopEntry};
use crate::backend::{Backend, DeadFrame, LoopId};
use crate::ctx::{Flatten, Interp, Plain, Shape, Step};
use crate::heap::roots::{Handle, Rooted};
use crate::heap::{self, GcRef};
use crate::ir::{AssemblerDescr, FieldDescr, GuardId, Kind, TargetToken, Trace};
use crate::log::{cat, Log};
use crate::params::JitParams;
use hashbrown::HashMap;
use std::rc::Rc;
use std::time::Instant;

/// A JIT driver for one interpreter loop (RPython's `JitDriver`): owns the
/// warm state and the backend, and runs the portal.
pub struct JitDriver<I: Interp> {
    /// The JIT parameters (`--jit threshold=...`) this driver runs with.
    pub params: JitParams,
    pub(crate) backend: Box<dyn Backend>,
    pub(crate) cells: HashMap<I::Greens, Cell>,
    pub(crate) guards: HashMap<GuardId, GuardEntry<I>>,
    /// Peeled loops by first-label token: how a bridge jumps into the body.
    pub(crate) bodies: HashMap<TargetToken, Rc<crate::opt::unroll::BodyEntry>>,
    pub(crate) next_id: u32,
    pub(crate) qi_deps: HashMap<(usize, usize), Vec<LoopId>>,
    /// Quasi-immutable fields written while a trace is being recorded —
    /// by guest code the recording ran concretely (a `call_assembler`
    /// callee, a `call_may_force` helper): a trace that read one of them
    /// as a constant would be stale from birth, so it is aborted.
    pub(crate) qi_written: Vec<(usize, usize)>,
    /// Counters and phase timings (what `jit-summary` prints).
    pub stats: Stats,
    /// Where the driver writes its `METATRACE_LOG` sections.
    pub log: Log,
    /// When true, every compiled loop and bridge is kept in `traces` as
    /// (header, optimized trace): tests and tools read them.
    pub keep_traces: bool,
    /// The kept traces: (log header, optimized trace), one per compiled loop
    /// and bridge, in compile order; filled only while `keep_traces` is true.
    pub traces: Vec<(String, Trace)>,
    /// The `finish` of the trace being compiled (its id and result shape).
    pub(crate) pending_finish: Option<(GuardId, Rc<I::Ret<Shape>>)>,
    /// Entries into compiled code from the interpreter, per loop
    /// (`jit-backend-counts`).
    pub(crate) entered: HashMap<LoopId, u64>,
    /// Reference constants of compiled code (baked into machine code or
    /// llgraph's traces): roots for as long as the code may run, which is
    /// as long as this driver lives. Deduplicated by address.
    pub(crate) const_roots: HashMap<usize, Handle>,
    /// `call_assembler` call sites (see `assembler`).
    pub(crate) sites: Vec<AsmSite<I>>,
    /// A `call_assembler` result waiting for its `guard_not_forced` exit.
    pub(crate) forced: Option<Forced<I>>,
    /// The VM's `ret_shape_eq` said `None`: portal calls are inlined only.
    pub(crate) no_call_assembler: bool,
    /// Names this driver in its `AssemblerDescr`s.
    pub(crate) driver_id: usize,
    /// Activations of compiled code on the stack now.
    pub(crate) running: u32,
    /// `loop_longevity`: generations (compiles so far), per-loop life,
    /// label owners, a check waiting for the outermost level (`memmgr`).
    pub(crate) generation: u64,
    pub(crate) lives: HashMap<LoopId, super::memmgr::LoopLife>,
    pub(crate) token_owner: HashMap<TargetToken, LoopId>,
    pub(crate) free_pending: bool,
    /// Traces being recorded now (nested through portal calls).
    pub(crate) recording: u32,
    /// Reused buffers for `call_assembler` results.
    pub(crate) scratch: (Vec<u64>, Vec<Kind>),
    /// Bumped whenever a portal entry's compiled code changes (sites
    /// cache the callee's code per epoch).
    pub(crate) code_epoch: u64,
    /// This driver started the sampling profiler (`jit-profile`) and
    /// reports it when dropped.
    pub(crate) profiling: bool,
    /// `--jit verify=on`: the shadow backend and the check in progress.
    pub(crate) verifier: Option<Box<super::verify::Verifier>>,
}

/// A portal result read from a `finish`, with the finish's result shape.
pub(crate) type FinishResult<I> = (<I as Interp>::Ret<Plain>, Rc<<I as Interp>::Ret<Shape>>);

impl<I: Interp> JitDriver<I> {
    /// A driver with `params`, running traces on `backend`, logging as
    /// `METATRACE_LOG` says.
    pub fn new(params: JitParams, backend: Box<dyn Backend>) -> Self {
        let verify = params.verify && params.enabled;
        JitDriver {
            verifier: verify.then(|| Box::new(super::verify::Verifier::new())),
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
                verify_on: verify,
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
            driver_id: activation::new_driver_id(),
            running: 0,
            scratch: (Vec::new(), Vec::new()),
            generation: 0,
            lives: HashMap::new(),
            token_owner: HashMap::new(),
            free_pending: false,
            recording: 0,
            code_epoch: 0,
            profiling: false,
        }
        .log_gc()
    }

    /// Turns the heap's `gc` events on when the log selects them, and the
    /// sampling profiler when the log names `jit-profile`.
    fn log_gc(mut self) -> Self {
        if self.log.enabled(cat::GC) {
            heap::gc::set_logging(true);
        }
        if !self.profiling && self.log.named(cat::PROFILE) {
            self.profiling = crate::backend::profile::start();
            if !self.profiling {
                self.log.section(cat::PROFILE, || {
                    "not available: the profiler runs for another driver, or this host has no SIGPROF timer\n"
                        .to_string()
                });
            }
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

    /// Replaces the log sink (tests).
    pub fn with_log(mut self, log: Log) -> Self {
        self.log = log;
        self.log_gc()
    }

    /// The `--jit backend=` name of the backend this driver compiles with.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    pub(crate) fn cell_mut(&mut self, g: &I::Greens) -> &mut Cell {
        if !self.cells.contains_key(g) {
            self.cells.insert(g.clone(), Cell::default());
        }
        self.cells.get_mut(g).expect("just inserted")
    }

    pub(crate) fn new_id(&mut self) -> u32 {
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
            match interp.step(
                &mut Direct {
                    jit: self,
                    log: NoLog,
                },
                greens,
                frame,
            ) {
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

    /// The compiled entry trace of the portal entry `greens` (or, with
    /// `at_loop`, the loop whose header is `greens`), if it takes reds of
    /// `kinds` (counted as an entry from outside).
    pub(crate) fn compiled_code(
        &mut self,
        greens: &I::Greens,
        kinds: &[Kind],
        at_loop: bool,
    ) -> Option<LoopId> {
        if !self.params.enabled {
            return None;
        }
        let cell = self.cells.get(greens)?;
        let e = if at_loop { &cell.entry } else { &cell.function }.as_ref()?;
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
        if !cell.tick_call(threshold) {
            return Step::Next;
        }
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
                let checked = if self.verify_sample(entry.id) {
                    self.verify_entry(interp, greens, frame, &entry, &args)
                } else {
                    None
                };
                match checked {
                    Some(step) => step,
                    None => {
                        let dead = self.enter_code(interp, entry.id, &args);
                        self.handle_exit(interp, dead, greens, frame)
                    }
                }
            } else {
                if !cell.tick_loop(threshold) {
                    return None;
                }
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
        let mut want_bridge = !entry.bridge_tried && entry.fails >= eagerness.max(1);
        if want_bridge {
            entry.bridge_tried = true;
            let owner = entry.owner;
            let limit = self.params.bridge_limit;
            let bridges = self.lives.get(&owner).map_or(0, |l| l.bridges);
            if limit != 0 && bridges >= limit {
                // Bounded compilation (LuaJIT's maxside): this guard keeps
                // resuming in the interpreter rather than growing the tree.
                want_bridge = false;
                *self
                    .stats
                    .aborts
                    .entry(AbortReason::BridgeLimit.name())
                    .or_default() += 1;
                self.log.section(cat::ABORT, || {
                    format!(
                        "{}: guard {} of loop {} not bridged (the loop has {bridges} bridges, \
                         bridge_limit={limit})",
                        AbortReason::BridgeLimit.name(),
                        dead.guard.0,
                        owner.0
                    )
                });
            }
        }
        if want_bridge {
            let entry = self.guards.get_mut(&dead.guard).expect("looked up above");
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
        resume_in_interpreter(self, interp, &resume, &words, greens, frame, forced)
    }

    /// The `jit-summary` text, in PyPy's line shapes (with the backend
    /// that compiled the loops named first).
    pub fn summary(&self) -> String {
        self.stats.summary(self.backend.name())
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
}

impl<I: Interp> Drop for JitDriver<I> {
    fn drop(&mut self) {
        self.drain_gc_log();
        if self.profiling {
            let text = crate::backend::profile::stop_and_report();
            self.log.section(cat::PROFILE, || text);
        }
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

impl<I: Interp> Hooks<I> for JitDriver<I> {
    fn params(&self) -> &JitParams {
        &self.params
    }
    fn new_guard_id(&mut self) -> GuardId {
        JitDriver::new_guard_id(self)
    }
    fn quasi_immutable_written(&mut self, obj: GcRef, d: &'static FieldDescr) {
        JitDriver::quasi_immutable_written(self, obj, d)
    }
    fn portal(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Plain>,
    ) -> I::Ret<Plain> {
        JitDriver::portal(self, interp, greens, frame)
    }
    fn activate(&mut self, interp: &mut I) -> Restore {
        let id = self.driver_id;
        activation::activate(self as *mut Self, interp as *mut I, id)
    }
    fn call_assembler_allowed(&self) -> bool {
        !self.no_call_assembler
    }
    fn forbid_call_assembler(&mut self) {
        self.no_call_assembler = true;
    }
    fn assembler_site(
        &mut self,
        greens: I::Greens,
        frame: Rc<I::Frame<Shape>>,
        ret: Rc<I::Ret<Shape>>,
        args: &[Kind],
        result: Kind,
        at_loop: bool,
    ) -> &'static AssemblerDescr {
        JitDriver::assembler_site(self, greens, frame, ret, args, result, at_loop)
    }
    fn portal_at_loop(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Plain>,
    ) -> I::Ret<Plain> {
        JitDriver::portal_at_loop(self, interp, greens, frame)
    }
    fn loop_at(&self, greens: &I::Greens) -> Option<LoopEntry> {
        self.cells.get(greens).and_then(|c| c.entry.clone())
    }
}
