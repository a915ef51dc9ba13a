//! The native stack frame every compiled trace runs in, and the register
//! roles (allocatable, scratch, argument registers).
//!
//! Owns: the frame layout constants and the register numbering shared by
//! `emit`, `regalloc`, `assemble` and `entry`.
//!
//! One frame per `execute`: the loop's prologue builds it (SysV-style, `rbp`
//! as frame pointer) and every trace that runs afterwards in the same
//! activation — bridges, other loops reached by `jump` — reuses it. All frame
//! slots are addressed from `rbp`, so moving from one trace to another only
//! has to reset `rsp` to that trace's frame depth (`lea rsp, [rbp - F]`):
//!
//! ```text
//!   [rbp + 8]        return address into the entry trampoline
//!   [rbp]            caller's rbp
//!   [rbp - 8..-40]   rbx, r12, r13, r14, r15 (callee-saved, restored at exit)
//!   [rbp - 48]       dead-frame buffer pointer (first argument of the entry)
//!   [rbp - 56]       overflow flag of the last *_ovf op that was not fused
//!   [rbp - 64 - 8k]  spill slot k
//!   rsp              = rbp - frame_size(nslots), 16-byte aligned
//! ```
//!
//! Why one shared frame instead of a frame per trace: PyPy's jitframe is a
//! heap object for the same reason — a bridge or a cross-loop jump must see
//! the values where the guard left them without copying frames around.

/// Hardware register numbers (x86-64 encoding order).
pub const RAX: u8 = 0;
/// `rcx`: 4th SysV integer argument.
pub const RCX: u8 = 1;
/// `rdx`: 3rd SysV integer argument.
pub const RDX: u8 = 2;
/// `rbx`: callee-saved.
pub const RBX: u8 = 3;
/// `rsi`: 2nd SysV integer argument.
pub const RSI: u8 = 6;
/// `rdi`: 1st SysV integer argument.
pub const RDI: u8 = 7;
/// `r8`: 5th SysV integer argument.
pub const R8: u8 = 8;
/// `r9`: 6th SysV integer argument.
pub const R9: u8 = 9;
/// Scratch for memory-to-memory and constant moves (`emit::mov`).
pub const R10: u8 = 10;
/// Scratch for op code sequences and the parallel-move cycle breaker.
pub const R11: u8 = 11;
/// `r12`: callee-saved.
pub const R12: u8 = 12;
/// `r13`: callee-saved.
pub const R13: u8 = 13;
/// `r14`: callee-saved.
pub const R14: u8 = 14;
/// `r15`: callee-saved.
pub const R15: u8 = 15;

/// Float scratch (constants, cycle breaking, masks).
pub const XMM_SCRATCH: u8 = 15;

/// Allocatable general registers, caller-saved ones first: values that do
/// not live across a call take these, values that do prefer the tail.
pub const GP_ALLOC: [u8; 12] = [RAX, RCX, RDX, RSI, RDI, R8, R9, RBX, R12, R13, R14, R15];
/// Allocatable xmm registers (all caller-saved under SysV).
pub const XMM_ALLOC: [u8; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/// Whether the SysV ABI makes general register `r` callee-saved (`rbx`,
/// `r12`-`r15`; `rbp` and `rsp` are never allocated).
pub fn is_callee_saved(r: u8) -> bool {
    matches!(r, RBX | R12 | R13 | R14 | R15)
}

/// SysV integer argument registers.
pub const INT_ARG_REGS: [u8; 6] = [RDI, RSI, RDX, RCX, R8, R9];
/// SysV float argument registers.
pub const FLOAT_ARG_REGS: usize = 8;

/// `[rbp + BUF_PTR]` holds the dead-frame buffer pointer.
pub const BUF_PTR: i32 = -48;
/// `[rbp + OVF_FLAG]`: byte set by unfused `*_ovf` ops.
pub const OVF_FLAG: i32 = -56;
/// Bytes below rbp used before the first spill slot.
const FIXED: u32 = 56;
/// Distance from rbp down to the callee-saved area bottom (5 pushes).
pub const SAVED_AREA: i32 = 40;

/// `rbp`-relative displacement of spill slot `k`.
pub fn slot_disp(k: u32) -> i32 {
    -((FIXED + 8 + 8 * k) as i32)
}

/// Frame depth below rbp for a trace using `nslots` spill slots; keeps rsp
/// 16-byte aligned (rbp itself is 16-aligned after `push rbp`).
pub fn frame_size(nslots: u32) -> u32 {
    (FIXED + 8 * nslots).next_multiple_of(16)
}
