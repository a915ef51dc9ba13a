//! Element access fast paths: `a[i]` / `a[i, j]` (read and write) on a
//! 1-D or 2-D float64 / int64 array, written against the framework's
//! `Ctx` so the interpreter's subscript (`arith`) runs them directly and
//! traces record them: guards on the instance's map and the `ArrayObj`'s
//! dtype and rank, a bounds check per axis and one raw array load or
//! store, instead of the facade's `__getitem__` and a residual call.
//! Anything else (slices, masks, bools, out-of-bounds indices, which must
//! raise NumPy's `IndexError`) answers `None` and takes the general path.

use super::array::{array_obj, DType};
use crate::objects::*;
use metatrace::heap::{FLOAT_ARRAY, INT_ARRAY, REF_ARRAY};
use metatrace::{Ctx, Val};

/// The `ArrayObj` of guest array `o` if it is a plain `ndarray` made by
/// the module (its map holds only `_a`), with its dtype and rank.
fn array_parts<C: Ctx>(ctx: &mut C, o: C::Ref) -> Option<(C::Ref, DType, i64)> {
    let map = super::array_map();
    if map.is_null() {
        return None;
    }
    let m = ctx.getfield_r(o, &inst_obj::map);
    let want = ctx.const_ref(map);
    let same = ctx.ptr_eq(m, want);
    if !ctx.is_true(same) {
        return None;
    }
    let a = ctx.getfield_r(o, &inst_obj::s0);
    if ctx.class_of(a) != array_obj::SIZE.tid {
        return None;
    }
    let dt = ctx.getfield_i(a, &array_obj::dtype);
    let dt = DType::from_code(ctx.promote_int(dt))?;
    if dt == DType::Bool {
        return None;
    }
    let nd = ctx.getfield_i(a, &array_obj::ndim);
    let nd = ctx.promote_int(nd);
    Some((a, dt, nd))
}

/// One index on an axis of length `n` and stride `st`: `Some(i * st)`
/// when `0 <= i < n` after wrapping a negative `i`.
fn axis_offset<C: Ctx>(ctx: &mut C, k: C::Ref, n: C::Int, st: C::Int) -> Option<C::Int> {
    if ctx.class_of(k) != tid::INT {
        return None;
    }
    let i = ctx.getfield_i(k, &int_obj::v);
    let zero = ctx.const_int(0);
    let neg = ctx.int_lt(i, zero);
    let i = if ctx.is_true(neg) {
        ctx.int_add(i, n)
    } else {
        i
    };
    let lo = ctx.int_ge(i, zero);
    let hi = ctx.int_lt(i, n);
    if !(ctx.is_true(lo) && ctx.is_true(hi)) {
        return None;
    }
    Some(ctx.int_mul(i, st))
}

/// The storage position `key` selects in 1-D / 2-D `ArrayObj` `a`, if it
/// is an int (1-D) or a pair of ints (2-D) in bounds.
fn position<C: Ctx>(ctx: &mut C, a: C::Ref, nd: i64, key: C::Ref) -> Option<C::Int> {
    let off = ctx.getfield_i(a, &array_obj::offset);
    match nd {
        1 => {
            let n = ctx.getfield_i(a, &array_obj::dim0);
            let st = ctx.getfield_i(a, &array_obj::st0);
            let p = axis_offset(ctx, key, n, st)?;
            Some(ctx.int_add(off, p))
        }
        2 => {
            if ctx.class_of(key) != tid::TUPLE {
                return None;
            }
            let items = ctx.getfield_r(key, &tuple_obj::items);
            let len = ctx.arraylen(items, &REF_ARRAY);
            let two = ctx.const_int(2);
            let is2 = ctx.int_eq(len, two);
            if !ctx.is_true(is2) {
                return None;
            }
            let c0 = ctx.const_int(0);
            let c1 = ctx.const_int(1);
            let k0 = ctx.getarrayitem_r(items, &REF_ARRAY, c0);
            let k1 = ctx.getarrayitem_r(items, &REF_ARRAY, c1);
            let n0 = ctx.getfield_i(a, &array_obj::dim0);
            let s0 = ctx.getfield_i(a, &array_obj::st0);
            let p0 = axis_offset(ctx, k0, n0, s0)?;
            let n1 = ctx.getfield_i(a, &array_obj::dim1);
            let s1 = ctx.getfield_i(a, &array_obj::st1);
            let p1 = axis_offset(ctx, k1, n1, s1)?;
            let p = ctx.int_add(p0, p1);
            Some(ctx.int_add(off, p))
        }
        _ => None,
    }
}

/// `o[key]` as a new float / int box, or None for the general path.
pub fn getitem<C: Ctx>(ctx: &mut C, o: C::Ref, key: C::Ref) -> Option<C::Ref> {
    let (a, dt, nd) = array_parts(ctx, o)?;
    let pos = position(ctx, a, nd, key)?;
    let data = ctx.getfield_r(a, &array_obj::data);
    Some(match dt {
        DType::F64 => {
            let v = ctx.getarrayitem(data, &FLOAT_ARRAY, pos).float();
            let b = ctx.new(&float_obj::SIZE);
            ctx.setfield_f(b, &float_obj::v, v);
            b
        }
        _ => {
            let v = ctx.getarrayitem_i(data, &INT_ARRAY, pos);
            let b = ctx.new(&int_obj::SIZE);
            ctx.setfield_i(b, &int_obj::v, v);
            b
        }
    })
}

/// `o[key] = v` for a float or int `v` (into a float64 array) or an int
/// `v` (into an int64 array); false: take the general path.
pub fn setitem<C: Ctx>(ctx: &mut C, o: C::Ref, key: C::Ref, v: C::Ref) -> bool {
    let Some((a, dt, nd)) = array_parts(ctx, o) else {
        return false;
    };
    let tv = ctx.class_of(v);
    let ok = match dt {
        DType::F64 => tv == tid::FLOAT || tv == tid::INT,
        _ => tv == tid::INT,
    };
    if !ok {
        return false;
    }
    let Some(pos) = position(ctx, a, nd, key) else {
        return false;
    };
    let data = ctx.getfield_r(a, &array_obj::data);
    match dt {
        DType::F64 => {
            let x = if tv == tid::FLOAT {
                ctx.getfield_f(v, &float_obj::v)
            } else {
                let i = ctx.getfield_i(v, &int_obj::v);
                ctx.cast_int_to_float(i)
            };
            ctx.setarrayitem(data, &FLOAT_ARRAY, pos, Val::Float(x));
        }
        _ => {
            let x = ctx.getfield_i(v, &int_obj::v);
            ctx.setarrayitem_i(data, &INT_ARRAY, pos, x);
        }
    }
    true
}
