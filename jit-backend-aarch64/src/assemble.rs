//! The code generator: one pass over a trace, op by op, driving the
//! register allocator and emitting AArch64 with dynasm.
//!
//! Owns: the instruction selection for every IR op (`Gen::op`), the loop
//! prologue / bridge entry, label and jump handling, and the layout of a
//! trace's code: body, then out-of-line allocation slow paths and guard
//! exit stubs, then the exit epilogue. The result (`Assembled`) is
//! position-independent bytes plus the offsets and metadata `lib.rs`
//! needs to install it.
//!
//! Semantics follow `metatrace::backend::llgraph` exactly. Where AArch64
//! differs from x86-64 in a way that matters, it is commented where it is
//! emitted: `sdiv` never traps (a zero divisor gives 0, `MIN / -1` wraps —
//! llgraph's rules, so no peeling), `fcvtzs` saturates like Rust's `as`,
//! multiplication overflow is `smulh` against the sign of the low half
//! (`NE`, not `VS`), and `fcmp`'s unordered result (NZCV = 0011) makes
//! `mi`/`ls`/`gt`/`ge`/`eq` false and `ne` true on NaN, which is exactly
//! IEEE's answer for `<`, `<=`, `>`, `>=`, `==`, `!=`.
//!
//! Scratch registers: x17 holds short-lived op temporaries (and constant
//! operands), x16 belongs to `emit::mov` (memory/constant staging), x15 to
//! address computation; d30/d31 to float operands. None of them is ever
//! allocated. Operands that live in spill slots are loaded into a scratch
//! register at their use (AArch64 has no memory operands), which is what
//! x86-64's `op r, [rbp - k]` does inside the core.

use crate::emit::{self, Asm, Cond, Loc, Mem};
use crate::frame::{self, BUF_PTR, FP_SCRATCH, FP_SCRATCH2, OVF_FLAG, SAVED_AREA, X15, X16, X17};
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
    /// Frame depth below `x29` in bytes this trace needs (`frame::frame_size`
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
    /// Exit when the register is zero / non-zero (`cbz` / `cbnz`).
    Zero(u8),
    Nonzero(u8),
    Always,
    Never,
}

/// Two-operand integer ops.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Alu {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Mul,
    AddOvf,
    SubOvf,
    MulOvf,
}

#[derive(Clone, Copy)]
enum Fpu {
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
    /// `movz x16, #depth` sites (patched once the slot count is known) and
    /// the minimum depth each needs.
    frame_patches: Vec<(usize, u32)>,
    local_labels: HashMap<TargetToken, (DynamicLabel, Vec<Loc>)>,
    out: Assembled,
    /// Condition left in the flags by a fused comparison (op i) for the
    /// guard at op i + 1: the comparison is *true* when it holds.
    pending_cond: Option<Cond>,
    /// The previous op was an `*_ovf` whose overflow condition is still in
    /// the flags (`VS` after `adds`/`subs`, `NE` after the `smulh` check).
    ovf_cond: Option<Cond>,
}

mod alloc;
mod calls;

/// `movz x16, #imm16` (the immediate patched later).
const MOVZ_X16: u32 = 0xd280_0000 | 16;
/// `sub sp, x29, x16, uxtx` (extended-register form: register 31 is sp).
const SUB_SP_FP_X16: u32 = 0xcb30_63bf;

/// `sub sp, sp, x16, uxtx` / `add sp, sp, x16, uxtx`.
const SUB_SP_SP_X16: u32 = 0xcb30_63ff;
const ADD_SP_SP_X16: u32 = 0x8b30_63ff;

fn word(a: &mut Asm, w: u32) {
    a.extend(w.to_le_bytes());
}

/// `sp -= bytes` (16-byte multiple).
pub(crate) fn sp_sub(a: &mut Asm, bytes: u32) {
    if bytes < 4096 {
        dynasm!(a ; .arch aarch64 ; sub sp, sp, bytes);
    } else {
        emit::mov_imm(a, X16, u64::from(bytes));
        word(a, SUB_SP_SP_X16);
    }
}

/// `sp += bytes`.
pub(crate) fn sp_add(a: &mut Asm, bytes: u32) {
    if bytes < 4096 {
        dynasm!(a ; .arch aarch64 ; add sp, sp, bytes);
    } else {
        emit::mov_imm(a, X16, u64::from(bytes));
        word(a, ADD_SP_SP_X16);
    }
}

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
        ovf_cond: None,
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
        dynasm!(g.a ; .arch aarch64 ; brk 1);
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

    /// `sp = x29 - frame` with the depth patched in once the trace's slot
    /// count is known (at least `min`).
    fn set_sp_frame(&mut self, min: u32) {
        let off = self.a.offset().0;
        word(&mut self.a, MOVZ_X16);
        word(&mut self.a, SUB_SP_FP_X16);
        self.frame_patches.push((off, min));
    }

    /// `sp = x29 - depth` for a depth known now.
    fn set_sp_depth(&mut self, depth: u32) {
        emit::mov_imm(&mut self.a, X16, u64::from(depth));
        word(&mut self.a, SUB_SP_FP_X16);
    }

    fn prologue(&mut self, entry: Entry) {
        self.note(format!("{entry:?} entry"));
        match entry {
            Entry::Loop => {
                // extern "C" fn(buf: *mut u64) -> u32 (see entry.rs).
                dynasm!(self.a
                    ; .arch aarch64
                    ; stp x29, x30, [sp, -16]!
                    ; mov x29, sp
                    ; stp x19, x20, [sp, -16]!
                    ; stp x21, x22, [sp, -16]!
                    ; stp x23, x24, [sp, -16]!
                    ; stp x25, x26, [sp, -16]!
                    ; stp x27, x28, [sp, -16]!
                    ; stp d8, d9, [sp, -16]!
                    ; stp d10, d11, [sp, -16]!
                    ; stp d12, d13, [sp, -16]!
                    ; stp d14, d15, [sp, -16]!
                    ; sub x28, x29, 8, lsl 12
                );
                self.set_sp_frame(0);
                emit::frame_ldst(&mut self.a, Mem::StX, 0, BUF_PTR);
                emit::frame_ldst(&mut self.a, Mem::StX, 31, OVF_FLAG);
                dynasm!(self.a ; .arch aarch64 ; mov X(X17), x0);
            }
            Entry::Bridge => {
                self.set_sp_frame(0);
                emit::frame_ldst(&mut self.a, Mem::LdX, X17, BUF_PTR);
            }
        }
        let inputargs = self.trace.inputargs.clone();
        self.ra.set_pos(0);
        self.ra.place_inputargs(&mut self.a, &inputargs, X17);
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
            ; .arch aarch64
            ; =>exit
            ; sub sp, x29, SAVED_AREA
            ; ldp d14, d15, [sp], 16
            ; ldp d12, d13, [sp], 16
            ; ldp d10, d11, [sp], 16
            ; ldp d8, d9, [sp], 16
            ; ldp x27, x28, [sp], 16
            ; ldp x25, x26, [sp], 16
            ; ldp x23, x24, [sp], 16
            ; ldp x21, x22, [sp], 16
            ; ldp x19, x20, [sp], 16
            ; ldp x29, x30, [sp], 16
            ; ret
        );
        let mut bytes = self
            .a
            .finalize()
            .map_err(|e| CompileError(format!("dynasm: {e}")))?;
        let frame = frame::frame_size(self.ra.nslots);
        for (off, min) in &self.frame_patches {
            let depth = frame.max(*min);
            if depth > 0xffff {
                return err(format!("frame of {depth} bytes is too deep"));
            }
            let w = MOVZ_X16 | (depth << 5);
            bytes[*off..*off + 4].copy_from_slice(&w.to_le_bytes());
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

    fn fp_of(l: Loc) -> u8 {
        match l {
            Loc::Fp(x) => x,
            other => panic!("expected a float register, got {other:?}"),
        }
    }

    /// A general register holding the value at `l`: its own, or `scratch`
    /// loaded from a slot, a constant or a float register.
    fn gpr(&mut self, l: Loc, scratch: u8) -> u8 {
        match l {
            Loc::Gp(r) => r,
            Loc::Imm(0) => 31, // xzr, where the operand position allows it
            other => {
                emit::mov(&mut self.a, Loc::Gp(scratch), other);
                scratch
            }
        }
    }

    /// Like `gpr`, but never xzr (for positions where 31 means sp).
    fn gpr_nz(&mut self, l: Loc, scratch: u8) -> u8 {
        match l {
            Loc::Gp(r) => r,
            other => {
                emit::mov(&mut self.a, Loc::Gp(scratch), other);
                scratch
            }
        }
    }

    /// A float register holding the value at `l` (`scratch` if needed).
    fn fpr(&mut self, l: Loc, scratch: u8) -> u8 {
        match l {
            Loc::Fp(x) => x,
            other => {
                emit::mov(&mut self.a, Loc::Fp(scratch), other);
                scratch
            }
        }
    }

    // ---------------------------------------------------------------
    // Integer helpers

    /// `r = x op y`.
    fn int_binop(&mut self, op: &Op, alu: Alu) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (mut x, mut y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        if op.opnum.is_commutative() && x.is_const() && !y.is_const() {
            std::mem::swap(&mut x, &mut y);
        }
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let xr = self.gpr(xl, X17);
        // add/sub with a 12-bit immediate (either sign) skip the scratch.
        if let (Alu::Add | Alu::Sub | Alu::AddOvf | Alu::SubOvf, Loc::Imm(c)) = (alu, yl) {
            let c = c as i64;
            let neg = matches!(alu, Alu::Sub | Alu::SubOvf);
            let k = if neg { c.wrapping_neg() } else { c };
            // Now r = x + k.
            if xr != 31 && (-4095..=4095).contains(&k) {
                let u = k.unsigned_abs() as u32;
                let flags = matches!(alu, Alu::AddOvf | Alu::SubOvf);
                let a = &mut self.a;
                match (k >= 0, flags) {
                    (true, false) => dynasm!(a ; .arch aarch64 ; add XSP(r), XSP(xr), u),
                    (false, false) => dynasm!(a ; .arch aarch64 ; sub XSP(r), XSP(xr), u),
                    (true, true) => dynasm!(a ; .arch aarch64 ; adds X(r), XSP(xr), u),
                    (false, true) => dynasm!(a ; .arch aarch64 ; subs X(r), XSP(xr), u),
                }
                return Ok(());
            }
        }
        let yr = self.gpr(yl, X16);
        let a = &mut self.a;
        match alu {
            Alu::Add => dynasm!(a ; .arch aarch64 ; add X(r), X(xr), X(yr)),
            Alu::Sub => dynasm!(a ; .arch aarch64 ; sub X(r), X(xr), X(yr)),
            Alu::And => dynasm!(a ; .arch aarch64 ; and X(r), X(xr), X(yr)),
            Alu::Or => dynasm!(a ; .arch aarch64 ; orr X(r), X(xr), X(yr)),
            Alu::Xor => dynasm!(a ; .arch aarch64 ; eor X(r), X(xr), X(yr)),
            Alu::Mul => dynasm!(a ; .arch aarch64 ; mul X(r), X(xr), X(yr)),
            Alu::AddOvf => dynasm!(a ; .arch aarch64 ; adds X(r), X(xr), X(yr)),
            Alu::SubOvf => dynasm!(a ; .arch aarch64 ; subs X(r), X(xr), X(yr)),
            // The product fits in 64 bits iff its high half is the sign
            // extension of the low half. The high half is computed first:
            // r may be x's or y's register.
            Alu::MulOvf => dynasm!(a
                ; .arch aarch64
                ; smulh X(X15), X(xr), X(yr)
                ; mul X(r), X(xr), X(yr)
                ; cmp X(X15), X(r), asr 63
            ),
        }
        Ok(())
    }

    /// Sets the flags for comparing the raw words `x` and `y` (`x - y`).
    /// Returns true when the operands had to be swapped.
    fn cmp_words(&mut self, x: Loc, y: Loc) -> bool {
        let (x, y, swapped) = match (x, y) {
            (Loc::Imm(_), y) if !matches!(y, Loc::Imm(_)) => (y, x, true),
            _ => (x, y, false),
        };
        let xr = self.gpr_nz(x, X17);
        if let Loc::Imm(c) = y {
            let c = c as i64;
            if (0..4096).contains(&c) {
                let u = c as u32;
                dynasm!(self.a ; .arch aarch64 ; cmp XSP(xr), u);
                return swapped;
            }
            if (-4095..0).contains(&c) {
                let u = (-c) as u32;
                dynasm!(self.a ; .arch aarch64 ; cmn XSP(xr), u);
                return swapped;
            }
        }
        let yr = self.gpr(y, X16);
        dynasm!(self.a ; .arch aarch64 ; cmp X(xr), X(yr));
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

    /// Shifts: the hardware masks the count to 6 bits, as llgraph does.
    fn shift(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let xr = self.gpr(xl, X17);
        if let Loc::Imm(c) = yl {
            let c = (c & 63) as u32;
            let a = &mut self.a;
            match op.opnum {
                OpNum::IntLshift => dynasm!(a ; .arch aarch64 ; lsl X(r), X(xr), c),
                OpNum::IntRshift => dynasm!(a ; .arch aarch64 ; asr X(r), X(xr), c),
                _ => dynasm!(a ; .arch aarch64 ; lsr X(r), X(xr), c),
            }
            return Ok(());
        }
        let yr = self.gpr(yl, X16);
        let a = &mut self.a;
        match op.opnum {
            OpNum::IntLshift => dynasm!(a ; .arch aarch64 ; lslv X(r), X(xr), X(yr)),
            OpNum::IntRshift => dynasm!(a ; .arch aarch64 ; asrv X(r), X(xr), X(yr)),
            _ => dynasm!(a ; .arch aarch64 ; lsrv X(r), X(xr), X(yr)),
        }
        Ok(())
    }

    /// `int_floordiv` / `int_mod`: C truncation, total like llgraph. `sdiv`
    /// already gives 0 for a zero divisor and wraps `MIN / -1`; the
    /// remainder `x - (x / y) * y` is then `x` for y = 0, so `int_mod`
    /// selects 0 there.
    fn divmod(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        let xr = self.gpr(xl, X17);
        let yr = self.gpr(yl, X16);
        let a = &mut self.a;
        if op.opnum == OpNum::IntFloorDiv {
            dynasm!(a ; .arch aarch64 ; sdiv X(r), X(xr), X(yr));
        } else {
            dynasm!(a
                ; .arch aarch64
                ; sdiv X(X15), X(xr), X(yr)
                ; msub X(r), X(X15), X(yr), X(xr)
                ; cmp X(yr), xzr
                ; csel X(r), xzr, X(r), eq
            );
        }
        Ok(())
    }

    fn int_unary(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let xr = self.gpr(xl, X17);
        let a = &mut self.a;
        match op.opnum {
            OpNum::IntNeg => dynasm!(a ; .arch aarch64 ; neg X(r), X(xr)),
            _ => dynasm!(a ; .arch aarch64 ; mvn X(r), X(xr)),
        }
        Ok(())
    }

    /// The overflow condition of an `*_ovf` op: left in the flags for an
    /// immediately following overflow guard, otherwise saved to the frame
    /// word that a later guard (or a bridge) reads.
    fn after_ovf(&mut self, index: usize, cond: Cond) {
        let next = self.trace.ops.get(index + 1).map(|o| o.opnum);
        if matches!(next, Some(OpNum::GuardNoOverflow | OpNum::GuardOverflow)) {
            self.ovf_cond = Some(cond);
        } else {
            emit::set_bool(&mut self.a, cond, X16);
            emit::frame_ldst(&mut self.a, Mem::StX, X16, OVF_FLAG);
        }
    }

    // ---------------------------------------------------------------
    // Float helpers

    fn float_binop(&mut self, op: &Op, f: Fpu) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let r = Self::fp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let xr = self.fpr(xl, FP_SCRATCH2);
        let yr = self.fpr(yl, FP_SCRATCH);
        let a = &mut self.a;
        match f {
            Fpu::Add => dynasm!(a ; .arch aarch64 ; fadd D(r), D(xr), D(yr)),
            Fpu::Sub => dynasm!(a ; .arch aarch64 ; fsub D(r), D(xr), D(yr)),
            Fpu::Mul => dynasm!(a ; .arch aarch64 ; fmul D(r), D(xr), D(yr)),
            Fpu::Div => dynasm!(a ; .arch aarch64 ; fdiv D(r), D(xr), D(yr)),
        }
        Ok(())
    }

    /// `float_neg` / `float_abs`: `fneg`/`fabs` only touch the sign bit
    /// (exact for NaN, infinities and -0.0).
    fn float_sign(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::fp_of(self.ra.result_reg(&mut self.a, v, Some(&x)));
        let xr = self.fpr(xl, FP_SCRATCH);
        if op.opnum == OpNum::FloatNeg {
            dynasm!(self.a ; .arch aarch64 ; fneg D(r), D(xr));
        } else {
            dynasm!(self.a ; .arch aarch64 ; fabs D(r), D(xr));
        }
        Ok(())
    }

    fn float_cmp(&mut self, index: usize, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let (x, y) = (self.arg(op, 0)?, self.arg(op, 1)?);
        let cond = match op.opnum {
            OpNum::FloatLt => Cond::Mi,
            OpNum::FloatLe => Cond::Ls,
            OpNum::FloatGt => Cond::Gt,
            OpNum::FloatGe => Cond::Ge,
            OpNum::FloatEq => Cond::Eq,
            _ => Cond::Ne,
        };
        self.ra.lock(&x);
        self.ra.lock(&y);
        let xl = self.ra.loc(&x);
        let yl = self.ra.loc(&y);
        let fused = self.ra.live.fused[index];
        let r = if fused {
            None
        } else {
            Some(Self::gp_of(self.ra.result_reg(&mut self.a, v, None)))
        };
        let xr = self.fpr(xl, FP_SCRATCH2);
        let yr = self.fpr(yl, FP_SCRATCH);
        dynasm!(self.a ; .arch aarch64 ; fcmp D(xr), D(yr));
        match r {
            None => self.pending_cond = Some(cond),
            Some(r) => emit::set_bool(&mut self.a, cond, r),
        }
        Ok(())
    }

    /// `cast_float_to_int`: `fcvtzs` truncates and saturates, NaN → 0 —
    /// exactly Rust's `as i64`.
    fn float_to_int(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        let xr = self.fpr(xl, FP_SCRATCH);
        dynasm!(self.a ; .arch aarch64 ; fcvtzs X(r), D(xr));
        Ok(())
    }

    fn int_to_float(&mut self, op: &Op) -> Result<(), CompileError> {
        let v = self.res(op)?;
        let x = self.arg(op, 0)?;
        self.ra.lock(&x);
        let xl = self.ra.loc(&x);
        let r = Self::fp_of(self.ra.result_reg(&mut self.a, v, None));
        let xr = self.gpr(xl, X17);
        dynasm!(self.a ; .arch aarch64 ; scvtf D(r), X(xr));
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
            Fail::If(c) => emit::bcond(&mut self.a, c, label),
            Fail::Zero(r) => dynasm!(self.a ; .arch aarch64 ; cbz X(r), =>label),
            Fail::Nonzero(r) => dynasm!(self.a ; .arch aarch64 ; cbnz X(r), =>label),
            Fail::Always => dynasm!(self.a ; .arch aarch64 ; b =>label),
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
        let r = self.gpr_nz(xl, X17);
        let fail = if want_true {
            Fail::Zero(r)
        } else {
            Fail::Nonzero(r)
        };
        self.guard_exit(op, fail)
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
        let ol = self.ra.loc(&obj);
        let cl = self.ra.loc(&cls);
        let b = self.gpr_nz(ol, X17);
        let null_exit = if nonnull {
            let l = self.a.new_dynamic_label();
            dynasm!(self.a ; .arch aarch64 ; cbz X(b), =>l);
            Some(l)
        } else {
            None
        };
        let fail = match cl {
            Loc::Imm(t) if t <= u32::MAX as u64 => {
                emit::ldst(&mut self.a, Mem::LdW, X16, b, 0);
                if t < 4096 {
                    let t = t as u32;
                    dynasm!(self.a ; .arch aarch64 ; cmp XSP(X16), t);
                } else {
                    emit::mov_imm(&mut self.a, X15, t);
                    dynasm!(self.a ; .arch aarch64 ; cmp X(X16), X(X15));
                }
                Fail::If(Cond::Ne)
            }
            // A constant wider than 32 bits: no type id can equal it.
            Loc::Imm(_) => Fail::Always,
            other => {
                let c = self.gpr_nz(other, X15);
                emit::ldst(&mut self.a, Mem::LdW, X16, b, 0);
                dynasm!(self.a ; .arch aarch64 ; cmp X(X16), X(c));
                Fail::If(Cond::Ne)
            }
        };
        self.guard_exit(op, fail)?;
        if let Some(l) = null_exit {
            // Null takes the same exit stub (same register state).
            let stub = self.stubs.last().unwrap().label;
            dynasm!(self.a ; .arch aarch64 ; b >skip ; =>l ; b =>stub ; skip:);
        }
        Ok(())
    }

    fn guard_flag_word(&mut self, op: &Op, addr: usize) -> Result<(), CompileError> {
        emit::mov_imm(&mut self.a, X17, addr as u64);
        dynasm!(self.a ; .arch aarch64 ; ldr X(X17), [X(X17)]);
        self.guard_exit(op, Fail::Nonzero(X17))
    }

    fn guard_overflow(&mut self, op: &Op, want_ovf: bool) -> Result<(), CompileError> {
        if let Some(c) = self.ovf_cond.take() {
            let fail = if want_ovf { c.negate() } else { c };
            return self.guard_exit(op, Fail::If(fail));
        }
        emit::frame_ldst(&mut self.a, Mem::LdX, X16, OVF_FLAG);
        let fail = if want_ovf {
            Fail::Zero(X16)
        } else {
            Fail::Nonzero(X16)
        };
        self.guard_exit(op, fail)
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

    /// `dst <- [base + disp]`, `size` bytes, sign- or zero-extended.
    fn load_sized(&mut self, dst: Loc, base: u8, disp: i64, size: u8, signed: bool) {
        let a = &mut self.a;
        match dst {
            Loc::Fp(x) if size == 8 => emit::ldst(a, Mem::LdD, x, base, disp),
            Loc::Fp(x) => {
                emit::ldst(a, Mem::load(size, signed), X16, base, disp);
                dynasm!(a ; .arch aarch64 ; fmov D(x), X(X16));
            }
            Loc::Gp(r) => emit::ldst(a, Mem::load(size, signed), r, base, disp),
            _ => unreachable!(),
        }
    }

    /// `[base + disp] <- low size bytes of src`. `base` is never x16.
    fn store_sized(&mut self, base: u8, disp: i64, size: u8, src: Loc) {
        let a = &mut self.a;
        match src {
            Loc::Fp(x) if size == 8 => emit::ldst(a, Mem::StD, x, base, disp),
            Loc::Gp(s) => emit::ldst(a, Mem::store(size), s, base, disp),
            Loc::Imm(0) => emit::ldst(a, Mem::store(size), 31, base, disp),
            other => {
                emit::mov(a, Loc::Gp(X16), other);
                emit::ldst(a, Mem::store(size), X16, base, disp);
            }
        }
    }

    fn getfield(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.field(op)?;
        let v = self.res(op)?;
        let obj = self.arg(op, 0)?;
        self.ra.lock(&obj);
        let ol = self.ra.loc(&obj);
        let r = self.ra.result_reg(&mut self.a, v, Some(&obj));
        let b = self.gpr_nz(ol, X17);
        self.load_sized(r, b, d.offset as i64, d.size, d.signed);
        Ok(())
    }

    fn setfield(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.field(op)?;
        let (obj, val) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&obj);
        self.ra.lock(&val);
        let ol = self.ra.loc(&obj);
        let vl = self.ra.loc(&val);
        let b = self.gpr_nz(ol, X17);
        self.store_sized(b, d.offset as i64, d.size, vl);
        Ok(())
    }

    /// Address of item `index` as (base register, displacement); may use
    /// x15 (never x16, which carries a stored value).
    fn item_addr(&mut self, b: u8, il: Loc, d: &ArrayDescr) -> Result<(u8, i64), CompileError> {
        let size = d.item_size as i64;
        let base_off = d.base_offset as i64;
        if let Loc::Imm(i) = il {
            let off = (i as i64).wrapping_mul(size).wrapping_add(base_off);
            return Ok((b, off));
        }
        if !matches!(size, 1 | 2 | 4 | 8) {
            return err(format!("array item size {size}"));
        }
        let sh = size.trailing_zeros();
        let ix = match il {
            Loc::Gp(r) => r,
            other => {
                emit::mov(&mut self.a, Loc::Gp(X15), other);
                X15
            }
        };
        dynasm!(self.a ; .arch aarch64 ; add X(X15), X(b), X(ix), lsl sh);
        if !(0..4096).contains(&base_off) {
            return err(format!("array base offset {base_off}"));
        }
        Ok((X15, base_off))
    }

    fn getarrayitem(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.array(op)?;
        let v = self.res(op)?;
        let (arr, index) = (self.arg(op, 0)?, self.arg(op, 1)?);
        self.ra.lock(&arr);
        self.ra.lock(&index);
        let al = self.ra.loc(&arr);
        let il = self.ra.loc(&index);
        let r = self.ra.result_reg(&mut self.a, v, Some(&arr));
        let b = self.gpr_nz(al, X17);
        // The result register may be the array's (dying) register: the
        // address is computed first, it only reads `b`.
        let (base, disp) = self.item_addr(b, il, d)?;
        if base == X15 && !(0..4096 * i64::from(d.item_size)).contains(&disp) {
            return err("array base offset out of range");
        }
        self.load_sized(r, base, disp, d.item_size, d.signed);
        Ok(())
    }

    fn setarrayitem(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.array(op)?;
        let (arr, index, val) = (self.arg(op, 0)?, self.arg(op, 1)?, self.arg(op, 2)?);
        self.ra.lock(&arr);
        self.ra.lock(&index);
        self.ra.lock(&val);
        let al = self.ra.loc(&arr);
        let il = self.ra.loc(&index);
        let vl = self.ra.loc(&val);
        let b = self.gpr_nz(al, X17);
        let (base, disp) = self.item_addr(b, il, d)?;
        self.store_sized(base, disp, d.item_size, vl);
        Ok(())
    }

    fn arraylen(&mut self, op: &Op) -> Result<(), CompileError> {
        let d = self.array(op)?;
        let v = self.res(op)?;
        let arr = self.arg(op, 0)?;
        self.ra.lock(&arr);
        let al = self.ra.loc(&arr);
        let r = self.ra.result_reg(&mut self.a, v, Some(&arr));
        let b = self.gpr_nz(al, X17);
        self.load_sized(r, b, d.len_offset as i64, 8, true);
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
        dynasm!(self.a ; .arch aarch64 ; =>l);
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
            dynasm!(self.a ; .arch aarch64 ; b =>l);
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
        // The target's slots may lie below our sp: grow the frame to cover
        // both before writing them (a signal may clobber below sp).
        self.set_sp_frame(t.frame);
        let moves: Vec<(Loc, Loc)> = t.locs.iter().copied().zip(srcs).collect();
        emit::parallel_move(&mut self.a, &moves);
        self.set_sp_depth(t.frame);
        emit::mov_imm(&mut self.a, X17, t.addr as u64);
        dynasm!(self.a ; .arch aarch64 ; br X(X17));
        Ok(())
    }

    fn finish_op(&mut self, op: &Op) -> Result<(), CompileError> {
        let id = op
            .guard_id()
            .ok_or_else(|| CompileError("finish without descr".into()))?;
        let locs: Vec<Loc> = op.args.iter().map(|o| self.ra.loc(o)).collect();
        emit::frame_ldst(&mut self.a, Mem::LdX, X17, BUF_PTR);
        for (i, l) in locs.iter().enumerate() {
            emit::store_to(&mut self.a, X17, 8 * i as i32, *l);
        }
        emit::mov_imm(&mut self.a, 0, u64::from(id.0));
        let exit = self.exit;
        dynasm!(self.a ; .arch aarch64 ; b =>exit);
        self.out.finishes.push((id, locs.len()));
        self.out.max_words = self.out.max_words.max(locs.len());
        Ok(())
    }

    // ---------------------------------------------------------------

    fn op(&mut self, index: usize, op: &Op) -> Result<(), CompileError> {
        use OpNum::*;
        match op.opnum {
            IntAdd => self.int_binop(op, Alu::Add)?,
            IntAddOvf => self.int_binop(op, Alu::AddOvf)?,
            IntSub => self.int_binop(op, Alu::Sub)?,
            IntSubOvf => self.int_binop(op, Alu::SubOvf)?,
            IntMul => self.int_binop(op, Alu::Mul)?,
            IntMulOvf => self.int_binop(op, Alu::MulOvf)?,
            IntAnd => self.int_binop(op, Alu::And)?,
            IntOr => self.int_binop(op, Alu::Or)?,
            IntXor => self.int_binop(op, Alu::Xor)?,
            IntFloorDiv | IntMod => self.divmod(op)?,
            IntLshift | IntRshift | UintRshift => self.shift(op)?,
            IntNeg | IntInvert => self.int_unary(op)?,
            IntLt | IntLe | IntEq | IntNe | IntGt | IntGe | UintLt | UintLe | UintGt | UintGe
            | IntIsTrue | IntIsZero | PtrEq | PtrNe => {
                let cond = match op.opnum {
                    IntLt => Cond::Lt,
                    IntLe => Cond::Le,
                    IntEq | PtrEq | IntIsZero => Cond::Eq,
                    IntNe | PtrNe | IntIsTrue => Cond::Ne,
                    IntGt => Cond::Gt,
                    IntGe => Cond::Ge,
                    UintLt => Cond::Lo,
                    UintLe => Cond::Ls,
                    UintGt => Cond::Hi,
                    _ => Cond::Hs,
                };
                self.int_cmp(index, op, cond)?
            }
            SameAsI | SameAsF | SameAsR | EscapeI | EscapeR | EscapeF => self.copy(op)?,
            FloatAdd => self.float_binop(op, Fpu::Add)?,
            FloatSub => self.float_binop(op, Fpu::Sub)?,
            FloatMul => self.float_binop(op, Fpu::Mul)?,
            FloatTrueDiv => self.float_binop(op, Fpu::Div)?,
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
        match op.opnum {
            IntAddOvf | IntSubOvf => self.after_ovf(index, Cond::Vs),
            IntMulOvf => self.after_ovf(index, Cond::Ne),
            _ => {}
        }
        Ok(())
    }
}
