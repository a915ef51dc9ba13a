//! Warm-up state: the hot counters per green key (PyPy's `warmstate.py`
//! and its `JitCell`s).
//!
//! Owns: `Cell` (what the JIT knows about one green key: back-edge and
//! call counters, the compiled loop or entry trace there), `LoopEntry`
//! (how to enter a compiled loop) and the counting policy — when a place
//! is hot, how it backs off after aborts, how counters decay. A leaf: the
//! driver decides what to do when a counter says "hot".
//!
//! Counting: `can_enter_jit` ticks a cell's `counter`, a portal entry its
//! `calls`; reaching `threshold` / `function_threshold` starts a trace,
//! and the counter is parked far below zero while the trace runs (nested
//! portals may reach the same place). An abort backs off exponentially
//! (`-(threshold << aborts)`); after six aborts the place is never traced
//! again. PyPy's `decay` shrinks every positive counter a little per
//! compile so places that were warm long ago do not get compiled on the
//! strength of old counts.

use crate::backend::LoopId;
use crate::ir::{Kind, TargetToken};

/// Counter value of a place that is being traced or given up on.
const PARKED: i64 = i64::MIN / 2;
/// Aborts after which a place is never traced again.
const MAX_ABORTS: u32 = 6;

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

/// A compiled loop (or entry trace) as its green key's cell knows it.
#[derive(Clone)]
pub(crate) struct LoopEntry {
    pub(crate) id: LoopId,
    /// The label a trace closing here jumps to.
    pub(crate) token: TargetToken,
    /// Kinds of the loop's input args (the reds, flattened).
    pub(crate) kinds: Vec<Kind>,
}

impl Cell {
    /// A back-edge at this loop header: true when it just got hot (the
    /// counter is parked until the trace is done).
    #[inline]
    pub(crate) fn tick_loop(&mut self, threshold: i64) -> bool {
        self.counter += 1;
        if self.counter < threshold {
            return false;
        }
        self.counter = PARKED;
        true
    }

    /// A portal entry here: true when it just got hot.
    #[inline]
    pub(crate) fn tick_call(&mut self, threshold: i64) -> bool {
        self.calls += 1;
        if self.calls < threshold {
            return false;
        }
        self.calls = PARKED;
        true
    }

    fn back_off(aborts: u32, threshold: i64) -> i64 {
        if aborts >= MAX_ABORTS {
            PARKED
        } else {
            -(threshold << aborts)
        }
    }

    /// A loop trace starting here was aborted: count again from further
    /// down, or never again after a few aborts.
    pub(crate) fn loop_aborted(&mut self, threshold: i64) {
        self.aborts += 1;
        self.counter = Self::back_off(self.aborts, threshold);
    }

    /// An entry trace starting here was aborted.
    pub(crate) fn function_aborted(&mut self, threshold: i64) {
        self.aborts += 1;
        self.calls = Self::back_off(self.aborts, threshold);
    }

    /// The loop or entry trace `id` is gone (invalidated or freed): count
    /// from zero again.
    /// Never trace here again (`verify` found the loop's code wrong).
    pub(crate) fn give_up(&mut self) {
        self.aborts = MAX_ABORTS;
        self.counter = PARKED;
    }

    pub(crate) fn forget(&mut self, id: LoopId) -> bool {
        let mut function = false;
        if self.entry.as_ref().is_some_and(|e| e.id == id) {
            self.entry = None;
            self.counter = 0;
        }
        if self.function.as_ref().is_some_and(|e| e.id == id) {
            self.function = None;
            self.calls = 0;
            function = true;
        }
        function
    }

    /// PyPy's `decay`: takes `decay`/1000 off the positive counters.
    pub(crate) fn decay(&mut self, decay: i64) {
        if self.counter > 0 {
            self.counter -= self.counter * decay / 1000;
        }
        if self.calls > 0 {
            self.calls -= self.calls * decay / 1000;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_gets_hot_at_the_threshold_and_parks() {
        let mut c = Cell::default();
        assert!(!c.tick_loop(3) && !c.tick_loop(3));
        assert!(c.tick_loop(3));
        assert!(!c.tick_loop(3), "parked while the trace runs");
    }

    #[test]
    fn aborts_back_off_exponentially_then_give_up() {
        let mut c = Cell::default();
        c.loop_aborted(10);
        assert_eq!(c.counter, -20);
        for _ in 0..5 {
            c.loop_aborted(10);
        }
        assert_eq!(c.counter, PARKED);
        c.function_aborted(7);
        assert_eq!(c.calls, PARKED);
    }

    #[test]
    fn decay_shrinks_positive_counters_only() {
        let mut c = Cell {
            counter: 1000,
            calls: -5,
            ..Cell::default()
        };
        c.decay(40);
        assert_eq!((c.counter, c.calls), (960, -5));
    }
}
