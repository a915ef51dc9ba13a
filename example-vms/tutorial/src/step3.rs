//! Step 3 of the tutorial: a heap object described with `gc_struct!`, and
//! the three hints that make interpreters fast — `promote`, elidable calls
//! and quasi-immutable fields.
//!
//! Owns: the [`Settings`] object (one `scale` field, quasi-immutable), the
//! elidable `fib` helper, the step-3 frame (registers plus a reference to
//! the settings) and [`run`]. Everything from step 2 stays as it was; the
//! new instructions are `scale`, `setscale`, `promote` and `fib`.

use crate::parse::{Instr, Program};
use crate::step2::{take_output, PRINT};
use metatrace::heap::GcRef;
use metatrace::ir::EffectInfo;
use metatrace::{Ctx, Interp, Jit, JitDriver, MapReds, Repr, Step, Val};

metatrace::gc_struct! {
    /// The program's settings, a guest heap object. `gc_struct!` makes the
    /// `#[repr(C)]` struct with its GC header, and a module `settings`
    /// with the size descriptor (`settings::SIZE`, for `new`) and one field
    /// descriptor per field (`settings::scale`).
    pub struct Settings as settings {
        /// Read far more often than written: quasi-immutable. A trace
        /// reads it as a constant (under `guard_not_invalidated`), and
        /// writing it invalidates the loops that did.
        #[quasi_immutable]
        scale: i64,
    }
}

/// `fib(n)` (n clamped to 0..=90). Pure, so declared `ELIDABLE`: with a
/// constant argument the trace folds the call to its result.
extern "C" fn calc_fib(n: i64) -> i64 {
    let (mut a, mut b) = (0i64, 1i64);
    for _ in 0..n.clamp(0, 90) {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}
metatrace::residual!(static FIB = fn calc_fib(n: i64) -> i64, EffectInfo::ELIDABLE);

/// The step-3 reds: the registers and the settings object. A reference in
/// the reds is a GC root for as long as the frame lives.
pub struct Frame<R: Repr> {
    pub regs: Vec<R::Int>,
    pub settings: R::Ref,
}

/// The step-3 interpreter.
pub struct Calc {
    pub program: Program,
}

impl Interp for Calc {
    type Greens = usize;
    type Frame<R: Repr> = Frame<R>;
    type Ret<R: Repr> = ();

    fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
        Frame {
            regs: f.regs.iter().map(|&v| m.int(v)).collect(),
            settings: m.gcref(f.settings),
        }
    }
    fn map_ret<A: Repr, B: Repr>(_: &(), _: &mut impl MapReds<A, B>) {}

    fn printable_location(&self, pc: &usize) -> String {
        self.program.location(*pc)
    }

    fn step<C: Jit<Self>>(&mut self, ctx: &mut C, pc: &mut usize, f: &mut Frame<C::R>) -> Step<()> {
        let Some(&instr) = self.program.code.get(*pc) else {
            return Step::Return(());
        };
        *pc += 1;
        let r = &mut f.regs;
        match instr {
            // ---- as in step 2 ----
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
                if ctx.is_true(r[c]) {
                    return jump(pc, target);
                }
            }
            Instr::Jmp(target) => return jump(pc, target),
            Instr::Print(s) => {
                ctx.call(&PRINT, &[Val::Int(r[s])]);
            }
            // ---- new in step 3 ----
            Instr::Scale(d, s) => {
                let obj = constant_settings(ctx, f.settings);
                let k = ctx.getfield_i(obj, &settings::scale);
                f.regs[d] = ctx.int_mul(f.regs[s], k);
            }
            Instr::SetScale(s) => {
                let obj = constant_settings(ctx, f.settings);
                ctx.setfield_i(obj, &settings::scale, f.regs[s]);
            }
            Instr::Promote(x) => {
                // red -> green: guard_value, then a constant.
                let v = ctx.promote_int(r[x]);
                r[x] = ctx.const_int(v);
            }
            Instr::Fib(d, s) => r[d] = ctx.call(&FIB, &[Val::Int(r[s])]).int(),
        }
        Step::Next
    }
}

/// The settings object as a trace constant: `promote` the reference (one
/// `guard_value` per loop, which the optimizer proves once), so that the
/// quasi-immutable read folds to the field's current value.
fn constant_settings<C: Ctx>(ctx: &mut C, obj: C::Ref) -> C::Ref {
    let obj = ctx.promote_ref(obj);
    ctx.const_ref(obj)
}

fn jump(pc: &mut usize, target: usize) -> Step<()> {
    let backward = target < *pc;
    *pc = target;
    if backward {
        Step::CanEnterJit
    } else {
        Step::Next
    }
}

/// Allocates the settings object (scale 1) in the guest heap.
pub fn new_settings() -> GcRef {
    let obj = metatrace::heap::new_struct(&settings::SIZE);
    metatrace::heap::setfield(obj, &settings::scale, 1);
    obj
}

/// Runs `program` with `driver` and returns what it printed.
pub fn run(driver: &mut JitDriver<Calc>, program: Program) -> String {
    let regs = vec![0; program.regs.len()];
    let settings = new_settings();
    let mut vm = Calc { program };
    driver.run(&mut vm, 0, Frame { regs, settings });
    take_output()
}
