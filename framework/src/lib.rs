//! # Metatrace
//!
//! A metatracing JIT framework: write a bytecode interpreter generic over a
//! context ([`Ctx`]), mark its loop with `jit_merge_point` /
//! `can_enter_jit`, and the framework traces *the interpreter*, optimizes
//! the traces and runs them on a backend. See `DESIGN.md`, README.md and
//! `docs/tutorial.md` (a VM from an empty crate, step by step).
//!
//! A VM implements [`Interp`]: greens (the constant part of the position —
//! pc, code object), a red frame generic over the value representation
//! ([`Repr`]), and [`Interp::step`], one instruction. The framework calls
//! `step` at RPython's **`jit_merge_point`**; `step` returns
//! [`Step::CanEnterJit`] on backward jumps — RPython's **`can_enter_jit`**,
//! where loops are counted, traced, closed and entered. [`JitDriver::run`]
//! is the portal.
//!
//! Here is a whole VM — one guest instruction that sums `n + (n-1) + ... +
//! 1` by jumping back to itself — and its loop compiled:
//!
//! ```
//! use metatrace::{Interp, Jit, JitDriver, JitParams, LlGraph, MapReds, Repr, Step};
//!
//! struct Sum;
//! /// The reds: plain `i64`s when interpreting, (value, IR operand) pairs
//! /// while tracing.
//! struct Frame<R: Repr> {
//!     n: R::Int,
//!     acc: R::Int,
//! }
//!
//! impl Interp for Sum {
//!     type Greens = (); // one instruction, so one position
//!     type Frame<R: Repr> = Frame<R>;
//!     type Ret<R: Repr> = R::Int;
//!     fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
//!         Frame { n: m.int(f.n), acc: m.int(f.acc) }
//!     }
//!     fn map_ret<A: Repr, B: Repr>(r: &A::Int, m: &mut impl MapReds<A, B>) -> B::Int {
//!         m.int(*r)
//!     }
//!     fn step<C: Jit<Self>>(
//!         &mut self,
//!         ctx: &mut C,
//!         _pc: &mut (),
//!         f: &mut Frame<C::R>,
//!     ) -> Step<<C::R as Repr>::Int> {
//!         let zero = ctx.const_int(0);
//!         let more = ctx.int_gt(f.n, zero);
//!         // A branch on a red value: a guard while tracing.
//!         if !ctx.is_true(more) {
//!             return Step::Return(f.acc);
//!         }
//!         f.acc = ctx.int_add(f.acc, f.n);
//!         let one = ctx.const_int(1);
//!         f.n = ctx.int_sub(f.n, one);
//!         Step::CanEnterJit // jumps back: can_enter_jit
//!     }
//! }
//!
//! let params = JitParams::parse("threshold=10").unwrap();
//! let mut driver = JitDriver::new(params, Box::new(LlGraph::new()));
//! driver.keep_traces = true;
//! let r = driver.run(&mut Sum, (), Frame { n: 1000, acc: 0 });
//! assert_eq!(r, 500500);
//! assert_eq!(driver.stats.loops, 1);
//! let loop_ = driver.traces[0].1.to_string();
//! assert!(loop_.contains("int_add("), "{loop_}");
//! assert!(loop_.contains("guard_true("), "{loop_}");
//! // The same VM with the JIT off: the same answer, nothing compiled.
//! let mut off = JitDriver::new(JitParams::parse("off").unwrap(), Box::new(LlGraph::new()));
//! assert_eq!(off.run(&mut Sum, (), Frame { n: 1000, acc: 0 }), 500500);
//! assert_eq!(off.stats.loops, 0);
//! ```
//!
//! The hints, each with a runnable example on its item:
//! - `promote` — [`Ctx::promote_int`] (and `_ref`, `_float`, [`Ctx::class_of`]);
//! - elidable calls — [`ir::EffectInfo::ELIDABLE`] with [`residual!`];
//! - residual calls — [`residual!`] with [`ir::EffectInfo::RESIDUAL`];
//! - quasi-immutable fields — `#[quasi_immutable]` in [`gc_struct!`];
//! - `we_are_jitted` — [`Ctx::we_are_jitted`].
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
//! - [`residual`](mod@residual) — the `residual!` macro declaring callable Rust functions.
//! - [`guest`] — guest calls from residual helpers (`call_may_force`).

#![warn(missing_docs)]

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
