//! The generic (slow-path) operations on builtin values: arithmetic with
//! big ints and mixed types, comparisons, truthiness, subscripts, `len`,
//! `in`, iteration. The interpreter inlines the fast cases (small ints,
//! floats, list indexing) and calls these residually for the rest.
//!
//! Owns: the semantics of operators on builtin types; the residual call
//! descriptors that expose them to traces (they may raise, through
//! `metatrace::exc`).

use crate::bytecode::{BinOp, CmpOp};
use crate::dict::{self, to_f64};
use crate::numbers::{self, to_big};
use crate::objects::*;
use crate::sets;
use crate::strings;
use crate::types::{self, err, PyResult, NEED_GUEST};
use crate::views;
use metatrace::heap::GcRef;
use metatrace::ir::EffectInfo;
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

pub use crate::types::{deliver, RAISES};

fn op_sym(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::TrueDiv => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "** or pow()",
        BinOp::LShift => "<<",
        BinOp::RShift => ">>",
        BinOp::And => "&",
        BinOp::Or => "|",
        BinOp::Xor => "^",
        BinOp::MatMul => "@",
    }
}

pub const BINOPS: [BinOp; 13] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::TrueDiv,
    BinOp::FloorDiv,
    BinOp::Mod,
    BinOp::Pow,
    BinOp::LShift,
    BinOp::RShift,
    BinOp::And,
    BinOp::Or,
    BinOp::Xor,
    BinOp::MatMul,
];

pub fn binop_index(op: BinOp) -> i64 {
    BINOPS.iter().position(|o| *o == op).unwrap_or(0) as i64
}

fn unsupported(op: BinOp, a: GcRef, b: GcRef) -> PyResult<GcRef> {
    if op == BinOp::Add && matches!(a.tid(), tid::STR | tid::LIST | tid::TUPLE) {
        let t = types::tname(a);
        return err(
            ExcKind::TypeError,
            format!(
                "can only concatenate {t} (not \"{}\") to {t}",
                types::tname(b)
            ),
        );
    }
    err(
        ExcKind::TypeError,
        format!(
            "unsupported operand type(s) for {}: '{}' and '{}'",
            op_sym(op),
            types::tname(a),
            types::tname(b)
        ),
    )
}

fn int_op(op: BinOp, x: BigInt, y: BigInt) -> PyResult<GcRef> {
    Ok(match op {
        BinOp::Add => numbers::int_from_big(x + y),
        BinOp::Sub => numbers::int_from_big(x - y),
        BinOp::Mul => numbers::int_from_big(x * y),
        BinOp::TrueDiv => {
            if y.is_zero() {
                return err(ExcKind::ZeroDivisionError, "division by zero");
            }
            match (x.to_i64(), y.to_i64()) {
                (Some(a), Some(b)) if a.abs() < (1 << 53) && b.abs() < (1 << 53) => {
                    new_float(a as f64 / b as f64)
                }
                _ => {
                    use num_integer::Integer;
                    let (q, r) = x.div_mod_floor(&y);
                    let f =
                        numbers::big_to_f64(&q) + numbers::big_to_f64(&r) / numbers::big_to_f64(&y);
                    if f.is_infinite() {
                        return err(
                            ExcKind::OverflowError,
                            "integer division result too large for a float",
                        );
                    }
                    new_float(f)
                }
            }
        }
        BinOp::FloorDiv => {
            if y.is_zero() {
                return err(
                    ExcKind::ZeroDivisionError,
                    "integer division or modulo by zero",
                );
            }
            numbers::int_from_big(numbers::big_floordiv(&x, &y))
        }
        BinOp::Mod => {
            if y.is_zero() {
                return err(ExcKind::ZeroDivisionError, "integer modulo by zero");
            }
            numbers::int_from_big(numbers::big_mod(&x, &y))
        }
        BinOp::Pow => {
            if y.is_negative() {
                let a = numbers::big_to_f64(&x);
                let b = numbers::big_to_f64(&y);
                if a == 0.0 {
                    return err(
                        ExcKind::ZeroDivisionError,
                        "0.0 cannot be raised to a negative power",
                    );
                }
                return Ok(new_float(a.powf(b)));
            }
            check_size(x.bits() as u128 * y.to_u64().unwrap_or(u64::MAX) as u128 * 16)?;
            let e = y
                .to_u32()
                .ok_or(())
                .or_else(|_| err(ExcKind::OverflowError, "exponent too large"))?;
            numbers::int_from_big(num_traits::pow::Pow::pow(x, e))
        }
        BinOp::LShift => {
            if y.is_negative() {
                return err(ExcKind::ValueError, "negative shift count");
            }
            check_size((x.bits() as u128 + y.to_u64().unwrap_or(u64::MAX) as u128) * 16)?;
            let s = y
                .to_usize()
                .ok_or(())
                .or_else(|_| err(ExcKind::OverflowError, "too many digits in integer"))?;
            numbers::int_from_big(x << s)
        }
        BinOp::RShift => {
            if y.is_negative() {
                return err(ExcKind::ValueError, "negative shift count");
            }
            let s = y.to_usize().unwrap_or(usize::MAX / 2).min(1 << 20);
            numbers::int_from_big(x >> s)
        }
        BinOp::And => numbers::int_from_big(x & y),
        BinOp::Or => numbers::int_from_big(x | y),
        BinOp::Xor => numbers::int_from_big(x ^ y),
        BinOp::MatMul => return err(ExcKind::TypeError, "unsupported operand type(s) for @"),
    })
}

pub fn float_op(op: BinOp, x: f64, y: f64) -> PyResult<GcRef> {
    Ok(new_float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::TrueDiv => {
            if y == 0.0 {
                return err(ExcKind::ZeroDivisionError, "float division by zero");
            }
            x / y
        }
        BinOp::FloorDiv => {
            if y == 0.0 {
                return err(ExcKind::ZeroDivisionError, "float floor division by zero");
            }
            numbers::float_floordiv(x, y)
        }
        BinOp::Mod => {
            if y == 0.0 {
                return err(ExcKind::ZeroDivisionError, "float modulo");
            }
            numbers::float_mod(x, y)
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return err(
                    ExcKind::ZeroDivisionError,
                    "0.0 cannot be raised to a negative power",
                );
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return err(
                    ExcKind::OverflowError,
                    "(34, 'Numerical result out of range')",
                );
            }
            r
        }
        _ => return Err(NEED_GUEST),
    }))
}

/// Refuses results too large to allocate (CPython raises MemoryError).
pub fn check_size(n: u128) -> PyResult<()> {
    if n > (1 << 31) {
        return err(ExcKind::MemoryError, "");
    }
    Ok(())
}

fn seq_repeat(items: &[GcRef], n: GcRef) -> Option<Vec<GcRef>> {
    let k = to_big(n)?.to_i64()?.max(0) as usize;
    if check_size(items.len() as u128 * k as u128).is_err() {
        return None;
    }
    let mut out = Vec::with_capacity(items.len() * k);
    for _ in 0..k {
        out.extend_from_slice(items);
    }
    Some(out)
}

/// `a op b` for builtin operands.
pub fn binop(op: BinOp, a: GcRef, b: GcRef) -> PyResult<GcRef> {
    let (ta, tb) = (a.tid(), b.tid());
    if numbers::is_intlike(a) && numbers::is_intlike(b) {
        return int_op(op, to_big(a).expect("int"), to_big(b).expect("int"));
    }
    let fa = ta == tid::FLOAT || numbers::is_intlike(a);
    let fb = tb == tid::FLOAT || numbers::is_intlike(b);
    if fa
        && fb
        && !matches!(
            op,
            BinOp::LShift | BinOp::RShift | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::MatMul
        )
    {
        return float_op(op, to_f64(a).expect("num"), to_f64(b).expect("num"));
    }
    match (op, ta, tb) {
        (BinOp::Add, tid::STR, tid::STR) => Ok(crate::strobj::concat(a, b)),
        (BinOp::Add, tid::LIST, tid::LIST) => {
            let mut v = list_items(a);
            v.extend(list_items(b));
            Ok(new_list(&v))
        }
        (BinOp::Add, tid::TUPLE, tid::TUPLE) => {
            let mut v = tuple_items(a);
            v.extend(tuple_items(b));
            Ok(new_tuple(&v))
        }
        (BinOp::Mul, tid::STR | tid::LIST | tid::TUPLE, _)
            if numbers::is_intlike(b)
                && check_size(
                    len(a).unwrap_or(0).max(0) as u128
                        * to_big(b).and_then(|x| x.to_i64()).unwrap_or(0).max(0) as u128,
                )
                .is_err() =>
        {
            err(ExcKind::MemoryError, "")
        }
        (BinOp::Mul, tid::STR, _) if numbers::is_intlike(b) => {
            let k = to_big(b).and_then(|x| x.to_i64()).unwrap_or(0).max(0) as usize;
            Ok(new_str(&str_of(a).repeat(k)))
        }
        (BinOp::Mul, _, tid::STR) if numbers::is_intlike(a) => binop(op, b, a),
        (BinOp::Mul, tid::LIST, _) if numbers::is_intlike(b) => {
            Ok(new_list(&seq_repeat(&list_items(a), b).unwrap_or_default()))
        }
        (BinOp::Mul, _, tid::LIST) if numbers::is_intlike(a) => binop(op, b, a),
        (BinOp::Mul, tid::TUPLE, _) if numbers::is_intlike(b) => Ok(new_tuple(
            &seq_repeat(&tuple_items(a), b).unwrap_or_default(),
        )),
        (BinOp::Mod, tid::STR, _) => Ok(new_str(&strings::percent_format(&str_of(a), b)?)),
        (BinOp::Or, tid::DICT, tid::DICT) => {
            let d = dict::copy(a);
            for (k, v) in dict::items(b) {
                dict::set(d, k, v)?;
            }
            Ok(d)
        }
        (BinOp::Or | BinOp::And | BinOp::Sub | BinOp::Xor, tid::SET, tid::SET) => {
            let r = match op {
                BinOp::Or => sets::union(a, b),
                BinOp::And => sets::intersection(a, b),
                BinOp::Sub => sets::difference(a, b),
                _ => sets::symmetric_difference(a, b),
            }?;
            Ok(sets::like(r, a, b))
        }
        (BinOp::Or | BinOp::And | BinOp::Sub | BinOp::Xor, _, _)
            if views::is_set_view(a) || views::is_set_view(b) =>
        {
            views::setop(op, a, b)
        }
        _ => unsupported(op, a, b),
    }
}

/// In-place `a op= b` (lists extend in place; the rest is `binop`).
pub fn inplace(op: BinOp, a: GcRef, b: GcRef) -> PyResult<GcRef> {
    if op == BinOp::Add && a.tid() == tid::LIST {
        for x in iterate(b)? {
            list_append(a, x);
        }
        return Ok(a);
    }
    if a.tid() == tid::SET && b.tid() == tid::SET && !sets::is_frozen(a) {
        match op {
            BinOp::Or => sets::update(a, b)?,
            BinOp::And => sets::intersection_update(a, b)?,
            BinOp::Sub => sets::difference_update(a, b)?,
            BinOp::Xor => sets::symmetric_difference_update(a, b)?,
            _ => return binop(op, a, b),
        }
        return Ok(a);
    }
    binop(op, a, b)
}

extern "C" fn mp_binop(op: i64, a: GcRef, b: GcRef) -> GcRef {
    deliver(binop(BINOPS[op as usize], a, b))
}
extern "C" fn mp_inplace(op: i64, a: GcRef, b: GcRef) -> GcRef {
    deliver(inplace(BINOPS[op as usize], a, b))
}
metatrace::residual!(
    /// Generic binary operator.
    pub static BINOP = fn mp_binop(op: i64, a: GcRef, b: GcRef) -> GcRef, RAISES
);
metatrace::residual!(
    /// Generic in-place operator.
    pub static INPLACE = fn mp_inplace(op: i64, a: GcRef, b: GcRef) -> GcRef, RAISES
);

fn cmp_name(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
        CmpOp::Eq => "==",
        _ => "!=",
    }
}

/// Ordering of two builtin values (for <, <=, >, >=, sorting).
pub fn order(a: GcRef, b: GcRef, op: CmpOp) -> PyResult<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if numbers::is_intlike(a) && numbers::is_intlike(b) {
        return Ok(to_big(a).cmp(&to_big(b)));
    }
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        return Ok(x.partial_cmp(&y).unwrap_or(Ordering::Equal));
    }
    match (a.tid(), b.tid()) {
        (tid::STR, tid::STR) => Ok(str_of(a).cmp(&str_of(b))),
        (tid::LIST, tid::LIST) => seq_order(&list_items(a), &list_items(b), op),
        (tid::TUPLE, tid::TUPLE) => seq_order(&tuple_items(a), &tuple_items(b), op),
        (tid::INST, _) | (_, tid::INST) => Err(NEED_GUEST),
        _ => err(
            ExcKind::TypeError,
            format!(
                "'{}' not supported between instances of '{}' and '{}'",
                cmp_name(op),
                types::tname(a),
                types::tname(b)
            ),
        ),
    }
}

fn num(a: GcRef) -> Option<f64> {
    if a.tid() == tid::FLOAT || numbers::is_intlike(a) {
        to_f64(a)
    } else {
        None
    }
}

fn seq_order(a: &[GcRef], b: &[GcRef], op: CmpOp) -> PyResult<std::cmp::Ordering> {
    for (x, y) in a.iter().zip(b) {
        if !dict::eq(*x, *y)? {
            return order(*x, *y, op);
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// `a op b` for a comparison operator, as a bool.
pub fn compare(op: CmpOp, a: GcRef, b: GcRef) -> PyResult<bool> {
    use std::cmp::Ordering::*;
    Ok(match op {
        CmpOp::Eq => dict::eq(a, b)?,
        CmpOp::Ne => !dict::eq(a, b)?,
        CmpOp::Is => a == b,
        CmpOp::IsNot => a != b,
        CmpOp::In => contains(b, a)?,
        CmpOp::NotIn => !contains(b, a)?,
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            if let (Some(x), Some(y)) = (num(a), num(b)) {
                if a.tid() == tid::FLOAT || b.tid() == tid::FLOAT {
                    return Ok(match op {
                        CmpOp::Lt => x < y,
                        CmpOp::Le => x <= y,
                        CmpOp::Gt => x > y,
                        _ => x >= y,
                    });
                }
            }
            if a.tid() == tid::SET && b.tid() == tid::SET {
                // Subset order (set and frozenset alike).
                let (small, big) = if matches!(op, CmpOp::Lt | CmpOp::Le) {
                    (a, b)
                } else {
                    (b, a)
                };
                let strict = matches!(op, CmpOp::Lt | CmpOp::Gt);
                return Ok(
                    (!strict || sets::len(small) < sets::len(big)) && sets::is_subset(small, big)?
                );
            }
            let o = order(a, b, op)?;
            match op {
                CmpOp::Lt => o == Less,
                CmpOp::Le => o != Greater,
                CmpOp::Gt => o == Greater,
                _ => o != Less,
            }
        }
    })
}

pub const CMPOPS: [CmpOp; 10] = [
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Gt,
    CmpOp::Ge,
    CmpOp::Is,
    CmpOp::IsNot,
    CmpOp::In,
    CmpOp::NotIn,
];

extern "C" fn mp_compare(op: i64, a: GcRef, b: GcRef) -> GcRef {
    deliver(compare(CMPOPS[op as usize], a, b).map(bool_obj))
}
metatrace::residual!(
    /// Generic comparison.
    pub static COMPARE = fn mp_compare(op: i64, a: GcRef, b: GcRef) -> GcRef, RAISES
);

/// `x in c`.
pub fn contains(c: GcRef, x: GcRef) -> PyResult<bool> {
    if let Some(b) = crate::enums::contains(c, x) {
        return Ok(b);
    }
    match c.tid() {
        tid::STR => {
            if x.tid() != tid::STR {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "'in <string>' requires string as left operand, not {}",
                        types::tname(x)
                    ),
                );
            }
            Ok(str_of(c).contains(&str_of(x)))
        }
        tid::DICT => Ok(dict::get(c, x)?.is_some()),
        tid::SET => sets::contains(c, x),
        tid::DICT_VIEW => views::contains(c, x),
        tid::RANGE => {
            let Some(v) = to_big(x).and_then(|b| b.to_i64()) else {
                return Ok(false);
            };
            let (a, b, s) = (
                geti(c, &range_obj::start),
                geti(c, &range_obj::stop),
                geti(c, &range_obj::step),
            );
            Ok(if s > 0 {
                v >= a && v < b && (v - a) % s == 0
            } else {
                v <= a && v > b && (a - v) % (-s) == 0
            })
        }
        tid::LIST | tid::TUPLE => {
            let items = if c.tid() == tid::LIST {
                list_items(c)
            } else {
                tuple_items(c)
            };
            for it in items {
                if it == x || dict::eq(it, x)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        tid::INST => Err(NEED_GUEST),
        _ => err(
            ExcKind::TypeError,
            format!("argument of type '{}' is not iterable", types::tname(c)),
        ),
    }
}

/// Truthiness of a builtin value (`Err(NEED_GUEST)` for instances with
/// `__bool__` / `__len__`).
pub fn truthy(o: GcRef) -> PyResult<bool> {
    Ok(match o.tid() {
        tid::BOOL => geti(o, &bool_obj::v) != 0,
        tid::INT => geti(o, &int_obj::v) != 0,
        tid::BIG => true,
        tid::NONE => false,
        tid::FLOAT => getf(o, &float_obj::v) != 0.0,
        tid::STR => crate::strobj::nbytes(o) != 0,
        tid::LIST => list_len(o) != 0,
        tid::TUPLE => alen(getr(o, &tuple_obj::items)) != 0,
        tid::DICT => dict::len(o) != 0,
        tid::SET => sets::len(o) != 0,
        tid::DICT_VIEW => views::len(o) != 0,
        tid::RANGE => range_len(o) != 0,
        tid::INST => {
            let cls = getr(o, &inst_obj::cls);
            if !types::class_lookup(cls, "__bool__").is_null()
                || !types::class_lookup(cls, "__len__").is_null()
            {
                return Err(NEED_GUEST);
            }
            true
        }
        _ => true,
    })
}

extern "C" fn mp_truthy(o: GcRef) -> i64 {
    match truthy(o) {
        Ok(b) => b as i64,
        Err(_) => 2,
    }
}
metatrace::residual!(
    /// Truthiness: 0, 1, or 2 = "ask the guest".
    pub static TRUTHY = fn mp_truthy(o: GcRef) -> i64, EffectInfo::ELIDABLE
);

pub fn range_len(r: GcRef) -> i64 {
    let (a, b, s) = (
        geti(r, &range_obj::start),
        geti(r, &range_obj::stop),
        geti(r, &range_obj::step),
    );
    if s > 0 && b > a {
        (b - a + s - 1) / s
    } else if s < 0 && a > b {
        (a - b - s - 1) / (-s)
    } else {
        0
    }
}

/// `len(o)`.
pub fn len(o: GcRef) -> PyResult<i64> {
    Ok(match o.tid() {
        tid::STR => geti(o, &str_obj::nchars),
        tid::LIST => list_len(o) as i64,
        tid::TUPLE => alen(getr(o, &tuple_obj::items)) as i64,
        tid::DICT => dict::len(o) as i64,
        tid::SET => sets::len(o) as i64,
        tid::DICT_VIEW => views::len(o) as i64,
        tid::RANGE => range_len(o),
        tid::INST => return Err(NEED_GUEST),
        tid::TYPE if crate::enums::len(o).is_some() => crate::enums::len(o).unwrap_or(0),
        _ => {
            return err(
                ExcKind::TypeError,
                format!("object of type '{}' has no len()", types::tname(o)),
            )
        }
    })
}

fn norm_index(i: GcRef, n: i64, what: &str) -> PyResult<usize> {
    let Some(k) = to_big(i) else {
        return err(
            ExcKind::TypeError,
            format!(
                "{what} indices must be integers or slices, not {}",
                types::tname(i)
            ),
        );
    };
    let k = k.to_i64().unwrap_or(i64::MAX);
    let k2 = if k < 0 { k + n } else { k };
    if k2 < 0 || k2 >= n {
        return err(ExcKind::IndexError, format!("{what} index out of range"));
    }
    Ok(k2 as usize)
}

/// Slice bounds (start, stop, step) → the selected indices.
pub fn slice_indices(s: GcRef, n: i64) -> PyResult<Vec<usize>> {
    let none = rt().none;
    let get = |f| -> PyResult<Option<i64>> {
        let v = getr(s, f);
        if v == none {
            Ok(None)
        } else {
            match to_big(v) {
                Some(b) => Ok(Some(b.to_i64().unwrap_or(if b.is_negative() {
                    i64::MIN / 2
                } else {
                    i64::MAX / 2
                }))),
                None => err(
                    ExcKind::TypeError,
                    "slice indices must be integers or None or have an __index__ method",
                ),
            }
        }
    };
    let step = get(&slice_obj::step)?.unwrap_or(1);
    if step == 0 {
        return err(ExcKind::ValueError, "slice step cannot be zero");
    }
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let fix = |v: Option<i64>, dflt: i64, lo: i64, hi: i64| match v {
        None => dflt,
        Some(v) if v < 0 => clamp(v + n, lo, hi),
        Some(v) => clamp(v, lo, hi),
    };
    let mut out = vec![];
    if step > 0 {
        let a = fix(get(&slice_obj::start)?, 0, 0, n);
        let b = fix(get(&slice_obj::stop)?, n, 0, n);
        let mut i = a;
        while i < b {
            out.push(i as usize);
            i += step;
        }
    } else {
        let a = fix(get(&slice_obj::start)?, n - 1, -1, n - 1);
        let b = fix(get(&slice_obj::stop)?, -1, -1, n - 1);
        let mut i = a;
        while i > b {
            out.push(i as usize);
            i += step;
        }
    }
    Ok(out)
}

/// `o[i]` for builtin containers.
pub fn getitem(o: GcRef, i: GcRef) -> PyResult<GcRef> {
    if let Some(r) = crate::enums::getitem(o, i) {
        return r;
    }
    let is_slice = i.tid() == tid::SLICE;
    match o.tid() {
        tid::LIST | tid::TUPLE => {
            let items = if o.tid() == tid::LIST {
                list_items(o)
            } else {
                tuple_items(o)
            };
            let what = if o.tid() == tid::LIST {
                "list"
            } else {
                "tuple"
            };
            if is_slice {
                let idx = slice_indices(i, items.len() as i64)?;
                let v: Vec<GcRef> = idx.into_iter().map(|k| items[k]).collect();
                return Ok(if o.tid() == tid::LIST {
                    new_list(&v)
                } else {
                    new_tuple(&v)
                });
            }
            Ok(items[norm_index(i, items.len() as i64, what)?])
        }
        tid::STR => {
            let n = crate::strobj::nchars(o);
            if is_slice {
                let idx = slice_indices(i, n)?;
                return Ok(crate::strobj::slice(o, &idx));
            }
            let k = norm_index(i, n, "string")?;
            Ok(crate::strobj::getitem(o, k))
        }
        tid::DICT => match dict::get(o, i)? {
            Some(v) => Ok(v),
            None => Err(types::exc_with_args(rt().exc(ExcKind::KeyError), &[i])),
        },
        tid::RANGE => {
            let n = range_len(o);
            if is_slice {
                let idx = slice_indices(i, n)?;
                let (a, s) = (geti(o, &range_obj::start), geti(o, &range_obj::step));
                let v: Vec<GcRef> = idx.into_iter().map(|k| new_int(a + s * k as i64)).collect();
                return Ok(new_list(&v));
            }
            let k = norm_index(i, n, "range object")?;
            Ok(new_int(
                geti(o, &range_obj::start) + geti(o, &range_obj::step) * k as i64,
            ))
        }
        tid::INST => Err(NEED_GUEST),
        _ => err(
            ExcKind::TypeError,
            format!("'{}' object is not subscriptable", types::tname(o)),
        ),
    }
}

extern "C" fn mp_getitem(o: GcRef, i: GcRef) -> GcRef {
    deliver(getitem(o, i))
}
metatrace::residual!(
    /// Generic `o[i]`.
    pub static GETITEM = fn mp_getitem(o: GcRef, i: GcRef) -> GcRef, RAISES
);

/// `o[i] = v`.
pub fn setitem(o: GcRef, i: GcRef, v: GcRef) -> PyResult<GcRef> {
    match o.tid() {
        tid::LIST => {
            if i.tid() == tid::SLICE {
                let mut items = list_items(o);
                let idx = slice_indices(i, items.len() as i64)?;
                let new = iterate(v)?;
                let step1 = getr(i, &slice_obj::step) == rt().none;
                if step1 {
                    let a = idx.first().copied().unwrap_or_else(|| {
                        let start = getr(i, &slice_obj::start);
                        to_big(start)
                            .and_then(|b| b.to_i64())
                            .map(|s| {
                                if s < 0 {
                                    (s + items.len() as i64).max(0)
                                } else {
                                    s.min(items.len() as i64)
                                }
                            })
                            .unwrap_or(0) as usize
                    });
                    let b = a + idx.len();
                    items.splice(a..b, new);
                } else {
                    if new.len() != idx.len() {
                        return err(ExcKind::ValueError, format!("attempt to assign sequence of size {} to extended slice of size {}", new.len(), idx.len()));
                    }
                    for (k, x) in idx.into_iter().zip(new) {
                        items[k] = x;
                    }
                }
                list_set_items(o, &items);
                return Ok(rt().none);
            }
            let k = norm_index(i, list_len(o) as i64, "list assignment")?;
            aset(getr(o, &list_obj::items), k, v);
            Ok(rt().none)
        }
        tid::DICT => {
            dict::set(o, i, v)?;
            Ok(rt().none)
        }
        tid::INST => Err(NEED_GUEST),
        _ => err(
            ExcKind::TypeError,
            format!(
                "'{}' object does not support item assignment",
                types::tname(o)
            ),
        ),
    }
}

extern "C" fn mp_setitem(o: GcRef, i: GcRef, v: GcRef) -> GcRef {
    deliver(setitem(o, i, v))
}
metatrace::residual!(
    /// Generic `o[i] = v` (returns None, or null with an exception).
    pub static SETITEM = fn mp_setitem(o: GcRef, i: GcRef, v: GcRef) -> GcRef, RAISES
);

pub fn delitem(o: GcRef, i: GcRef) -> PyResult<GcRef> {
    match o.tid() {
        tid::LIST => {
            let mut items = list_items(o);
            if i.tid() == tid::SLICE {
                let idx = slice_indices(i, items.len() as i64)?;
                let mut keep = vec![true; items.len()];
                for k in idx {
                    keep[k] = false;
                }
                let mut j = 0;
                items.retain(|_| {
                    j += 1;
                    keep[j - 1]
                });
            } else {
                let k = norm_index(i, items.len() as i64, "list assignment")?;
                items.remove(k);
            }
            list_set_items(o, &items);
            Ok(rt().none)
        }
        tid::DICT => match dict::del(o, i)? {
            Some(_) => Ok(rt().none),
            None => Err(types::exc_with_args(rt().exc(ExcKind::KeyError), &[i])),
        },
        _ => err(
            ExcKind::TypeError,
            format!("'{}' object doesn't support item deletion", types::tname(o)),
        ),
    }
}

/// Materialises any builtin iterable.
pub fn iterate(o: GcRef) -> PyResult<Vec<GcRef>> {
    Ok(match o.tid() {
        tid::LIST => list_items(o),
        tid::TUPLE => tuple_items(o),
        tid::STR => (0..crate::strobj::nchars(o))
            .map(|k| crate::strobj::char_str(o, k))
            .collect(),
        tid::DICT => dict::keys(o),
        tid::SET => sets::keys(o),
        tid::DICT_VIEW => views::items(o),
        tid::RANGE => {
            let (a, s) = (geti(o, &range_obj::start), geti(o, &range_obj::step));
            (0..range_len(o)).map(|k| new_int(a + s * k)).collect()
        }
        tid::RANGE_ITER | tid::SEQ_ITER | tid::DICT_ITER => {
            let mut out = vec![];
            while let Some(v) = iter_next(o)? {
                out.push(v);
            }
            out
        }
        tid::INST | tid::GEN => return Err(NEED_GUEST),
        tid::TYPE if crate::enums::is_enum_class(o) => return iterate(get_iter(o)?),
        _ => {
            return err(
                ExcKind::TypeError,
                format!("'{}' object is not iterable", types::tname(o)),
            )
        }
    })
}

/// `iter(o)` for builtin iterables.
pub fn get_iter(o: GcRef) -> PyResult<GcRef> {
    Ok(match o.tid() {
        tid::RANGE => new_range_iter(
            geti(o, &range_obj::start),
            geti(o, &range_obj::stop),
            geti(o, &range_obj::step),
        ),
        tid::LIST => new_seq_iter(o, 0),
        tid::TUPLE => new_seq_iter(o, 1),
        tid::STR => new_seq_iter(o, 2),
        tid::DICT => views::new_iter(o, views::KEYS),
        tid::DICT_VIEW => views::iter_view(o),
        tid::SET => new_seq_iter(new_tuple(&sets::keys(o)), 1),
        tid::RANGE_ITER | tid::SEQ_ITER | tid::DICT_ITER | tid::GEN => o,
        tid::INST => return Err(NEED_GUEST),
        tid::TYPE if crate::enums::is_enum_class(o) => {
            crate::enums::iter(o).unwrap_or_else(|| new_seq_iter(new_tuple(&[]), 1))
        }
        _ => {
            return err(
                ExcKind::TypeError,
                format!("'{}' object is not iterable", types::tname(o)),
            )
        }
    })
}

extern "C" fn mp_get_iter(o: GcRef) -> GcRef {
    deliver(get_iter(o))
}
metatrace::residual!(
    /// `iter(o)`.
    pub static GET_ITER = fn mp_get_iter(o: GcRef) -> GcRef, RAISES
);

/// Next item of a builtin iterator, or None when exhausted.
pub fn iter_next(it: GcRef) -> PyResult<Option<GcRef>> {
    match it.tid() {
        tid::RANGE_ITER => {
            let c = geti(it, &range_iter::cur);
            let (stop, step) = (geti(it, &range_iter::stop), geti(it, &range_iter::step));
            if (step > 0 && c < stop) || (step < 0 && c > stop) {
                seti(it, &range_iter::cur, c + step);
                Ok(Some(new_int(c)))
            } else {
                Ok(None)
            }
        }
        tid::SEQ_ITER => {
            let seq = getr(it, &seq_iter::seq);
            let i = geti(it, &seq_iter::idx) as usize;
            let (items, len) = match seq.tid() {
                tid::STR => return Ok(crate::strobj::iter_next(it)),
                tid::LIST => (getr(seq, &list_obj::items), list_len(seq)),
                _ => {
                    let a = getr(seq, &tuple_obj::items);
                    (a, alen(a))
                }
            };
            if i < len {
                seti(it, &seq_iter::idx, i as i64 + 1);
                Ok(Some(aget(items, i)))
            } else {
                Ok(None)
            }
        }
        tid::DICT_ITER => views::iter_next(it),
        _ => Err(NEED_GUEST),
    }
}

/// Unpacks an iterable into exactly `n` values.
pub fn unpack(o: GcRef, n: usize) -> PyResult<Vec<GcRef>> {
    let items = iterate(o)?;
    if items.len() != n {
        if items.len() > n {
            return err(
                ExcKind::ValueError,
                format!("too many values to unpack (expected {n})"),
            );
        }
        return err(
            ExcKind::ValueError,
            format!(
                "not enough values to unpack (expected {n}, got {})",
                items.len()
            ),
        );
    }
    Ok(items)
}

/// Turns a str result of the helpers into a heap str.
pub fn s(v: PyResult<String>) -> PyResult<GcRef> {
    v.map(|s| new_str(&s))
}

/// Integer power fast check for `**` with small ints.
pub fn small_pow(a: i64, b: i64) -> Option<i64> {
    if !(0..=63).contains(&b) {
        return None;
    }
    a.checked_pow(b as u32)
}

pub fn neg(o: GcRef) -> PyResult<GcRef> {
    match o.tid() {
        tid::INT | tid::BIG | tid::BOOL => Ok(numbers::int_from_big(-to_big(o).expect("int"))),
        tid::FLOAT => Ok(new_float(-getf(o, &float_obj::v))),
        tid::INST => Err(NEED_GUEST),
        _ => err(
            ExcKind::TypeError,
            format!("bad operand type for unary -: '{}'", types::tname(o)),
        ),
    }
}

pub fn invert(o: GcRef) -> PyResult<GcRef> {
    match to_big(o) {
        Some(b) => Ok(numbers::int_from_big(-b - 1)),
        None => err(
            ExcKind::TypeError,
            format!("bad operand type for unary ~: '{}'", types::tname(o)),
        ),
    }
}

pub fn pos(o: GcRef) -> PyResult<GcRef> {
    match o.tid() {
        tid::INT | tid::BIG | tid::FLOAT => Ok(o),
        tid::BOOL => Ok(new_int(geti(o, &bool_obj::v))),
        _ => err(
            ExcKind::TypeError,
            format!("bad operand type for unary +: '{}'", types::tname(o)),
        ),
    }
}

extern "C" fn mp_unary(op: i64, o: GcRef) -> GcRef {
    deliver(match op {
        0 => neg(o),
        1 => pos(o),
        _ => invert(o),
    })
}
metatrace::residual!(
    /// Unary -, +, ~ (0, 1, 2).
    pub static UNARY = fn mp_unary(op: i64, o: GcRef) -> GcRef, RAISES
);
