//! The heap hash table behind dict and set, plus value hashing and
//! equality (the parts of them that need no guest code).
//!
//! Owns: `DictObj` operations (insertion-ordered entries + open-addressing
//! index, all in heap arrays), `hash`, `eq`.

use crate::hashing;
use crate::numbers;
use crate::objects::*;
use crate::types::{self, PyResult};
use metatrace::heap::{self, GcRef, INT_ARRAY};

fn iget(a: GcRef, i: usize) -> i64 {
    heap::getarrayitem(a, &INT_ARRAY, i as i64) as i64
}
fn iset(a: GcRef, i: usize, v: i64) {
    heap::setarrayitem(a, &INT_ARRAY, i as i64, v as u64)
}
fn ilen(a: GcRef) -> usize {
    heap::arraylen(a, &INT_ARRAY) as usize
}

pub fn new_dict() -> GcRef {
    let o = heap::new_struct(&dict_obj::SIZE);
    setr(o, &dict_obj::keys, new_refs(4));
    setr(o, &dict_obj::vals, new_refs(4));
    setr(o, &dict_obj::hashes, new_ints(4));
    setr(o, &dict_obj::index, new_ints(8));
    o
}

pub fn len(d: GcRef) -> usize {
    geti(d, &dict_obj::count) as usize
}

/// Hash of a value; `Err(NEED_GUEST)` for instances defining `__hash__`.
pub fn hash(o: GcRef) -> PyResult<i64> {
    Ok(match o.tid() {
        tid::INT => hashing::int(geti(o, &int_obj::v)),
        tid::BOOL => geti(o, &bool_obj::v),
        tid::BIG => hashing::big(o),
        tid::FLOAT => hashing::float(getf(o, &float_obj::v), hashing::pointer(o)),
        tid::STR => hashing::str_hash(o),
        tid::TUPLE => {
            let mut lanes = vec![];
            for it in tuple_items(o) {
                lanes.push(hash(it)?);
            }
            hashing::tuple(&lanes)
        }
        tid::SET if crate::sets::is_frozen(o) => crate::sets::frozen_hash(o),
        tid::LIST | tid::DICT | tid::SET | tid::DICT_VIEW => {
            return types::err(
                ExcKind::TypeError,
                format!("unhashable type: '{}'", types::tname(o)),
            )
        }
        tid::INST => {
            let cls = getr(o, &inst_obj::cls);
            let h = types::class_lookup(cls, "__hash__");
            if !h.is_null() && h.tid() == tid::FUNC {
                return (types::upcalls().user_hash)(o);
            }
            if h == rt().none {
                return types::err(
                    ExcKind::TypeError,
                    format!("unhashable type: '{}'", types::tname(o)),
                );
            }
            if !types::class_lookup(cls, "__eq__").is_null()
                && types::class_lookup(cls, "__eq__").tid() == tid::FUNC
            {
                return types::err(
                    ExcKind::TypeError,
                    format!("unhashable type: '{}'", types::tname(o)),
                );
            }
            (o.addr() >> 3) as i64
        }
        _ => hashing::pointer(o),
    })
}

/// The value of an `int` or `bool` that fits a machine word.
fn small_int(o: GcRef) -> Option<i64> {
    match o.tid() {
        tid::INT => Some(geti(o, &int_obj::v)),
        tid::BOOL => Some(geti(o, &bool_obj::v)),
        _ => None,
    }
}

fn num_eq(a: GcRef, b: GcRef) -> Option<bool> {
    if let (Some(x), Some(y)) = (small_int(a), small_int(b)) {
        return Some(x == y);
    }
    let fa = a.tid() == tid::FLOAT;
    let fb = b.tid() == tid::FLOAT;
    if numbers::is_intlike(a) && numbers::is_intlike(b) {
        return Some(numbers::to_big(a) == numbers::to_big(b));
    }
    if (fa || numbers::is_intlike(a)) && (fb || numbers::is_intlike(b)) {
        let x = to_f64(a)?;
        let y = to_f64(b)?;
        return Some(x == y);
    }
    None
}

pub fn to_f64(a: GcRef) -> Option<f64> {
    match a.tid() {
        tid::FLOAT => Some(getf(a, &float_obj::v)),
        tid::INT => Some(geti(a, &int_obj::v) as f64),
        tid::BOOL => Some(geti(a, &bool_obj::v) as f64),
        tid::BIG => Some(numbers::big_to_f64(&numbers::to_big(a)?)),
        _ => None,
    }
}

pub fn str_eq(a: GcRef, b: GcRef) -> bool {
    if a == b {
        return true;
    }
    if crate::strobj::nbytes(a) != crate::strobj::nbytes(b) {
        return false;
    }
    crate::strobj::bytes_of(a) == crate::strobj::bytes_of(b)
}

/// `a == b` without guest code (`Err(NEED_GUEST)` if a dunder is involved).
pub fn eq(a: GcRef, b: GcRef) -> PyResult<bool> {
    if a == b && a.tid() != tid::FLOAT {
        return Ok(true);
    }
    if let Some(r) = num_eq(a, b) {
        return Ok(r);
    }
    let (ta, tb) = (a.tid(), b.tid());
    if ta == tid::INST || tb == tid::INST {
        if types::has_dunder(a, "__eq__") || types::has_dunder(b, "__eq__") {
            return (types::upcalls().user_eq)(a, b);
        }
        return Ok(false);
    }
    if ta == tid::DICT_VIEW || tb == tid::DICT_VIEW {
        return (types::upcalls().view_eq)(a, b);
    }
    if ta != tb {
        return Ok(false);
    }
    match ta {
        tid::STR => Ok(str_eq(a, b)),
        tid::TUPLE => seq_eq(&tuple_items(a), &tuple_items(b)),
        tid::LIST => seq_eq(&list_items(a), &list_items(b)),
        tid::DICT => {
            if len(a) != len(b) {
                return Ok(false);
            }
            for (k, v) in items(a) {
                match get(b, k)? {
                    Some(w) => {
                        if !eq(v, w)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            Ok(true)
        }
        tid::SET => crate::sets::eq(a, b),
        tid::RANGE => Ok(geti(a, &range_obj::start) == geti(b, &range_obj::start)
            && geti(a, &range_obj::stop) == geti(b, &range_obj::stop)
            && geti(a, &range_obj::step) == geti(b, &range_obj::step)),
        _ => Ok(false),
    }
}

fn seq_eq(a: &[GcRef], b: &[GcRef]) -> PyResult<bool> {
    if a.len() != b.len() {
        return Ok(false);
    }
    for (x, y) in a.iter().zip(b) {
        if !eq(*x, *y)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Entry number of `key`, if present.
fn find(d: GcRef, key: GcRef, h: i64) -> PyResult<Option<usize>> {
    loop {
        if let Some(r) = find_once(d, key, h)? {
            return Ok(r);
        }
    }
}

/// One probe sequence of `find`. `None` when a user `__eq__` replaced the
/// table or the entry it compared meanwhile: the entry number would mean
/// nothing in the new arrays, so the lookup starts over (as CPython's).
fn find_once(d: GcRef, key: GcRef, h: i64) -> PyResult<Option<Option<usize>>> {
    let index = getr(d, &dict_obj::index);
    let keys_a = getr(d, &dict_obj::keys);
    // The candidates are `probe`'s, in its order (also what traces walk
    // through `DICT_PROBE`); equal hashes are rare, so re-probing from
    // the start for each one costs nothing worth a second probe loop.
    let mut n = 0;
    while let Some(e) = probe(d, h, n) {
        let k = aget(keys_a, e);
        if k == key {
            return Ok(Some(Some(e)));
        }
        let same = match (small_int(k), small_int(key)) {
            // Two machine ints: no guest code runs, the table stays.
            (Some(x), Some(y)) => x == y,
            _ => {
                let same = eq(k, key)?;
                if getr(d, &dict_obj::keys) != keys_a
                    || getr(d, &dict_obj::index) != index
                    || aget(keys_a, e) != k
                {
                    return Ok(None);
                }
                same
            }
        };
        if same {
            return Ok(Some(Some(e)));
        }
        n += 1;
    }
    Ok(Some(None))
}

/// The entry number of the `n`-th live entry with hash `h` along the probe
/// sequence of `h` (the candidates `find` compares, in its order).
pub fn probe(d: GcRef, h: i64, n: usize) -> Option<usize> {
    let index = getr(d, &dict_obj::index);
    let keys_a = getr(d, &dict_obj::keys);
    let hashes = getr(d, &dict_obj::hashes);
    let mask = ilen(index) - 1;
    let mut i = (h as u64 as usize) & mask;
    let mut perturb = h as u64;
    let mut seen = 0;
    loop {
        let e = iget(index, i);
        if e == 0 {
            return None;
        }
        let e = (e - 1) as usize;
        if !aget(keys_a, e).is_null() && iget(hashes, e) == h {
            if seen == n {
                return Some(e);
            }
            seen += 1;
        }
        perturb >>= 5;
        i = (i * 5 + 1 + perturb as usize) & mask;
    }
}

pub fn get(d: GcRef, key: GcRef) -> PyResult<Option<GcRef>> {
    let h = hash(key)?;
    Ok(find(d, key, h)?.map(|e| aget(getr(d, &dict_obj::vals), e)))
}

/// Lookup by a Rust string key (class namespaces, modules).
pub fn get_str(d: GcRef, key: &str) -> Option<GcRef> {
    let k = intern(key);
    get(d, k).ok().flatten()
}

pub fn set_str(d: GcRef, key: &str, v: GcRef) {
    let _ = set(d, intern(key), v);
}

fn rebuild(d: GcRef, min_cap: usize) {
    let live: Vec<(GcRef, GcRef, i64)> = {
        let k = getr(d, &dict_obj::keys);
        let v = getr(d, &dict_obj::vals);
        let h = getr(d, &dict_obj::hashes);
        let used = geti(d, &dict_obj::used) as usize;
        (0..used)
            .filter(|&i| !aget(k, i).is_null())
            .map(|i| (aget(k, i), aget(v, i), iget(h, i)))
            .collect()
    };
    let cap = (live.len() * 2).max(min_cap).max(4);
    let mut isize = 8;
    while isize < cap * 2 {
        isize *= 2;
    }
    let (k, v, h, index) = (new_refs(cap), new_refs(cap), new_ints(cap), new_ints(isize));
    let mask = isize - 1;
    for (e, (kk, vv, hh)) in live.iter().enumerate() {
        aset(k, e, *kk);
        aset(v, e, *vv);
        iset(h, e, *hh);
        let mut i = (*hh as u64 as usize) & mask;
        let mut perturb = *hh as u64;
        while iget(index, i) != 0 {
            perturb >>= 5;
            i = (i * 5 + 1 + perturb as usize) & mask;
        }
        iset(index, i, e as i64 + 1);
    }
    setr(d, &dict_obj::keys, k);
    setr(d, &dict_obj::vals, v);
    setr(d, &dict_obj::hashes, h);
    setr(d, &dict_obj::index, index);
    seti(d, &dict_obj::used, live.len() as i64);
    seti(d, &dict_obj::count, live.len() as i64);
}

pub fn set(d: GcRef, key: GcRef, val: GcRef) -> PyResult<()> {
    let h = hash(key)?;
    if let Some(e) = find(d, key, h)? {
        aset(getr(d, &dict_obj::vals), e, val);
        return Ok(());
    }
    let used = geti(d, &dict_obj::used) as usize;
    if used >= alen(getr(d, &dict_obj::keys))
        || (used + 1) * 3 >= ilen(getr(d, &dict_obj::index)) * 2
    {
        rebuild(d, used + 1);
    }
    let used = geti(d, &dict_obj::used) as usize;
    aset(getr(d, &dict_obj::keys), used, key);
    aset(getr(d, &dict_obj::vals), used, val);
    iset(getr(d, &dict_obj::hashes), used, h);
    let index = getr(d, &dict_obj::index);
    let mask = ilen(index) - 1;
    let mut i = (h as u64 as usize) & mask;
    let mut perturb = h as u64;
    while iget(index, i) != 0 {
        perturb >>= 5;
        i = (i * 5 + 1 + perturb as usize) & mask;
    }
    iset(index, i, used as i64 + 1);
    seti(d, &dict_obj::used, used as i64 + 1);
    seti(d, &dict_obj::count, geti(d, &dict_obj::count) + 1);
    Ok(())
}

/// Removes `key`; returns its value if it was present.
pub fn del(d: GcRef, key: GcRef) -> PyResult<Option<GcRef>> {
    let h = hash(key)?;
    match find(d, key, h)? {
        Some(e) => {
            let v = aget(getr(d, &dict_obj::vals), e);
            aset(getr(d, &dict_obj::keys), e, GcRef::NULL);
            aset(getr(d, &dict_obj::vals), e, GcRef::NULL);
            seti(d, &dict_obj::count, geti(d, &dict_obj::count) - 1);
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

pub fn clear(d: GcRef) {
    let n = new_dict();
    for f in [
        &dict_obj::keys,
        &dict_obj::vals,
        &dict_obj::hashes,
        &dict_obj::index,
    ] {
        setr(d, f, getr(n, f));
    }
    seti(d, &dict_obj::used, 0);
    seti(d, &dict_obj::count, 0);
}

/// The i-th entry slot (may be deleted: None).
pub fn entry(d: GcRef, i: usize) -> Option<(GcRef, GcRef)> {
    let k = aget(getr(d, &dict_obj::keys), i);
    (!k.is_null()).then(|| (k, aget(getr(d, &dict_obj::vals), i)))
}
pub fn used(d: GcRef) -> usize {
    geti(d, &dict_obj::used) as usize
}

pub fn items(d: GcRef) -> Vec<(GcRef, GcRef)> {
    (0..used(d)).filter_map(|i| entry(d, i)).collect()
}
pub fn keys(d: GcRef) -> Vec<GcRef> {
    items(d).into_iter().map(|p| p.0).collect()
}

pub fn copy(d: GcRef) -> GcRef {
    let n = new_dict();
    for (k, v) in items(d) {
        let _ = set(n, k, v);
    }
    n
}

extern "C" fn mp_dict_get(d: GcRef, key: GcRef, default: GcRef) -> GcRef {
    types::deliver(get(d, key).map(|v| v.unwrap_or(default)))
}
metatrace::residual!(
    /// `d.get(key, default)` for a dict `d`, without an args tuple (null
    /// without exception: a user `__hash__`/`__eq__` needs guest code).
    pub static DICT_GET = fn mp_dict_get(d: GcRef, key: GcRef, default: GcRef) -> GcRef, types::RAISES
);

/// The namespace cell of `name` in module `m` (created empty if missing).
pub fn module_cell(m: GcRef, name: &str) -> GcRef {
    let d = getr(m, &module_obj::dict);
    if let Some(c) = get_str(d, name) {
        return c;
    }
    let c = new_cell(GcRef::NULL);
    set_str(d, name, c);
    c
}
