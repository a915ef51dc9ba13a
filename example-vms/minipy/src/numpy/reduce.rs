//! Reductions (`sum`, `prod`, `mean`, `var`, `std`, `min`, `max`,
//! `argmin`, `argmax`, `any`, `all`) over all elements or one axis,
//! `cumsum` / `cumprod`, and `dot` / `@` for 1-D and 2-D operands.
//!
//! Float sums use NumPy's pairwise summation along a contiguous reduced
//! axis (and a plain running sum across rows), so results match NumPy's
//! bit for bit.

use super::array::{Arr, Buf, DType};
use super::repr::shape_msg as shape_str;
use super::{axis_arg, wrap};
use crate::objects::*;
use crate::types::{err, PyResult};
use metatrace::heap::GcRef;

/// NumPy's pairwise summation (`pairwise_sum` in its loops).
pub fn pairwise(a: &[f64]) -> f64 {
    let n = a.len();
    if n < 8 {
        let mut r = -0.0;
        for x in a {
            r += x;
        }
        r
    } else if n <= 128 {
        let mut r = [0.0; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2]) + pairwise(&a[n2..])
    }
}

/// The elements grouped by lanes: `a` with axis `axis` moved last, read in
/// C order (so each run of `shape[axis]` elements is one lane), and the
/// shape of the result (the other axes).
fn lanes(a: &Arr, axis: Option<usize>) -> (Buf, usize, Vec<i64>) {
    match axis {
        None => (a.read(), a.size() as usize, vec![]),
        Some(k) => {
            let mut v = a.clone();
            let n = v.shape.remove(k);
            let s = v.strides.remove(k);
            let rshape = v.shape.clone();
            v.shape.push(n);
            v.strides.push(s);
            (v.read(), n as usize, rshape)
        }
    }
}

fn no_identity<T>(name: &str) -> PyResult<T> {
    err(
        ExcKind::ValueError,
        format!("zero-size array to reduction operation {name} which has no identity"),
    )
}

/// `np.<name>(a, axis)`.
pub fn reduce(name: &str, a: GcRef, axis: GcRef) -> PyResult<GcRef> {
    let a = Arr::from_value(a)?;
    let axis = axis_arg(axis, a.shape.len().max(1))?;
    let axis = if a.shape.is_empty() { None } else { axis };
    let (b, n, rshape) = lanes(&a, axis);
    let lanes_n = b
        .len()
        .checked_div(n)
        .unwrap_or(rshape.iter().product::<i64>() as usize);
    // Whether the reduced axis is the innermost in memory (pairwise sums).
    let inner = match axis {
        None => true,
        Some(k) => k + 1 == a.shape.len(),
    };
    let dt = b.dt();
    let r: Buf = match name {
        "sum" | "mean" | "var" | "std" => {
            let float = dt == DType::F64 || name != "sum";
            if float {
                let mut out = Vec::with_capacity(lanes_n);
                for l in 0..lanes_n {
                    let xs: Vec<f64> = (0..n).map(|i| b.f(l * n + i)).collect();
                    let s = if inner {
                        pairwise(&xs)
                    } else {
                        let mut s = 0.0;
                        for x in &xs {
                            s += x;
                        }
                        s
                    };
                    out.push(match name {
                        "sum" => s,
                        "mean" => s / n as f64,
                        _ => {
                            let m = s / n as f64;
                            let d: Vec<f64> = xs.iter().map(|x| (x - m) * (x - m)).collect();
                            let v = if inner { pairwise(&d) } else { d.iter().sum() } / n as f64;
                            if name == "std" {
                                v.sqrt()
                            } else {
                                v
                            }
                        }
                    });
                }
                Buf::F(out)
            } else {
                Buf::I(
                    (0..lanes_n)
                        .map(|l| (0..n).fold(0i64, |s, i| s.wrapping_add(b.i(l * n + i))))
                        .collect(),
                )
            }
        }
        "prod" => {
            if dt == DType::F64 {
                Buf::F(
                    (0..lanes_n)
                        .map(|l| (0..n).fold(1.0, |s, i| s * b.f(l * n + i)))
                        .collect(),
                )
            } else {
                Buf::I(
                    (0..lanes_n)
                        .map(|l| (0..n).fold(1i64, |s, i| s.wrapping_mul(b.i(l * n + i))))
                        .collect(),
                )
            }
        }
        "any" => Buf::B(
            (0..lanes_n)
                .map(|l| (0..n).any(|i| b.truth(l * n + i)))
                .collect(),
        ),
        "all" => Buf::B(
            (0..lanes_n)
                .map(|l| (0..n).all(|i| b.truth(l * n + i)))
                .collect(),
        ),
        "min" | "max" | "argmin" | "argmax" => {
            if n == 0 {
                return match name {
                    "min" => no_identity("minimum"),
                    "max" => no_identity("maximum"),
                    _ => err(
                        ExcKind::ValueError,
                        format!("attempt to get {name} of an empty sequence"),
                    ),
                };
            }
            let want_max = name.ends_with("max");
            let mut best_i = Vec::with_capacity(lanes_n);
            for l in 0..lanes_n {
                let mut bi = 0;
                for i in 1..n {
                    let better = match &b {
                        Buf::F(v) => {
                            let (x, y) = (v[l * n + i], v[l * n + bi]);
                            if y.is_nan() {
                                false
                            } else if x.is_nan() {
                                true
                            } else if want_max {
                                x > y
                            } else {
                                x < y
                            }
                        }
                        _ => {
                            let (x, y) = (b.i(l * n + i), b.i(l * n + bi));
                            if want_max {
                                x > y
                            } else {
                                x < y
                            }
                        }
                    };
                    if better {
                        bi = i;
                    }
                }
                best_i.push(bi);
            }
            if name.starts_with("arg") {
                Buf::I(best_i.iter().map(|&i| i as i64).collect())
            } else {
                let idx: Vec<usize> = best_i.iter().enumerate().map(|(l, i)| l * n + i).collect();
                b.pick(&idx)
            }
        }
        _ => {
            return err(
                ExcKind::AttributeError,
                format!("module 'numpy' has no attribute '{name}'"),
            )
        }
    };
    if rshape.is_empty() {
        return Ok(r.scalar(0));
    }
    Ok(wrap(r.to_array(rshape)))
}

/// `np.cumsum(a, axis)` / `np.cumprod(a, axis)`.
pub fn cumulative(name: &str, a: GcRef, axis: GcRef) -> PyResult<GcRef> {
    let a = Arr::from_value(a)?;
    let ax = axis_arg(axis, a.shape.len().max(1))?;
    let prod = name == "cumprod";
    let (b, n, mut rshape) = lanes(&a, ax);
    let lanes_n = b.len().checked_div(n).unwrap_or(0);
    let r = if b.dt() == DType::F64 {
        let mut out = vec![0.0; b.len()];
        for l in 0..lanes_n {
            let mut s = if prod { 1.0 } else { 0.0 };
            for i in 0..n {
                let x = b.f(l * n + i);
                s = if prod { s * x } else { s + x };
                out[l * n + i] = s;
            }
        }
        Buf::F(out)
    } else {
        let mut out = vec![0i64; b.len()];
        for l in 0..lanes_n {
            let mut s: i64 = if prod { 1 } else { 0 };
            for i in 0..n {
                let x = b.i(l * n + i);
                s = if prod {
                    s.wrapping_mul(x)
                } else {
                    s.wrapping_add(x)
                };
                out[l * n + i] = s;
            }
        }
        Buf::I(out)
    };
    match ax {
        None => Ok(wrap(r.to_array(vec![b.len() as i64]))),
        Some(k) => {
            // Lanes were laid out with `axis` last: move it back.
            rshape.push(n as i64);
            let tmp = Arr::of(r.to_array(rshape.clone()));
            let nd = rshape.len();
            let mut v = tmp.clone();
            let (sh, st) = (v.shape.pop().unwrap_or(0), v.strides.pop().unwrap_or(0));
            v.shape.insert(k, sh);
            v.strides.insert(k, st);
            let _ = nd;
            Ok(wrap(v.read().to_array(v.shape.clone())))
        }
    }
}

fn not_aligned<T>(a: &[i64], b: &[i64], da: usize, db: usize) -> PyResult<T> {
    err(
        ExcKind::ValueError,
        format!(
            "shapes {} and {} not aligned: {} (dim {da}) != {} (dim {db})",
            shape_str(a),
            shape_str(b),
            a[da],
            b[db]
        ),
    )
}

const MATMUL_SIG: &str = "gufunc signature (n?,k),(k,m?)->(n?,m?)";

/// `np.dot(a, b)` / `a @ b` (`matmul`: NumPy's matmul messages, no
/// scalars).
pub fn dot(x: GcRef, y: GcRef, matmul: bool) -> PyResult<GcRef> {
    let a = Arr::from_value(x)?;
    let b = Arr::from_value(y)?;
    if a.shape.is_empty() || b.shape.is_empty() {
        if matmul {
            let which = if a.shape.is_empty() { 0 } else { 1 };
            return err(
                ExcKind::ValueError,
                format!(
                    "matmul: Input operand {which} does not have enough dimensions (has 0, \
                     {MATMUL_SIG} requires 1)"
                ),
            );
        }
        return super::ufunc::binop("mul", x, y, rt().none);
    }
    if a.shape.len() > 2 || b.shape.len() > 2 {
        return err(
            ExcKind::ValueError,
            "dot: only 1-D and 2-D operands are supported",
        );
    }
    // As matrices: (n, k) and (k, m).
    let (n, k) = if a.shape.len() == 1 {
        (1, a.shape[0])
    } else {
        (a.shape[0], a.shape[1])
    };
    let (k2, m) = if b.shape.len() == 1 {
        (b.shape[0], 1)
    } else {
        (b.shape[0], b.shape[1])
    };
    if k != k2 {
        if matmul {
            return err(
                ExcKind::ValueError,
                format!(
                    "matmul: Input operand 1 has a mismatch in its core dimension 0, with \
                     {MATMUL_SIG} (size {k2} is different from {k})"
                ),
            );
        }
        let da = a.shape.len() - 1;
        return not_aligned(&a.shape, &b.shape, da, 0);
    }
    let dt = a.dt.max(b.dt);
    let (av, bv) = (a.read().cast(dt), b.read().cast(dt));
    let (n, k, m) = (n as usize, k as usize, m as usize);
    let r = match dt {
        DType::F64 => {
            let mut out = vec![0.0; n * m];
            for i in 0..n {
                for j in 0..m {
                    let mut s = 0.0;
                    for t in 0..k {
                        s += av.f(i * k + t) * bv.f(t * m + j);
                    }
                    out[i * m + j] = s;
                }
            }
            Buf::F(out)
        }
        DType::I64 => {
            let mut out = vec![0i64; n * m];
            for i in 0..n {
                for j in 0..m {
                    let mut s: i64 = 0;
                    for t in 0..k {
                        s = s.wrapping_add(av.i(i * k + t).wrapping_mul(bv.i(t * m + j)));
                    }
                    out[i * m + j] = s;
                }
            }
            Buf::I(out)
        }
        DType::Bool => {
            let mut out = vec![false; n * m];
            for i in 0..n {
                for j in 0..m {
                    out[i * m + j] = (0..k).any(|t| av.truth(i * k + t) && bv.truth(t * m + j));
                }
            }
            Buf::B(out)
        }
    };
    let mut shape = Vec::new();
    if a.shape.len() == 2 {
        shape.push(n as i64);
    }
    if b.shape.len() == 2 {
        shape.push(m as i64);
    }
    if shape.is_empty() {
        return Ok(r.scalar(0));
    }
    Ok(wrap(r.to_array(shape)))
}
