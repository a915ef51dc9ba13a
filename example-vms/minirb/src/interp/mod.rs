//! The bytecode interpreter, written once against the framework's context
//! trait: `step` is the body of the loop after `jit_merge_point`, and a
//! backward jump (a `while`/`until` loop's back-edge) is `can_enter_jit`.
//! Iterators (`times`, `each`, ...) are Ruby `while` loops in the prelude
//! that `yield`, so their loops are traced too, with the block inlined.
//!
//! Owns: the red frame (`self`, locals, operand stack, environment, block,
//! running proc, home tag), exception handlers and non-local exits
//! (`break`/`return` from blocks travel as `CtlObj` "exceptions" that
//! `rescue` never matches), method dispatch (`call`: class of the
//! receiver promoted, lookup folded under the quasi-immutable version
//! cell, user methods through `call_portal`), the traced fast paths of
//! `Integer`/`Float` operators, `Array#[]`, instance variables through
//! maps, and the residual calls to builtins.

use crate::builtins::{self, BUILTIN, BUILTIN_PURE, TAKE_ERROR};
use crate::bytecode::{self, Code, Op, Params, Slot};
use crate::objects::{self, cls, *};
use crate::residuals::*;
use hashbrown::HashMap;
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::{Ctx, Interp, Jit, MapReds, Repr, Shape, Step, Val};

/// How deep method calls may nest before `SystemStackError`.
pub const MAX_DEPTH: i64 = 9_000;

/// The reds of one activation.
pub struct Frame<R: Repr> {
    pub self_: R::Ref,
    pub locals: Vec<R::Ref>,
    pub stack: Vec<R::Ref>,
    /// The environment (a `REF_ARRAY`, slot 0 the parent) or nil.
    pub env: R::Ref,
    /// The block passed to this method (or the block's own outer block).
    pub blk: R::Ref,
    /// The proc this frame runs (nil for methods).
    pub cur: R::Ref,
    /// Where a `return` in a block lands (nil when none).
    pub home: R::Ref,
}

/// How an activation ends.
pub enum Ret<R: Repr> {
    Value(R::Ref),
    Raise(R::Ref),
}

/// The interpreter's own state: singletons and cells (kept alive by
/// `objects::keep`).
pub struct Vm {
    pub nil: GcRef,
    pub t: GcRef,
    pub f: GcRef,
    pub undef: GcRef,
    pub depth: GcRef,
    pub version: GcRef,
    seen_version: i64,
    locs: HashMap<(usize, usize), GcRef>,
    strs: HashMap<String, GcRef>,
    pub main_obj: GcRef,
}

type Res<C> = Result<<C as Repr>::Ref, <C as Repr>::Ref>;

const ARITH: [&str; 16] = [
    "+", "-", "*", "<", "<=", ">", ">=", "==", "!=", "/", "%", "<<", "&", "|", "^", ">>",
];

impl Vm {
    pub fn new() -> Vm {
        Vm {
            nil: objects::nil(),
            t: objects::boolean(true),
            f: objects::boolean(false),
            undef: objects::undef(),
            depth: keep(heap::new_struct(&depth_cell::SIZE)),
            version: keep(heap::new_struct(&version_cell::SIZE)),
            seen_version: objects::version(),
            locs: HashMap::new(),
            strs: HashMap::new(),
            main_obj: keep(objects::new_object(cls::OBJECT)),
        }
    }

    fn cstr(&mut self, s: &str) -> GcRef {
        if let Some(r) = self.strs.get(s) {
            return *r;
        }
        let r = keep(new_str(s));
        self.strs.insert(s.to_string(), r);
        r
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

    /// Reads the version cell: lookups after this are constants in a trace.
    fn read_version<C: Ctx>(&self, ctx: &mut C) {
        let vc = ctx.const_ref(self.version);
        let _ = ctx.getfield_i(vc, &version_cell::v);
    }
    /// After anything that may have changed a class: writes the version
    /// cell through the context, so compiled code that folded a lookup is
    /// invalidated.
    fn sync_version<C: Ctx>(&mut self, ctx: &mut C) {
        let v = objects::version();
        if v != self.seen_version {
            self.seen_version = v;
            let vc = ctx.const_ref(self.version);
            let k = ctx.const_int(v);
            ctx.setfield_i(vc, &version_cell::v, k);
        }
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

    /// An Array object holding `items`.
    pub fn array<C: Ctx>(ctx: &mut C, items: &[C::Ref]) -> C::Ref {
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
        let z = ctx.const_int(0);
        ctx.setfield_i(o, &arr_obj::frozen, z);
        o
    }
    /// The items of an Array (its length promoted).
    fn items_of<C: Ctx>(ctx: &mut C, a: C::Ref) -> Vec<C::Ref> {
        if ctx.class_of(a) != tid::ARR {
            return vec![a];
        }
        let len = ctx.getfield_i(a, &arr_obj::len);
        let n = ctx.promote_int(len);
        let items = ctx.getfield_r(a, &arr_obj::items);
        (0..n)
            .map(|i| {
                let k = ctx.const_int(i);
                ctx.getarrayitem_r(items, &REF_ARRAY, k)
            })
            .collect()
    }

    /// After a residual call whose null result means an exception.
    fn checked<C: Ctx>(ctx: &mut C, r: C::Ref) -> Res<C> {
        if ctx.is_null(r) {
            return Err(ctx.call(&TAKE_ERROR, &[]).gcref());
        }
        Ok(r)
    }

    pub fn exc<C: Ctx>(&mut self, ctx: &mut C, cls_name: &str, msg: &str) -> C::Ref {
        let c = self.cstr(cls_name);
        let m = self.cstr(msg);
        let c = ctx.const_ref(c);
        let m = ctx.const_ref(m);
        ctx.call(&MAKE_EXC, &[Val::Ref(c), Val::Ref(m)]).gcref()
    }

    /// The class id of `v`, promoted (a trace constant).
    fn class_id<C: Ctx>(&self, ctx: &mut C, v: C::Ref) -> usize {
        match ctx.class_of(v) {
            tid::INT | tid::BIG => cls::INTEGER,
            tid::FLOAT => cls::FLOAT,
            tid::NIL => cls::NIL,
            tid::TRUE => cls::TRUE,
            tid::FALSE => cls::FALSE,
            tid::STR => cls::STRING,
            tid::SYM => cls::SYMBOL,
            tid::ARR => cls::ARRAY,
            tid::HASH => cls::HASH,
            tid::RANGE => cls::RANGE,
            tid::PROC => cls::PROC,
            tid::METH => cls::METHOD,
            tid::OBJ => {
                let c = ctx.getfield_i(v, &obj_obj::cls);
                ctx.promote_int(c) as usize
            }
            tid::CLASS => {
                let c = ctx.getfield_i(v, &class_obj::id);
                let c = ctx.promote_int(c) as usize;
                objects::meta_of(c)
            }
            _ => cls::OBJECT,
        }
    }

    // ---- fast paths ----------------------------------------------------------

    /// The traced fast paths of binary operators on Integer and Float.
    fn binop<C: Ctx>(&self, ctx: &mut C, name: &str, a: C::Ref, b: C::Ref) -> Option<C::Ref> {
        use metatrace::ir::OpNum;
        let ta = ctx.class_of(a);
        if ta != tid::INT && ta != tid::FLOAT {
            return None;
        }
        let tb = ctx.class_of(b);
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let cmp = match name {
                "<" => Some(OpNum::IntLt),
                "<=" => Some(OpNum::IntLe),
                ">" => Some(OpNum::IntGt),
                ">=" => Some(OpNum::IntGe),
                "==" => Some(OpNum::IntEq),
                "!=" => Some(OpNum::IntNe),
                _ => None,
            };
            if let Some(op) = cmp {
                let r = ctx.int_binop(op, x, y);
                return Some(self.boolean(ctx, r));
            }
            let r = match name {
                "+" => ctx.int_add_ovf(x, y),
                "-" => ctx.int_sub_ovf(x, y),
                "*" => ctx.int_mul_ovf(x, y),
                "&" => Some(ctx.int_and(x, y)),
                "|" => Some(ctx.int_binop(OpNum::IntOr, x, y)),
                "^" => Some(ctx.int_binop(OpNum::IntXor, x, y)),
                // Ruby floors; the machine truncates. They agree when
                // neither operand is negative, the case traced inline
                // (the residual call handles the rest, and zero).
                "/" | "%" => {
                    let zero = ctx.const_int(0);
                    let pos = ctx.int_gt(y, zero);
                    let nonneg = ctx.int_ge(x, zero);
                    if !(ctx.is_true(pos) && ctx.is_true(nonneg)) {
                        return None;
                    }
                    let op = if name == "/" {
                        OpNum::IntFloorDiv
                    } else {
                        OpNum::IntMod
                    };
                    Some(ctx.int_binop(op, x, y))
                }
                // The machine masks shift counts; Ruby does not.
                ">>" => {
                    let zero = ctx.const_int(0);
                    let max = ctx.const_int(63);
                    let ok = ctx.int_ge(y, zero);
                    let ok2 = ctx.int_le(y, max);
                    if !(ctx.is_true(ok) && ctx.is_true(ok2)) {
                        return None;
                    }
                    Some(ctx.int_binop(OpNum::IntRshift, x, y))
                }
                _ => return None,
            };
            return r.map(|v| Self::box_int(ctx, v));
        }
        let fx = |ctx: &mut C, t: u32, v: C::Ref| -> Option<C::Float> {
            match t {
                tid::FLOAT => Some(ctx.getfield_f(v, &float_obj::v)),
                tid::INT => {
                    let i = ctx.getfield_i(v, &int_obj::v);
                    Some(ctx.cast_int_to_float(i))
                }
                _ => None,
            }
        };
        if ta == tid::FLOAT || tb == tid::FLOAT {
            let x = fx(ctx, ta, a)?;
            let y = fx(ctx, tb, b)?;
            let cmp = |s: &Self, ctx: &mut C, op: OpNum| {
                let r = ctx.float_cmp(op, x, y);
                Some(s.boolean(ctx, r))
            };
            let r = match name {
                "+" => ctx.float_add(x, y),
                "-" => ctx.float_sub(x, y),
                "*" => ctx.float_mul(x, y),
                "/" => ctx.float_truediv(x, y),
                "<" => return cmp(self, ctx, OpNum::FloatLt),
                "<=" => return cmp(self, ctx, OpNum::FloatLe),
                ">" => return cmp(self, ctx, OpNum::FloatGt),
                ">=" => return cmp(self, ctx, OpNum::FloatGe),
                "==" => return cmp(self, ctx, OpNum::FloatEq),
                "!=" => return cmp(self, ctx, OpNum::FloatNe),
                _ => return None,
            };
            return Some(Self::box_float(ctx, r));
        }
        None
    }

    /// `Array#[]` / `Array#[]=` with an Integer index in range, traced.
    fn array_index<C: Ctx>(
        ctx: &mut C,
        a: C::Ref,
        i: C::Ref,
        set: Option<C::Ref>,
    ) -> Option<C::Ref> {
        if ctx.class_of(i) != tid::INT {
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
        if let Some(v) = set {
            let fr = ctx.getfield_i(a, &arr_obj::frozen);
            if ctx.is_true(fr) {
                return None;
            }
            let items = ctx.getfield_r(a, &arr_obj::items);
            ctx.setarrayitem_r(items, &REF_ARRAY, k, v);
            return Some(v);
        }
        let items = ctx.getfield_r(a, &arr_obj::items);
        Some(ctx.getarrayitem_r(items, &REF_ARRAY, k))
    }

    fn ivar_get<C: Ctx>(&mut self, ctx: &mut C, o: C::Ref, sym: usize) -> C::Ref {
        if ctx.class_of(o) == tid::OBJ {
            let m = ctx.getfield_i(o, &obj_obj::map);
            let m = ctx.promote_int(m) as usize;
            return match objects::map_index(m, sym) {
                Some(i) => {
                    let slots = ctx.getfield_r(o, &obj_obj::slots);
                    let k = ctx.const_int(i as i64);
                    ctx.getarrayitem_r(slots, &REF_ARRAY, k)
                }
                None => ctx.const_ref(self.nil),
            };
        }
        let s = ctx.const_int(sym as i64);
        ctx.call(&IVAR_GET, &[Val::Ref(o), Val::Int(s)]).gcref()
    }

    fn ivar_set<C: Ctx>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        sym: usize,
        v: C::Ref,
    ) -> Result<(), C::Ref> {
        if ctx.class_of(o) == tid::OBJ {
            let fr = ctx.getfield_i(o, &obj_obj::frozen);
            if !ctx.is_true(fr) {
                let m = ctx.getfield_i(o, &obj_obj::map);
                let m = ctx.promote_int(m) as usize;
                let (i, newmap) = match objects::map_index(m, sym) {
                    Some(i) => (i, None),
                    None => {
                        let n = objects::map_add(m, sym);
                        (objects::map_index(n, sym).expect("added"), Some(n))
                    }
                };
                let slots = ctx.getfield_r(o, &obj_obj::slots);
                let len = ctx.arraylen(slots, &REF_ARRAY);
                let k = ctx.const_int(i as i64);
                let ok = ctx.int_lt(k, len);
                if ctx.is_true(ok) {
                    ctx.setarrayitem_r(slots, &REF_ARRAY, k, v);
                    if let Some(n) = newmap {
                        let n = ctx.const_int(n as i64);
                        ctx.setfield_i(o, &obj_obj::map, n);
                    }
                    return Ok(());
                }
            }
        }
        let s = ctx.const_int(sym as i64);
        let r = ctx
            .call(&IVAR_SET, &[Val::Ref(o), Val::Int(s), Val::Ref(v)])
            .gcref();
        Self::checked(ctx, r).map(|_| ())
    }

    // ---- calls -----------------------------------------------------------------

    /// A new Proc for block code `cid` created in frame `f`.
    fn make_proc<C: Ctx>(&self, ctx: &mut C, f: &Frame<C::R>, cid: usize, lambda: bool) -> C::Ref {
        let p = ctx.new(&proc_obj::SIZE);
        let c = ctx.const_int(cid as i64);
        ctx.setfield_i(p, &proc_obj::code, c);
        ctx.setfield_r(p, &proc_obj::self_, f.self_);
        ctx.setfield_r(p, &proc_obj::env, f.env);
        ctx.setfield_r(p, &proc_obj::blk, f.blk);
        ctx.setfield_r(p, &proc_obj::home, f.home);
        let l = ctx.const_int(lambda as i64);
        ctx.setfield_i(p, &proc_obj::lambda, l);
        let z = ctx.const_int(0);
        ctx.setfield_i(p, &proc_obj::sym, z);
        p
    }

    /// A `&value` argument as a block: nil, a Proc, a Symbol (`&:sym`),
    /// a Method, or anything with `to_proc`.
    fn block_of<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref) -> Res<C> {
        match ctx.class_of(v) {
            tid::NIL | tid::PROC => Ok(v),
            _ => {
                let r = ctx.call(&TO_PROC, &[Val::Ref(v)]).gcref();
                Self::checked(ctx, r)
            }
        }
    }

    /// Calls method `sym` on `recv`. `Err` is an exception to raise.
    #[allow(clippy::too_many_arguments)]
    pub fn call<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        recv: C::Ref,
        sym: usize,
        args: Vec<C::Ref>,
        blk: C::Ref,
        fcall: bool,
        kw: bool,
    ) -> Res<C> {
        self.read_version(ctx);
        let c = self.class_id(ctx, recv);
        let found = match objects::lookup(c, sym) {
            Some((_, _, owner))
                if (owner == cls::COMPARABLE || owner == cls::ENUMERABLE)
                    && builtins::native_shadow(c, &objects::sym_name(sym)) =>
            {
                None
            }
            f => f,
        };
        match found {
            Some((m, vis, _owner)) => {
                if vis == Vis::Private && !fcall && !objects::sym_name(sym).ends_with('=') {
                    let r = self.no_method(ctx, recv, sym, "private method")?;
                    return Err(r);
                }
                self.invoke(ctx, m, recv, sym, args, blk, kw)
            }
            None => {
                // Traced fast paths of builtins.
                let name = objects::sym_name(sym);
                if let Some(r) = self.builtin_fast_path(ctx, c, &name, recv, &args, blk, kw)? {
                    return Ok(r);
                }
                if args.len() == 1 && ARITH.contains(&name.as_str()) {
                    if let Some(r) = self.binop(ctx, &name, recv, args[0]) {
                        return Ok(r);
                    }
                }
                if c == cls::ARRAY {
                    match (name.as_str(), args.len()) {
                        ("[]", 1) => {
                            if let Some(r) = Self::array_index(ctx, recv, args[0], None) {
                                return Ok(r);
                            }
                        }
                        ("[]=", 2) => {
                            if let Some(r) = Self::array_index(ctx, recv, args[0], Some(args[1])) {
                                return Ok(r);
                            }
                        }
                        ("size" | "length", 0) => {
                            let n = ctx.getfield_i(recv, &arr_obj::len);
                            return Ok(Self::box_int(ctx, n));
                        }
                        _ => {}
                    }
                }
                if c == cls::PROC
                    && (name == "call" || name == "()" || name == "yield" || name == "[]")
                {
                    return self.call_block(ctx, recv, args, None, blk);
                }
                // Identity equality: user objects without their own `==`
                // (structs and exceptions compare members), and the
                // singletons and symbols (interned). `!=` is `!(a == b)`
                // only when `==` is the builtin too.
                if (name == "==" || name == "!=" || name == "equal?") && args.len() == 1 {
                    let t = ctx.class_of(recv);
                    let identity = match t {
                        tid::NIL | tid::TRUE | tid::FALSE | tid::SYM => true,
                        tid::OBJ => {
                            objects::class_mut(c, |k| k.struct_members.is_none())
                                && !objects::ancestors(c).contains(&cls::EXCEPTION)
                        }
                        // Numbers are values in CRuby (`1.equal?(1)`).
                        tid::INT | tid::BIG | tid::FLOAT => false,
                        _ => name == "equal?",
                    };
                    let eq_is_builtin =
                        name != "!=" || objects::lookup(c, objects::sym_id("==")).is_none();
                    if identity && eq_is_builtin {
                        let r = ctx.ptr_eq(recv, args[0]);
                        if name == "!=" {
                            let zero = ctx.const_int(0);
                            let r = ctx.int_eq(r, zero);
                            return Ok(self.boolean(ctx, r));
                        }
                        return Ok(self.boolean(ctx, r));
                    }
                }
                if name == "!" && args.is_empty() {
                    let t = Self::truthy(ctx, recv);
                    return Ok(ctx.const_ref(if t { self.f } else { self.t }));
                }
                if name == "nil?" && args.is_empty() {
                    let t = ctx.class_of(recv) == tid::NIL;
                    return Ok(ctx.const_ref(if t { self.t } else { self.f }));
                }
                self.call_builtin(ctx, recv, sym, sym, args, blk, fcall)
            }
        }
    }

    /// `Array.new(n)` / `Array.new(n, fill)` with an Integer `n >= 0` and
    /// no block: one allocating helper call instead of the generic send
    /// (the Array-building benchmarks, Storage and Queens, make arrays in
    /// their inner loops). `None`: the generic path (a block, an Array
    /// argument, a negative size and its ArgumentError).
    fn array_new_fast<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        args: &[C::Ref],
        blk: C::Ref,
        kw: bool,
    ) -> Option<C::Ref> {
        if kw || args.is_empty() || args.len() > 2 || ctx.class_of(blk) == tid::PROC {
            return None;
        }
        if ctx.class_of(args[0]) != tid::INT {
            return None;
        }
        let n = ctx.getfield_i(args[0], &int_obj::v);
        let zero = ctx.const_int(0);
        let ok = ctx.int_ge(n, zero);
        if !ctx.is_true(ok) {
            return None;
        }
        let fill = match args.get(1) {
            Some(f) => *f,
            None => ctx.const_ref(self.nil),
        };
        Some(
            ctx.call(&ARRAY_FILLED, &[Val::Int(n), Val::Ref(fill)])
                .gcref(),
        )
    }

    /// Builtins traced inline instead of through the generic residual send
    /// (which boxes the arguments into an Array and dispatches on the
    /// method's name): `Class#new` of plain classes (the allocation becomes
    /// visible to allocation removal and `initialize` is inlined),
    /// `Integer#succ`/`pred`, `Range#begin`/`end`/`exclude_end?`, and
    /// String equality, length and indexing through narrow helpers.
    /// `Ok(None)`: not handled here.
    #[allow(clippy::too_many_arguments)]
    fn builtin_fast_path<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        c: usize,
        name: &str,
        recv: C::Ref,
        args: &[C::Ref],
        blk: C::Ref,
        kw: bool,
    ) -> Result<Option<C::Ref>, C::Ref> {
        let t = ctx.class_of(recv);
        match (t, name, args.len()) {
            (tid::CLASS, "new", _) => {
                let k = ctx.getfield_i(recv, &class_obj::id);
                let k = ctx.promote_int(k) as usize;
                if k == cls::ARRAY && c == objects::meta_of(k) {
                    return Ok(self.array_new_fast(ctx, args, blk, kw));
                }
                if c != objects::meta_of(k) || !objects::plain_new(k) {
                    return Ok(None);
                }
                let init = objects::sym_id("initialize");
                let found = objects::lookup(k, init);
                if found.is_none() && !args.is_empty() {
                    // BasicObject#initialize takes no arguments.
                    return Err(self.arg_error(ctx, args.len(), "0"));
                }
                let o = ctx.new(&obj_obj::SIZE);
                let kc = ctx.const_int(k as i64);
                ctx.setfield_i(o, &obj_obj::cls, kc);
                let zero = ctx.const_int(0);
                ctx.setfield_i(o, &obj_obj::map, zero);
                ctx.setfield_i(o, &obj_obj::frozen, zero);
                let hint = objects::class_mut(k, |k| k.ivar_hint);
                let n = ctx.const_int(hint as i64);
                let slots = ctx.new_array(&REF_ARRAY, n);
                ctx.setfield_r(o, &obj_obj::slots, slots);
                if let Some((m, _, _)) = found {
                    self.invoke(ctx, m, o, init, args.to_vec(), blk, kw)?;
                }
                Ok(Some(o))
            }
            (tid::INT, "succ" | "pred", 0) => {
                let x = ctx.getfield_i(recv, &int_obj::v);
                let one = ctx.const_int(1);
                let r = if name == "succ" {
                    ctx.int_add_ovf(x, one)
                } else {
                    ctx.int_sub_ovf(x, one)
                };
                Ok(r.map(|v| Self::box_int(ctx, v)))
            }
            (tid::RANGE, "begin", 0) => Ok(Some(ctx.getfield_r(recv, &range_obj::lo))),
            (tid::RANGE, "end", 0) => Ok(Some(ctx.getfield_r(recv, &range_obj::hi))),
            (tid::RANGE, "exclude_end?", 0) => {
                let e = ctx.getfield_i(recv, &range_obj::excl);
                let zero = ctx.const_int(0);
                let r = ctx.int_ne(e, zero);
                Ok(Some(self.boolean(ctx, r)))
            }
            (tid::STR, "==" | "!=" | "===" | "eql?", 1) => {
                if ctx.class_of(args[0]) != tid::STR {
                    return Ok(None);
                }
                let r = ctx
                    .call(&STR_EQ, &[Val::Ref(recv), Val::Ref(args[0])])
                    .int();
                let r = if name == "!=" {
                    let zero = ctx.const_int(0);
                    ctx.int_eq(r, zero)
                } else {
                    r
                };
                Ok(Some(self.boolean(ctx, r)))
            }
            (tid::STR, "length" | "size", 0) => {
                let n = ctx.call(&STR_LEN, &[Val::Ref(recv)]).int();
                Ok(Some(Self::box_int(ctx, n)))
            }
            (tid::STR, "[]", 1) => {
                if ctx.class_of(args[0]) != tid::INT {
                    return Ok(None);
                }
                let i = ctx.getfield_i(args[0], &int_obj::v);
                Ok(Some(
                    ctx.call(&STR_AT, &[Val::Ref(recv), Val::Int(i)]).gcref(),
                ))
            }
            // An Array equals only an Array (or what has `to_ary`, which
            // none of these have).
            (tid::ARR, "==", 1)
                if matches!(
                    ctx.class_of(args[0]),
                    tid::NIL | tid::TRUE | tid::FALSE | tid::INT | tid::FLOAT | tid::SYM | tid::STR
                ) =>
            {
                Ok(Some(ctx.const_ref(self.f)))
            }
            _ => Ok(None),
        }
    }

    /// A builtin method (residual). Unknown names go to `method_missing`.
    #[allow(clippy::too_many_arguments)]
    fn call_builtin<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        recv: C::Ref,
        sym: usize,
        orig: usize,
        args: Vec<C::Ref>,
        blk: C::Ref,
        fcall: bool,
    ) -> Res<C> {
        let arr = Self::array(ctx, &args);
        let s = ctx.const_int(sym as i64);
        let f = ctx.const_int(fcall as i64);
        let a = [
            Val::Int(s),
            Val::Ref(recv),
            Val::Ref(arr),
            Val::Ref(blk),
            Val::Int(f),
        ];
        let r = if builtins::is_pure(&objects::sym_name(sym)) {
            ctx.call(&BUILTIN_PURE, &a).gcref()
        } else {
            ctx.call_may_force(self, &BUILTIN, &a).gcref()
        };
        self.sync_version(ctx);
        let r = Self::checked(ctx, r)?;
        let u = ctx.const_ref(self.undef);
        let is_undef = ctx.ptr_eq(r, u);
        if !ctx.is_true(is_undef) {
            return Ok(r);
        }
        // No such method: method_missing, or NoMethodError.
        let c = self.class_id(ctx, recv);
        let mm = objects::sym_id("method_missing");
        if let Some((m, _, _)) = objects::lookup(c, mm) {
            let mut a2 = vec![ctx.const_ref(objects::sym_obj(orig))];
            a2.extend(args);
            return self.invoke(ctx, m, recv, mm, a2, blk, false);
        }
        let what = if fcall && args.is_empty() {
            "undefined local variable or method"
        } else {
            "undefined method"
        };
        let e = self.no_method(ctx, recv, orig, what)?;
        Err(e)
    }

    fn no_method<C: Ctx>(&mut self, ctx: &mut C, recv: C::Ref, sym: usize, what: &str) -> Res<C> {
        let w = self.cstr(what);
        let w = ctx.const_ref(w);
        let s = ctx.const_int(sym as i64);
        Ok(ctx
            .call(&NO_METHOD, &[Val::Ref(recv), Val::Int(s), Val::Ref(w)])
            .gcref())
    }

    /// Runs method entry `m` found for `sym`.
    #[allow(clippy::too_many_arguments)]
    fn invoke<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        m: Meth,
        recv: C::Ref,
        sym: usize,
        args: Vec<C::Ref>,
        blk: C::Ref,
        kw: bool,
    ) -> Res<C> {
        match m {
            Meth::Code(cid) => self.call_code(ctx, cid, recv, args, blk, kw, None),
            Meth::Reader(iv) => {
                if !args.is_empty() {
                    return Err(self.arg_error(ctx, args.len(), "0"));
                }
                Ok(self.ivar_get(ctx, recv, iv))
            }
            Meth::Writer(iv) => {
                if args.len() != 1 {
                    return Err(self.arg_error(ctx, args.len(), "1"));
                }
                self.ivar_set(ctx, recv, iv, args[0])?;
                Ok(args[0])
            }
            Meth::Proc(p) => {
                let p = ctx.const_ref(p);
                self.call_block(ctx, p, args, Some(recv), blk)
            }
            Meth::Builtin(b) => self.call_builtin(ctx, recv, b, sym, args, blk, true),
            Meth::Undef => {
                let e = self.no_method(ctx, recv, sym, "undefined method")?;
                Err(e)
            }
        }
    }

    fn arg_error<C: Ctx>(&mut self, ctx: &mut C, given: usize, expected: &str) -> C::Ref {
        let msg = format!("wrong number of arguments (given {given}, expected {expected})");
        self.exc(ctx, "ArgumentError", &msg)
    }

    /// Binds `args` to the parameters of `code` in a new frame.
    #[allow(clippy::too_many_arguments)]
    fn bind<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        mut args: Vec<C::Ref>,
        strict: bool,
        kw: bool,
        frame: &mut Frame<C::R>,
        blk: C::Ref,
    ) -> Result<(), C::Ref> {
        let p: &Params = &code.params;
        let nil = ctx.const_ref(self.nil);
        let undef = ctx.const_ref(self.undef);
        // Keyword arguments: the last Hash.
        let mut kwh = None;
        if !p.kw.is_empty() || p.kwrest.is_some() {
            if let Some(last) = args.last().copied() {
                if ctx.class_of(last) == tid::HASH {
                    let npos = p.req.len() + p.post.len();
                    if args.len() > npos || kw {
                        kwh = Some(last);
                        args.pop();
                    }
                }
            }
        }
        // Blocks spread one Array argument over several parameters.
        let nfixed = p.req.len() + p.opt.len() + p.post.len();
        if !strict
            && args.len() == 1
            && !p.arity_one
            && (nfixed > 1 || (p.rest.is_some() && nfixed > 0))
            && ctx.class_of(args[0]) == tid::ARR
        {
            args = Self::items_of(ctx, args[0]);
        }
        let n = args.len();
        let nreq = p.req.len() + p.post.len();
        if strict && (n < nreq || (p.rest.is_none() && n > nreq + p.opt.len())) {
            let expected = if p.rest.is_some() {
                format!("{nreq}+")
            } else if !p.opt.is_empty() {
                format!("{}..{}", nreq, nreq + p.opt.len())
            } else {
                nreq.to_string()
            };
            return Err(self.arg_error(ctx, n, &expected));
        }
        let mut vals: Vec<C::Ref> = args;
        // Pad for blocks.
        while vals.len() < nreq {
            vals.push(nil);
        }
        let navail_opt = (vals.len() - nreq).min(p.opt.len());
        let nrest = vals.len() - nreq - navail_opt;
        let mut it = 0;
        let put = |ctx: &mut C, frame: &mut Frame<C::R>, s: Slot, v: C::Ref| match s {
            Slot::Local(i) => frame.locals[i] = v,
            Slot::Env(i) => {
                let k = ctx.const_int(i as i64);
                ctx.setarrayitem_r(frame.env, &REF_ARRAY, k, v);
            }
        };
        for s in &p.req {
            put(ctx, frame, *s, vals[it]);
            it += 1;
        }
        for (j, s) in p.opt.iter().enumerate() {
            if j < navail_opt {
                put(ctx, frame, *s, vals[it]);
                it += 1;
            } else {
                put(ctx, frame, *s, undef);
            }
        }
        if let Some(r) = p.rest {
            let a = Self::array(ctx, &vals[it..it + nrest]);
            put(ctx, frame, r, a);
        }
        it += nrest;
        for s in &p.post {
            let v = vals.get(it).copied().unwrap_or(nil);
            put(ctx, frame, *s, v);
            it += 1;
        }
        if !p.kw.is_empty() || p.kwrest.is_some() {
            let h = match kwh {
                Some(h) => h,
                None => ctx.const_ref(self.nil),
            };
            for (ksym, s, required) in &p.kw {
                let k = ctx.const_int(*ksym as i64);
                let v = ctx.call(&KW_FETCH, &[Val::Ref(h), Val::Int(k)]).gcref();
                if *required && ctx.class_of(v) == tid::UNDEF {
                    let msg = format!("missing keyword: :{}", objects::sym_name(*ksym));
                    return Err(self.exc(ctx, "ArgumentError", &msg));
                }
                put(ctx, frame, *s, v);
            }
            if let Some(s) = p.kwrest {
                let names: Vec<i64> = p.kw.iter().map(|k| k.0 as i64).collect();
                let r = ctx.call(&KW_REST, &[Val::Ref(h)]).gcref();
                for k in names {
                    let k = ctx.const_int(k);
                    ctx.call(&KW_DELETE, &[Val::Ref(r), Val::Int(k)]);
                }
                put(ctx, frame, s, r);
            }
        }
        if let Some(s) = p.block {
            put(ctx, frame, s, blk);
        }
        Ok(())
    }

    /// A new frame for `code`.
    fn new_frame<C: Ctx>(
        &self,
        ctx: &mut C,
        code: &Code,
        self_: C::Ref,
        parent_env: C::Ref,
        blk: C::Ref,
    ) -> Frame<C::R> {
        let nil = ctx.const_ref(self.nil);
        let env = if code.nenv > 0 {
            let n = ctx.const_int(code.nenv as i64);
            let e = ctx.new_array(&REF_ARRAY, n);
            let z = ctx.const_int(0);
            ctx.setarrayitem_r(e, &REF_ARRAY, z, parent_env);
            for i in 1..code.nenv {
                let k = ctx.const_int(i as i64);
                ctx.setarrayitem_r(e, &REF_ARRAY, k, nil);
            }
            e
        } else {
            parent_env
        };
        Frame {
            self_,
            locals: vec![nil; code.nlocals],
            stack: Vec::new(),
            env,
            blk,
            cur: nil,
            home: nil,
        }
    }

    /// Runs a portal call with the depth check.
    fn run_frame<C: Jit<Self>>(&mut self, ctx: &mut C, cid: usize, frame: Frame<C::R>) -> Res<C> {
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
        let r = ctx.call_portal(self, (cid, 0), frame);
        heap::gc::no_collect_enter();
        ctx.setfield_i(cell, &depth_cell::value, depth);
        match r {
            Ret::Value(v) => Ok(v),
            Ret::Raise(e) => Err(e),
        }
    }

    /// Calls a method body.
    #[allow(clippy::too_many_arguments)]
    pub fn call_code<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cid: usize,
        self_: C::Ref,
        args: Vec<C::Ref>,
        blk: C::Ref,
        kw: bool,
        _x: Option<()>,
    ) -> Res<C> {
        let code = bytecode::code(cid);
        let nil = ctx.const_ref(self.nil);
        let mut frame = self.new_frame(ctx, &code, self_, nil, blk);
        self.bind(ctx, &code, args, true, kw, &mut frame, blk)?;
        if code.needs_home {
            frame.home = ctx.new(&home_obj::SIZE);
        }
        self.run_frame(ctx, cid, frame)
    }

    /// Calls a block / proc with `args` (self replaced for `define_method`
    /// and `instance_eval`).
    pub fn call_block<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        p: C::Ref,
        args: Vec<C::Ref>,
        self_override: Option<C::Ref>,
        blk_arg: C::Ref,
    ) -> Res<C> {
        if ctx.class_of(p) != tid::PROC {
            return Err(self.exc(ctx, "LocalJumpError", "no block given (yield)"));
        }
        let c = ctx.getfield_i(p, &proc_obj::code);
        let cid = ctx.promote_int(c);
        if cid == -2 {
            // `method(:m).to_proc`
            let s = ctx.getfield_i(p, &proc_obj::sym);
            let s = ctx.promote_int(s) as usize;
            let recv = ctx.getfield_r(p, &proc_obj::self_);
            return self.call(ctx, recv, s, args, blk_arg, true, false);
        }
        if cid < 0 {
            // `&:sym`
            let s = ctx.getfield_i(p, &proc_obj::sym);
            let s = ctx.promote_int(s) as usize;
            if args.is_empty() {
                return Err(self.exc(ctx, "ArgumentError", "no receiver given"));
            }
            let recv = args[0];
            let nil = ctx.const_ref(self.nil);
            return self.call(ctx, recv, s, args[1..].to_vec(), nil, false, false);
        }
        let cid = cid as usize;
        let code = bytecode::code(cid);
        let l = ctx.getfield_i(p, &proc_obj::lambda);
        let lambda = ctx.promote_int(l) != 0;
        let self_ = match self_override {
            Some(s) => s,
            None => ctx.getfield_r(p, &proc_obj::self_),
        };
        let penv = ctx.getfield_r(p, &proc_obj::env);
        let outer_blk = ctx.getfield_r(p, &proc_obj::blk);
        let mut frame = self.new_frame(ctx, &code, self_, penv, outer_blk);
        let strict = lambda;
        self.bind(ctx, &code, args, strict, false, &mut frame, blk_arg)?;
        frame.cur = p;
        frame.home = if lambda && code.needs_home {
            ctx.new(&home_obj::SIZE)
        } else {
            ctx.getfield_r(p, &proc_obj::home)
        };
        let r = self.run_frame(ctx, cid, frame);
        if lambda {
            // `break` in a lambda returns from it.
            if let Err(e) = r {
                if ctx.class_of(e) == tid::CTL {
                    let tag = ctx.getfield_r(e, &ctl_obj::tag);
                    let same = ctx.ptr_eq(tag, p);
                    if ctx.is_true(same) {
                        return Ok(ctx.getfield_r(e, &ctl_obj::val));
                    }
                }
            }
        }
        r
    }

    /// `super`.
    fn super_call<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cid: usize,
        f: &Frame<C::R>,
        args: Vec<C::Ref>,
        blk: C::Ref,
        kw: bool,
    ) -> Res<C> {
        self.read_version(ctx);
        let mc = bytecode::method_code(cid);
        let mcode = bytecode::code(mc);
        let msym = objects::sym_id(&mcode.method_name);
        let c = self.class_id(ctx, f.self_);
        let owner = bytecode::owner(mc).unwrap_or(c);
        match objects::lookup_super(c, owner, msym) {
            Some((m, _, _)) => self.invoke(ctx, m, f.self_, msym, args, blk, kw),
            None => {
                let r = self.call_builtin(ctx, f.self_, msym, msym, args, blk, true);
                if let Err(e) = r {
                    // Report a missing super method CRuby's way.
                    let _ = e;
                }
                r
            }
        }
    }

    fn spread_args<C: Ctx>(ctx: &mut C, args: Vec<C::Ref>, splat: bool) -> Vec<C::Ref> {
        if splat {
            Self::items_of(ctx, args[0])
        } else {
            args
        }
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
            Op::GetEnv(d, i) => {
                let mut e = f.env;
                for _ in 0..d {
                    let z = ctx.const_int(0);
                    e = ctx.getarrayitem_r(e, &REF_ARRAY, z);
                }
                let k = ctx.const_int(i as i64);
                let v = ctx.getarrayitem_r(e, &REF_ARRAY, k);
                f.stack.push(v)
            }
            Op::SetEnv(d, i) => {
                let v = pop(f);
                let mut e = f.env;
                for _ in 0..d {
                    let z = ctx.const_int(0);
                    e = ctx.getarrayitem_r(e, &REF_ARRAY, z);
                }
                let k = ctx.const_int(i as i64);
                ctx.setarrayitem_r(e, &REF_ARRAY, k, v);
            }
            Op::GetIvar(s) => {
                let v = self.ivar_get(ctx, f.self_, s);
                f.stack.push(v)
            }
            Op::SetIvar(s) => {
                let v = pop(f);
                let me = f.self_;
                self.ivar_set(ctx, me, s, v)?;
            }
            Op::GetGlobal(s) => {
                let k = ctx.const_int(s as i64);
                let v = ctx.call(&GLOBAL_GET, &[Val::Int(k)]).gcref();
                f.stack.push(v)
            }
            Op::SetGlobal(s) => {
                let v = pop(f);
                let k = ctx.const_int(s as i64);
                ctx.call(&GLOBAL_SET, &[Val::Int(k), Val::Ref(v)]);
            }
            Op::GetCvar(s) | Op::SetCvar(s) => {
                let c = ctx.const_int(g.0 as i64);
                let k = ctx.const_int(s as i64);
                let me = f.self_;
                if let Op::SetCvar(_) = op {
                    let v = pop(f);
                    ctx.call(
                        &CVAR_SET,
                        &[Val::Int(c), Val::Ref(me), Val::Int(k), Val::Ref(v)],
                    );
                } else {
                    let r = ctx
                        .call(&CVAR_GET, &[Val::Int(c), Val::Ref(me), Val::Int(k)])
                        .gcref();
                    let r = Self::checked(ctx, r)?;
                    f.stack.push(r)
                }
            }
            Op::GetConst(s) => {
                self.read_version(ctx);
                let cref = bytecode::cref(g.0);
                match objects::lookup_const(cref, s) {
                    Some(v) => f.stack.push(ctx.const_ref(v)),
                    None => {
                        let c = ctx.const_int(cref as i64);
                        let k = ctx.const_int(s as i64);
                        let r = ctx
                            .call_may_force(self, &CONST_MISSING, &[Val::Int(c), Val::Int(k)])
                            .gcref();
                        let r = Self::checked(ctx, r)?;
                        f.stack.push(r)
                    }
                }
            }
            Op::GetConstFrom(s) => {
                let scope = pop(f);
                self.read_version(ctx);
                if ctx.class_of(scope) == tid::CLASS {
                    let c = ctx.getfield_i(scope, &class_obj::id);
                    let c = ctx.promote_int(c) as usize;
                    if let Some(v) = objects::get_const(c, s) {
                        f.stack.push(ctx.const_ref(v));
                        return Ok(Step::Next);
                    }
                    let mut found = None;
                    for a in objects::ancestors(c) {
                        if let Some(v) = objects::get_const(a, s) {
                            found = Some(v);
                            break;
                        }
                    }
                    if let Some(v) = found {
                        f.stack.push(ctx.const_ref(v));
                        return Ok(Step::Next);
                    }
                    let c = ctx.const_int(c as i64);
                    let k = ctx.const_int(s as i64);
                    let r = ctx
                        .call_may_force(self, &CONST_MISSING, &[Val::Int(c), Val::Int(k)])
                        .gcref();
                    let r = Self::checked(ctx, r)?;
                    f.stack.push(r);
                } else {
                    let msg = format!("{} is not a class/module", "value");
                    return Err(self.exc(ctx, "TypeError", &msg));
                }
            }
            Op::SetConst(s) | Op::SetConstFrom(s) => {
                let scope = if let Op::SetConstFrom(_) = op {
                    pop(f)
                } else {
                    let c = bytecode::cref(g.0);
                    ctx.const_ref(objects::class_obj_of(c))
                };
                let v = pop(f);
                let k = ctx.const_int(s as i64);
                ctx.call(&SET_CONST, &[Val::Ref(scope), Val::Int(k), Val::Ref(v)]);
                self.sync_version(ctx);
            }
            Op::Pop => {
                pop(f);
            }
            Op::Dup => {
                let v = *f.stack.last().expect("stack depth is static");
                f.stack.push(v)
            }
            Op::Swap => {
                let a = pop(f);
                let b = pop(f);
                f.stack.push(a);
                f.stack.push(b);
            }
            Op::Over(n) => {
                let v = f.stack[f.stack.len() - 1 - n];
                f.stack.push(v)
            }
            Op::Send(i) => {
                let site = &code.sites[i];
                let blkv = if site.blk_arg { Some(pop(f)) } else { None };
                let args = f.stack.split_off(f.stack.len() - site.argc);
                let recv = pop(f);
                let args = Self::spread_args(ctx, args, site.splat);
                let (blk, lit) = match (site.blk, blkv) {
                    (Some(cid), _) => {
                        let p = self.make_proc(ctx, f, cid, false);
                        (p, Some(p))
                    }
                    (None, Some(v)) => (self.block_of(ctx, v)?, None),
                    (None, None) => (ctx.const_ref(self.nil), None),
                };
                let r = self.call(ctx, recv, site.sym, args, blk, site.fcall, site.kw);
                let r = match (r, lit) {
                    (Err(e), Some(p)) => self.catch_break(ctx, e, p)?,
                    (r, _) => r?,
                };
                f.stack.push(r)
            }
            Op::Super(i) => {
                let site = &code.sites[i];
                let blkv = if site.blk_arg { Some(pop(f)) } else { None };
                let args = f.stack.split_off(f.stack.len() - site.argc);
                let args = Self::spread_args(ctx, args, site.splat);
                let (blk, lit) = match (site.blk, blkv) {
                    (Some(cid), _) => {
                        let p = self.make_proc(ctx, f, cid, false);
                        (p, Some(p))
                    }
                    (None, Some(v)) => (self.block_of(ctx, v)?, None),
                    (None, None) => (f.blk, None),
                };
                let kw = site.kw;
                let r = self.super_call(ctx, g.0, f, args, blk, kw);
                let r = match (r, lit) {
                    (Err(e), Some(p)) => self.catch_break(ctx, e, p)?,
                    (r, _) => r?,
                };
                f.stack.push(r)
            }
            Op::Yield(n, splat) => {
                let args = f.stack.split_off(f.stack.len() - n);
                let args = Self::spread_args(ctx, args, splat);
                let b = f.blk;
                let nil = ctx.const_ref(self.nil);
                let r = self.call_block(ctx, b, args, None, nil)?;
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
            Op::JumpIfNil(t) => {
                let v = *f.stack.last().expect("stack depth is static");
                if ctx.class_of(v) == tid::NIL {
                    g.1 = t;
                }
            }
            Op::IsUndef => {
                let v = pop(f);
                let u = ctx.class_of(v) == tid::UNDEF;
                f.stack.push(ctx.const_ref(if u { self.t } else { self.f }))
            }
            Op::MakeArray(n) => {
                let items = f.stack.split_off(f.stack.len() - n);
                let a = Self::array(ctx, &items);
                f.stack.push(a)
            }
            Op::ArrayPush | Op::ArrayConcat => {
                let v = pop(f);
                let a = *f.stack.last().expect("stack depth is static");
                let d = if op == Op::ArrayPush {
                    &ARRAY_PUSH
                } else {
                    &ARRAY_CONCAT
                };
                ctx.call(d, &[Val::Ref(a), Val::Ref(v)]);
            }
            Op::ToArray => {
                let v = pop(f);
                let r = ctx.call(&TO_ARRAY, &[Val::Ref(v)]).gcref();
                f.stack.push(r)
            }
            Op::Expand(pre, rest, post) => {
                let a = pop(f);
                let items = Self::items_of(ctx, a);
                let nil = ctx.const_ref(self.nil);
                let n = items.len();
                let mut vals: Vec<C::Ref> = Vec::new();
                for i in 0..pre {
                    vals.push(items.get(i).copied().unwrap_or(nil));
                }
                if rest {
                    let lo = pre.min(n);
                    let hi = n.saturating_sub(post).max(lo);
                    let r = Self::array(ctx, &items[lo..hi]);
                    vals.push(r);
                    for i in 0..post {
                        vals.push(items.get(hi + i).copied().unwrap_or(nil));
                    }
                }
                for v in vals.into_iter().rev() {
                    f.stack.push(v);
                }
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
                let r = ctx.new(&range_obj::SIZE);
                ctx.setfield_r(r, &range_obj::lo, lo);
                ctx.setfield_r(r, &range_obj::hi, hi);
                let e = ctx.const_int(excl as i64);
                ctx.setfield_i(r, &range_obj::excl, e);
                f.stack.push(r)
            }
            Op::ToS => {
                let v = pop(f);
                if ctx.class_of(v) == tid::STR {
                    f.stack.push(v);
                } else {
                    let nil = ctx.const_ref(self.nil);
                    let r = self.call(
                        ctx,
                        v,
                        objects::sym_id("to_s"),
                        Vec::new(),
                        nil,
                        true,
                        false,
                    )?;
                    let r = if ctx.class_of(r) == tid::STR {
                        r
                    } else {
                        ctx.call(&ANY_TO_S, &[Val::Ref(v)]).gcref()
                    };
                    f.stack.push(r)
                }
            }
            Op::Concat(n) => {
                let items = f.stack.split_off(f.stack.len() - n);
                let a = Self::array(ctx, &items);
                let s = ctx.call(&CONCAT, &[Val::Ref(a)]).gcref();
                f.stack.push(s)
            }
            Op::Def(s, cid) | Op::DefS(s, cid) => {
                let target = if let Op::DefS(..) = op {
                    pop(f)
                } else {
                    ctx.const_ref(self.undef)
                };
                let k = ctx.const_int(s as i64);
                let c = ctx.const_int(cid as i64);
                let here = ctx.const_int(g.0 as i64);
                let me = f.self_;
                let r = ctx
                    .call(
                        &DEFINE,
                        &[
                            Val::Ref(me),
                            Val::Ref(target),
                            Val::Int(k),
                            Val::Int(c),
                            Val::Int(here),
                        ],
                    )
                    .gcref();
                self.sync_version(ctx);
                let r = Self::checked(ctx, r)?;
                f.stack.push(r)
            }
            Op::Class(s, body) | Op::Module(s, body) => {
                let sup = if let Op::Class(..) = op {
                    pop(f)
                } else {
                    ctx.const_ref(self.undef)
                };
                let scope = pop(f);
                let k = ctx.const_int(s as i64);
                let b = ctx.const_int(body as i64);
                let m = ctx.const_int(matches!(op, Op::Module(..)) as i64);
                let here = ctx.const_int(g.0 as i64);
                let c = ctx
                    .call(
                        &OPEN_CLASS,
                        &[
                            Val::Ref(scope),
                            Val::Ref(sup),
                            Val::Int(k),
                            Val::Int(b),
                            Val::Int(m),
                            Val::Int(here),
                        ],
                    )
                    .gcref();
                self.sync_version(ctx);
                let c = Self::checked(ctx, c)?;
                let r = self.run_body(ctx, body, c)?;
                f.stack.push(r)
            }
            Op::SClass(body) => {
                let o = pop(f);
                let b = ctx.const_int(body as i64);
                let here = ctx.const_int(g.0 as i64);
                let c = ctx
                    .call(&SINGLETON, &[Val::Ref(o), Val::Int(b), Val::Int(here)])
                    .gcref();
                self.sync_version(ctx);
                let c = Self::checked(ctx, c)?;
                let r = self.run_body(ctx, body, c)?;
                f.stack.push(r)
            }
            Op::Lambda(cid) => {
                let p = self.make_proc(ctx, f, cid, true);
                f.stack.push(p)
            }
            Op::Return => return Ok(Step::Return(Ret::Value(pop(f)))),
            Op::ReturnNonLocal => {
                let v = pop(f);
                if self.in_lambda(ctx, f) {
                    return Ok(Step::Return(Ret::Value(v)));
                }
                let k = ctx.const_int(1);
                let e = ctx
                    .call(&MAKE_CTL, &[Val::Int(k), Val::Ref(f.home), Val::Ref(v)])
                    .gcref();
                return Err(e);
            }
            Op::Break => {
                let v = pop(f);
                if self.in_lambda(ctx, f) {
                    return Ok(Step::Return(Ret::Value(v)));
                }
                let k = ctx.const_int(0);
                let e = ctx
                    .call(&MAKE_CTL, &[Val::Int(k), Val::Ref(f.cur), Val::Ref(v)])
                    .gcref();
                return Err(e);
            }
            Op::Raise => {
                let e = pop(f);
                return Err(e);
            }
            Op::ExcMatch(n) => {
                let classes = f.stack.split_off(f.stack.len() - n);
                let e = *f.stack.last().expect("stack depth is static");
                let a = Self::array(ctx, &classes);
                let r = ctx
                    .call_may_force(self, &EXC_MATCH, &[Val::Ref(e), Val::Ref(a)])
                    .gcref();
                let r = Self::checked(ctx, r)?;
                f.stack.push(r)
            }
            Op::BlockGiven => {
                let b = ctx.class_of(f.blk) != tid::NIL;
                f.stack.push(ctx.const_ref(if b { self.t } else { self.f }))
            }
            Op::BlockArg => f.stack.push(f.blk),
            Op::Defined(i) => {
                let v = pop(f);
                if ctx.class_of(v) == tid::UNDEF {
                    f.stack.push(ctx.const_ref(self.nil))
                } else {
                    f.stack.push(ctx.const_ref(code.consts[i]))
                }
            }
        }
        Ok(Step::Next)
    }

    fn in_lambda<C: Ctx>(&self, ctx: &mut C, f: &Frame<C::R>) -> bool {
        if ctx.class_of(f.cur) != tid::PROC {
            return false;
        }
        let l = ctx.getfield_i(f.cur, &proc_obj::lambda);
        ctx.promote_int(l) != 0
    }

    /// `break` out of the block literal `p`: the call's value.
    fn catch_break<C: Ctx>(&mut self, ctx: &mut C, e: C::Ref, p: C::Ref) -> Res<C> {
        if ctx.class_of(e) == tid::CTL {
            let kind = ctx.getfield_i(e, &ctl_obj::kind);
            let zero = ctx.const_int(0);
            let is_break = ctx.int_eq(kind, zero);
            if ctx.is_true(is_break) {
                let tag = ctx.getfield_r(e, &ctl_obj::tag);
                let same = ctx.ptr_eq(tag, p);
                if ctx.is_true(same) {
                    return Ok(ctx.getfield_r(e, &ctl_obj::val));
                }
            }
        }
        Err(e)
    }

    /// Runs a class body with self = the class.
    fn run_body<C: Jit<Self>>(&mut self, ctx: &mut C, body: usize, c: C::Ref) -> Res<C> {
        let code = bytecode::code(body);
        let nil = ctx.const_ref(self.nil);
        let frame = self.new_frame(ctx, &code, c, nil, nil);
        let r = self.run_frame(ctx, body, frame);
        ctx.call(&END_CLASS_BODY, &[Val::Ref(c)]);
        r
    }

    /// An exception left instruction `pc`: a handler of this code, a
    /// `return` arriving home, or the frame ends raising it.
    fn handle<C: Ctx>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
        pc: usize,
        e: C::Ref,
    ) -> Step<Ret<C::R>> {
        let is_ctl = ctx.class_of(e) == tid::CTL;
        if !is_ctl {
            let l = self.loc(code, g.0, pc);
            let l = ctx.const_ref(l);
            let cell = ctx.const_ref(self.depth);
            let d = ctx.getfield_i(cell, &depth_cell::value);
            ctx.call(&BT_PUSH, &[Val::Ref(e), Val::Ref(l), Val::Int(d)]);
        }
        for h in &code.handlers {
            if h.start <= pc && pc < h.end {
                f.stack.truncate(h.depth);
                f.stack.push(e);
                g.1 = h.target;
                return Step::Next;
            }
        }
        if is_ctl {
            let kind = ctx.getfield_i(e, &ctl_obj::kind);
            let one = ctx.const_int(1);
            let is_ret = ctx.int_eq(kind, one);
            if ctx.is_true(is_ret) && ctx.class_of(f.home) == tid::HOME {
                let owns = !code.is_block || self.in_lambda(ctx, f);
                if owns {
                    let tag = ctx.getfield_r(e, &ctl_obj::tag);
                    let same = ctx.ptr_eq(tag, f.home);
                    if ctx.is_true(same) {
                        let v = ctx.getfield_r(e, &ctl_obj::val);
                        return Step::Return(Ret::Value(v));
                    }
                }
            }
        }
        Step::Return(Ret::Raise(e))
    }
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
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
            env: m.gcref(f.env),
            blk: m.gcref(f.blk),
            cur: m.gcref(f.cur),
            home: m.gcref(f.home),
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
        let pc = g.1;
        match self.exec(ctx, &code, g, f) {
            Ok(s) => s,
            Err(e) => self.handle(ctx, &code, g, f, pc, e),
        }
    }
}

/// Calls `recv.sym(*args, &blk)` from a builtin (through the activation the
/// builtin's `call_may_force` left). `None`: no activation to re-enter.
pub fn guest_call(
    recv: GcRef,
    sym: usize,
    args: Vec<GcRef>,
    blk: GcRef,
) -> Option<Result<GcRef, GcRef>> {
    metatrace::guest::reenter::<Vm, _>(|vm, ctx| vm.call(ctx, recv, sym, args, blk, true, false))
}
/// Calls block `p` from a builtin.
pub fn guest_yield(p: GcRef, args: Vec<GcRef>) -> Option<Result<GcRef, GcRef>> {
    metatrace::guest::reenter::<Vm, _>(|vm, ctx| {
        let nil = Ctx::const_ref(ctx, vm.nil);
        vm.call_block(ctx, p, args, None, nil)
    })
}
/// Calls block `p` with `self` replaced (`instance_eval`, `define_method`).
pub fn guest_yield_self(p: GcRef, self_: GcRef, args: Vec<GcRef>) -> Option<Result<GcRef, GcRef>> {
    metatrace::guest::reenter::<Vm, _>(|vm, ctx| {
        let nil = Ctx::const_ref(ctx, vm.nil);
        vm.call_block(ctx, p, args, Some(self_), nil)
    })
}
/// Runs a compiled file's main code with self = main.
pub fn guest_run_main(cid: usize) -> Option<Result<GcRef, GcRef>> {
    metatrace::guest::reenter::<Vm, _>(|vm, ctx| {
        let code = bytecode::code(cid);
        let nil = Ctx::const_ref(ctx, vm.nil);
        let me = Ctx::const_ref(ctx, vm.main_obj);
        let mut frame = vm.new_frame(ctx, &code, me, nil, nil);
        if code.needs_home {
            frame.home = Ctx::new(ctx, &home_obj::SIZE);
        }
        vm.run_frame(ctx, cid, frame)
    })
}
