//! The metainterpreter: everything between the VM's annotated interpreter
//! and the optimizer/backends (PyPy's `rpython/jit/metainterp/`).
//!
//! Module map, leaves first; a module imports only modules above it in
//! this list (the `impl JitDriver` blocks of `tracer`, `compile`,
//! `quasiimmut`, `call_assembler` and `memmgr` import the driver's
//! *type*; the driver calls their methods and imports none of them but
//! the types it stores):
//!
//! | module | PyPy | owns |
//! |---|---|---|
//! | [`stats`] | `jitprof.py` | counters, timings, abort reasons, `jit-summary` |
//! | [`warmstate`] | `warmstate.py` | hot counters per green key, back-off, decay |
//! | [`resume`] | `resume.py` | resume data of guards, replay queues, materializing virtuals |
//! | [`activation`] | — | the thread's current (driver, interpreter), for re-entry |
//! | [`hooks`] | `MetaInterpStaticData` | the narrow interface the contexts use |
//! | [`direct`] | — | direct mode: the interpreter at full speed |
//! | [`record`] | `pyjitpl.py` (`MIFrame`) | recording mode: ops, guards, effect logs |
//! | [`blackhole`] | `blackhole.py` | deoptimization: finishing an instruction by replay |
//! | [`driver`] | `warmspot.py` | `JitDriver`, the portal loop, guard exits |
//! | [`tracer`] | `pyjitpl.py` (`MetaInterp`) | recording loops, entry traces, bridges; aborts |
//! | [`compile`] | `compile.py` | trace → optimizer → backend, guard descrs |
//! | [`quasiimmut`] | `quasiimmut.py` | invalidation on quasi-immutable writes |
//! | [`call_assembler`] | `call_assembler` / `assembler_helper` | compiled code calling a portal |
//! | [`memmgr`] | `memmgr.py` | freeing unused loops (`loop_longevity`) |
//! | [`verify`] | — | `--jit verify`: compiled loops checked against the interpreter |
//!
//! Direct mode and the recorder never name `JitDriver`: they hold a
//! `&mut dyn Hooks<I>`, so the contexts compile against an interface of
//! nine calls, and the driver can change without touching them.

pub mod activation;
pub mod blackhole;
pub mod call_assembler;
pub mod compile;
pub mod direct;
pub mod driver;
pub mod hooks;
pub mod memmgr;
pub mod quasiimmut;
pub mod record;
pub mod resume;
pub mod stats;
pub mod tracer;
pub mod verify;
pub mod warmstate;

pub use direct::Direct;
pub use driver::JitDriver;
pub use record::Recorder;
pub use stats::{AbortReason, Stats};
