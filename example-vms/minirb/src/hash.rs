//! `Hash` storage: insertion-ordered parallel key/value Arrays plus an
//! open-addressing index (an `INT_ARRAY` of entry numbers + 1, 0 = empty)
//! once a hash has more than 8 entries. Deleted entries keep their place
//! with the undef marker as key.
//!
//! Owns: key hashing and `eql?` for builtin values (user objects use
//! their `hash`/`eql?` methods when a guest call is possible, identity
//! otherwise).

use crate::objects::*;
use metatrace::heap::{self, GcRef, INT_ARRAY};

pub fn new_hash() -> GcRef {
    let o = heap::new_struct(&hash_obj::SIZE);
    setr(o, &hash_obj::keys, new_array(&[]));
    setr(o, &hash_obj::vals, new_array(&[]));
    setr(o, &hash_obj::index, nil());
    setr(o, &hash_obj::default, nil());
    setr(o, &hash_obj::default_proc, nil());
    o
}

fn mix(h: u64) -> i64 {
    let mut x = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 29;
    x as i64
}

/// The hash of a key.
pub fn key_hash(k: GcRef) -> i64 {
    match k.tid() {
        tid::INT => mix(geti(k, &int_obj::v) as u64),
        tid::BIG => {
            let s = big_of(k).to_string();
            str_hash(s.as_bytes())
        }
        tid::FLOAT => {
            let f = float_of(k);
            mix(if f == 0.0 { 0 } else { f.to_bits() } ^ 0x5555)
        }
        tid::STR => str_hash(&str_bytes(k)),
        tid::SYM => mix(geti(k, &sym_obj::id) as u64 ^ 0xABCD_0000),
        tid::ARR => {
            let mut h: i64 = 7;
            for x in array_items(k) {
                h = h.wrapping_mul(31).wrapping_add(key_hash(x));
            }
            mix(h as u64)
        }
        tid::OBJ => match user_hash(k) {
            Some(h) => h,
            None => mix(k.addr() as u64),
        },
        _ => mix(k.addr() as u64),
    }
}

pub fn str_hash(b: &[u8]) -> i64 {
    let mut h: u64 = 1469598103934665603;
    for c in b {
        h = (h ^ *c as u64).wrapping_mul(1099511628211);
    }
    mix(h)
}

fn user_hash(k: GcRef) -> Option<i64> {
    let c = class_of(k);
    let s = sym_id("hash");
    lookup(c, s)?;
    match crate::interp::guest_call(k, s, Vec::new(), nil()) {
        Some(Ok(v)) if v.tid() == tid::INT => Some(mix(geti(v, &int_obj::v) as u64)),
        _ => None,
    }
}

/// `eql?` for hash keys.
pub fn key_eql(a: GcRef, b: GcRef) -> bool {
    if a == b {
        return true;
    }
    if a.tid() != b.tid() {
        return false;
    }
    match a.tid() {
        tid::INT => geti(a, &int_obj::v) == geti(b, &int_obj::v),
        tid::BIG => big_of(a) == big_of(b),
        tid::FLOAT => float_of(a) == float_of(b),
        tid::STR => str_bytes(a) == str_bytes(b),
        tid::ARR => {
            let (x, y) = (array_items(a), array_items(b));
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eql(*p, *q))
        }
        tid::OBJ => {
            let s = sym_id("eql?");
            if lookup(class_of(a), s).is_none() {
                let s2 = sym_id("==");
                if lookup(class_of(a), s2).is_none() {
                    return false;
                }
                return matches!(crate::interp::guest_call(a, s2, vec![b], nil()), Some(Ok(v)) if truthy(v));
            }
            matches!(crate::interp::guest_call(a, s, vec![b], nil()), Some(Ok(v)) if truthy(v))
        }
        _ => false,
    }
}

fn keys_arr(h: GcRef) -> GcRef {
    getr(h, &hash_obj::keys)
}
fn vals_arr(h: GcRef) -> GcRef {
    getr(h, &hash_obj::vals)
}

fn rebuild_index(h: GcRef) {
    let keys = keys_arr(h);
    let n = array_len(keys);
    let mut cap = 16;
    while cap < n * 2 + 2 {
        cap *= 2;
    }
    let idx = heap::new_array(&INT_ARRAY, cap as i64).expect("index size");
    for i in 0..n {
        let k = array_get(keys, i);
        if k.tid() == tid::UNDEF {
            continue;
        }
        let mut j = (key_hash(k) as u64 as usize) & (cap - 1);
        while heap::getarrayitem(idx, &INT_ARRAY, j as i64) != 0 {
            j = (j + 1) & (cap - 1);
        }
        heap::setarrayitem(idx, &INT_ARRAY, j as i64, (i + 1) as u64);
    }
    setr(h, &hash_obj::index, idx);
}

/// The entry number of key `k`.
pub fn find(h: GcRef, k: GcRef) -> Option<usize> {
    let keys = keys_arr(h);
    let n = array_len(keys);
    let idx = getr(h, &hash_obj::index);
    if idx.tid() == tid::NIL {
        return (0..n).find(|i| {
            let x = array_get(keys, *i);
            x.tid() != tid::UNDEF && key_eql(x, k)
        });
    }
    let cap = heap::arraylen(idx, &INT_ARRAY) as usize;
    let mut j = (key_hash(k) as u64 as usize) & (cap - 1);
    loop {
        let e = heap::getarrayitem(idx, &INT_ARRAY, j as i64) as usize;
        if e == 0 {
            return None;
        }
        let x = array_get(keys, e - 1);
        if x.tid() != tid::UNDEF && key_eql(x, k) {
            return Some(e - 1);
        }
        j = (j + 1) & (cap - 1);
    }
}

pub fn get(h: GcRef, k: GcRef) -> Option<GcRef> {
    find(h, k).map(|i| array_get(vals_arr(h), i))
}

pub fn set(h: GcRef, k: GcRef, v: GcRef) {
    if let Some(i) = find(h, k) {
        let vals = vals_arr(h);
        heap::setarrayitem_ref(
            getr(vals, &arr_obj::items),
            &metatrace::heap::REF_ARRAY,
            i as i64,
            v,
        );
        return;
    }
    // String keys are copied (and frozen) as in CRuby.
    let k = if k.tid() == tid::STR && geti(k, &str_obj::frozen) == 0 {
        let c = new_str(&str_of(k));
        seti(c, &str_obj::frozen, 1);
        c
    } else {
        k
    };
    let keys = keys_arr(h);
    array_push(keys, k);
    array_push(vals_arr(h), v);
    seti(h, &hash_obj::count, geti(h, &hash_obj::count) + 1);
    let n = array_len(keys);
    let idx = getr(h, &hash_obj::index);
    if idx.tid() == tid::NIL {
        if n > 8 {
            rebuild_index(h);
        }
        return;
    }
    let cap = heap::arraylen(idx, &INT_ARRAY) as usize;
    if n * 2 >= cap {
        rebuild_index(h);
        return;
    }
    let mut j = (key_hash(k) as u64 as usize) & (cap - 1);
    while heap::getarrayitem(idx, &INT_ARRAY, j as i64) != 0 {
        j = (j + 1) & (cap - 1);
    }
    heap::setarrayitem(idx, &INT_ARRAY, j as i64, n as u64);
}

pub fn delete(h: GcRef, k: GcRef) -> Option<GcRef> {
    let i = find(h, k)?;
    let keys = keys_arr(h);
    let v = array_get(vals_arr(h), i);
    heap::setarrayitem_ref(
        getr(keys, &arr_obj::items),
        &metatrace::heap::REF_ARRAY,
        i as i64,
        undef(),
    );
    seti(h, &hash_obj::count, geti(h, &hash_obj::count) - 1);
    // Compact when mostly deleted.
    let n = array_len(keys);
    if n > 16 && (geti(h, &hash_obj::count) as usize) < n / 2 {
        let (ks, vs) = entries(h);
        clear(h);
        for (k, v) in ks.into_iter().zip(vs) {
            set(h, k, v);
        }
    }
    Some(v)
}

pub fn clear(h: GcRef) {
    setr(h, &hash_obj::keys, new_array(&[]));
    setr(h, &hash_obj::vals, new_array(&[]));
    setr(h, &hash_obj::index, nil());
    seti(h, &hash_obj::count, 0);
}

pub fn len(h: GcRef) -> usize {
    geti(h, &hash_obj::count) as usize
}

/// Live (key, value) pairs in insertion order.
pub fn entries(h: GcRef) -> (Vec<GcRef>, Vec<GcRef>) {
    let ks = array_items(keys_arr(h));
    let vs = array_items(vals_arr(h));
    let mut k2 = Vec::new();
    let mut v2 = Vec::new();
    for (k, v) in ks.into_iter().zip(vs) {
        if k.tid() != tid::UNDEF {
            k2.push(k);
            v2.push(v);
        }
    }
    (k2, v2)
}
