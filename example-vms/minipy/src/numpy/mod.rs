//! `numpy`: a NumPy-compatible array module (`import numpy as np`), the
//! subset real numeric programs use, with NumPy 1.x semantics and printed
//! output.
//!
//! Owns: the array object and its storage layout (`array`), indexing,
//! slicing and views (`index`), element-wise operations, type promotion
//! and broadcasting (`ufunc`), reductions, `dot` / `@` and `cumsum`
//! (`reduce`), NumPy's `repr` / `str` of arrays (`repr`), and the Python
//! facade `numpy.py` (shipped in the binary as the frozen module `numpy`)
//! that gives the guest the `ndarray` class, `dtype` objects and the
//! keyword-argument signatures. The facade calls into Rust through one
//! builtin, `_numpy.op(name, *args)` (dispatched by [`call`]).
//!
//! Storage layout: a guest array is an instance of the facade's `ndarray`
//! class whose only attribute `_a` (inline slot 0) is an
//! [`array::ArrayObj`]: the elements unboxed and contiguous in a framework
//! array `data` (`FLOAT_ARRAY` of `f64` for float64, `INT_ARRAY` of `i64`
//! for int64 and of 0/1 for bool), the `dtype` code, `ndim`, `shape` and
//! `strides` (`INT_ARRAY`s, strides counted in elements, 0 on broadcast
//! axes; the first two axes repeated in immutable fields) and the
//! `offset` of element `[0, ..., 0]`. Basic slicing makes a new
//! `ArrayObj` over the same `data` (a view, as in NumPy: writes through it
//! change the base); everything else produces a fresh C-contiguous array.
//!
//! Speed: element access `a[i]` / `a[i, j]` on float64 / int64 arrays
//! (read and write) skips the facade: `fast` is called from the
//! interpreter's subscript and, traced, leaves guards, a bounds check per
//! axis and one raw load or store (see `fast`). Everything else is one
//! residual call into Rust per operation, which works on whole arrays.
//!
//! Supported: dtypes `float64`, `int64`, `bool` (`np.float64` & co. as
//! `dtype=` and as scalar constructors, which give Python `float` / `int`
//! / `bool`); `array`, `asarray`, `zeros`, `ones`, `empty`, `full`,
//! `arange`, `linspace`, `eye`, `identity`, `zeros_like`, `ones_like`,
//! `full_like`, `copy`; `shape`, `ndim`, `size`, `dtype`, `reshape` (with
//! -1), `ravel`, `flatten`, `T` / `transpose`, `astype`, `fill`;
//! indexing with ints, slices (views), tuples of them, `None`, boolean
//! masks and integer lists / arrays (first axis), and assignment through
//! all of these with broadcasting; `+ - * / // % **`, comparisons, `& | ^
//! ~`, unary `-`, in-place operators, the ufuncs `add`, `subtract`,
//! `multiply`, `divide`, `floor_divide`, `mod`, `power`, `maximum`,
//! `minimum` (with `out=`), `sqrt`, `exp`, `log`, `sin`, `cos`, `tan`,
//! `abs`, `floor`, `ceil`, `where`, with NumPy's promotion and
//! broadcasting and its error messages; reductions `sum`, `prod`, `mean`,
//! `std`, `var`, `min`, `max`, `argmin`, `argmax`, `any`, `all` with
//! `axis=`; `cumsum`; `dot` and `@` for 1-D and 2-D; `repr` / `str` as
//! NumPy prints them (shortest float repr, column alignment, line
//! wrapping at 75 columns, scientific notation where NumPy uses it);
//! `tolist`, `item`, iteration, `len`, `float()` / `int()` / `bool()`;
//! and, written in the facade on top of these, `count_nonzero`,
//! `nonzero`, one-argument `where`, `argwhere`, `clip`, `allclose`,
//! `isclose`, `array_equal`, `sort` / `argsort` / `unique` (1-D),
//! `concatenate`, `stack`, `vstack`, `hstack`, `outer`, `diff`, `trace`.
//!
//! Not supported: other dtypes (int32, float32, complex, str, object),
//! NumPy scalar types (indexing gives Python `float` / `int` / `bool`, so
//! `type(a[0])` and float division by a zero scalar differ), 0-d arrays
//! as guest values, summarised printing of arrays over 1000 elements,
//! fancy indexing beyond one integer list on the first axis, `Ellipsis`,
//! `np.newaxis` in assignments, `keepdims`, `out=` on reductions, warnings
//! (NumPy prints `RuntimeWarning`s for division by zero; we stay silent),
//! `np.random`, `linalg`, and broadcasting in `dot` beyond 2-D.

pub mod array;
pub mod fast;
pub mod index;
pub mod reduce;
pub mod repr;
pub mod ufunc;

use crate::objects::*;
use crate::types::{self, err, PyResult};
use array::{Arr, DType};
use metatrace::heap::roots::Handle;
use metatrace::heap::GcRef;
use std::cell::RefCell;

thread_local! {
    /// The facade's `ndarray` class (registered when `numpy` is imported).
    static NDARRAY: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// The map of the arrays `wrap` makes (only `_a`, in slot 0).
    static ARRAY_MAP: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

/// The map of arrays made by [`wrap`] (null before the first one).
pub fn array_map() -> GcRef {
    ARRAY_MAP.with(|c| c.borrow().as_ref().map_or(GcRef::NULL, |h| h.get()))
}

/// The `ndarray` class, once the facade has registered it.
pub fn ndarray_class() -> GcRef {
    NDARRAY.with(|c| c.borrow().as_ref().map_or(GcRef::NULL, |h| h.get()))
}

/// Whether `o` is a guest array (an instance of `ndarray` or a subclass).
pub fn is_array(o: GcRef) -> bool {
    if o.tid() != tid::INST {
        return false;
    }
    let c = ndarray_class();
    !c.is_null() && types::is_subclass(getr(o, &inst_obj::cls), c)
}

/// The `ArrayObj` of a guest array.
pub fn array_of(o: GcRef) -> Option<GcRef> {
    if !is_array(o) {
        return None;
    }
    types::inst_get(o, "_a").filter(|a| a.tid() == array::array_obj::SIZE.tid)
}

/// A new guest array around `ArrayObj` `a`.
pub fn wrap(a: GcRef) -> GcRef {
    let o = types::new_instance(ndarray_class());
    types::inst_set(o, "_a", a);
    ARRAY_MAP.with(|m| {
        let mut m = m.borrow_mut();
        if m.is_none() {
            *m = Some(Handle::new(getr(o, &inst_obj::map)));
        }
    });
    o
}

pub(crate) fn int_of(o: GcRef) -> Option<i64> {
    match o.tid() {
        tid::INT => Some(geti(o, &int_obj::v)),
        tid::BOOL => Some(geti(o, &bool_obj::v)),
        _ => None,
    }
}

pub(crate) fn int_arg(o: GcRef, what: &str) -> PyResult<i64> {
    int_of(o).ok_or(()).or_else(|_| {
        err(
            ExcKind::TypeError,
            format!(
                "'{}' object cannot be interpreted as an integer{what}",
                types::tname(o)
            ),
        )
    })
}

pub(crate) fn float_of(o: GcRef) -> Option<f64> {
    match o.tid() {
        tid::FLOAT => Some(getf(o, &float_obj::v)),
        _ => int_of(o).map(|i| i as f64),
    }
}

/// An optional axis argument (None: all axes), normalised for `ndim`.
pub(crate) fn axis_arg(o: GcRef, ndim: usize) -> PyResult<Option<usize>> {
    if o.tid() == tid::NONE {
        return Ok(None);
    }
    let k = int_arg(o, "")?;
    let n = ndim as i64;
    if k < -n || k >= n {
        return err(
            ExcKind::ValueError,
            format!("axis {k} is out of bounds for array of dimension {ndim}"),
        );
    }
    Ok(Some(if k < 0 { k + n } else { k } as usize))
}

/// A shape argument: an int or a sequence of ints.
pub(crate) fn shape_arg(o: GcRef) -> PyResult<Vec<i64>> {
    let items = match o.tid() {
        tid::TUPLE => tuple_items(o),
        tid::LIST => list_items(o),
        _ => vec![o],
    };
    let mut v = Vec::with_capacity(items.len());
    for x in items {
        v.push(int_arg(x, "")?);
    }
    Ok(v)
}

/// A dtype code argument (-1: infer).
pub(crate) fn dtype_arg(o: GcRef) -> PyResult<Option<DType>> {
    match int_of(o) {
        Some(-1) => Ok(None),
        Some(k) => Ok(DType::from_code(k)),
        None => err(ExcKind::TypeError, "data type not understood"),
    }
}

fn arg(args: &[GcRef], i: usize) -> PyResult<GcRef> {
    match args.get(i) {
        Some(v) => Ok(*v),
        None => err(ExcKind::TypeError, "_numpy.op: missing argument"),
    }
}

/// `_numpy.op(name, *args)`: every operation the facade calls.
pub fn call(args: &[GcRef]) -> PyResult<GcRef> {
    let name = arg(args, 0)?;
    if name.tid() != tid::STR {
        return err(ExcKind::TypeError, "_numpy.op: name must be str");
    }
    let name = str_of(name);
    let a = &args[1..];
    let x = |i: usize| arg(a, i);
    let ar = |i: usize| -> PyResult<Arr> { Arr::from_value(arg(a, i)?) };
    match name.as_str() {
        "register" => {
            let c = x(0)?;
            NDARRAY.with(|h| *h.borrow_mut() = Some(Handle::new(c)));
            Ok(rt().none)
        }
        "array" => array::array(x(0)?, dtype_arg(x(1)?)?, true),
        "asarray" => array::array(x(0)?, dtype_arg(x(1)?)?, false),
        "full" => array::full(x(0)?, x(1)?, dtype_arg(x(2)?)?),
        "arange" => array::arange(x(0)?, x(1)?, x(2)?, dtype_arg(x(3)?)?),
        "linspace" => array::linspace(x(0)?, x(1)?, x(2)?, x(3)?),
        "eye" => array::eye(x(0)?, x(1)?, x(2)?, dtype_arg(x(3)?)?),
        "shape" => Ok(array::shape_tuple(&ar(0)?.shape)),
        "ndim" => Ok(new_int(ar(0)?.shape.len() as i64)),
        "size" => Ok(new_int(ar(0)?.size())),
        "dtype" => Ok(new_int(ar(0)?.dt as i64)),
        "reshape" => array::reshape(&ar(0)?, x(1)?),
        "ravel" => array::ravel(&ar(0)?, false),
        "flatten" => array::ravel(&ar(0)?, true),
        "transpose" => Ok(wrap(ar(0)?.transposed().store())),
        "astype" => {
            let dt = dtype_arg(x(1)?)?.unwrap_or(DType::F64);
            Ok(wrap(ar(0)?.read().cast(dt).to_array(ar(0)?.shape)))
        }
        "copy" => {
            let a = ar(0)?;
            Ok(wrap(a.read().to_array(a.shape.clone())))
        }
        "fill" => {
            let a = ar(0)?;
            index::assign(&a, x(1)?)?;
            Ok(rt().none)
        }
        "getitem" => index::getitem(x(0)?, x(1)?),
        "setitem" => {
            index::setitem(x(0)?, x(1)?, x(2)?)?;
            Ok(rt().none)
        }
        "binop" => ufunc::binop(&str_of(x(0)?), x(1)?, x(2)?, x(3)?),
        "unary" => ufunc::unary(&str_of(x(0)?), x(1)?),
        "where" => ufunc::where_(x(0)?, x(1)?, x(2)?),
        "reduce" => reduce::reduce(&str_of(x(0)?), x(1)?, x(2)?),
        "cumulative" => reduce::cumulative(&str_of(x(0)?), x(1)?, x(2)?),
        "dot" => reduce::dot(x(0)?, x(1)?, false),
        "matmul" => reduce::dot(x(0)?, x(1)?, true),
        "repr" => Ok(new_str(&repr::repr(&ar(0)?))),
        "str" => Ok(new_str(&repr::str(&ar(0)?))),
        "tolist" => Ok(ar(0)?.tolist()),
        "item" => {
            let a = ar(0)?;
            if a.size() != 1 {
                return err(
                    ExcKind::ValueError,
                    "can only convert an array of size 1 to a Python scalar",
                );
            }
            Ok(a.read().scalar(0))
        }
        "truth" => {
            let a = ar(0)?;
            if a.size() != 1 {
                return err(
                    ExcKind::ValueError,
                    "The truth value of an array with more than one element is ambiguous. \
                     Use a.any() or a.all()",
                );
            }
            Ok(bool_obj(a.read().truth(0)))
        }
        "len" => {
            let a = ar(0)?;
            match a.shape.first() {
                Some(n) => Ok(new_int(*n)),
                None => err(ExcKind::TypeError, "len() of unsized object"),
            }
        }
        _ => err(
            ExcKind::AttributeError,
            format!("module 'numpy' has no attribute '{name}'"),
        ),
    }
}
