//! Printer for PyPy's jit-log-opt text form. (stub, being written)
use super::Trace;
pub fn print_trace(_t: &Trace) -> String { String::new() }
