//! Step 1 of the tutorial: `calc` as a plain Rust interpreter, no JIT.
//!
//! Owns: [`run`], the loop every later step keeps — fetch the instruction
//! at `pc`, advance `pc`, do what it says. Steps 2 and 3 keep this shape
//! and only change *how* values are computed (through a context).

use crate::parse::{Instr, Program};
use std::fmt::Write;

/// Runs `p` and returns what it printed. `p` must not use step-3
/// instructions ([`Program::check_before_step3`]).
pub fn run(p: &Program) -> String {
    let mut regs = vec![0i64; p.regs.len()];
    let mut out = String::new();
    let mut pc = 0;
    while let Some(&instr) = p.code.get(pc) {
        pc += 1;
        match instr {
            Instr::Set(d, n) => regs[d] = n,
            Instr::Mov(d, s) => regs[d] = regs[s],
            Instr::Add(d, s) => regs[d] = regs[d].wrapping_add(regs[s]),
            Instr::Sub(d, s) => regs[d] = regs[d].wrapping_sub(regs[s]),
            Instr::Mul(d, s) => regs[d] = regs[d].wrapping_mul(regs[s]),
            Instr::AddI(d, n) => regs[d] = regs[d].wrapping_add(n),
            Instr::Lt(d, a, b) => regs[d] = (regs[a] < regs[b]) as i64,
            Instr::Jnz(r, target) => {
                if regs[r] != 0 {
                    pc = target
                }
            }
            Instr::Jmp(target) => pc = target,
            Instr::Print(r) => {
                let _ = writeln!(out, "{}", regs[r]);
            }
            i => unreachable!("{i:?} is rejected before step 3"),
        }
    }
    out
}
