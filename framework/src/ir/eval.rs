//! Concrete semantics of the pure operations, shared by direct mode, the
//! recorder (which executes every op it records) and constant folding.
//!
//! Owns: nothing but arithmetic. Must agree with `backend::llgraph`, the
//! reference; every function is `#[inline(always)]` so that direct mode,
//! where `op` is a constant after inlining, compiles to the bare instruction.

use super::OpNum;

/// `a op b` for a two-operand int op (arithmetic, shifts, comparisons as
/// 0/1), wrapping like the IR. Division and remainder by zero give 0 and
/// `i64::MIN / -1` gives `i64::MIN`, as the backends do (VMs guard against
/// both before the op). Panics (unreachable) for any other opcode.
#[inline(always)]
pub fn int_binop(op: OpNum, a: i64, b: i64) -> i64 {
    use OpNum::*;
    match op {
        IntAdd => a.wrapping_add(b),
        IntSub => a.wrapping_sub(b),
        IntMul => a.wrapping_mul(b),
        IntFloorDiv => {
            if b == 0 {
                0
            } else {
                a.wrapping_div(b)
            }
        }
        IntMod => {
            if b == 0 {
                0
            } else {
                a.wrapping_rem(b)
            }
        }
        IntAnd => a & b,
        IntOr => a | b,
        IntXor => a ^ b,
        IntLshift => a.wrapping_shl((b & 63) as u32),
        IntRshift => a.wrapping_shr((b & 63) as u32),
        UintRshift => ((a as u64) >> (b & 63)) as i64,
        IntLt => (a < b) as i64,
        IntLe => (a <= b) as i64,
        IntEq => (a == b) as i64,
        IntNe => (a != b) as i64,
        IntGt => (a > b) as i64,
        IntGe => (a >= b) as i64,
        UintLt => ((a as u64) < (b as u64)) as i64,
        UintLe => ((a as u64) <= (b as u64)) as i64,
        UintGt => ((a as u64) > (b as u64)) as i64,
        UintGe => ((a as u64) >= (b as u64)) as i64,
        _ => unreachable!("not an int binop: {}", op.name()),
    }
}

/// `op a` for a one-operand int op (`int_neg`, `int_invert`, `int_is_true`,
/// `int_is_zero`, `same_as_i`). Panics (unreachable) for any other opcode.
#[inline(always)]
pub fn int_unop(op: OpNum, a: i64) -> i64 {
    match op {
        OpNum::IntNeg => a.wrapping_neg(),
        OpNum::IntInvert => !a,
        OpNum::IntIsTrue => (a != 0) as i64,
        OpNum::IntIsZero => (a == 0) as i64,
        OpNum::SameAsI => a,
        _ => unreachable!("not an int unop: {}", op.name()),
    }
}

/// `Some(result)` without overflow, `None` on overflow.
#[inline(always)]
pub fn int_ovf(op: OpNum, a: i64, b: i64) -> Option<i64> {
    match op {
        OpNum::IntAddOvf => a.checked_add(b),
        OpNum::IntSubOvf => a.checked_sub(b),
        OpNum::IntMulOvf => a.checked_mul(b),
        _ => unreachable!("not an ovf op: {}", op.name()),
    }
}

/// `a op b` for `float_add/sub/mul/truediv` (IEEE 754). Panics
/// (unreachable) for any other opcode.
#[inline(always)]
pub fn float_binop(op: OpNum, a: f64, b: f64) -> f64 {
    match op {
        OpNum::FloatAdd => a + b,
        OpNum::FloatSub => a - b,
        OpNum::FloatMul => a * b,
        OpNum::FloatTrueDiv => a / b,
        _ => unreachable!("not a float binop: {}", op.name()),
    }
}

/// `op a` for `float_neg`, `float_abs`, `same_as_f`. Panics (unreachable)
/// for any other opcode.
#[inline(always)]
pub fn float_unop(op: OpNum, a: f64) -> f64 {
    match op {
        OpNum::FloatNeg => -a,
        OpNum::FloatAbs => a.abs(),
        OpNum::SameAsF => a,
        _ => unreachable!("not a float unop: {}", op.name()),
    }
}

/// A float comparison as an int 0/1 (false whenever an operand is NaN,
/// except for `float_ne`). Panics (unreachable) for any other opcode.
#[inline(always)]
pub fn float_cmp(op: OpNum, a: f64, b: f64) -> i64 {
    (match op {
        OpNum::FloatLt => a < b,
        OpNum::FloatLe => a <= b,
        OpNum::FloatEq => a == b,
        OpNum::FloatNe => a != b,
        OpNum::FloatGt => a > b,
        OpNum::FloatGe => a >= b,
        _ => unreachable!("not a float comparison: {}", op.name()),
    }) as i64
}

/// Folds a pure op over constant raw words; `None` when `op` is not a pure
/// arithmetic op this module knows (heap reads, calls, ...).
pub fn fold(op: OpNum, args: &[u64]) -> Option<u64> {
    use OpNum::*;
    let i = |k: usize| args[k] as i64;
    let f = |k: usize| f64::from_bits(args[k]);
    Some(match op {
        IntAdd | IntSub | IntMul | IntFloorDiv | IntMod | IntAnd | IntOr | IntXor | IntLshift
        | IntRshift | UintRshift | IntLt | IntLe | IntEq | IntNe | IntGt | IntGe | UintLt
        | UintLe | UintGt | UintGe => int_binop(op, i(0), i(1)) as u64,
        IntNeg | IntInvert | IntIsTrue | IntIsZero | SameAsI => int_unop(op, i(0)) as u64,
        FloatAdd | FloatSub | FloatMul | FloatTrueDiv => float_binop(op, f(0), f(1)).to_bits(),
        FloatNeg | FloatAbs | SameAsF => float_unop(op, f(0)).to_bits(),
        FloatLt | FloatLe | FloatEq | FloatNe | FloatGt | FloatGe => {
            float_cmp(op, f(0), f(1)) as u64
        }
        CastFloatToInt => f(0) as i64 as u64,
        CastIntToFloat => (i(0) as f64).to_bits(),
        PtrEq => (args[0] == args[1]) as u64,
        PtrNe => (args[0] != args[1]) as u64,
        SameAsR => args[0],
        _ => return None,
    })
}
