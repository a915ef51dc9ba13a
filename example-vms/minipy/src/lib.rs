//! `minipy`: a Python-subset VM on Metatrace, the framework's flagship
//! example. Python source is parsed with `rustpython-parser`, compiled to
//! minipy's bytecode (`compile`), and run by an interpreter (`interp`,
//! `calls`) written once against the framework's context trait, so the
//! same code runs directly and is traced by the JIT.
//!
//! Owns: the pipeline (`run`): runtime and builtins-module setup, the
//! Python prelude, running `__main__`, uncaught-exception tracebacks in
//! CPython's format, `SystemExit`, and syntax-error reports.
//!
//! Design notes (choices the DESIGN.md leaves open):
//! - Every guest value is a heap object; small ints and floats are boxes
//!   the optimizer can make virtual. Ints overflow into big ints through
//!   `int_add_ovf` & co. (the slow path is a residual call).
//! - Instances use maps (hidden classes); class attribute lookup is an
//!   elidable call keyed by the class's quasi-immutable version. Writing a
//!   class attribute bumps the versions of that class and its subclasses
//!   (a `call_may_force` helper, so compiled code can do it too); creating
//!   a class bumps nothing.
//! - Builtins that would need guest code (key functions, dunders of user
//!   objects inside containers) fall back to Python versions in the prelude.
//! - Generator expressions are lazy: compiled as generator functions.
//!
//! Layers (lowest first; a module uses only its own layer and the ones
//! below, which `tests/layers.rs` checks):
//! 1. Object model: `objects` (heap layouts, the runtime table,
//!    `ExcKind`), `strobj`, `bytecode`, `builtin_table` (the `Builtin`
//!    enum), `hashing`, `numbers`, `dict`, `sets`, `types` (classes, maps,
//!    exceptions). Where it needs a higher layer (guest `__hash__` /
//!    `__eq__` / `__repr__`, dict-view equality, generic iteration) it
//!    calls through `types::Upcalls`, which `run` installs
//!    (`guestcall::install_upcalls`).
//! 2. Operations on builtin values: `ops`, `strings`, `views`, `enums`,
//!    `excinfo`, `fast`, `numpy` (the array module).
//! 3. Builtins: `builtins` (builtin functions, dispatch on `Builtin`),
//!    `methods` (methods of builtin types, module functions), `modules`
//!    (the builtin modules' contents and state: `sys.argv`, the recursion
//!    limit, `abc`).
//! 4. Interpreter: `interp`, `calls`, `arith` (traced fast paths),
//!    `guestcall` (guest code run from helpers), `residuals`, `imports`,
//!    `compile` and `scope`, and this crate root.
#![forbid(unsafe_code)]

pub mod arith;
pub mod builtin_table;
pub mod builtins;
pub mod bytecode;
pub mod calls;
pub mod compile;
pub mod dict;
pub mod enums;
pub mod excinfo;
pub mod fast;
pub mod guestcall;
pub mod hashing;
pub mod imports;
pub mod interp;
pub mod methods;
pub mod modules;
pub mod numbers;
pub mod numpy;
pub mod objects;
pub mod ops;
pub mod residuals;
pub mod scope;
pub mod sets;
pub mod strings;
pub mod strobj;
pub mod types;
pub mod views;

use interp::{module_cell, Frame, Ret, Vm};
use metatrace::heap::GcRef;
use metatrace::JitDriver;
use objects::*;

pub use modules::ARGV;

const PRELUDE: &str = include_str!("prelude.py");

/// A new module registered in the VM (its id is its index).
pub fn new_module(vm: &mut Vm, name: &str) -> GcRef {
    let m = metatrace::heap::new_struct(&module_obj::SIZE);
    setr(m, &module_obj::dict, dict::new_dict());
    setr(m, &module_obj::name, intern(name));
    keep(m);
    vm.modules.push(m);
    let c = module_cell(m, "__name__");
    setr(c, &cell_obj::value, intern(name));
    m
}

/// A function object running a module body.
pub fn module_function(cid: usize, m: GcRef) -> GcRef {
    let f = metatrace::heap::new_struct(&func_obj::SIZE);
    seti(f, &func_obj::code, cid as i64);
    setr(f, &func_obj::name, intern("<module>"));
    setr(f, &func_obj::module, m);
    keep(f)
}

fn setup(vm: &mut Vm) {
    let b = new_module(vm, "builtins");
    vm.builtins = b;
    let set = |n: &str, v: GcRef| {
        let c = module_cell(b, n);
        setr(c, &cell_obj::value, v);
    };
    for &bi in builtins::Builtin::ALL {
        if !bi.name().contains('.') {
            set(bi.name(), bi.new_obj(GcRef::NULL));
        }
    }
    let r = rt();
    for (t, ty) in r.types.iter().enumerate() {
        if ty.is_null() {
            continue;
        }
        let name = types::type_name(*ty);
        if [
            "int",
            "float",
            "bool",
            "str",
            "list",
            "tuple",
            "dict",
            "set",
            "frozenset",
            "range",
            "type",
            "object",
            "slice",
        ]
        .contains(&name.as_str())
        {
            set(&name, *ty);
        }
        let _ = t;
    }
    for &k in ExcKind::ALL {
        set(k.name(), r.exc(k));
        // BaseException.__init__ sets args.
    }
    let be = r.exc(ExcKind::BaseException);
    dict::set_str(
        getr(be, &type_obj::dict),
        "__init__",
        builtins::Builtin::BaseExceptionInit.new_obj(GcRef::NULL),
    );
    // Chaining attributes read as None/False until a raise sets them.
    let bd = getr(be, &type_obj::dict);
    dict::set_str(bd, "__cause__", none());
    dict::set_str(bd, "__context__", none());
    dict::set_str(bd, "__suppress_context__", bool_obj(false));
    set("IOError", r.exc(ExcKind::RuntimeError));
    set("EnvironmentError", r.exc(ExcKind::RuntimeError));
}

/// What a run produced.
pub struct Outcome {
    pub exit_code: i32,
}

/// Renders a traceback (CPython format) for an uncaught exception,
/// preceded by the exceptions it chains to.
pub fn traceback(exc: GcRef) -> String {
    excinfo::chained_traceback(exc, &single_traceback)
}

/// One exception's traceback (the header only if it was raised).
fn single_traceback(exc: GcRef) -> String {
    let mut out = String::new();
    if let Some(tb) = types::inst_get(exc, "__tb__") {
        out += "Traceback (most recent call last):\n";
        let mut entries = list_items(tb);
        entries.reverse();
        let mut prev = -1i64;
        let mut repeat = 0;
        for e in entries {
            let v = geti(e, &int_obj::v);
            if v == prev {
                repeat += 1;
                if repeat >= 3 {
                    continue;
                }
            } else {
                if repeat >= 3 {
                    out += &format!("  [Previous line repeated {} more times]\n", repeat - 2);
                }
                repeat = 0;
            }
            prev = v;
            let (cid, line) = ((v >> 32) as usize, (v & 0xffff_ffff) as usize);
            let code = bytecode::code(cid);
            out += &format!(
                "  File \"{}\", line {}, in {}\n",
                code.filename, line, code.name
            );
            if let Some(l) = code.source.get(line.wrapping_sub(1)) {
                let t = l.trim();
                if !t.is_empty() {
                    out += &format!("    {t}\n");
                }
            }
        }
        if repeat >= 3 {
            out += &format!("  [Previous line repeated {} more times]\n", repeat - 2);
        }
    }
    out += &exc_line(exc);
    out
}

/// Removes CPython 3.11's caret lines (`~~^^~~`) from a traceback.
pub fn strip_carets(s: &str) -> String {
    s.lines()
        .filter(|l| {
            let t = l.trim();
            t.is_empty() || !t.chars().all(|c| c == '^' || c == '~')
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn exc_line(exc: GcRef) -> String {
    let cls = types::type_of(exc);
    let name = types::type_name(cls);
    let msg = strings::to_str(exc).unwrap_or_default();
    if msg.is_empty() {
        format!("{name}\n")
    } else {
        format!("{name}: {msg}\n")
    }
}

/// The backends this VM links (`--jit backend=...` chooses among them).
pub static BACKENDS: &[&metatrace::backend::BackendInfo] =
    &[&metatrace_x86::BACKEND, &metatrace_aarch64::BACKEND];

/// Compiles and runs `text` as `__main__`. Output goes to stdout, errors
/// to stderr; returns the process exit code.
pub fn run(params: metatrace::JitParams, filename: &str, text: &str, argv: Vec<String>) -> i32 {
    ARGV.with(|a| *a.borrow_mut() = argv);
    types::init_runtime();
    guestcall::install_upcalls();
    let mut vm = Vm {
        codes: Vec::new(),
        gcells: Vec::new(),
        modules: Vec::new(),
        failed_modules: Vec::new(),
        builtins: GcRef::NULL,
        depth: objects::keep(metatrace::heap::new_struct(&objects::depth_cell::SIZE)),
        current_code: None,
        main_dir: std::path::Path::new(filename)
            .parent()
            .map(|p| p.to_path_buf())
            .unwrap_or_default(),
    };
    setup(&mut vm);
    let backend = metatrace::backend::select(&params.backend, BACKENDS)
        .unwrap_or_else(|_| (metatrace::backend::LLGRAPH.new)());
    let mut driver: JitDriver<Vm> = JitDriver::new(params, backend);
    // The prelude runs in the builtins module.
    let psrc = compile::Source::new("<prelude>", PRELUDE);
    let pcid = compile::compile_module(&psrc, PRELUDE, 0).expect("prelude compiles");
    let pf = module_function(pcid, vm.builtins);
    if let Some(code) = run_code(&mut driver, &mut vm, pcid, pf) {
        builtins::flush_out();
        eprint!("{}", traceback(code));
        return 1;
    }
    builtins::set_not_implemented(vm.not_implemented());
    let main = new_module(&mut vm, "__main__");
    let src = compile::Source::new(filename, text);
    let cid = match compile::compile_module(&src, text, vm.modules.len() - 1) {
        Ok(c) => c,
        Err(e) => {
            eprint!("{}", syntax_error(&src, &e));
            return 1;
        }
    };
    let f = module_function(cid, main);
    let r = run_code(&mut driver, &mut vm, cid, f);
    builtins::flush_out();
    if std::env::var_os("MINIPY_JIT_SUMMARY").is_some() {
        eprintln!("{}", driver.summary());
    }
    match r {
        None => 0,
        Some(exc) => {
            if types::isinstance(exc, rt().exc(ExcKind::SystemExit)) {
                let args = types::inst_get(exc, "args")
                    .map(tuple_items)
                    .unwrap_or_default();
                return match args.first() {
                    None => 0,
                    Some(a) if a.tid() == tid::NONE => 0,
                    Some(a) if a.tid() == tid::INT => geti(*a, &int_obj::v) as i32,
                    Some(a) => {
                        eprintln!("{}", strings::to_str(*a).unwrap_or_default());
                        1
                    }
                };
            }
            eprint!("{}", traceback(exc));
            1
        }
    }
}

fn run_code(driver: &mut JitDriver<Vm>, vm: &mut Vm, cid: usize, f: GcRef) -> Option<GcRef> {
    let code = vm.code(cid);
    let locals = vec![GcRef::NULL; code.nlocals];
    let r = driver.run(
        vm,
        (cid, 0),
        Frame {
            func: f,
            locals,
            stack: Vec::new(),
        },
    );
    match r {
        Ret::Raise(e) => Some(e),
        _ => None,
    }
}

/// CPython-style SyntaxError report.
pub fn syntax_error(src: &compile::Source, e: &compile::SyntaxError) -> String {
    let mut out = format!("  File \"{}\", line {}\n", src.filename, e.line);
    if let Some(l) = src.lines.get(e.line.wrapping_sub(1)) {
        let trimmed = l.trim_start();
        let indent = l.len() - trimmed.len();
        out += &format!("    {}\n", trimmed.trim_end());
        let col = e.col.saturating_sub(indent);
        out += &format!("    {}^\n", " ".repeat(col));
    }
    let kind = if e.msg.contains("indent") {
        "IndentationError"
    } else {
        "SyntaxError"
    };
    out += &format!("{kind}: {}\n", e.msg);
    out
}
