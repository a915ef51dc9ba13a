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

use crate::builtins;
use crate::bytecode::{self, Code, Instr};
use crate::dict;
use crate::excinfo;
use crate::objects::*;
use crate::ops;
use crate::types;
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::ir::EffectInfo;
use metatrace::{Interp, Jit, MapReds, Repr, Shape, Step, Val};
use std::rc::Rc;

pub use crate::modules::{recursion_limit, set_recursion_limit};

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
    /// Ids of modules whose body raised: no longer importable by name
    /// (CPython removes them from `sys.modules`), so a new import reruns.
    pub failed_modules: Vec<usize>,
    pub builtins: GcRef,
    /// The `DepthCell` (kept alive with `objects::keep`).
    pub depth: GcRef,
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
            crate::excinfo::on_first_raise(exc);
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

extern "C" fn mp_set_cause(exc: GcRef, cause: GcRef) {
    excinfo::set_cause(exc, cause);
}
metatrace::residual!(
    /// `raise exc from cause`.
    pub static SET_CAUSE = fn mp_set_cause(exc: GcRef, cause: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_type_of(o: GcRef) -> GcRef {
    types::type_of(o)
}
metatrace::residual!(
    /// `type(o)`.
    pub static TYPE_OF = fn mp_type_of(o: GcRef) -> GcRef, EffectInfo::ELIDABLE
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
    #[inline]
    pub fn global_cell(&mut self, code: &Code, cid: usize, ni: usize) -> GcRef {
        match self.gcells.get(cid).and_then(|c| c.get(ni)) {
            Some(c) if !c.is_null() => *c,
            _ => self.global_cell_slow(code, cid, ni),
        }
    }

    #[inline(never)]
    fn global_cell_slow(&mut self, code: &Code, cid: usize, ni: usize) -> GcRef {
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

    /// The value of global `ni` of `code` (module `cid`'s globals, then
    /// the builtins), or NameError.
    #[inline]
    fn load_global<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        cid: usize,
        ni: usize,
    ) -> Res<C, C::Ref> {
        let cell = self.global_cell(code, cid, ni);
        let c = ctx.const_ref(cell);
        let v = ctx.getfield_r(c, &cell_obj::value);
        if !ctx.is_null(v) {
            return Ok(v);
        }
        let name = &code.name_strs[ni];
        let b = self.builtin_cell(name);
        let c = ctx.const_ref(b);
        let v = ctx.getfield_r(c, &cell_obj::value);
        if ctx.is_null(v) {
            return Err(self.exc(
                ctx,
                ExcKind::NameError,
                &format!("name '{name}' is not defined"),
            ));
        }
        Ok(v)
    }

    pub fn builtin_cell(&self, name: &str) -> GcRef {
        module_cell(self.builtins, name)
    }

    /// Raises `k(msg)` (the message is interned: constant in traces).
    pub fn exc<C: Jit<Self>>(&self, ctx: &mut C, k: ExcKind, msg: &str) -> Thrown<C::Ref> {
        let cls = ctx.const_ref(rt().exc(k));
        let m = ctx.const_ref(intern(msg));
        let e = ctx.call(&MAKE_EXC, &[Val::Ref(cls), Val::Ref(m)]).gcref();
        Thrown { exc: e, tb: true }
    }

    /// After a residual call that may raise: the pending exception, if any.
    pub fn check<C: Jit<Self>>(&self, ctx: &mut C, v: C::Ref) -> Res<C, Option<C::Ref>> {
        if let Some(exc) = ctx.take_exception() {
            return Err(Thrown { exc, tb: true });
        }
        if ctx.is_null(v) {
            return Ok(None);
        }
        Ok(Some(v))
    }

    /// `check` for helpers that must produce a value: a null result with
    /// nothing pending means the helper met an object whose dunder method
    /// it cannot call.
    pub fn checked<C: Jit<Self>>(&self, ctx: &mut C, v: C::Ref) -> Res<C, C::Ref> {
        let r = self.check(ctx, v)?;
        self.need(ctx, r)
    }

    /// The value of a helper that must produce one (see `checked`).
    pub fn need<C: Jit<Self>>(&self, ctx: &mut C, r: Option<C::Ref>) -> Res<C, C::Ref> {
        match r {
            Some(v) => Ok(v),
            None => Err(self.exc(
                ctx,
                ExcKind::NotImplementedError,
                "minipy cannot call a user-defined dunder method inside this builtin operation",
            )),
        }
    }

    #[inline(always)]
    pub fn box_int<C: Jit<Self>>(&self, ctx: &mut C, v: C::Int) -> C::Ref {
        let o = ctx.new(&int_obj::SIZE);
        ctx.setfield_i(o, &int_obj::v, v);
        o
    }
    #[inline(always)]
    pub fn box_float<C: Jit<Self>>(&self, ctx: &mut C, v: C::Float) -> C::Ref {
        let o = ctx.new(&float_obj::SIZE);
        ctx.setfield_f(o, &float_obj::v, v);
        o
    }
    #[inline(always)]
    pub fn bool_c<C: Jit<Self>>(&self, ctx: &mut C, b: bool) -> C::Ref {
        ctx.const_ref(bool_obj(b))
    }
    #[inline(always)]
    pub fn none_c<C: Jit<Self>>(&self, ctx: &mut C) -> C::Ref {
        ctx.const_ref(none())
    }

    /// Python truthiness, with guards in traces.
    /// (A bool is inlined into the interpreter loop.)
    #[inline(always)]
    pub fn truthy<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref) -> Res<C, bool> {
        let t = ctx.class_of(v);
        if t == tid::BOOL {
            let x = ctx.getfield_i(v, &bool_obj::v);
            return Ok(ctx.is_true(x));
        }
        self.truthy_typed(ctx, v, t)
    }

    /// `truthy` of `v` of class `t`.
    fn truthy_typed<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref, t: u32) -> Res<C, bool> {
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

    /// Runs instructions of `code` from `g.1`: one while recording or
    /// replaying; in direct mode on until one ends otherwise than with
    /// `Step::Next` (the driver does nothing between such instructions).
    /// `at` is the pc of the instruction running (for `unwind`). Between
    /// two instructions it does what `step` does before one: a collection
    /// that came due runs there.
    fn exec<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
        at: &mut usize,
    ) -> Res<C, Step<Ret<C::R>>> {
        loop {
            *at = g.1;
            let s = self.exec_one(ctx, code, g, f)?;
            if ctx.we_are_jitted() || !matches!(s, Step::Next) {
                return Ok(s);
            }
            heap::gc::no_collect_exit();
            heap::gc::safepoint();
            heap::gc::no_collect_enter();
            self.current_code = Some(g.0);
        }
    }

    /// One instruction.
    #[inline(always)]
    fn exec_one<C: Jit<Self>>(
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
                        ExcKind::UnboundLocalError,
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
                        ExcKind::NameError,
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
                let v = self.load_global(ctx, code, g.0, ni as usize)?;
                f.stack.push(v)
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
                        ExcKind::NameError,
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
                let v = if ctx.is_null(v) {
                    // Fall back to globals / builtins.
                    self.load_global(ctx, code, g.0, ni as usize)?
                } else {
                    v
                };
                f.stack.push(v)
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
                        return Err(self.exc(
                            ctx,
                            ExcKind::TypeError,
                            "object doesn't support item deletion",
                        ));
                    }
                } else {
                    let r = self.call_keyed(ctx, i, &DELITEM, &[Val::Ref(o), Val::Ref(i)])?;
                    if r.is_none() {
                        return Err(self.exc(ctx, ExcKind::TypeError, "unhashable key"));
                    }
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
            Instr::BuildSet(n) | Instr::BuildConstSet(n) => {
                let items = f.stack.split_off(f.stack.len() - n as usize);
                let t = self.new_tuple(ctx, &items);
                let which = if matches!(ins, Instr::BuildSet(_)) {
                    &BUILD_SET
                } else {
                    &BUILD_CONST_SET
                };
                let r = self.call_maybe_guest(ctx, which, &[Val::Ref(t)])?;
                let r = self.need(ctx, r)?;
                f.stack.push(r)
            }
            Instr::BuildDict(n) => {
                let items = f.stack.split_off(f.stack.len() - 2 * n as usize);
                let t = self.new_tuple(ctx, &items);
                let r = self.call_maybe_guest(ctx, &BUILD_DICT, &[Val::Ref(t)])?;
                let r = self.need(ctx, r)?;
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
                let r = self.call_keyed(ctx, v, &SET_ADD, &[Val::Ref(s), Val::Ref(v)])?;
                self.need(ctx, r)?;
            }
            Instr::MapAdd(d) => {
                let v = pop!();
                let k = pop!();
                let m = f.stack[f.stack.len() - d as usize];
                let args = [Val::Ref(m), Val::Ref(k), Val::Ref(v)];
                let r = self.call_keyed(ctx, k, &ops::SETITEM, &args)?;
                self.need(ctx, r)?;
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
                                    let r = ctx
                                        .call(&builtins::FORMAT, &[Val::Ref(sv), Val::Ref(s)])
                                        .gcref();
                                    self.checked(ctx, r)?
                                }
                            }
                        } else {
                            let r = ctx
                                .call(&builtins::FORMAT, &[Val::Ref(v), Val::Ref(s)])
                                .gcref();
                            self.checked(ctx, r)?
                        }
                    }
                };
                f.stack.push(r)
            }
            Instr::UnpackSequence(n) => {
                let o = pop!();
                let base = f.stack.len();
                self.unpack(ctx, o, n as usize, &mut f.stack)?;
                f.stack[base..].reverse();
            }
            Instr::UnpackEx(a, b) => {
                let o = pop!();
                let l = self.to_list(ctx, o)?;
                let na = ctx.const_int(a as i64);
                let nb = ctx.const_int(b as i64);
                let r = ctx
                    .call(&UNPACK_EX, &[Val::Ref(l), Val::Int(na), Val::Int(nb)])
                    .gcref();
                let t = self.checked(ctx, r)?;
                let items = ctx.getfield_r(t, &tuple_obj::items);
                for i in (0..(a + b + 1) as i64).rev() {
                    let k = ctx.const_int(i);
                    let v = ctx.getarrayitem_r(items, &REF_ARRAY, k);
                    f.stack.push(v);
                }
            }
            Instr::Call(n) => {
                let n = n as usize;
                let at = f.stack.len() - n;
                let callee = f.stack[at - 1];
                let mut args = Vec::with_capacity(self.call_capacity(ctx.peek_ref(callee), n));
                args.extend(f.stack.drain(at..));
                f.stack.pop();
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
                let closure = if flags & 4 != 0 {
                    pop!()
                } else {
                    ctx.const_ref(GcRef::NULL)
                };
                let kwd = if flags & 2 != 0 {
                    pop!()
                } else {
                    ctx.const_ref(GcRef::NULL)
                };
                let defs = if flags & 1 != 0 {
                    pop!()
                } else {
                    ctx.const_ref(GcRef::NULL)
                };
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
            Instr::BuildClass(k, meta) => {
                let meta = if meta { Some(pop!()) } else { None };
                let bases = pop!();
                let body = pop!();
                let name = code.consts[k as usize];
                let cls = self.build_class(ctx, body, bases, name, meta)?;
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
                        let e = if ctx.class_of(e) == tid::NONE {
                            ctx.call(&excinfo::EXC_CURRENT, &[]).gcref()
                        } else {
                            e
                        };
                        if ctx.is_null(e) {
                            self.exc(ctx, ExcKind::RuntimeError, "No active exception to reraise")
                        } else {
                            Thrown { exc: e, tb: false }
                        }
                    }
                    1 => self.make_raise(ctx, e)?,
                    _ => {
                        let exc = pop!();
                        let t = self.make_raise(ctx, exc)?;
                        if !t.tb {
                            return Err(t);
                        }
                        let cause = match ctx.class_of(e) {
                            tid::NONE => e,
                            tid::TYPE | tid::INST
                                if {
                                    let ec = ctx.peek_ref(e);
                                    let cls = if ec.tid() == tid::TYPE {
                                        ec
                                    } else {
                                        types::type_of(ec)
                                    };
                                    types::is_exception_class(cls)
                                } =>
                            {
                                self.make_raise(ctx, e)?.exc
                            }
                            _ => {
                                return Err(self.exc(
                                    ctx,
                                    ExcKind::TypeError,
                                    "exception causes must derive from BaseException",
                                ))
                            }
                        };
                        ctx.call(&SET_CAUSE, &[Val::Ref(t.exc), Val::Ref(cause)]);
                        t
                    }
                });
            }
            Instr::PushExc => {
                let e = pop!();
                ctx.call(&excinfo::EXC_PUSH, &[Val::Ref(e)]);
            }
            Instr::PopExc => {
                ctx.call(&excinfo::EXC_POP, &[]);
            }
            Instr::TypeOf => {
                let v = pop!();
                let t = ctx.call(&TYPE_OF, &[Val::Ref(v)]).gcref();
                f.stack.push(t)
            }
            Instr::WithEnter => {
                let m = pop!();
                let (exit, enter) = self.with_methods(ctx, m)?;
                f.stack.push(exit);
                let r = self.call_value(ctx, enter, vec![], &[], vec![], None)?;
                f.stack.push(r)
            }
            Instr::ExcMatch => {
                let t = pop!();
                let e = pop!();
                let r = ctx.call(&EXC_MATCH, &[Val::Ref(e), Val::Ref(t)]).gcref();
                let r = self.checked(ctx, r)?;
                f.stack.push(r)
            }
            Instr::Import(k) => {
                // The constant is (name, level, bind the leaf module).
                let spec = tuple_items(code.consts[k as usize]);
                let name = str_of(spec[0]);
                let level = geti(spec[1], &int_obj::v) as usize;
                let leaf = spec[2] == bool_obj(true);
                let m = self.import(ctx, &name, level, leaf, code.module)?;
                f.stack.push(m)
            }
            Instr::ImportFrom(ni) => {
                let m = *f.stack.last().expect("module");
                let v = self.import_from(ctx, m, code.names[ni as usize])?;
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
                let cls = ctx.const_ref(rt().exc(ExcKind::AssertionError));
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

    /// The bound `__exit__` and `__enter__` of a context manager, or
    /// CPython's TypeError.
    fn with_methods<C: Jit<Self>>(&mut self, ctx: &mut C, m: C::Ref) -> Res<C, (C::Ref, C::Ref)> {
        let is_inst = ctx.class_of(m) == tid::INST;
        let mc = ctx.peek_ref(m);
        let has = |n: &str| is_inst && !types::class_lookup(getr(mc, &inst_obj::cls), n).is_null();
        let (enter, exit) = (has("__enter__"), has("__exit__"));
        if !enter || !exit {
            let miss = if enter {
                " (missed __exit__ method)"
            } else {
                ""
            };
            return Err(self.exc(
                ctx,
                ExcKind::TypeError,
                &format!(
                    "'{}' object does not support the context manager protocol{miss}",
                    types::tname(mc)
                ),
            ));
        }
        let x = self.getattr(ctx, m, intern("__exit__"))?;
        let e = self.getattr(ctx, m, intern("__enter__"))?;
        Ok((x, e))
    }

    fn make_raise<C: Jit<Self>>(&mut self, ctx: &mut C, e: C::Ref) -> Res<C, Thrown<C::Ref>> {
        let t = ctx.class_of(e);
        let e = if t == tid::TYPE {
            let ec = ctx.peek_ref(e);
            if !types::is_exception_class(ec) {
                return Ok(self.exc(
                    ctx,
                    ExcKind::TypeError,
                    "exceptions must derive from BaseException",
                ));
            }
            self.call_value(ctx, e, vec![], &[], vec![], None)?
        } else {
            e
        };
        let ec = ctx.peek_ref(e);
        if ec.tid() != tid::INST || !types::is_exception_class(getr(ec, &inst_obj::cls)) {
            return Ok(self.exc(
                ctx,
                ExcKind::TypeError,
                "exceptions must derive from BaseException",
            ));
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

    /// Pushes the `n` items of `o` onto `out`, in order.
    fn unpack<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        n: usize,
        out: &mut Vec<C::Ref>,
    ) -> Res<C, ()> {
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
                for i in 0..n {
                    let k = ctx.const_int(i as i64);
                    out.push(ctx.getarrayitem_r(items, &REF_ARRAY, k));
                }
                return Ok(());
            }
        }
        let l = self.to_list(ctx, o)?;
        let nn = ctx.const_int(n as i64);
        let r = ctx.call(&UNPACK, &[Val::Ref(l), Val::Int(nn)]).gcref();
        let t = self.checked(ctx, r)?;
        let items = ctx.getfield_r(t, &tuple_obj::items);
        for i in 0..n {
            let k = ctx.const_int(i as i64);
            out.push(ctx.getarrayitem_r(items, &REF_ARRAY, k));
        }
        Ok(())
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
            t @ (tid::DICT | tid::DICT_VIEW) => {
                let (d, kind) = if t == tid::DICT {
                    (o, ctx.const_int(crate::views::KEYS))
                } else {
                    let d = ctx.getfield_r(o, &dict_view::dict);
                    (d, ctx.getfield_i(o, &dict_view::kind))
                };
                let size = ctx.getfield_i(d, &dict_obj::count);
                let it = ctx.new(&dict_iter::SIZE);
                ctx.setfield_r(it, &dict_iter::dict, d);
                let z = ctx.const_int(0);
                ctx.setfield_i(it, &dict_iter::idx, z);
                ctx.setfield_i(it, &dict_iter::kind, kind);
                ctx.setfield_i(it, &dict_iter::size, size);
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
                        ExcKind::TypeError,
                        &format!("'{}' object is not iterable", types::tname(oc)),
                    ))
                }
            },
            _ => {
                let r = ctx.call(&ops::GET_ITER, &[Val::Ref(o)]).gcref();
                Ok(self.checked(ctx, r)?)
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
                let two = ctx.const_int(2);
                let is_str = ctx.int_eq(kind, two);
                if ctx.is_true(is_str) {
                    // A str's chars: the residual finds the next one (by
                    // byte offset for ASCII, by the chunk index otherwise).
                    let r = ctx.call(&ITER_NEXT, &[Val::Ref(it)]).gcref();
                    return self.check(ctx, r);
                }
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
            tid::DICT_ITER => self.dict_iter_next(ctx, it),
            tid::GEN => self.resume_generator(ctx, it),
            tid::INST => {
                match self.call_dunder(ctx, it, "__next__", &[]) {
                    Ok(Some(v)) => Ok(Some(v)),
                    Ok(None) => {
                        let oc = ctx.peek_ref(it);
                        Err(self.exc(
                            ctx,
                            ExcKind::TypeError,
                            &format!("'{}' object is not an iterator", types::tname(oc)),
                        ))
                    }
                    Err(t) => {
                        let e = ctx.peek_ref(t.exc);
                        if types::isinstance(e, rt().exc(ExcKind::StopIteration)) {
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
    /// `next` of a dict iterator, traced: the size check, then a scan of
    /// the entry arrays for the next live slot (a guard per slot looked at).
    fn dict_iter_next<C: Jit<Self>>(&mut self, ctx: &mut C, it: C::Ref) -> Res<C, Option<C::Ref>> {
        let d = ctx.getfield_r(it, &dict_iter::dict);
        let size = ctx.getfield_i(it, &dict_iter::size);
        let count = ctx.getfield_i(d, &dict_obj::count);
        let same = ctx.int_eq(size, count);
        if !ctx.is_true(same) {
            let m1 = ctx.const_int(-1);
            ctx.setfield_i(it, &dict_iter::size, m1);
            return Err(self.exc(ctx, ExcKind::RuntimeError, crate::views::CHANGED_SIZE));
        }
        let used = ctx.getfield_i(d, &dict_obj::used);
        let keys = ctx.getfield_r(d, &dict_obj::keys);
        let mut idx = ctx.getfield_i(it, &dict_iter::idx);
        loop {
            let more = ctx.int_lt(idx, used);
            if !ctx.is_true(more) {
                ctx.setfield_i(it, &dict_iter::idx, idx);
                return Ok(None);
            }
            let k = ctx.getarrayitem_r(keys, &REF_ARRAY, idx);
            let one = ctx.const_int(1);
            let next = ctx.int_add(idx, one);
            if !ctx.is_null(k) {
                ctx.setfield_i(it, &dict_iter::idx, next);
                let kind = ctx.getfield_i(it, &dict_iter::kind);
                let kc = ctx.const_int(crate::views::KEYS);
                let is_keys = ctx.int_eq(kind, kc);
                if ctx.is_true(is_keys) {
                    return Ok(Some(k));
                }
                let vals = ctx.getfield_r(d, &dict_obj::vals);
                let v = ctx.getarrayitem_r(vals, &REF_ARRAY, idx);
                let vc = ctx.const_int(crate::views::VALUES);
                let is_vals = ctx.int_eq(kind, vc);
                if ctx.is_true(is_vals) {
                    return Ok(Some(v));
                }
                return Ok(Some(self.new_tuple(ctx, &[k, v])));
            }
            idx = next;
        }
    }

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
            return Err(self.exc(ctx, ExcKind::ValueError, "generator already executing"));
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
        let exc_depth = ctx
            .call(&crate::excinfo::EXC_GEN_ENTER, &[Val::Ref(gen)])
            .int();
        let depth = self.enter_call(ctx)?;
        heap::gc::no_collect_exit(); // the callee's steps may collect
        let r = ctx.call_portal(
            self,
            (cid, pc),
            Frame {
                func: gen,
                locals,
                stack,
            },
        );
        heap::gc::no_collect_enter();
        self.leave_call(ctx, depth);
        ctx.call(
            &crate::excinfo::EXC_GEN_LEAVE,
            &[Val::Ref(gen), Val::Int(exc_depth)],
        );
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
}

fn ctx_zero<C: metatrace::Ctx>(ctx: &mut C) -> C::Int {
    ctx.const_int(0)
}

/// The cell of `name` in module `m` (created empty on first use).
pub use crate::dict::module_cell;

pub use crate::residuals::*;

impl Vm {
    /// A guest call starts: checks and bumps the call depth (traced, see
    /// `DepthCell`). Returns the depth to restore when it returns.
    pub fn enter_call<C: Jit<Self>>(&mut self, ctx: &mut C) -> Res<C, C::Int> {
        let cell = ctx.const_ref(self.depth);
        let depth = ctx.getfield_i(cell, &depth_cell::value);
        let limit = ctx.const_int(recursion_limit() as i64 - 1);
        let ok = ctx.int_lt(depth, limit);
        if !ctx.is_true(ok) {
            return Err(self.exc(
                ctx,
                ExcKind::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        let one = ctx.const_int(1);
        let deeper = ctx.int_add(depth, one);
        ctx.setfield_i(cell, &depth_cell::value, deeper);
        Ok(depth)
    }

    /// A guest call returned (normally or not): back to `depth`.
    pub fn leave_call<C: Jit<Self>>(&mut self, ctx: &mut C, depth: C::Int) {
        let cell = ctx.const_ref(self.depth);
        ctx.setfield_i(cell, &depth_cell::value, depth);
    }
}

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
    /// Results compare by variant: each carries one reference.
    fn ret_shape_eq(a: &Ret<Shape>, b: &Ret<Shape>) -> Option<bool> {
        Some(std::mem::discriminant(a) == std::mem::discriminant(b))
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
        // The collector runs between instructions only (and in compiled
        // code): an instruction may keep references in Rust vectors while
        // it allocates. Guest calls reopen the window (`call_portal` sites
        // close the scope around the call), so a long-running callee
        // still collects.
        //
        // In direct mode the driver does nothing between instructions that
        // end in `Step::Next`, so this loop runs them here (the code object
        // is fixed for the frame: `g.0` never changes inside it), saving
        // the driver round trip and the code lookup per instruction. The
        // recorder and the replay context still see one instruction per
        // call (their `we_are_jitted` is true).
        let code = self.code(g.0);
        loop {
            heap::gc::safepoint();
            let _no_gc = heap::gc::NoCollect::new();
            self.current_code = Some(g.0);
            let mut at = g.1;
            let s = match self.exec(ctx, &code, g, f, &mut at) {
                Ok(s) => s,
                Err(t) => self.unwind(ctx, &code, at, g, f, t),
            };
            if ctx.we_are_jitted() || !matches!(s, Step::Next) {
                return s;
            }
        }
    }
}
