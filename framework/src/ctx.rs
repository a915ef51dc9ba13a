//! Staging through a context trait (DESIGN §3): the hint API a VM is written
//! against.
//!
//! Owns: the value representations (`Repr`: `Plain`, `Traced`, `Shape`),
//! the operation interface `Ctx` (every red operation and every branch on a
//! red value goes through it), `Jit` (portal calls), and `Interp`, the trait
//! a VM implements: greens, the red frame, and `step` — the body of the
//! interpreter loop after `jit_merge_point`.
//!
//! A VM's `step` is generic over `C: Jit<Self>` and is compiled twice:
//! - `Direct` (`C::R = Plain`): reds are `i64` / `f64` / `GcRef`, every
//!   method is `#[inline(always)]` — the interpreter a human would write;
//! - `Recorder` (`C::R = Traced`): reds are (concrete value, IR operand)
//!   pairs; each op executes *and* is appended to the trace; branches on
//!   reds record the guard for the direction taken.
//!
//! Greens (pc, code object, ...) are ordinary Rust values in both modes.

use crate::heap::GcRef;
use crate::ir::{ArrayDescr, CallDescr, FieldDescr, Kind, OpNum, Operand, SizeDescr};
use std::fmt::Debug;
use std::hash::Hash;

/// How red values are represented in one mode.
pub trait Repr: Sized {
    /// The representation of a red int.
    type Int: Copy + Debug;
    /// The representation of a red float.
    type Float: Copy + Debug;
    /// The representation of a red GC reference.
    type Ref: Copy + Debug + crate::heap::roots::RefWord;
}

impl crate::heap::roots::RefWord for T<GcRef> {
    fn ref_word(&self) -> usize {
        self.v.addr()
    }
}

/// Direct mode: plain machine values.
#[derive(Debug)]
pub struct Plain;
impl Repr for Plain {
    type Int = i64;
    type Float = f64;
    type Ref = GcRef;
}

/// A red value while recording: what it is now, and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct T<V> {
    /// The concrete value.
    pub v: V,
    /// Where it comes from in the trace (an IR operand).
    pub op: Operand,
}

/// Recording mode: (concrete value, operand) pairs.
#[derive(Debug)]
pub struct Traced;
impl Repr for Traced {
    type Int = T<i64>;
    type Float = T<f64>;
    type Ref = T<GcRef>;
}

/// The shape of a frame without its values: used in resume data to rebuild
/// a frame from a dead frame's flat value list.
#[derive(Debug)]
pub struct Shape;
impl Repr for Shape {
    type Int = ();
    type Float = ();
    type Ref = ();
}

/// A red value of any kind (call arguments and results).
pub enum Val<R: Repr> {
    /// An int.
    Int(R::Int),
    /// A float.
    Float(R::Float),
    /// A GC reference.
    Ref(R::Ref),
    /// No value (a call without result).
    Void,
}
impl<R: Repr> Clone for Val<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R: Repr> Copy for Val<R> {}
impl<R: Repr> Debug for Val<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Int(v) => write!(f, "Int({v:?})"),
            Val::Float(v) => write!(f, "Float({v:?})"),
            Val::Ref(v) => write!(f, "Ref({v:?})"),
            Val::Void => f.write_str("Void"),
        }
    }
}
impl<R: Repr> Val<R> {
    /// The int inside; panics on another kind (a VM bug).
    pub fn int(self) -> R::Int {
        match self {
            Val::Int(v) => v,
            other => panic!("expected an int value, got {other:?}"),
        }
    }
    /// The float inside; panics on another kind.
    pub fn float(self) -> R::Float {
        match self {
            Val::Float(v) => v,
            other => panic!("expected a float value, got {other:?}"),
        }
    }
    /// The reference inside; panics on another kind.
    pub fn gcref(self) -> R::Ref {
        match self {
            Val::Ref(v) => v,
            other => panic!("expected a ref value, got {other:?}"),
        }
    }
}

/// Converts red values from one representation to another; a VM's
/// `map_frame` applies it to each red in a fixed order.
pub trait MapReds<A: Repr, B: Repr> {
    /// Converts a red int.
    fn int(&mut self, v: A::Int) -> B::Int;
    /// Converts a red float.
    fn float(&mut self, v: A::Float) -> B::Float;
    /// Converts a red reference.
    fn gcref(&mut self, v: A::Ref) -> B::Ref;
}

/// The operations on red values. See the module docs.
///
/// Every method has PyPy's op name (or the hint's name). The primitives are
/// implemented per mode; the named shortcuts (`int_add`, ...) forward to them.
pub trait Ctx: Repr {
    /// The frame representation of this mode (`Plain` or `Traced`).
    type R: Repr<Int = Self::Int, Float = Self::Float, Ref = Self::Ref>;

    /// RPython's `we_are_jitted()`: true while recording.
    fn we_are_jitted(&self) -> bool;

    /// A constant int (an IR constant while tracing).
    fn const_int(&mut self, v: i64) -> Self::Int;
    /// A constant float.
    fn const_float(&mut self, v: f64) -> Self::Float;
    /// A constant reference (kept alive by the loops that embed it).
    fn const_ref(&mut self, v: GcRef) -> Self::Ref;

    /// The int operation `op` (`int_add`, `int_lt`, ...) on two reds; the named shortcuts below forward here.
    fn int_binop(&mut self, op: OpNum, a: Self::Int, b: Self::Int) -> Self::Int;
    /// The unary int operation `op` (`int_neg`, `int_invert`, ...).
    fn int_unop(&mut self, op: OpNum, a: Self::Int) -> Self::Int;
    /// `int_add_ovf` & co. followed by `guard_no_overflow` (`Some`) or
    /// `guard_overflow` (`None`), whichever happened.
    fn int_ovf(&mut self, op: OpNum, a: Self::Int, b: Self::Int) -> Option<Self::Int>;
    /// The float operation `op` (`float_add`, ...).
    fn float_binop(&mut self, op: OpNum, a: Self::Float, b: Self::Float) -> Self::Float;
    /// The unary float operation `op` (`float_neg`, `float_abs`).
    fn float_unop(&mut self, op: OpNum, a: Self::Float) -> Self::Float;
    /// A float comparison `op` (`float_lt`, ...): 0 or 1.
    fn float_cmp(&mut self, op: OpNum, a: Self::Float, b: Self::Float) -> Self::Int;
    /// `cast_int_to_float`.
    fn cast_int_to_float(&mut self, a: Self::Int) -> Self::Float;
    /// `cast_float_to_int` (truncating).
    fn cast_float_to_int(&mut self, a: Self::Float) -> Self::Int;
    /// `ptr_eq`: 1 if both references are the same object.
    fn ptr_eq(&mut self, a: Self::Ref, b: Self::Ref) -> Self::Int;

    /// Branch on a red int: records `guard_true` / `guard_false`.
    fn is_true(&mut self, a: Self::Int) -> bool;
    /// Branch on nullness: records `guard_isnull` / `guard_nonnull`.
    fn is_null(&mut self, a: Self::Ref) -> bool;
    /// RPython's `promote`: red → green via `guard_value`.
    ///
    /// Returns the value as a plain Rust `i64`: from here on the trace
    /// treats it as a constant, and everything computed from it folds.
    /// PyPy promotes an object's class or map so that method and
    /// attribute lookups become constants.
    ///
    /// ```
    /// # use metatrace::{Interp, Jit, JitDriver, JitParams, LlGraph, MapReds, Repr, Step, Ctx};
    /// # struct Vm;
    /// struct Frame<R: Repr> { n: R::Int, k: R::Int, acc: R::Int }
    /// # impl Interp for Vm {
    /// #     type Greens = ();
    /// #     type Frame<R: Repr> = Frame<R>;
    /// #     type Ret<R: Repr> = R::Int;
    /// #     fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
    /// #         Frame { n: m.int(f.n), k: m.int(f.k), acc: m.int(f.acc) }
    /// #     }
    /// #     fn map_ret<A: Repr, B: Repr>(r: &A::Int, m: &mut impl MapReds<A, B>) -> B::Int { m.int(*r) }
    /// #     fn step<C: Jit<Self>>(&mut self, ctx: &mut C, _: &mut (), f: &mut Frame<C::R>)
    /// #         -> Step<<C::R as Repr>::Int> {
    /// #         let zero = ctx.const_int(0);
    /// #         let more = ctx.int_gt(f.n, zero);
    /// #         if !ctx.is_true(more) { return Step::Return(f.acc); }
    /// // in `step`: acc += n * k, with k promoted
    /// let k: i64 = ctx.promote_int(f.k);
    /// let k = ctx.const_int(k);
    /// let nk = ctx.int_mul(f.n, k);
    /// f.acc = ctx.int_add(f.acc, nk);
    /// #         let one = ctx.const_int(1);
    /// #         f.n = ctx.int_sub(f.n, one);
    /// #         Step::CanEnterJit
    /// #     }
    /// # }
    /// # let mut driver = JitDriver::new(JitParams::parse("threshold=10").unwrap(), Box::new(LlGraph::new()));
    /// # driver.keep_traces = true;
    /// let r = driver.run(&mut Vm, (), Frame { n: 100, k: 3, acc: 0 });
    /// assert_eq!(r, 3 * 5050);
    /// let trace = driver.traces[0].1.to_string();
    /// assert!(trace.contains("guard_value("), "{trace}");
    /// assert!(trace.contains(", 3)"), "k is the constant 3 in the trace: {trace}");
    /// ```
    fn promote_int(&mut self, a: Self::Int) -> i64;
    /// [`Ctx::promote_int`] for floats.
    fn promote_float(&mut self, a: Self::Float) -> f64;
    /// [`Ctx::promote_int`] for references (`guard_value` on the object).
    fn promote_ref(&mut self, a: Self::Ref) -> GcRef;
    /// The header type id of a non-null object, promoted with `guard_class`.
    fn class_of(&mut self, a: Self::Ref) -> u32;

    /// `getfield_gc_*` (`getfield_gc_pure_*` for immutable fields; a constant
    /// under `guard_not_invalidated` for quasi-immutable ones).
    fn getfield(&mut self, obj: Self::Ref, d: &'static FieldDescr) -> Val<Self::R>;
    /// `setfield_gc`. Writing a quasi-immutable field invalidates the loops
    /// that read it as a constant.
    fn setfield(&mut self, obj: Self::Ref, d: &'static FieldDescr, v: Val<Self::R>);
    /// `getarrayitem_gc_*`: item `i` of the array.
    fn getarrayitem(
        &mut self,
        arr: Self::Ref,
        d: &'static ArrayDescr,
        i: Self::Int,
    ) -> Val<Self::R>;
    /// `setarrayitem_gc`: writes item `i`.
    fn setarrayitem(
        &mut self,
        arr: Self::Ref,
        d: &'static ArrayDescr,
        i: Self::Int,
        v: Val<Self::R>,
    );
    /// `arraylen_gc`.
    fn arraylen(&mut self, arr: Self::Ref, d: &'static ArrayDescr) -> Self::Int;
    /// PyPy's `new` op (the name clippy expects for constructors).
    #[allow(clippy::new_ret_no_self, clippy::wrong_self_convention)]
    fn new(&mut self, d: &'static SizeDescr) -> Self::Ref;
    /// `new_array`; the VM checks `len` is sane (`0 <= len`) first.
    fn new_array(&mut self, d: &'static ArrayDescr, len: Self::Int) -> Self::Ref;

    /// A call described by `d`: residual (`call_*`, executed concretely
    /// while recording), or elidable (`call_pure_*`, folded to a constant
    /// when every argument is constant).
    fn call(&mut self, d: &'static CallDescr, args: &[Val<Self::R>]) -> Val<Self::R>;

    /// The pending guest exception (see [`crate::exc`]), taken: the slot is
    /// empty afterwards. `None` when nothing is pending. Use it after a
    /// call whose descr `can_raise`, instead of `exc::take`: when pending,
    /// it records a call that reads the slot (`exc::TAKE_EXCEPTION`), so
    /// the trace's value is the exception compiled code meets at run time.
    /// (`exc::take` plus `const_ref` would bake the one seen while tracing
    /// into the trace, and leave the slot set in compiled code: a bridge
    /// out of `guard_no_exception` would handle a stale exception and the
    /// next call's guard would fail again.) Nothing is recorded when no
    /// exception is pending: the call's `guard_no_exception` says so.
    fn take_exception(&mut self) -> Option<Self::Ref> {
        if !crate::exc::is_pending() {
            return None;
        }
        Some(self.call(&crate::exc::TAKE_EXCEPTION, &[]).gcref())
    }

    /// The concrete value, without recording a guard. Only for values that
    /// do not influence what the interpreter does next (e.g. text of an
    /// error message); anything else must `promote`.
    fn peek_int(&self, a: Self::Int) -> i64;
    /// [`Ctx::peek_int`] for floats.
    fn peek_float(&self, a: Self::Float) -> f64;
    /// [`Ctx::peek_int`] for references.
    fn peek_ref(&self, a: Self::Ref) -> GcRef;

    // ---- named shortcuts -------------------------------------------------
    /// PyPy's `int_add` (forwards to the primitive).
    #[inline(always)]
    fn int_add(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntAdd, a, b)
    }
    /// PyPy's `int_sub` (forwards to the primitive).
    #[inline(always)]
    fn int_sub(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntSub, a, b)
    }
    /// PyPy's `int_mul` (forwards to the primitive).
    #[inline(always)]
    fn int_mul(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntMul, a, b)
    }
    /// PyPy's `int_and` (forwards to the primitive).
    #[inline(always)]
    fn int_and(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntAnd, a, b)
    }
    /// PyPy's `int_lt` (forwards to the primitive).
    #[inline(always)]
    fn int_lt(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntLt, a, b)
    }
    /// PyPy's `int_le` (forwards to the primitive).
    #[inline(always)]
    fn int_le(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntLe, a, b)
    }
    /// PyPy's `int_eq` (forwards to the primitive).
    #[inline(always)]
    fn int_eq(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntEq, a, b)
    }
    /// PyPy's `int_ne` (forwards to the primitive).
    #[inline(always)]
    fn int_ne(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntNe, a, b)
    }
    /// PyPy's `int_gt` (forwards to the primitive).
    #[inline(always)]
    fn int_gt(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntGt, a, b)
    }
    /// PyPy's `int_ge` (forwards to the primitive).
    #[inline(always)]
    fn int_ge(&mut self, a: Self::Int, b: Self::Int) -> Self::Int {
        self.int_binop(OpNum::IntGe, a, b)
    }
    /// `int_add_ovf` + the overflow guard ([`Ctx::int_ovf`]): `None` on overflow.
    #[inline(always)]
    fn int_add_ovf(&mut self, a: Self::Int, b: Self::Int) -> Option<Self::Int> {
        self.int_ovf(OpNum::IntAddOvf, a, b)
    }
    /// `int_sub_ovf` + the overflow guard ([`Ctx::int_ovf`]): `None` on overflow.
    #[inline(always)]
    fn int_sub_ovf(&mut self, a: Self::Int, b: Self::Int) -> Option<Self::Int> {
        self.int_ovf(OpNum::IntSubOvf, a, b)
    }
    /// `int_mul_ovf` + the overflow guard ([`Ctx::int_ovf`]): `None` on overflow.
    #[inline(always)]
    fn int_mul_ovf(&mut self, a: Self::Int, b: Self::Int) -> Option<Self::Int> {
        self.int_ovf(OpNum::IntMulOvf, a, b)
    }
    /// PyPy's `float_add` (forwards to the primitive).
    #[inline(always)]
    fn float_add(&mut self, a: Self::Float, b: Self::Float) -> Self::Float {
        self.float_binop(OpNum::FloatAdd, a, b)
    }
    /// PyPy's `float_sub` (forwards to the primitive).
    #[inline(always)]
    fn float_sub(&mut self, a: Self::Float, b: Self::Float) -> Self::Float {
        self.float_binop(OpNum::FloatSub, a, b)
    }
    /// PyPy's `float_mul` (forwards to the primitive).
    #[inline(always)]
    fn float_mul(&mut self, a: Self::Float, b: Self::Float) -> Self::Float {
        self.float_binop(OpNum::FloatMul, a, b)
    }
    /// PyPy's `float_truediv` (forwards to the primitive).
    #[inline(always)]
    fn float_truediv(&mut self, a: Self::Float, b: Self::Float) -> Self::Float {
        self.float_binop(OpNum::FloatTrueDiv, a, b)
    }
    /// [`Ctx::getfield`] of an int field.
    #[inline(always)]
    fn getfield_i(&mut self, obj: Self::Ref, d: &'static FieldDescr) -> Self::Int {
        self.getfield(obj, d).int()
    }
    /// [`Ctx::getfield`] of a float field.
    #[inline(always)]
    fn getfield_f(&mut self, obj: Self::Ref, d: &'static FieldDescr) -> Self::Float {
        self.getfield(obj, d).float()
    }
    /// [`Ctx::getfield`] of a reference field.
    #[inline(always)]
    fn getfield_r(&mut self, obj: Self::Ref, d: &'static FieldDescr) -> Self::Ref {
        self.getfield(obj, d).gcref()
    }
    /// [`Ctx::setfield`] of an int field.
    #[inline(always)]
    fn setfield_i(&mut self, obj: Self::Ref, d: &'static FieldDescr, v: Self::Int) {
        self.setfield(obj, d, Val::Int(v))
    }
    /// [`Ctx::setfield`] of a float field.
    #[inline(always)]
    fn setfield_f(&mut self, obj: Self::Ref, d: &'static FieldDescr, v: Self::Float) {
        self.setfield(obj, d, Val::Float(v))
    }
    /// [`Ctx::setfield`] of a reference field.
    #[inline(always)]
    fn setfield_r(&mut self, obj: Self::Ref, d: &'static FieldDescr, v: Self::Ref) {
        self.setfield(obj, d, Val::Ref(v))
    }
    /// [`Ctx::getarrayitem`] of an int item.
    #[inline(always)]
    fn getarrayitem_i(&mut self, a: Self::Ref, d: &'static ArrayDescr, i: Self::Int) -> Self::Int {
        self.getarrayitem(a, d, i).int()
    }
    /// [`Ctx::getarrayitem`] of a reference item.
    #[inline(always)]
    fn getarrayitem_r(&mut self, a: Self::Ref, d: &'static ArrayDescr, i: Self::Int) -> Self::Ref {
        self.getarrayitem(a, d, i).gcref()
    }
    /// [`Ctx::setarrayitem`] of an int item.
    #[inline(always)]
    fn setarrayitem_i(&mut self, a: Self::Ref, d: &'static ArrayDescr, i: Self::Int, v: Self::Int) {
        self.setarrayitem(a, d, i, Val::Int(v))
    }
    /// [`Ctx::setarrayitem`] of a reference item.
    #[inline(always)]
    fn setarrayitem_r(&mut self, a: Self::Ref, d: &'static ArrayDescr, i: Self::Int, v: Self::Ref) {
        self.setarrayitem(a, d, i, Val::Ref(v))
    }
}

/// What `step` tells the framework after one instruction.
pub enum Step<Ret> {
    /// Go on with the next instruction (`jit_merge_point` again).
    Next,
    /// A backward jump: RPython's `can_enter_jit` — hot counting, loop closing
    /// and entering compiled code happen here.
    CanEnterJit,
    /// The portal (this frame's interpretation) returns.
    Return(Ret),
}

/// The interpreter side of a portal call (a guest call the JIT may inline).
pub trait Jit<I: Interp>: Ctx {
    /// Runs `frame` from `greens` to its return, as a nested portal
    /// invocation: a recursive call in direct mode, inlined while recording.
    fn call_portal(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Self::R>,
    ) -> I::Ret<Self::R>;

    /// A residual call whose helper may run guest code (PyPy's
    /// `call_may_force`): while the helper runs, [`crate::guest::reenter`]
    /// hands it this interpreter and a direct-mode context, so it can make
    /// portal calls — a user `__eq__` from inside a dict lookup, a key
    /// function from a sort. In a trace it is `call_may_force_K`, after
    /// which nothing cached about the heap or quasi-immutable fields is
    /// trusted. Give `d` [`crate::ir::EffectInfo::MAY_FORCE`]; a helper
    /// called through plain [`Ctx::call`] finds no activation and cannot
    /// re-enter.
    fn call_may_force(
        &mut self,
        interp: &mut I,
        d: &'static CallDescr,
        args: &[Val<Self::R>],
    ) -> Val<Self::R>;
}

/// What a VM implements: RPython's `JitDriver(greens=..., reds=...)` plus
/// the interpreter loop body.
pub trait Interp: Sized + 'static {
    /// The green key: constant in a trace (pc, code object, ...).
    type Greens: Clone + Eq + Hash + Debug;
    /// The reds: the frame's live values. They become the trace's input
    /// arguments, so they live in registers for the whole loop. The shape
    /// (e.g. stack depth) must be a function of the green key.
    type Frame<R: Repr>;
    /// What a portal invocation returns.
    type Ret<R: Repr>;

    /// Applies `m` to every red of `f`, in a fixed order.
    fn map_frame<A: Repr, B: Repr>(
        f: &Self::Frame<A>,
        m: &mut impl MapReds<A, B>,
    ) -> Self::Frame<B>;
    /// Applies `m` to every red of a portal result.
    fn map_ret<A: Repr, B: Repr>(r: &Self::Ret<A>, m: &mut impl MapReds<A, B>) -> Self::Ret<B>;

    /// One instruction. Called at `jit_merge_point` with the current greens.
    fn step<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        greens: &mut Self::Greens,
        frame: &mut Self::Frame<C::R>,
    ) -> Step<Self::Ret<C::R>>;

    /// References the VM itself holds outside frames and heap objects
    /// (constant tables, globals): report each to `visit`. The collector
    /// calls this while a portal runs; it must not allocate. VMs that keep
    /// such references in `heap::roots::Handle`s need not override it.
    fn trace_roots(&self, _visit: &mut dyn FnMut(GcRef)) {}

    /// RPython's `get_printable_location`: shown in `debug_merge_point`s and logs.
    fn printable_location(&self, greens: &Self::Greens) -> String {
        format!("{greens:?}")
    }

    /// RPython's `can_never_inline`: portal calls into `greens` (a portal
    /// entry) are never inlined into a trace; they become `call_assembler`
    /// (when the VM compares result shapes, see [`Interp::ret_shape_eq`]).
    fn can_never_inline(&self, _greens: &Self::Greens) -> bool {
        false
    }

    /// Whether two portal results have the same shape: the same variant
    /// and the same non-red payload. Compiled code that calls a portal
    /// (`call_assembler`) goes on only with a result shaped like the one
    /// it was traced with; otherwise it leaves through `guard_not_forced`
    /// and the interpreter takes the real result. `None` (the default)
    /// means the VM does not say, and the JIT inlines every portal call
    /// instead (up to `max_unroll_recursion`, then aborts).
    ///
    /// Interpreter state that must stay exact in compiled code — the
    /// recursion depth above all — belongs in the heap, updated through
    /// the context: a trace runs an inlined or `call_assembler`ed call
    /// without re-running the Rust code around the VM's `call_portal`.
    fn ret_shape_eq(_a: &Self::Ret<Shape>, _b: &Self::Ret<Shape>) -> Option<bool> {
        None
    }
}

/// Flattens reds into words and kinds, keeping the shape (portal results
/// leaving through `call_assembler`).
pub(crate) struct Words<'a>(pub &'a mut Vec<u64>, pub &'a mut Vec<Kind>);
impl MapReds<Plain, Shape> for Words<'_> {
    fn int(&mut self, v: i64) {
        self.0.push(v as u64);
        self.1.push(Kind::Int);
    }
    fn float(&mut self, v: f64) {
        self.0.push(v.to_bits());
        self.1.push(Kind::Float);
    }
    fn gcref(&mut self, v: GcRef) {
        self.0.push(v.addr() as u64);
        self.1.push(Kind::Ref);
    }
}

/// Rebuilds plain reds from a shape and words (a `call_assembler` helper
/// rebuilding the callee's frame).
pub(crate) struct Unflatten<'a>(pub std::slice::Iter<'a, u64>);
impl MapReds<Shape, Plain> for Unflatten<'_> {
    fn int(&mut self, _: ()) -> i64 {
        *self.0.next().expect("too few words for the shape") as i64
    }
    fn float(&mut self, _: ()) -> f64 {
        f64::from_bits(*self.0.next().expect("too few words for the shape"))
    }
    fn gcref(&mut self, _: ()) -> GcRef {
        crate::backend::word_to_ref(*self.0.next().expect("too few words for the shape"))
    }
}

/// Flattens reds into `(kind, word)` pairs in map order (entering compiled code).
pub(crate) struct Flatten<'a>(pub &'a mut Vec<u64>);
impl MapReds<Plain, Shape> for Flatten<'_> {
    fn int(&mut self, v: i64) {
        self.0.push(v as u64)
    }
    fn float(&mut self, v: f64) {
        self.0.push(v.to_bits())
    }
    fn gcref(&mut self, v: GcRef) {
        self.0.push(v.addr() as u64)
    }
}

/// Reports the references among a frame's reds to the collector: the
/// value of a plain red; value and constant operand of a traced one.
pub(crate) struct RefWords<'a>(pub &'a mut dyn FnMut(usize));
impl MapReds<Plain, Shape> for RefWords<'_> {
    fn int(&mut self, _: i64) {}
    fn float(&mut self, _: f64) {}
    fn gcref(&mut self, v: GcRef) {
        (self.0)(v.addr())
    }
}
impl MapReds<Traced, Shape> for RefWords<'_> {
    fn int(&mut self, _: T<i64>) {}
    fn float(&mut self, _: T<f64>) {}
    fn gcref(&mut self, v: T<GcRef>) {
        (self.0)(v.v.addr());
        if let Operand::ConstPtr(p) = v.op {
            (self.0)(p)
        }
    }
}

/// Root visitors (`heap::roots::Visit`) for a VM's frames and results.
pub(crate) fn visit_frame<I: Interp, R: Repr>(f: &I::Frame<R>, out: &mut dyn FnMut(usize))
where
    for<'a> RefWords<'a>: MapReds<R, Shape>,
{
    let _ = I::map_frame(f, &mut RefWords(out));
}
pub(crate) fn visit_interp<I: Interp>(i: &I, out: &mut dyn FnMut(usize)) {
    i.trace_roots(&mut |r| out(r.addr()));
}

/// Collects the operands and kinds of traced reds (snapshots, jump args).
pub(crate) struct Operands<'a>(pub &'a mut Vec<Operand>, pub &'a mut Vec<Kind>);
impl MapReds<Traced, Shape> for Operands<'_> {
    fn int(&mut self, v: T<i64>) {
        self.0.push(v.op);
        self.1.push(Kind::Int);
    }
    fn float(&mut self, v: T<f64>) {
        self.0.push(v.op);
        self.1.push(Kind::Float);
    }
    fn gcref(&mut self, v: T<GcRef>) {
        self.0.push(v.op);
        self.1.push(Kind::Ref);
    }
}

/// Drops the operands of traced values (back to direct mode).
pub(crate) struct Concrete;
impl MapReds<Traced, Plain> for Concrete {
    fn int(&mut self, v: T<i64>) -> i64 {
        v.v
    }
    fn float(&mut self, v: T<f64>) -> f64 {
        v.v
    }
    fn gcref(&mut self, v: T<GcRef>) -> GcRef {
        v.v
    }
}

/// Rebuilds values of a shape from a word list, pairing each with an
/// operand chosen by `mk` (a fresh input arg, or a dummy constant).
pub(crate) struct Rebuild<'a, F: FnMut(Kind, u64) -> Operand> {
    pub words: std::slice::Iter<'a, u64>,
    pub mk: F,
}
impl<F: FnMut(Kind, u64) -> Operand> Rebuild<'_, F> {
    fn next(&mut self, k: Kind) -> (u64, Operand) {
        let w = *self
            .words
            .next()
            .expect("resume data shorter than the frame shape");
        (w, (self.mk)(k, w))
    }
}
impl<F: FnMut(Kind, u64) -> Operand> MapReds<Shape, Traced> for Rebuild<'_, F> {
    fn int(&mut self, _: ()) -> T<i64> {
        let (w, op) = self.next(Kind::Int);
        T { v: w as i64, op }
    }
    fn float(&mut self, _: ()) -> T<f64> {
        let (w, op) = self.next(Kind::Float);
        T {
            v: f64::from_bits(w),
            op,
        }
    }
    fn gcref(&mut self, _: ()) -> T<GcRef> {
        let (w, op) = self.next(Kind::Ref);
        // SAFETY-free: words of kind Ref come from dead frames/compiled code,
        // which only hold heap references; see `heap::GcRef::from_addr`.
        T {
            v: crate::backend::word_to_ref(w),
            op,
        }
    }
}

/// Lifts plain values into traced ones with operands chosen by `mk`.
pub(crate) struct Lift<F: FnMut(Kind, u64) -> Operand>(pub F);
impl<F: FnMut(Kind, u64) -> Operand> MapReds<Plain, Traced> for Lift<F> {
    fn int(&mut self, v: i64) -> T<i64> {
        T {
            v,
            op: (self.0)(Kind::Int, v as u64),
        }
    }
    fn float(&mut self, v: f64) -> T<f64> {
        T {
            v,
            op: (self.0)(Kind::Float, v.to_bits()),
        }
    }
    fn gcref(&mut self, v: GcRef) -> T<GcRef> {
        T {
            v,
            op: (self.0)(Kind::Ref, v.addr() as u64),
        }
    }
}
