//! Guard exits: the out-of-line stubs and the per-guard jump slots.
//!
//! Owns: `Stub` (what a failing guard must save) and its code.
//!
//! A guard in the body is a single `jcc` to its stub, placed after the
//! trace body so the hot path stays straight. The stub writes the fail
//! args, from wherever the allocator had them at the guard, into the
//! dead-frame buffer (`[rbp + BUF_PTR]`), puts the guard id in eax and
//! jumps *through the guard's slot*: an 8-byte word in the trace's data
//! area (ordinary read-write memory, never executable). The slot first
//! holds the address of the trace's exit epilogue, so `execute` returns the
//! guard id; `compile_bridge` stores the bridge's entry address there — one
//! aligned 8-byte store, no code is ever rewritten. The bridge then loads
//! its inputargs from the buffer, exactly like a loop entry does.
//!
//! PyPy patches the guard's jump to point straight at the bridge; the slot
//! costs one indirect jump on a path that already left the loop, and buys
//! W^X code memory without `mprotect` dances.

use crate::emit::{self, Asm, Loc};
use crate::frame::{BUF_PTR, R11};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use metatrace::ir::GuardId;

/// An exit stub to emit after the trace body.
pub struct Stub {
    /// Where the guard's failing branch jumps: the stub's first instruction.
    pub label: DynamicLabel,
    /// The guard the stub leaves through (its id goes into `eax`).
    pub guard: GuardId,
    /// Fail-arg locations at the guard, in dead-frame order.
    pub locs: Vec<Loc>,
    /// Index of the guard's slot in the trace's data area.
    pub slot: usize,
}

/// Emits the stub: save fail args, `eax = guard id`, `jmp [slot]`.
pub fn emit_stub(a: &mut Asm, stub: &Stub, slot_addr: usize) {
    let label = stub.label;
    dynasm!(a
        ; .arch x64
        ; =>label
        ; mov Rq(R11), QWORD [rbp + BUF_PTR]
    );
    for (i, l) in stub.locs.iter().enumerate() {
        // store_to stages stack/constant values through r10, not r11.
        emit::store_to(a, R11, 8 * i as i32, *l);
    }
    // eax may have held a fail arg: set it only after the stores.
    dynasm!(a ; .arch x64 ; mov eax, stub.guard.0 as i32);
    emit::mov_imm(a, R11, slot_addr as u64);
    dynasm!(a ; .arch x64 ; jmp QWORD [Rq(R11)]);
}
