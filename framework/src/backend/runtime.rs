//! Runtime helpers the native backends call from compiled code, with the
//! host's C calling convention (`extern "C"`: SysV on x86-64, AAPCS64 on
//! AArch64).
//!
//! Owns: allocation entry points for `new`, `new_with_vtable`,
//! `new_array(_clear)`: the slow paths of the inline fast path in
//! each backend's `malloc` (or every allocation when it is off). They call the framework
//! heap, so allocation policy (and collection) stays in one place.

use crate::heap;
use crate::ir::{ArrayDescr, SizeDescr};

/// `new(descr=d)` / `new_with_vtable(descr=d)`: a zeroed object.
pub extern "C" fn new_struct(d: &'static SizeDescr) -> usize {
    heap::new_struct(d).addr()
}

/// `new_array(len, descr=d)`: a zeroed array, or null for a bad length
/// (as llgraph does).
pub extern "C" fn new_array(d: &'static ArrayDescr, len: i64) -> usize {
    heap::new_array(d, len).map_or(0, |r| r.addr())
}

/// The slow path of merged allocations (see `malloc`): `size` zeroed bytes
/// whose object headers the compiled code writes next.
pub extern "C" fn new_group(size: usize) -> usize {
    heap::gc::alloc_group(size)
}
