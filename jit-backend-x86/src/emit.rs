//! Instruction-level helpers on top of dynasm: value locations, moves
//! between any two locations, condition codes and the parallel move.
//!
//! Owns: `Loc`, `Cond`, `mov`, `store_to`, `load_from`, `parallel_move`.
//! Nothing here knows about IR ops or register allocation.
//!
//! All code is position independent: absolute addresses (callees, data
//! words, other traces) are materialized with `mov r, imm64`, branches
//! inside a trace are rel32. That lets a trace be assembled into a `Vec`
//! and copied into its final executable mapping unchanged (see `codemem`).
//!
//! Moves never touch the flags (no `xor r, r` for zero): a fused
//! compare-and-guard may have spill moves scheduled between the `cmp` and
//! the `jcc` only in theory, but keeping moves flag-neutral makes that a
//! non-question.

use crate::frame::{slot_disp, R10, R11, XMM_SCRATCH};
use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

/// The dynasm assembler every emitter writes into (x86-64, position-independent buffer).
pub type Asm = VecAssembler<X64Relocation>;

/// Where a value is: a general register, an xmm register, a spill slot
/// (`[rbp + slot_disp(k)]`) or an immediate (constants, raw bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loc {
    /// A general-purpose register (x86-64 encoding number, `frame::RAX`...).
    Gp(u8),
    /// An xmm register (0..=15).
    Xmm(u8),
    /// Spill slot `k`, at `[rbp + slot_disp(k)]`.
    Stack(u32),
    /// An immediate: the constant's raw 64-bit word.
    Imm(u64),
}

impl Loc {
    /// Whether the value is in a register (general or xmm).
    pub fn is_reg(self) -> bool {
        matches!(self, Loc::Gp(_) | Loc::Xmm(_))
    }
}

/// Whether `v` is representable as a sign-extended 32-bit immediate.
pub fn fits_i32(v: u64) -> bool {
    (v as i64) >= i32::MIN as i64 && (v as i64) <= i32::MAX as i64
}

/// Loads a 64-bit constant into a general register with the shortest form.
pub fn mov_imm(a: &mut Asm, r: u8, v: u64) {
    if v <= u32::MAX as u64 {
        // 32-bit mov zero-extends.
        dynasm!(a ; .arch x64 ; mov Rd(r), v as i32);
    } else if fits_i32(v) {
        dynasm!(a ; .arch x64 ; mov Rq(r), DWORD v as i32);
    } else {
        dynasm!(a ; .arch x64 ; mov Rq(r), QWORD v as i64);
    }
}

/// `dst <- src`, 64 bits, any combination (float bits travel unchanged
/// between xmm and general registers). Uses r10 for memory-to-memory and
/// constant-to-xmm moves.
pub fn mov(a: &mut Asm, dst: Loc, src: Loc) {
    if dst == src {
        return;
    }
    match (dst, src) {
        (Loc::Gp(d), Loc::Gp(s)) => dynasm!(a ; .arch x64 ; mov Rq(d), Rq(s)),
        (Loc::Gp(d), Loc::Xmm(s)) => dynasm!(a ; .arch x64 ; movq Rq(d), Rx(s)),
        (Loc::Gp(d), Loc::Stack(k)) => {
            dynasm!(a ; .arch x64 ; mov Rq(d), QWORD [rbp + slot_disp(k)])
        }
        (Loc::Gp(d), Loc::Imm(v)) => mov_imm(a, d, v),
        (Loc::Xmm(d), Loc::Xmm(s)) => dynasm!(a ; .arch x64 ; movapd Rx(d), Rx(s)),
        (Loc::Xmm(d), Loc::Gp(s)) => dynasm!(a ; .arch x64 ; movq Rx(d), Rq(s)),
        (Loc::Xmm(d), Loc::Stack(k)) => {
            dynasm!(a ; .arch x64 ; movsd Rx(d), QWORD [rbp + slot_disp(k)])
        }
        (Loc::Xmm(d), Loc::Imm(v)) => {
            mov_imm(a, R10, v);
            dynasm!(a ; .arch x64 ; movq Rx(d), Rq(R10));
        }
        (Loc::Stack(k), src) => store_to(a, 5, slot_disp(k), src),
        (Loc::Imm(_), _) => unreachable!("move into an immediate"),
    }
}

/// `[base + disp] <- src` (64 bits). `base` must not be r10 when `src` is
/// a stack slot or a large immediate (r10 carries those).
pub fn store_to(a: &mut Asm, base: u8, disp: i32, src: Loc) {
    match src {
        Loc::Gp(s) => dynasm!(a ; .arch x64 ; mov QWORD [Rq(base) + disp], Rq(s)),
        Loc::Xmm(s) => dynasm!(a ; .arch x64 ; movsd QWORD [Rq(base) + disp], Rx(s)),
        Loc::Stack(k) => dynasm!(a
            ; .arch x64
            ; mov Rq(R10), QWORD [rbp + slot_disp(k)]
            ; mov QWORD [Rq(base) + disp], Rq(R10)
        ),
        Loc::Imm(v) if fits_i32(v) => {
            dynasm!(a ; .arch x64 ; mov QWORD [Rq(base) + disp], DWORD v as i32)
        }
        Loc::Imm(v) => {
            mov_imm(a, R10, v);
            dynasm!(a ; .arch x64 ; mov QWORD [Rq(base) + disp], Rq(R10));
        }
    }
}

/// `dst <- [base + disp]` (64 bits) into a register location.
pub fn load_from(a: &mut Asm, dst: Loc, base: u8, disp: i32) {
    match dst {
        Loc::Gp(d) => dynasm!(a ; .arch x64 ; mov Rq(d), QWORD [Rq(base) + disp]),
        Loc::Xmm(d) => dynasm!(a ; .arch x64 ; movsd Rx(d), QWORD [Rq(base) + disp]),
        Loc::Stack(k) => dynasm!(a
            ; .arch x64
            ; mov Rq(R10), QWORD [Rq(base) + disp]
            ; mov QWORD [rbp + slot_disp(k)], Rq(R10)
        ),
        Loc::Imm(_) => unreachable!("load into an immediate"),
    }
}

/// x86 condition codes (the `cc` of `jcc` / `setcc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    /// Overflow (`OF = 1`).
    O,
    /// No overflow.
    No,
    /// Below: unsigned `<` (`CF = 1`).
    B,
    /// Above or equal: unsigned `>=`.
    Ae,
    /// Equal (`ZF = 1`).
    E,
    /// Not equal.
    Ne,
    /// Below or equal: unsigned `<=`.
    Be,
    /// Above: unsigned `>`.
    A,
    /// Parity (`PF = 1`): after `ucomisd`, the operands were unordered (a NaN).
    P,
    /// No parity: the operands were ordered.
    Np,
    /// Less: signed `<`.
    L,
    /// Greater or equal: signed `>=`.
    Ge,
    /// Less or equal: signed `<=`.
    Le,
    /// Greater: signed `>`.
    G,
}

impl Cond {
    /// The opposite condition (`E` ↔ `Ne`, `L` ↔ `Ge`, ...): taken exactly when `self` is not.
    pub fn negate(self) -> Cond {
        use Cond::*;
        match self {
            O => No,
            No => O,
            B => Ae,
            Ae => B,
            E => Ne,
            Ne => E,
            Be => A,
            A => Be,
            P => Np,
            Np => P,
            L => Ge,
            Ge => L,
            Le => G,
            G => Le,
        }
    }
    /// The condition with operands swapped (`a < b` == `b > a`).
    pub fn swap(self) -> Cond {
        use Cond::*;
        match self {
            B => A,
            A => B,
            Ae => Be,
            Be => Ae,
            L => G,
            G => L,
            Le => Ge,
            Ge => Le,
            c => c,
        }
    }
}

/// `jcc label` (rel32).
pub fn jcc(a: &mut Asm, c: Cond, l: DynamicLabel) {
    match c {
        Cond::O => dynasm!(a ; .arch x64 ; jo =>l),
        Cond::No => dynasm!(a ; .arch x64 ; jno =>l),
        Cond::B => dynasm!(a ; .arch x64 ; jb =>l),
        Cond::Ae => dynasm!(a ; .arch x64 ; jae =>l),
        Cond::E => dynasm!(a ; .arch x64 ; je =>l),
        Cond::Ne => dynasm!(a ; .arch x64 ; jne =>l),
        Cond::Be => dynasm!(a ; .arch x64 ; jbe =>l),
        Cond::A => dynasm!(a ; .arch x64 ; ja =>l),
        Cond::P => dynasm!(a ; .arch x64 ; jp =>l),
        Cond::Np => dynasm!(a ; .arch x64 ; jnp =>l),
        Cond::L => dynasm!(a ; .arch x64 ; jl =>l),
        Cond::Ge => dynasm!(a ; .arch x64 ; jge =>l),
        Cond::Le => dynasm!(a ; .arch x64 ; jle =>l),
        Cond::G => dynasm!(a ; .arch x64 ; jg =>l),
    }
}

/// `setcc r8` (low byte of `r`).
pub fn setcc(a: &mut Asm, c: Cond, r: u8) {
    match c {
        Cond::O => dynasm!(a ; .arch x64 ; seto Rb(r)),
        Cond::No => dynasm!(a ; .arch x64 ; setno Rb(r)),
        Cond::B => dynasm!(a ; .arch x64 ; setb Rb(r)),
        Cond::Ae => dynasm!(a ; .arch x64 ; setae Rb(r)),
        Cond::E => dynasm!(a ; .arch x64 ; sete Rb(r)),
        Cond::Ne => dynasm!(a ; .arch x64 ; setne Rb(r)),
        Cond::Be => dynasm!(a ; .arch x64 ; setbe Rb(r)),
        Cond::A => dynasm!(a ; .arch x64 ; seta Rb(r)),
        Cond::P => dynasm!(a ; .arch x64 ; setp Rb(r)),
        Cond::Np => dynasm!(a ; .arch x64 ; setnp Rb(r)),
        Cond::L => dynasm!(a ; .arch x64 ; setl Rb(r)),
        Cond::Ge => dynasm!(a ; .arch x64 ; setge Rb(r)),
        Cond::Le => dynasm!(a ; .arch x64 ; setle Rb(r)),
        Cond::G => dynasm!(a ; .arch x64 ; setg Rb(r)),
    }
}

/// `r <- cc ? 1 : 0` (full 64-bit register).
pub fn set_bool(a: &mut Asm, c: Cond, r: u8) {
    setcc(a, c, r);
    dynasm!(a ; .arch x64 ; movzx Rd(r), Rb(r));
}

/// Performs all `(dst, src)` moves as if simultaneously. Destinations must
/// be distinct registers or slots; sources may repeat and may be
/// immediates. Cycles are broken through r11 (or xmm15 for xmm values);
/// memory-to-memory moves go through r10 (see `mov`), so the two never
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
                let tmp = if matches!(d, Loc::Xmm(_)) {
                    Loc::Xmm(XMM_SCRATCH)
                } else {
                    Loc::Gp(R11)
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
        Cond::O,
        Cond::No,
        Cond::B,
        Cond::Ae,
        Cond::E,
        Cond::Ne,
        Cond::Be,
        Cond::A,
        Cond::P,
        Cond::Np,
        Cond::L,
        Cond::Ge,
        Cond::Le,
        Cond::G,
    ];

    #[test]
    fn negate_and_swap_are_involutions() {
        for c in ALL {
            assert_eq!(c.negate().negate(), c);
            assert_ne!(c.negate(), c);
            assert_eq!(c.swap().swap(), c);
        }
        assert_eq!(Cond::L.swap(), Cond::G);
        assert_eq!(Cond::Be.swap(), Cond::Ae);
    }

    #[test]
    fn immediates() {
        assert!(fits_i32(i32::MIN as i64 as u64));
        assert!(fits_i32(u64::MAX));
        assert!(!fits_i32(u32::MAX as u64));
        assert!(!fits_i32(1 << 40));
    }
}
