//! Instruction selection for calls: residual calls (`call_*`,
//! `call_pure_*`, `call_may_force_*`, the runtime's allocation slow paths)
//! and `call_assembler_*` with its direct fast path into the callee's
//! compiled code.
//!
//! AAPCS64: integer and reference arguments in x0-x7, floats in d0-d7,
//! the rest on the stack in 8-byte slots from `[sp]` up (sp stays 16-byte
//! aligned); the result in x0 / d0. Callees preserve x19-x28 and the low
//! halves of d8-d15; the allocator keeps values that live across a call in
//! x19-x27 and spills everything else.
//!
//! A child module of `assemble` so it can extend `Gen` without making the
//! generator's state public; split off to keep `assemble.rs` readable.

use super::{err, sp_add, sp_sub, Gen};
use crate::emit::{self, Loc};
use crate::frame::{self, X16, X17};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use metatrace::backend::CompileError;
use metatrace::ir::{CallDescr, Kind, Op, Operand, Var};

impl Gen<'_> {
    /// An AAPCS64 call to `addr`. Arguments: (operand, passed in a float
    /// register class). Values in caller-saved registers that outlive the
    /// call are spilled first; the result arrives in x0 / d0.
    pub(super) fn call(
        &mut self,
        addr: usize,
        args: &[(Operand, bool)],
        res: Option<Var>,
    ) -> Result<(), CompileError> {
        for (o, _) in args {
            self.ra.lock(o);
        }
        let srcs: Vec<Loc> = args.iter().map(|(o, _)| self.ra.loc(o)).collect();
        let mut reg_moves = Vec::new();
        let mut stack_args = Vec::new();
        let (mut ni, mut nf) = (0, 0);
        for (&(_, is_float), &src) in args.iter().zip(&srcs) {
            if is_float && nf < frame::FLOAT_ARG_REGS {
                reg_moves.push((Loc::Fp(nf as u8), src));
                nf += 1;
            } else if !is_float && ni < frame::INT_ARG_REGS.len() {
                reg_moves.push((Loc::Gp(frame::INT_ARG_REGS[ni]), src));
                ni += 1;
            } else {
                stack_args.push(src);
            }
        }
        if stack_args.len() > 4000 {
            return err("too many stack arguments");
        }
        // Stores only: every source stays readable until the moves below.
        self.ra.spill_caller_saved(&mut self.a);
        let stack_bytes = (8 * stack_args.len()).next_multiple_of(16) as u32;
        let a = &mut self.a;
        if stack_bytes > 0 {
            sp_sub(a, stack_bytes);
            store_words_at_sp(a, &stack_args);
        }
        emit::parallel_move(a, &reg_moves);
        emit::mov_imm(a, X16, addr as u64);
        dynasm!(a ; .arch aarch64 ; blr X(X16));
        if stack_bytes > 0 {
            sp_add(a, stack_bytes);
        }
        if let Some(v) = res {
            let r = if self.ra.is_float(v) {
                Loc::Fp(0)
            } else {
                Loc::Gp(0)
            };
            self.ra.assign(v, r);
        }
        Ok(())
    }

    pub(super) fn residual_call(&mut self, op: &Op) -> Result<(), CompileError> {
        let d: &'static CallDescr = op
            .descr
            .and_then(|d| d.as_call())
            .ok_or_else(|| CompileError(format!("{} needs a call descr", op.opnum.name())))?;
        if op.args.is_empty() || op.args.len() - 1 != d.args.len() {
            return err(format!(
                "{}: {} arguments for {} parameters",
                d.name,
                op.args.len().saturating_sub(1),
                d.args.len()
            ));
        }
        let args: Vec<(Operand, bool)> = op.args[1..]
            .iter()
            .zip(d.args)
            .map(|(o, k)| (*o, *k == Kind::Float))
            .collect();
        self.call(d.addr, &args, op.res)
    }

    /// `call_assembler`: the arguments go to an array of words on the
    /// native stack and the descr's helper gets (descr, array); see
    /// `metatrace::ir::AssemblerDescr`. The helper returns a word in x0,
    /// also for a float result.
    pub(super) fn call_assembler(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = op
            .descr
            .and_then(|d| d.as_assembler())
            .ok_or_else(|| CompileError(format!("{} needs an assembler descr", op.opnum.name())))?;
        for o in &op.args {
            self.ra.lock(o);
        }
        let srcs: Vec<Loc> = op.args.iter().map(|o| self.ra.loc(o)).collect();
        if srcs.len() > 4000 {
            return err("too many call_assembler arguments");
        }
        self.ra.spill_caller_saved(&mut self.a);
        let done = self.a.new_dynamic_label();
        let words = self.ctx.direct_words;
        if words >= srcs.len().max(1) {
            // PyPy's fast path: when the framework knows the callee's
            // compiled entry (`target.entry`), call it like Rust would —
            // its prologue takes a buffer pointer — with the buffer on our
            // own stack, holding the arguments. If it leaves through the
            // site's fast `finish`, its first word is the result; any other
            // exit goes to the framework with the dead frame. Only a
            // callee not compiled (yet) goes through the helper below.
            self.out.direct_calls = true;
            let helper = self.a.new_dynamic_label();
            let other = self.a.new_dynamic_label();
            let fast = self.a.new_dynamic_label();
            let buf = (8 * words).next_multiple_of(16) as u32;
            let exit = metatrace::backend::assembler_exit_trampoline as *const () as u64;
            let a = &mut self.a;
            emit::mov_imm(a, X17, &d.target.entry as *const _ as u64);
            dynasm!(a
                ; .arch aarch64
                ; ldr X(X17), [X(X17)]
                ; cbz X(X17), =>helper
            );
            sp_sub(a, buf);
            store_words_at_sp(a, &srcs);
            dynasm!(a
                ; .arch aarch64
                ; mov x0, sp
                ; blr X(X17)
            );
            emit::mov_imm(a, X17, &d.target.fast as *const _ as u64);
            dynasm!(a
                ; .arch aarch64
                ; ldr W(X16), [X(X17)]
                ; cmp w0, W(X16)
                ; b.eq =>fast
                ; ldr W(X16), [X(X17), 4]
                ; cmp w0, W(X16)
                ; b.ne =>other
                ; =>fast
                ; ldr x0, [sp]
            );
            sp_add(a, buf);
            dynasm!(a
                ; .arch aarch64
                ; b =>done
                ; =>other
                ; mov w2, w0
                ; mov x1, sp
            );
            emit::mov_imm(a, 0, d as *const _ as u64);
            emit::mov_imm(a, 3, words as u64);
            emit::mov_imm(a, X16, exit);
            dynasm!(a ; .arch aarch64 ; blr X(X16));
            sp_add(a, buf);
            dynasm!(a
                ; .arch aarch64
                ; b =>done
                ; =>helper
            );
        }
        let bytes = (8 * srcs.len()).next_multiple_of(16) as u32;
        let a = &mut self.a;
        if bytes > 0 {
            sp_sub(a, bytes);
        }
        store_words_at_sp(a, &srcs);
        emit::mov_imm(a, 0, d as *const _ as u64);
        dynasm!(a ; .arch aarch64 ; mov x1, sp);
        emit::mov_imm(a, X16, d.helper as u64);
        dynasm!(a ; .arch aarch64 ; blr X(X16));
        if bytes > 0 {
            sp_add(a, bytes);
        }
        dynasm!(a ; .arch aarch64 ; =>done);
        if let Some(v) = op.res {
            if self.ra.is_float(v) {
                dynasm!(self.a ; .arch aarch64 ; fmov d0, x0);
                self.ra.assign(v, Loc::Fp(0));
            } else {
                self.ra.assign(v, Loc::Gp(0));
            }
        }
        Ok(())
    }
}

/// Stores `srcs` as consecutive words at `[sp]`, `[sp + 8]`, ... (stack
/// arguments of a call, the word array of `call_assembler`); x16 carries
/// values that are not in a register. Frame slots are addressed from x28,
/// so moving sp first does not disturb reading them.
fn store_words_at_sp(a: &mut emit::Asm, srcs: &[Loc]) {
    for (k, src) in srcs.iter().enumerate() {
        let off = 8 * k as u32;
        match *src {
            Loc::Gp(s) => dynasm!(a ; .arch aarch64 ; str X(s), [sp, off]),
            Loc::Fp(s) => dynasm!(a ; .arch aarch64 ; str D(s), [sp, off]),
            other => {
                emit::mov(a, Loc::Gp(X16), other);
                dynasm!(a ; .arch aarch64 ; str X(X16), [sp, off]);
            }
        }
    }
}
