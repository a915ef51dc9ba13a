//! `minirb`: a Ruby-subset VM on Metatrace, in the style of Topaz (the
//! RPython Ruby). Ruby source is parsed with `lib-ruby-parser`, compiled
//! to minirb's bytecode (`compiler`), and run by an interpreter
//! (`interp`) written once against the framework's context trait, so the
//! same code runs directly and is traced by the JIT.
//!
//! Owns: the pipeline (`run`): object-space setup, the Ruby prelude
//! (`prelude.rb`: iterators, Enumerable, Comparable), compiling and
//! running the program through a `JitDriver`, and reporting uncaught
//! exceptions and syntax errors as CRuby does (stderr, exit status 1).
//!
//! Modules:
//! - `objects` — the heap layout of every Ruby value (`gc_struct!`s),
//!   symbols, singletons, the class table and ivar maps;
//! - `bytecode`, `compiler` — the instruction set and the AST lowering
//!   (`compiler/`: `scope`, `expr`, `call`, `stmt`);
//! - `interp` — `Interp` for the framework: the red frame, `step`, method
//!   dispatch, blocks, non-local exits, traced fast paths (`interp/`:
//!   `exec`, `call`, `fastpath`, `unwind`);
//! - `residuals` — residual helpers of the interpreter;
//! - `builtins`, `prim`, `hash` — the core classes in Rust: `builtins/`
//!   has one module per core class, like Topaz's `objects/`
//!   (`numericobject`, `stringobject`, `arrayobject`, ..., `kernel`),
//!   `prim/` their guest-free halves (`numeric`, `string`, `array`,
//!   `range`), `hash` the Hash table.
//!
//! Design notes: every value is a heap object; Integer and Float boxes are
//! immutable, so allocation removal makes them virtual in loops. Integer
//! `+`/`-`/`*` use `int_add_ovf` & co. and overflow into big ints through a
//! residual call (one `Integer` class for both). Method and constant
//! lookups are plain Rust on promoted class ids, valid under the
//! quasi-immutable version cell every class change writes. Iterators are
//! Ruby `while` loops in the prelude (as in Topaz), so `times`/`each` loops
//! trace with the block inlined.
#![forbid(unsafe_code)]

pub mod builtins;
pub mod bytecode;
pub mod compiler;
pub mod hash;
pub mod interp;
pub mod objects;
pub mod prim;
pub mod residuals;

use interp::{Frame, Ret, Vm};
use metatrace::heap::GcRef;
use metatrace::JitDriver;
use objects::*;
use std::cell::RefCell;

thread_local! {
    /// The file being run (for `require_relative`).
    pub static CURRENT_FILE: RefCell<String> = const { RefCell::new(String::new()) };
}

const PRELUDE: &str = include_str!("prelude.rb");

/// The backends this VM links (`--jit backend=...` chooses among them).
pub static BACKENDS: &[&metatrace::backend::BackendInfo] =
    &[&metatrace_x86::BACKEND, &metatrace_aarch64::BACKEND];

fn setup_constants(argv: &[String]) {
    let o = cls::OBJECT;
    let set = |c: usize, n: &str, v: GcRef| set_const(c, sym_id(n), v);
    let av: Vec<GcRef> = argv.iter().map(|a| new_str(a)).collect();
    set(o, "ARGV", new_array(&av));
    set(o, "RUBY_ENGINE", new_str("ruby"));
    set(o, "RUBY_VERSION", new_str("3.1.2"));
    set(
        o,
        "RUBY_PLATFORM",
        new_str(&format!("{}-linux", std::env::consts::ARCH)),
    );
    set(o, "RUBY_PATCHLEVEL", new_int(20));
    set(o, "ENV", hash::new_hash());
    let f = cls::FLOAT;
    set(f, "INFINITY", new_float(f64::INFINITY));
    set(f, "NAN", new_float(f64::NAN));
    set(f, "EPSILON", new_float(f64::EPSILON));
    set(f, "MAX", new_float(f64::MAX));
    set(f, "MIN", new_float(f64::MIN_POSITIVE));
    set(f, "DIG", new_int(15));
    if let Some(m) = find_class("Math") {
        set(m, "PI", new_float(std::f64::consts::PI));
        set(m, "E", new_float(std::f64::consts::E));
    }
    if let Some(p) = find_class("Process") {
        set(p, "CLOCK_MONOTONIC", new_int(1));
        set(p, "CLOCK_REALTIME", new_int(0));
        set(p, "CLOCK_PROCESS_CPUTIME_ID", new_int(2));
    }
    global_set("$stdout", nil());
    global_set("$PROGRAM_NAME", new_str(""));
}

/// Runs main code `cid`; `Err` is the uncaught exception.
fn run_main(driver: &mut JitDriver<Vm>, vm: &mut Vm, cid: usize) -> Result<(), GcRef> {
    let code = bytecode::code(cid);
    let env = if code.nenv > 0 {
        let e =
            metatrace::heap::new_array(&metatrace::heap::REF_ARRAY, code.nenv as i64).expect("env");
        for i in 0..code.nenv {
            metatrace::heap::setarrayitem_ref(e, &metatrace::heap::REF_ARRAY, i as i64, nil());
        }
        e
    } else {
        nil()
    };
    let home = if code.needs_home {
        metatrace::heap::new_struct(&home_obj::SIZE)
    } else {
        nil()
    };
    let frame = Frame {
        self_: vm.main_obj,
        locals: vec![nil(); code.nlocals],
        stack: Vec::new(),
        env,
        blk: nil(),
        cur: nil(),
        home,
    };
    match driver.run(vm, (cid, 0), frame) {
        Ret::Value(_) => Ok(()),
        Ret::Raise(e) => Err(e),
    }
}

/// Compiles and runs `text`. Output goes to stdout, errors to stderr;
/// returns the process exit status.
pub fn run(params: metatrace::JitParams, filename: &str, text: &str, argv: Vec<String>) -> i32 {
    run_with_stats(params, filename, text, argv).0
}

/// `run`, also returning the JIT's counters (loops, bridges, ...).
pub fn run_with_stats(
    params: metatrace::JitParams,
    filename: &str,
    text: &str,
    argv: Vec<String>,
) -> (i32, metatrace::Stats) {
    objects::init();
    let mut vm = Vm::new();
    builtins::set_main(vm.main_obj);
    setup_constants(&argv);
    let backend = metatrace::backend::select(&params.backend, BACKENDS)
        .unwrap_or_else(|_| (metatrace::backend::LLGRAPH.new)());
    let mut driver: JitDriver<Vm> = JitDriver::new(params, backend);
    let pcid = match compiler::compile_program("<internal:prelude>", PRELUDE) {
        Ok(c) => c,
        Err(e) => {
            builtins::write_err(&format!("minirb: prelude: {}\n", e.0));
            return (3, driver.stats.clone());
        }
    };
    if let Err(e) = run_main(&mut driver, &mut vm, pcid) {
        builtins::flush_out();
        builtins::write_err(&format!("minirb: prelude failed: {}", uncaught(e)));
        return (3, driver.stats.clone());
    }
    let canon = std::fs::canonicalize(filename)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| filename.to_string());
    builtins::LOADED.with(|l| l.borrow_mut().push(canon));
    CURRENT_FILE.with(|f| *f.borrow_mut() = filename.to_string());
    global_set("$0", new_str(filename));
    let cid = match compiler::compile_program(filename, text) {
        Ok(c) => c,
        Err(e) => {
            builtins::write_err(&format!("{}\n", e.0));
            return (1, driver.stats.clone());
        }
    };
    let r = run_main(&mut driver, &mut vm, cid);
    builtins::flush_out();
    let status = match r {
        Ok(()) => 0,
        Err(e) => {
            if e.tid() == tid::OBJ && find_class("SystemExit").is_some_and(|c| is_a(e, c)) {
                let s = ivar_get(e, sym_id("@status"));
                if s.tid() == tid::INT {
                    int_of(s) as i32
                } else {
                    0
                }
            } else {
                builtins::flush_out();
                builtins::write_err(&uncaught(e));
                1
            }
        }
    };
    let stats = driver.stats.clone();
    drop(driver);
    (status, stats)
}

/// What an in-process run printed, and its exit status.
pub struct Outcome {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
    pub stats: metatrace::Stats,
}

/// `run` with the program's output and error messages collected instead
/// of printed, then the thread's tables released (`shutdown`): for test
/// harnesses that run many programs in one process, each on a fresh
/// thread (the VM's and the heap's state is per thread).
pub fn run_captured(params: metatrace::JitParams, filename: &str, text: &str) -> Outcome {
    builtins::capture_output();
    let (code, stats) = run_with_stats(params, filename, text, Vec::new());
    let (stdout, stderr) = builtins::take_captured();
    shutdown();
    Outcome {
        code,
        stdout,
        stderr,
        stats,
    }
}

/// Releases the thread-local tables without running their destructors.
pub fn shutdown() {
    builtins::flush_out();
    builtins::shutdown();
    bytecode::shutdown();
    objects::shutdown();
}

/// The message of an uncaught exception as CRuby prints it on stderr.
pub fn uncaught(e: GcRef) -> String {
    let e = if e.tid() == tid::CTL {
        match geti(e, &ctl_obj::kind) {
            0 => new_exc_named("LocalJumpError", "break from proc-closure"),
            1 => new_exc_named("LocalJumpError", "unexpected return"),
            _ => new_exc_named(
                "UncaughtThrowError",
                &format!(
                    "uncaught throw {}",
                    builtins::inspect(getr(e, &ctl_obj::tag))
                ),
            ),
        }
    } else {
        e
    };
    let cls_name = builtins::class_name(e);
    let msg = if e.tid() == tid::OBJ {
        match builtins::gcall(e, "message", vec![]) {
            Ok(m) => builtins::to_s(m),
            Err(_) => builtins::to_s(e),
        }
    } else {
        builtins::to_s(e)
    };
    let bt_v = ivar_get(e, sym_id("@__bt"));
    let bt: Vec<String> = if bt_v.tid() == tid::ARR {
        array_items(bt_v).into_iter().map(str_of).collect()
    } else {
        Vec::new()
    };
    let mut out = String::new();
    let first = bt
        .first()
        .cloned()
        .unwrap_or_else(|| "-e:1:in `<main>'".into());
    if msg.is_empty() || (cls_name == "RuntimeError" && msg == "unhandled exception") {
        out += &format!("{first}: unhandled exception\n");
    } else {
        let mut lines = msg.lines();
        let l1 = lines.next().unwrap_or("");
        out += &format!("{first}: {l1} ({cls_name})\n");
        for l in lines {
            out += l;
            out.push('\n');
        }
    }
    let rest: Vec<&String> = bt.iter().skip(1).collect();
    if rest.len() > 24 {
        // CRuby elides the middle of very deep backtraces.
        for b in &rest[..8] {
            out += &format!("\tfrom {b}\n");
        }
        out += &format!("\t ... {} levels...\n", rest.len() - 12);
        for b in &rest[rest.len() - 4..] {
            out += &format!("\tfrom {b}\n");
        }
    } else {
        for b in rest {
            out += &format!("\tfrom {b}\n");
        }
    }
    out
}
