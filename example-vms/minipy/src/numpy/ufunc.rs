//! Element-wise operations: broadcasting, NumPy's type promotion, the
//! binary ufuncs (arithmetic, comparisons, bitwise, `maximum` /
//! `minimum`, with `out=`), the unary ones and `where`.

use super::array::{Arr, Buf, DType};
use super::repr::shape_msg as shape_str;
use super::wrap;
use crate::objects::*;
use crate::types::{err, PyResult};
use metatrace::heap::GcRef;

/// The broadcast shape of `shapes`, or None if they do not broadcast.
pub fn broadcast_shape(shapes: &[&[i64]]) -> Option<Vec<i64>> {
    let nd = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1; nd];
    for s in shapes {
        for (i, &n) in s.iter().enumerate() {
            let k = nd - s.len() + i;
            if out[k] == 1 {
                out[k] = n;
            } else if n != 1 && n != out[k] {
                return None;
            }
        }
    }
    Some(out)
}

/// `a` seen with `shape` (stride 0 on broadcast axes), if it broadcasts.
pub fn broadcast_to(a: &Arr, shape: &[i64]) -> Option<Arr> {
    if a.shape.len() > shape.len() {
        return None;
    }
    let pad = shape.len() - a.shape.len();
    let mut strides = vec![0; shape.len()];
    for (i, &n) in a.shape.iter().enumerate() {
        let k = pad + i;
        if n == shape[k] {
            strides[k] = a.strides[i];
        } else if n == 1 {
            strides[k] = 0;
        } else {
            return None;
        }
    }
    Some(Arr {
        data: a.data,
        dt: a.dt,
        shape: shape.to_vec(),
        strides,
        offset: a.offset,
    })
}

fn cant_broadcast<T>(shapes: &[&[i64]]) -> PyResult<T> {
    let mut m = String::from("operands could not be broadcast together with shapes ");
    for s in shapes {
        m.push_str(&shape_str(s));
        m.push(' ');
    }
    err(ExcKind::ValueError, m)
}

fn py_fmod(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return f64::NAN;
    }
    let mut m = x % y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    m
}

fn py_floordiv(x: f64, y: f64) -> f64 {
    if y == 0.0 {
        return x / y;
    }
    let m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 && ((y < 0.0) != (m < 0.0)) {
        div -= 1.0;
    }
    if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        0.0f64.copysign(x / y)
    }
}

fn int_floordiv(x: i64, y: i64) -> i64 {
    if y == 0 {
        0
    } else if x == i64::MIN && y == -1 {
        i64::MIN
    } else {
        let q = x / y;
        if x % y != 0 && ((x < 0) != (y < 0)) {
            q - 1
        } else {
            q
        }
    }
}

fn int_mod(x: i64, y: i64) -> i64 {
    if y == 0 {
        0
    } else {
        x.wrapping_sub(int_floordiv(x, y).wrapping_mul(y))
    }
}

/// What ufunc name NumPy reports for an operator.
fn ufunc_name(op: &str) -> &str {
    match op {
        "add" => "add",
        "sub" => "subtract",
        "mul" => "multiply",
        "truediv" => "divide",
        "floordiv" => "floor_divide",
        "mod" => "remainder",
        "pow" => "power",
        other => other,
    }
}

/// The result dtype of `op` on dtypes `x`, `y`.
fn result_dtype(op: &str, x: DType, y: DType) -> PyResult<DType> {
    let m = x.max(y);
    Ok(match op {
        "lt" | "le" | "gt" | "ge" | "eq" | "ne" => DType::Bool,
        "truediv" => DType::F64,
        "and" | "or" | "xor" => {
            if m == DType::F64 {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "ufunc 'bitwise_{op}' not supported for the input types, and the inputs \
                         could not be safely coerced to any supported types according to the \
                         casting rule ''safe''"
                    ),
                );
            }
            m
        }
        "sub" if m == DType::Bool => {
            return err(
                ExcKind::TypeError,
                "numpy boolean subtract, the `-` operator, is not supported, use the \
                 bitwise_xor, the `^` operator, or the logical_xor function instead.",
            )
        }
        "floordiv" | "mod" | "pow" if m == DType::Bool => DType::I64,
        _ => m,
    })
}

fn cmp<T: PartialOrd>(op: &str, a: T, b: T) -> bool {
    match op {
        "lt" => a < b,
        "le" => a <= b,
        "gt" => a > b,
        "ge" => a >= b,
        "eq" => a == b,
        _ => a != b,
    }
}

/// Applies binary `op` element-wise to equal-length buffers.
fn apply(op: &str, x: &Buf, y: &Buf) -> PyResult<Buf> {
    let rt_ = result_dtype(op, x.dt(), y.dt())?;
    let n = x.len();
    let comparison = matches!(op, "lt" | "le" | "gt" | "ge" | "eq" | "ne");
    // The dtype the computation runs in.
    let work = if comparison { x.dt().max(y.dt()) } else { rt_ };
    Ok(match work {
        DType::Bool => {
            let (x, y) = (x.cast(DType::Bool), y.cast(DType::Bool));
            let (Buf::B(x), Buf::B(y)) = (x, y) else {
                unreachable!()
            };
            Buf::B(
                (0..n)
                    .map(|i| {
                        let (a, b) = (x[i], y[i]);
                        match op {
                            "add" | "or" | "maximum" => a || b,
                            "mul" | "and" | "minimum" => a && b,
                            "xor" => a != b,
                            _ => cmp(op, a, b),
                        }
                    })
                    .collect(),
            )
        }
        DType::I64 => {
            let (x, y) = (x.cast(DType::I64), y.cast(DType::I64));
            let (Buf::I(x), Buf::I(y)) = (x, y) else {
                unreachable!()
            };
            if comparison {
                Buf::B((0..n).map(|i| cmp(op, x[i], y[i])).collect())
            } else {
                if op == "pow" && y.iter().any(|v| *v < 0) {
                    return err(
                        ExcKind::ValueError,
                        "Integers to negative integer powers are not allowed.",
                    );
                }
                Buf::I(
                    (0..n)
                        .map(|i| {
                            let (a, b) = (x[i], y[i]);
                            match op {
                                "add" => a.wrapping_add(b),
                                "sub" => a.wrapping_sub(b),
                                "mul" => a.wrapping_mul(b),
                                "floordiv" => int_floordiv(a, b),
                                "mod" => int_mod(a, b),
                                "pow" => a.wrapping_pow(b.min(u32::MAX as i64) as u32),
                                "and" => a & b,
                                "or" => a | b,
                                "xor" => a ^ b,
                                "maximum" => a.max(b),
                                _ => a.min(b),
                            }
                        })
                        .collect(),
                )
            }
        }
        DType::F64 => {
            let (x, y) = (x.cast(DType::F64), y.cast(DType::F64));
            let (Buf::F(x), Buf::F(y)) = (x, y) else {
                unreachable!()
            };
            if comparison {
                Buf::B((0..n).map(|i| cmp(op, x[i], y[i])).collect())
            } else {
                Buf::F(
                    (0..n)
                        .map(|i| {
                            let (a, b) = (x[i], y[i]);
                            match op {
                                "add" => a + b,
                                "sub" => a - b,
                                "mul" => a * b,
                                "truediv" => a / b,
                                "floordiv" => py_floordiv(a, b),
                                "mod" => py_fmod(a, b),
                                "pow" => a.powf(b),
                                "maximum" => {
                                    if a.is_nan() || b.is_nan() {
                                        f64::NAN
                                    } else {
                                        a.max(b)
                                    }
                                }
                                _ => {
                                    if a.is_nan() || b.is_nan() {
                                        f64::NAN
                                    } else {
                                        a.min(b)
                                    }
                                }
                            }
                        })
                        .collect(),
                )
            }
        }
    })
}

/// `x op y` with broadcasting; `out` (None or an array) receives the
/// result (cast as NumPy's `same_kind` rule allows) and is returned.
pub fn binop(op: &str, x: GcRef, y: GcRef, out: GcRef) -> PyResult<GcRef> {
    let a = Arr::from_value(x)?;
    let b = Arr::from_value(y)?;
    let Some(shape) = broadcast_shape(&[&a.shape, &b.shape]) else {
        return cant_broadcast(&[&a.shape, &b.shape]);
    };
    let (Some(ab), Some(bb)) = (broadcast_to(&a, &shape), broadcast_to(&b, &shape)) else {
        return cant_broadcast(&[&a.shape, &b.shape]);
    };
    let r = apply(op, &ab.read(), &bb.read())?;
    if out.tid() == tid::NONE {
        if shape.is_empty() {
            return Ok(r.scalar(0));
        }
        return Ok(wrap(r.to_array(shape)));
    }
    let o = Arr::from_value(out)?;
    if o.dt < r.dt() {
        return err(
            ExcKind::TypeError,
            format!(
                "Cannot cast ufunc '{}' output from dtype('{}') to dtype('{}') with casting \
                 rule 'same_kind'",
                ufunc_name(op),
                r.dt().name(),
                o.dt.name()
            ),
        );
    }
    if o.shape != shape {
        if broadcast_shape(&[&o.shape, &shape]).as_deref() == Some(&o.shape[..]) {
            let full = broadcast_to(&Arr::of(r.to_array(shape.clone())), &o.shape);
            if let Some(f) = full {
                o.write(&f.read());
                return Ok(out);
            }
        }
        return err(
            ExcKind::ValueError,
            format!(
                "non-broadcastable output operand with shape {} doesn't match the broadcast \
                 shape {}",
                shape_str(&o.shape),
                shape_str(&shape)
            ),
        );
    }
    o.write(&r);
    Ok(out)
}

/// A unary ufunc (`neg`, `pos`, `invert`, `abs`, `sqrt`, `exp`, `log`,
/// `sin`, `cos`, `tan`, `floor`, `ceil`, ...).
pub fn unary(op: &str, x: GcRef) -> PyResult<GcRef> {
    let a = Arr::from_value(x)?;
    let b = a.read();
    let n = b.len();
    let r =
        match (op, &b) {
            ("neg", Buf::B(_)) => {
                return err(
                    ExcKind::TypeError,
                    "The numpy boolean negative, the `-` operator, is not supported, use the `~` \
                 operator or the logical_not function instead.",
                )
            }
            ("neg", Buf::I(v)) => Buf::I(v.iter().map(|x| x.wrapping_neg()).collect()),
            ("neg", Buf::F(v)) => Buf::F(v.iter().map(|x| -x).collect()),
            ("pos", _) => b.clone(),
            ("abs", Buf::B(_)) => b.clone(),
            ("abs", Buf::I(v)) => Buf::I(v.iter().map(|x| x.wrapping_abs()).collect()),
            ("abs", Buf::F(v)) => Buf::F(v.iter().map(|x| x.abs()).collect()),
            ("invert", Buf::B(v)) => Buf::B(v.iter().map(|x| !x).collect()),
            ("invert", Buf::I(v)) => Buf::I(v.iter().map(|x| !x).collect()),
            ("not", _) => Buf::B((0..n).map(|i| !b.truth(i)).collect()),
            ("invert", Buf::F(_)) => return err(
                ExcKind::TypeError,
                "ufunc 'invert' not supported for the input types, and the inputs could not be \
                 safely coerced to any supported types according to the casting rule ''safe''",
            ),
            ("isnan", _) => Buf::B((0..n).map(|i| b.f(i).is_nan()).collect()),
            ("isinf", _) => Buf::B((0..n).map(|i| b.f(i).is_infinite()).collect()),
            ("isfinite", _) => Buf::B((0..n).map(|i| b.f(i).is_finite()).collect()),
            ("sign", Buf::I(v)) => Buf::I(v.iter().map(|x| x.signum()).collect()),
            ("square", Buf::I(v)) => Buf::I(v.iter().map(|x| x.wrapping_mul(*x)).collect()),
            ("square", Buf::B(v)) => Buf::B(v.clone()),
            ("floor" | "ceil" | "trunc" | "rint", Buf::B(_) | Buf::I(_)) => b.cast(DType::F64),
            _ => {
                let f: fn(f64) -> f64 = match op {
                    "sqrt" => f64::sqrt,
                    "exp" => f64::exp,
                    "log" => f64::ln,
                    "log2" => f64::log2,
                    "log10" => f64::log10,
                    "sin" => f64::sin,
                    "cos" => f64::cos,
                    "tan" => f64::tan,
                    "arctan" => f64::atan,
                    "tanh" => f64::tanh,
                    "floor" => f64::floor,
                    "ceil" => f64::ceil,
                    "trunc" => f64::trunc,
                    "rint" => f64::round_ties_even,
                    "square" => |x| x * x,
                    "sign" => |x: f64| {
                        if x.is_nan() {
                            f64::NAN
                        } else if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else {
                            0.0
                        }
                    },
                    _ => {
                        return err(
                            ExcKind::AttributeError,
                            format!("module 'numpy' has no attribute '{op}'"),
                        )
                    }
                };
                Buf::F((0..n).map(|i| f(b.f(i))).collect())
            }
        };
    if a.shape.is_empty() {
        return Ok(r.scalar(0));
    }
    Ok(wrap(r.to_array(a.shape.clone())))
}

/// `np.where(cond, x, y)`.
pub fn where_(c: GcRef, x: GcRef, y: GcRef) -> PyResult<GcRef> {
    let c = Arr::from_value(c)?;
    let a = Arr::from_value(x)?;
    let b = Arr::from_value(y)?;
    let shapes: [&[i64]; 3] = [&c.shape, &a.shape, &b.shape];
    let Some(shape) = broadcast_shape(&shapes) else {
        return cant_broadcast(&shapes);
    };
    let (Some(cb), Some(ab), Some(bb)) = (
        broadcast_to(&c, &shape),
        broadcast_to(&a, &shape),
        broadcast_to(&b, &shape),
    ) else {
        return cant_broadcast(&shapes);
    };
    let dt = a.dt.max(b.dt);
    let (cv, av, bv) = (cb.read(), ab.read().cast(dt), bb.read().cast(dt));
    let idx: Vec<usize> = (0..cv.len()).collect();
    let mut r = av.pick(&idx);
    for i in 0..cv.len() {
        if !cv.truth(i) {
            match (&mut r, &bv) {
                (Buf::B(r), Buf::B(v)) => r[i] = v[i],
                (Buf::I(r), Buf::I(v)) => r[i] = v[i],
                (Buf::F(r), Buf::F(v)) => r[i] = v[i],
                _ => {}
            }
        }
    }
    Ok(wrap(r.to_array(shape)))
}
