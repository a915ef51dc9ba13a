//! Step 2 of the tutorial: the same interpreter, written once against the
//! JIT context, so Metatrace can trace it.
//!
//! Owns: the red frame ([`Frame`]), the interpreter ([`Calc`], whose
//! `Interp` impl is all the JIT needs: greens = the pc, reds = the
//! registers, backward jumps = `can_enter_jit`), the `print` residual call
//! and its output buffer, and [`run`].

use crate::parse::{Instr, Program};
use metatrace::ir::EffectInfo;
use metatrace::{Interp, Jit, JitDriver, MapReds, Repr, Step, Val};
use std::cell::RefCell;
use std::io::Write;

/// The reds: the registers. `R::Int` is `i64` when interpreting and a
/// (value, IR operand) pair while tracing.
pub struct Frame<R: Repr> {
    pub regs: Vec<R::Int>,
}

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `print`: an effect, so a residual call — the trace keeps a `call_n`.
extern "C" fn calc_print(v: i64) {
    OUT.with(|o| {
        let _ = writeln!(o.borrow_mut(), "{v}");
    })
}
metatrace::residual!(pub(crate) static PRINT = fn calc_print(v: i64), EffectInfo::RESIDUAL);

/// Takes what the program printed so far (on this thread).
pub fn take_output() -> String {
    OUT.with(|o| String::from_utf8_lossy(&std::mem::take(&mut *o.borrow_mut())).into_owned())
}

/// The interpreter: the program is green (constant while tracing).
pub struct Calc {
    pub program: Program,
}

impl Interp for Calc {
    /// The green key: the pc. A trace is a loop from a pc back to it.
    type Greens = usize;
    type Frame<R: Repr> = Frame<R>;
    /// A run returns nothing (the output goes through `print`).
    type Ret<R: Repr> = ();

    fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
        Frame {
            regs: f.regs.iter().map(|&v| m.int(v)).collect(),
        }
    }
    fn map_ret<A: Repr, B: Repr>(_: &(), _: &mut impl MapReds<A, B>) {}

    fn printable_location(&self, pc: &usize) -> String {
        self.program.location(*pc)
    }

    /// One instruction, called at `jit_merge_point`.
    fn step<C: Jit<Self>>(&mut self, ctx: &mut C, pc: &mut usize, f: &mut Frame<C::R>) -> Step<()> {
        let Some(&instr) = self.program.code.get(*pc) else {
            return Step::Return(());
        };
        *pc += 1;
        let r = &mut f.regs;
        match instr {
            Instr::Set(d, n) => r[d] = ctx.const_int(n),
            Instr::Mov(d, s) => r[d] = r[s],
            Instr::Add(d, s) => r[d] = ctx.int_add(r[d], r[s]),
            Instr::Sub(d, s) => r[d] = ctx.int_sub(r[d], r[s]),
            Instr::Mul(d, s) => r[d] = ctx.int_mul(r[d], r[s]),
            Instr::AddI(d, n) => {
                let n = ctx.const_int(n);
                r[d] = ctx.int_add(r[d], n)
            }
            Instr::Lt(d, a, b) => r[d] = ctx.int_lt(r[a], r[b]),
            Instr::Jnz(c, target) => {
                // A branch on a red value goes through the context: while
                // tracing it records guard_true / guard_false.
                if ctx.is_true(r[c]) {
                    return jump(pc, target);
                }
            }
            Instr::Jmp(target) => return jump(pc, target),
            Instr::Print(s) => {
                ctx.call(&PRINT, &[Val::Int(r[s])]);
            }
            i => unreachable!("{i:?} is rejected before step 3"),
        }
        Step::Next
    }
}

/// Jumps to `target`; a backward jump is RPython's `can_enter_jit`.
fn jump(pc: &mut usize, target: usize) -> Step<()> {
    let backward = target < *pc;
    *pc = target;
    if backward {
        Step::CanEnterJit
    } else {
        Step::Next
    }
}

/// Runs `program` with `driver` and returns what it printed.
pub fn run(driver: &mut JitDriver<Calc>, program: Program) -> String {
    let regs = vec![0; program.regs.len()];
    let mut vm = Calc { program };
    driver.run(&mut vm, 0, Frame { regs });
    take_output()
}
