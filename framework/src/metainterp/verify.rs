//! `--jit verify=on`: compiled code checked against the interpreter while
//! the program runs. PyPy has nothing like it; its miscompiles (#2904,
//! #5019) showed only as users' wrong answers.
//!
//! Owns: when an entry into a compiled loop is checked (sampling), the
//! shadow run of the compiled path, the interpreter's run of the same
//! trips, their comparison, the mismatch report, and disabling a loop
//! found wrong. Uses the shadow memory of `backend::shadow` and a second
//! IR-interpreter backend (the *shadow backend*) that gets every loop and
//! bridge the real backend gets.
//!
//! # Design
//!
//! - **Markers.** With `verify=on` the tracer puts a `guard_verify`
//!   before every closing `jump` (loops, bridges, entry traces that end
//!   at a loop header): a guard whose resume data is the frame at that
//!   loop header with no instruction in progress. The optimizer treats
//!   it as any guard (virtuals in its fail args are described, delayed
//!   stores become its pending writes), so its fail args are exactly the
//!   interpreter's reds there. Backends emit nothing for it: the code
//!   that runs is the code the optimizer produced, plus nothing.
//! - **Sampling.** Entries into a compiled loop from the interpreter
//!   are checked one after the other until one check passes (at most 16
//!   tries), then when the loop's entry count is a power of two (1, 2, 4,
//!   8, ...): a loop entered a million times is checked about twenty
//!   times, fresh code most densely.
//! - **Shadow run.** From the interpreter's state at the header, the
//!   optimized loop — and any bridges its guards take — runs in the IR
//!   interpreter over an *overlay*: stores go into a table keyed by
//!   address, loads see that table first, so the real heap does not
//!   change (objects it allocates are fresh and unreachable). It stops at
//!   the fourth `guard_verify` it meets: four trips through loop headers,
//!   so the peeled preamble, the loop body (what runs in steady state)
//!   and loops its bridges jump into all run. The guard's fail args, with
//!   its virtuals materialized (fresh objects) and its pending stores put
//!   in the overlay, are the compiled path's frame. A path that leaves
//!   earlier through a guard without a bridge is compared there instead,
//!   if the guard is at an instruction's start as far as effects go (its
//!   instruction wrote nothing and called nothing before it): the
//!   interpreter stops when it reaches that instruction for the same
//!   time since the last header.
//! - **Interpreter run.** Then the interpreter runs the same trips for
//!   real, from the same state, in direct mode with a write log (each
//!   store logs the value it overwrites; allocations are logged): until
//!   it has passed the same loop headers the shadow run stopped at. Its
//!   result is the program's from here on, so the output is the
//!   interpreter's whether or not the check passes.
//! - **Comparison.** The reds word by word by kind (floats by bits,
//!   NaNs alike); then every address either side stored to in an object
//!   that existed before the trips: the compiled path's final value (its
//!   store, or the old value if it made none) against the heap's now.
//!   References compare by identity, except that objects allocated during
//!   the trips (on either side, helpers' and compiled code's allocations
//!   included: the heap logs every allocation while a check runs)
//!   compare by type and contents, references inside alike, to a bounded
//!   depth.
//! - **Mismatch.** Reported to stderr (and `jit-verify`): the loop and
//!   the bridges taken, its guest location, the last `debug_merge_point`
//!   the compiled path passed (or where the differing store was made),
//!   the first value that differs, and the optimized trace. The loop is
//!   invalidated, forgotten by every cell, and its header is never traced
//!   again. `jit-summary` reports `verified`, `mismatches` and `verify
//!   skipped`.
//!
//! # Limits
//!
//! - The shadow run gives up (the entry runs normally, counted as
//!   skipped, the reason in `jit-verify`) on a path that calls a helper
//!   that may write the heap or run guest code (its effects could not be
//!   kept out of the real heap), on `call_assembler`, on a guard exit
//!   without a bridge in the middle of an instruction that wrote or
//!   called, and after 200,000 ops. A guard exit whose instruction the
//!   interpreter does not stop at (a VM's direct mode may run several
//!   instructions per step) is skipped too.
//!   So loops whose body calls heap-writing builtins are not checked;
//!   which loops are is in `jit-verify`.
//! - Helpers the path may call (elidable, or not writing the heap) read
//!   the real heap, not the overlay.
//! - Stores the interpreter makes inside helpers or nested portal calls
//!   are not in its log; a store the compiled path makes there is still
//!   compared (with the heap's value now), one it omits is not seen.
//! - Identity of objects allocated during the trips is not compared
//!   (only their contents), nor anything deeper than 6 references from
//!   the frame or a store.
//! - Only entries from the interpreter into loops are sampled; entry
//!   traces of functions, and bridges not reached from a sampled entry
//!   within two trips, are not checked on their own.
//! - The backends' code is not what runs in the shadow: the check is of
//!   the tracer and the optimizer (and llgraph's semantics); backends are
//!   held to llgraph by the conformance and random-trace suites.

use super::direct::{Direct, WriteLog};
use super::driver::JitDriver;
use super::resume::{materialize_with, EffectShape};
use super::warmstate::LoopEntry;
use crate::backend::llgraph::LlGraph;
use crate::backend::shadow::{kind_name, show, Compare, Overlay, RunEnd};
use crate::backend::{Backend, LoopId};
use crate::ctx::{Flatten, Interp, Plain, Step};
use crate::heap;
use crate::ir::{GuardId, Kind};
use crate::log::cat;

/// Loop headers a check runs through: the preamble, body iterations, and
/// the loops its bridges jump into.
const TRIPS: usize = 4;
/// Ops a shadow run may execute.
const SHADOW_FUEL: u64 = 200_000;
/// Interpreter steps the same trips may take before the check gives up
/// (the interpreter's result stands either way).
const STEP_BUDGET: u64 = 20_000_000;

/// The verifier's state in a driver.
pub(crate) struct Verifier {
    /// Every loop and bridge the real backend has, in the IR interpreter.
    pub(crate) shadow: LlGraph,
    /// A check is running (nested portals do not start another).
    active: u32,
    /// Loops with a passed check: sampled from then on; until then every
    /// entry is checked.
    passed: hashbrown::HashSet<LoopId>,
    /// Checks tried per loop: past `EAGER_TRIES` without a pass, the loop
    /// is sampled too (a loop whose path can never be checked costs
    /// little).
    tries: hashbrown::HashMap<LoopId, u32>,
}

/// Entries checked one after the other until a check passes.
const EAGER_TRIES: u32 = 16;

impl Verifier {
    pub(crate) fn new() -> Verifier {
        Verifier {
            shadow: LlGraph::new(),
            active: 0,
            passed: Default::default(),
            tries: Default::default(),
        }
    }
}

impl<I: Interp> JitDriver<I> {
    /// Is this entry into loop `id` (just counted) one to check?
    #[inline]
    pub(crate) fn verify_sample(&self, id: LoopId) -> bool {
        match &self.verifier {
            Some(v) => {
                v.active == 0
                    && ((!v.passed.contains(&id)
                        && v.tries.get(&id).is_none_or(|n| *n < EAGER_TRIES))
                        || self.entered.get(&id).is_some_and(|n| n.is_power_of_two()))
            }
            None => false,
        }
    }

    /// The shadow backend gets loop `id` too.
    pub(crate) fn verify_compiled_loop(&mut self, id: LoopId, trace: &crate::ir::Trace) {
        if let Some(v) = &self.verifier {
            let _ = v.shadow.compile_loop(id, trace);
        }
    }

    /// The shadow backend gets the bridge of `guard` too.
    pub(crate) fn verify_compiled_bridge(&mut self, guard: GuardId, trace: &crate::ir::Trace) {
        if let Some(v) = &self.verifier {
            let _ = v.shadow.compile_bridge(guard, trace);
        }
    }

    /// Checks one entry into `entry` from `frame` at `greens` (flattened:
    /// `args`). `None`: not checked, nothing happened, enter the code.
    /// `Some(step)`: the interpreter ran the trips; `step` is what its
    /// last instruction said.
    pub(crate) fn verify_entry(
        &mut self,
        interp: &mut I,
        greens: &mut I::Greens,
        frame: &mut I::Frame<Plain>,
        entry: &LoopEntry,
        args: &[u64],
    ) -> Option<Step<I::Ret<Plain>>> {
        let id = entry.id;
        *self
            .verifier
            .as_mut()
            .expect("verify_sample said so")
            .tries
            .entry(id)
            .or_default() += 1;
        // Nothing the checks hold may move or be freed until they are done.
        let _nc = heap::gc::NoCollect::new();
        let collections = heap::stats().collections;
        let allocs = AllocLog::start();
        let mut overlay = Overlay::new(TRIPS, SHADOW_FUEL);
        // The shadow run may raise or force (helpers it may call, guards
        // it reads): keep the real flags out of its way and restore them.
        let exc = crate::exc::take();
        let forced = crate::exc::take_forced();
        let shadow = &self
            .verifier
            .as_ref()
            .expect("verify_sample said so")
            .shadow;
        let end = shadow.shadow_execute(id, args, &mut overlay);
        let _ = crate::exc::take();
        let _ = crate::exc::take_forced();
        if let Some(e) = exc {
            crate::exc::raise(e);
        }
        if forced {
            crate::exc::set_forced();
        }
        let loc = interp.printable_location(greens);
        // `exit`: the path left through a guard (without a bridge) at the
        // start of the instruction at these greens, the n-th time it got
        // there since the last header: the interpreter is compared there.
        let mut exit: Option<(I::Greens, usize)> = None;
        let dead = match end {
            RunEnd::Verify(d) => d,
            RunEnd::Dead(d) => {
                let fr = match self.guards.get(&d.guard) {
                    Some(g) if g.finish.is_none() => match &g.resume.frames[..] {
                        [fr] if fr.effects.iter().all(|e| matches!(e, EffectShape::Val(_))) => {
                            Some(fr)
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let Some(fr) = fr else {
                    let why = format!(
                        "the compiled path left through guard {} in the middle of an instruction that wrote or called",
                        d.guard.0
                    );
                    self.verify_skipped(id, &loc, &why);
                    return None;
                };
                let at = interp.printable_location(&fr.greens);
                let n = overlay.since_marker.iter().filter(|l| ***l == *at).count();
                if n == 0 {
                    self.verify_skipped(id, &loc, "a guard exit at a location not in the trace");
                    return None;
                }
                exit = Some((fr.greens.clone(), n));
                d
            }
            RunEnd::Unsupported(why) => {
                self.verify_skipped(id, &loc, &why);
                return None;
            }
        };
        // The headers the shadow run passed, in order, and its frame at
        // the last one.
        let mut stops = Vec::with_capacity(overlay.verified.len());
        for g in &overlay.verified {
            match self.guards.get(g).map(|e| &e.resume.frames[..]) {
                Some([fr]) => stops.push(fr.greens.clone()),
                _ => {
                    self.verify_skipped(id, &loc, "a marker without one-frame resume data");
                    return None;
                }
            }
        }
        let g = self.guards.get(&dead.guard).expect("checked above");
        let n_reds = g.resume.frames[0].n_reds;
        let kinds: Vec<Kind> = g.kinds[..n_reds.min(g.kinds.len())].to_vec();
        let (virtuals, pending) = (g.virtuals.clone(), g.pending.clone());
        let mut words = dead.values;
        let mut delayed = Vec::new();
        materialize_with(
            virtuals.as_deref().unwrap_or(&[]),
            pending.as_deref().unwrap_or(&[]),
            &mut words,
            |obj, d, i, w| delayed.push((obj, d, i, w)),
        );
        for (obj, d, i, w) in delayed {
            overlay.pending_store(obj, d, i, w);
        }

        // The same trips in the interpreter, for real.
        let mut log = WriteLog::default();
        self.verifier.as_mut().expect("on").active += 1;
        let mut next = 0;
        let mut steps = 0u64;
        let mut seen = 0;
        if let Some((eg, n)) = &exit {
            if stops.is_empty() && *greens == *eg {
                seen = 1;
                if *n == 1 {
                    // Left at the very first instruction: nothing to run.
                    next = usize::MAX;
                }
            }
        }
        let outcome = loop {
            if next == usize::MAX {
                break Ok(());
            }
            let step = interp.step(
                &mut Direct {
                    jit: self,
                    log: &mut log,
                },
                greens,
                frame,
            );
            match step {
                Step::Next => {}
                // A guard exit's instruction not found on the way: direct
                // mode may run several instructions per step (a VM's
                // superinstructions), so it is not a mismatch — the check
                // just cannot place it.
                Step::Return(r) if exit.is_some() && next == stops.len() => {
                    break Err(Err(Step::Return(r)))
                }
                Step::CanEnterJit if exit.is_some() && next == stops.len() => {
                    break Err(Err(Step::CanEnterJit))
                }
                Step::Return(r) => break Err(Ok(Some(r))),
                Step::CanEnterJit => {
                    if next < stops.len() && *greens == stops[next] {
                        next += 1;
                        if next == stops.len() && exit.is_none() {
                            break Ok(());
                        }
                    }
                }
            }
            if next == stops.len() {
                if let Some((eg, n)) = &exit {
                    if *greens == *eg {
                        seen += 1;
                        if seen == *n {
                            break Ok(());
                        }
                    }
                }
            }
            steps += 1;
            if steps > STEP_BUDGET {
                break Err(Ok(None));
            }
        };
        self.verifier.as_mut().expect("on").active -= 1;
        let returned = match outcome {
            Ok(()) => None,
            Err(Ok(None)) => {
                self.verify_skipped(id, &loc, "the interpreter took too long for the same trips");
                return Some(Step::Next);
            }
            Err(Err(step)) => {
                self.verify_skipped(
                    id,
                    &loc,
                    "the guard exit's instruction was not a step of the interpreter",
                );
                return Some(step);
            }
            Err(Ok(Some(r))) => Some(r),
        };
        if heap::stats().collections != collections {
            // A forced collection (the guest asked for one) may have freed
            // what the shadow run allocated.
            self.verify_skipped(id, &loc, "a collection ran during the check");
            return Some(match returned {
                Some(r) => Step::Return(r),
                None => Step::CanEnterJit,
            });
        }

        // Compare.
        let target = match (&exit, stops.last()) {
            (Some((eg, _)), _) | (None, Some(eg)) => interp.printable_location(eg),
            (None, None) => loc.clone(),
        };
        let diff: Option<(String, Option<std::rc::Rc<str>>)> = if returned.is_some() {
            Some((
                format!("compiled code reached {target}; the interpreter returned from the function first"),
                overlay.location.clone(),
            ))
        } else {
            let mut iwords = Vec::with_capacity(n_reds);
            let _ = I::map_frame(&*frame, &mut Flatten(&mut iwords));
            let allocs = allocs.take();
            let mut cmp = Compare::new(&overlay, &log.stores, &allocs);
            let mut d = None;
            if iwords.len() != n_reds || kinds.len() != n_reds {
                d = Some((
                    format!(
                        "at {target} compiled code has {n_reds} reds, the interpreter's frame {}",
                        iwords.len()
                    ),
                    overlay.location.clone(),
                ));
            } else {
                for (k, kind) in kinds.iter().enumerate() {
                    if !cmp.same_word(*kind, words[k], iwords[k]) {
                        d = Some((
                            format!(
                                "at {target}, red {k} ({}): compiled code has {}, the interpreter {}",
                                kind_name(*kind),
                                show(*kind, words[k]),
                                show(*kind, iwords[k])
                            ),
                            overlay.location.clone(),
                        ));
                        break;
                    }
                }
            }
            if d.is_none() {
                d = cmp.stores().map(|s| (s.what, s.at));
            }
            d
        };
        let step = match returned {
            Some(r) => Step::Return(r),
            // Stopped at a guard exit's instruction: go on interpreting.
            None if exit.is_some() => Step::Next,
            None => Step::CanEnterJit,
        };
        match diff {
            None => {
                self.stats.verified += 1;
                self.verifier.as_mut().expect("on").passed.insert(id);
                let bridges = bridge_list(&overlay.bridges);
                self.log.section(cat::VERIFY, || {
                    format!(
                        "loop {} at {loc}: verified ({} trips{bridges})",
                        id.0, overlay.trips
                    )
                });
            }
            Some((what, at)) => self.verify_mismatch(id, &loc, &overlay.bridges, &what, at),
        }
        Some(step)
    }

    fn verify_skipped(&mut self, id: LoopId, loc: &str, why: &str) {
        self.stats.verify_skipped += 1;
        self.log.section(cat::VERIFY, || {
            format!("loop {} at {loc}: skipped: {why}", id.0)
        });
    }

    /// Reports a mismatch and disables the loop: invalidated (its
    /// `guard_not_invalidated`s fail), forgotten by every cell (no entry
    /// from the interpreter or a `call_assembler` site finds it), and its
    /// header never traced again.
    fn verify_mismatch(
        &mut self,
        id: LoopId,
        loc: &str,
        bridges: &[GuardId],
        what: &str,
        at: Option<std::rc::Rc<str>>,
    ) {
        self.stats.mismatches += 1;
        let mut text = format!(
            "metatrace: --jit verify: mismatch in loop {}{} at {loc}\n  {what}\n",
            id.0,
            bridge_list(bridges)
        );
        if let Some(at) = at {
            text += &format!("  last guest location in compiled code: {at}\n");
        }
        text += "  the loop is disabled; the program goes on with the interpreter's result\n";
        if let Some(v) = &self.verifier {
            if let Some(t) = v.shadow.trace_text(id) {
                text += &format!("  loop {}:\n{}", id.0, indent(&t));
            }
            for g in bridges {
                if let Some(t) = v.shadow.bridge_text(*g) {
                    text += &format!("  bridge of guard {}:\n{}", g.0, indent(&t));
                }
            }
        }
        eprint!("{text}");
        self.log.section(cat::VERIFY, || text.clone());
        if self.lives.contains_key(&id) {
            self.backend.invalidate(id);
            if let Some(v) = &self.verifier {
                v.shadow.invalidate(id);
            }
            self.stats.invalidated_loops += 1;
        }
        let mut headers = Vec::new();
        for (g, cell) in self.cells.iter_mut() {
            let had = cell.entry.as_ref().is_some_and(|e| e.id == id)
                || cell.function.as_ref().is_some_and(|e| e.id == id);
            cell.forget(id);
            if had {
                headers.push(g.clone());
            }
        }
        for g in headers {
            self.cell_mut(&g).give_up();
        }
        self.bump_code_epoch();
    }
}

fn bridge_list(bridges: &[GuardId]) -> String {
    if bridges.is_empty() {
        return String::new();
    }
    let list: Vec<String> = bridges.iter().map(|g| g.0.to_string()).collect();
    format!(", through the bridges of guards {}", list.join(", "))
}

fn indent(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out += "    ";
        out += line;
        out += "\n";
    }
    out
}

/// The heap's allocation log for one check; stops logging when dropped
/// (every early return of a check included).
struct AllocLog(bool);

impl AllocLog {
    fn start() -> AllocLog {
        heap::gc::alloc_log_start();
        AllocLog(true)
    }
    fn take(mut self) -> Vec<(usize, usize)> {
        self.0 = false;
        heap::gc::alloc_log_take()
    }
}

impl Drop for AllocLog {
    fn drop(&mut self) {
        if self.0 {
            let _ = heap::gc::alloc_log_take();
        }
    }
}
