//! The code generator: one pass over a trace, op by op, driving the
//! register allocator and emitting x86-64 with dynasm.
//!
//! Owns: the instruction selection for every IR op (`Gen::op`), the loop
//! prologue / bridge entry, label and jump handling, and the layout of a
//! trace's code: body, then out-of-line guard exit stubs, then the exit
//! epilogue. The result (`Assembled`) is position-independent bytes plus
//! the offsets and metadata `lib.rs` needs to install it.
//!
//! Semantics follow `metatrace::backend::llgraph` exactly; the non-obvious
//! spots are commented where they are emitted (division, shifts, NaN
//! compares, saturating float-to-int, overflow flags).
//!
//! Scratch registers: r11 holds short-lived op temporaries (and constant
//! bases), r10 belongs to `emit::mov` (memory/constant staging), xmm15 to
//! float constants and masks. None of them is ever allocated.

use crate::emit::{self, fits_i32, Asm, Cond, Loc};
use crate::frame::{self, BUF_PTR, OVF_FLAG, R10, R11, RCX, SAVED_AREA, XMM_SCRATCH};
use crate::guard::{self, Stub};
use crate::malloc::{self, SlowAlloc};
use crate::regalloc::RegAlloc;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use hashbrown::HashMap;
use metatrace::backend::runtime;
use metatrace::backend::CompileError;
use metatrace::ir::{
    print, ArrayDescr, FieldDescr, GuardId, Op, OpNum, Operand, TargetToken, Trace, Var,
};

/// Where a label lives once its trace is installed.
#[derive(Clone, Debug)]
pub struct TargetInfo {
    /// Absolute address of the label's code.
    pub addr: usize,
    /// The label's argument locations (the jump calling convention).
    pub locs: Vec<Loc>,
    /// Frame depth of the trace holding the label.
    pub frame: u32,
}

/// Everything a trace's code refers to outside itself.
pub struct Ctx<'a> {
    /// Annotate the code with each op's text for the listing
    /// (`disassemble`); off unless the backend log is on, as the text
    /// costs a string per op, kept as long as the trace.
    pub listing: bool,
    /// Labels of already installed traces (for cross-trace jumps).
    pub targets: &'a dyn Fn(TargetToken) -> Option<TargetInfo>,
    /// Address of the owning loop's invalidation word.
    pub inval_flag: usize,
    /// Address of this thread's pending-exception word.
    pub exc_slot: usize,
    /// Address of this thread's forced flag (`guard_not_forced`).
    pub forced_slot: usize,
    /// Address of this trace's guard slot array (one `u64` per guard).
    pub guard_slots: usize,
    /// Address of this thread's `heap::gc::Nursery`.
    pub nursery: usize,
    /// Emit the inline bump-pointer fast path for allocations (otherwise
    /// every allocation calls `runtime`; for measurements).
    pub inline_alloc: bool,
    /// Words of the native-stack buffer a direct `call_assembler` call
    /// gives the callee (see `call_assembler`); 0: always call the helper.
    pub direct_words: usize,
}

/// Is this a loop (entered from Rust through its prologue) or a bridge
/// (jumped to from a guard's exit stub inside a running activation)?
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Entry {
    /// A loop or entry trace: entered from Rust through the prologue.
    Loop,
    /// A bridge: jumped to from a guard's exit stub, in the running activation's frame.
    Bridge,
}

/// A guard of the assembled trace.
#[derive(Clone, Debug)]
pub struct GuardOut {
    /// The guard's id.
    pub id: GuardId,
    /// How many fail-arg words its exit stub stores into the dead frame.
    pub nvalues: usize,
    /// Index into the trace's guard slot array.
    pub slot: usize,
}

/// Output of `assemble`: code bytes (position independent) and metadata.
pub struct Assembled {
    /// The machine code, position independent until installed.
    pub bytes: Vec<u8>,
    /// Offset of the shared exit sequence (restores callee-saved registers
    /// and returns to the Rust caller).
    pub exit_offset: usize,
    /// Frame depth below `rbp` in bytes this trace needs (`frame::frame_size`
    /// of its spill slots).
    pub frame: u32,
    /// Every guard of the trace, in order.
    pub guards: Vec<GuardOut>,
    /// Every `finish`: its descr's guard id and how many result words it stores.
    pub finishes: Vec<(GuardId, usize)>,
    /// Labels defined here: token, code offset, argument locations.
    pub labels: Vec<(TargetToken, usize, Vec<Loc>)>,
    /// Code offset → annotation, for the disassembly.
    pub notes: Vec<(usize, String)>,
    /// `(code offset, op index)` where each op's code starts, then
    /// `(offset, u32::MAX)` where the out-of-line code (slow paths, exit
    /// stubs, exit) starts: the profiler's map (`code_region`).
    pub op_starts: Vec<(u32, u32)>,
    /// Largest number of words this trace reads from or writes to the
    /// dead-frame buffer.
    pub max_words: usize,
    /// Whether the code calls callees directly (with `Ctx::direct_words`
    /// buffers): from then on no trace may need more words than that.
    pub direct_calls: bool,
}

/// Number of guard slots a trace needs.
pub fn count_guards(trace: &Trace) -> usize {
    trace.ops.iter().filter(|o| o.opnum.is_guard()).count()
}

fn err<T>(msg: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError(msg.into()))
}

/// What a guard's branch tests.
#[derive(Clone, Copy)]
enum Fail {
    /// Exit when the condition holds.
    If(Cond),
    Always,
    Never,
}

/// Two-operand integer ALU ops that share the `op r, r/m/imm32` shape.
#[derive(Clone, Copy)]
enum Alu {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Imul,
}

#[derive(Clone, Copy)]
enum Sse {
    Add,
    Sub,
    Mul,
    Div,
}

struct Gen<'a> {
    a: Asm,
    ra: RegAlloc,
    trace: &'a Trace,
    ctx: &'a Ctx<'a>,
    stubs: Vec<Stub>,
    slow_allocs: Vec<SlowAlloc>,
    /// Later members of merged allocations: op index → distance of the
    /// member from the block's end.
    group_members: HashMap<usize, usize>,
    exit: DynamicLabel,
    /// `lea rsp, [rbp - frame]` sites: imm32 offset and minimum depth.
    frame_patches: Vec<(usize, u32)>,
    local_labels: HashMap<TargetToken, (DynamicLabel, Vec<Loc>)>,
    out: Assembled,
    /// Condition left in the flags by a fused comparison (op i) for the
    /// guard at op i + 1: the comparison is *true* when it holds.
    pending_cond: Option<Cond>,
    /// The previous op was an `*_ovf` whose OF is still in the flags.
    ovf_in_flags: bool,
}

mod alloc;
mod calls;

/// Compiles `trace` into position-independent code.
pub fn assemble(trace: &Trace, entry: Entry, ctx: &Ctx) -> Result<Assembled, CompileError> {
    let ra = RegAlloc::new(trace)?;
    let mut a = Asm::new(0);
    let exit = a.new_dynamic_label();
    let mut g = Gen {
        a,
        ra,
        trace,
        ctx,
        stubs: Vec::new(),
        slow_allocs: Vec::new(),
        group_members: HashMap::new(),
        exit,
        frame_patches: Vec::new(),
        local_labels: HashMap::new(),
        out: Assembled {
            bytes: Vec::new(),
            exit_offset: 0,
            frame: 0,
            guards: Vec::new(),
            finishes: Vec::new(),
            labels: Vec::new(),
            notes: Vec::new(),
            op_starts: Vec::new(),
            max_words: trace.inputargs.len(),
            direct_calls: false,
        },
        pending_cond: None,
        ovf_in_flags: false,
    };
    g.prologue(entry);
    for (i, op) in trace.ops.iter().enumerate() {
        let pos = i as u32 + 1;
        g.ra.set_pos(pos);
        if ctx.listing {
            let note = print::print_op(trace, op);
            g.note(note);
        }
        g.op_start(i as u32);
        g.op(i, op)?;
        g.ra.free_dead(pos);
    }
    if !trace.ops.last().is_some_and(|o| o.opnum.is_final()) {
        // llgraph panics when a trace falls off its end; trap likewise.
        dynasm!(g.a ; .arch x64 ; ud2);
    }
    g.finish()
}

impl<'a> Gen<'a> {
    fn op_start(&mut self, index: u32) {
        let off = self.a.offset().0 as u32;
        self.out.op_starts.push((off, index));
    }

    fn note(&mut self, s: String) {
        let off = self.a.offset().0;
        self.out.notes.push((off, s));
    }

    /// `lea rsp, [rbp - frame]` with the depth patched in once the trace's
    /// slot count is known (at least `min`).
    fn lea_rsp_frame(&mut self, min: u32) {
        let off = self.a.offset().0;
        // lea rsp, [rbp + disp32]: REX.W 8D /r, mod=10 reg=rsp rm=rbp.
        self.a.extend([0x48, 0x8D, 0xA5, 0, 0, 0, 0]);
        self.frame_patches.push((off + 3, min));
    }

    fn prologue(&mut self, entry: Entry) {
        self.note(format!("{entry:?} entry"));
        match entry {
            Entry::Loop => {
                // extern "C" fn(buf: *mut u64) -> u32 (see entry.rs).
                dynasm!(self.a
                    ; .arch x64
                    ; push rbp
                    ; mov rbp, rsp
                    ; push rbx
                    ; push r12
                    ; push r13
                    ; push r14
                    ; push r15
                    ; push rdi
                );
                self.lea_rsp_frame(0);
                dynasm!(self.a
                    ; .arch x64
                    ; mov QWORD [rbp + OVF_FLAG], 0
                    ; mov Rq(R11), rdi
                );
            }
            Entry::Bridge => {
                self.lea_rsp_frame(0);
                dynasm!(self.a ; .arch x64 ; mov Rq(R11), QWORD [rbp + BUF_PTR]);
            }
        }
        let inputargs = self.trace.inputargs.clone();
        self.ra.set_pos(0);
        self.ra.place_inputargs(&mut self.a, &inputargs, R11);
        self.ra.free_dead(0);
    }

    fn finish(mut self) -> Result<Assembled, CompileError> {
        self.op_start(u32::MAX);
        for slow in std::mem::take(&mut self.slow_allocs) {
            self.note("allocation slow path".into());
            malloc::emit_slow(&mut self.a, &slow);
        }
        for stub in std::mem::take(&mut self.stubs) {
            self.note(format!("exit stub <Guard{}>", stub.guard.0));
            let slot_addr = self.ctx.guard_slots + 8 * stub.slot;
            guard::emit_stub(&mut self.a, &stub, slot_addr);
        }
        self.note("exit".into());
        self.out.exit_offset = self.a.offset().0;
        let exit = self.exit;
        dynasm!(self.a
            ; .arch x64
            ; =>exit
            ; lea rsp, [rbp - SAVED_AREA]
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbx
            ; pop rbp
            ; ret
        );
        let mut bytes = self
            .a
            .finalize()
            .map_err(|e| CompileError(format!("dynasm: {e}")))?;
        let frame = frame::frame_size(self.ra.nslots);
        for (off, min) in &self.frame_patches {
            let depth = -(frame.max(*min) as i32);
            bytes[*off..*off + 4].copy_from_slice(&depth.to_le_bytes());
        }
        self.out.bytes = bytes;
        self.out.frame = frame;
        Ok(self.out)
    }

    // ---------------------------------------------------------------
    // Operand helpers

    fn res(&self, op: &Op) -> Result<Var, CompileError> {
        op.res
            .ok_or_else(|| CompileError(format!("{} without result", op.opnum.name())))
    }

    fn arg(&self, op: &Op, i: usize) -> Result<Operand, CompileError> {
        op.args
            .get(i)
            .copied()
            .ok_or_else(|| CompileError(format!("{}: missing operand {i}", op.opnum.name())))
    }

    fn gp_of(l: Loc) -> u8 {
        match l {
            Loc::Gp(r) => r,
            other => panic!("expected a general register, got {other:?}"),
        }
    }

    fn xmm_of(l: Loc) -> u8 {
        match l {
            Loc::Xmm(x) => x,
            other => panic!("expected an xmm register, got {other:?}"),
        }
    }

    /// An xmm register holding a float operand: its own (loaded if needed)
    /// or xmm15 for constants.
    fn xmm_operand(&mut self, o: &Operand) -> u8 {
        match *o {
            Operand::Var(v) => match self.ra.ensure_reg(&mut self.a, v) {
                Loc::Xmm(x) => x,
                Loc::Gp(r) => {
                    emit::mov(&mut self.a, Loc::Xmm(XMM_SCRATCH), Loc::Gp(r));
                    XMM_SCRATCH
                }
                _ => unreachable!(),
            },
            c => {
                emit::mov(
                    &mut self.a,
                    Loc::Xmm(XMM_SCRATCH),
                    Loc::Imm(c.const_bits().unwrap()),
                );
                XMM_SCRATCH
            }
        }
    }

    // ---------------------------------------------------------------
    // Integer helpers

    fn alu(&mut self, op: Alu, r: u8, y: Loc) {
        let a = &mut self.a;
        let y = match y {
            Loc::Imm(v) if !fits_i32(v) => {
                emit::mov_imm(a, R11, v);
                Loc::Gp(R11)
            }
            Loc::Xmm(x) => {
                emit::mov(a, Loc::Gp(R11), Loc::Xmm(x));
                Loc::Gp(R11)
            }
            y => y,
        };
        match (op, y) {
            (Alu::Add, Loc::Gp(s)) => dynasm!(a ; .arch x64 ; add Rq(r), Rq(s)),
            (Alu::Sub, Loc::Gp(s)) => dynasm!(a ; .arch x64 ; sub Rq(r), Rq(s)),
            (Alu::And, Loc::Gp(s)) => dynasm!(a ; .arch x64 ; and Rq(r), Rq(s)),
            (Alu::Or, Loc::Gp(s)) => dynasm!(a ; .arch x64 ; or Rq(r), Rq(s)),
            (Alu::Xor, Loc::Gp(s)) => dynasm!(a ; .arch x64 ; xor Rq(r), Rq(s)),
            (Alu::Imul, Loc::Gp(s)) => dynasm!(a ; .arch x64 ; imul Rq(r), Rq(s)),
            (Alu::Add, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; add Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Alu::Sub, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; sub Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Alu::And, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; and Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Alu::Or, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; or Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Alu::Xor, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; xor Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Alu::Imul, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; imul Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Alu::Add, Loc::Imm(v)) => dynasm!(a ; .arch x64 ; add Rq(r), v as i32),
            (Alu::Sub, Loc::Imm(v)) => dynasm!(a ; .arch x64 ; sub Rq(r), v as i32),
            (Alu::And, Loc::Imm(v)) => dynasm!(a ; .arch x64 ; and Rq(r), v as i32),
            (Alu::Or, Loc::Imm(v)) => dynasm!(a ; .arch x64 ; or Rq(r), v as i32),
            (Alu::Xor, Loc::Imm(v)) => dynasm!(a ; .arch x64 ; xor Rq(r), v as i32),
            (Alu::Imul, Loc::Imm(v)) => dynasm!(a ; .arch x64 ; imul Rq(r), Rq(r), v as i32),
            (_, Loc::Xmm(_)) => unreachable!(),
        }
    }

    /// `r = x op y` for the two-address ALU ops.
    fn int_binop(&mut self, op: &Op, alu: Alu) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (mut x, mut y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        if op.opnum.is_commutative() {
            let reusable = |o: &Operand, ra: &RegAlloc| {
                o.as_var().is_some() && ra.dies_here(o) && ra.loc(o).is_reg()
            };
            if (x.is_const() && !y.is_const())
                || (!reusable(&x, &self.ra) && reusable(&y, &self.ra))
            {
                std::mem::swap(&mut x, &mut y);
            }
        }
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        emit::mov(&mut self.a, Loc::Gp(r), xl);
        self.alu(alu, r, yl);
        Ok(())
    }

    /// Sets the flags for comparing the raw words `x` and `y` (`x - y`).
    /// Returns true when the operands had to be swapped.
    fn cmp_words(&mut self, x: Loc, y: Loc) -> bool {
        let (x, y, swapped) = match (x, y) {
            (Loc::Imm(_), y) if !matches!(y, Loc::Imm(_)) => (y, x, true),
            _ => (x, y, false),
        };
        let a = &mut self.a;
        let x = match x {
            Loc::Xmm(_) | Loc::Imm(_) => {
                emit::mov(a, Loc::Gp(R11), x);
                Loc::Gp(R11)
            }
            Loc::Stack(_)
                if !matches!(y, Loc::Gp(_)) && !matches!(y, Loc::Imm(v) if fits_i32(v)) =>
            {
                emit::mov(a, Loc::Gp(R11), x);
                Loc::Gp(R11)
            }
            x => x,
        };
        match (x, y) {
            // Same flags as `cmp r, 0` for every condition we use (OF=CF=0).
            (Loc::Gp(r), Loc::Imm(0)) => dynasm!(a ; .arch x64 ; test Rq(r), Rq(r)),
            (Loc::Gp(r), Loc::Gp(s)) => dynasm!(a ; .arch x64 ; cmp Rq(r), Rq(s)),
            (Loc::Gp(r), Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; cmp Rq(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Loc::Gp(r), Loc::Imm(v)) if fits_i32(v) => {
                dynasm!(a ; .arch x64 ; cmp Rq(r), v as i32)
            }
            (Loc::Gp(r), Loc::Imm(v)) => {
                emit::mov_imm(a, R10, v);
                dynasm!(a ; .arch x64 ; cmp Rq(r), Rq(R10));
            }
            (Loc::Gp(r), Loc::Xmm(s)) => {
                emit::mov(a, Loc::Gp(R10), Loc::Xmm(s));
                dynasm!(a ; .arch x64 ; cmp Rq(r), Rq(R10));
            }
            (Loc::Stack(k), Loc::Gp(s)) => {
                dynasm!(a ; .arch x64 ; cmp QWORD [rbp + frame::slot_disp(k)], Rq(s))
            }
            (Loc::Stack(k), Loc::Imm(v)) => {
                dynasm!(a ; .arch x64 ; cmp QWORD [rbp + frame::slot_disp(k)], v as i32)
            }
            _ => unreachable!("cmp_words {x:?} {y:?}"),
        }
        swapped
    }

    /// Integer/ref comparison: fused into the next guard or materialized.
    fn int_cmp(&mut self, index: usize, op: &Op, cond: Cond) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        let y = match op.opnum {
            OpNum::IntIsTrue | OpNum::IntIsZero => Operand::ConstInt(0),
            _ => self.arg(op, 1)?,
        };
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        if self.ra.live.fused[index] {
            let swapped = self.cmp_words(xl, yl);
            self.pending_cond = Some(if swapped { cond.swap() } else { cond });
            return Ok(());
        }
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let swapped = self.cmp_words(xl, yl);
        emit::set_bool(&mut self.a, if swapped { cond.swap() } else { cond }, r);
        Ok(())
    }

    fn shift(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let a = &mut self.a;
        if let Loc::Imm(c) = yl {
            // Counts are masked to 6 bits, as the hardware does for 64-bit shifts.
            let c = (c & 63) as i8;
            emit::mov(a, Loc::Gp(r), xl);
            match op.opnum {
                OpNum::IntLshift => dynasm!(a ; .arch x64 ; shl Rq(r), c),
                OpNum::IntRshift => dynasm!(a ; .arch x64 ; sar Rq(r), c),
                _ => dynasm!(a ; .arch x64 ; shr Rq(r), c),
            }
            return Ok(());
        }
        // Variable counts must be in cl. Rather than pinning rcx in the
        // allocator, borrow it: value in r10, rcx saved in r11.
        emit::mov(a, Loc::Gp(R10), xl);
        dynasm!(a ; .arch x64 ; mov Rq(R11), rcx);
        emit::mov(a, Loc::Gp(RCX), yl);
        match op.opnum {
            OpNum::IntLshift => dynasm!(a ; .arch x64 ; shl Rq(R10), cl),
            OpNum::IntRshift => dynasm!(a ; .arch x64 ; sar Rq(R10), cl),
            _ => dynasm!(a ; .arch x64 ; shr Rq(R10), cl),
        }
        dynasm!(a ; .arch x64 ; mov rcx, Rq(R11));
        emit::mov(a, Loc::Gp(r), Loc::Gp(R10));
        Ok(())
    }

    /// `int_floordiv` / `int_mod`: C truncation, but total like llgraph —
    /// a zero divisor gives 0 and `MIN / -1` wraps (idiv would trap on
    /// both), so those two divisors are peeled off before the `idiv`.
    fn divmod(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        let is_div = op.opnum == OpNum::IntFloorDiv;
        let a = &mut self.a;
        emit::mov(a, Loc::Gp(R10), yl);
        emit::mov(a, Loc::Gp(R11), xl);
        dynasm!(a
            ; .arch x64
            ; test Rq(R10), Rq(R10)
            ; jz >zero
            ; cmp Rq(R10), -1
            ; jne >normal
        );
        if is_div {
            dynasm!(a ; .arch x64 ; neg Rq(R11) ; jmp >done);
        } else {
            dynasm!(a ; .arch x64 ; jmp >zero);
        }
        // idiv needs rax:rdx; they may hold live values, so save them on
        // the machine stack around it (frame slots are rbp-relative).
        dynasm!(a
            ; .arch x64
            ; normal:
            ; push rax
            ; push rdx
            ; mov rax, Rq(R11)
            ; cqo
            ; idiv Rq(R10)
        );
        if is_div {
            dynasm!(a ; .arch x64 ; mov Rq(R11), rax);
        } else {
            dynasm!(a ; .arch x64 ; mov Rq(R11), rdx);
        }
        dynasm!(a
            ; .arch x64
            ; pop rdx
            ; pop rax
            ; jmp >done
            ; zero:
            ; mov Rd(R11), 0
            ; done:
        );
        emit::mov(a, Loc::Gp(r), Loc::Gp(R11));
        Ok(())
    }

    fn int_unary(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let a = &mut self.a;
        emit::mov(a, Loc::Gp(r), xl);
        match op.opnum {
            OpNum::IntNeg => dynasm!(a ; .arch x64 ; neg Rq(r)),
            _ => dynasm!(a ; .arch x64 ; not Rq(r)),
        }
        Ok(())
    }

    /// The overflow flag of an `*_ovf` op: left in OF for an immediately
    /// following overflow guard, otherwise saved to the frame byte that
    /// a later guard (or a bridge) reads.
    fn after_ovf(&mut self, index: usize) {
        let next = self.trace.ops.get(index + 1).map(|o| o.opnum);
        if matches!(next, Some(OpNum::GuardNoOverflow | OpNum::GuardOverflow)) {
            self.ovf_in_flags = true;
        } else {
            dynasm!(self.a ; .arch x64 ; seto BYTE [rbp + OVF_FLAG]);
        }
    }

    // ---------------------------------------------------------------
    // Float helpers

    fn sse(&mut self, op: Sse, r: u8, y: Loc) {
        let a = &mut self.a;
        let y = match y {
            Loc::Imm(_) | Loc::Gp(_) => {
                emit::mov(a, Loc::Xmm(XMM_SCRATCH), y);
                Loc::Xmm(XMM_SCRATCH)
            }
            y => y,
        };
        match (op, y) {
            (Sse::Add, Loc::Xmm(s)) => dynasm!(a ; .arch x64 ; addsd Rx(r), Rx(s)),
            (Sse::Sub, Loc::Xmm(s)) => dynasm!(a ; .arch x64 ; subsd Rx(r), Rx(s)),
            (Sse::Mul, Loc::Xmm(s)) => dynasm!(a ; .arch x64 ; mulsd Rx(r), Rx(s)),
            (Sse::Div, Loc::Xmm(s)) => dynasm!(a ; .arch x64 ; divsd Rx(r), Rx(s)),
            (Sse::Add, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; addsd Rx(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Sse::Sub, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; subsd Rx(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Sse::Mul, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; mulsd Rx(r), QWORD [rbp + frame::slot_disp(k)])
            }
            (Sse::Div, Loc::Stack(k)) => {
                dynasm!(a ; .arch x64 ; divsd Rx(r), QWORD [rbp + frame::slot_disp(k)])
            }
            _ => unreachable!(),
        }
    }

    fn float_binop(&mut self, op: &Op, sse: Sse) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::xmm_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        emit::mov(&mut self.a, Loc::Xmm(r), xl);
        self.sse(sse, r, yl);
        Ok(())
    }

    /// `float_neg` / `float_abs`: flip or clear the sign bit with a mask
    /// (exact for NaN, infinities and -0.0, unlike `0 - x`).
    fn float_sign(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::xmm_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let a = &mut self.a;
        emit::mov(a, Loc::Xmm(r), xl);
        if op.opnum == OpNum::FloatNeg {
            emit::mov(a, Loc::Xmm(XMM_SCRATCH), Loc::Imm(1 << 63));
            dynasm!(a ; .arch x64 ; xorpd Rx(r), Rx(XMM_SCRATCH));
        } else {
            emit::mov(a, Loc::Xmm(XMM_SCRATCH), Loc::Imm(!(1u64 << 63)));
            dynasm!(a ; .arch x64 ; andpd Rx(r), Rx(XMM_SCRATCH));
        }
        Ok(())
    }

    /// `ucomisd p, q`. Unordered (NaN) sets ZF=PF=CF=1, so `a`/`ae` (CF=0)
    /// are false on NaN, which is why `<`/`<=` are computed as `>`/`>=`
    /// with swapped operands.
    fn ucomisd(&mut self, p: u8, q: Loc) {
        let a = &mut self.a;
        match q {
            Loc::Xmm(s) => dynasm!(a ; .arch x64 ; ucomisd Rx(p), Rx(s)),
            Loc::Stack(k) => {
                dynasm!(a ; .arch x64 ; ucomisd Rx(p), QWORD [rbp + frame::slot_disp(k)])
            }
            Loc::Imm(_) | Loc::Gp(_) => {
                // xmm15 may hold `p`: pass the constant through memory.
                emit::mov(a, Loc::Gp(R10), q);
                dynasm!(a
                    ; .arch x64
                    ; push Rq(R10)
                    ; ucomisd Rx(p), QWORD [rsp]
                    ; pop Rq(R10)
                );
            }
        }
    }

    fn float_cmp(&mut self, index: usize, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        let (p, q, cond) = match op.opnum {
            OpNum::FloatLt => (y, x, Cond::A),
            OpNum::FloatLe => (y, x, Cond::Ae),
            OpNum::FloatGt => (x, y, Cond::A),
            OpNum::FloatGe => (x, y, Cond::Ae),
            OpNum::FloatEq => (x, y, Cond::E),
            _ => (x, y, Cond::Ne),
        };
        self.ra.lock(&p);
        self.ra.lock(&q);
        let pr = self.xmm_operand(&p);
        let ql = self.ra.loc(&q);
        if self.ra.live.fused[index] {
            self.ucomisd(pr, ql);
            self.pending_cond = Some(cond);
            return Ok(());
        }
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        self.ucomisd(pr, ql);
        let a = &mut self.a;
        match op.opnum {
            // Equal means ZF=1 and ordered (PF=0).
            OpNum::FloatEq => dynasm!(a
                ; .arch x64
                ; sete Rb(r)
                ; setnp Rb(R11)
                ; and Rb(r), Rb(R11)
                ; movzx Rd(r), Rb(r)
            ),
            // Not equal: ZF=0 or unordered.
            OpNum::FloatNe => dynasm!(a
                ; .arch x64
                ; setne Rb(r)
                ; setp Rb(R11)
                ; or Rb(r), Rb(R11)
                ; movzx Rd(r), Rb(r)
            ),
            _ => emit::set_bool(a, cond, r),
        }
        Ok(())
    }

    /// `cast_float_to_int` with Rust `as i64` semantics. `cvttsd2si`
    /// returns MIN for NaN and out-of-range inputs; only then (detected by
    /// `cmp r, 1` overflowing) do we fix up: NaN → 0, positive → MAX,
    /// negative stays MIN.
    fn float_to_int(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xr = self.xmm_operand(&x);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        dynasm!(self.a
            ; .arch x64
            ; cvttsd2si Rq(r), Rx(xr)
            ; cmp Rq(r), 1
            ; jno >done
            ; ucomisd Rx(xr), Rx(xr)
            ; jp >nan
            ; movq Rq(R11), Rx(xr)
            ; sar Rq(R11), 63
            ; mov Rq(r), QWORD i64::MAX
            ; xor Rq(r), Rq(R11)
            ; jmp >done
            ; nan:
            ; mov Rd(r), 0
            ; done:
        );
        Ok(())
    }

    fn int_to_float(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::xmm_of(self.ra.result_reg(&mut self.a, v, None));
        let a = &mut self.a;
        // xorps breaks cvtsi2sd's false dependency on the old register value.
        dynasm!(a ; .arch x64 ; xorps Rx(r), Rx(r));
        match xl {
            Loc::Gp(s) => dynasm!(a ; .arch x64 ; cvtsi2sd Rx(r), Rq(s)),
            Loc::Stack(k) => {
                dynasm!(a ; .arch x64 ; cvtsi2sd Rx(r), QWORD [rbp + frame::slot_disp(k)])
            }
            other => {
                emit::mov(a, Loc::Gp(R11), other);
                dynasm!(a ; .arch x64 ; cvtsi2sd Rx(r), Rq(R11));
            }
        }
        Ok(())
    }

    /// `same_as_*`, `escape_*`: a copy of the first operand (0 if none).
    fn copy(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = op.args.first().copied().unwrap_or(Operand::ConstInt(0));
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = self.ra.result_reg(&mut self.a, v, Some(&x));
        emit::mov(&mut self.a, r, xl);
        Ok(())
    }

    // ---------------------------------------------------------------
    // Guards

    /// Emits the guard's conditional exit. Fail-arg locations are taken
    /// now, after any loads the guard itself needed.
    fn guard_exit(&mut self, op: &Op, fail: Fail) -> Result<(), CompileError> {
        let id = op
            .guard_id()
            .ok_or_else(|| CompileError(format!("{} without guard descr", op.opnum.name())))?;
        let fail_args = op.fail_args.as_deref().unwrap_or(&[]);
        let locs: Vec<Loc> = fail_args.iter().map(|o| self.ra.loc(o)).collect();
        let label = self.a.new_dynamic_label();
        match fail {
            Fail::If(c) => emit::jcc(&mut self.a, c, label),
            Fail::Always => dynasm!(self.a ; .arch x64 ; jmp =>label),
            Fail::Never => {}
        }
        let slot = self.out.guards.len();
        self.out.guards.push(GuardOut {
            id,
            nvalues: locs.len(),
            slot,
        });
        self.out.max_words = self.out.max_words.max(locs.len());
        self.stubs.push(Stub {
            label,
            guard: id,
            locs,
            slot,
        });
        Ok(())
    }

    /// guard_true / guard_false / guard_nonnull / guard_isnull.
    fn guard_bool(&mut self, op: &Op, want_true: bool) -> Result<(), CompileError> {
        if let Some(c) = self.pending_cond.take() {
            let fail = if want_true { c.negate() } else { c };
            return self.guard_exit(op, Fail::If(fail));
        }
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        if let Loc::Imm(c) = xl {
            let fail = if (c != 0) == want_true {
                Fail::Never
            } else {
                Fail::Always
            };
            return self.guard_exit(op, fail);
        }
        match xl {
            Loc::Gp(r) => dynasm!(self.a ; .arch x64 ; test Rq(r), Rq(r)),
            _ => {
                self.cmp_words(xl, Loc::Imm(0));
            }
        }
        let fail = if want_true { Cond::E } else { Cond::Ne };
        self.guard_exit(op, Fail::If(fail))
    }

    fn guard_value(&mut self, op: &Op) -> Result<(), CompileError> {
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        if let (Loc::Imm(p), Loc::Imm(q)) = (xl, yl) {
            let fail = if p == q { Fail::Never } else { Fail::Always };
            return self.guard_exit(op, fail);
        }
        self.cmp_words(xl, yl);
        self.guard_exit(op, Fail::If(Cond::Ne))
    }

    /// guard_class / guard_nonnull_class: the u32 type id at offset 0.
    fn guard_class(&mut self, op: &Op, nonnull: bool) -> Result<(), CompileError> {
        let (obj, cls) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&obj);
        self.ra.lock(&cls);
        let cl = self.ra.loc(&cls);
        let b = self.ra.gp(&mut self.a, &obj, R11);
        let null_exit = if nonnull {
            let l = self.a.new_dynamic_label();
            dynasm!(self.a ; .arch x64 ; test Rq(b), Rq(b) ; jz =>l);
            Some(l)
        } else {
            None
        };
        let fail = match cl {
            Loc::Imm(t) if t <= u32::MAX as u64 => {
                dynasm!(self.a ; .arch x64 ; cmp DWORD [Rq(b)], t as i32);
                Fail::If(Cond::Ne)
            }
            // A constant wider than 32 bits: no type id can equal it.
            Loc::Imm(_) => Fail::Always,
            other => {
                dynasm!(self.a ; .arch x64 ; mov Rd(R11), DWORD [Rq(b)]);
                self.cmp_words(Loc::Gp(R11), other);
                Fail::If(Cond::Ne)
            }
        };
        self.guard_exit(op, fail)?;
        if let Some(l) = null_exit {
            // Null takes the same exit stub (same register state).
            let stub = self.stubs.last().unwrap().label;
            dynasm!(self.a ; .arch x64 ; jmp >skip ; =>l ; jmp =>stub ; skip:);
        }
        Ok(())
    }

    fn guard_flag_word(&mut self, op: &Op, addr: usize) -> Result<(), CompileError> {
        emit::mov_imm(&mut self.a, R11, addr as u64);
        dynasm!(self.a ; .arch x64 ; cmp QWORD [Rq(R11)], 0);
        self.guard_exit(op, Fail::If(Cond::Ne))
    }

    fn guard_overflow(&mut self, op: &Op, want_ovf: bool) -> Result<(), CompileError> {
        if !std::mem::take(&mut self.ovf_in_flags) {
            dynasm!(self.a ; .arch x64 ; cmp BYTE [rbp + OVF_FLAG], 0);
            let fail = if want_ovf { Cond::E } else { Cond::Ne };
            return self.guard_exit(op, Fail::If(fail));
        }
        let fail = if want_ovf { Cond::No } else { Cond::O };
        self.guard_exit(op, Fail::If(fail))
    }

    // ---------------------------------------------------------------
    // Memory

    fn field(&self, op: &Op) -> Result<&'static FieldDescr, CompileError> {
        op.descr
            .and_then(|d| d.as_field())
            .ok_or_else(|| CompileError(format!("{} needs a field descr", op.opnum.name())))
    }

    fn array(&self, op: &Op) -> Result<&'static ArrayDescr, CompileError> {
        op.descr
            .and_then(|d| d.as_array())
            .ok_or_else(|| CompileError(format!("{} needs an array descr", op.opnum.name())))
    }

    fn disp(off: i64) -> Result<i32, CompileError> {
        i32::try_from(off).map_err(|_| CompileError(format!("offset {off} out of range")))
    }

    /// `dst <- [base + disp]`, `size` bytes, sign- or zero-extended.
    fn load_sized(&mut self, dst: Loc, base: u8, disp: i32, size: u8, signed: bool) {
        let a = &mut self.a;
        let r = match dst {
            Loc::Xmm(x) if size == 8 => {
                dynasm!(a ; .arch x64 ; movsd Rx(x), QWORD [Rq(base) + disp]);
                return;
            }
            Loc::Xmm(_) => R10,
            Loc::Gp(r) => r,
            _ => unreachable!(),
        };
        match (size, signed) {
            (8, _) => dynasm!(a ; .arch x64 ; mov Rq(r), QWORD [Rq(base) + disp]),
            (4, true) => dynasm!(a ; .arch x64 ; movsxd Rq(r), DWORD [Rq(base) + disp]),
            (4, false) => dynasm!(a ; .arch x64 ; mov Rd(r), DWORD [Rq(base) + disp]),
            (2, true) => dynasm!(a ; .arch x64 ; movsx Rq(r), WORD [Rq(base) + disp]),
            (2, false) => dynasm!(a ; .arch x64 ; movzx Rd(r), WORD [Rq(base) + disp]),
            (_, true) => dynasm!(a ; .arch x64 ; movsx Rq(r), BYTE [Rq(base) + disp]),
            (_, false) => dynasm!(a ; .arch x64 ; movzx Rd(r), BYTE [Rq(base) + disp]),
        }
        if r == R10 {
            emit::mov(a, dst, Loc::Gp(R10));
        }
    }

    /// `[base + disp] <- low size bytes of src`. `base` is never r10.
    fn store_sized(&mut self, base: u8, disp: i32, size: u8, src: Loc) {
        let a = &mut self.a;
        if size == 8 {
            emit::store_to(a, base, disp, src);
            return;
        }
        let s = match src {
            Loc::Imm(v) => {
                match size {
                    4 => dynasm!(a ; .arch x64 ; mov DWORD [Rq(base) + disp], v as i32),
                    2 => dynasm!(a ; .arch x64 ; mov WORD [Rq(base) + disp], v as i16),
                    _ => dynasm!(a ; .arch x64 ; mov BYTE [Rq(base) + disp], v as i8),
                }
                return;
            }
            Loc::Gp(s) => s,
            other => {
                emit::mov(a, Loc::Gp(R10), other);
                R10
            }
        };
        match size {
            4 => dynasm!(a ; .arch x64 ; mov DWORD [Rq(base) + disp], Rd(s)),
            2 => dynasm!(a ; .arch x64 ; mov WORD [Rq(base) + disp], Rw(s)),
            _ => dynasm!(a ; .arch x64 ; mov BYTE [Rq(base) + disp], Rb(s)),
        }
    }

    fn getfield(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.field(op)?;
        let v = self.res(op)?;
        let obj = self.arg(op, 0)?;
        self.ra.lock(&obj);
        let b = self.ra.gp(&mut self.a, &obj, R11);
        let r = self.ra.result_reg(&mut self.a, v, Some(&obj));
        self.load_sized(r, b, Self::disp(d.offset as i64)?, d.size, d.signed);
        Ok(())
    }

    fn setfield(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.field(op)?;
        let (obj, val) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&obj);
        self.ra.lock(&val);
        let b = self.ra.gp(&mut self.a, &obj, R11);
        let vl = self.ra.loc(&val);
        self.store_sized(b, Self::disp(d.offset as i64)?, d.size, vl);
        Ok(())
    }

    /// Address of item `index` as (base register, displacement); may use r11.
    fn item_addr(
        &mut self,
        b: u8,
        index: &Operand,
        d: &ArrayDescr,
    ) -> Result<(u8, i32), CompileError> {
        let size = d.item_size as i64;
        let base_off = d.base_offset as i64;
        if let Some(i) = index.const_bits() {
            let off = (i as i64).wrapping_mul(size).wrapping_add(base_off);
            if let Ok(disp) = i32::try_from(off) {
                return Ok((b, disp));
            }
            emit::mov_imm(&mut self.a, R10, off as u64);
            dynasm!(self.a ; .arch x64 ; lea Rq(R11), [Rq(b) + Rq(R10)]);
            return Ok((R11, 0));
        }
        let ix = self.ra.gp(&mut self.a, index, R10);
        let disp = Self::disp(base_off)?;
        let a = &mut self.a;
        match size {
            1 => dynasm!(a ; .arch x64 ; lea Rq(R11), [Rq(b) + Rq(ix) + disp]),
            2 => dynasm!(a ; .arch x64 ; lea Rq(R11), [Rq(b) + Rq(ix) * 2 + disp]),
            4 => dynasm!(a ; .arch x64 ; lea Rq(R11), [Rq(b) + Rq(ix) * 4 + disp]),
            8 => dynasm!(a ; .arch x64 ; lea Rq(R11), [Rq(b) + Rq(ix) * 8 + disp]),
            _ => return err(format!("array item size {size}")),
        }
        Ok((R11, 0))
    }

    fn getarrayitem(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.array(op)?;
        let v = self.res(op)?;
        let (arr, index) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&arr);
        self.ra.lock(&index);
        let b = self.ra.gp(&mut self.a, &arr, R11);
        if let Operand::Var(iv) = index {
            self.ra.ensure_reg(&mut self.a, iv);
        }
        let r = self.ra.result_reg(&mut self.a, v, Some(&arr));
        // The result register may be the array's (dying) register: compute
        // the address first, it only reads `b`.
        let (base, disp) = self.item_addr(b, &index, d)?;
        self.load_sized(r, base, disp, d.item_size, d.signed);
        Ok(())
    }

    fn setarrayitem(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.array(op)?;
        let (arr, index, val) = (self.arg(op, 0)?, self.arg(op, 1)?, self.arg(op, 2)?);
        self.ra.lock(&arr);
        self.ra.lock(&index);
        self.ra.lock(&val);
        let b = self.ra.gp(&mut self.a, &arr, R11);
        if let Operand::Var(iv) = index {
            self.ra.ensure_reg(&mut self.a, iv);
        }
        let vl = self.ra.loc(&val);
        let (base, disp) = self.item_addr(b, &index, d)?;
        self.store_sized(base, disp, d.item_size, vl);
        Ok(())
    }

    fn arraylen(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.array(op)?;
        let v = self.res(op)?;
        let arr = self.arg(op, 0)?;
        self.ra.lock(&arr);
        let b = self.ra.gp(&mut self.a, &arr, R11);
        let r = self.ra.result_reg(&mut self.a, v, Some(&arr));
        self.load_sized(r, b, Self::disp(d.len_offset as i64)?, 8, true);
        Ok(())
    }

    // ---------------------------------------------------------------
    // Control

    fn label(&mut self, index: usize, op: &Op) -> Result<(), CompileError> {
        let token = op
            .descr
            .and_then(|d| d.as_target())
            .ok_or_else(|| CompileError("label without TargetToken".into()))?;
        let mut args = Vec::with_capacity(op.args.len());
        for o in &op.args {
            match o.as_var() {
                Some(v) => args.push(v),
                None => return err("label arguments must be variables"),
            }
        }
        let locs = self.ra.enter_label(&mut self.a, index, &args)?;
        let l = self.a.new_dynamic_label();
        let off = self.a.offset().0;
        dynasm!(self.a ; .arch x64 ; =>l);
        self.local_labels.insert(token, (l, locs.clone()));
        self.out.labels.push((token, off, locs));
        Ok(())
    }

    fn jump(&mut self, op: &Op) -> Result<(), CompileError> {
        let token = op
            .descr
            .and_then(|d| d.as_target())
            .ok_or_else(|| CompileError("jump without TargetToken".into()))?;
        for o in &op.args {
            self.ra.lock(o);
        }
        let srcs: Vec<Loc> = op.args.iter().map(|o| self.ra.loc(o)).collect();
        if let Some((l, locs)) = self.local_labels.get(&token).cloned() {
            if locs.len() != srcs.len() {
                return err(format!(
                    "jump with {} args to a label with {}",
                    srcs.len(),
                    locs.len()
                ));
            }
            let moves: Vec<(Loc, Loc)> = locs.into_iter().zip(srcs).collect();
            emit::parallel_move(&mut self.a, &moves);
            dynasm!(self.a ; .arch x64 ; jmp =>l);
            return Ok(());
        }
        let t = (self.ctx.targets)(token)
            .ok_or_else(|| CompileError(format!("jump to unknown TargetToken({})", token.0)))?;
        if t.locs.len() != srcs.len() {
            return err(format!(
                "jump with {} args to a label with {}",
                srcs.len(),
                t.locs.len()
            ));
        }
        // The target's slots may lie below our rsp: grow the frame to cover
        // both before writing them (a signal may clobber below rsp).
        self.lea_rsp_frame(t.frame);
        let moves: Vec<(Loc, Loc)> = t.locs.iter().copied().zip(srcs).collect();
        emit::parallel_move(&mut self.a, &moves);
        let depth = -(t.frame as i32);
        dynasm!(self.a ; .arch x64 ; lea rsp, [rbp + depth]);
        emit::mov_imm(&mut self.a, R11, t.addr as u64);
        dynasm!(self.a ; .arch x64 ; jmp Rq(R11));
        Ok(())
    }

    fn finish_op(&mut self, op: &Op) -> Result<(), CompileError> {
        let id = op
            .guard_id()
            .ok_or_else(|| CompileError("finish without descr".into()))?;
        let locs: Vec<Loc> = op.args.iter().map(|o| self.ra.loc(o)).collect();
        dynasm!(self.a ; .arch x64 ; mov Rq(R11), QWORD [rbp + BUF_PTR]);
        for (i, l) in locs.iter().enumerate() {
            emit::store_to(&mut self.a, R11, 8 * i as i32, *l);
        }
        let exit = self.exit;
        dynasm!(self.a ; .arch x64 ; mov eax, id.0 as i32 ; jmp =>exit);
        self.out.finishes.push((id, locs.len()));
        self.out.max_words = self.out.max_words.max(locs.len());
        Ok(())
    }

    // ---------------------------------------------------------------

    fn op(&mut self, index: usize, op: &Op) -> Result<(), CompileError> {
        use OpNum::*;
        match op.opnum {
            IntAdd | IntAddOvf => self.int_binop(op, Alu::Add)?,
            IntSub | IntSubOvf => self.int_binop(op, Alu::Sub)?,
            IntMul | IntMulOvf => self.int_binop(op, Alu::Imul)?,
            IntAnd => self.int_binop(op, Alu::And)?,
            IntOr => self.int_binop(op, Alu::Or)?,
            IntXor => self.int_binop(op, Alu::Xor)?,
            IntFloorDiv | IntMod => self.divmod(op)?,
            IntLshift | IntRshift | UintRshift => self.shift(op)?,
            IntNeg | IntInvert => self.int_unary(op)?,
            IntLt | IntLe | IntEq | IntNe | IntGt | IntGe | UintLt | UintLe | UintGt | UintGe
            | IntIsTrue | IntIsZero | PtrEq | PtrNe => {
                let cond = match op.opnum {
                    IntLt => Cond::L,
                    IntLe => Cond::Le,
                    IntEq | PtrEq | IntIsZero => Cond::E,
                    IntNe | PtrNe | IntIsTrue => Cond::Ne,
                    IntGt => Cond::G,
                    IntGe => Cond::Ge,
                    UintLt => Cond::B,
                    UintLe => Cond::Be,
                    UintGt => Cond::A,
                    _ => Cond::Ae,
                };
                self.int_cmp(index, op, cond)?
            }
            SameAsI | SameAsF | SameAsR | EscapeI | EscapeR | EscapeF => self.copy(op)?,
            FloatAdd => self.float_binop(op, Sse::Add)?,
            FloatSub => self.float_binop(op, Sse::Sub)?,
            FloatMul => self.float_binop(op, Sse::Mul)?,
            FloatTrueDiv => self.float_binop(op, Sse::Div)?,
            FloatNeg | FloatAbs => self.float_sign(op)?,
            FloatLt | FloatLe | FloatEq | FloatNe | FloatGt | FloatGe => {
                self.float_cmp(index, op)?
            }
            CastFloatToInt => self.float_to_int(op)?,
            CastIntToFloat => self.int_to_float(op)?,

            GuardTrue | GuardNonnull => self.guard_bool(op, true)?,
            GuardFalse | GuardIsnull => self.guard_bool(op, false)?,
            GuardValue => self.guard_value(op)?,
            GuardClass => self.guard_class(op, false)?,
            GuardNonnullClass => self.guard_class(op, true)?,
            GuardNoOverflow => self.guard_overflow(op, false)?,
            GuardOverflow => self.guard_overflow(op, true)?,
            GuardNoException => self.guard_flag_word(op, self.ctx.exc_slot)?,
            GuardNotInvalidated => self.guard_flag_word(op, self.ctx.inval_flag)?,
            // `--jit verify` only: a marker for the verifier's shadow run;
            // compiled code never leaves here.
            GuardVerify => {}
            // Never fails in this backend (llgraph does the same): forcing
            // is the call_may_force/force_token issue.
            GuardNotForced => self.guard_flag_word(op, self.ctx.forced_slot)?,

            GetfieldGcI | GetfieldGcR | GetfieldGcF | GetfieldGcPureI | GetfieldGcPureR
            | GetfieldGcPureF | GetfieldRawI | GetfieldRawF => self.getfield(op)?,
            SetfieldGc | SetfieldRaw => self.setfield(op)?,
            GetarrayitemGcI | GetarrayitemGcR | GetarrayitemGcF => self.getarrayitem(op)?,
            SetarrayitemGc => self.setarrayitem(op)?,
            ArraylenGc => self.arraylen(op)?,
            New | NewWithVtable => {
                let d = op
                    .descr
                    .and_then(|d| d.as_size())
                    .ok_or_else(|| CompileError("new needs a size descr".into()))?;
                if self.ctx.inline_alloc {
                    if !self.merged_alloc(index, op)? {
                        self.inline_new(op, d)?
                    }
                } else {
                    let args = [(Operand::ConstInt(d as *const _ as i64), false)];
                    self.call(runtime::new_struct as *const () as usize, &args, op.res)?
                }
            }
            NewArray | NewArrayClear => {
                let d = self.array(op)?;
                let len = self.arg(op, 0)?;
                if self.ctx.inline_alloc {
                    if !self.merged_alloc(index, op)? {
                        self.inline_new_array(op, d, len)?
                    }
                } else {
                    let args = [
                        (Operand::ConstInt(d as *const _ as i64), false),
                        (len, false),
                    ];
                    self.call(runtime::new_array as *const () as usize, &args, op.res)?
                }
            }
            QuasiimmutField | DebugMergePoint => {}
            CallI | CallR | CallF | CallN | CallPureI | CallPureR | CallPureF | CallPureN
            | CallMayForceI | CallMayForceR | CallMayForceF | CallMayForceN => {
                self.residual_call(op)?
            }
            CallAssemblerI | CallAssemblerR | CallAssemblerF | CallAssemblerN => {
                self.call_assembler(op)?
            }
            EscapeN => {}
            ForceToken => {
                let v = self.res(op)?;
                let r = self.ra.result_reg(&mut self.a, v, None);
                emit::mov(&mut self.a, r, Loc::Imm(0));
            }
            Label => self.label(index, op)?,
            Jump => self.jump(op)?,
            Finish => self.finish_op(op)?,
        }
        if op.opnum.is_ovf() {
            self.after_ovf(index);
        }
        Ok(())
    }
}
