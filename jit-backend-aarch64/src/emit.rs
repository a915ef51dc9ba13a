//! Instruction-level helpers on top of dynasm: value locations, loads and
//! stores at any offset, moves between any two locations, condition codes
//! and the parallel move.
//!
//! Owns: `Loc`, `Mem`, `Cond`, `ldst`, `mov`, `mov_imm`, `store_to`,
//! `load_from`, `parallel_move`. Nothing here knows about IR ops or
//! register allocation.
//!
//! All code is position independent: absolute addresses (callees, data
//! words, other traces) are built with `movz`/`movk`, branches inside a
//! trace are pc-relative. A trace is assembled into a `Vec` and copied into
//! its final executable mapping unchanged (see `codemem`).
//!
//! Immediates: dynasm checks dynamic immediates at run time and panics on
//! one it cannot encode, so every helper here decides the form itself
//! (scaled 12-bit offset, unscaled 9-bit offset, or an offset register)
//! and never hands dynasm a value out of range.
//!
//! Moves never touch the flags (AArch64 loads, stores and `mov`s never
//! do), so spill code may sit between a compare and its branch.

use crate::frame::{slot_disp, FP_SCRATCH, SLOT_BASE, SLOT_BIAS, X15, X16, X17};
use dynasmrt::aarch64::Aarch64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

/// The dynasm assembler every emitter writes into (AArch64, position-independent buffer).
pub type Asm = VecAssembler<Aarch64Relocation>;

/// Where a value is: a general register, a float register (`d` view of
/// `v0-v31`), a spill slot (`[x29 + slot_disp(k)]`) or an immediate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// A general register `x0`-`x30` (by number).
    Gp(u8),
    /// A float register `d0`-`d31` (by number).
    Fp(u8),
    /// Spill slot `k`, at `[x29 + slot_disp(k)]`.
    Stack(u32),
    /// An immediate: the constant's raw 64-bit word.
    Imm(u64),
}

impl Loc {
    /// Whether the value is in a register (general or float).
    pub fn is_reg(self) -> bool {
        matches!(self, Loc::Gp(_) | Loc::Fp(_))
    }
}

/// One load or store shape: width, signedness, register class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mem {
    /// `ldr x`: 8 bytes into a general register.
    LdX,
    /// `ldr w`: 4 bytes, zero-extended.
    LdW,
    /// `ldrh`: 2 bytes, zero-extended.
    LdH,
    /// `ldrb`: 1 byte, zero-extended.
    LdB,
    /// `ldrsw`: 4 bytes, sign-extended.
    LdSW,
    /// `ldrsh`: 2 bytes, sign-extended.
    LdSH,
    /// `ldrsb`: 1 byte, sign-extended.
    LdSB,
    /// `ldr d`: 8 bytes into a float register.
    LdD,
    /// `str x`: 8 bytes from a general register.
    StX,
    /// `str w`: the low 4 bytes.
    StW,
    /// `strh`: the low 2 bytes.
    StH,
    /// `strb`: the low byte.
    StB,
    /// `str d`: 8 bytes from a float register.
    StD,
}

impl Mem {
    /// Bytes accessed: 8, 4, 2 or 1.
    pub fn size(self) -> i64 {
        use Mem::*;
        match self {
            LdX | LdD | StX | StD => 8,
            LdW | LdSW | StW => 4,
            LdH | LdSH | StH => 2,
            LdB | LdSB | StB => 1,
        }
    }

    /// The load of `size` bytes into a general register.
    pub fn load(size: u8, signed: bool) -> Mem {
        match (size, signed) {
            (8, _) => Mem::LdX,
            (4, true) => Mem::LdSW,
            (4, false) => Mem::LdW,
            (2, true) => Mem::LdSH,
            (2, false) => Mem::LdH,
            (_, true) => Mem::LdSB,
            (_, false) => Mem::LdB,
        }
    }

    /// The store of the low `size` bytes of a general register.
    pub fn store(size: u8) -> Mem {
        match size {
            8 => Mem::StX,
            4 => Mem::StW,
            2 => Mem::StH,
            _ => Mem::StB,
        }
    }
}

/// `r <-> [base + disp]` in shape `m` (`r` is a d-register for `LdD`/`StD`).
/// Uses x15 for offsets no immediate form reaches; `base` and `r` must not
/// be x15 then.
pub fn ldst(a: &mut Asm, m: Mem, r: u8, base: u8, disp: i64) {
    use Mem::*;
    let size = m.size();
    if disp >= 0 && disp % size == 0 && disp / size < 4096 {
        let o = disp as u32;
        match m {
            LdX => dynasm!(a ; .arch aarch64 ; ldr X(r), [X(base), o]),
            LdW => dynasm!(a ; .arch aarch64 ; ldr W(r), [X(base), o]),
            LdH => dynasm!(a ; .arch aarch64 ; ldrh W(r), [X(base), o]),
            LdB => dynasm!(a ; .arch aarch64 ; ldrb W(r), [X(base), o]),
            LdSW => dynasm!(a ; .arch aarch64 ; ldrsw X(r), [X(base), o]),
            LdSH => dynasm!(a ; .arch aarch64 ; ldrsh X(r), [X(base), o]),
            LdSB => dynasm!(a ; .arch aarch64 ; ldrsb X(r), [X(base), o]),
            LdD => dynasm!(a ; .arch aarch64 ; ldr D(r), [X(base), o]),
            StX => dynasm!(a ; .arch aarch64 ; str X(r), [X(base), o]),
            StW => dynasm!(a ; .arch aarch64 ; str W(r), [X(base), o]),
            StH => dynasm!(a ; .arch aarch64 ; strh W(r), [X(base), o]),
            StB => dynasm!(a ; .arch aarch64 ; strb W(r), [X(base), o]),
            StD => dynasm!(a ; .arch aarch64 ; str D(r), [X(base), o]),
        }
    } else if (-256..256).contains(&disp) {
        let o = disp as i32;
        match m {
            LdX => dynasm!(a ; .arch aarch64 ; ldur X(r), [X(base), o]),
            LdW => dynasm!(a ; .arch aarch64 ; ldur W(r), [X(base), o]),
            LdH => dynasm!(a ; .arch aarch64 ; ldurh W(r), [X(base), o]),
            LdB => dynasm!(a ; .arch aarch64 ; ldurb W(r), [X(base), o]),
            LdSW => dynasm!(a ; .arch aarch64 ; ldursw X(r), [X(base), o]),
            LdSH => dynasm!(a ; .arch aarch64 ; ldursh X(r), [X(base), o]),
            LdSB => dynasm!(a ; .arch aarch64 ; ldursb X(r), [X(base), o]),
            LdD => dynasm!(a ; .arch aarch64 ; ldur D(r), [X(base), o]),
            StX => dynasm!(a ; .arch aarch64 ; stur X(r), [X(base), o]),
            StW => dynasm!(a ; .arch aarch64 ; stur W(r), [X(base), o]),
            StH => dynasm!(a ; .arch aarch64 ; sturh W(r), [X(base), o]),
            StB => dynasm!(a ; .arch aarch64 ; sturb W(r), [X(base), o]),
            StD => dynasm!(a ; .arch aarch64 ; stur D(r), [X(base), o]),
        }
    } else {
        debug_assert!(base != X15 && (r != X15 || matches!(m, LdD | StD)));
        mov_imm(a, X15, disp as u64);
        match m {
            LdX => dynasm!(a ; .arch aarch64 ; ldr X(r), [X(base), X(X15)]),
            LdW => dynasm!(a ; .arch aarch64 ; ldr W(r), [X(base), X(X15)]),
            LdH => dynasm!(a ; .arch aarch64 ; ldrh W(r), [X(base), X(X15)]),
            LdB => dynasm!(a ; .arch aarch64 ; ldrb W(r), [X(base), X(X15)]),
            LdSW => dynasm!(a ; .arch aarch64 ; ldrsw X(r), [X(base), X(X15)]),
            LdSH => dynasm!(a ; .arch aarch64 ; ldrsh X(r), [X(base), X(X15)]),
            LdSB => dynasm!(a ; .arch aarch64 ; ldrsb X(r), [X(base), X(X15)]),
            LdD => dynasm!(a ; .arch aarch64 ; ldr D(r), [X(base), X(X15)]),
            StX => dynasm!(a ; .arch aarch64 ; str X(r), [X(base), X(X15)]),
            StW => dynasm!(a ; .arch aarch64 ; str W(r), [X(base), X(X15)]),
            StH => dynasm!(a ; .arch aarch64 ; strh W(r), [X(base), X(X15)]),
            StB => dynasm!(a ; .arch aarch64 ; strb W(r), [X(base), X(X15)]),
            StD => dynasm!(a ; .arch aarch64 ; str D(r), [X(base), X(X15)]),
        }
    }
}

/// A frame word (`[x29 + disp]`) through the slot base.
pub fn frame_ldst(a: &mut Asm, m: Mem, r: u8, disp: i32) {
    ldst(a, m, r, SLOT_BASE, SLOT_BIAS + disp as i64);
}

/// Loads a 64-bit constant with the fewest `movz`/`movn`/`movk`.
pub fn mov_imm(a: &mut Asm, r: u8, v: u64) {
    let halves = [
        v as u16,
        (v >> 16) as u16,
        (v >> 32) as u16,
        (v >> 48) as u16,
    ];
    let ones = halves.iter().filter(|&&h| h == 0xffff).count();
    let zeros = halves.iter().filter(|&&h| h == 0).count();
    if ones > zeros {
        // movn writes !(imm << shift): start from all ones.
        let first = halves.iter().position(|&h| h != 0xffff).unwrap_or(0);
        let inv = u32::from(!halves[first]);
        match first {
            0 => dynasm!(a ; .arch aarch64 ; movn X(r), inv),
            1 => dynasm!(a ; .arch aarch64 ; movn X(r), inv, lsl 16),
            2 => dynasm!(a ; .arch aarch64 ; movn X(r), inv, lsl 32),
            _ => dynasm!(a ; .arch aarch64 ; movn X(r), inv, lsl 48),
        }
        for (i, &h) in halves.iter().enumerate() {
            if i != first && h != 0xffff {
                movk(a, r, i, h);
            }
        }
    } else {
        let first = halves.iter().position(|&h| h != 0).unwrap_or(0);
        let lo = u32::from(halves[first]);
        match first {
            0 => dynasm!(a ; .arch aarch64 ; movz X(r), lo),
            1 => dynasm!(a ; .arch aarch64 ; movz X(r), lo, lsl 16),
            2 => dynasm!(a ; .arch aarch64 ; movz X(r), lo, lsl 32),
            _ => dynasm!(a ; .arch aarch64 ; movz X(r), lo, lsl 48),
        }
        for (i, &h) in halves.iter().enumerate() {
            if i != first && h != 0 {
                movk(a, r, i, h);
            }
        }
    }
}

fn movk(a: &mut Asm, r: u8, half: usize, h: u16) {
    let h = u32::from(h);
    match half {
        0 => dynasm!(a ; .arch aarch64 ; movk X(r), h),
        1 => dynasm!(a ; .arch aarch64 ; movk X(r), h, lsl 16),
        2 => dynasm!(a ; .arch aarch64 ; movk X(r), h, lsl 32),
        _ => dynasm!(a ; .arch aarch64 ; movk X(r), h, lsl 48),
    }
}

/// `dst <- src`, 64 bits, any combination (float bits travel unchanged
/// between d and x registers). Uses x16 for memory-to-memory and
/// constant-to-float moves.
pub fn mov(a: &mut Asm, dst: Loc, src: Loc) {
    if dst == src {
        return;
    }
    match (dst, src) {
        (Loc::Gp(d), Loc::Gp(s)) => dynasm!(a ; .arch aarch64 ; mov X(d), X(s)),
        (Loc::Gp(d), Loc::Fp(s)) => dynasm!(a ; .arch aarch64 ; fmov X(d), D(s)),
        (Loc::Gp(d), Loc::Stack(k)) => frame_ldst(a, Mem::LdX, d, slot_disp(k)),
        (Loc::Gp(d), Loc::Imm(v)) => mov_imm(a, d, v),
        (Loc::Fp(d), Loc::Fp(s)) => dynasm!(a ; .arch aarch64 ; fmov D(d), D(s)),
        (Loc::Fp(d), Loc::Gp(s)) => dynasm!(a ; .arch aarch64 ; fmov D(d), X(s)),
        (Loc::Fp(d), Loc::Stack(k)) => frame_ldst(a, Mem::LdD, d, slot_disp(k)),
        (Loc::Fp(d), Loc::Imm(v)) => {
            mov_imm(a, X16, v);
            dynasm!(a ; .arch aarch64 ; fmov D(d), X(X16));
        }
        (Loc::Stack(k), src) => store_to(a, SLOT_BASE, SLOT_BIAS as i32 + slot_disp(k), src),
        (Loc::Imm(_), _) => unreachable!("move into an immediate"),
    }
}

/// `[base + disp] <- src` (64 bits). `base` must not be x16 when `src` is
/// a stack slot or an immediate (x16 carries those).
pub fn store_to(a: &mut Asm, base: u8, disp: i32, src: Loc) {
    let disp = disp as i64;
    match src {
        Loc::Gp(s) => ldst(a, Mem::StX, s, base, disp),
        Loc::Fp(s) => ldst(a, Mem::StD, s, base, disp),
        Loc::Imm(0) => ldst(a, Mem::StX, 31, base, disp), // xzr
        Loc::Stack(_) | Loc::Imm(_) => {
            mov(a, Loc::Gp(X16), src);
            ldst(a, Mem::StX, X16, base, disp);
        }
    }
}

/// `dst <- [base + disp]` (64 bits).
pub fn load_from(a: &mut Asm, dst: Loc, base: u8, disp: i32) {
    let disp = disp as i64;
    match dst {
        Loc::Gp(d) => ldst(a, Mem::LdX, d, base, disp),
        Loc::Fp(d) => ldst(a, Mem::LdD, d, base, disp),
        Loc::Stack(k) => {
            ldst(a, Mem::LdX, X16, base, disp);
            mov(a, dst, Loc::Gp(X16));
            let _ = k;
        }
        Loc::Imm(_) => unreachable!("load into an immediate"),
    }
}

/// AArch64 condition codes (the `cond` of `b.cond` / `cset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// Equal (`Z = 1`).
    Eq,
    /// Not equal.
    Ne,
    /// Unsigned higher or same: unsigned `>=` (`C = 1`).
    Hs,
    /// Unsigned lower: unsigned `<`.
    Lo,
    /// Minus: negative (`N = 1`); after `fcmp`, float `<`.
    Mi,
    /// Plus: positive or zero.
    Pl,
    /// Overflow (`V = 1`); after `fcmp`, the operands were unordered (a NaN).
    Vs,
    /// No overflow.
    Vc,
    /// Unsigned higher: unsigned `>`.
    Hi,
    /// Unsigned lower or same: unsigned `<=`.
    Ls,
    /// Signed `>=`.
    Ge,
    /// Signed `<`.
    Lt,
    /// Signed `>`.
    Gt,
    /// Signed `<=`.
    Le,
}

impl Cond {
    /// The opposite condition (`Eq` ↔ `Ne`, `Lt` ↔ `Ge`, ...): taken exactly when `self` is not.
    pub fn negate(self) -> Cond {
        use Cond::*;
        match self {
            Eq => Ne,
            Ne => Eq,
            Hs => Lo,
            Lo => Hs,
            Mi => Pl,
            Pl => Mi,
            Vs => Vc,
            Vc => Vs,
            Hi => Ls,
            Ls => Hi,
            Ge => Lt,
            Lt => Ge,
            Gt => Le,
            Le => Gt,
        }
    }
    /// The condition with the compared operands swapped (`a < b` ==
    /// `b > a`), for integer compares.
    pub fn swap(self) -> Cond {
        use Cond::*;
        match self {
            Lo => Hi,
            Hi => Lo,
            Hs => Ls,
            Ls => Hs,
            Lt => Gt,
            Gt => Lt,
            Le => Ge,
            Ge => Le,
            c => c,
        }
    }
}

/// `b.cond label` (±1 MiB).
pub fn bcond(a: &mut Asm, c: Cond, l: DynamicLabel) {
    match c {
        Cond::Eq => dynasm!(a ; .arch aarch64 ; b.eq =>l),
        Cond::Ne => dynasm!(a ; .arch aarch64 ; b.ne =>l),
        Cond::Hs => dynasm!(a ; .arch aarch64 ; b.hs =>l),
        Cond::Lo => dynasm!(a ; .arch aarch64 ; b.lo =>l),
        Cond::Mi => dynasm!(a ; .arch aarch64 ; b.mi =>l),
        Cond::Pl => dynasm!(a ; .arch aarch64 ; b.pl =>l),
        Cond::Vs => dynasm!(a ; .arch aarch64 ; b.vs =>l),
        Cond::Vc => dynasm!(a ; .arch aarch64 ; b.vc =>l),
        Cond::Hi => dynasm!(a ; .arch aarch64 ; b.hi =>l),
        Cond::Ls => dynasm!(a ; .arch aarch64 ; b.ls =>l),
        Cond::Ge => dynasm!(a ; .arch aarch64 ; b.ge =>l),
        Cond::Lt => dynasm!(a ; .arch aarch64 ; b.lt =>l),
        Cond::Gt => dynasm!(a ; .arch aarch64 ; b.gt =>l),
        Cond::Le => dynasm!(a ; .arch aarch64 ; b.le =>l),
    }
}

/// `r <- cond ? 1 : 0` (full 64-bit register).
pub fn set_bool(a: &mut Asm, c: Cond, r: u8) {
    match c {
        Cond::Eq => dynasm!(a ; .arch aarch64 ; cset X(r), eq),
        Cond::Ne => dynasm!(a ; .arch aarch64 ; cset X(r), ne),
        Cond::Hs => dynasm!(a ; .arch aarch64 ; cset X(r), hs),
        Cond::Lo => dynasm!(a ; .arch aarch64 ; cset X(r), lo),
        Cond::Mi => dynasm!(a ; .arch aarch64 ; cset X(r), mi),
        Cond::Pl => dynasm!(a ; .arch aarch64 ; cset X(r), pl),
        Cond::Vs => dynasm!(a ; .arch aarch64 ; cset X(r), vs),
        Cond::Vc => dynasm!(a ; .arch aarch64 ; cset X(r), vc),
        Cond::Hi => dynasm!(a ; .arch aarch64 ; cset X(r), hi),
        Cond::Ls => dynasm!(a ; .arch aarch64 ; cset X(r), ls),
        Cond::Ge => dynasm!(a ; .arch aarch64 ; cset X(r), ge),
        Cond::Lt => dynasm!(a ; .arch aarch64 ; cset X(r), lt),
        Cond::Gt => dynasm!(a ; .arch aarch64 ; cset X(r), gt),
        Cond::Le => dynasm!(a ; .arch aarch64 ; cset X(r), le),
    }
}

/// Performs all `(dst, src)` moves as if simultaneously. Destinations must
/// be distinct registers or slots; sources may repeat and may be
/// immediates. Cycles are broken through x17 (or d31 for float values);
/// memory-to-memory moves go through x16 (see `mov`), so the two never
/// collide.
pub fn parallel_move(a: &mut Asm, moves: &[(Loc, Loc)]) {
    let mut pending: Vec<(Loc, Loc)> = moves.iter().copied().filter(|(d, s)| d != s).collect();
    while !pending.is_empty() {
        // A move is ready when no other pending move still reads its
        // destination.
        let ready = (0..pending.len()).find(|&i| {
            let d = pending[i].0;
            !pending.iter().enumerate().any(|(j, m)| j != i && m.1 == d)
        });
        match ready {
            Some(i) => {
                let (d, s) = pending.swap_remove(i);
                mov(a, d, s);
            }
            None => {
                // Only cycles are left: park one destination's current value
                // in a scratch register and let its readers take it from there.
                let d = pending[0].0;
                let tmp = if matches!(d, Loc::Fp(_)) {
                    Loc::Fp(FP_SCRATCH)
                } else {
                    Loc::Gp(X17)
                };
                mov(a, tmp, d);
                for m in pending.iter_mut() {
                    if m.1 == d {
                        m.1 = tmp;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Cond; 14] = [
        Cond::Eq,
        Cond::Ne,
        Cond::Hs,
        Cond::Lo,
        Cond::Mi,
        Cond::Pl,
        Cond::Vs,
        Cond::Vc,
        Cond::Hi,
        Cond::Ls,
        Cond::Ge,
        Cond::Lt,
        Cond::Gt,
        Cond::Le,
    ];

    #[test]
    fn negate_and_swap_are_involutions() {
        for c in ALL {
            assert_eq!(c.negate().negate(), c);
            assert_ne!(c.negate(), c);
            assert_eq!(c.swap().swap(), c);
        }
        assert_eq!(Cond::Lt.swap(), Cond::Gt);
        assert_eq!(Cond::Ls.swap(), Cond::Hs);
    }

    fn words(f: impl FnOnce(&mut Asm)) -> Vec<u32> {
        let mut a = Asm::new(0);
        f(&mut a);
        let b = a.finalize().unwrap();
        b.chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn constants_take_the_fewest_instructions() {
        assert_eq!(words(|a| mov_imm(a, 0, 0)).len(), 1);
        assert_eq!(words(|a| mov_imm(a, 0, 0xffff)).len(), 1);
        assert_eq!(words(|a| mov_imm(a, 0, u64::MAX)).len(), 1);
        assert_eq!(words(|a| mov_imm(a, 0, (-2i64) as u64)).len(), 1);
        assert_eq!(words(|a| mov_imm(a, 0, 0x1234_0000_5678)).len(), 2);
        assert_eq!(words(|a| mov_imm(a, 0, 0x1111_2222_3333_4444)).len(), 4);
        // movz x0, #1
        assert_eq!(words(|a| mov_imm(a, 0, 1)), vec![0xd280_0020]);
    }

    #[test]
    fn offsets_choose_their_form() {
        // Scaled, unscaled, register offset.
        assert_eq!(words(|a| ldst(a, Mem::LdX, 0, 1, 8)).len(), 1);
        assert_eq!(words(|a| ldst(a, Mem::LdX, 0, 1, -8)).len(), 1);
        assert_eq!(words(|a| ldst(a, Mem::LdX, 0, 1, 12)).len(), 1);
        assert_eq!(words(|a| ldst(a, Mem::LdX, 0, 1, 1 << 20)).len(), 2);
        assert_eq!(words(|a| ldst(a, Mem::StB, 0, 1, 4095)).len(), 1);
        // ldr x0, [x1, #8]
        assert_eq!(words(|a| ldst(a, Mem::LdX, 0, 1, 8)), vec![0xf940_0420]);
    }
}
