//! The entry trampoline: the only way Rust calls compiled code.
//!
//! Owns: the entry ABI. A loop's code starts with an AAPCS64 prologue and is an
//! `extern "C" fn(buf: *mut u64) -> u32`: `buf` holds the inputargs on
//! entry and receives the dead frame (fail args or finish values) on exit;
//! the return value is the failing guard's (or finish's) id.

/// Signature of a compiled loop's entry point.
type EntryFn = unsafe extern "C" fn(buf: *mut u64) -> u32;

/// Runs the code at `entry` on `buf`, returning the exit's guard id.
///
/// # Safety
/// `entry` must be the entry address of a loop installed by this backend
/// (and not freed), and `buf` must be at least as long as the largest
/// number of words any trace reachable from it reads or writes
/// (`Aarch64Backend::max_words`).
pub unsafe fn call(entry: usize, buf: &mut [u64]) -> u32 {
    // SAFETY: per this function's contract `entry` points at code with the
    // `EntryFn` ABI (prologue emitted by `assemble::Gen::prologue`), which
    // lives as long as the backend keeps the loop.
    let f: EntryFn = unsafe { std::mem::transmute::<usize, EntryFn>(entry) };
    // SAFETY: the code only touches its own stack frame, `buf` (in bounds
    // by contract), the heap through descriptors of the verified trace and
    // the backend's data areas.
    unsafe { f(buf.as_mut_ptr()) }
}
