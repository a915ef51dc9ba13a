//! The native stack frame every compiled trace runs in, and the register
//! roles (allocatable, scratch, argument registers) under AAPCS64.
//!
//! Owns: the frame layout constants and the register numbering shared by
//! `emit`, `regalloc`, `assemble` and `entry`.
//!
//! One frame per `execute`, as on x86-64: the loop's prologue builds it and
//! every trace that runs afterwards in the same activation (bridges, other
//! loops reached by `jump`) reuses it; moving from one trace to another only
//! resets `sp` to that trace's depth (`sub sp, x29, #depth`).
//!
//! ```text
//!   [x29 + 8]          lr (x30) into the entry trampoline
//!   [x29]              caller's x29
//!   [x29 - 80..-8]     x19..x28 (callee-saved, restored at exit)
//!   [x29 - 144..-88]   d8..d15  (callee-saved low halves)
//!   [x29 - 152]        dead-frame buffer pointer (x0 of the entry)
//!   [x29 - 160]        overflow flag of the last *_ovf op that was not fused
//!   [x29 - 168 - 8k]   spill slot k
//!   sp                 = x29 - frame_size(nslots), 16-byte aligned
//! ```
//!
//! Addressing: AArch64 loads and stores take an unsigned, scaled 12-bit
//! offset (or a signed 9-bit unscaled one); frame slots lie *below* the
//! frame pointer. So the prologue sets x28 to `x29 - 32768` and every
//! frame word is addressed as `[x28, #(32768 + disp)]` — one instruction
//! for the first ~4000 slots, which is every trace we have seen. x28 is
//! callee-saved, so Rust helpers and nested activations keep it intact.
//! Slots further down fall back to an address computed in x15.

/// Frame pointer and link register.
pub const FP: u8 = 29;
/// Base of frame-slot addressing (`x29 - SLOT_BIAS`), never allocated.
pub const SLOT_BASE: u8 = 28;
/// `x28 = x29 - SLOT_BIAS`.
pub const SLOT_BIAS: i64 = 32768;

/// Scratch for address computation of out-of-range offsets (`emit::ldst`).
pub const X15: u8 = 15;
/// Scratch for memory-to-memory and constant moves (`emit::mov`), as r10
/// is on x86-64. Also IP0 of the procedure-call standard.
pub const X16: u8 = 16;
/// Scratch for op code sequences and the parallel-move cycle breaker
/// (r11 on x86-64).
pub const X17: u8 = 17;

/// Float scratch (constants, cycle breaking).
pub const FP_SCRATCH: u8 = 31;
/// Second float scratch (compare against a constant).
pub const FP_SCRATCH2: u8 = 30;

/// Allocatable general registers, caller-saved first: values that do not
/// live across a call take these, values that do prefer the tail. x18 is
/// the platform register (reserved), x15-x17 are scratch, x28 the slot
/// base, x29/x30 frame pointer and link register.
pub const GP_ALLOC: [u8; 24] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 19, 20, 21, 22, 23, 24, 25, 26, 27,
];
/// Allocatable float registers. d8-d15 are callee-saved in AAPCS64 (their
/// low halves); the allocator treats every float register as clobbered by
/// calls (as on x86-64), and the prologue saves d8-d15 for our caller.
pub const FP_ALLOC: [u8; 30] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29,
];

/// Whether AAPCS64 makes general register `r` callee-saved (`x19`-`x28`).
pub fn is_callee_saved(r: u8) -> bool {
    (19..=28).contains(&r)
}

/// AAPCS64 integer argument registers.
pub const INT_ARG_REGS: [u8; 8] = [0, 1, 2, 3, 4, 5, 6, 7];
/// AAPCS64 float argument registers (d0-d7).
pub const FLOAT_ARG_REGS: usize = 8;

/// Bytes below x29 holding the callee-saved registers.
pub const SAVED_AREA: u32 = 144;
/// `[x29 + BUF_PTR]` holds the dead-frame buffer pointer.
pub const BUF_PTR: i32 = -152;
/// `[x29 + OVF_FLAG]`: word set by unfused `*_ovf` ops.
pub const OVF_FLAG: i32 = -160;
/// Bytes below x29 used before the first spill slot.
const FIXED: u32 = 160;

/// `x29`-relative displacement of spill slot `k`.
pub fn slot_disp(k: u32) -> i32 {
    -((FIXED + 8 + 8 * k) as i32)
}

/// Frame depth below x29 for a trace using `nslots` spill slots; keeps sp
/// 16-byte aligned (x29 is, after the `stp x29, x30, [sp, #-16]!`).
pub fn frame_size(nslots: u32) -> u32 {
    (FIXED + 8 * nslots).next_multiple_of(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_words_are_reachable_from_the_slot_base() {
        // Fixed words and the first slots are single-instruction accesses.
        for d in [BUF_PTR, OVF_FLAG, slot_disp(0), slot_disp(4000)] {
            let off = SLOT_BIAS + d as i64;
            assert!(off >= 0 && off % 8 == 0 && off / 8 < 4096, "{d}");
        }
        assert_eq!(frame_size(0) % 16, 0);
        assert_eq!(frame_size(1), 176);
        assert!(!GP_ALLOC.contains(&SLOT_BASE) && !GP_ALLOC.contains(&X16));
    }
}
