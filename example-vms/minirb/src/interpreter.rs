//! The bytecode interpreter, written once against the framework's context
//! trait: `step` is the body of the loop after `jit_merge_point`, and a
//! backward jump (a `while`/`until` loop's back-edge) is `can_enter_jit`.
//!
//! Owns: the red frame (`self`, locals, operand stack), how a frame ends
//! (`Ret`), method calls (`call_portal`, so the JIT inlines them), the
//! traced fast paths of `Integer`/`Float` operators and `Array#[]`, and
//! the method table of `def`s, read under the quasi-immutable version
//! cell so traces fold the lookup.

use crate::builtins::{self, BT_PUSH, CONCAT, FCALL, MAKE_EXC, NEW_HASH, NEW_RANGE, NUM_SLOW, SEND, STR_DUP, TAKE_ERROR};
use crate::bytecode::{self, Code, Op};
use crate::objects::{self, *};
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::ir::EffectInfo;
use metatrace::{Ctx, Interp, Jit, MapReds, Repr, Shape, Step, Val};
use std::cell::RefCell;
use std::collections::HashMap;

/// How deep method calls may nest before `SystemStackError`.
pub const MAX_DEPTH: i64 = 10_000;

thread_local! {
    /// `def`ined methods (callable without a receiver): symbol → code id.
    static METHODS: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
}

extern "C" fn rb_define(sym: i64, cid: i64) {
    METHODS.with(|m| m.borrow_mut().insert(sym as usize, cid as usize));
}
metatrace::residual!(static DEFINE = fn rb_define(sym: i64, cid: i64), EffectInfo::RESIDUAL);

/// The reds of one activation.
pub struct Frame<R: Repr> {
    pub self_: R::Ref,
    pub locals: Vec<R::Ref>,
    pub stack: Vec<R::Ref>,
}

/// How an activation ends.
pub enum Ret<R: Repr> {
    Value(R::Ref),
    Raise(R::Ref),
}

/// The interpreter's own state: singletons and cells, all kept alive by
/// `objects::keep`.
pub struct Vm {
    pub nil: GcRef,
    pub t: GcRef,
    pub f: GcRef,
    pub depth: GcRef,
    pub version: GcRef,
    /// Interned location strings for backtraces, by (code, pc).
    locs: HashMap<(usize, usize), GcRef>,
    sym_plus: usize,
}

const ARITH: [&str; 11] = ["+", "-", "*", "<", "<=", ">", ">=", "==", "!=", "/", "%"];

impl Vm {
    pub fn new() -> Vm {
        Vm {
            nil: objects::nil(),
            t: objects::boolean(true),
            f: objects::boolean(false),
            depth: keep(heap::new_struct(&depth_cell::SIZE)),
            version: keep(heap::new_struct(&version_cell::SIZE)),
            locs: HashMap::new(),
            sym_plus: objects::sym_id("+"),
        }
    }

    fn loc(&mut self, code: &Code, cid: usize, pc: usize) -> GcRef {
        *self.locs.entry((cid, pc)).or_insert_with(|| {
            let line = code.lines.get(pc).copied().unwrap_or(0);
            keep(new_str(&format!(
                "{}:{}:in `{}'",
                code.filename, line, code.name
            )))
        })
    }

    fn truthy<C: Ctx>(ctx: &mut C, v: C::Ref) -> bool {
        let t = ctx.class_of(v);
        t != tid::NIL && t != tid::FALSE
    }

    fn boolean<C: Ctx>(&self, ctx: &mut C, b: C::Int) -> C::Ref {
        if ctx.is_true(b) {
            ctx.const_ref(self.t)
        } else {
            ctx.const_ref(self.f)
        }
    }

    fn box_int<C: Ctx>(ctx: &mut C, v: C::Int) -> C::Ref {
        let o = ctx.new(&int_obj::SIZE);
        ctx.setfield_i(o, &int_obj::v, v);
        o
    }
    fn box_float<C: Ctx>(ctx: &mut C, v: C::Float) -> C::Ref {
        let o = ctx.new(&float_obj::SIZE);
        ctx.setfield_f(o, &float_obj::v, v);
        o
    }

    /// An Array object holding `items` (for residual calls' arguments).
    fn array<C: Ctx>(ctx: &mut C, items: &[C::Ref]) -> C::Ref {
        let n = ctx.const_int(items.len().max(4) as i64);
        let a = ctx.new_array(&REF_ARRAY, n);
        for (i, v) in items.iter().enumerate() {
            let k = ctx.const_int(i as i64);
            ctx.setarrayitem_r(a, &REF_ARRAY, k, *v);
        }
        let o = ctx.new(&arr_obj::SIZE);
        ctx.setfield_r(o, &arr_obj::items, a);
        let len = ctx.const_int(items.len() as i64);
        ctx.setfield_i(o, &arr_obj::len, len);
        o
    }

    /// After a residual call whose null result means an exception.
    fn checked<C: Ctx>(ctx: &mut C, r: C::Ref) -> Result<C::Ref, C::Ref> {
        if ctx.is_null(r) {
            return Err(ctx.call(&TAKE_ERROR, &[]).gcref());
        }
        Ok(r)
    }

    /// The traced fast paths of binary operators on Integer and Float.
    fn binop<C: Ctx>(&self, ctx: &mut C, name: &str, a: C::Ref, b: C::Ref) -> Option<C::Ref> {
        let ta = ctx.class_of(a);
        if ta != tid::INT && ta != tid::FLOAT {
            return None;
        }
        let tb = ctx.class_of(b);
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = match name {
                "+" => ctx.int_add_ovf(x, y),
                "-" => ctx.int_sub_ovf(x, y),
                "*" => ctx.int_mul_ovf(x, y),
                "<" => {
                    let r = ctx_lt(ctx, x, y);
                    return Some(self.cmp(ctx, r));
                }
                "<=" => {
                    let r = ctx_le(ctx, x, y);
                    return Some(self.cmp(ctx, r));
                }
                ">" => {
                    let r = ctx_lt(ctx, y, x);
                    return Some(self.cmp(ctx, r));
                }
                ">=" => {
                    let r = ctx_le(ctx, y, x);
                    return Some(self.cmp(ctx, r));
                }
                "==" => {
                    let r = ctx.int_eq(x, y);
                    return Some(self.boolean(ctx, r));
                }
                "!=" => {
                    let r = ctx.int_ne(x, y);
                    return Some(self.boolean(ctx, r));
                }
                _ => return None,
            };
            return r.map(|v| Self::box_int(ctx, v));
        }
        if ta == tid::FLOAT && tb == tid::FLOAT {
            let x = ctx.getfield_f(a, &float_obj::v);
            let y = ctx.getfield_f(b, &float_obj::v);
            let r = match name {
                "+" => ctx.float_add(x, y),
                "-" => ctx.float_sub(x, y),
                "*" => ctx.float_mul(x, y),
                "/" => ctx.float_truediv(x, y),
                "<" => return Some(self.fcmp(ctx, metatrace::ir::OpNum::FloatLt, x, y)),
                "<=" => return Some(self.fcmp(ctx, metatrace::ir::OpNum::FloatLe, x, y)),
                ">" => return Some(self.fcmp(ctx, metatrace::ir::OpNum::FloatGt, x, y)),
                ">=" => return Some(self.fcmp(ctx, metatrace::ir::OpNum::FloatGe, x, y)),
                _ => return None,
            };
            return Some(Self::box_float(ctx, r));
        }
        None
    }

    fn cmp<C: Ctx>(&self, ctx: &mut C, r: C::Int) -> C::Ref {
        self.boolean(ctx, r)
    }
    fn fcmp<C: Ctx>(&self, ctx: &mut C, op: metatrace::ir::OpNum, x: C::Float, y: C::Float) -> C::Ref {
        let r = ctx.float_cmp(op, x, y);
        self.boolean(ctx, r)
    }

    /// `Array#[]` with an Integer index in range, traced.
    fn array_index<C: Ctx>(ctx: &mut C, a: C::Ref, i: C::Ref) -> Option<C::Ref> {
        if ctx.class_of(a) != tid::ARR || ctx.class_of(i) != tid::INT {
            return None;
        }
        let k = ctx.getfield_i(i, &int_obj::v);
        let len = ctx.getfield_i(a, &arr_obj::len);
        let zero = ctx.const_int(0);
        let ge = ctx.int_ge(k, zero);
        if !ctx.is_true(ge) {
            return None;
        }
        let lt = ctx.int_lt(k, len);
        if !ctx.is_true(lt) {
            return None;
        }
        let items = ctx.getfield_r(a, &arr_obj::items);
        Some(ctx.getarrayitem_r(items, &REF_ARRAY, k))
    }

    /// Calls a `def`ined method. `Err` is an exception to raise here.
    fn call_method<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cid: usize,
        self_: C::Ref,
        args: Vec<C::Ref>,
    ) -> Result<C::Ref, C::Ref> {
        let code = bytecode::code(cid);
        let n = args.len();
        if n < code.nreq || (code.rest.is_none() && n > code.nreq + code.nopt) {
            let expected = if code.rest.is_some() {
                format!("{}+", code.nreq)
            } else if code.nopt > 0 {
                format!("{}..{}", code.nreq, code.nreq + code.nopt)
            } else {
                code.nreq.to_string()
            };
            let msg = format!("wrong number of arguments (given {n}, expected {expected})");
            return Err(self.exc(ctx, "ArgumentError", &msg));
        }
        let nil = ctx.const_ref(self.nil);
        let mut locals = vec![nil; code.nlocals];
        let fixed = n.min(code.nreq + code.nopt);
        locals[..fixed].copy_from_slice(&args[..fixed]);
        if let Some(r) = code.rest {
            locals[r] = Self::array(ctx, &args[fixed..]);
        }
        let entry = code.opt_entry[(fixed - code.nreq).min(code.nopt)];
        let cell = ctx.const_ref(self.depth);
        let depth = ctx.getfield_i(cell, &depth_cell::value);
        let max = ctx.const_int(MAX_DEPTH);
        let ok = ctx.int_lt(depth, max);
        if !ctx.is_true(ok) {
            return Err(self.exc(ctx, "SystemStackError", "stack level too deep"));
        }
        let one = ctx.const_int(1);
        let deeper = ctx.int_add(depth, one);
        ctx.setfield_i(cell, &depth_cell::value, deeper);
        heap::gc::no_collect_exit(); // the callee's steps may collect
        let r = ctx.call_portal(
            self,
            (cid, entry),
            Frame {
                self_,
                locals,
                stack: Vec::new(),
            },
        );
        heap::gc::no_collect_enter();
        ctx.setfield_i(cell, &depth_cell::value, depth);
        match r {
            Ret::Value(v) => Ok(v),
            Ret::Raise(e) => Err(e),
        }
    }

    fn exc<C: Ctx>(&self, ctx: &mut C, cls: &str, msg: &str) -> C::Ref {
        let c = ctx.const_ref(keep(new_str(cls)));
        let m = ctx.const_ref(keep(new_str(msg)));
        ctx.call(&MAKE_EXC, &[Val::Ref(c), Val::Ref(m)]).gcref()
    }

    /// One instruction; `Err` is an exception raised by it.
    fn exec<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
    ) -> Result<Step<Ret<C::R>>, C::Ref> {
        let pc = g.1;
        g.1 += 1;
        let op = code.ops[pc];
        let pop = |f: &mut Frame<C::R>| f.stack.pop().expect("stack depth is static");
        match op {
            Op::Nil => f.stack.push(ctx.const_ref(self.nil)),
            Op::True => f.stack.push(ctx.const_ref(self.t)),
            Op::False => f.stack.push(ctx.const_ref(self.f)),
            Op::SelfV => f.stack.push(f.self_),
            Op::Lit(i) => f.stack.push(ctx.const_ref(code.consts[i])),
            Op::Str(i) => {
                let s = ctx.const_ref(code.consts[i]);
                let r = ctx.call(&STR_DUP, &[Val::Ref(s)]).gcref();
                f.stack.push(r)
            }
            Op::GetLocal(i) => f.stack.push(f.locals[i]),
            Op::SetLocal(i) => f.locals[i] = pop(f),
            Op::Pop => {
                pop(f);
            }
            Op::Dup => {
                let v = *f.stack.last().expect("stack depth is static");
                f.stack.push(v)
            }
            Op::Send(sym, argc) | Op::FCall(sym, argc) => {
                let args = f.stack.split_off(f.stack.len() - argc);
                let recv = pop(f);
                let fcall = matches!(op, Op::FCall(..));
                let name = objects::sym_name(sym);
                if !fcall && argc == 1 && ARITH.contains(&name.as_str()) {
                    if let Some(r) = self.binop(ctx, &name, recv, args[0]) {
                        f.stack.push(r);
                        return Ok(Step::Next);
                    }
                    let ta = ctx.class_of(recv);
                    if matches!(ta, tid::INT | tid::FLOAT | tid::BIG) {
                        let s = ctx.const_int(sym as i64);
                        let r = ctx
                            .call(&NUM_SLOW, &[Val::Int(s), Val::Ref(recv), Val::Ref(args[0])])
                            .gcref();
                        let r = Self::checked(ctx, r);
                let r = self.located(ctx, code, g.0, pc, r)?;
                        f.stack.push(r);
                        return Ok(Step::Next);
                    }
                }
                if !fcall && argc == 1 && name == "[]" {
                    if let Some(r) = Self::array_index(ctx, recv, args[0]) {
                        f.stack.push(r);
                        return Ok(Step::Next);
                    }
                }
                if fcall {
                    // `def`ined methods, looked up under the version cell.
                    let vc = ctx.const_ref(self.version);
                    let _v = ctx.getfield_i(vc, &version_cell::v);
                    if let Some(cid) = METHODS.with(|m| m.borrow().get(&sym).copied()) {
                        let r = self.call_method(ctx, cid, recv, args);
                        let r = self.located(ctx, code, g.0, pc, r)?;
                        f.stack.push(r);
                        return Ok(Step::Next);
                    }
                }
                let arr = Self::array(ctx, &args);
                let s = ctx.const_int(sym as i64);
                let d = if fcall { &FCALL } else { &SEND };
                let r = ctx
                    .call(d, &[Val::Int(s), Val::Ref(recv), Val::Ref(arr)])
                    .gcref();
                let r = Self::checked(ctx, r);
                let r = self.located(ctx, code, g.0, pc, r)?;
                f.stack.push(r)
            }
            Op::Jump(t) => {
                g.1 = t;
                if t <= pc {
                    return Ok(Step::CanEnterJit);
                }
            }
            Op::JumpIf(t) | Op::JumpIfNot(t) => {
                let v = pop(f);
                if Self::truthy(ctx, v) == matches!(op, Op::JumpIf(_)) {
                    g.1 = t;
                    if t <= pc {
                        return Ok(Step::CanEnterJit);
                    }
                }
            }
            Op::MakeArray(n) => {
                let items = f.stack.split_off(f.stack.len() - n);
                let a = Self::array(ctx, &items);
                f.stack.push(a)
            }
            Op::MakeHash(n) => {
                let items = f.stack.split_off(f.stack.len() - 2 * n);
                let a = Self::array(ctx, &items);
                let h = ctx.call(&NEW_HASH, &[Val::Ref(a)]).gcref();
                f.stack.push(h)
            }
            Op::MakeRange(excl) => {
                let hi = pop(f);
                let lo = pop(f);
                let e = ctx.const_int(excl as i64);
                let r = ctx
                    .call(&NEW_RANGE, &[Val::Ref(lo), Val::Ref(hi), Val::Int(e)])
                    .gcref();
                f.stack.push(r)
            }
            Op::Interp(n) => {
                let items = f.stack.split_off(f.stack.len() - n);
                let a = Self::array(ctx, &items);
                let s = ctx.call(&CONCAT, &[Val::Ref(a)]).gcref();
                f.stack.push(s)
            }
            Op::Def(sym, cid) => {
                let s = ctx.const_int(sym as i64);
                let c = ctx.const_int(cid as i64);
                ctx.call(&DEFINE, &[Val::Int(s), Val::Int(c)]);
                // Invalidate the traces that folded a lookup.
                let vc = ctx.const_ref(self.version);
                let v = ctx.getfield_i(vc, &version_cell::v);
                let one = ctx.const_int(1);
                let v = ctx.int_add(v, one);
                ctx.setfield_i(vc, &version_cell::v, v);
                f.stack.push(ctx.const_ref(objects::sym_obj(sym)))
            }
            Op::Return => return Ok(Step::Return(Ret::Value(pop(f)))),
        }
        let _ = self.sym_plus;
        Ok(Step::Next)
    }

    /// Adds this frame's location to the backtrace of an exception that
    /// passes through the instruction at `pc`.
    fn located<C: Ctx>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        cid: usize,
        pc: usize,
        r: Result<C::Ref, C::Ref>,
    ) -> Result<C::Ref, C::Ref> {
        r.map_err(|e| {
            let l = self.loc(code, cid, pc);
            let l = ctx.const_ref(l);
            ctx.call(&BT_PUSH, &[Val::Ref(e), Val::Ref(l)]);
            e
        })
    }
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

fn ctx_lt<C: Ctx>(ctx: &mut C, a: C::Int, b: C::Int) -> C::Int {
    ctx.int_lt(a, b)
}
fn ctx_le<C: Ctx>(ctx: &mut C, a: C::Int, b: C::Int) -> C::Int {
    ctx.int_le(a, b)
}

impl Interp for Vm {
    /// (code id, pc).
    type Greens = (usize, usize);
    type Frame<R: Repr> = Frame<R>;
    type Ret<R: Repr> = Ret<R>;

    fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
        Frame {
            self_: m.gcref(f.self_),
            locals: f.locals.iter().map(|v| m.gcref(*v)).collect(),
            stack: f.stack.iter().map(|v| m.gcref(*v)).collect(),
        }
    }
    fn map_ret<A: Repr, B: Repr>(r: &Ret<A>, m: &mut impl MapReds<A, B>) -> Ret<B> {
        match r {
            Ret::Value(v) => Ret::Value(m.gcref(*v)),
            Ret::Raise(v) => Ret::Raise(m.gcref(*v)),
        }
    }
    fn ret_shape_eq(a: &Ret<Shape>, b: &Ret<Shape>) -> Option<bool> {
        Some(std::mem::discriminant(a) == std::mem::discriminant(b))
    }

    fn printable_location(&self, g: &(usize, usize)) -> String {
        let c = bytecode::code(g.0);
        match c.ops.get(g.1) {
            Some(op) => format!(
                "{} #{} line {} {:?}",
                c.name,
                g.1,
                c.lines.get(g.1).copied().unwrap_or(0),
                op
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
        // Collections happen between instructions only (and inside guest
        // calls, which reopen the window): an instruction may keep
        // references in Rust vectors while it allocates.
        heap::gc::safepoint();
        let _no_gc = heap::gc::NoCollect::new();
        let code = bytecode::code(g.0);
        match self.exec(ctx, &code, g, f) {
            Ok(s) => s,
            Err(e) => Step::Return(Ret::Raise(e)),
        }
    }
}

/// The message of an uncaught exception as CRuby prints it on stderr.
pub fn uncaught(e: GcRef) -> String {
    let cls = builtins::class_name(e);
    let msg = builtins::to_s(e);
    let bt: Vec<String> = if e.tid() == tid::EXC {
        array_items(getr(e, &exc_obj::bt))
            .into_iter()
            .map(str_of)
            .collect()
    } else {
        Vec::new()
    };
    let mut out = String::new();
    let first = bt.first().cloned().unwrap_or_else(|| "-e:1:in `<main>'".into());
    if msg.is_empty() {
        out += &format!("{first}: unhandled exception\n");
    } else {
        out += &format!("{first}: {msg} ({cls})\n");
    }
    for b in bt.iter().skip(1) {
        out += &format!("\tfrom {b}\n");
    }
    out
}
