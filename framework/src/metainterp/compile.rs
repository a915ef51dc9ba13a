//! From a recorded trace to installed code (PyPy's `compile.py`).
//!
//! Owns: `GuardEntry` (per compiled guard: its resume data, failure
//! count, what the optimizer knew there — PyPy's `ResumeGuardDescr`),
//! optimizing a loop or a bridge, handing it to the backend, filing the
//! guards and quasi-immutable dependencies of what got compiled, rooting
//! the reference constants baked into code, and the `jit-log-opt-*` /
//! `jit-backend` log sections.

use super::driver::JitDriver;
use super::resume::GuardResume;
use super::warmstate::LoopEntry;
use crate::backend::profile::{self, TraceKey};
use crate::backend::LoopId;
use crate::ctx::{Interp, Shape};
use crate::heap::roots::Handle;
use crate::heap::GcRef;
use crate::ir::{
    Descr, FieldDescr, GuardId, Kind, OpNum, Operand, PendingWrite, TargetToken, Trace, VirtualInfo,
};
use crate::log::{cat, BackendHeader, TraceHeader};
use hashbrown::HashMap;
use std::rc::Rc;
use std::time::Instant;

pub(crate) struct GuardEntry<I: Interp> {
    pub(crate) resume: Rc<GuardResume<I>>,
    pub(crate) owner: LoopId,
    pub(crate) fails: u32,
    pub(crate) bridge_tried: bool,
    /// A `guard_not_forced`: fails only with a stashed call result.
    pub(crate) forced_exit: bool,
    /// Kinds of the compiled guard's fail args (the recorder's layout,
    /// plus whatever the optimizer appended for virtuals).
    pub(crate) kinds: Rc<[Kind]>,
    pub(crate) virtuals: Option<Rc<[VirtualInfo]>>,
    /// Stores the optimizer delayed past the guard: done on failure.
    pub(crate) pending: Option<Rc<[PendingWrite]>>,
    /// What the optimizer knew about the fail args: a bridge starts there.
    pub(crate) facts: Rc<[(u32, crate::opt::Fact)]>,
    /// Set for a `finish`: how to rebuild the portal's result.
    pub(crate) finish: Option<Rc<I::Ret<Shape>>>,
}

/// What a finished recording hands to compilation.
pub(crate) struct Recorded<I: Interp> {
    pub(crate) trace: Trace,
    pub(crate) guards: Vec<(GuardId, GuardResume<I>)>,
    /// Quasi-immutable fields read as constants: (object, field).
    pub(crate) qi_deps: Vec<(GcRef, &'static FieldDescr)>,
}

impl<I: Interp> JitDriver<I> {
    /// Roots the reference constants of a trace that was just compiled.
    pub(crate) fn keep_constants(&mut self, trace: &Trace) {
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

    pub(crate) fn keep_trace(&mut self, header: String, trace: &Trace) {
        if self.keep_traces {
            self.traces.push((header, trace.clone()));
        }
    }

    /// Files the resume data of every guard the compiled trace still has,
    /// including guards the optimizer copied.
    pub(crate) fn register_guards(
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
    pub(crate) fn optimize(
        &mut self,
        trace: &Trace,
        bridge: Option<GuardId>,
    ) -> crate::opt::Optimized {
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

    pub(crate) fn count_ops(&mut self, before: &Trace, after: &Trace) {
        self.stats.recorded_ops += before.op_count() as u64;
        self.stats.recorded_guards += before.guards().count() as u64;
        self.stats.opt_ops += after.op_count() as u64;
        self.stats.opt_guards += after.guards().count() as u64;
    }

    pub(crate) fn compile_loop(
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
        let mut opt = self.optimize(&trace, None);
        if self.params.test_fault == "int_add" {
            crate::opt::fault::int_add(&mut opt.trace);
        }
        let id = LoopId(self.new_id());
        let t1 = Instant::now();
        self.backend.set_listing(self.log.enabled(cat::BACKEND));
        let res = self.backend.compile_loop(id, &opt.trace);
        self.stats.backend += t1.elapsed();
        if let Err(e) = res {
            self.log.section(cat::ABORT, || format!("compiling: {e}"));
            return false;
        }
        self.stats.loops += 1;
        self.verify_compiled_loop(id, &opt.trace);
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
        let header = TraceHeader::Loop {
            id: id.0 as u64,
            location: loc.clone(),
            kind: if function { "entry bridge" } else { "loop" }.to_string(),
            ops: opt.trace.op_count(),
        }
        .to_string();
        self.log
            .section(cat::OPT_LOOP, || format!("{header}\n{}", opt.trace));
        self.keep_trace(header, &opt.trace);
        self.log_backend(
            id,
            BackendHeader::Loop {
                id: id.0 as u64,
                location: loc.clone(),
            },
        );
        let entry = Some(LoopEntry { id, token, kinds });
        if function {
            self.cell_mut(greens).function = entry;
            self.bump_code_epoch();
        } else {
            self.cell_mut(greens).entry = entry;
            // `call_assembler` sites entering at this header may use it.
            self.bump_code_epoch();
        }
        self.memmgr_new_loop(id, &opt.trace);
        self.profile_installed(TraceKey::Loop(id), id);
        true
    }

    pub(crate) fn compile_bridge(
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
        self.backend.set_listing(self.log.enabled(cat::BACKEND));
        let res = self.backend.compile_bridge(guard, &opt.trace);
        self.stats.backend += t1.elapsed();
        if let Err(e) = res {
            self.log
                .section(cat::ABORT, || format!("compiling bridge: {e}"));
            return false;
        }
        self.stats.bridges += 1;
        self.verify_compiled_bridge(guard, &opt.trace);
        self.keep_constants(&opt.trace);
        let owner = self.guards[&guard].owner;
        self.register_guards(owner, &opt, guards);
        for (obj, d) in qi_deps {
            self.qi_deps
                .entry((obj.addr(), d as *const FieldDescr as usize))
                .or_default()
                .push(owner);
        }
        let header = TraceHeader::Bridge {
            guard: guard.0 as u64,
            ops: opt.trace.op_count(),
        }
        .to_string();
        self.log
            .section(cat::OPT_BRIDGE, || format!("{header}\n{}", opt.trace));
        self.keep_trace(header, &opt.trace);
        if self.log.enabled(cat::BACKEND) {
            let text = self
                .backend
                .disassemble_bridge(guard)
                .unwrap_or_else(|| format!("({} backend: no machine code)", self.backend.name()));
            let header = BackendHeader::Bridge {
                guard: guard.0 as u64,
            };
            self.log
                .section(cat::BACKEND, || format!("{header}\n{text}"));
        }
        self.memmgr_new_bridge(owner, &opt.trace);
        self.profile_installed(TraceKey::Bridge(guard), owner);
        true
    }

    /// Tells the sampling profiler where new code is (while it runs).
    fn profile_installed(&self, key: TraceKey, owner: LoopId) {
        if self.profiling {
            if let Some(region) = self.backend.code_region(key) {
                profile::installed(key, owner, region);
            }
        }
    }

    pub(crate) fn log_backend(&self, id: LoopId, header: BackendHeader) {
        if self.log.enabled(cat::BACKEND) {
            let text = self
                .backend
                .disassemble(id)
                .unwrap_or_else(|| format!("({} backend: no machine code)", self.backend.name()));
            self.log
                .section(cat::BACKEND, || format!("{header}\n{text}"));
        }
    }
}
