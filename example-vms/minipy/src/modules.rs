//! Builtin modules: `math`, `time`, `sys`.
//!
//! Owns: creating these module objects on first import.

use crate::builtins::id_of;
use crate::interp::{module_cell, Vm};
use crate::objects::*;
use metatrace::heap::GcRef;

fn set(m: GcRef, name: &str, v: GcRef) {
    let c = module_cell(m, name);
    setr(c, &cell_obj::value, v);
}

/// The builtin module `name`, created on first import.
pub fn builtin_module(vm: &mut Vm, name: &str) -> Option<GcRef> {
    let prefix = match name {
        "math" | "time" | "sys" => name,
        _ => return None,
    };
    let m = crate::new_module(vm, name);
    for (i, n) in crate::builtins::NAMES.iter().enumerate() {
        if let Some(rest) = n.strip_prefix(&format!("{prefix}.")) {
            set(m, rest, new_builtin(i as i64, GcRef::NULL));
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
            let argv: Vec<GcRef> =
                crate::ARGV.with(|a| a.borrow().iter().map(|s| new_str(s)).collect());
            set(m, "argv", new_list(&argv));
            set(m, "maxsize", new_int(i64::MAX));
            let _ = id_of("sys.exit");
        }
        _ => {}
    }
    Some(m)
}
