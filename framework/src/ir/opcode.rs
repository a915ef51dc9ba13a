//! The operation set: one row per opcode, in PyPy's `resoperation` vocabulary.
//!
//! Owns: the `OpNum` enum, each opcode's printed name, its result kind,
//! operand count and the class flags the optimizer and backends ask about
//! (pure, guard, has side effects, ...). Nothing here looks at operands.
//!
//! Why a table: PyPy keeps the same facts in `resoperation.py`'s `_oplist`;
//! a single macro row per op keeps name, arity and flags from drifting apart.

use super::Kind;

/// Flags describing an opcode class. Several may be set.
pub mod flags {
    /// No side effects, result depends only on the operands: CSE/folding candidate.
    pub const PURE: u16 = 1;
    /// A guard: carries fail args and resume data.
    pub const GUARD: u16 = 2;
    /// Writes memory or has an effect visible outside the trace.
    pub const EFFECT: u16 = 4;
    /// Reads mutable memory (result can change after an effect).
    pub const READ: u16 = 8;
    /// Allocates a new object.
    pub const ALLOC: u16 = 16;
    /// A call of some sort (descr is a call descr).
    pub const CALL: u16 = 32;
    /// Has an overflow flag consumed by the following guard_(no_)overflow.
    pub const OVF: u16 = 64;
    /// Ends a trace (jump/finish).
    pub const FINAL: u16 = 128;
    /// Commutative binary op.
    pub const COMM: u16 = 256;
}

/// Opcode families: ops that passes and backends treat alike, differing
/// only in their result kind (`_i/_r/_f/_n`) or a detail the descr gives.
/// Every row of the table below names its family, so "is this a residual
/// call?" or "is this a field read?" is asked here, never spelled out as a
/// list of opcodes in a pass or a backend.
///
/// The exception is on purpose: a match that gives every op its meaning
/// (llgraph's semantics, the verifier's operand rules, a backend's
/// instruction selection) names each op and has no `_` arm, so adding a
/// row here fails to compile until every one of them says what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Integer arithmetic, comparisons and tests (wrapping, no flag).
    Int,
    /// `int_add_ovf` / `int_sub_ovf` / `int_mul_ovf`: set the overflow flag.
    IntOvf,
    /// Float arithmetic, comparisons and int/float casts.
    Float,
    /// `ptr_eq` / `ptr_ne`.
    Ptr,
    /// `same_as_*`.
    SameAs,
    /// Guards: leave the trace when their condition does not hold (fail args, resume data).
    Guard,
    /// `getfield_gc_*` and `getfield_gc_pure_*` (descr = field descr).
    GetfieldGc,
    /// `getfield_raw_*` (descr = field descr, object an integer address).
    GetfieldRaw,
    /// `setfield_gc` (descr = field descr).
    SetfieldGc,
    /// `setfield_raw` (descr = field descr, object an integer address).
    SetfieldRaw,
    /// `getarrayitem_gc_*` (descr = array descr).
    GetarrayitemGc,
    /// `setarrayitem_gc` (descr = array descr).
    SetarrayitemGc,
    /// `arraylen_gc` (descr = array descr).
    Arraylen,
    /// `new` / `new_with_vtable` (descr = size descr).
    New,
    /// `new_array` / `new_array_clear` (descr = array descr).
    NewArray,
    /// `quasiimmut_field`: marks the read of a quasi-immutable field.
    QuasiImmut,
    /// `call_*`: a residual call with effects.
    Call,
    /// `call_pure_*`: elidable, may be folded or CSE'd.
    CallPure,
    /// `call_may_force_*`: may force the frame (followed by `guard_not_forced`).
    CallMayForce,
    /// `call_assembler_*`: enters another compiled loop.
    CallAssembler,
    /// `label`, `jump`, `finish`, `debug_merge_point`.
    Control,
    /// `escape_*`: test ops that keep their operands opaque.
    Escape,
    /// `force_token`.
    ForceToken,
}

macro_rules! opcodes {
    ($( $(#[$m:meta])* $variant:ident = $name:literal, $fam:ident, $res:ident, $arity:expr, $flags:expr; )*) => {
        /// An IR opcode. Names (see [`OpNum::name`]) follow PyPy's `resoperation.py`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(non_camel_case_types)]
        pub enum OpNum { $( $(#[$m])* $variant, )* }

        impl OpNum {
            /// Every opcode, in declaration order (used by tests and the parser).
            pub const ALL: &'static [OpNum] = &[ $( OpNum::$variant, )* ];

            /// PyPy's printed name, e.g. `int_add_ovf`.
            pub fn name(self) -> &'static str {
                match self { $( OpNum::$variant => $name, )* }
            }

            /// Kind of the result (`Kind::Void` when the op produces none).
            pub fn result_kind(self) -> Kind {
                match self { $( OpNum::$variant => Kind::$res, )* }
            }

            /// Fixed number of operands, or `None` for variadic ops
            /// (label, jump, finish, calls, debug_merge_point, escape).
            pub fn arity(self) -> Option<usize> {
                match self { $( OpNum::$variant => $arity, )* }
            }

            /// The family the op belongs to: the one place that says which
            /// ops are calls, field reads, allocations ... (see [`Family`]).
            pub fn family(self) -> Family {
                match self { $( OpNum::$variant => Family::$fam, )* }
            }

            fn flags(self) -> u16 {
                match self { $( OpNum::$variant => $flags, )* }
            }

            /// Look an opcode up by its printed name.
            pub fn from_name(name: &str) -> Option<OpNum> {
                match name { $( $name => Some(OpNum::$variant), )* _ => None }
            }
        }
    };
}

use flags::*;
const N: Option<usize> = None;
const fn a(n: usize) -> Option<usize> {
    Some(n)
}

opcodes! {
    // ---- integer arithmetic (wrapping, like RPython's lltype Signed) ----
    /// `int_add(a, b)`: `a + b`, wrapping.
    IntAdd = "int_add", Int, Int, a(2), PURE | COMM;
    /// `int_sub(a, b)`: `a - b`, wrapping.
    IntSub = "int_sub", Int, Int, a(2), PURE;
    /// `int_mul(a, b)`: `a * b`, wrapping (low 64 bits).
    IntMul = "int_mul", Int, Int, a(2), PURE | COMM;
    /// Truncating division (C semantics); the VM guards against zero and overflow.
    IntFloorDiv = "int_floordiv", Int, Int, a(2), PURE;
    /// Remainder with the sign of the dividend (C semantics).
    IntMod = "int_mod", Int, Int, a(2), PURE;
    /// `int_and(a, b)`: bitwise and.
    IntAnd = "int_and", Int, Int, a(2), PURE | COMM;
    /// `int_or(a, b)`: bitwise or.
    IntOr = "int_or", Int, Int, a(2), PURE | COMM;
    /// `int_xor(a, b)`: bitwise exclusive or.
    IntXor = "int_xor", Int, Int, a(2), PURE | COMM;
    /// Shift counts are masked to 0..63, as on x86-64 and AArch64.
    IntLshift = "int_lshift", Int, Int, a(2), PURE;
    /// `int_rshift(a, n)`: arithmetic (sign-filling) right shift; count masked to 0..63.
    IntRshift = "int_rshift", Int, Int, a(2), PURE;
    /// `uint_rshift(a, n)`: logical (zero-filling) right shift; count masked to 0..63.
    UintRshift = "uint_rshift", Int, Int, a(2), PURE;
    /// `int_neg(a)`: `-a`, wrapping (`-i64::MIN` is `i64::MIN`).
    IntNeg = "int_neg", Int, Int, a(1), PURE;
    /// `int_invert(a)`: bitwise not, `!a`.
    IntInvert = "int_invert", Int, Int, a(1), PURE;
    /// `int_lt(a, b)`: 1 if `a < b` (signed), else 0.
    IntLt = "int_lt", Int, Int, a(2), PURE;
    /// `int_le(a, b)`: 1 if `a <= b` (signed), else 0.
    IntLe = "int_le", Int, Int, a(2), PURE;
    /// `int_eq(a, b)`: 1 if `a == b`, else 0.
    IntEq = "int_eq", Int, Int, a(2), PURE | COMM;
    /// `int_ne(a, b)`: 1 if `a != b`, else 0.
    IntNe = "int_ne", Int, Int, a(2), PURE | COMM;
    /// `int_gt(a, b)`: 1 if `a > b` (signed), else 0.
    IntGt = "int_gt", Int, Int, a(2), PURE;
    /// `int_ge(a, b)`: 1 if `a >= b` (signed), else 0.
    IntGe = "int_ge", Int, Int, a(2), PURE;
    /// `uint_lt(a, b)`: 1 if `a < b` as unsigned words, else 0.
    UintLt = "uint_lt", Int, Int, a(2), PURE;
    /// `uint_le(a, b)`: 1 if `a <= b` as unsigned words, else 0.
    UintLe = "uint_le", Int, Int, a(2), PURE;
    /// `uint_gt(a, b)`: 1 if `a > b` as unsigned words, else 0.
    UintGt = "uint_gt", Int, Int, a(2), PURE;
    /// `uint_ge(a, b)`: 1 if `a >= b` as unsigned words, else 0.
    UintGe = "uint_ge", Int, Int, a(2), PURE;
    /// `int_is_true(a)`: 1 if `a != 0`, else 0.
    IntIsTrue = "int_is_true", Int, Int, a(1), PURE;
    /// `int_is_zero(a)`: 1 if `a == 0`, else 0.
    IntIsZero = "int_is_zero", Int, Int, a(1), PURE;
    /// `int_add_ovf(a, b)`: `a + b` (wrapped), setting the overflow flag that the next op, a `guard_no_overflow` / `guard_overflow`, tests.
    IntAddOvf = "int_add_ovf", IntOvf, Int, a(2), OVF | COMM;
    /// `int_sub_ovf(a, b)`: `a - b` (wrapped), setting the overflow flag for the following overflow guard.
    IntSubOvf = "int_sub_ovf", IntOvf, Int, a(2), OVF;
    /// `int_mul_ovf(a, b)`: `a * b` (wrapped), setting the overflow flag for the following overflow guard.
    IntMulOvf = "int_mul_ovf", IntOvf, Int, a(2), OVF | COMM;
    /// `same_as_i(a)`: `a` itself, as a new variable (an int copy).
    SameAsI = "same_as_i", SameAs, Int, a(1), PURE;

    // ---- floats (IEEE 754 double) ----
    /// `float_add(a, b)`: `a + b`.
    FloatAdd = "float_add", Float, Float, a(2), PURE | COMM;
    /// `float_sub(a, b)`: `a - b`.
    FloatSub = "float_sub", Float, Float, a(2), PURE;
    /// `float_mul(a, b)`: `a * b`.
    FloatMul = "float_mul", Float, Float, a(2), PURE | COMM;
    /// `float_truediv(a, b)`: `a / b` (IEEE: division by zero gives an infinity or NaN).
    FloatTrueDiv = "float_truediv", Float, Float, a(2), PURE;
    /// `float_neg(a)`: `-a` (flips the sign bit).
    FloatNeg = "float_neg", Float, Float, a(1), PURE;
    /// `float_abs(a)`: `|a|` (clears the sign bit).
    FloatAbs = "float_abs", Float, Float, a(1), PURE;
    /// `float_lt(a, b)`: int 1 if `a < b`, else 0 (0 when either is NaN).
    FloatLt = "float_lt", Float, Int, a(2), PURE;
    /// `float_le(a, b)`: int 1 if `a <= b`, else 0 (0 when either is NaN).
    FloatLe = "float_le", Float, Int, a(2), PURE;
    /// `float_eq(a, b)`: int 1 if `a == b`, else 0 (0 when either is NaN).
    FloatEq = "float_eq", Float, Int, a(2), PURE | COMM;
    /// `float_ne(a, b)`: int 1 if `a != b`, else 0 (1 when either is NaN).
    FloatNe = "float_ne", Float, Int, a(2), PURE | COMM;
    /// `float_gt(a, b)`: int 1 if `a > b`, else 0 (0 when either is NaN).
    FloatGt = "float_gt", Float, Int, a(2), PURE;
    /// `float_ge(a, b)`: int 1 if `a >= b`, else 0 (0 when either is NaN).
    FloatGe = "float_ge", Float, Int, a(2), PURE;
    /// Truncates toward zero; saturates (NaN gives 0), as Rust's `as i64`.
    CastFloatToInt = "cast_float_to_int", Float, Int, a(1), PURE;
    /// `cast_int_to_float(a)`: the nearest double to the integer `a`.
    CastIntToFloat = "cast_int_to_float", Float, Float, a(1), PURE;
    /// `same_as_f(a)`: `a` itself, as a new float variable.
    SameAsF = "same_as_f", SameAs, Float, a(1), PURE;

    // ---- references ----
    /// `ptr_eq(p, q)`: int 1 if the two references are the same address, else 0.
    PtrEq = "ptr_eq", Ptr, Int, a(2), PURE | COMM;
    /// `ptr_ne(p, q)`: int 1 if the two references differ, else 0.
    PtrNe = "ptr_ne", Ptr, Int, a(2), PURE | COMM;
    /// `same_as_r(p)`: `p` itself, as a new ref variable.
    SameAsR = "same_as_r", SameAs, Ref, a(1), PURE;

    // ---- guards: fail args follow the operands in brackets ----
    /// `guard_true(x)`: leaves the trace (to resume or a bridge) unless `x` is nonzero.
    GuardTrue = "guard_true", Guard, Void, a(1), GUARD;
    /// `guard_false(x)`: leaves the trace unless `x` is zero.
    GuardFalse = "guard_false", Guard, Void, a(1), GUARD;
    /// `guard_value(x, const)`: x equals the constant from here on.
    GuardValue = "guard_value", Guard, Void, a(2), GUARD;
    /// `guard_class(p, typeid)`: the object's header type id.
    GuardClass = "guard_class", Guard, Void, a(2), GUARD;
    /// `guard_nonnull(p)`: leaves the trace if `p` is null.
    GuardNonnull = "guard_nonnull", Guard, Void, a(1), GUARD;
    /// `guard_isnull(p)`: leaves the trace unless `p` is null.
    GuardIsnull = "guard_isnull", Guard, Void, a(1), GUARD;
    /// `guard_nonnull_class(p, typeid)`: `guard_nonnull` and `guard_class` in one.
    GuardNonnullClass = "guard_nonnull_class", Guard, Void, a(2), GUARD;
    /// `guard_no_overflow()`: leaves the trace if the preceding `int_*_ovf` overflowed.
    GuardNoOverflow = "guard_no_overflow", Guard, Void, a(0), GUARD;
    /// `guard_overflow()`: leaves the trace unless the preceding `int_*_ovf` overflowed.
    GuardOverflow = "guard_overflow", Guard, Void, a(0), GUARD;
    /// `guard_no_exception()`: leaves the trace if the preceding call set the pending guest exception.
    GuardNoException = "guard_no_exception", Guard, Void, a(0), GUARD;
    /// `guard_not_invalidated()`: leaves the trace if a quasi-immutable field this loop relies on was written since it was compiled.
    GuardNotInvalidated = "guard_not_invalidated", Guard, Void, a(0), GUARD;
    /// `guard_not_forced()`: after a `call_may_force_*` / `call_assembler_*`, leaves the trace if the callee set the forced flag (`exc::set_forced`: what it did does not fit what was traced).
    GuardNotForced = "guard_not_forced", Guard, Void, a(0), GUARD;
    /// `guard_verify()`: only under `--jit verify=on`, before a trace's closing `jump`: marks the loop header the trace reaches, with the frame there as fail args. Compiled code never leaves through it (backends emit nothing); the verifier's shadow run stops at it and compares with the interpreter (`metainterp::verify`).
    GuardVerify = "guard_verify", Guard, Void, a(0), GUARD;

    // ---- heap (descr = field/array/size descr) ----
    /// `getfield_gc_i(p, descr=<field>)`: loads an int field of a GC object.
    GetfieldGcI = "getfield_gc_i", GetfieldGc, Int, a(1), READ;
    /// `getfield_gc_r(p, descr=<field>)`: loads a reference field of a GC object.
    GetfieldGcR = "getfield_gc_r", GetfieldGc, Ref, a(1), READ;
    /// `getfield_gc_f(p, descr=<field>)`: loads a float field of a GC object.
    GetfieldGcF = "getfield_gc_f", GetfieldGc, Float, a(1), READ;
    /// `setfield_gc(p, v, descr=<field>)`: stores `v` into a field of a GC object.
    SetfieldGc = "setfield_gc", SetfieldGc, Void, a(2), EFFECT;
    /// `getarrayitem_gc_i(a, i, descr=<array>)`: loads int item `i` of a GC array.
    GetarrayitemGcI = "getarrayitem_gc_i", GetarrayitemGc, Int, a(2), READ;
    /// `getarrayitem_gc_r(a, i, descr=<array>)`: loads reference item `i` of a GC array.
    GetarrayitemGcR = "getarrayitem_gc_r", GetarrayitemGc, Ref, a(2), READ;
    /// `getarrayitem_gc_f(a, i, descr=<array>)`: loads float item `i` of a GC array.
    GetarrayitemGcF = "getarrayitem_gc_f", GetarrayitemGc, Float, a(2), READ;
    /// `setarrayitem_gc(a, i, v, descr=<array>)`: stores `v` into item `i` of a GC array.
    SetarrayitemGc = "setarrayitem_gc", SetarrayitemGc, Void, a(3), EFFECT;
    /// Array lengths never change: pure.
    ArraylenGc = "arraylen_gc", Arraylen, Int, a(1), PURE;
    /// Raw (non-GC) memory at an integer address.
    GetfieldRawI = "getfield_raw_i", GetfieldRaw, Int, a(1), READ;
    /// `getfield_raw_f(addr, descr=<field>)`: loads a float from raw memory at `addr` plus the field offset.
    GetfieldRawF = "getfield_raw_f", GetfieldRaw, Float, a(1), READ;
    /// `setfield_raw(addr, v, descr=<field>)`: stores `v` into raw memory at `addr` plus the field offset.
    SetfieldRaw = "setfield_raw", SetfieldRaw, Void, a(2), EFFECT;
    /// Fields that are immutable after construction (descr says so) are read with
    /// the pure variants, which CSE and constant folding may touch.
    GetfieldGcPureI = "getfield_gc_pure_i", GetfieldGc, Int, a(1), PURE;
    /// `getfield_gc_pure_r(p, descr=<field>)`: loads an immutable reference field.
    GetfieldGcPureR = "getfield_gc_pure_r", GetfieldGc, Ref, a(1), PURE;
    /// `getfield_gc_pure_f(p, descr=<field>)`: loads an immutable float field.
    GetfieldGcPureF = "getfield_gc_pure_f", GetfieldGc, Float, a(1), PURE;
    /// `new(descr=<size>)`: allocates a zeroed GC struct with the size descr's type id in its header.
    New = "new", New, Ref, a(0), ALLOC;
    /// `new_with_vtable(descr=<size>)`: allocates like `new`; PyPy's op for an object with a class, which here is the header type id `guard_class` tests.
    NewWithVtable = "new_with_vtable", New, Ref, a(0), ALLOC;
    /// `new_array(n, descr=<array>)`: allocates a GC array of `n` items, length word set (the heap zeroes every allocation).
    NewArray = "new_array", NewArray, Ref, a(1), ALLOC;
    /// `new_array_clear(n, descr=<array>)`: allocates a GC array of `n` zeroed items.
    NewArrayClear = "new_array_clear", NewArray, Ref, a(1), ALLOC;
    /// Marks a quasi-immutable field read: `quasiimmut_field(p, descr=<field>)`.
    QuasiimmutField = "quasiimmut_field", QuasiImmut, Void, a(1), 0;

    // ---- calls: arg 0 is the function address constant, descr a call descr ----
    /// `call_i(f, args..., descr=<call>)`: residual call of `f` returning an int.
    CallI = "call_i", Call, Int, N, CALL | EFFECT;
    /// `call_r(f, args..., descr=<call>)`: residual call returning a reference.
    CallR = "call_r", Call, Ref, N, CALL | EFFECT;
    /// `call_f(f, args..., descr=<call>)`: residual call returning a float.
    CallF = "call_f", Call, Float, N, CALL | EFFECT;
    /// `call_n(f, args..., descr=<call>)`: residual call with no result.
    CallN = "call_n", Call, Void, N, CALL | EFFECT;
    /// `call_pure_i(f, args...)`: call of an elidable function returning an int; folded when all args are constants, CSE'd otherwise.
    CallPureI = "call_pure_i", CallPure, Int, N, CALL | PURE;
    /// `call_pure_r(f, args...)`: elidable call returning a reference.
    CallPureR = "call_pure_r", CallPure, Ref, N, CALL | PURE;
    /// `call_pure_f(f, args...)`: elidable call returning a float.
    CallPureF = "call_pure_f", CallPure, Float, N, CALL | PURE;
    /// `call_pure_n(f, args...)`: elidable call with no result.
    CallPureN = "call_pure_n", CallPure, Void, N, CALL | PURE;
    /// `call_may_force_i(f, args...)`: residual call that may run guest code and force the frame, returning an int; followed by `guard_not_forced`.
    CallMayForceI = "call_may_force_i", CallMayForce, Int, N, CALL | EFFECT;
    /// `call_may_force_r(f, args...)`: as `call_may_force_i`, returning a reference.
    CallMayForceR = "call_may_force_r", CallMayForce, Ref, N, CALL | EFFECT;
    /// `call_may_force_f(f, args...)`: as `call_may_force_i`, returning a float.
    CallMayForceF = "call_may_force_f", CallMayForce, Float, N, CALL | EFFECT;
    /// `call_may_force_n(f, args...)`: as `call_may_force_i`, with no result.
    CallMayForceN = "call_may_force_n", CallMayForce, Void, N, CALL | EFFECT;
    /// `call_assembler_i(args..., descr=<assembler>)`: portal call of another
    /// compiled loop/function entry (descr = assembler descr), returning an int.
    CallAssemblerI = "call_assembler_i", CallAssembler, Int, N, CALL | EFFECT;
    /// `call_assembler_r(args..., descr=<assembler>)`: portal call returning a reference.
    CallAssemblerR = "call_assembler_r", CallAssembler, Ref, N, CALL | EFFECT;
    /// `call_assembler_f(args..., descr=<assembler>)`: portal call returning a float.
    CallAssemblerF = "call_assembler_f", CallAssembler, Float, N, CALL | EFFECT;
    /// `call_assembler_n(args..., descr=<assembler>)`: portal call with no result.
    CallAssemblerN = "call_assembler_n", CallAssembler, Void, N, CALL | EFFECT;

    // ---- control ----
    /// `label(args..., descr=<target>)`: a loop header that `jump`s may target; its args are the loop's live variables.
    Label = "label", Control, Void, N, 0;
    /// `jump(args..., descr=<target>)`: continues at the `label` with that target token, its args becoming the label's.
    Jump = "jump", Control, Void, N, FINAL;
    /// `finish(args...)`: leaves compiled code for good, handing the args (the result) back to the driver.
    Finish = "finish", Control, Void, N, FINAL;
    /// `debug_merge_point(depth, 'printable location')`: arg 0 is the inline
    /// depth, the location text lives in the op's `comment`.
    DebugMergePoint = "debug_merge_point", Control, Void, a(1), 0;
    /// Test helper (PyPy's `escape_*`): keeps its operands alive and opaque.
    EscapeI = "escape_i", Escape, Int, N, EFFECT;
    /// `escape_r(args...)`: test helper returning an opaque reference.
    EscapeR = "escape_r", Escape, Ref, N, EFFECT;
    /// `escape_f(args...)`: test helper returning an opaque float.
    EscapeF = "escape_f", Escape, Float, N, EFFECT;
    /// `escape_n(args...)`: test helper with no result.
    EscapeN = "escape_n", Escape, Void, N, EFFECT;
    /// `force_token()`: PyPy's handle on the current compiled frame; every backend here produces 0 (forcing goes through the forced flag in [`crate::exc`]).
    ForceToken = "force_token", ForceToken, Ref, a(0), 0;
}

impl OpNum {
    /// No side effects and a result that depends only on the operands: may be
    /// CSE'd, folded when the operands are constants, or removed when unused.
    pub fn is_pure(self) -> bool {
        self.flags() & PURE != 0
    }
    /// A guard: carries fail args and resume data, and may get a bridge.
    pub fn is_guard(self) -> bool {
        self.flags() & GUARD != 0
    }
    /// Writes memory / calls / escapes: the replay log of an instruction must
    /// not repeat these, and heap caches are invalidated by them.
    pub fn has_effect(self) -> bool {
        self.flags() & EFFECT != 0
    }
    /// Reads mutable memory: the result may change after an op with an effect.
    pub fn reads_heap(self) -> bool {
        self.flags() & READ != 0
    }
    /// Allocates a GC object (`new*`, `new_array*`).
    pub fn is_alloc(self) -> bool {
        self.flags() & ALLOC != 0
    }
    /// Any call: residual, elidable, may-force or call_assembler.
    pub fn is_call(self) -> bool {
        self.flags() & CALL != 0
    }
    /// An `int_*_ovf`: must be followed by `guard_no_overflow` or `guard_overflow`.
    pub fn is_ovf(self) -> bool {
        self.flags() & OVF != 0
    }
    /// Ends a trace: `jump` or `finish`.
    pub fn is_final(self) -> bool {
        self.flags() & FINAL != 0
    }
    /// A commutative binary op: the optimizer may swap its two operands.
    pub fn is_commutative(self) -> bool {
        self.flags() & COMM != 0
    }
    /// `getfield_gc_*`, `getfield_gc_pure_*` and `getfield_raw_*`.
    pub fn is_getfield(self) -> bool {
        matches!(self.family(), Family::GetfieldGc | Family::GetfieldRaw)
    }
    /// `getfield_gc_*` and `getfield_gc_pure_*` (not raw).
    pub fn is_getfield_gc(self) -> bool {
        self.family() == Family::GetfieldGc
    }
    /// `getarrayitem_gc_*`.
    pub fn is_getarrayitem(self) -> bool {
        self.family() == Family::GetarrayitemGc
    }
    /// A call into a helper: `call_*`, `call_pure_*`, `call_may_force_*`
    /// (arg 0 the function address, descr a call descr).
    pub fn is_residual_call(self) -> bool {
        matches!(
            self.family(),
            Family::Call | Family::CallPure | Family::CallMayForce
        )
    }
    /// `call_assembler_*`.
    pub fn is_call_assembler(self) -> bool {
        self.family() == Family::CallAssembler
    }
    /// `new` / `new_with_vtable`.
    pub fn is_new(self) -> bool {
        self.family() == Family::New
    }
    /// `new_array` / `new_array_clear`.
    pub fn is_new_array(self) -> bool {
        self.family() == Family::NewArray
    }

    /// The `call_*` (or, if `pure`, `call_pure_*`) opcode whose result is `kind`.
    pub fn call_for(kind: Kind, pure: bool) -> OpNum {
        use OpNum::*;
        match (kind, pure) {
            (Kind::Int, false) => CallI,
            (Kind::Ref, false) => CallR,
            (Kind::Float, false) => CallF,
            (Kind::Void, false) => CallN,
            (Kind::Int, true) => CallPureI,
            (Kind::Ref, true) => CallPureR,
            (Kind::Float, true) => CallPureF,
            (Kind::Void, true) => CallPureN,
        }
    }
    /// The `getfield_gc_*` (mutable) or `getfield_gc_pure_*` (immutable)
    /// opcode that loads a field of `kind`. Panics for `Kind::Void`.
    pub fn getfield_for(kind: Kind, immutable: bool) -> OpNum {
        use OpNum::*;
        match (kind, immutable) {
            (Kind::Int, false) => GetfieldGcI,
            (Kind::Ref, false) => GetfieldGcR,
            (Kind::Float, false) => GetfieldGcF,
            (Kind::Int, true) => GetfieldGcPureI,
            (Kind::Ref, true) => GetfieldGcPureR,
            (Kind::Float, true) => GetfieldGcPureF,
            (Kind::Void, _) => panic!("no void fields"),
        }
    }
    /// The `getarrayitem_gc_*` opcode that loads an item of `kind`. Panics for `Kind::Void`.
    pub fn getarrayitem_for(kind: Kind) -> OpNum {
        use OpNum::*;
        match kind {
            Kind::Int => GetarrayitemGcI,
            Kind::Ref => GetarrayitemGcR,
            Kind::Float => GetarrayitemGcF,
            Kind::Void => panic!("no void arrays"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for &op in OpNum::ALL {
            assert!(seen.insert(op.name()), "duplicate name {}", op.name());
            assert_eq!(OpNum::from_name(op.name()), Some(op));
        }
        assert_eq!(OpNum::from_name("int_frobnicate"), None);
    }

    #[test]
    fn classes() {
        assert!(OpNum::IntAdd.is_pure() && OpNum::IntAdd.is_commutative());
        assert!(OpNum::GuardClass.is_guard() && !OpNum::GuardClass.is_pure());
        assert!(OpNum::SetfieldGc.has_effect());
        assert!(OpNum::GetfieldGcI.reads_heap() && !OpNum::GetfieldGcI.has_effect());
        assert!(OpNum::IntAddOvf.is_ovf() && !OpNum::IntAddOvf.is_pure());
        assert_eq!(OpNum::FloatLt.result_kind(), Kind::Int);
        assert_eq!(OpNum::CallN.arity(), None);
    }

    #[test]
    fn families_agree_with_flags() {
        for &op in OpNum::ALL {
            let f = op.family();
            assert_eq!(op.is_guard(), f == Family::Guard, "{}", op.name());
            assert_eq!(op.is_ovf(), f == Family::IntOvf, "{}", op.name());
            assert_eq!(
                op.is_call(),
                op.is_residual_call() || op.is_call_assembler(),
                "{}",
                op.name()
            );
            assert_eq!(
                op.is_alloc(),
                op.is_new() || op.is_new_array(),
                "{}",
                op.name()
            );
            // A family shares its operand count.
            for &other in OpNum::ALL {
                let varies = [Family::Int, Family::Float, Family::Guard, Family::Control];
                if other.family() == f && !varies.contains(&f) {
                    assert_eq!(
                        op.arity(),
                        other.arity(),
                        "{} vs {}",
                        op.name(),
                        other.name()
                    );
                }
            }
        }
    }
}
