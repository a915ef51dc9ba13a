//! Statistics of one driver and the `jit-summary` log section (PyPy's
//! `jitprof.py` + `Counters`).
//!
//! Owns: [`Stats`] (counts and timings the driver and the compiler bump),
//! [`AbortReason`] (why a trace was given up) and the `jit-summary` text.
//! A leaf: it knows nothing of the driver, only what it is told.

use crate::heap;
use std::collections::BTreeMap;
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
    /// A guard's loop tree has `bridge_limit` bridges already: no more
    /// are traced for it (counted once per guard).
    BridgeLimit,
}

impl AbortReason {
    /// The reason's printed name (`trace too long`, ...): its key in
    /// [`Stats::aborts`], as `jit-summary` shows it.
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
            AbortReason::BridgeLimit => "bridge limit",
        }
    }
}

/// Counters and timings (`jit-summary`).
#[derive(Default, Debug, Clone)]
pub struct Stats {
    /// Loops compiled (entry bridges included).
    pub loops: u32,
    /// Bridges compiled.
    pub bridges: u32,
    /// Traces given up, by reason ([`AbortReason::name`]).
    pub aborts: BTreeMap<&'static str, u32>,
    /// Guard failures in compiled code (each one resumes the interpreter or enters a bridge).
    pub guard_failures: u64,
    /// `call_assembler` results that did not fit their trace
    /// (`guard_not_forced` exits).
    pub forced_exits: u64,
    /// Loops invalidated by writes to quasi-immutable fields they folded.
    pub invalidated_loops: u32,
    /// Loops (and their bridges) freed by `loop_longevity`.
    pub freed_loops: u32,
    /// Bridges freed with their loops.
    pub freed_bridges: u32,
    /// Ops recorded by the tracer, over all traces.
    pub recorded_ops: u64,
    /// Guards recorded by the tracer.
    pub recorded_guards: u64,
    /// Ops left after optimization, over all compiled traces.
    pub opt_ops: u64,
    /// Guards left after optimization.
    pub opt_guards: u64,
    /// Time spent recording traces.
    pub tracing: Duration,
    /// Time spent in the optimizer.
    pub optimizing: Duration,
    /// Time spent in the backend (code generation).
    pub backend: Duration,
    /// Time spent running compiled code.
    pub compiled: Duration,
    /// Traces started.
    pub tracings: u32,
    /// When the driver was made (the interpreter's time is the rest).
    pub start: Option<Instant>,
    /// `--jit verify=on`: the summary reports the verifier's counts.
    pub verify_on: bool,
    /// Trips of compiled code checked against the interpreter.
    pub verified: u64,
    /// Trips where they differed (each disables its loop).
    pub mismatches: u64,
    /// Sampled entries the verifier could not check (why: `jit-verify`).
    pub verify_skipped: u64,
}

impl Stats {
    /// The `jit-summary` text, in PyPy's line shapes.
    pub fn summary(&self, backend: &str) -> String {
        let s = self;
        let total = s.start.map(|t| t.elapsed()).unwrap_or_default();
        let mut out = String::new();
        let secs = |d: Duration| format!("{:.6}", d.as_secs_f64());
        out += &format!("backend:      \t{backend}\n");
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
        if s.verify_on {
            out += &format!("verified:        \t{}\n", s.verified);
            out += &format!("mismatches:      \t{}\n", s.mismatches);
            out += &format!("verify skipped:  \t{}\n", s.verify_skipped);
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
