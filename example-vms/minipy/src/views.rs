//! Dict views (`d.keys()`, `d.values()`, `d.items()`) and dict iterators.
//!
//! Owns: the residual (non-traced) side of `DictView` and `DictIter`:
//! construction, `len`, `in`, repr, equality, materialisation, the set
//! operators of keys/items views (following CPython's `dictobject.c`
//! code paths, so result sets iterate in CPython's order), and `next` with
//! CPython's "dictionary changed size during iteration" check. The traced
//! fast path of iteration lives in `Vm::get_iter` / `Vm::for_iter`.

use crate::bytecode::BinOp;
use crate::dict;
use crate::objects::*;
use crate::ops;
use crate::sets;
use crate::strings;
use crate::types::{self, PyResult};
use metatrace::heap::{self, GcRef};

pub const KEYS: i64 = 0;
pub const VALUES: i64 = 1;
pub const ITEMS: i64 = 2;

pub fn new_view(d: GcRef, kind: i64) -> GcRef {
    let v = heap::new_struct(&dict_view::SIZE);
    setr(v, &dict_view::dict, d);
    seti(v, &dict_view::kind, kind);
    v
}

fn dict_of(v: GcRef) -> GcRef {
    getr(v, &dict_view::dict)
}
fn kind(v: GcRef) -> i64 {
    geti(v, &dict_view::kind)
}

/// A keys or items view (the set-like ones).
pub fn is_set_view(o: GcRef) -> bool {
    o.tid() == tid::DICT_VIEW && kind(o) != VALUES
}

fn project(kind: i64, k: GcRef, v: GcRef) -> GcRef {
    match kind {
        KEYS => k,
        VALUES => v,
        _ => new_tuple(&[k, v]),
    }
}

/// The view's elements now, in dict order.
pub fn items(v: GcRef) -> Vec<GcRef> {
    let k = kind(v);
    dict::items(dict_of(v))
        .into_iter()
        .map(|(a, b)| project(k, a, b))
        .collect()
}

pub fn len(v: GcRef) -> usize {
    dict::len(dict_of(v))
}

/// `x in view`.
pub fn contains(v: GcRef, x: GcRef) -> PyResult<bool> {
    let d = dict_of(v);
    match kind(v) {
        KEYS => Ok(dict::get(d, x)?.is_some()),
        VALUES => {
            for (_, val) in dict::items(d) {
                if val == x || dict::eq(val, x)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => {
            if x.tid() != tid::TUPLE || tuple_items(x).len() != 2 {
                return Ok(false);
            }
            let kv = tuple_items(x);
            match dict::get(d, kv[0])? {
                Some(val) => Ok(val == kv[1] || dict::eq(val, kv[1])?),
                None => Ok(false),
            }
        }
    }
}

pub fn repr(v: GcRef) -> PyResult<String> {
    let parts: PyResult<Vec<String>> = items(v).into_iter().map(strings::repr).collect();
    Ok(format!("{}([{}])", types::tname(v), parts?.join(", ")))
}

/// `view == other`: set-like comparison for keys/items views against sets
/// and set-like views; identity otherwise.
pub fn eq(a: GcRef, b: GcRef) -> PyResult<bool> {
    let setlike = |o: GcRef| o.tid() == tid::SET || is_set_view(o);
    if a == b {
        return Ok(true);
    }
    if !(setlike(a) && setlike(b)) || !(is_set_view(a) || is_set_view(b)) {
        return Ok(false);
    }
    if ops::len(a)? != ops::len(b)? {
        return Ok(false);
    }
    for x in ops::iterate(a)? {
        if !ops::contains(b, x)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `dictviews_to_set`: a keys view goes through the dict (pre-sized).
fn to_set(o: GcRef) -> PyResult<GcRef> {
    if o.tid() == tid::DICT_VIEW && kind(o) == KEYS {
        return sets::from_iterable(dict_of(o));
    }
    sets::from_iterable(o)
}

/// `_PyDictView_Intersect`.
fn intersect(a: GcRef, b: GcRef) -> PyResult<GcRef> {
    let (mut slf, mut other) = if is_set_view(a) { (a, b) } else { (b, a) };
    let len_self = len(slf);
    if other.tid() == tid::SET && len_self <= sets::len(other) {
        return sets::intersection(other, slf);
    }
    if is_set_view(other) && len(other) > len_self {
        std::mem::swap(&mut slf, &mut other);
    }
    let result = sets::new_set();
    for k in ops::iterate(other)? {
        if contains(slf, k)? {
            sets::add(result, k)?;
        }
    }
    Ok(result)
}

/// `a op b` where one side is a keys or items view: always a new set.
pub fn setop(op: BinOp, a: GcRef, b: GcRef) -> PyResult<GcRef> {
    if op == BinOp::And {
        return intersect(a, b);
    }
    let r = to_set(a)?;
    match op {
        BinOp::Or => sets::update(r, b)?,
        BinOp::Sub => sets::difference_update(r, b)?,
        _ => sets::symmetric_difference_update(r, b)?,
    }
    Ok(r)
}

/// An iterator over dict `d` (`kind` as for views).
pub fn new_iter(d: GcRef, kind: i64) -> GcRef {
    let it = heap::new_struct(&dict_iter::SIZE);
    setr(it, &dict_iter::dict, d);
    seti(it, &dict_iter::kind, kind);
    seti(it, &dict_iter::size, dict::len(d) as i64);
    it
}

/// `iter(view)`.
pub fn iter_view(v: GcRef) -> GcRef {
    new_iter(dict_of(v), kind(v))
}

pub const CHANGED_SIZE: &str = "dictionary changed size during iteration";

/// `next(it)` for a dict iterator.
pub fn iter_next(it: GcRef) -> PyResult<Option<GcRef>> {
    let d = getr(it, &dict_iter::dict);
    if geti(it, &dict_iter::size) != dict::len(d) as i64 {
        seti(it, &dict_iter::size, -1);
        return types::err(ExcKind::RuntimeError, CHANGED_SIZE);
    }
    let mut i = geti(it, &dict_iter::idx) as usize;
    while i < dict::used(d) {
        let e = dict::entry(d, i);
        i += 1;
        if let Some((k, v)) = e {
            seti(it, &dict_iter::idx, i as i64);
            return Ok(Some(project(geti(it, &dict_iter::kind), k, v)));
        }
    }
    seti(it, &dict_iter::idx, i as i64);
    Ok(None)
}
