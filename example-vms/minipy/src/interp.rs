//! The interpreter: `Vm` implements `metatrace::Interp`. Greens are
//! (code id, pc); reds are the frame (function object, locals, value
//! stack). Every instruction is written once, generic over the context, so
//! the same code runs directly and is traced.
//!
//! Owns: `step` (instruction dispatch with the inlined fast paths: small-int
//! and float arithmetic with overflow checks, comparisons, truthiness, list
//! indexing, range/list iteration, global cells), exception unwinding
//! through the static exception table, tracebacks, and generators.
//! Calls and attribute access live in `calls`.

use crate::bytecode::{self, BinOp, CmpOp, Code, Instr, UnOp};
use crate::builtins;
use crate::dict;
use crate::objects::*;
use crate::ops;
use crate::types;
use metatrace::heap::{GcRef, REF_ARRAY};
use metatrace::ir::{EffectInfo, OpNum};
use metatrace::{Interp, Jit, MapReds, Repr, Step, Val};
use std::cell::Cell;
use std::rc::Rc;

thread_local! {
    static LIMIT: Cell<usize> = const { Cell::new(1000) };
}
pub fn set_recursion_limit(n: usize) {
    LIMIT.with(|l| l.set(n.min(200_000)));
}
pub fn recursion_limit() -> usize {
    LIMIT.with(|l| l.get())
}

/// The reds of one Python frame. For a generator frame `func` is the
/// generator object.
pub struct Frame<R: Repr> {
    pub func: R::Ref,
    pub locals: Vec<R::Ref>,
    pub stack: Vec<R::Ref>,
}

/// How a portal invocation (a Python frame) ends.
pub enum Ret<R: Repr> {
    Value(R::Ref),
    Raise(R::Ref),
    Yield(R::Ref),
}

/// A raised exception while executing an instruction; `tb` says whether
/// this frame's line must be added to its traceback.
pub struct Thrown<R> {
    pub exc: R,
    pub tb: bool,
}

pub type Res<C, T> = Result<T, Thrown<<C as Repr>::Ref>>;

/// The interpreter state (all of it green or rooted).
pub struct Vm {
    pub codes: Vec<Rc<Code>>,
    /// Global cells per (code, name index), resolved once.
    pub gcells: Vec<Vec<GcRef>>,
    /// Module object of each module id.
    pub modules: Vec<GcRef>,
    pub builtins: GcRef,
    pub depth: usize,
    /// Code id of the instruction being executed (zero-argument super()).
    pub current_code: Option<usize>,
    pub main_dir: std::path::PathBuf,
}

extern "C" fn mp_make_exc(cls: GcRef, msg: GcRef) -> GcRef {
    types::exc_with_args(cls, &[msg])
}
metatrace::residual!(
    /// A new exception instance with one argument.
    pub static MAKE_EXC = fn mp_make_exc(cls: GcRef, msg: GcRef) -> GcRef, EffectInfo::RESIDUAL
);
extern "C" fn mp_tb_add(exc: GcRef, code: i64, line: i64) {
    if exc.tid() != tid::INST {
        return;
    }
    let tb = match types::inst_get(exc, "__tb__") {
        Some(t) => t,
        None => {
            let t = new_list(&[]);
            types::inst_set(exc, "__tb__", t);
            t
        }
    };
    list_append(tb, new_int((code << 32) | line));
}
metatrace::residual!(
    /// Appends (code, line) to an exception's traceback.
    pub static TB_ADD = fn mp_tb_add(exc: GcRef, code: i64, line: i64), EffectInfo::RESIDUAL
);

impl Vm {
    pub fn code(&mut self, id: usize) -> Rc<Code> {
        if id >= self.codes.len() {
            while self.codes.len() <= id {
                let n = self.codes.len();
                self.codes.push(bytecode::code(n));
            }
        }
        self.codes[id].clone()
    }

    /// The global cell for name `ni` of `code` (created on first use).
    pub fn global_cell(&mut self, code: &Code, cid: usize, ni: usize) -> GcRef {
        if self.gcells.len() <= cid {
            self.gcells.resize(cid + 1, Vec::new());
        }
        if self.gcells[cid].is_empty() {
            self.gcells[cid] = vec![GcRef::NULL; code.names.len()];
        }
        let c = self.gcells[cid][ni];
        if !c.is_null() {
            return c;
        }
        let m = self.modules[code.module];
        let c = module_cell(m, &code.name_strs[ni]);
        self.gcells[cid][ni] = c;
        c
    }

    pub fn builtin_cell(&self, name: &str) -> GcRef {
        module_cell(self.builtins, name)
    }

    /// Raises `name(msg)` (the message is interned: constant in traces).
    pub fn exc<C: Jit<Self>>(&self, ctx: &mut C, name: &str, msg: &str) -> Thrown<C::Ref> {
        let cls = ctx.const_ref(rt().exc(name));
        let m = ctx.const_ref(intern(msg));
        let e = ctx.call(&MAKE_EXC, &[Val::Ref(cls), Val::Ref(m)]).gcref();
        Thrown { exc: e, tb: true }
    }

    /// After a residual call that may raise: the pending exception, if any.
    pub fn check<C: Jit<Self>>(&self, ctx: &mut C, v: C::Ref) -> Res<C, Option<C::Ref>> {
        if metatrace::exc::is_pending() {
            let e = metatrace::exc::take().expect("pending");
            return Err(Thrown {
                exc: ctx.const_ref(e),
                tb: true,
            });
        }
        if ctx.is_null(v) {
            return Ok(None);
        }
        Ok(Some(v))
    }

    pub fn box_int<C: Jit<Self>>(&self, ctx: &mut C, v: C::Int) -> C::Ref {
        let o = ctx.new(&int_obj::SIZE);
        ctx.setfield_i(o, &int_obj::v, v);
        o
    }
    pub fn box_float<C: Jit<Self>>(&self, ctx: &mut C, v: C::Float) -> C::Ref {
        let o = ctx.new(&float_obj::SIZE);
        ctx.setfield_f(o, &float_obj::v, v);
        o
    }
    pub fn bool_c<C: Jit<Self>>(&self, ctx: &mut C, b: bool) -> C::Ref {
        ctx.const_ref(bool_obj(b))
    }
    pub fn none_c<C: Jit<Self>>(&self, ctx: &mut C) -> C::Ref {
        ctx.const_ref(rt().none)
    }

    /// Python truthiness, with guards in traces.
    pub fn truthy<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref) -> Res<C, bool> {
        let t = ctx.class_of(v);
        match t {
            tid::BOOL => {
                let x = ctx.getfield_i(v, &bool_obj::v);
                Ok(ctx.is_true(x))
            }
            tid::INT => {
                let x = ctx.getfield_i(v, &int_obj::v);
                Ok(ctx.is_true(x))
            }
            tid::NONE => Ok(false),
            tid::LIST => {
                let n = ctx.getfield_i(v, &list_obj::len);
                Ok(ctx.is_true(n))
            }
            tid::INST => {
                let r = ctx.call(&TRUTHY_R, &[Val::Ref(v)]).int();
                let r = ctx.promote_int(r);
                if r < 2 {
                    return Ok(r == 1);
                }
                let b = self.call_dunder(ctx, v, "__bool__", &[])?;
                let b = match b {
                    Some(b) => b,
                    None => match self.call_dunder(ctx, v, "__len__", &[])? {
                        Some(n) => n,
                        None => return Ok(true),
                    },
                };
                self.truthy(ctx, b)
            }
            _ => {
                let r = ctx.call(&TRUTHY_R, &[Val::Ref(v)]).int();
                let r = ctx.promote_int(r);
                Ok(r == 1)
            }
        }
    }

    fn exec<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
    ) -> Res<C, Step<Ret<C::R>>> {
        let pc = g.1;
        let Some(&ins) = code.instrs.get(pc) else {
            let n = self.none_c(ctx);
            return Ok(Step::Return(Ret::Value(n)));
        };
        g.1 += 1;
        macro_rules! pop {
            () => {
                f.stack.pop().expect("static stack depth")
            };
        }
        match ins {
            Instr::Nop => {}
            Instr::LoadConst(k) => {
                let c = ctx.const_ref(code.consts[k as usize]);
                f.stack.push(c)
            }
            Instr::LoadFast(s) => {
                let v = f.locals[s as usize];
                if ctx.is_null(v) {
                    let n = &code.local_names[s as usize];
                    return Err(self.exc(
                        ctx,
                        "UnboundLocalError",
                        &format!("cannot access local variable '{n}' where it is not associated with a value"),
                    ));
                }
                f.stack.push(v)
            }
            Instr::StoreFast(s) => f.locals[s as usize] = pop!(),
            Instr::DeleteFast(s) => {
                let n = ctx.const_ref(GcRef::NULL);
                f.locals[s as usize] = n
            }
            Instr::LoadDeref(s) => {
                let cell = f.locals[s as usize];
                let v = ctx.getfield_r(cell, &cell_obj::value);
                if ctx.is_null(v) {
                    let n = &code.local_names[s as usize];
                    return Err(self.exc(
                        ctx,
                        "NameError",
                        &format!("cannot access free variable '{n}' where it is not associated with a value in enclosing scope"),
                    ));
                }
                f.stack.push(v)
            }
            Instr::StoreDeref(s) => {
                let v = pop!();
                let cell = f.locals[s as usize];
                ctx.setfield_r(cell, &cell_obj::value, v)
            }
            Instr::LoadCell(s) => f.stack.push(f.locals[s as usize]),
            Instr::LoadGlobal(ni) => {
                let cell = self.global_cell(code, g.0, ni as usize);
                let c = ctx.const_ref(cell);
                let v = ctx.getfield_r(c, &cell_obj::value);
                if !ctx.is_null(v) {
                    f.stack.push(v);
                } else {
                    let name = &code.name_strs[ni as usize];
                    let b = self.builtin_cell(name);
                    let c = ctx.const_ref(b);
                    let v = ctx.getfield_r(c, &cell_obj::value);
                    if ctx.is_null(v) {
                        return Err(self.exc(
                            ctx,
                            "NameError",
                            &format!("name '{name}' is not defined"),
                        ));
                    }
                    f.stack.push(v);
                }
            }
            Instr::StoreGlobal(ni) => {
                let v = pop!();
                let cell = self.global_cell(code, g.0, ni as usize);
                let c = ctx.const_ref(cell);
                ctx.setfield_r(c, &cell_obj::value, v)
            }
            Instr::DeleteGlobal(ni) => {
                let cell = self.global_cell(code, g.0, ni as usize);
                let c = ctx.const_ref(cell);
                let v = ctx.getfield_r(c, &cell_obj::value);
                if ctx.is_null(v) {
                    let name = &code.name_strs[ni as usize];
                    return Err(self.exc(
                        ctx,
                        "NameError",
                        &format!("name '{name}' is not defined"),
                    ));
                }
                let n = ctx.const_ref(GcRef::NULL);
                ctx.setfield_r(c, &cell_obj::value, n)
            }
            Instr::LoadName(ni) => {
                let ns = f.locals[0];
                let name = ctx.const_ref(code.names[ni as usize]);
                let v = ctx.call(&NS_GET, &[Val::Ref(ns), Val::Ref(name)]).gcref();
                if ctx.is_null(v) {
                    // Fall back to globals / builtins.
                    let ins2 = Instr::LoadGlobal(ni);
                    let _ = ins2;
                    let cell = self.global_cell(code, g.0, ni as usize);
                    let c = ctx.const_ref(cell);
                    let v = ctx.getfield_r(c, &cell_obj::value);
                    if !ctx.is_null(v) {
                        f.stack.push(v);
                    } else {
                        let nm = &code.name_strs[ni as usize];
                        let b = self.builtin_cell(nm);
                        let c = ctx.const_ref(b);
                        let v = ctx.getfield_r(c, &cell_obj::value);
                        if ctx.is_null(v) {
                            return Err(self.exc(
                                ctx,
                                "NameError",
                                &format!("name '{nm}' is not defined"),
                            ));
                        }
                        f.stack.push(v);
                    }
                } else {
                    f.stack.push(v);
                }
            }
            Instr::StoreName(ni) => {
                let v = pop!();
                let ns = f.locals[0];
                let name = ctx.const_ref(code.names[ni as usize]);
                ctx.call(&NS_SET, &[Val::Ref(ns), Val::Ref(name), Val::Ref(v)]);
            }
            Instr::LoadAttr(ni) => {
                let o = pop!();
                let v = self.getattr(ctx, o, code.names[ni as usize])?;
                f.stack.push(v)
            }
            Instr::StoreAttr(ni) => {
                let o = pop!();
                let v = pop!();
                self.setattr(ctx, o, code.names[ni as usize], v)?;
            }
            Instr::DeleteAttr(ni) => {
                let o = pop!();
                let name = ctx.const_ref(code.names[ni as usize]);
                let r = ctx.call(&DELATTR, &[Val::Ref(o), Val::Ref(name)]).gcref();
                self.check(ctx, r)?;
            }
            Instr::Subscr => {
                let i = pop!();
                let o = pop!();
                let v = self.getitem(ctx, o, i)?;
                f.stack.push(v)
            }
            Instr::StoreSubscr => {
                let i = pop!();
                let o = pop!();
                let v = pop!();
                self.setitem(ctx, o, i, v)?;
            }
            Instr::DeleteSubscr => {
                let i = pop!();
                let o = pop!();
                if ctx.class_of(o) == tid::INST {
                    if self.call_dunder(ctx, o, "__delitem__", &[i])?.is_none() {
                        return Err(self.exc(ctx, "TypeError", "object doesn't support item deletion"));
                    }
                } else {
                    let r = ctx.call(&DELITEM, &[Val::Ref(o), Val::Ref(i)]).gcref();
                    self.check(ctx, r)?;
                }
            }
            Instr::Binary(op) | Instr::Inplace(op) => {
                let b = pop!();
                let a = pop!();
                let v = self.binop(ctx, op, a, b, matches!(ins, Instr::Inplace(_)))?;
                f.stack.push(v)
            }
            Instr::Unary(op) => {
                let a = pop!();
                let v = self.unary(ctx, op, a)?;
                f.stack.push(v)
            }
            Instr::Compare(op) => {
                let b = pop!();
                let a = pop!();
                let v = self.compare(ctx, op, a, b)?;
                f.stack.push(v)
            }
            Instr::Jump(t) => {
                g.1 = t as usize;
                if (t as usize) <= pc {
                    return Ok(Step::CanEnterJit);
                }
            }
            Instr::PopJumpIfFalse(t) | Instr::PopJumpIfTrue(t) => {
                let v = pop!();
                let b = self.truthy(ctx, v)?;
                if b == matches!(ins, Instr::PopJumpIfTrue(_)) {
                    g.1 = t as usize;
                    if (t as usize) <= pc {
                        return Ok(Step::CanEnterJit);
                    }
                }
            }
            Instr::JumpIfFalseOrPop(t) | Instr::JumpIfTrueOrPop(t) => {
                let v = *f.stack.last().expect("stack");
                let b = self.truthy(ctx, v)?;
                if b == matches!(ins, Instr::JumpIfTrueOrPop(_)) {
                    g.1 = t as usize;
                } else {
                    f.stack.pop();
                }
            }
            Instr::GetIter => {
                let o = pop!();
                let it = self.get_iter(ctx, o)?;
                f.stack.push(it)
            }
            Instr::ForIter(t) => {
                let it = *f.stack.last().expect("iterator");
                match self.for_iter(ctx, it)? {
                    Some(v) => f.stack.push(v),
                    None => {
                        f.stack.pop();
                        g.1 = t as usize;
                    }
                }
            }
            Instr::BuildList(n) | Instr::BuildTuple(n) => {
                let items = f.stack.split_off(f.stack.len() - n as usize);
                let v = if matches!(ins, Instr::BuildList(_)) {
                    self.new_list(ctx, &items)
                } else {
                    self.new_tuple(ctx, &items)
                };
                f.stack.push(v)
            }
            Instr::BuildSet(n) => {
                let items = f.stack.split_off(f.stack.len() - n as usize);
                let t = self.new_tuple(ctx, &items);
                let r = ctx.call(&BUILD_SET, &[Val::Ref(t)]).gcref();
                let r = self.check(ctx, r)?.expect("set");
                f.stack.push(r)
            }
            Instr::BuildDict(n) => {
                let items = f.stack.split_off(f.stack.len() - 2 * n as usize);
                let t = self.new_tuple(ctx, &items);
                let r = ctx.call(&BUILD_DICT, &[Val::Ref(t)]).gcref();
                let r = self.check(ctx, r)?.expect("dict");
                f.stack.push(r)
            }
            Instr::BuildSlice(n) => {
                let step = if n == 3 { pop!() } else { self.none_c(ctx) };
                let b = pop!();
                let a = pop!();
                let s = ctx.new(&slice_obj::SIZE);
                ctx.setfield_r(s, &slice_obj::start, a);
                ctx.setfield_r(s, &slice_obj::stop, b);
                ctx.setfield_r(s, &slice_obj::step, step);
                f.stack.push(s)
            }
            Instr::ListAppend(d) => {
                let v = pop!();
                let l = f.stack[f.stack.len() - d as usize];
                self.list_append(ctx, l, v);
            }
            Instr::SetAdd(d) => {
                let v = pop!();
                let s = f.stack[f.stack.len() - d as usize];
                let r = ctx.call(&SET_ADD, &[Val::Ref(s), Val::Ref(v)]).gcref();
                self.check(ctx, r)?;
            }
            Instr::MapAdd(d) => {
                let v = pop!();
                let k = pop!();
                let m = f.stack[f.stack.len() - d as usize];
                let r = ctx
                    .call(&ops::SETITEM, &[Val::Ref(m), Val::Ref(k), Val::Ref(v)])
                    .gcref();
                self.check(ctx, r)?;
            }
            Instr::BuildString(n) => {
                let items = f.stack.split_off(f.stack.len() - n as usize);
                let t = self.new_tuple(ctx, &items);
                let r = ctx.call(&builtins::CONCAT, &[Val::Ref(t)]).gcref();
                f.stack.push(r)
            }
            Instr::FormatValue(conv, spec) => {
                let spec = if spec { Some(pop!()) } else { None };
                let v = pop!();
                let v = match conv {
                    0 => v,
                    c => self.to_str(ctx, v, c == 2)?,
                };
                let r = match spec {
                    None => self.to_str(ctx, v, false)?,
                    Some(s) => {
                        if ctx.class_of(v) == tid::INST {
                            match self.call_dunder(ctx, v, "__format__", &[s])? {
                                Some(r) => r,
                                None => {
                                    let sv = self.to_str(ctx, v, false)?;
                                    let r = ctx.call(&builtins::FORMAT, &[Val::Ref(sv), Val::Ref(s)]).gcref();
                                    self.check(ctx, r)?.expect("format")
                                }
                            }
                        } else {
                            let r = ctx.call(&builtins::FORMAT, &[Val::Ref(v), Val::Ref(s)]).gcref();
                            self.check(ctx, r)?.expect("format")
                        }
                    }
                };
                f.stack.push(r)
            }
            Instr::UnpackSequence(n) => {
                let o = pop!();
                let items = self.unpack(ctx, o, n as usize)?;
                for v in items.into_iter().rev() {
                    f.stack.push(v);
                }
            }
            Instr::UnpackEx(a, b) => {
                let o = pop!();
                let l = self.to_list(ctx, o)?;
                let na = ctx.const_int(a as i64);
                let nb = ctx.const_int(b as i64);
                let r = ctx
                    .call(&UNPACK_EX, &[Val::Ref(l), Val::Int(na), Val::Int(nb)])
                    .gcref();
                let t = self.check(ctx, r)?.expect("tuple");
                let items = ctx.getfield_r(t, &tuple_obj::items);
                for i in (0..(a + b + 1) as i64).rev() {
                    let k = ctx.const_int(i);
                    let v = ctx.getarrayitem_r(items, &REF_ARRAY, k);
                    f.stack.push(v);
                }
            }
            Instr::Call(n) => {
                let args = f.stack.split_off(f.stack.len() - n as usize);
                let callee = pop!();
                let v = self.call_value(ctx, callee, args, &[], Vec::new(), Some(&*f))?;
                f.stack.push(v)
            }
            Instr::CallKw(n, k, names) => {
                let kwv = f.stack.split_off(f.stack.len() - k as usize);
                let args = f.stack.split_off(f.stack.len() - n as usize);
                let callee = pop!();
                let names: Vec<String> = tuple_items(code.consts[names as usize])
                    .into_iter()
                    .map(str_of)
                    .collect();
                let v = self.call_value(ctx, callee, args, &names, kwv, Some(&*f))?;
                f.stack.push(v)
            }
            Instr::CallEx => {
                let kw = pop!();
                let args = pop!();
                let callee = pop!();
                let v = self.call_ex(ctx, callee, args, kw)?;
                f.stack.push(v)
            }
            Instr::MakeFunction(cid, flags) => {
                let closure = if flags & 4 != 0 { pop!() } else { ctx.const_ref(GcRef::NULL) };
                let kwd = if flags & 2 != 0 { pop!() } else { ctx.const_ref(GcRef::NULL) };
                let defs = if flags & 1 != 0 { pop!() } else { ctx.const_ref(GcRef::NULL) };
                let c = self.code(cid as usize);
                let fo = ctx.new(&func_obj::SIZE);
                let cidv = ctx.const_int(cid as i64);
                ctx.setfield_i(fo, &func_obj::code, cidv);
                ctx.setfield_r(fo, &func_obj::defaults, defs);
                ctx.setfield_r(fo, &func_obj::closure, closure);
                ctx.setfield_r(fo, &func_obj::kwdefaults, kwd);
                let nm = ctx.const_ref(intern(&c.name));
                ctx.setfield_r(fo, &func_obj::name, nm);
                let m = ctx.const_ref(self.modules[c.module]);
                ctx.setfield_r(fo, &func_obj::module, m);
                f.stack.push(fo)
            }
            Instr::BuildClass(k) => {
                let bases = pop!();
                let body = pop!();
                let cls = self.build_class(ctx, body, bases, code.consts[k as usize])?;
                f.stack.push(cls)
            }
            Instr::Return => {
                let v = pop!();
                return Ok(Step::Return(Ret::Value(v)));
            }
            Instr::Pop => {
                pop!();
            }
            Instr::Dup => {
                let v = *f.stack.last().expect("stack");
                f.stack.push(v)
            }
            Instr::Dup2 => {
                let n = f.stack.len();
                let (a, b) = (f.stack[n - 2], f.stack[n - 1]);
                f.stack.push(a);
                f.stack.push(b)
            }
            Instr::Rot2 => {
                let n = f.stack.len();
                f.stack.swap(n - 1, n - 2)
            }
            Instr::Rot3 => {
                let v = pop!();
                let n = f.stack.len();
                f.stack.insert(n - 2, v)
            }
            Instr::Raise(kind) => {
                let e = pop!();
                return Err(match kind {
                    0 => {
                        if ctx.class_of(e) == tid::NONE {
                            self.exc(ctx, "RuntimeError", "No active exception to reraise")
                        } else {
                            Thrown { exc: e, tb: false }
                        }
                    }
                    1 => self.make_raise(ctx, e)?,
                    _ => {
                        // `raise X from Y`: the cause is evaluated, not kept.
                        let exc = pop!();
                        let _ = e;
                        self.make_raise(ctx, exc)?
                    }
                });
            }
            Instr::ExcMatch => {
                let t = pop!();
                let e = pop!();
                let r = ctx.call(&EXC_MATCH, &[Val::Ref(e), Val::Ref(t)]).gcref();
                let r = self.check(ctx, r)?.expect("bool");
                f.stack.push(r)
            }
            Instr::Import(k) => {
                let name = str_of(code.consts[k as usize]);
                let m = self.import(ctx, &name)?;
                f.stack.push(m)
            }
            Instr::ImportFrom(ni) => {
                let m = *f.stack.last().expect("module");
                let nm = code.names[ni as usize];
                let v = match self.getattr(ctx, m, nm) {
                    Ok(v) => v,
                    Err(_) => {
                        return Err(self.exc(
                            ctx,
                            "ImportError",
                            &format!("cannot import name '{}'", str_of(nm)),
                        ))
                    }
                };
                f.stack.push(v)
            }
            Instr::ImportStar => {
                let m = pop!();
                let mc = ctx.peek_ref(m);
                let dst = self.modules[code.module];
                let src = getr(mc, &module_obj::dict);
                for (k, v) in dict::items(src) {
                    let name = str_of(k);
                    if !name.starts_with('_') {
                        let c = module_cell(dst, &name);
                        setr(c, &cell_obj::value, getr(v, &cell_obj::value));
                    }
                }
            }
            Instr::Yield => {
                let v = pop!();
                let gen = f.func;
                self.save_generator(ctx, gen, f, g.1)?;
                return Ok(Step::Return(Ret::Yield(v)));
            }
            Instr::AssertFail(m) => {
                let cls = ctx.const_ref(rt().exc("AssertionError"));
                let e = if m == 1 {
                    let msg = pop!();
                    let t = self.new_tuple(ctx, &[msg]);
                    self.call_value(ctx, cls, vec![], &[], vec![], None)
                        .and_then(|e| {
                            let nm = intern("args");
                            self.setattr(ctx, e, nm, t)?;
                            Ok(e)
                        })?
                } else {
                    self.call_value(ctx, cls, vec![], &[], vec![], None)?
                };
                return Err(Thrown { exc: e, tb: true });
            }
        }
        Ok(Step::Next)
    }

    fn make_raise<C: Jit<Self>>(&mut self, ctx: &mut C, e: C::Ref) -> Res<C, Thrown<C::Ref>> {
        let t = ctx.class_of(e);
        let e = if t == tid::TYPE {
            let ec = ctx.peek_ref(e);
            if !types::is_exception_class(ec) {
                return Ok(self.exc(ctx, "TypeError", "exceptions must derive from BaseException"));
            }
            self.call_value(ctx, e, vec![], &[], vec![], None)?
        } else {
            e
        };
        let ec = ctx.peek_ref(e);
        if ec.tid() != tid::INST || !types::is_exception_class(getr(ec, &inst_obj::cls)) {
            return Ok(self.exc(ctx, "TypeError", "exceptions must derive from BaseException"));
        }
        Ok(Thrown { exc: e, tb: true })
    }

    /// Unwinds to a handler of this frame, or returns the exception.
    fn unwind<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        at: usize,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
        t: Thrown<C::Ref>,
    ) -> Step<Ret<C::R>> {
        if t.tb {
            let c = ctx.const_int(g.0 as i64);
            let l = ctx.const_int(code.lines.get(at).copied().unwrap_or(0) as i64);
            ctx.call(&TB_ADD, &[Val::Ref(t.exc), Val::Int(c), Val::Int(l)]);
        }
        match code.handler_for(at) {
            Some(h) => {
                f.stack.truncate(h.depth as usize);
                f.stack.push(t.exc);
                g.1 = h.handler as usize;
                Step::Next
            }
            None => Step::Return(Ret::Raise(t.exc)),
        }
    }

    fn save_generator<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        gen: C::Ref,
        f: &Frame<C::R>,
        resume: usize,
    ) -> Res<C, ()> {
        let l = self.new_tuple(ctx, &f.locals);
        let s = self.new_tuple(ctx, &f.stack);
        ctx.setfield_r(gen, &gen_obj::locals, l);
        ctx.setfield_r(gen, &gen_obj::stack, s);
        let p = ctx.const_int(resume as i64);
        ctx.setfield_i(gen, &gen_obj::pc, p);
        Ok(())
    }

    pub fn new_tuple<C: Jit<Self>>(&self, ctx: &mut C, items: &[C::Ref]) -> C::Ref {
        let n = ctx.const_int(items.len() as i64);
        let a = ctx.new_array(&REF_ARRAY, n);
        for (i, v) in items.iter().enumerate() {
            let k = ctx.const_int(i as i64);
            ctx.setarrayitem_r(a, &REF_ARRAY, k, *v);
        }
        let t = ctx.new(&tuple_obj::SIZE);
        ctx.setfield_r(t, &tuple_obj::items, a);
        t
    }

    pub fn new_list<C: Jit<Self>>(&self, ctx: &mut C, items: &[C::Ref]) -> C::Ref {
        let n = ctx.const_int(items.len().max(4) as i64);
        let a = ctx.new_array(&REF_ARRAY, n);
        for (i, v) in items.iter().enumerate() {
            let k = ctx.const_int(i as i64);
            ctx.setarrayitem_r(a, &REF_ARRAY, k, *v);
        }
        let l = ctx.new(&list_obj::SIZE);
        ctx.setfield_r(l, &list_obj::items, a);
        let len = ctx.const_int(items.len() as i64);
        ctx.setfield_i(l, &list_obj::len, len);
        l
    }

    pub fn list_append<C: Jit<Self>>(&self, ctx: &mut C, l: C::Ref, v: C::Ref) {
        let items = ctx.getfield_r(l, &list_obj::items);
        let n = ctx.getfield_i(l, &list_obj::len);
        let cap = ctx.arraylen(items, &REF_ARRAY);
        let full = ctx.int_ge(n, cap);
        if ctx.is_true(full) {
            ctx.call(&LIST_APPEND_SLOW, &[Val::Ref(l), Val::Ref(v)]);
        } else {
            ctx.setarrayitem_r(items, &REF_ARRAY, n, v);
            let one = ctx.const_int(1);
            let n1 = ctx.int_add(n, one);
            ctx.setfield_i(l, &list_obj::len, n1);
        }
    }

    fn unpack<C: Jit<Self>>(&mut self, ctx: &mut C, o: C::Ref, n: usize) -> Res<C, Vec<C::Ref>> {
        let t = ctx.class_of(o);
        if t == tid::TUPLE || t == tid::LIST {
            let (items, len) = if t == tid::TUPLE {
                let a = ctx.getfield_r(o, &tuple_obj::items);
                let l = ctx.arraylen(a, &REF_ARRAY);
                (a, l)
            } else {
                let a = ctx.getfield_r(o, &list_obj::items);
                let l = ctx.getfield_i(o, &list_obj::len);
                (a, l)
            };
            let want = ctx.const_int(n as i64);
            let same = ctx.int_eq(len, want);
            if ctx.is_true(same) {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let k = ctx.const_int(i as i64);
                    out.push(ctx.getarrayitem_r(items, &REF_ARRAY, k));
                }
                return Ok(out);
            }
        }
        let l = self.to_list(ctx, o)?;
        let nn = ctx.const_int(n as i64);
        let r = ctx.call(&UNPACK, &[Val::Ref(l), Val::Int(nn)]).gcref();
        let t = self.check(ctx, r)?.expect("tuple");
        let items = ctx.getfield_r(t, &tuple_obj::items);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let k = ctx.const_int(i as i64);
            out.push(ctx.getarrayitem_r(items, &REF_ARRAY, k));
        }
        Ok(out)
    }

    /// Materialises any iterable into a list (guest iterators included).
    pub fn to_list<C: Jit<Self>>(&mut self, ctx: &mut C, o: C::Ref) -> Res<C, C::Ref> {
        let t = ctx.class_of(o);
        if t == tid::LIST {
            return Ok(o);
        }
        if t != tid::INST && t != tid::GEN {
            let r = ctx.call(&TO_LIST, &[Val::Ref(o)]).gcref();
            if let Some(l) = self.check(ctx, r)? {
                return Ok(l);
            }
        }
        let it = self.get_iter(ctx, o)?;
        let l = self.new_list(ctx, &[]);
        while let Some(v) = self.for_iter(ctx, it)? {
            self.list_append(ctx, l, v);
        }
        Ok(l)
    }

    pub fn get_iter<C: Jit<Self>>(&mut self, ctx: &mut C, o: C::Ref) -> Res<C, C::Ref> {
        match ctx.class_of(o) {
            tid::RANGE => {
                let a = ctx.getfield_i(o, &range_obj::start);
                let b = ctx.getfield_i(o, &range_obj::stop);
                let s = ctx.getfield_i(o, &range_obj::step);
                let it = ctx.new(&range_iter::SIZE);
                ctx.setfield_i(it, &range_iter::cur, a);
                ctx.setfield_i(it, &range_iter::stop, b);
                ctx.setfield_i(it, &range_iter::step, s);
                Ok(it)
            }
            tid::LIST => {
                let it = ctx.new(&seq_iter::SIZE);
                ctx.setfield_r(it, &seq_iter::seq, o);
                let z = ctx.const_int(0);
                ctx.setfield_i(it, &seq_iter::idx, z);
                ctx.setfield_i(it, &seq_iter::kind, z);
                Ok(it)
            }
            tid::TUPLE => {
                let it = ctx.new(&seq_iter::SIZE);
                ctx.setfield_r(it, &seq_iter::seq, o);
                let z = ctx.const_int(0);
                ctx.setfield_i(it, &seq_iter::idx, z);
                let one = ctx.const_int(1);
                ctx.setfield_i(it, &seq_iter::kind, one);
                Ok(it)
            }
            tid::INST => match self.call_dunder(ctx, o, "__iter__", &[])? {
                Some(it) => Ok(it),
                None if {
                    let oc = ctx.peek_ref(o);
                    !types::class_lookup(getr(oc, &inst_obj::cls), "__getitem__").is_null()
                } =>
                {
                    self.call_prelude(ctx, "_getitem_iter", vec![o])
                }
                None => {
                    let oc = ctx.peek_ref(o);
                    Err(self.exc(
                        ctx,
                        "TypeError",
                        &format!("'{}' object is not iterable", types::tname(oc)),
                    ))
                }
            },
            _ => {
                let r = ctx.call(&ops::GET_ITER, &[Val::Ref(o)]).gcref();
                Ok(self.check(ctx, r)?.expect("iterator"))
            }
        }
    }

    /// The next item, or None when the iterator is exhausted.
    pub fn for_iter<C: Jit<Self>>(&mut self, ctx: &mut C, it: C::Ref) -> Res<C, Option<C::Ref>> {
        match ctx.class_of(it) {
            tid::RANGE_ITER => {
                let cur = ctx.getfield_i(it, &range_iter::cur);
                let stop = ctx.getfield_i(it, &range_iter::stop);
                let step = ctx.getfield_i(it, &range_iter::step);
                let zero = ctx.const_int(0);
                let up = ctx.int_gt(step, zero);
                let more = if ctx.is_true(up) {
                    ctx.int_lt(cur, stop)
                } else {
                    ctx.int_gt(cur, stop)
                };
                if !ctx.is_true(more) {
                    return Ok(None);
                }
                let next = ctx.int_add(cur, step);
                ctx.setfield_i(it, &range_iter::cur, next);
                Ok(Some(self.box_int(ctx, cur)))
            }
            tid::SEQ_ITER => {
                let seq = ctx.getfield_r(it, &seq_iter::seq);
                let kind = ctx.getfield_i(it, &seq_iter::kind);
                let idx = ctx.getfield_i(it, &seq_iter::idx);
                let zero = ctx_zero(ctx);
                let is_list = ctx.int_eq(kind, zero);
                let (items, len) = if ctx.is_true(is_list) {
                    let items = ctx.getfield_r(seq, &list_obj::items);
                    let len = ctx.getfield_i(seq, &list_obj::len);
                    (items, len)
                } else {
                    let items = ctx.getfield_r(seq, &tuple_obj::items);
                    let len = ctx.arraylen(items, &REF_ARRAY);
                    (items, len)
                };
                let more = ctx.int_lt(idx, len);
                if !ctx.is_true(more) {
                    return Ok(None);
                }
                let v = ctx.getarrayitem_r(items, &REF_ARRAY, idx);
                let one = ctx.const_int(1);
                let n = ctx.int_add(idx, one);
                ctx.setfield_i(it, &seq_iter::idx, n);
                Ok(Some(v))
            }
            tid::GEN => self.resume_generator(ctx, it),
            tid::INST => {
                match self.call_dunder(ctx, it, "__next__", &[]) {
                    Ok(Some(v)) => Ok(Some(v)),
                    Ok(None) => {
                        let oc = ctx.peek_ref(it);
                        Err(self.exc(
                            ctx,
                            "TypeError",
                            &format!("'{}' object is not an iterator", types::tname(oc)),
                        ))
                    }
                    Err(t) => {
                        let e = ctx.peek_ref(t.exc);
                        if types::isinstance(e, rt().exc("StopIteration")) {
                            // The exception object is dropped: promote to keep
                            // the trace honest about the branch taken.
                            let _ = ctx.class_of(t.exc);
                            Ok(None)
                        } else {
                            Err(t)
                        }
                    }
                }
            }
            _ => {
                let r = ctx.call(&ITER_NEXT, &[Val::Ref(it)]).gcref();
                self.check(ctx, r)
            }
        }
    }

    /// Runs a generator until its next yield.
    pub fn resume_generator<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        gen: C::Ref,
    ) -> Res<C, Option<C::Ref>> {
        let state = ctx.getfield_i(gen, &gen_obj::state);
        let state = ctx.promote_int(state);
        if state == 2 {
            return Ok(None);
        }
        if state == 1 {
            return Err(self.exc(ctx, "ValueError", "generator already executing"));
        }
        let func = ctx.getfield_r(gen, &gen_obj::func);
        let cid = ctx.getfield_i(func, &func_obj::code);
        let cid = ctx.promote_int(cid) as usize;
        let pc = ctx.getfield_i(gen, &gen_obj::pc);
        let pc = ctx.promote_int(pc) as usize;
        let code = self.code(cid);
        let lt = ctx.getfield_r(gen, &gen_obj::locals);
        let la = ctx.getfield_r(lt, &tuple_obj::items);
        let mut locals = Vec::with_capacity(code.nlocals);
        for i in 0..code.nlocals {
            let k = ctx.const_int(i as i64);
            locals.push(ctx.getarrayitem_r(la, &REF_ARRAY, k));
        }
        let mut stack = Vec::new();
        if pc > 0 {
            let st = ctx.getfield_r(gen, &gen_obj::stack);
            let sa = ctx.getfield_r(st, &tuple_obj::items);
            let depth = code.depth.get(pc).copied().unwrap_or(1).saturating_sub(1) as usize;
            for i in 0..depth {
                let k = ctx.const_int(i as i64);
                stack.push(ctx.getarrayitem_r(sa, &REF_ARRAY, k));
            }
            stack.push(self.none_c(ctx));
        }
        let one = ctx.const_int(1);
        ctx.setfield_i(gen, &gen_obj::state, one);
        if self.depth + 1 >= recursion_limit() {
            return Err(self.exc(ctx, "RecursionError", "maximum recursion depth exceeded"));
        }
        self.depth += 1;
        let r = ctx.call_portal(
            self,
            (cid, pc),
            Frame {
                func: gen,
                locals,
                stack,
            },
        );
        self.depth = self.depth.saturating_sub(1);
        match r {
            Ret::Yield(v) => {
                let z = ctx.const_int(0);
                ctx.setfield_i(gen, &gen_obj::state, z);
                Ok(Some(v))
            }
            Ret::Value(_) => {
                let two = ctx.const_int(2);
                ctx.setfield_i(gen, &gen_obj::state, two);
                Ok(None)
            }
            Ret::Raise(e) => {
                let two = ctx.const_int(2);
                ctx.setfield_i(gen, &gen_obj::state, two);
                Err(Thrown { exc: e, tb: true })
            }
        }
    }

    // ---- arithmetic ----------------------------------------------------------

    fn binop<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: BinOp,
        a: C::Ref,
        b: C::Ref,
        inplace: bool,
    ) -> Res<C, C::Ref> {
        let ta = ctx.class_of(a);
        let tb = ctx.class_of(b);
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = match op {
                BinOp::Add => ctx.int_add_ovf(x, y),
                BinOp::Sub => ctx.int_sub_ovf(x, y),
                BinOp::Mul => ctx.int_mul_ovf(x, y),
                BinOp::And => Some(ctx.int_and(x, y)),
                BinOp::Or => Some(ctx.int_binop(OpNum::IntOr, x, y)),
                BinOp::Xor => Some(ctx.int_binop(OpNum::IntXor, x, y)),
                BinOp::FloorDiv | BinOp::Mod => {
                    let zero = ctx.const_int(0);
                    let pos = ctx.int_gt(y, zero);
                    let nonneg = ctx.int_ge(x, zero);
                    if ctx.is_true(pos) && ctx.is_true(nonneg) {
                        Some(if op == BinOp::FloorDiv {
                            ctx.int_binop(OpNum::IntFloorDiv, x, y)
                        } else {
                            ctx.int_binop(OpNum::IntMod, x, y)
                        })
                    } else {
                        None
                    }
                }
                BinOp::RShift => {
                    let zero = ctx.const_int(0);
                    let sixty = ctx.const_int(63);
                    let ok1 = ctx.int_ge(y, zero);
                    let ok2 = ctx.int_le(y, sixty);
                    if ctx.is_true(ok1) && ctx.is_true(ok2) {
                        Some(ctx.int_binop(OpNum::IntRshift, x, y))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(r) = r {
                return Ok(self.box_int(ctx, r));
            }
        } else if (ta == tid::FLOAT || ta == tid::INT) && (tb == tid::FLOAT || tb == tid::INT) {
            let x = if ta == tid::FLOAT {
                ctx.getfield_f(a, &float_obj::v)
            } else {
                let i = ctx.getfield_i(a, &int_obj::v);
                ctx.cast_int_to_float(i)
            };
            let y = if tb == tid::FLOAT {
                ctx.getfield_f(b, &float_obj::v)
            } else {
                let i = ctx.getfield_i(b, &int_obj::v);
                ctx.cast_int_to_float(i)
            };
            let r = match op {
                BinOp::Add => Some(ctx.float_add(x, y)),
                BinOp::Sub => Some(ctx.float_sub(x, y)),
                BinOp::Mul => Some(ctx.float_mul(x, y)),
                BinOp::TrueDiv => {
                    let z = ctx.const_float(0.0);
                    let isz = ctx.float_cmp(OpNum::FloatEq, y, z);
                    if ctx.is_true(isz) {
                        None
                    } else {
                        Some(ctx.float_truediv(x, y))
                    }
                }
                _ => None,
            };
            if let Some(r) = r {
                return Ok(self.box_float(ctx, r));
            }
        } else if ta == tid::INST || tb == tid::INST {
            return self.binop_dunder(ctx, op, a, b, inplace, ta == tid::INST);
        }
        let k = ctx.const_int(ops::binop_index(op));
        let d: &'static metatrace::ir::CallDescr = if inplace { &ops::INPLACE } else { &ops::BINOP };
        let r = ctx.call(d, &[Val::Int(k), Val::Ref(a), Val::Ref(b)]).gcref();
        match self.check(ctx, r)? {
            Some(v) => Ok(v),
            None => {
                let (ac, bc) = (ctx.peek_ref(a), ctx.peek_ref(b));
                Err(self.exc(
                    ctx,
                    "TypeError",
                    &format!(
                        "unsupported operand type(s) for {:?}: '{}' and '{}'",
                        op,
                        types::tname(ac),
                        types::tname(bc)
                    ),
                ))
            }
        }
    }

    fn binop_dunder<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: BinOp,
        a: C::Ref,
        b: C::Ref,
        inplace: bool,
        left_inst: bool,
    ) -> Res<C, C::Ref> {
        let name = dunder_name(op);
        if inplace && left_inst {
            let iname = format!("__i{}", &name[2..]);
            if let Some(v) = self.call_dunder_ni(ctx, a, &iname, &[b])? {
                return Ok(v);
            }
        }
        if left_inst {
            if let Some(v) = self.call_dunder_ni(ctx, a, name, &[b])? {
                return Ok(v);
            }
        }
        if ctx.class_of(b) == tid::INST {
            let rname = format!("__r{}", &name[2..]);
            if let Some(v) = self.call_dunder_ni(ctx, b, &rname, &[a])? {
                return Ok(v);
            }
        }
        let (ac, bc) = (ctx.peek_ref(a), ctx.peek_ref(b));
        let sym = match op {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::TrueDiv => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "** or pow()",
            _ => "op",
        };
        Err(self.exc(
            ctx,
            "TypeError",
            &format!(
                "unsupported operand type(s) for {sym}: '{}' and '{}'",
                types::tname(ac),
                types::tname(bc)
            ),
        ))
    }

    /// Calls a dunder; None if absent or it returned NotImplemented.
    fn call_dunder_ni<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        name: &str,
        args: &[C::Ref],
    ) -> Res<C, Option<C::Ref>> {
        let r = self.call_dunder(ctx, o, name, args)?;
        match r {
            Some(v) => {
                let ni = ctx.const_ref(self.not_implemented());
                let same = ctx.ptr_eq(v, ni);
                if ctx.is_true(same) {
                    Ok(None)
                } else {
                    Ok(Some(v))
                }
            }
            None => Ok(None),
        }
    }

    pub fn not_implemented(&self) -> GcRef {
        let c = module_cell(self.builtins, "NotImplemented");
        getr(c, &cell_obj::value)
    }

    fn unary<C: Jit<Self>>(&mut self, ctx: &mut C, op: UnOp, a: C::Ref) -> Res<C, C::Ref> {
        if op == UnOp::Not {
            let b = self.truthy(ctx, a)?;
            return Ok(self.bool_c(ctx, !b));
        }
        let t = ctx.class_of(a);
        if t == tid::INT && op == UnOp::Neg {
            let x = ctx.getfield_i(a, &int_obj::v);
            let z = ctx.const_int(0);
            if let Some(r) = ctx.int_sub_ovf(z, x) {
                return Ok(self.box_int(ctx, r));
            }
        }
        if t == tid::FLOAT && op == UnOp::Neg {
            let x = ctx.getfield_f(a, &float_obj::v);
            let r = ctx.float_unop(OpNum::FloatNeg, x);
            return Ok(self.box_float(ctx, r));
        }
        if t == tid::INST {
            let name = match op {
                UnOp::Neg => "__neg__",
                UnOp::Pos => "__pos__",
                _ => "__invert__",
            };
            if let Some(v) = self.call_dunder(ctx, a, name, &[])? {
                return Ok(v);
            }
        }
        let k = ctx.const_int(match op {
            UnOp::Neg => 0,
            UnOp::Pos => 1,
            _ => 2,
        });
        let r = ctx.call(&ops::UNARY, &[Val::Int(k), Val::Ref(a)]).gcref();
        Ok(self.check(ctx, r)?.expect("unary result"))
    }

    fn compare<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: CmpOp,
        a: C::Ref,
        b: C::Ref,
    ) -> Res<C, C::Ref> {
        if matches!(op, CmpOp::Is | CmpOp::IsNot) {
            let e = ctx.ptr_eq(a, b);
            let r = ctx.is_true(e);
            return Ok(self.bool_c(ctx, r == (op == CmpOp::Is)));
        }
        let ta = ctx.class_of(a);
        let tb = ctx.class_of(b);
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = match op {
                CmpOp::Lt => Some(ctx.int_lt(x, y)),
                CmpOp::Le => Some(ctx.int_le(x, y)),
                CmpOp::Gt => Some(ctx.int_gt(x, y)),
                CmpOp::Ge => Some(ctx.int_ge(x, y)),
                CmpOp::Eq => Some(ctx.int_eq(x, y)),
                CmpOp::Ne => Some(ctx.int_ne(x, y)),
                _ => None,
            };
            if let Some(r) = r {
                let b = ctx.is_true(r);
                return Ok(self.bool_c(ctx, b));
            }
        }
        if ta == tid::FLOAT && tb == tid::FLOAT {
            let x = ctx.getfield_f(a, &float_obj::v);
            let y = ctx.getfield_f(b, &float_obj::v);
            let o = match op {
                CmpOp::Lt => Some(OpNum::FloatLt),
                CmpOp::Le => Some(OpNum::FloatLe),
                CmpOp::Gt => Some(OpNum::FloatGt),
                CmpOp::Ge => Some(OpNum::FloatGe),
                CmpOp::Eq => Some(OpNum::FloatEq),
                CmpOp::Ne => Some(OpNum::FloatNe),
                _ => None,
            };
            if let Some(o) = o {
                let r = ctx.float_cmp(o, x, y);
                let b = ctx.is_true(r);
                return Ok(self.bool_c(ctx, b));
            }
        }
        if ta == tid::INST || tb == tid::INST {
            return self.compare_dunder(ctx, op, a, b, ta == tid::INST, tb == tid::INST);
        }
        let k = ctx.const_int(ops::CMPOPS.iter().position(|o| *o == op).unwrap_or(0) as i64);
        let r = ctx.call(&ops::COMPARE, &[Val::Int(k), Val::Ref(a), Val::Ref(b)]).gcref();
        match self.check(ctx, r)? {
            Some(v) => Ok(v),
            None => {
                // A container holding objects with dunders: guest fallback.
                let name = match op {
                    CmpOp::Eq => "_slow_eq",
                    CmpOp::Ne => "_slow_ne",
                    CmpOp::In => "_slow_in",
                    CmpOp::NotIn => "_slow_notin",
                    CmpOp::Lt => "_slow_lt",
                    CmpOp::Le => "_slow_le",
                    CmpOp::Gt => "_slow_gt",
                    _ => "_slow_ge",
                };
                self.call_prelude(ctx, name, vec![a, b])
            }
        }
    }

    fn compare_dunder<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: CmpOp,
        a: C::Ref,
        b: C::Ref,
        ai: bool,
        bi: bool,
    ) -> Res<C, C::Ref> {
        let (name, rname) = match op {
            CmpOp::Lt => ("__lt__", "__gt__"),
            CmpOp::Le => ("__le__", "__ge__"),
            CmpOp::Gt => ("__gt__", "__lt__"),
            CmpOp::Ge => ("__ge__", "__le__"),
            CmpOp::Eq => ("__eq__", "__eq__"),
            CmpOp::Ne => ("__ne__", "__ne__"),
            CmpOp::In | CmpOp::NotIn => {
                if bi {
                    if let Some(v) = self.call_dunder(ctx, b, "__contains__", &[a])? {
                        let t = self.truthy(ctx, v)?;
                        return Ok(self.bool_c(ctx, t == (op == CmpOp::In)));
                    }
                    let l = self.to_list(ctx, b)?;
                    return self.compare(ctx, op, a, l);
                }
                let k = ctx.const_int(ops::CMPOPS.iter().position(|o| *o == op).unwrap_or(0) as i64);
                let r = ctx.call(&ops::COMPARE, &[Val::Int(k), Val::Ref(a), Val::Ref(b)]).gcref();
                return match self.check(ctx, r)? {
                    Some(v) => Ok(v),
                    None => self.call_prelude(
                        ctx,
                        if op == CmpOp::In { "_slow_in" } else { "_slow_notin" },
                        vec![a, b],
                    ),
                };
            }
            _ => unreachable!("is / is not handled by the caller"),
        };
        if ai {
            if let Some(v) = self.call_dunder_ni(ctx, a, name, &[b])? {
                return Ok(v);
            }
        }
        if bi {
            if let Some(v) = self.call_dunder_ni(ctx, b, rname, &[a])? {
                return Ok(v);
            }
        }
        match op {
            CmpOp::Eq | CmpOp::Ne => {
                if op == CmpOp::Ne && ai {
                    if let Some(v) = self.call_dunder_ni(ctx, a, "__eq__", &[b])? {
                        let t = self.truthy(ctx, v)?;
                        return Ok(self.bool_c(ctx, !t));
                    }
                }
                let e = ctx.ptr_eq(a, b);
                let r = ctx.is_true(e);
                Ok(self.bool_c(ctx, r == (op == CmpOp::Eq)))
            }
            _ => {
                let (ac, bc) = (ctx.peek_ref(a), ctx.peek_ref(b));
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    _ => ">=",
                };
                Err(self.exc(
                    ctx,
                    "TypeError",
                    &format!(
                        "'{sym}' not supported between instances of '{}' and '{}'",
                        types::tname(ac),
                        types::tname(bc)
                    ),
                ))
            }
        }
    }

    fn getitem<C: Jit<Self>>(&mut self, ctx: &mut C, o: C::Ref, i: C::Ref) -> Res<C, C::Ref> {
        let t = ctx.class_of(o);
        if t == tid::LIST || t == tid::TUPLE {
            let ti = ctx.class_of(i);
            if ti == tid::INT {
                let (items, len) = if t == tid::LIST {
                    let a = ctx.getfield_r(o, &list_obj::items);
                    let l = ctx.getfield_i(o, &list_obj::len);
                    (a, l)
                } else {
                    let a = ctx.getfield_r(o, &tuple_obj::items);
                    let l = ctx.arraylen(a, &REF_ARRAY);
                    (a, l)
                };
                let k = ctx.getfield_i(i, &int_obj::v);
                let zero = ctx.const_int(0);
                let neg = ctx.int_lt(k, zero);
                let k = if ctx.is_true(neg) { ctx.int_add(k, len) } else { k };
                let lo = ctx.int_ge(k, zero);
                let hi = ctx.int_lt(k, len);
                if ctx.is_true(lo) && ctx.is_true(hi) {
                    return Ok(ctx.getarrayitem_r(items, &REF_ARRAY, k));
                }
            }
        } else if t == tid::INST {
            return match self.call_dunder(ctx, o, "__getitem__", &[i])? {
                Some(v) => Ok(v),
                None => {
                    let oc = ctx.peek_ref(o);
                    Err(self.exc(
                        ctx,
                        "TypeError",
                        &format!("'{}' object is not subscriptable", types::tname(oc)),
                    ))
                }
            };
        }
        let r = ctx.call(&ops::GETITEM, &[Val::Ref(o), Val::Ref(i)]).gcref();
        match self.check(ctx, r)? {
            Some(v) => Ok(v),
            None => Err(self.exc(ctx, "TypeError", "unhashable key")),
        }
    }

    fn setitem<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        i: C::Ref,
        v: C::Ref,
    ) -> Res<C, ()> {
        let t = ctx.class_of(o);
        if t == tid::LIST && ctx.class_of(i) == tid::INT {
            let items = ctx.getfield_r(o, &list_obj::items);
            let len = ctx.getfield_i(o, &list_obj::len);
            let k = ctx.getfield_i(i, &int_obj::v);
            let zero = ctx.const_int(0);
            let neg = ctx.int_lt(k, zero);
            let k = if ctx.is_true(neg) { ctx.int_add(k, len) } else { k };
            let lo = ctx.int_ge(k, zero);
            let hi = ctx.int_lt(k, len);
            if ctx.is_true(lo) && ctx.is_true(hi) {
                ctx.setarrayitem_r(items, &REF_ARRAY, k, v);
                return Ok(());
            }
        } else if t == tid::INST {
            return match self.call_dunder(ctx, o, "__setitem__", &[i, v])? {
                Some(_) => Ok(()),
                None => {
                    let oc = ctx.peek_ref(o);
                    Err(self.exc(
                        ctx,
                        "TypeError",
                        &format!(
                            "'{}' object does not support item assignment",
                            types::tname(oc)
                        ),
                    ))
                }
            };
        }
        let r = ctx
            .call(&ops::SETITEM, &[Val::Ref(o), Val::Ref(i), Val::Ref(v)])
            .gcref();
        match self.check(ctx, r)? {
            Some(_) => Ok(()),
            None => Err(self.exc(ctx, "TypeError", "unhashable key")),
        }
    }

    /// str(v) (or repr), calling `__str__` / `__repr__` when needed.
    pub fn to_str<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref, repr: bool) -> Res<C, C::Ref> {
        if !repr && ctx.class_of(v) == tid::STR {
            return Ok(v);
        }
        let k = ctx.const_int(if repr { 2 } else { 1 });
        let r = ctx.call(&builtins::TO_STR, &[Val::Ref(v), Val::Int(k)]).gcref();
        if let Some(s) = self.check(ctx, r)? {
            return Ok(s);
        }
        self.call_prelude(ctx, if repr { "_slow_repr" } else { "_slow_str" }, vec![v])
    }
}

fn ctx_zero<C: metatrace::Ctx>(ctx: &mut C) -> C::Int {
    ctx.const_int(0)
}

pub fn dunder_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "__add__",
        BinOp::Sub => "__sub__",
        BinOp::Mul => "__mul__",
        BinOp::TrueDiv => "__truediv__",
        BinOp::FloorDiv => "__floordiv__",
        BinOp::Mod => "__mod__",
        BinOp::Pow => "__pow__",
        BinOp::LShift => "__lshift__",
        BinOp::RShift => "__rshift__",
        BinOp::And => "__and__",
        BinOp::Or => "__or__",
        BinOp::Xor => "__xor__",
        BinOp::MatMul => "__matmul__",
    }
}

/// The cell of `name` in module `m` (created empty on first use).
pub fn module_cell(m: GcRef, name: &str) -> GcRef {
    let d = getr(m, &module_obj::dict);
    if let Some(c) = dict::get_str(d, name) {
        return c;
    }
    let c = new_cell(GcRef::NULL);
    dict::set_str(d, name, c);
    c
}

// ---- residual helpers used by the interpreter ------------------------------

extern "C" fn mp_truthy_r(o: GcRef) -> i64 {
    match ops::truthy(o) {
        Ok(b) => b as i64,
        Err(_) => 2,
    }
}
metatrace::residual!(
    /// Truthiness of a builtin value: 0, 1, or 2 = ask the guest.
    pub static TRUTHY_R = fn mp_truthy_r(o: GcRef) -> i64, EffectInfo::RESIDUAL
);
extern "C" fn mp_ns_get(ns: GcRef, name: GcRef) -> GcRef {
    dict::get(ns, name).ok().flatten().unwrap_or(GcRef::NULL)
}
metatrace::residual!(
    /// Class-body namespace read (null if absent).
    pub static NS_GET = fn mp_ns_get(ns: GcRef, name: GcRef) -> GcRef, EffectInfo::RESIDUAL
);
extern "C" fn mp_ns_set(ns: GcRef, name: GcRef, v: GcRef) {
    let _ = dict::set(ns, name, v);
}
metatrace::residual!(
    /// Class-body namespace write.
    pub static NS_SET = fn mp_ns_set(ns: GcRef, name: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_build_set(t: GcRef) -> GcRef {
    let s = dict::new_set();
    let d = getr(s, &set_obj::dict);
    for x in tuple_items(t) {
        if let Err(e) = dict::set(d, x, rt().none) {
            return ops::deliver(Err(e));
        }
    }
    s
}
metatrace::residual!(
    /// A set from a tuple.
    pub static BUILD_SET = fn mp_build_set(t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_build_dict(t: GcRef) -> GcRef {
    let d = dict::new_dict();
    let items = tuple_items(t);
    for p in items.chunks(2) {
        if let Err(e) = dict::set(d, p[0], p[1]) {
            return ops::deliver(Err(e));
        }
    }
    d
}
metatrace::residual!(
    /// A dict from a tuple of alternating keys and values.
    pub static BUILD_DICT = fn mp_build_dict(t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_set_add(s: GcRef, v: GcRef) -> GcRef {
    ops::deliver(dict::set(getr(s, &set_obj::dict), v, rt().none).map(|_| rt().none))
}
metatrace::residual!(
    /// set.add for comprehensions.
    pub static SET_ADD = fn mp_set_add(s: GcRef, v: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_list_append_slow(l: GcRef, v: GcRef) {
    list_append(l, v)
}
metatrace::residual!(
    /// list.append when the item array is full.
    pub static LIST_APPEND_SLOW = fn mp_list_append_slow(l: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_unpack(l: GcRef, n: i64) -> GcRef {
    ops::deliver(ops::unpack(l, n as usize).map(|v| new_tuple(&v)))
}
metatrace::residual!(
    /// Unpacks a list into exactly n items (as a tuple).
    pub static UNPACK = fn mp_unpack(l: GcRef, n: i64) -> GcRef, ops::RAISES
);
extern "C" fn mp_unpack_ex(l: GcRef, a: i64, b: i64) -> GcRef {
    let items = list_items(l);
    let (a, b) = (a as usize, b as usize);
    if items.len() < a + b {
        return ops::deliver(types::err(
            "ValueError",
            format!(
                "not enough values to unpack (expected at least {}, got {})",
                a + b,
                items.len()
            ),
        ));
    }
    let mut out: Vec<GcRef> = items[..a].to_vec();
    out.push(new_list(&items[a..items.len() - b]));
    out.extend_from_slice(&items[items.len() - b..]);
    new_tuple(&out)
}
metatrace::residual!(
    /// Starred unpacking: (a items, list of the middle, b items).
    pub static UNPACK_EX = fn mp_unpack_ex(l: GcRef, a: i64, b: i64) -> GcRef, ops::RAISES
);
extern "C" fn mp_to_list(o: GcRef) -> GcRef {
    ops::deliver(ops::iterate(o).map(|v| new_list(&v)))
}
metatrace::residual!(
    /// list(o) for builtin iterables (null: needs guest code).
    pub static TO_LIST = fn mp_to_list(o: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_iter_next(it: GcRef) -> GcRef {
    match ops::iter_next(it) {
        Ok(Some(v)) => v,
        Ok(None) => GcRef::NULL,
        Err(e) => ops::deliver(Err(e)),
    }
}
metatrace::residual!(
    /// Next item of a builtin iterator (null when exhausted).
    pub static ITER_NEXT = fn mp_iter_next(it: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_exc_match(e: GcRef, t: GcRef) -> GcRef {
    let classes = if t.tid() == tid::TUPLE {
        tuple_items(t)
    } else {
        vec![t]
    };
    for c in classes {
        if !types::is_exception_class(c) {
            return ops::deliver(types::err(
                "TypeError",
                "catching classes that do not inherit from BaseException is not allowed",
            ));
        }
        if types::isinstance(e, c) {
            return rt().true_;
        }
    }
    rt().false_
}
metatrace::residual!(
    /// `except T:` test.
    pub static EXC_MATCH = fn mp_exc_match(e: GcRef, t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_delitem(o: GcRef, i: GcRef) -> GcRef {
    ops::deliver(ops::delitem(o, i))
}
metatrace::residual!(
    /// `del o[i]`.
    pub static DELITEM = fn mp_delitem(o: GcRef, i: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_delattr(o: GcRef, name: GcRef) -> GcRef {
    let n = str_of(name);
    if o.tid() == tid::INST && types::inst_get(o, &n).is_some() {
        types::inst_set(o, &n, GcRef::NULL);
        return rt().none;
    }
    ops::deliver(types::err(
        "AttributeError",
        format!("'{}' object has no attribute '{n}'", types::tname(o)),
    ))
}
metatrace::residual!(
    /// `del o.name` (instances only).
    pub static DELATTR = fn mp_delattr(o: GcRef, name: GcRef) -> GcRef, ops::RAISES
);

impl Interp for Vm {
    type Greens = (usize, usize);
    type Frame<R: Repr> = Frame<R>;
    type Ret<R: Repr> = Ret<R>;

    fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
        Frame {
            func: m.gcref(f.func),
            locals: f.locals.iter().map(|v| m.gcref(*v)).collect(),
            stack: f.stack.iter().map(|v| m.gcref(*v)).collect(),
        }
    }
    fn map_ret<A: Repr, B: Repr>(r: &Ret<A>, m: &mut impl MapReds<A, B>) -> Ret<B> {
        match r {
            Ret::Value(v) => Ret::Value(m.gcref(*v)),
            Ret::Raise(v) => Ret::Raise(m.gcref(*v)),
            Ret::Yield(v) => Ret::Yield(m.gcref(*v)),
        }
    }

    fn printable_location(&self, g: &(usize, usize)) -> String {
        let c = bytecode::code(g.0);
        match c.instrs.get(g.1) {
            Some(i) => format!(
                "{} #{} line {} {:?}",
                c.name,
                g.1,
                c.lines.get(g.1).copied().unwrap_or(0),
                i
            ),
            None => format!("{} #{} end", c.name, g.1),
        }
    }

    fn step<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
    ) -> Step<Ret<C::R>> {
        let code = self.code(g.0);
        self.current_code = Some(g.0);
        let at = g.1;
        match self.exec(ctx, &code, g, f) {
            Ok(s) => s,
            Err(t) => self.unwind(ctx, &code, at, g, f, t),
        }
    }
}
