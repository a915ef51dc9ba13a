//! Freeing compiled loops that are no longer used (PyPy's `memmgr.py`,
//! the `loop_longevity` parameter), and decaying hot counters (`decay`).
//!
//! Owns: `LoopLife` (per loop: when it was last entered, which loops its
//! traces jump into) and the driver's generation clock.
//!
//! The clock is PyPy's: one *generation* passes per loop or bridge
//! compiled, so a program that stops compiling keeps its code however
//! long it runs. A loop entered from the interpreter (or through
//! `call_assembler`) is stamped with the current generation. Every
//! `check_every` generations, loops not entered for `loop_longevity`
//! generations are freed together with their bridges — unless a loop that
//! stays jumps into them, and never while compiled code is running (the
//! check waits for the next compile at the outermost level, with no
//! trace being recorded). Freed code
//! is gone from the backend; its green keys count up again and may be
//! traced anew.

use super::driver::JitDriver;
use crate::backend::LoopId;
use crate::ctx::Interp;
use crate::ir::{Descr, OpNum, TargetToken, Trace};
use hashbrown::HashSet;

/// What the memory manager knows about one compiled loop.
#[derive(Default)]
pub(crate) struct LoopLife {
    /// Generation of the last entry from outside compiled code.
    pub last_used: u64,
    /// Loops the loop or its bridges jump into (they must stay while it does).
    pub jumps_to: HashSet<LoopId>,
    /// Labels of the loop (its own and the peeled body's).
    pub tokens: Vec<TargetToken>,
    pub bridges: u32,
}

/// Labels defined by `trace`.
pub(crate) fn labels(trace: &Trace) -> Vec<TargetToken> {
    trace
        .ops
        .iter()
        .filter(|o| o.opnum == OpNum::Label)
        .filter_map(|o| o.descr.and_then(|d| d.as_target()))
        .collect()
}

/// Targets `trace` jumps to.
fn jump_targets(trace: &Trace) -> impl Iterator<Item = TargetToken> + '_ {
    trace.ops.iter().filter_map(|o| match (o.opnum, o.descr) {
        (OpNum::Jump, Some(Descr::Target(t))) => Some(t),
        _ => None,
    })
}

impl<I: Interp> JitDriver<I> {
    /// A loop was just compiled: it starts its life now.
    pub(crate) fn memmgr_new_loop(&mut self, id: LoopId, trace: &Trace) {
        self.generation += 1;
        let tokens = labels(trace);
        for t in &tokens {
            self.token_owner.insert(*t, id);
        }
        let jumps_to = jump_targets(trace)
            .filter_map(|t| self.token_owner.get(&t).copied())
            .filter(|o| *o != id)
            .collect();
        self.lives.insert(
            id,
            LoopLife {
                last_used: self.generation,
                jumps_to,
                tokens,
                bridges: 0,
            },
        );
        self.after_compile();
    }

    /// A bridge of loop `owner` was just compiled.
    pub(crate) fn memmgr_new_bridge(&mut self, owner: LoopId, trace: &Trace) {
        self.generation += 1;
        let targets: Vec<LoopId> = jump_targets(trace)
            .filter_map(|t| self.token_owner.get(&t).copied())
            .filter(|o| *o != owner)
            .collect();
        let generation = self.generation;
        if let Some(life) = self.lives.get_mut(&owner) {
            life.jumps_to.extend(targets);
            life.bridges += 1;
            life.last_used = generation;
        }
        self.after_compile();
    }

    /// Loop `id` is entered from outside compiled code.
    #[inline]
    pub(crate) fn memmgr_used(&mut self, id: LoopId) {
        if let Some(life) = self.lives.get_mut(&id) {
            life.last_used = self.generation;
        }
    }

    /// Decay (`decay`) and, every few generations, free old loops.
    fn after_compile(&mut self) {
        self.decay_counters();
        let max_age = self.params.loop_longevity as u64;
        if max_age == 0 {
            return;
        }
        // PyPy checks every sqrt(max_age) generations.
        let every = ((max_age as f64).sqrt() as u64).max(1);
        if self.generation.is_multiple_of(every) {
            self.free_pending = true;
        }
    }

    /// Frees old loops if a check is due and nothing stands in the way:
    /// no compiled code running, no trace being recorded (called when a
    /// tracing-and-compiling round ends).
    pub(crate) fn maybe_free_loops(&mut self) {
        if self.free_pending && self.running == 0 && self.recording == 0 {
            self.free_pending = false;
            self.free_old_loops(self.params.loop_longevity as u64);
        }
    }

    /// PyPy's `decay`: every compile shrinks the hot counters of all other
    /// places by `decay`/1000, so a place that was warm long ago does not
    /// get compiled on the strength of old counts.
    fn decay_counters(&mut self) {
        let decay = self.params.decay.min(1000) as i64;
        if decay == 0 {
            return;
        }
        for cell in self.cells.values_mut() {
            cell.decay(decay);
        }
    }

    fn free_old_loops(&mut self, max_age: u64) {
        let now = self.generation;
        let mut keep: Vec<LoopId> = self
            .lives
            .iter()
            .filter(|(_, l)| now - l.last_used <= max_age)
            .map(|(id, _)| *id)
            .collect();
        let mut alive: HashSet<LoopId> = keep.iter().copied().collect();
        while let Some(id) = keep.pop() {
            if let Some(l) = self.lives.get(&id) {
                for t in &l.jumps_to {
                    if alive.insert(*t) {
                        keep.push(*t);
                    }
                }
            }
        }
        let dead: Vec<LoopId> = self
            .lives
            .keys()
            .filter(|id| !alive.contains(*id))
            .copied()
            .collect();
        for id in dead {
            self.free_loop(id);
        }
    }

    /// Frees loop `id`, its bridges and everything that refers to them.
    fn free_loop(&mut self, id: LoopId) {
        let Some(life) = self.lives.remove(&id) else {
            return;
        };
        if self.profiling {
            crate::backend::profile::freed(id);
        }
        self.backend.free(id);
        if let Some(v) = &self.verifier {
            crate::backend::Backend::free(&v.shadow, id);
        }
        self.stats.freed_loops += 1;
        self.stats.freed_bridges += life.bridges;
        for t in &life.tokens {
            self.token_owner.remove(t);
            self.bodies.remove(t);
        }
        for cell in self.cells.values_mut() {
            cell.forget(id);
        }
        self.bump_code_epoch();
        self.guards.retain(|_, g| g.owner != id);
        for loops in self.qi_deps.values_mut() {
            loops.retain(|l| *l != id);
        }
        self.entered.remove(&id);
        self.log.section(crate::log::cat::BACKEND, || {
            crate::log::BackendHeader::Freed {
                id: id.0 as u64,
                bridges: life.bridges as usize,
            }
            .to_string()
        });
    }

    /// Loops currently compiled (and not freed).
    pub fn live_loops(&self) -> usize {
        self.lives.len()
    }
}
