//! Builtin modules: `math`, `time`, `sys`, `abc` (made in Rust) and
//! `enum` (Python source shipped in the binary).
//!
//! Owns: creating these module objects on first import, and `abc`'s
//! abstract-method registry and instantiation check.

use crate::dict::module_cell;
use crate::objects::*;
use metatrace::heap::GcRef;

fn set(m: GcRef, name: &str, v: GcRef) {
    let c = module_cell(m, name);
    setr(c, &cell_obj::value, v);
}

/// Whether `name` is one of the builtin modules made in Rust.
pub fn is_builtin_module(name: &str) -> bool {
    matches!(name, "math" | "time" | "sys" | "abc" | "_numpy")
}

/// Fills the new module `m` (registered by the importer) as builtin
/// module `name` (`is_builtin_module`).
pub fn fill_builtin_module(m: GcRef, name: &str) -> Option<GcRef> {
    let prefix = name;
    for &b in crate::builtins::Builtin::ALL {
        if let Some(rest) = b.name().strip_prefix(&format!("{prefix}.")) {
            set(m, rest, b.new_obj(GcRef::NULL));
        }
    }
    match name {
        "math" => {
            set(m, "pi", new_float(std::f64::consts::PI));
            set(m, "e", new_float(std::f64::consts::E));
            set(m, "tau", new_float(std::f64::consts::TAU));
            set(m, "inf", new_float(f64::INFINITY));
            set(m, "nan", new_float(f64::NAN));
        }
        "sys" => {
            let argv: Vec<GcRef> = ARGV.with(|a| a.borrow().iter().map(|s| new_str(s)).collect());
            set(m, "argv", new_list(&argv));
            set(m, "maxsize", new_int(i64::MAX));
        }
        "abc" => {
            // Every class below ABC inherits the `__abc__` marker.
            let ns = crate::dict::new_dict();
            crate::dict::set_str(ns, "__abc__", bool_obj(true));
            crate::dict::set_str(ns, "__module__", intern("abc"));
            let object = rt().ty(tag::OBJECT);
            let abc = crate::types::new_class(intern("ABC"), &[object], ns).ok()?;
            set(m, "ABC", abc);
            let ns = crate::dict::new_dict();
            crate::dict::set_str(ns, "__module__", intern("abc"));
            let ty = rt().ty(tag::TYPE);
            let meta = crate::types::new_class(intern("ABCMeta"), &[ty], ns).ok()?;
            crate::types::set_abc_meta(keep(meta));
            set(m, "ABCMeta", meta);
        }
        _ => {}
    }
    Some(m)
}

/// Modules written in Python that ship inside the binary.
pub fn frozen_source(name: &str) -> Option<&'static str> {
    match name {
        "enum" => Some(include_str!("lib/enum.py")),
        "__future__" => Some(include_str!("lib/__future__.py")),
        "bisect" => Some(include_str!("lib/bisect.py")),
        "heapq" => Some(include_str!("lib/heapq.py")),
        "operator" => Some(include_str!("lib/operator.py")),
        "copy" => Some(include_str!("lib/copy.py")),
        "string" => Some(include_str!("lib/string.py")),
        "functools" => Some(include_str!("lib/functools.py")),
        "itertools" => Some(include_str!("lib/itertools.py")),
        "random" => Some(include_str!("lib/random.py")),
        "collections" => Some(include_str!("lib/collections.py")),
        "numpy" => Some(include_str!("numpy/numpy.py")),
        _ => None,
    }
}

pub use crate::types::{abc_meta, metaclass_of};

/// A class namespace whose class says `metaclass=ABCMeta`: it gets the
/// marker every class below `abc.ABC` inherits.
pub fn mark_abc(ns: GcRef) {
    crate::dict::set_str(ns, "__abc__", bool_obj(true));
}

thread_local! {
    /// Functions marked by `abc.abstractmethod` (kept alive: `keep`).
    static ABSTRACT: std::cell::RefCell<std::collections::HashSet<usize>> =
        std::cell::RefCell::new(Default::default());
}

/// `abc.abstractmethod(f)`: marks and returns `f`.
pub fn abstractmethod(f: GcRef) -> GcRef {
    keep(f);
    ABSTRACT.with(|a| a.borrow_mut().insert(f.addr()));
    f
}

fn is_abstract(v: GcRef) -> bool {
    let f = if v.tid() == tid::WRAP {
        getr(v, &wrap_obj::a)
    } else {
        v
    };
    !f.is_null() && ABSTRACT.with(|a| a.borrow().contains(&f.addr()))
}

/// For a new class below `abc.ABC`: records its still-abstract method
/// names (sorted, as CPython reports them) in `__abstractmethods__`.
pub fn record_abstract(cls: GcRef) {
    if crate::types::class_lookup(cls, "__abc__").is_null() {
        return;
    }
    let mut names: Vec<String> = Vec::new();
    for t in crate::types::mro_of(cls) {
        for k in crate::dict::keys(getr(t, &type_obj::dict)) {
            let n = str_of(k);
            if !names.contains(&n) && is_abstract(crate::types::class_lookup(cls, &n)) {
                names.push(n);
            }
        }
    }
    names.sort();
    let v: Vec<GcRef> = names.iter().map(|n| new_str(n)).collect();
    crate::dict::set_str(
        getr(cls, &type_obj::dict),
        "__abstractmethods__",
        new_tuple(&v),
    );
}

/// CPython's refusal to instantiate a class with abstract methods.
pub fn abstract_error(cls: GcRef) -> Option<String> {
    let a = crate::types::class_lookup(cls, "__abstractmethods__");
    if a.is_null() || a.tid() != tid::TUPLE {
        return None;
    }
    let names: Vec<String> = tuple_items(a).into_iter().map(str_of).collect();
    if names.is_empty() {
        return None;
    }
    let s = if names.len() == 1 { "" } else { "s" };
    Some(format!(
        "Can't instantiate abstract class {} with abstract method{s} {}",
        crate::types::type_name(cls),
        names.join(", ")
    ))
}

thread_local! {
    /// `sys.getrecursionlimit()`.
    static LIMIT: std::cell::Cell<usize> = const { std::cell::Cell::new(1000) };
}
/// `sys.setrecursionlimit(n)` (capped at 200000).
pub fn set_recursion_limit(n: usize) {
    LIMIT.with(|l| l.set(n.min(200_000)));
}
/// `sys.getrecursionlimit()`.
pub fn recursion_limit() -> usize {
    LIMIT.with(|l| l.get())
}

thread_local! {
    /// `sys.argv` of this run.
    pub static ARGV: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}
