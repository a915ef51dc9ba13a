//! The array object's layout and the arrays' creation: `ArrayObj`, its
//! Rust-side reading (`Arr`), element buffers (`Buf`), dtypes, and
//! `array`, `full`, `arange`, `linspace`, `eye`, `reshape`, `ravel`.

use super::{float_of, int_arg, int_of, shape_arg, wrap};
use crate::objects::*;
use crate::types::{self, err, PyResult};
use metatrace::heap::{self, GcRef, FLOAT_ARRAY, INT_ARRAY};
use metatrace::ir::ArrayDescr;

metatrace::gc_struct! {
    /// An n-dimensional view of `data` (a `FLOAT_ARRAY` of float64
    /// elements, or an `INT_ARRAY` of int64 / bool ones, unboxed):
    /// `shape` and `strides` are `INT_ARRAY`s of `ndim` entries, strides
    /// in elements; element `[i0, .., in]` is at `offset + sum(ik *
    /// strides[k])`. `dim0`/`st0` and `dim1`/`st1` repeat the first two
    /// axes (0 where absent) as immutable fields, so traces of `a[i, j]`
    /// read them as loop invariants.
    pub struct ArrayObj as array_obj {
        #[immutable] data: GcRef, #[immutable] dtype: i64, #[immutable] ndim: i64,
        #[immutable] shape: GcRef, #[immutable] strides: GcRef, #[immutable] offset: i64,
        #[immutable] dim0: i64, #[immutable] st0: i64, #[immutable] dim1: i64, #[immutable] st1: i64,
    }
}

/// Element types, ordered by NumPy's promotion (bool < int64 < float64).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DType {
    Bool = 0,
    I64 = 1,
    F64 = 2,
}

impl DType {
    pub fn from_code(k: i64) -> Option<DType> {
        match k {
            0 => Some(DType::Bool),
            1 => Some(DType::I64),
            2 => Some(DType::F64),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I64 => "int64",
            DType::F64 => "float64",
        }
    }
}

/// Elements in C order, unboxed.
#[derive(Clone, Debug)]
pub enum Buf {
    B(Vec<bool>),
    I(Vec<i64>),
    F(Vec<f64>),
}

impl Buf {
    pub fn dt(&self) -> DType {
        match self {
            Buf::B(_) => DType::Bool,
            Buf::I(_) => DType::I64,
            Buf::F(_) => DType::F64,
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Buf::B(v) => v.len(),
            Buf::I(v) => v.len(),
            Buf::F(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn f(&self, i: usize) -> f64 {
        match self {
            Buf::B(v) => v[i] as i64 as f64,
            Buf::I(v) => v[i] as f64,
            Buf::F(v) => v[i],
        }
    }
    pub fn i(&self, i: usize) -> i64 {
        match self {
            Buf::B(v) => v[i] as i64,
            Buf::I(v) => v[i],
            Buf::F(v) => float_to_int(v[i]),
        }
    }
    pub fn truth(&self, i: usize) -> bool {
        match self {
            Buf::B(v) => v[i],
            Buf::I(v) => v[i] != 0,
            Buf::F(v) => v[i] != 0.0,
        }
    }
    /// The raw storage word of element `i`.
    pub fn bits(&self, i: usize) -> u64 {
        match self {
            Buf::B(v) => v[i] as u64,
            Buf::I(v) => v[i] as u64,
            Buf::F(v) => v[i].to_bits(),
        }
    }
    pub fn cast(&self, dt: DType) -> Buf {
        if dt == self.dt() {
            return self.clone();
        }
        let n = self.len();
        match dt {
            DType::Bool => Buf::B((0..n).map(|i| self.truth(i)).collect()),
            DType::I64 => Buf::I((0..n).map(|i| self.i(i)).collect()),
            DType::F64 => Buf::F((0..n).map(|i| self.f(i)).collect()),
        }
    }
    /// Element `i` as a Python scalar.
    pub fn scalar(&self, i: usize) -> GcRef {
        match self {
            Buf::B(v) => bool_obj(v[i]),
            Buf::I(v) => new_int(v[i]),
            Buf::F(v) => new_float(v[i]),
        }
    }
    pub fn pick(&self, idx: &[usize]) -> Buf {
        match self {
            Buf::B(v) => Buf::B(idx.iter().map(|&i| v[i]).collect()),
            Buf::I(v) => Buf::I(idx.iter().map(|&i| v[i]).collect()),
            Buf::F(v) => Buf::F(idx.iter().map(|&i| v[i]).collect()),
        }
    }
    /// A new C-contiguous `ArrayObj` of these elements.
    pub fn to_array(&self, shape: Vec<i64>) -> GcRef {
        let n = self.len();
        let d = storage(self.dt());
        let data = heap::new_array(d, n as i64).expect("array length");
        for i in 0..n {
            heap::setarrayitem(data, d, i as i64, self.bits(i));
        }
        let strides = contiguous_strides(&shape);
        new_array_obj(data, self.dt(), &shape, &strides, 0)
    }
}

/// NumPy's float → int64 cast (truncation; NaN and out-of-range values
/// give i64::MIN, as on x86).
pub fn float_to_int(f: f64) -> i64 {
    if f.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

pub fn contiguous_strides(shape: &[i64]) -> Vec<i64> {
    let mut s = vec![0; shape.len()];
    let mut acc = 1;
    for k in (0..shape.len()).rev() {
        s[k] = acc;
        acc *= shape[k].max(1);
    }
    s
}

fn ints(v: &[i64]) -> GcRef {
    let a = new_ints(v.len());
    for (i, x) in v.iter().enumerate() {
        heap::setarrayitem(a, &INT_ARRAY, i as i64, *x as u64);
    }
    a
}

pub fn new_array_obj(data: GcRef, dt: DType, shape: &[i64], strides: &[i64], off: i64) -> GcRef {
    let sh = ints(shape);
    let st = ints(strides);
    let o = heap::new_struct(&array_obj::SIZE);
    setr(o, &array_obj::data, data);
    seti(o, &array_obj::dtype, dt as i64);
    seti(o, &array_obj::ndim, shape.len() as i64);
    setr(o, &array_obj::shape, sh);
    setr(o, &array_obj::strides, st);
    seti(o, &array_obj::offset, off);
    seti(o, &array_obj::dim0, shape.first().copied().unwrap_or(0));
    seti(o, &array_obj::st0, strides.first().copied().unwrap_or(0));
    seti(o, &array_obj::dim1, shape.get(1).copied().unwrap_or(0));
    seti(o, &array_obj::st1, strides.get(1).copied().unwrap_or(0));
    o
}

/// The framework array type holding elements of `dt`.
pub fn storage(dt: DType) -> &'static ArrayDescr {
    match dt {
        DType::F64 => &FLOAT_ARRAY,
        _ => &INT_ARRAY,
    }
}

/// An array read into Rust: its storage and geometry.
#[derive(Clone, Debug)]
pub struct Arr {
    pub data: GcRef,
    pub dt: DType,
    pub shape: Vec<i64>,
    pub strides: Vec<i64>,
    pub offset: i64,
}

fn read_ints(a: GcRef) -> Vec<i64> {
    let n = heap::arraylen(a, &INT_ARRAY);
    (0..n)
        .map(|i| heap::getarrayitem(a, &INT_ARRAY, i) as i64)
        .collect()
}

impl Arr {
    pub fn of(o: GcRef) -> Arr {
        Arr {
            data: getr(o, &array_obj::data),
            dt: DType::from_code(geti(o, &array_obj::dtype)).unwrap_or(DType::F64),
            shape: read_ints(getr(o, &array_obj::shape)),
            strides: read_ints(getr(o, &array_obj::strides)),
            offset: geti(o, &array_obj::offset),
        }
    }

    /// A guest array, or a scalar / nested sequence converted as
    /// `np.asarray` would (scalars give 0-d arrays).
    pub fn from_value(v: GcRef) -> PyResult<Arr> {
        if let Some(a) = super::array_of(v) {
            return Ok(Arr::of(a));
        }
        let (buf, shape) = from_nested(v, None)?;
        Ok(Arr::of(buf.to_array(shape)))
    }

    pub fn size(&self) -> i64 {
        self.shape.iter().product()
    }

    /// The storage positions of the elements, in C order.
    pub fn positions(&self) -> Vec<i64> {
        let n = self.size();
        let mut out = Vec::with_capacity(n.max(0) as usize);
        if n <= 0 {
            return out;
        }
        let nd = self.shape.len();
        let mut idx = vec![0i64; nd];
        let mut pos = self.offset;
        loop {
            out.push(pos);
            let mut k = nd;
            loop {
                if k == 0 {
                    return out;
                }
                k -= 1;
                idx[k] += 1;
                pos += self.strides[k];
                if idx[k] < self.shape[k] {
                    break;
                }
                pos -= self.strides[k] * idx[k];
                idx[k] = 0;
            }
        }
    }

    /// The elements in C order.
    pub fn read(&self) -> Buf {
        let p = self.positions();
        let d = storage(self.dt);
        let w = |i: i64| heap::getarrayitem(self.data, d, i);
        match self.dt {
            DType::Bool => Buf::B(p.iter().map(|&i| w(i) != 0).collect()),
            DType::I64 => Buf::I(p.iter().map(|&i| w(i) as i64).collect()),
            DType::F64 => Buf::F(p.iter().map(|&i| f64::from_bits(w(i))).collect()),
        }
    }

    /// Writes `b` (C order, `size()` elements) into this view, cast to
    /// the array's dtype.
    pub fn write(&self, b: &Buf) {
        let b = b.cast(self.dt);
        for (i, p) in self.positions().into_iter().enumerate() {
            heap::setarrayitem(self.data, storage(self.dt), p, b.bits(i));
        }
    }

    /// A new `ArrayObj` with this geometry (a view of the same data).
    pub fn store(&self) -> GcRef {
        new_array_obj(self.data, self.dt, &self.shape, &self.strides, self.offset)
    }

    pub fn transposed(&self) -> Arr {
        let mut a = self.clone();
        a.shape.reverse();
        a.strides.reverse();
        a
    }

    pub fn is_contiguous(&self) -> bool {
        let c = contiguous_strides(&self.shape);
        self.shape
            .iter()
            .zip(self.strides.iter().zip(c.iter()))
            .all(|(n, (s, c))| *n <= 1 || s == c)
    }

    /// Nested lists of Python scalars (`tolist`).
    pub fn tolist(&self) -> GcRef {
        let b = self.read();
        if self.shape.is_empty() {
            return b.scalar(0);
        }
        let mut i = 0;
        nested_list(&b, &self.shape, &mut i)
    }
}

fn nested_list(b: &Buf, shape: &[i64], i: &mut usize) -> GcRef {
    let l = new_list(&[]);
    for _ in 0..shape[0] {
        if shape.len() == 1 {
            let v = b.scalar(*i);
            *i += 1;
            list_append(l, v);
        } else {
            let v = nested_list(b, &shape[1..], i);
            list_append(l, v);
        }
    }
    l
}

pub fn shape_tuple(shape: &[i64]) -> GcRef {
    let t = new_tuple(&[]);
    let a = new_refs(shape.len());
    setr(t, &tuple_obj::items, a);
    for (i, n) in shape.iter().enumerate() {
        let v = new_int(*n);
        aset(a, i, v);
    }
    t
}

/// A scalar's dtype and value, or None for a non-scalar.
fn scalar_buf(v: GcRef) -> Option<Buf> {
    match v.tid() {
        tid::BOOL => Some(Buf::B(vec![geti(v, &bool_obj::v) != 0])),
        tid::INT => Some(Buf::I(vec![geti(v, &int_obj::v)])),
        tid::FLOAT => Some(Buf::F(vec![getf(v, &float_obj::v)])),
        _ => None,
    }
}

/// Flattens a nested sequence (or scalar, or array) into elements and a
/// shape, inferring the dtype unless `dt` is given.
pub fn from_nested(v: GcRef, dt: Option<DType>) -> PyResult<(Buf, Vec<i64>)> {
    let mut shape: Option<Vec<i64>> = None;
    let mut vals: Vec<Buf> = Vec::new();
    walk(v, 0, &mut Vec::new(), &mut shape, &mut vals)?;
    let shape = shape.unwrap_or_default();
    let inferred = vals.iter().map(|b| b.dt()).max();
    let dt = dt.or(inferred).unwrap_or(DType::F64);
    let buf = match dt {
        DType::Bool => Buf::B(vals.iter().map(|b| b.truth(0)).collect()),
        DType::I64 => Buf::I(vals.iter().map(|b| b.i(0)).collect()),
        DType::F64 => Buf::F(vals.iter().map(|b| b.f(0)).collect()),
    };
    Ok((buf, shape))
}

fn inhomogeneous<T>(depth: usize, shape: &[i64]) -> PyResult<T> {
    let s: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
    let s = if s.len() == 1 {
        format!("({},)", s[0])
    } else {
        format!("({})", s.join(", "))
    };
    err(
        ExcKind::ValueError,
        format!(
            "setting an array element with a sequence. The requested array has an \
             inhomogeneous shape after {depth} dimensions. The detected shape was {s} + \
             inhomogeneous part."
        ),
    )
}

fn walk(
    v: GcRef,
    depth: usize,
    prefix: &mut Vec<i64>,
    shape: &mut Option<Vec<i64>>,
    vals: &mut Vec<Buf>,
) -> PyResult<()> {
    let items = if let Some(a) = super::array_of(v) {
        let a = Arr::of(a);
        if a.shape.is_empty() {
            let b = a.read();
            vals.push(b);
            return leaf(depth, prefix, shape);
        }
        // Sub-arrays: walk their rows as Python values.
        let b = a.read();
        if a.shape.len() == 1 {
            prefix.push(a.shape[0]);
            check_prefix(depth + 1, prefix, shape)?;
            for i in 0..b.len() {
                vals.push(b.pick(&[i]));
            }
            leaf(depth + 1, prefix, shape)?;
            prefix.pop();
            return Ok(());
        }
        let l = a.tolist();
        return walk(l, depth, prefix, shape, vals);
    } else {
        match v.tid() {
            tid::LIST => list_items(v),
            tid::TUPLE => tuple_items(v),
            tid::RANGE => crate::ops::iterate(v)?,
            _ => match scalar_buf(v) {
                Some(b) => {
                    vals.push(b);
                    return leaf(depth, prefix, shape);
                }
                None => {
                    return err(
                        ExcKind::TypeError,
                        format!(
                            "float() argument must be a string or a real number, not '{}'",
                            types::tname(v)
                        ),
                    )
                }
            },
        }
    };
    prefix.push(items.len() as i64);
    check_prefix(depth + 1, prefix, shape)?;
    if items.is_empty() {
        leaf(depth + 1, prefix, shape)?;
    }
    for x in items {
        walk(x, depth + 1, prefix, shape, vals)?;
    }
    prefix.pop();
    Ok(())
}

fn check_prefix(depth: usize, prefix: &[i64], shape: &Option<Vec<i64>>) -> PyResult<()> {
    if let Some(s) = shape {
        if s.len() < depth || s[..depth] != prefix[..depth] {
            let common = s.iter().zip(prefix).take_while(|(a, b)| a == b).count();
            return inhomogeneous(common, &s[..common.max(1).min(s.len())]);
        }
    }
    Ok(())
}

fn leaf(depth: usize, prefix: &[i64], shape: &mut Option<Vec<i64>>) -> PyResult<()> {
    match shape {
        None => *shape = Some(prefix[..depth].to_vec()),
        Some(s) if s.len() != depth => {
            let common = depth.min(s.len());
            return inhomogeneous(common, &s[..common]);
        }
        _ => {}
    }
    Ok(())
}

/// `np.array(obj, dtype)` (`copy`: always a new array; else `asarray`).
pub fn array(v: GcRef, dt: Option<DType>, copy: bool) -> PyResult<GcRef> {
    if let Some(a) = super::array_of(v) {
        let ar = Arr::of(a);
        if !copy && dt.is_none_or(|d| d == ar.dt) {
            return Ok(v);
        }
        let b = ar.read().cast(dt.unwrap_or(ar.dt));
        return Ok(wrap(b.to_array(ar.shape)));
    }
    let (buf, shape) = from_nested(v, dt)?;
    Ok(wrap(buf.to_array(shape)))
}

fn check_shape(shape: &[i64]) -> PyResult<()> {
    if shape.iter().any(|n| *n < 0) {
        return err(ExcKind::ValueError, "negative dimensions are not allowed");
    }
    Ok(())
}

/// `np.full(shape, value, dtype)` (zeros, ones, empty).
pub fn full(shape: GcRef, value: GcRef, dt: Option<DType>) -> PyResult<GcRef> {
    let shape = shape_arg(shape)?;
    check_shape(&shape)?;
    let n: i64 = shape.iter().product();
    let v = match scalar_buf(value) {
        Some(b) => b,
        None => return err(ExcKind::TypeError, "full: fill value must be a number"),
    };
    let dt = dt.unwrap_or(v.dt());
    let v = v.cast(dt);
    let b = v.pick(&vec![0; n as usize]);
    Ok(wrap(b.to_array(shape)))
}

/// `np.arange(start, stop, step, dtype)`; `stop` None: `arange(start)`.
pub fn arange(start: GcRef, stop: GcRef, step: GcRef, dt: Option<DType>) -> PyResult<GcRef> {
    let (start, stop) = if stop.tid() == tid::NONE {
        (new_int(0), start)
    } else {
        (start, stop)
    };
    let step = if step.tid() == tid::NONE {
        new_int(1)
    } else {
        step
    };
    let all_int = [start, stop, step].iter().all(|v| int_of(*v).is_some());
    let (Some(a), Some(b), Some(s)) = (float_of(start), float_of(stop), float_of(step)) else {
        return err(ExcKind::TypeError, "arange: arguments must be numbers");
    };
    if s == 0.0 {
        return err(ExcKind::ZeroDivisionError, "division by zero");
    }
    let dt = dt.unwrap_or(if all_int { DType::I64 } else { DType::F64 });
    let buf = if all_int {
        let (a, b, s) = (
            int_of(start).unwrap_or(0),
            int_of(stop).unwrap_or(0),
            int_of(step).unwrap_or(1),
        );
        let n = if s > 0 {
            (b - a + s - 1).div_euclid(s)
        } else {
            (a - b - s - 1).div_euclid(-s)
        }
        .max(0);
        Buf::I((0..n).map(|i| a + i * s).collect())
    } else {
        let n = ((b - a) / s).ceil().max(0.0) as i64;
        // NumPy fills from the first two values: delta = (a + s) - a.
        let delta = (a + s) - a;
        Buf::F((0..n).map(|i| a + i as f64 * delta).collect())
    };
    let n = buf.len() as i64;
    Ok(wrap(buf.cast(dt).to_array(vec![n])))
}

/// `np.linspace(start, stop, num, endpoint)`.
pub fn linspace(start: GcRef, stop: GcRef, num: GcRef, endpoint: GcRef) -> PyResult<GcRef> {
    let (Some(a), Some(b)) = (float_of(start), float_of(stop)) else {
        return err(ExcKind::TypeError, "linspace: arguments must be numbers");
    };
    let n = int_arg(num, "")?;
    if n < 0 {
        return err(
            ExcKind::ValueError,
            format!("Number of samples, {n}, must be non-negative."),
        );
    }
    let endpoint = crate::ops::truthy(endpoint)?;
    let div = if endpoint { n - 1 } else { n };
    let delta = b - a;
    let mut v: Vec<f64> = Vec::with_capacity(n as usize);
    if div > 0 {
        let step = delta / div as f64;
        for i in 0..n {
            v.push(if step == 0.0 {
                i as f64 / div as f64 * delta + a
            } else {
                i as f64 * step + a
            });
        }
    } else {
        for i in 0..n {
            v.push(i as f64 * delta + a);
        }
    }
    if endpoint && n > 1 {
        v[n as usize - 1] = b;
    }
    Ok(wrap(Buf::F(v).to_array(vec![n])))
}

/// `np.eye(n, m, k, dtype)`.
pub fn eye(n: GcRef, m: GcRef, k: GcRef, dt: Option<DType>) -> PyResult<GcRef> {
    let n = int_arg(n, "")?;
    let m = if m.tid() == tid::NONE {
        n
    } else {
        int_arg(m, "")?
    };
    let k = int_arg(k, "")?;
    check_shape(&[n, m])?;
    let mut v = vec![0.0; (n * m) as usize];
    for i in 0..n {
        let j = i + k;
        if (0..m).contains(&j) {
            v[(i * m + j) as usize] = 1.0;
        }
    }
    Ok(wrap(
        Buf::F(v)
            .cast(dt.unwrap_or(DType::F64))
            .to_array(vec![n, m]),
    ))
}

/// A shape as NumPy's reshape errors print it: `(5,5)`, `(5,newaxis)`.
fn shape_str(s: &[i64]) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|n| {
            if *n == -1 {
                "newaxis".to_string()
            } else {
                n.to_string()
            }
        })
        .collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(","))
    }
}

/// `a.reshape(shape)` (one -1 is inferred); a view when `a` is contiguous.
pub fn reshape(a: &Arr, shape: GcRef) -> PyResult<GcRef> {
    let mut shape = shape_arg(shape)?;
    let n = a.size();
    let unknown: Vec<usize> = (0..shape.len()).filter(|&i| shape[i] == -1).collect();
    if unknown.len() > 1 {
        return err(
            ExcKind::ValueError,
            "can only specify one unknown dimension",
        );
    }
    let known: i64 = shape.iter().filter(|&&d| d != -1).product();
    if let Some(&u) = unknown.first() {
        if known == 0 || n % known != 0 {
            return err(
                ExcKind::ValueError,
                format!(
                    "cannot reshape array of size {n} into shape {}",
                    shape_str(&shape)
                ),
            );
        }
        shape[u] = n / known;
    }
    if shape.iter().any(|d| *d < -1) {
        return err(ExcKind::ValueError, "negative dimensions not allowed");
    }
    if shape.iter().product::<i64>() != n {
        return err(
            ExcKind::ValueError,
            format!(
                "cannot reshape array of size {n} into shape {}",
                shape_str(&shape)
            ),
        );
    }
    if a.is_contiguous() {
        let st = contiguous_strides(&shape);
        return Ok(wrap(new_array_obj(a.data, a.dt, &shape, &st, a.offset)));
    }
    Ok(wrap(a.read().to_array(shape)))
}

/// `ravel` (a view when contiguous) / `flatten` (always a copy).
pub fn ravel(a: &Arr, copy: bool) -> PyResult<GcRef> {
    let n = a.size();
    if !copy && a.is_contiguous() {
        return Ok(wrap(new_array_obj(a.data, a.dt, &[n], &[1], a.offset)));
    }
    Ok(wrap(a.read().to_array(vec![n])))
}
