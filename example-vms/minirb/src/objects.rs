//! The guest object layout: every Ruby value is a `GcRef` to one of the
//! `gc_struct!` types below, so traces see field reads and writes and
//! allocation removal can make `Integer` and `Float` boxes virtual.
//!
//! Owns: the struct declarations, plain (non-traced) constructors and
//! accessors used by residual helpers, symbols, and the singletons
//! (`nil`, `true`, `false`), rooted through `heap::roots::Handle`s.

use metatrace::heap::roots::Handle;
use metatrace::heap::{self, GcRef, BYTE_ARRAY, REF_ARRAY};
use num_bigint::BigInt;
use std::cell::RefCell;
use std::collections::HashMap;

metatrace::gc_struct! {
    /// An `Integer` that fits in i64.
    pub struct IntObj as int_obj { #[immutable] v: i64 }
}
metatrace::gc_struct! {
    /// An `Integer` outside i64: its decimal digits (with sign) in a byte array.
    pub struct BigObj as big_obj { #[immutable] digits: GcRef }
}
metatrace::gc_struct! {
    /// A `Float`.
    pub struct FloatObj as float_obj { #[immutable] v: f64 }
}
metatrace::gc_struct! {
    /// `nil` (one singleton).
    pub struct NilObj as nil_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// `true` (one singleton).
    pub struct TrueObj as true_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// `false` (one singleton).
    pub struct FalseObj as false_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// A mutable `String`: its UTF-8 bytes, exactly sized (`<<` replaces them).
    pub struct StrObj as str_obj { bytes: GcRef }
}
metatrace::gc_struct! {
    /// A `Symbol`: its index in the symbol table (one object per symbol).
    pub struct SymObj as sym_obj { #[immutable] id: i64 }
}
metatrace::gc_struct! {
    /// An `Array`: items in a `REF_ARRAY` with spare capacity, `len` used.
    pub struct ArrObj as arr_obj { items: GcRef, len: i64 }
}
metatrace::gc_struct! {
    /// A `Hash`: insertion-ordered parallel key/value arrays, `len` used.
    pub struct HashObj as hash_obj { keys: GcRef, vals: GcRef, len: i64 }
}
metatrace::gc_struct! {
    /// A `Range` (`excl` is 1 for `...`).
    pub struct RangeObj as range_obj { #[immutable] lo: GcRef, #[immutable] hi: GcRef, #[immutable] excl: i64 }
}
metatrace::gc_struct! {
    /// An exception: its class name and message (both strings).
    pub struct ExcObj as exc_obj { #[immutable] cls: GcRef, #[immutable] msg: GcRef, bt: GcRef }
}
metatrace::gc_struct! {
    /// How deep guest calls nest now (`SystemStackError`), in the heap so
    /// compiled code keeps it exact.
    pub struct DepthCell as depth_cell { value: i64 }
}
metatrace::gc_struct! {
    /// The version of the method tables: quasi-immutable, so traces fold
    /// method lookups; `def` bumps it, invalidating the loops that folded one.
    pub struct VersionCell as version_cell { #[quasi_immutable] v: i64 }
}

/// Type ids of the structs, for `class_of` matches.
pub mod tid {
    use super::*;
    pub const INT: u32 = int_obj::SIZE.tid;
    pub const BIG: u32 = big_obj::SIZE.tid;
    pub const FLOAT: u32 = float_obj::SIZE.tid;
    pub const NIL: u32 = nil_obj::SIZE.tid;
    pub const TRUE: u32 = true_obj::SIZE.tid;
    pub const FALSE: u32 = false_obj::SIZE.tid;
    pub const STR: u32 = str_obj::SIZE.tid;
    pub const SYM: u32 = sym_obj::SIZE.tid;
    pub const ARR: u32 = arr_obj::SIZE.tid;
    pub const HASH: u32 = hash_obj::SIZE.tid;
    pub const RANGE: u32 = range_obj::SIZE.tid;
    pub const EXC: u32 = exc_obj::SIZE.tid;
}

struct Space {
    nil: GcRef,
    t: GcRef,
    f: GcRef,
    syms: Vec<String>,
    sym_objs: Vec<GcRef>,
    sym_ids: HashMap<String, usize>,
    handles: Vec<Handle>,
}

thread_local! {
    static SPACE: RefCell<Option<Space>> = const { RefCell::new(None) };
}

/// Creates the singletons (once per thread).
pub fn init() {
    if SPACE.with(|s| s.borrow().is_some()) {
        return;
    }
    let nil = heap::new_struct(&nil_obj::SIZE);
    let hn = Handle::new(nil);
    let t = heap::new_struct(&true_obj::SIZE);
    let ht = Handle::new(t);
    let f = heap::new_struct(&false_obj::SIZE);
    let hf = Handle::new(f);
    SPACE.with(|s| {
        *s.borrow_mut() = Some(Space {
            nil,
            t,
            f,
            syms: Vec::new(),
            sym_objs: Vec::new(),
            sym_ids: HashMap::new(),
            handles: vec![hn, ht, hf],
        })
    });
}

fn with<T>(f: impl FnOnce(&mut Space) -> T) -> T {
    SPACE.with(|s| f(s.borrow_mut().as_mut().expect("objects::init ran")))
}

/// Keeps `r` alive for the rest of the run.
pub fn keep(r: GcRef) -> GcRef {
    with(|s| s.handles.push(Handle::new(r)));
    r
}
pub fn nil() -> GcRef {
    with(|s| s.nil)
}
pub fn boolean(b: bool) -> GcRef {
    with(|s| if b { s.t } else { s.f })
}
/// The symbol id of `name`.
pub fn sym_id(name: &str) -> usize {
    if let Some(i) = with(|s| s.sym_ids.get(name).copied()) {
        return i;
    }
    let o = heap::new_struct(&sym_obj::SIZE);
    let h = Handle::new(o);
    with(|s| {
        let id = s.syms.len();
        heap::setfield(o, &sym_obj::id, id as u64);
        s.syms.push(name.to_string());
        s.sym_objs.push(o);
        s.sym_ids.insert(name.to_string(), id);
        s.handles.push(h);
        id
    })
}
pub fn sym_name(id: usize) -> String {
    with(|s| s.syms[id].clone())
}
pub fn sym_obj(id: usize) -> GcRef {
    with(|s| s.sym_objs[id])
}

#[inline]
pub fn geti(o: GcRef, d: &metatrace::ir::FieldDescr) -> i64 {
    heap::getfield(o, d) as i64
}
#[inline]
pub fn getr(o: GcRef, d: &metatrace::ir::FieldDescr) -> GcRef {
    heap::getfield_ref(o, d)
}
#[inline]
pub fn seti(o: GcRef, d: &metatrace::ir::FieldDescr, v: i64) {
    heap::setfield(o, d, v as u64)
}
#[inline]
pub fn setr(o: GcRef, d: &metatrace::ir::FieldDescr, v: GcRef) {
    heap::setfield_ref(o, d, v)
}

pub fn new_int(v: i64) -> GcRef {
    let o = heap::new_struct(&int_obj::SIZE);
    seti(o, &int_obj::v, v);
    o
}
/// An `Integer` from a big value (a small box when it fits).
pub fn new_bigint(v: &BigInt) -> GcRef {
    use num_traits::ToPrimitive;
    if let Some(i) = v.to_i64() {
        return new_int(i);
    }
    let s = v.to_string();
    let bytes = bytes_arr(s.as_bytes());
    let o = heap::new_struct(&big_obj::SIZE);
    setr(o, &big_obj::digits, bytes);
    o
}
pub fn big_of(o: GcRef) -> BigInt {
    match o.tid() {
        tid::INT => BigInt::from(geti(o, &int_obj::v)),
        _ => {
            let s = read_arr(getr(o, &big_obj::digits));
            s.parse().unwrap_or_default()
        }
    }
}
pub fn new_float(v: f64) -> GcRef {
    let o = heap::new_struct(&float_obj::SIZE);
    heap::setfield(o, &float_obj::v, v.to_bits());
    o
}
pub fn float_of(o: GcRef) -> f64 {
    f64::from_bits(heap::getfield(o, &float_obj::v))
}
fn bytes_arr(b: &[u8]) -> GcRef {
    let a = heap::new_array(&BYTE_ARRAY, b.len() as i64).expect("string size");
    heap::write_bytes(a, &BYTE_ARRAY, 0, b);
    a
}
fn read_arr(a: GcRef) -> String {
    let n = heap::arraylen(a, &BYTE_ARRAY) as usize;
    let mut out = vec![0u8; n];
    heap::read_bytes(a, &BYTE_ARRAY, 0, &mut out);
    String::from_utf8(out).unwrap_or_default()
}
pub fn new_str(s: &str) -> GcRef {
    let a = bytes_arr(s.as_bytes());
    let o = heap::new_struct(&str_obj::SIZE);
    setr(o, &str_obj::bytes, a);
    o
}
pub fn str_of(o: GcRef) -> String {
    read_arr(getr(o, &str_obj::bytes))
}
pub fn set_str(o: GcRef, s: &str) {
    let a = bytes_arr(s.as_bytes());
    setr(o, &str_obj::bytes, a);
}
pub fn new_array(items: &[GcRef]) -> GcRef {
    let cap = items.len().max(4);
    let a = heap::new_array(&REF_ARRAY, cap as i64).expect("array size");
    for (i, v) in items.iter().enumerate() {
        heap::setarrayitem_ref(a, &REF_ARRAY, i as i64, *v);
    }
    let o = heap::new_struct(&arr_obj::SIZE);
    setr(o, &arr_obj::items, a);
    seti(o, &arr_obj::len, items.len() as i64);
    o
}
pub fn array_items(o: GcRef) -> Vec<GcRef> {
    let a = getr(o, &arr_obj::items);
    (0..geti(o, &arr_obj::len))
        .map(|i| heap::getarrayitem_ref(a, &REF_ARRAY, i))
        .collect()
}
pub fn array_push(o: GcRef, v: GcRef) {
    let a = getr(o, &arr_obj::items);
    let n = geti(o, &arr_obj::len);
    let cap = heap::arraylen(a, &REF_ARRAY);
    let a = if n >= cap {
        let b = heap::new_array(&REF_ARRAY, (cap * 2).max(4)).expect("array size");
        heap::arraycopy(a, 0, b, 0, n as usize, &REF_ARRAY);
        setr(o, &arr_obj::items, b);
        b
    } else {
        a
    };
    heap::setarrayitem_ref(a, &REF_ARRAY, n, v);
    seti(o, &arr_obj::len, n + 1);
}
pub fn array_set_items(o: GcRef, items: &[GcRef]) {
    let n = new_array(items);
    setr(o, &arr_obj::items, getr(n, &arr_obj::items));
    seti(o, &arr_obj::len, items.len() as i64);
}
pub fn new_hash() -> GcRef {
    let o = heap::new_struct(&hash_obj::SIZE);
    setr(o, &hash_obj::keys, new_array(&[]));
    setr(o, &hash_obj::vals, new_array(&[]));
    o
}
pub fn hash_entries(o: GcRef) -> (Vec<GcRef>, Vec<GcRef>) {
    (
        array_items(getr(o, &hash_obj::keys)),
        array_items(getr(o, &hash_obj::vals)),
    )
}
pub fn new_range(lo: GcRef, hi: GcRef, excl: bool) -> GcRef {
    let o = heap::new_struct(&range_obj::SIZE);
    setr(o, &range_obj::lo, lo);
    setr(o, &range_obj::hi, hi);
    seti(o, &range_obj::excl, excl as i64);
    o
}
pub fn new_exc(cls: &str, msg: &str) -> GcRef {
    let c = new_str(cls);
    let m = new_str(msg);
    let b = new_array(&[]);
    let o = heap::new_struct(&exc_obj::SIZE);
    setr(o, &exc_obj::cls, c);
    setr(o, &exc_obj::msg, m);
    setr(o, &exc_obj::bt, b);
    o
}
pub fn truthy(v: GcRef) -> bool {
    !matches!(v.tid(), tid::NIL | tid::FALSE)
}
