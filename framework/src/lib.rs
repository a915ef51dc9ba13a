//! # Metatrace
//!
//! A metatracing JIT framework: write a bytecode interpreter generic over a
//! context ([`Ctx`]), mark its loop with `jit_merge_point` /
//! `can_enter_jit`, and the framework traces *the interpreter*, optimizes
//! the traces and runs them on a backend. See `DESIGN.md` and README.md.
//!
//! Module map (each module's first lines say what it owns):
//! - [`ir`]: operations, traces, descriptors, text printer/parser, verifier.
//! - [`heap`]: guest objects, `gc_struct!`, the root API.
//! - [`backend`]: the backend contract and the IR interpreter (`llgraph`).
//! - [`exc`]: the pending-exception slot for residual calls that raise.

pub mod backend;
pub mod exc;
pub mod heap;
pub mod ir;
