//! `minirb`: a Ruby-subset VM on Metatrace, in the style of Topaz (the
//! RPython Ruby). Ruby source is parsed with `lib-ruby-parser`, compiled
//! to minirb's bytecode (`compiler`), and run by an interpreter
//! (`interpreter`) written once against the framework's context trait, so
//! the same code runs directly and is traced by the JIT.
//!
//! Owns: the pipeline (`run`): object-space setup, compiling the program,
//! running it through a `JitDriver`, and reporting uncaught exceptions and
//! syntax errors as CRuby does (stderr, exit status 1).
//!
//! Modules:
//! - `objects` — the heap layout of every Ruby value (`gc_struct!`s),
//!   symbols and singletons;
//! - `builtins` — core-class methods in Rust (residual calls) and CRuby's
//!   formatting of values;
//! - `bytecode`, `compiler` — the instruction set and the AST lowering;
//! - `interpreter` — `Interp` for the framework: the red frame, `step`,
//!   traced fast paths, method calls through `call_portal`.
//!
//! Design notes: every value is a heap object; Integer and Float boxes are
//! immutable, so allocation removal makes them virtual in loops. Integer
//! `+`/`-`/`*` use `int_add_ovf` & co. and overflow into big ints through a
//! residual call (one `Integer` class for both). Method lookup of `def`s is
//! read under a quasi-immutable version cell that `def` bumps.
#![forbid(unsafe_code)]

pub mod builtins;
pub mod bytecode;
pub mod compiler;
pub mod interpreter;
pub mod objects;

use interpreter::{Frame, Ret, Vm};
use metatrace::JitDriver;

/// The backends this VM links (`--jit backend=...` chooses among them).
pub static BACKENDS: &[&metatrace::backend::BackendInfo] = &[&metatrace_x86::BACKEND];

/// Compiles and runs `text`. Output goes to stdout, errors to stderr;
/// returns the process exit status.
pub fn run(params: metatrace::JitParams, filename: &str, text: &str) -> i32 {
    objects::init();
    let cid = match compiler::compile_program(filename, text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.0);
            return 1;
        }
    };
    let mut vm = Vm::new();
    let backend = metatrace::backend::select(&params.backend, BACKENDS)
        .unwrap_or_else(|_| (metatrace::backend::LLGRAPH.new)());
    let mut driver: JitDriver<Vm> = JitDriver::new(params, backend);
    let code = bytecode::code(cid);
    let frame = Frame {
        self_: objects::nil(),
        locals: vec![objects::nil(); code.nlocals],
        stack: Vec::new(),
    };
    let r = driver.run(&mut vm, (cid, 0), frame);
    builtins::flush_out();
    if std::env::var_os("MINIRB_JIT_SUMMARY").is_some() {
        eprintln!("{}", driver.summary());
    }
    match r {
        Ret::Value(_) => 0,
        Ret::Raise(e) => {
            eprint!("{}", interpreter::uncaught(e));
            1
        }
    }
}
