//! `tvm`: the framework's test VM — a small stack language with boxed
//! ints, objects, calls, recursion and loops (DESIGN §10). Written to hit
//! every JIT hint: guest calls go through `call_portal` (inlined while
//! tracing), boxes are heap objects (allocation removal has work to do),
//! the class version is quasi-immutable, `promote` and an elidable call are
//! instructions. See `asm` for the text form.
//!
//! Owns: the object layout (`IntObj`, `Obj`, `Class`), the interpreter
//! (`Tvm`), output buffering, and `run_source`, the whole pipeline used by
//! the binary and the tests.
#![forbid(unsafe_code)]

/// The backends this VM links (`--jit backend=...` chooses among them).
pub static BACKENDS: &[&metatrace::backend::BackendInfo] =
    &[&metatrace_x86::BACKEND, &metatrace_aarch64::BACKEND];

pub mod asm;

use asm::{Instr, Program};
use metatrace::heap::roots::Handle;
use metatrace::heap::{GcRef, REF_ARRAY};
use metatrace::ir::EffectInfo;
use metatrace::{Ctx, Interp, Jit, JitDriver, MapReds, Repr, Shape, Step, Val};
use std::cell::RefCell;
use std::io::Write;

metatrace::gc_struct! {
    /// A boxed int. Immutable, so reads of `value` are pure.
    pub struct IntObj as int_obj {
        #[immutable]
        value: i64,
    }
}

metatrace::gc_struct! {
    /// An object: its fields live in a `RefArray`.
    pub struct Obj as obj {
        #[immutable]
        fields: GcRef,
    }
}

metatrace::gc_struct! {
    /// The (single) class. Its version is quasi-immutable: loops read it as
    /// a constant and are invalidated when `bumpversion` writes it.
    pub struct Class as class {
        #[quasi_immutable]
        version: i64,
    }
}

metatrace::gc_struct! {
    /// How deep guest calls nest now. A heap cell rather than a Rust
    /// field so that compiled code keeps it exact: calls inlined into a
    /// trace and calls made from compiled code (`call_assembler`) update
    /// it through traced reads and writes (the optimizer folds the pairs
    /// of an inlined call away).
    pub struct DepthCell as depth_cell {
        value: i64,
    }
}

/// Largest length `newarray` accepts.
pub const MAX_NEWARRAY: i64 = 1 << 20;

/// How deep guest calls may nest before `RecursionError`.
pub const MAX_DEPTH: usize = 5000;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

extern "C" fn tvm_print_int(v: i64) {
    OUT.with(|o| {
        let _ = writeln!(o.borrow_mut(), "{v}");
    });
}
extern "C" fn tvm_print_obj(_o: GcRef) {
    OUT.with(|o| o.borrow_mut().extend_from_slice(b"<object>\n"));
}
extern "C" fn tvm_square(v: i64) -> i64 {
    v.wrapping_mul(v).wrapping_add(1)
}

thread_local! {
    /// The error a `fold` callee raised, for the instruction to return.
    static FOLD_ERROR: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// `fold`'s loop: guest calls from a helper. Null (error stashed in
/// `FOLD_ERROR`) when a call fails.
extern "C" fn tvm_fold(callee: i64, n: i64, acc: GcRef) -> GcRef {
    let r = metatrace::guest::reenter::<Tvm, _>(|vm, ctx| {
        let mut acc = acc;
        for i in 0..n {
            acc = match vm.call_func(ctx, callee as usize, vec![acc, boxed(i)]) {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(format!("{e}\n  in fold")),
            };
        }
        Ok(acc)
    });
    let e = match r {
        Some(Ok(v)) => return v,
        Some(Err(e)) => e,
        None => "fold ran without an activation".to_string(),
    };
    FOLD_ERROR.with(|s| *s.borrow_mut() = Some(e));
    GcRef::NULL
}

metatrace::residual!(static PRINT_INT = fn tvm_print_int(v: i64), EffectInfo::RESIDUAL);
metatrace::residual!(static PRINT_OBJ = fn tvm_print_obj(o: GcRef), EffectInfo::RESIDUAL);
metatrace::residual!(static SQUARE = fn tvm_square(v: i64) -> i64, EffectInfo::ELIDABLE);
metatrace::residual!(static FOLD = fn tvm_fold(callee: i64, n: i64, acc: GcRef) -> GcRef, EffectInfo::MAY_FORCE);

/// Takes what the program printed so far.
pub fn take_output() -> Vec<u8> {
    OUT.with(|o| std::mem::take(&mut *o.borrow_mut()))
}

/// The reds of one guest call.
pub struct Frame<R: Repr> {
    pub locals: Vec<R::Ref>,
    pub stack: Vec<R::Ref>,
}

/// The interpreter: the program (green) and its constant objects.
pub struct Tvm {
    pub program: Program,
    /// One preallocated box per `push` instruction, by (func, pc).
    consts: Vec<Vec<GcRef>>,
    zero: GcRef,
    class: GcRef,
    depth: GcRef,
}

type Ret<R> = Result<<R as Repr>::Ref, String>;

fn boxed(v: i64) -> GcRef {
    let o = metatrace::heap::new_struct(&int_obj::SIZE);
    metatrace::heap::setfield(o, &int_obj::value, v as u64);
    o
}

impl Tvm {
    pub fn new(program: Program) -> Tvm {
        // Until the Tvm exists (and `trace_roots` reports its constants),
        // the boxes made so far are held by handles: each allocation may
        // collect.
        let mut pending = Vec::new();
        let mut keep = |r: GcRef| {
            pending.push(Handle::new(r));
            r
        };
        let consts = program
            .funcs
            .iter()
            .map(|f| {
                f.code
                    .iter()
                    .map(|i| {
                        if let Instr::Push(n) = i {
                            keep(boxed(*n))
                        } else {
                            GcRef::NULL
                        }
                    })
                    .collect()
            })
            .collect();
        let class = keep(metatrace::heap::new_struct(&class::SIZE));
        let zero = keep(boxed(0));
        let depth = keep(metatrace::heap::new_struct(&depth_cell::SIZE));
        let tvm = Tvm {
            program,
            consts,
            zero,
            class,
            depth,
        };
        drop(pending);
        tvm
    }

    fn line(&self, f: usize, pc: usize) -> usize {
        self.program.funcs[f].lines.get(pc).copied().unwrap_or(0)
    }

    fn unbox<C: Ctx>(ctx: &mut C, v: C::Ref, what: &str) -> Result<C::Int, String> {
        if ctx.is_null(v) || ctx.class_of(v) != int_obj::SIZE.tid {
            return Err(format!("TypeError: {what} expects an int"));
        }
        Ok(ctx.getfield_i(v, &int_obj::value))
    }

    fn box_int<C: Ctx>(ctx: &mut C, i: C::Int) -> C::Ref {
        let o = ctx.new(&int_obj::SIZE);
        ctx.setfield_i(o, &int_obj::value, i);
        o
    }

    fn object<C: Ctx>(ctx: &mut C, v: C::Ref, i: usize) -> Result<(C::Ref, C::Int), String> {
        if ctx.is_null(v) || ctx.class_of(v) != obj::SIZE.tid {
            return Err("TypeError: field access on a non-object".into());
        }
        let fields = ctx.getfield_r(v, &obj::fields);
        let idx = ctx.const_int(i as i64);
        let len = ctx.arraylen(fields, &REF_ARRAY);
        let inside = ctx.int_lt(idx, len);
        if !ctx.is_true(inside) {
            return Err(format!("AttributeError: object has no field {i}"));
        }
        Ok((fields, idx))
    }

    /// A guest call of `callee` with `args` (depth-checked). The outer
    /// `Err` is an error at the call; the inner one the callee's own,
    /// already located.
    #[allow(clippy::type_complexity)]
    fn call_func<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        callee: usize,
        mut locals: Vec<C::Ref>,
    ) -> Result<Ret<C::R>, String> {
        let zero = ctx.const_ref(self.zero);
        locals.resize(self.program.funcs[callee].locals, zero);
        let cell = ctx.const_ref(self.depth);
        let depth = ctx.getfield_i(cell, &depth_cell::value);
        let max = ctx.const_int(MAX_DEPTH as i64);
        let ok = ctx.int_lt(depth, max);
        if !ctx.is_true(ok) {
            return Err("RecursionError: maximum recursion depth exceeded".into());
        }
        let one = ctx.const_int(1);
        let deeper = ctx.int_add(depth, one);
        ctx.setfield_i(cell, &depth_cell::value, deeper);
        let r = ctx.call_portal(
            self,
            (callee, 0),
            Frame {
                locals,
                stack: Vec::new(),
            },
        );
        ctx.setfield_i(cell, &depth_cell::value, depth);
        Ok(r)
    }

    fn exec<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
    ) -> Result<Step<Ret<C::R>>, String> {
        let (fi, pc) = *g;
        let Some(instr) = self.program.funcs[fi].code.get(pc).cloned() else {
            return Err("fell off the end of the function (missing 'ret')".into());
        };
        g.1 += 1;
        let pop = |s: &mut Vec<C::Ref>| s.pop().ok_or_else(|| "stack underflow".to_string());
        match instr {
            Instr::Push(_) => {
                let c = ctx.const_ref(self.consts[fi][pc]);
                f.stack.push(c)
            }
            Instr::Load(i) => f.stack.push(f.locals[i]),
            Instr::Store(i) => f.locals[i] = pop(&mut f.stack)?,
            Instr::Pop => {
                pop(&mut f.stack)?;
            }
            Instr::Dup => {
                let v = *f.stack.last().ok_or("stack underflow")?;
                f.stack.push(v)
            }
            Instr::Add | Instr::Sub | Instr::Mul => {
                let b = pop(&mut f.stack)?;
                let a = pop(&mut f.stack)?;
                let b = Self::unbox(ctx, b, "arithmetic")?;
                let a = Self::unbox(ctx, a, "arithmetic")?;
                let r = match instr {
                    Instr::Add => ctx.int_add_ovf(a, b),
                    Instr::Sub => ctx.int_sub_ovf(a, b),
                    _ => ctx.int_mul_ovf(a, b),
                };
                let r = r.ok_or("OverflowError: integer overflow")?;
                let o = Self::box_int(ctx, r);
                f.stack.push(o)
            }
            Instr::Lt | Instr::Eq => {
                let b = pop(&mut f.stack)?;
                let a = pop(&mut f.stack)?;
                let b = Self::unbox(ctx, b, "comparison")?;
                let a = Self::unbox(ctx, a, "comparison")?;
                let r = if instr == Instr::Lt {
                    ctx.int_lt(a, b)
                } else {
                    ctx.int_eq(a, b)
                };
                let o = Self::box_int(ctx, r);
                f.stack.push(o)
            }
            Instr::Jump(t) => {
                g.1 = t;
                if t <= pc {
                    return Ok(Step::CanEnterJit);
                }
            }
            Instr::JumpIf(t) | Instr::JumpIfNot(t) => {
                let v = pop(&mut f.stack)?;
                let v = Self::unbox(ctx, v, "a conditional jump")?;
                if ctx.is_true(v) == matches!(instr, Instr::JumpIf(_)) {
                    g.1 = t;
                    if t <= pc {
                        return Ok(Step::CanEnterJit);
                    }
                }
            }
            Instr::Call(callee) => {
                let nargs = self.program.funcs[callee].args;
                if f.stack.len() < nargs {
                    return Err("stack underflow".into());
                }
                let args = f.stack.split_off(f.stack.len() - nargs);
                match self.call_func(ctx, callee, args)? {
                    Ok(v) => f.stack.push(v),
                    // Already located where it was raised.
                    Err(e) => return Ok(Step::Return(Err(e))),
                }
            }
            Instr::Fold(callee) => {
                let n = pop(&mut f.stack)?;
                let n = Self::unbox(ctx, n, "fold")?;
                let acc = pop(&mut f.stack)?;
                let callee = ctx.const_int(callee as i64);
                let r = ctx
                    .call_may_force(self, &FOLD, &[Val::Int(callee), Val::Int(n), Val::Ref(acc)])
                    .gcref();
                if ctx.is_null(r) {
                    let e = FOLD_ERROR.with(|e| e.borrow_mut().take());
                    return Ok(Step::Return(Err(e.unwrap_or_else(|| "fold failed".into()))));
                }
                f.stack.push(r)
            }
            Instr::Ret => return Ok(Step::Return(Ok(pop(&mut f.stack)?))),
            Instr::Print => {
                let v = pop(&mut f.stack)?;
                if !ctx.is_null(v) && ctx.class_of(v) == int_obj::SIZE.tid {
                    let i = ctx.getfield_i(v, &int_obj::value);
                    ctx.call(&PRINT_INT, &[Val::Int(i)]);
                } else {
                    ctx.call(&PRINT_OBJ, &[Val::Ref(v)]);
                }
            }
            Instr::New(n) => {
                let len = ctx.const_int(n as i64);
                let fields = ctx.new_array(&REF_ARRAY, len);
                let zero = ctx.const_ref(self.zero);
                for i in 0..n {
                    let idx = ctx.const_int(i as i64);
                    ctx.setarrayitem_r(fields, &REF_ARRAY, idx, zero);
                }
                let o = ctx.new(&obj::SIZE);
                ctx.setfield_r(o, &obj::fields, fields);
                f.stack.push(o)
            }
            Instr::NewArray => {
                let n = pop(&mut f.stack)?;
                let n = Self::unbox(ctx, n, "newarray")?;
                let lo = ctx.const_int(0);
                let hi = ctx.const_int(MAX_NEWARRAY);
                let above = ctx.int_ge(n, lo);
                let below = ctx.int_le(n, hi);
                if !ctx.is_true(above) || !ctx.is_true(below) {
                    return Err("ValueError: newarray length out of range".into());
                }
                let fields = ctx.new_array(&REF_ARRAY, n);
                let o = ctx.new(&obj::SIZE);
                ctx.setfield_r(o, &obj::fields, fields);
                f.stack.push(o)
            }
            Instr::GetField(i) => {
                let o = pop(&mut f.stack)?;
                let (fields, idx) = Self::object(ctx, o, i)?;
                let v = ctx.getarrayitem_r(fields, &REF_ARRAY, idx);
                f.stack.push(v)
            }
            Instr::SetField(i) => {
                let v = pop(&mut f.stack)?;
                let o = pop(&mut f.stack)?;
                let (fields, idx) = Self::object(ctx, o, i)?;
                ctx.setarrayitem_r(fields, &REF_ARRAY, idx, v)
            }
            Instr::ClassVersion => {
                let cls = ctx.const_ref(self.class);
                let v = ctx.getfield_i(cls, &class::version);
                let o = Self::box_int(ctx, v);
                f.stack.push(o)
            }
            Instr::BumpVersion => {
                let cls = ctx.const_ref(self.class);
                let v = ctx.getfield_i(cls, &class::version);
                let one = ctx.const_int(1);
                let v = ctx.int_add(v, one);
                ctx.setfield_i(cls, &class::version, v)
            }
            Instr::Promote => {
                let v = pop(&mut f.stack)?;
                let v = Self::unbox(ctx, v, "promote")?;
                let n = ctx.promote_int(v);
                let c = ctx.const_int(n);
                let o = Self::box_int(ctx, c);
                f.stack.push(o)
            }
            Instr::PrintAdd => {
                let b = pop(&mut f.stack)?;
                let a = pop(&mut f.stack)?;
                let b = Self::unbox(ctx, b, "printadd")?;
                let a = Self::unbox(ctx, a, "printadd")?;
                ctx.call(&PRINT_INT, &[Val::Int(a)]);
                let r = ctx
                    .int_add_ovf(a, b)
                    .ok_or("OverflowError: integer overflow")?;
                let o = Self::box_int(ctx, r);
                f.stack.push(o)
            }
            Instr::Square => {
                let v = pop(&mut f.stack)?;
                let v = Self::unbox(ctx, v, "square")?;
                let r = ctx.call(&SQUARE, &[Val::Int(v)]).int();
                let o = Self::box_int(ctx, r);
                f.stack.push(o)
            }
        }
        Ok(Step::Next)
    }
}

impl Interp for Tvm {
    /// (function index, pc).
    type Greens = (usize, usize);
    type Frame<R: Repr> = Frame<R>;
    type Ret<R: Repr> = Ret<R>;

    fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
        Frame {
            locals: f.locals.iter().map(|v| m.gcref(*v)).collect(),
            stack: f.stack.iter().map(|v| m.gcref(*v)).collect(),
        }
    }
    fn map_ret<A: Repr, B: Repr>(r: &Ret<A>, m: &mut impl MapReds<A, B>) -> Ret<B> {
        match r {
            Ok(v) => Ok(m.gcref(*v)),
            Err(e) => Err(e.clone()),
        }
    }

    /// `Ok` results all look alike; errors are compared by message.
    fn ret_shape_eq(a: &Ret<Shape>, b: &Ret<Shape>) -> Option<bool> {
        Some(match (a, b) {
            (Ok(()), Ok(())) => true,
            (Err(x), Err(y)) => x == y,
            _ => false,
        })
    }

    fn trace_roots(&self, visit: &mut dyn FnMut(GcRef)) {
        self.consts.iter().flatten().for_each(|r| visit(*r));
        visit(self.zero);
        visit(self.class);
        visit(self.depth);
    }

    fn printable_location(&self, g: &(usize, usize)) -> String {
        let func = &self.program.funcs[g.0];
        match func.code.get(g.1) {
            Some(i) => format!("{}:{} line {} {:?}", func.name, g.1, self.line(g.0, g.1), i),
            None => format!("{}:{} end", func.name, g.1),
        }
    }

    fn step<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
    ) -> Step<Ret<C::R>> {
        let at = *g;
        match self.exec(ctx, g, f) {
            Ok(s) => s,
            Err(e) => {
                let func = &self.program.funcs[at.0];
                Step::Return(Err(format!(
                    "{e}\n  in {} at line {}",
                    func.name,
                    self.line(at.0, at.1)
                )))
            }
        }
    }
}

/// What running a program produced.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub output: Vec<u8>,
    /// The uncaught error, if any.
    pub error: Option<String>,
}

/// Runs `program` with a driver (which decides JIT on/off and backend).
pub fn run(driver: &mut JitDriver<Tvm>, program: Program) -> Outcome {
    let mut vm = Tvm::new(program);
    let main = vm.program.main;
    let locals = vec![vm.zero; vm.program.funcs[main].locals];
    let r = driver.run(
        &mut vm,
        (main, 0),
        Frame {
            locals,
            stack: Vec::new(),
        },
    );
    Outcome {
        output: take_output(),
        error: r.err(),
    }
}
