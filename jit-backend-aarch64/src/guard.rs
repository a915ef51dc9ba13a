//! Guard exits: the out-of-line stubs and the per-guard jump slots.
//!
//! Owns: `Stub` (what a failing guard must save) and its code.
//!
//! A guard in the body is a single conditional branch (`b.cond`, `cbz`,
//! `cbnz`) to its stub, placed after the trace body so the hot path stays
//! straight. The stub writes the fail args, from wherever the allocator
//! had them at the guard, into the dead-frame buffer (`[x29 + BUF_PTR]`),
//! puts the guard id in w0 and branches *through the guard's slot*: an
//! 8-byte word in the trace's data area (ordinary read-write memory, never
//! executable). The slot first holds the address of the trace's exit
//! epilogue, so `execute` returns the guard id; `compile_bridge` stores the
//! bridge's entry address there — one aligned 8-byte store, no code is ever
//! rewritten. So attaching a bridge needs no instruction-cache maintenance
//! and the code pages stay read+execute forever: a running activation on
//! another frame of the stack reads either the old or the new slot value,
//! and both are valid targets.
//!
//! PyPy's AArch64 backend patches the guard's branch instead; the slot
//! costs a load and an indirect branch on a path that already left the
//! loop, and buys W^X code without `mprotect` and cache-flush dances.

use crate::emit::{self, Asm, Loc, Mem};
use crate::frame::{BUF_PTR, X16, X17};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use metatrace::ir::GuardId;

/// An exit stub to emit after the trace body.
pub struct Stub {
    /// Where the guard's failing branch jumps: the stub's first instruction.
    pub label: DynamicLabel,
    /// The guard the stub leaves through (its id goes into `w0`).
    pub guard: GuardId,
    /// Fail-arg locations at the guard, in dead-frame order.
    pub locs: Vec<Loc>,
    /// Index of the guard's slot in the trace's data area.
    pub slot: usize,
}

/// Emits the stub: save fail args, `w0 = guard id`, `br [slot]`.
pub fn emit_stub(a: &mut Asm, stub: &Stub, slot_addr: usize) {
    let label = stub.label;
    dynasm!(a ; .arch aarch64 ; =>label);
    emit::frame_ldst(a, Mem::LdX, X17, BUF_PTR);
    for (i, l) in stub.locs.iter().enumerate() {
        // store_to stages stack/constant values through x16, not x17.
        emit::store_to(a, X17, 8 * i as i32, *l);
    }
    // x0 may have held a fail arg: set it only after the stores.
    emit::mov_imm(a, 0, u64::from(stub.guard.0));
    emit::mov_imm(a, X16, slot_addr as u64);
    dynasm!(a
        ; .arch aarch64
        ; ldr X(X16), [X(X16)]
        ; br X(X16)
    );
}
