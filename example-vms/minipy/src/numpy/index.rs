//! Indexing: basic indexing (ints, slices, `None`, tuples of them) gives
//! views sharing storage; boolean masks and integer lists give copies;
//! assignment through all of them broadcasts the value.

use super::array::{Arr, Buf, DType};
use super::ufunc::broadcast_to;
use super::{int_of, wrap};
use crate::objects::*;
use crate::types::{err, PyResult};
use metatrace::heap::GcRef;

/// What an index selects.
enum Sel {
    /// A view (basic indexing); `scalar`: every axis was an int.
    View(Arr, bool),
    /// Positions (C order of the result) in the base's storage, and the
    /// result's shape (masks, integer lists).
    Gather(Vec<i64>, Vec<i64>),
}

fn oob<T>(k: i64, axis: usize, n: i64) -> PyResult<T> {
    err(
        ExcKind::IndexError,
        format!("index {k} is out of bounds for axis {axis} with size {n}"),
    )
}

fn slice_part(v: GcRef) -> PyResult<Option<i64>> {
    if v.tid() == tid::NONE {
        return Ok(None);
    }
    match int_of(v) {
        Some(i) => Ok(Some(i)),
        None => err(
            ExcKind::TypeError,
            "slice indices must be integers or None or have an __index__ method",
        ),
    }
}

/// Python's `slice.indices(n)`: (start, step, length).
fn slice_geom(s: GcRef, n: i64) -> PyResult<(i64, i64, i64)> {
    let step = slice_part(getr(s, &slice_obj::step))?.unwrap_or(1);
    if step == 0 {
        return err(ExcKind::ValueError, "slice step cannot be zero");
    }
    let clamp = |v: Option<i64>, dflt: i64| -> i64 {
        match v {
            None => dflt,
            Some(v) => {
                let v = if v < 0 { v + n } else { v };
                if step > 0 {
                    v.clamp(0, n)
                } else {
                    v.clamp(-1, n - 1)
                }
            }
        }
    };
    let (d0, d1) = if step > 0 { (0, n) } else { (n - 1, -1) };
    let start = clamp(slice_part(getr(s, &slice_obj::start))?, d0);
    let stop = clamp(slice_part(getr(s, &slice_obj::stop))?, d1);
    let len = if step > 0 {
        if stop > start {
            (stop - start + step - 1) / step
        } else {
            0
        }
    } else if start > stop {
        (start - stop - step - 1) / (-step)
    } else {
        0
    };
    Ok((start, step, len))
}

fn select(a: &Arr, key: GcRef) -> PyResult<Sel> {
    // Boolean masks and integer arrays / lists.
    if super::is_array(key) || key.tid() == tid::LIST {
        let k = Arr::from_value(key)?;
        if k.dt == DType::Bool {
            if k.shape.len() > a.shape.len() || a.shape[..k.shape.len()] != k.shape[..] {
                let (ks, as_) = (&k.shape, &a.shape);
                let axis = (0..ks.len().min(as_.len()))
                    .find(|&i| ks[i] != as_[i])
                    .unwrap_or(0);
                return err(
                    ExcKind::IndexError,
                    format!(
                        "boolean index did not match indexed array along dimension {axis}; \
                         dimension is {} but corresponding boolean dimension is {}",
                        as_.get(axis).copied().unwrap_or(0),
                        ks.get(axis).copied().unwrap_or(0)
                    ),
                );
            }
            let m = k.read();
            let pos = a.positions();
            let inner: i64 = a.shape[k.shape.len()..].iter().product();
            let mut out = Vec::new();
            let mut count = 0;
            for i in 0..m.len() {
                if m.truth(i) {
                    count += 1;
                    let base = i as i64 * inner;
                    out.extend_from_slice(&pos[base as usize..(base + inner) as usize]);
                }
            }
            let mut shape = vec![count];
            shape.extend_from_slice(&a.shape[k.shape.len()..]);
            return Ok(Sel::Gather(out, shape));
        }
        if k.dt == DType::I64 && !a.shape.is_empty() {
            let ks = k.read();
            let n = a.shape[0];
            let rows: Vec<i64> = {
                let mut row = a.clone();
                row.shape.remove(0);
                row.strides.remove(0);
                row.positions().iter().map(|p| p - a.offset).collect()
            };
            let mut out = Vec::new();
            for i in 0..ks.len() {
                let mut j = ks.i(i);
                if j < -n || j >= n {
                    return oob(j, 0, n);
                }
                if j < 0 {
                    j += n;
                }
                let base = a.offset + j * a.strides[0];
                out.extend(rows.iter().map(|r| base + r));
            }
            let mut shape = k.shape.clone();
            shape.extend_from_slice(&a.shape[1..]);
            return Ok(Sel::Gather(out, shape));
        }
        if k.dt == DType::F64 {
            return err(
                ExcKind::IndexError,
                "arrays used as indices must be of integer (or boolean) type",
            );
        }
    }
    let items = if key.tid() == tid::TUPLE {
        tuple_items(key)
    } else {
        vec![key]
    };
    let real = items.iter().filter(|k| k.tid() != tid::NONE).count();
    if real > a.shape.len() {
        return err(
            ExcKind::IndexError,
            format!(
                "too many indices for array: array is {}-dimensional, but {} were indexed",
                a.shape.len(),
                real
            ),
        );
    }
    let mut shape = Vec::new();
    let mut strides = Vec::new();
    let mut off = a.offset;
    let mut axis = 0;
    let mut all_int = true;
    for k in items {
        if k.tid() == tid::NONE {
            shape.push(1);
            strides.push(0);
            all_int = false;
            continue;
        }
        let (n, st) = (a.shape[axis], a.strides[axis]);
        if let Some(mut i) = int_of(k) {
            if i < -n || i >= n {
                return oob(i, axis, n);
            }
            if i < 0 {
                i += n;
            }
            off += i * st;
        } else if k.tid() == tid::SLICE {
            let (start, step, len) = slice_geom(k, n)?;
            if len > 0 {
                off += start * st;
            }
            shape.push(len);
            strides.push(st * step);
            all_int = false;
        } else {
            return err(
                ExcKind::IndexError,
                "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and \
                 integer or boolean arrays are valid indices",
            );
        }
        axis += 1;
    }
    shape.extend_from_slice(&a.shape[axis..]);
    strides.extend_from_slice(&a.strides[axis..]);
    let all_int = all_int && shape.is_empty();
    let v = Arr {
        data: a.data,
        dt: a.dt,
        shape,
        strides,
        offset: off,
    };
    Ok(Sel::View(v, all_int))
}

fn gather(a: &Arr, pos: &[i64]) -> Buf {
    let d = super::array::storage(a.dt);
    let w = |i: i64| metatrace::heap::getarrayitem(a.data, d, i);
    match a.dt {
        DType::Bool => Buf::B(pos.iter().map(|&i| w(i) != 0).collect()),
        DType::I64 => Buf::I(pos.iter().map(|&i| w(i) as i64).collect()),
        DType::F64 => Buf::F(pos.iter().map(|&i| f64::from_bits(w(i))).collect()),
    }
}

/// `a[key]`.
pub fn getitem(o: GcRef, key: GcRef) -> PyResult<GcRef> {
    let a = Arr::from_value(o)?;
    match select(&a, key)? {
        Sel::View(v, true) => Ok(v.read().scalar(0)),
        Sel::View(v, false) => Ok(wrap(v.store())),
        Sel::Gather(pos, shape) => Ok(wrap(gather(&a, &pos).to_array(shape))),
    }
}

/// Elements of `v` broadcast to `shape`, for assignment.
fn values_for(v: GcRef, shape: &[i64]) -> PyResult<Buf> {
    let src = Arr::from_value(v)?;
    match broadcast_to(&src, shape) {
        Some(b) => Ok(b.read()),
        None => err(
            ExcKind::ValueError,
            format!(
                "could not broadcast input array from shape {} into shape {}",
                super::repr::shape_msg(&src.shape),
                super::repr::shape_msg(shape)
            ),
        ),
    }
}

/// Writes `v` (broadcast) into every element of view `a`.
pub fn assign(a: &Arr, v: GcRef) -> PyResult<()> {
    let b = values_for(v, &a.shape)?;
    a.write(&b);
    Ok(())
}

/// `a[key] = v`.
pub fn setitem(o: GcRef, key: GcRef, v: GcRef) -> PyResult<()> {
    let a = Arr::from_value(o)?;
    match select(&a, key)? {
        Sel::View(view, _) => assign(&view, v),
        Sel::Gather(pos, shape) => {
            let b = values_for(v, &shape)?.cast(a.dt);
            for (i, p) in pos.iter().enumerate() {
                metatrace::heap::setarrayitem(a.data, super::array::storage(a.dt), *p, b.bits(i));
            }
            Ok(())
        }
    }
}
