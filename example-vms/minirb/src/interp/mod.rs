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
//!
//! This module holds the frame and `Vm` types, the small helpers every
//! part uses (boxing, truthiness, the class-table version, exceptions),
//! `step` and the entry points for builtins (`guest_call` & co.); the
//! rest is split by concern, each an `impl Vm` block:
//! - `exec` — the dispatch loop's body, one instruction;
//! - `call` — method dispatch, argument binding, frames, blocks, `super`;
//! - `fastpath` — operators, indexing, ivars and builtins traced inline;
//! - `unwind` — exception handlers and non-local exits.

use crate::builtins::{self, BUILTIN, BUILTIN_PURE, TAKE_ERROR};
use crate::bytecode::{self, Code, Op, Params, Slot};
use crate::objects::{self, cls, *};
use crate::residuals::*;
use hashbrown::HashMap;
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::{Ctx, Interp, Jit, MapReds, Repr, Shape, Step, Val};

mod call;
mod exec;
mod fastpath;
mod unwind;

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
