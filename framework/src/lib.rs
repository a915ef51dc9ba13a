//! # Metatrace
//!
//! A metatracing JIT framework: write a bytecode interpreter generic over a
//! context ([`Ctx`]), mark its loop with `jit_merge_point` /
//! `can_enter_jit`, and the framework traces *the interpreter*, optimizes
//! the traces and runs them on a backend. See `DESIGN.md` and README.md.
//!
//! A VM implements [`Interp`]: greens, a red frame generic over the value
//! representation, and `step`, one instruction after `jit_merge_point`,
//! returning [`Step::CanEnterJit`] on backward jumps. [`JitDriver::run`] is
//! the portal.
//!
//! Module map (each module's first lines say what it owns):
//! - [`ctx`] — the hint API — `Ctx`, `Jit`, `Interp`, value representations.
//! - [`metainterp`] — the metainterpreter, one concern per module as in
//!   PyPy's `metainterp/`: direct mode, the recorder, warm-up counters,
//!   the driver and its portal loop, tracing, compiling, resume data and
//!   deoptimization, quasi-immutable invalidation, `call_assembler`,
//!   freeing loops, statistics (its docs have the module map).
//! - [`ir`] — operations, traces, descriptors, text printer/parser, verifier.
//! - [`opt`] — the optimizer pipeline.
//! - [`heap`] — guest objects, `gc_struct!`, the root API.
//! - [`backend`] — the backend contract and the IR interpreter (`llgraph`).
//! - [`params`] — `--jit key=value,...` with PyPy's names and defaults.
//! - [`cli`] — the `--jit` flag every VM binary shares (clap).
//! - [`log`] — `METATRACE_LOG`.
//! - [`exc`] — the pending-exception slot for residual calls that raise.
//! - [`residual`] — the `residual!` macro declaring callable Rust functions.
//! - [`guest`] — guest calls from residual helpers (`call_may_force`).

pub mod backend;
pub mod cli;
pub mod ctx;
pub mod exc;
pub mod guest;
pub mod heap;
pub mod ir;
pub mod log;
pub mod metainterp;
pub mod opt;
pub mod params;
pub mod residual;

pub use backend::{llgraph::LlGraph, Backend};
pub use ctx::{Ctx, Interp, Jit, MapReds, Plain, Repr, Shape, Step, Traced, Val, T};
pub use heap::GcRef;
pub use metainterp::{AbortReason, Direct, JitDriver, Recorder, Stats};
pub use params::JitParams;
