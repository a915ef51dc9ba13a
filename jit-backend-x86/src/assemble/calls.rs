//! Instruction selection for calls: residual calls (`call_*`,
//! `call_pure_*`, `call_may_force_*`, the runtime's allocation slow paths)
//! and `call_assembler_*` with its direct fast path into the callee's
//! compiled code.
//!
//! A child module of `assemble` so it can extend `Gen` without making the
//! generator's state public; split off to keep `assemble.rs` readable.

use super::{err, Gen};
use crate::emit::{self, Loc};
use crate::frame::{self, R10, R11, RAX};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use metatrace::backend::CompileError;
use metatrace::ir::{CallDescr, Kind, Op, Operand, Var};

impl Gen<'_> {
    /// A SysV call to `addr`. Arguments: (operand, passed in an xmm
    /// register class). Values in caller-saved registers that outlive the
    /// call are spilled first; the result arrives in rax / xmm0.
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
                reg_moves.push((Loc::Xmm(nf as u8), src));
                nf += 1;
            } else if !is_float && ni < frame::INT_ARG_REGS.len() {
                reg_moves.push((Loc::Gp(frame::INT_ARG_REGS[ni]), src));
                ni += 1;
            } else {
                stack_args.push(src);
            }
        }
        // Stores only: every source stays readable until the moves below.
        self.ra.spill_caller_saved(&mut self.a);
        let stack_bytes = (8 * stack_args.len()).next_multiple_of(16) as i32;
        let a = &mut self.a;
        if stack_bytes > 0 {
            dynasm!(a ; .arch x64 ; sub rsp, stack_bytes);
            store_words_at_rsp(a, &stack_args);
        }
        emit::parallel_move(a, &reg_moves);
        emit::mov_imm(a, R11, addr as u64);
        dynasm!(a ; .arch x64 ; call Rq(R11));
        if stack_bytes > 0 {
            dynasm!(a ; .arch x64 ; add rsp, stack_bytes);
        }
        if let Some(v) = res {
            let r = if self.ra.is_float(v) {
                Loc::Xmm(0)
            } else {
                Loc::Gp(RAX)
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
    /// `metatrace::ir::AssemblerDescr`. The helper returns a word in rax,
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
            let buf = (8 * words).next_multiple_of(16) as i32;
            let exit = metatrace::backend::assembler_exit_trampoline as *const () as u64;
            let a = &mut self.a;
            emit::mov_imm(a, R11, &d.target.entry as *const _ as u64);
            dynasm!(a
                ; .arch x64
                ; mov Rq(R11), QWORD [Rq(R11)]
                ; test Rq(R11), Rq(R11)
                ; jz =>helper
                ; sub rsp, buf
            );
            store_words_at_rsp(a, &srcs);
            dynasm!(a
                ; .arch x64
                ; mov Rq(frame::INT_ARG_REGS[0]), rsp
                ; call Rq(R11)
            );
            let fast = self.a.new_dynamic_label();
            let a = &mut self.a;
            emit::mov_imm(a, R11, &d.target.fast as *const _ as u64);
            dynasm!(a
                ; .arch x64
                ; cmp eax, DWORD [Rq(R11)]
                ; je =>fast
                ; cmp eax, DWORD [Rq(R11) + 4]
                ; jne =>other
                ; =>fast
                ; mov rax, QWORD [rsp]
                ; add rsp, buf
                ; jmp =>done
                ; =>other
                ; mov edx, eax
                ; mov Rq(frame::INT_ARG_REGS[1]), rsp
            );
            emit::mov_imm(a, frame::INT_ARG_REGS[0], d as *const _ as u64);
            emit::mov_imm(a, frame::INT_ARG_REGS[3], words as u64);
            emit::mov_imm(a, R11, exit);
            dynasm!(a
                ; .arch x64
                ; call Rq(R11)
                ; add rsp, buf
                ; jmp =>done
                ; =>helper
            );
        }
        let bytes = (8 * srcs.len()).next_multiple_of(16) as i32;
        let a = &mut self.a;
        if bytes > 0 {
            dynasm!(a ; .arch x64 ; sub rsp, bytes);
        }
        store_words_at_rsp(a, &srcs);
        emit::mov_imm(a, frame::INT_ARG_REGS[0], d as *const _ as u64);
        dynasm!(a ; .arch x64 ; mov Rq(frame::INT_ARG_REGS[1]), rsp);
        emit::mov_imm(a, R11, d.helper as u64);
        dynasm!(a ; .arch x64 ; call Rq(R11));
        if bytes > 0 {
            dynasm!(a ; .arch x64 ; add rsp, bytes);
        }
        dynasm!(a ; .arch x64 ; =>done);
        if let Some(v) = op.res {
            if self.ra.is_float(v) {
                dynasm!(self.a ; .arch x64 ; movq xmm0, rax);
                self.ra.assign(v, Loc::Xmm(0));
            } else {
                self.ra.assign(v, Loc::Gp(RAX));
            }
        }
        Ok(())
    }
}

/// Stores `srcs` as consecutive words at `[rsp]`, `[rsp + 8]`, ... (stack
/// arguments of a call, the word array of `call_assembler`); R10 carries
/// values that are not in a register.
fn store_words_at_rsp(a: &mut emit::Asm, srcs: &[Loc]) {
    for (k, src) in srcs.iter().enumerate() {
        let disp = 8 * k as i32;
        match *src {
            Loc::Gp(s) => dynasm!(a ; .arch x64 ; mov QWORD [rsp + disp], Rq(s)),
            Loc::Xmm(s) => dynasm!(a ; .arch x64 ; movsd QWORD [rsp + disp], Rx(s)),
            other => {
                emit::mov(a, Loc::Gp(R10), other);
                dynasm!(a ; .arch x64 ; mov QWORD [rsp + disp], Rq(R10));
            }
        }
    }
}
