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
    Guard,
    /// `getfield_gc_*` and `getfield_gc_pure_*` (descr = field descr).
    GetfieldGc,
    GetfieldRaw,
    SetfieldGc,
    SetfieldRaw,
    GetarrayitemGc,
    SetarrayitemGc,
    Arraylen,
    /// `new` / `new_with_vtable` (descr = size descr).
    New,
    /// `new_array` / `new_array_clear` (descr = array descr).
    NewArray,
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
    Escape,
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
    IntAdd = "int_add", Int, Int, a(2), PURE | COMM;
    IntSub = "int_sub", Int, Int, a(2), PURE;
    IntMul = "int_mul", Int, Int, a(2), PURE | COMM;
    /// Truncating division (C semantics); the VM guards against zero and overflow.
    IntFloorDiv = "int_floordiv", Int, Int, a(2), PURE;
    /// Remainder with the sign of the dividend (C semantics).
    IntMod = "int_mod", Int, Int, a(2), PURE;
    IntAnd = "int_and", Int, Int, a(2), PURE | COMM;
    IntOr = "int_or", Int, Int, a(2), PURE | COMM;
    IntXor = "int_xor", Int, Int, a(2), PURE | COMM;
    /// Shift counts are masked to 0..63, as on x86-64 and AArch64.
    IntLshift = "int_lshift", Int, Int, a(2), PURE;
    IntRshift = "int_rshift", Int, Int, a(2), PURE;
    UintRshift = "uint_rshift", Int, Int, a(2), PURE;
    IntNeg = "int_neg", Int, Int, a(1), PURE;
    IntInvert = "int_invert", Int, Int, a(1), PURE;
    IntLt = "int_lt", Int, Int, a(2), PURE;
    IntLe = "int_le", Int, Int, a(2), PURE;
    IntEq = "int_eq", Int, Int, a(2), PURE | COMM;
    IntNe = "int_ne", Int, Int, a(2), PURE | COMM;
    IntGt = "int_gt", Int, Int, a(2), PURE;
    IntGe = "int_ge", Int, Int, a(2), PURE;
    UintLt = "uint_lt", Int, Int, a(2), PURE;
    UintLe = "uint_le", Int, Int, a(2), PURE;
    UintGt = "uint_gt", Int, Int, a(2), PURE;
    UintGe = "uint_ge", Int, Int, a(2), PURE;
    IntIsTrue = "int_is_true", Int, Int, a(1), PURE;
    IntIsZero = "int_is_zero", Int, Int, a(1), PURE;
    IntAddOvf = "int_add_ovf", IntOvf, Int, a(2), OVF | COMM;
    IntSubOvf = "int_sub_ovf", IntOvf, Int, a(2), OVF;
    IntMulOvf = "int_mul_ovf", IntOvf, Int, a(2), OVF | COMM;
    SameAsI = "same_as_i", SameAs, Int, a(1), PURE;

    // ---- floats (IEEE 754 double) ----
    FloatAdd = "float_add", Float, Float, a(2), PURE | COMM;
    FloatSub = "float_sub", Float, Float, a(2), PURE;
    FloatMul = "float_mul", Float, Float, a(2), PURE | COMM;
    FloatTrueDiv = "float_truediv", Float, Float, a(2), PURE;
    FloatNeg = "float_neg", Float, Float, a(1), PURE;
    FloatAbs = "float_abs", Float, Float, a(1), PURE;
    FloatLt = "float_lt", Float, Int, a(2), PURE;
    FloatLe = "float_le", Float, Int, a(2), PURE;
    FloatEq = "float_eq", Float, Int, a(2), PURE | COMM;
    FloatNe = "float_ne", Float, Int, a(2), PURE | COMM;
    FloatGt = "float_gt", Float, Int, a(2), PURE;
    FloatGe = "float_ge", Float, Int, a(2), PURE;
    /// Truncates toward zero; saturates (NaN gives 0), as Rust's `as i64`.
    CastFloatToInt = "cast_float_to_int", Float, Int, a(1), PURE;
    CastIntToFloat = "cast_int_to_float", Float, Float, a(1), PURE;
    SameAsF = "same_as_f", SameAs, Float, a(1), PURE;

    // ---- references ----
    PtrEq = "ptr_eq", Ptr, Int, a(2), PURE | COMM;
    PtrNe = "ptr_ne", Ptr, Int, a(2), PURE | COMM;
    SameAsR = "same_as_r", SameAs, Ref, a(1), PURE;

    // ---- guards: fail args follow the operands in brackets ----
    GuardTrue = "guard_true", Guard, Void, a(1), GUARD;
    GuardFalse = "guard_false", Guard, Void, a(1), GUARD;
    /// `guard_value(x, const)`: x equals the constant from here on.
    GuardValue = "guard_value", Guard, Void, a(2), GUARD;
    /// `guard_class(p, typeid)`: the object's header type id.
    GuardClass = "guard_class", Guard, Void, a(2), GUARD;
    GuardNonnull = "guard_nonnull", Guard, Void, a(1), GUARD;
    GuardIsnull = "guard_isnull", Guard, Void, a(1), GUARD;
    GuardNonnullClass = "guard_nonnull_class", Guard, Void, a(2), GUARD;
    GuardNoOverflow = "guard_no_overflow", Guard, Void, a(0), GUARD;
    GuardOverflow = "guard_overflow", Guard, Void, a(0), GUARD;
    GuardNoException = "guard_no_exception", Guard, Void, a(0), GUARD;
    GuardNotInvalidated = "guard_not_invalidated", Guard, Void, a(0), GUARD;
    GuardNotForced = "guard_not_forced", Guard, Void, a(0), GUARD;

    // ---- heap (descr = field/array/size descr) ----
    GetfieldGcI = "getfield_gc_i", GetfieldGc, Int, a(1), READ;
    GetfieldGcR = "getfield_gc_r", GetfieldGc, Ref, a(1), READ;
    GetfieldGcF = "getfield_gc_f", GetfieldGc, Float, a(1), READ;
    SetfieldGc = "setfield_gc", SetfieldGc, Void, a(2), EFFECT;
    GetarrayitemGcI = "getarrayitem_gc_i", GetarrayitemGc, Int, a(2), READ;
    GetarrayitemGcR = "getarrayitem_gc_r", GetarrayitemGc, Ref, a(2), READ;
    GetarrayitemGcF = "getarrayitem_gc_f", GetarrayitemGc, Float, a(2), READ;
    SetarrayitemGc = "setarrayitem_gc", SetarrayitemGc, Void, a(3), EFFECT;
    /// Array lengths never change: pure.
    ArraylenGc = "arraylen_gc", Arraylen, Int, a(1), PURE;
    /// Raw (non-GC) memory at an integer address.
    GetfieldRawI = "getfield_raw_i", GetfieldRaw, Int, a(1), READ;
    GetfieldRawF = "getfield_raw_f", GetfieldRaw, Float, a(1), READ;
    SetfieldRaw = "setfield_raw", SetfieldRaw, Void, a(2), EFFECT;
    /// Fields that are immutable after construction (descr says so) are read with
    /// the pure variants, which CSE and constant folding may touch.
    GetfieldGcPureI = "getfield_gc_pure_i", GetfieldGc, Int, a(1), PURE;
    GetfieldGcPureR = "getfield_gc_pure_r", GetfieldGc, Ref, a(1), PURE;
    GetfieldGcPureF = "getfield_gc_pure_f", GetfieldGc, Float, a(1), PURE;
    New = "new", New, Ref, a(0), ALLOC;
    NewWithVtable = "new_with_vtable", New, Ref, a(0), ALLOC;
    NewArray = "new_array", NewArray, Ref, a(1), ALLOC;
    NewArrayClear = "new_array_clear", NewArray, Ref, a(1), ALLOC;
    /// Marks a quasi-immutable field read: `quasiimmut_field(p, descr=<field>)`.
    QuasiimmutField = "quasiimmut_field", QuasiImmut, Void, a(1), 0;

    // ---- calls: arg 0 is the function address constant, descr a call descr ----
    CallI = "call_i", Call, Int, N, CALL | EFFECT;
    CallR = "call_r", Call, Ref, N, CALL | EFFECT;
    CallF = "call_f", Call, Float, N, CALL | EFFECT;
    CallN = "call_n", Call, Void, N, CALL | EFFECT;
    CallPureI = "call_pure_i", CallPure, Int, N, CALL | PURE;
    CallPureR = "call_pure_r", CallPure, Ref, N, CALL | PURE;
    CallPureF = "call_pure_f", CallPure, Float, N, CALL | PURE;
    CallPureN = "call_pure_n", CallPure, Void, N, CALL | PURE;
    CallMayForceI = "call_may_force_i", CallMayForce, Int, N, CALL | EFFECT;
    CallMayForceR = "call_may_force_r", CallMayForce, Ref, N, CALL | EFFECT;
    CallMayForceF = "call_may_force_f", CallMayForce, Float, N, CALL | EFFECT;
    CallMayForceN = "call_may_force_n", CallMayForce, Void, N, CALL | EFFECT;
    /// Call of another compiled loop/function entry (descr = target token).
    CallAssemblerI = "call_assembler_i", CallAssembler, Int, N, CALL | EFFECT;
    CallAssemblerR = "call_assembler_r", CallAssembler, Ref, N, CALL | EFFECT;
    CallAssemblerF = "call_assembler_f", CallAssembler, Float, N, CALL | EFFECT;
    CallAssemblerN = "call_assembler_n", CallAssembler, Void, N, CALL | EFFECT;

    // ---- control ----
    Label = "label", Control, Void, N, 0;
    Jump = "jump", Control, Void, N, FINAL;
    Finish = "finish", Control, Void, N, FINAL;
    /// `debug_merge_point(depth, 'printable location')`: arg 0 is the inline
    /// depth, the location text lives in the op's `comment`.
    DebugMergePoint = "debug_merge_point", Control, Void, a(1), 0;
    /// Test helper (PyPy's `escape_*`): keeps its operands alive and opaque.
    EscapeI = "escape_i", Escape, Int, N, EFFECT;
    EscapeR = "escape_r", Escape, Ref, N, EFFECT;
    EscapeF = "escape_f", Escape, Float, N, EFFECT;
    EscapeN = "escape_n", Escape, Void, N, EFFECT;
    ForceToken = "force_token", ForceToken, Ref, a(0), 0;
}

impl OpNum {
    pub fn is_pure(self) -> bool {
        self.flags() & PURE != 0
    }
    pub fn is_guard(self) -> bool {
        self.flags() & GUARD != 0
    }
    /// Writes memory / calls / escapes: the replay log of an instruction must
    /// not repeat these, and heap caches are invalidated by them.
    pub fn has_effect(self) -> bool {
        self.flags() & EFFECT != 0
    }
    pub fn reads_heap(self) -> bool {
        self.flags() & READ != 0
    }
    pub fn is_alloc(self) -> bool {
        self.flags() & ALLOC != 0
    }
    pub fn is_call(self) -> bool {
        self.flags() & CALL != 0
    }
    pub fn is_ovf(self) -> bool {
        self.flags() & OVF != 0
    }
    pub fn is_final(self) -> bool {
        self.flags() & FINAL != 0
    }
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

    /// The `_i/_r/_f/_n` member of a kinded family (getfield, call, ...).
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
