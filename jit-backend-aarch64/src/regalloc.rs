//! Linear-scan register allocation over a linear trace (the same
//! algorithm as the x86-64 backend's, over AArch64's register file:
//! x0-x14 and x19-x27 for integers and references, d0-d29 for floats).
//!
//! Owns: the allocation state during code generation (`RegAlloc`: which
//! register/slot holds which variable). The liveness it works from is the
//! framework's, shared with the other native backend
//! (`metatrace::backend::liveness`).
//!
//! A trace has no control-flow merges except labels, so the allocator is
//! the PyPy/LuaJIT kind: walk the ops once, in order; give a result a free
//! register, or take the register whose value is next used furthest away
//! (Belady), storing that value to its spill slot first. Values are SSA and
//! never change, so a register and a slot may hold the same variable at
//! once and "spilling" an already-stored value costs nothing.
//!
//! Positions: inputargs are defined at 0, op `i` sits at position `i + 1`.
//! A variable's interval ends at its last use; fail args count as uses at
//! their guard (the exit stub reads them there). At a `label`:
//! - its arguments get one canonical location each (the label's
//!   "calling convention": every `jump` to it moves its values there);
//! - other values that are still used after the label (only legal when the
//!   label is reached by falling through or from this trace's own jumps)
//!   are pinned to their spill slots for the rest of the trace, so every
//!   jump back finds them where the label left them;
//! - all other registers are forgotten.
//!
//! Values live across a call prefer callee-saved registers (x19-x27);
//! everything left in caller-saved registers is spilled before the call.

use crate::emit::{self, Asm, Loc};
use crate::frame::{self, FP_ALLOC, GP_ALLOC};
use metatrace::backend::liveness::Liveness;
use metatrace::backend::CompileError;
use metatrace::ir::{Kind, Operand, Trace, Var};

/// Allocation state while generating code for one trace.
pub struct RegAlloc {
    kinds: Vec<Kind>,
    /// The trace's liveness analysis, which drives spilling and register choice.
    pub live: Liveness,
    gp_owner: [Option<Var>; 32],
    fp_owner: [Option<Var>; 32],
    reg: Vec<Option<Loc>>,
    slot: Vec<Option<u32>>,
    free_slots: Vec<u32>,
    /// Spill slots this trace needs (its frame size follows from it).
    pub nslots: u32,
    /// Operands of the op being generated: never evicted.
    locked: Vec<Var>,
    /// Position of the op being generated (op `i` is at `i + 1`, as in [`Liveness`]).
    pub pos: u32,
}

impl RegAlloc {
    /// Allocation state for `trace`, nothing placed yet. Errors as
    /// [`Liveness::compute`] does, when the trace is not in SSA form.
    pub fn new(trace: &Trace) -> Result<RegAlloc, CompileError> {
        let live = Liveness::compute(trace)?;
        let n = trace.kinds.len();
        Ok(RegAlloc {
            kinds: trace.kinds.clone(),
            live,
            gp_owner: [None; 32],
            fp_owner: [None; 32],
            reg: vec![None; n],
            slot: vec![None; n],
            free_slots: Vec::new(),
            nslots: 0,
            locked: Vec::new(),
            pos: 0,
        })
    }

    /// Whether `v` is a float (lives in a float register or a slot).
    pub fn is_float(&self, v: Var) -> bool {
        self.kinds[v.index()] == Kind::Float
    }

    /// Starts a new op: clears the operand locks.
    pub fn set_pos(&mut self, pos: u32) {
        self.pos = pos;
        self.locked.clear();
    }

    /// Keeps the operand's register from being evicted until the next `set_pos`
    /// (constants are ignored).
    pub fn lock(&mut self, o: &Operand) {
        if let Operand::Var(v) = o {
            self.locked.push(*v);
        }
    }

    /// Does the variable's interval end at the current op?
    pub fn dies_here(&self, o: &Operand) -> bool {
        match o {
            Operand::Var(v) => self.live.last_use[v.index()] <= self.pos,
            _ => false,
        }
    }

    /// Current location: a register if it has one, else its slot.
    pub fn loc(&self, o: &Operand) -> Loc {
        match *o {
            Operand::Var(v) => self.var_loc(v),
            c => Loc::Imm(c.const_bits().unwrap()),
        }
    }

    /// The variable's current location: its register if it has one, else its
    /// spill slot. Panics if `v` has neither (not yet defined, or dead).
    pub fn var_loc(&self, v: Var) -> Loc {
        if let Some(r) = self.reg[v.index()] {
            return r;
        }
        match self.slot[v.index()] {
            Some(k) => Loc::Stack(k),
            None => panic!("aarch64 regalloc: v{} has no location at {}", v.0, self.pos),
        }
    }

    fn set_owner(&mut self, r: Loc, v: Option<Var>) {
        match r {
            Loc::Gp(g) => self.gp_owner[g as usize] = v,
            Loc::Fp(x) => self.fp_owner[x as usize] = v,
            _ => unreachable!(),
        }
    }

    fn owner(&self, r: Loc) -> Option<Var> {
        match r {
            Loc::Gp(g) => self.gp_owner[g as usize],
            Loc::Fp(x) => self.fp_owner[x as usize],
            _ => None,
        }
    }

    fn candidates(&self, v: Var) -> Vec<Loc> {
        if self.is_float(v) {
            FP_ALLOC.iter().map(|&x| Loc::Fp(x)).collect()
        } else if self.live.crosses_call[v.index()] {
            // Callee-saved first: the value survives calls in place.
            let (caller, callee): (Vec<u8>, Vec<u8>) =
                GP_ALLOC.iter().partition(|&&r| !frame::is_callee_saved(r));
            callee.into_iter().chain(caller).map(Loc::Gp).collect()
        } else {
            GP_ALLOC.iter().map(|&r| Loc::Gp(r)).collect()
        }
    }

    /// A free register for `v`'s class, if any (no code emitted).
    fn free_reg(&self, v: Var) -> Option<Loc> {
        self.candidates(v)
            .into_iter()
            .find(|&r| self.owner(r).is_none())
    }

    /// Gives `v` a slot and stores its register there if it had none.
    pub fn ensure_slot(&mut self, a: &mut Asm, v: Var) -> u32 {
        if let Some(k) = self.slot[v.index()] {
            return k;
        }
        let k = self.free_slots.pop().unwrap_or_else(|| {
            self.nslots += 1;
            self.nslots - 1
        });
        self.slot[v.index()] = Some(k);
        let r = self.reg[v.index()].expect("spilling a value without a register");
        emit::mov(a, Loc::Stack(k), r);
        k
    }

    /// Spills whatever lives in register `r` (keeps it in its slot).
    pub fn evict(&mut self, a: &mut Asm, r: Loc) {
        if let Some(w) = self.owner(r) {
            // Always keep a copy: even a value whose interval ends at this
            // op may still be read here (as a fail arg by the exit stub).
            self.ensure_slot(a, w);
            self.reg[w.index()] = None;
            self.set_owner(r, None);
        }
    }

    /// A register for `v` (not yet holding its value): a free one, or the
    /// one whose value is needed furthest in the future.
    pub fn alloc_reg(&mut self, a: &mut Asm, v: Var) -> Loc {
        let r = match self.free_reg(v) {
            Some(r) => r,
            None => {
                let pos = self.pos;
                let victim = self
                    .candidates(v)
                    .into_iter()
                    .filter(|&r| !self.locked.contains(&self.owner(r).unwrap()))
                    .max_by_key(|&r| self.live.next_use(self.owner(r).unwrap(), pos))
                    .expect("aarch64 regalloc: all registers locked");
                self.evict(a, victim);
                victim
            }
        };
        self.set_owner(r, Some(v));
        self.reg[v.index()] = Some(r);
        r
    }

    /// Makes sure a variable operand sits in a register and locks it.
    pub fn ensure_reg(&mut self, a: &mut Asm, v: Var) -> Loc {
        self.locked.push(v);
        if let Some(r) = self.reg[v.index()] {
            return r;
        }
        let k = self.slot[v.index()].expect("value without location");
        let r = self.alloc_reg(a, v);
        emit::mov(a, r, Loc::Stack(k));
        r
    }

    /// `ensure_reg` for an integer/ref operand; constants are materialized
    /// in `scratch` instead.
    pub fn gp(&mut self, a: &mut Asm, o: &Operand, scratch: u8) -> u8 {
        match *o {
            Operand::Var(v) => match self.ensure_reg(a, v) {
                Loc::Gp(r) => r,
                Loc::Fp(x) => {
                    emit::mov(a, Loc::Gp(scratch), Loc::Fp(x));
                    scratch
                }
                _ => unreachable!(),
            },
            c => {
                emit::mov_imm(a, scratch, c.const_bits().unwrap());
                scratch
            }
        }
    }

    /// The register for an op's result. Reuses the register of `reuse` (an
    /// operand of the same class whose interval ends here): keeps the
    /// register file small under pressure and the code shape the same as
    /// on x86-64.
    pub fn result_reg(&mut self, a: &mut Asm, v: Var, reuse: Option<&Operand>) -> Loc {
        if let Some(Operand::Var(w)) = reuse {
            if self.live.last_use[w.index()] <= self.pos && self.is_float(*w) == self.is_float(v) {
                if let Some(r) = self.reg[w.index()] {
                    self.reg[w.index()] = None;
                    self.reg[v.index()] = Some(r);
                    self.set_owner(r, Some(v));
                    return r;
                }
            }
        }
        self.alloc_reg(a, v)
    }

    /// Records that `v` lives in register `r` (which must be free), e.g.
    /// a call result in x0/d0.
    pub fn assign(&mut self, v: Var, r: Loc) {
        debug_assert!(self.owner(r).is_none());
        self.set_owner(r, Some(v));
        self.reg[v.index()] = Some(r);
    }

    /// Before a call: values still needed afterwards leave the caller-saved
    /// registers for their slots; every caller-saved register is freed.
    pub fn spill_caller_saved(&mut self, a: &mut Asm) {
        let regs: Vec<Loc> = GP_ALLOC
            .iter()
            .filter(|&&r| !frame::is_callee_saved(r))
            .map(|&r| Loc::Gp(r))
            .chain(FP_ALLOC.iter().map(|&x| Loc::Fp(x)))
            .collect();
        for r in regs {
            if let Some(w) = self.owner(r) {
                if self.live.last_use[w.index()] > self.pos {
                    self.ensure_slot(a, w);
                }
                self.reg[w.index()] = None;
                self.set_owner(r, None);
            }
        }
    }

    /// Releases register and slot of every variable whose interval ended.
    pub fn free_dead(&mut self, pos: u32) {
        let dead = std::mem::take(&mut self.live.dies_at[pos as usize]);
        for v in &dead {
            self.release(*v);
        }
        self.live.dies_at[pos as usize] = dead;
    }

    fn release(&mut self, v: Var) {
        if let Some(r) = self.reg[v.index()].take() {
            self.set_owner(r, None);
        }
        if let Some(k) = self.slot[v.index()].take() {
            self.free_slots.push(k);
        }
    }

    /// Gives the trace's input arguments their first locations, loading
    /// them from the buffer at `[base + 8 i]`: registers in order of first
    /// use while they last, slots for the rest.
    pub fn place_inputargs(&mut self, a: &mut Asm, inputargs: &[Var], base: u8) {
        let mut order: Vec<(usize, Var)> = inputargs
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, v)| !self.live.uses[v.index()].is_empty())
            .collect();
        order.sort_by_key(|(_, v)| self.live.uses[v.index()][0]);
        for (i, v) in order {
            if self.reg[v.index()].is_some() || self.slot[v.index()].is_some() {
                continue; // the same variable listed twice
            }
            let dst = match self.free_reg(v) {
                Some(r) => {
                    self.assign(v, r);
                    r
                }
                None => {
                    let k = self.free_slots.pop().unwrap_or_else(|| {
                        self.nslots += 1;
                        self.nslots - 1
                    });
                    self.slot[v.index()] = Some(k);
                    Loc::Stack(k)
                }
            };
            emit::load_from(a, dst, base, 8 * i as i32);
        }
    }

    /// Canonicalizes the state at the label at op index `index` and
    /// returns the locations of its arguments.
    pub fn enter_label(
        &mut self,
        a: &mut Asm,
        index: usize,
        args: &[Var],
    ) -> Result<Vec<Loc>, CompileError> {
        for (i, v) in args.iter().enumerate() {
            if args[..i].contains(v) {
                return Err(CompileError(format!("label argument v{} repeated", v.0)));
            }
        }
        let pinned = self.live.pinned[index].clone();
        for &v in &pinned {
            if let Some(r) = self.reg[v.index()] {
                self.ensure_slot(a, v);
                self.reg[v.index()] = None;
                self.set_owner(r, None);
            }
        }
        let mut locs = Vec::with_capacity(args.len());
        for &v in args {
            // Exactly one location per argument: jumps write only that one.
            if self.reg[v.index()].is_some() {
                if let Some(k) = self.slot[v.index()].take() {
                    self.free_slots.push(k);
                }
            }
            locs.push(self.var_loc(v));
        }
        for r in GP_ALLOC
            .iter()
            .map(|&r| Loc::Gp(r))
            .chain(FP_ALLOC.iter().map(|&x| Loc::Fp(x)))
        {
            if let Some(w) = self.owner(r) {
                if !args.contains(&w) {
                    self.reg[w.index()] = None;
                    self.set_owner(r, None);
                }
            }
        }
        Ok(locs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metatrace::ir::{Descr, GuardId, OpNum};

    #[test]
    fn values_crossing_a_call_prefer_callee_saved() {
        let mut t = Trace::new();
        let a = t.new_inputarg(Kind::Int);
        let f = t.new_inputarg(Kind::Int);
        t.push(OpNum::EscapeN, &[], None);
        let desc = Box::leak(Box::new(metatrace::ir::CallDescr {
            name: "f",
            addr: 0,
            args: &[],
            result: Kind::Void,
            effect: metatrace::ir::EffectInfo::RESIDUAL,
            invoke: |_| 0,
        }));
        t.push(OpNum::CallN, &[f.into()], Some(Descr::Call(desc)));
        t.push(OpNum::Finish, &[a.into()], Some(Descr::Guard(GuardId(1))));
        let l = Liveness::compute(&t).unwrap();
        assert!(l.crosses_call[a.index()]);
        assert!(!l.crosses_call[f.index()], "f dies at the call");
        let ra = RegAlloc::new(&t).unwrap();
        assert!(frame::is_callee_saved(match ra.candidates(a)[0] {
            Loc::Gp(r) => r,
            _ => unreachable!(),
        }));
    }
}
