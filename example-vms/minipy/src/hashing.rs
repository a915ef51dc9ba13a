//! CPython 3.11's hash functions for the builtin value types, so that
//! `hash()` prints what CPython prints and sets (whose iteration order
//! follows hashes) iterate in CPython's order.
//!
//! Owns: numeric hashing modulo 2**61 - 1 (int, big int, bool, float as in
//! `Python/pyhash.c`), the xxHash-based tuple hash (`tuplehash` of 3.11),
//! the pointer hash, and minipy's deterministic str hash (CPython
//! randomises str hashes, so no program can depend on them).

use crate::objects::*;
use metatrace::heap::{self, GcRef, INT_ARRAY};

/// `_PyHASH_BITS` and `_PyHASH_MODULUS` on 64-bit builds.
const BITS: u32 = 61;
const MODULUS: u64 = (1 << BITS) - 1;
const HASH_INF: i64 = 314159;

fn fix(h: i64) -> i64 {
    if h == -1 {
        -2
    } else {
        h
    }
}

/// Hash of a small int.
pub fn int(v: i64) -> i64 {
    let m = v.unsigned_abs();
    let a = if m < MODULUS { m } else { m % MODULUS } as i64;
    fix(if v < 0 { -a } else { a })
}

/// Hash of a big int (sign and little-endian u64 limbs).
pub fn big(o: GcRef) -> i64 {
    let limbs = getr(o, &big_obj::limbs);
    let n = heap::arraylen(limbs, &INT_ARRAY);
    let mut acc: u128 = 0;
    for i in (0..n).rev() {
        let d = heap::getarrayitem(limbs, &INT_ARRAY, i) as u128;
        acc = ((acc << 64) | d) % MODULUS as u128;
    }
    let a = acc as i64;
    fix(if geti(o, &big_obj::sign) < 0 { -a } else { a })
}

/// `frexp`: `v = m * 2**e` with `0.5 <= |m| < 1` (v finite, non-zero).
fn frexp(v: f64) -> (f64, i32) {
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * f64::powi(2.0, 64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

/// `_Py_HashDouble`; `addr` is the object's pointer hash (used for NaN).
pub fn float(v: f64, addr: i64) -> i64 {
    if !v.is_finite() {
        if v.is_infinite() {
            return if v > 0.0 { HASH_INF } else { -HASH_INF };
        }
        return addr;
    }
    if v == 0.0 {
        return 0;
    }
    let (mut m, mut e) = frexp(v);
    let mut sign: i64 = 1;
    if m < 0.0 {
        sign = -1;
        m = -m;
    }
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (BITS - 28));
        m *= 268435456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let bits = BITS as i32;
    let e = if e >= 0 {
        e % bits
    } else {
        bits - 1 - ((-1 - e) % bits)
    } as u32;
    x = ((x << e) & MODULUS) | (x >> (BITS - e));
    fix((x as i64).wrapping_mul(sign))
}

/// `_Py_HashPointer`: the address rotated right by 4 bits.
pub fn pointer(o: GcRef) -> i64 {
    fix((o.addr() as u64).rotate_right(4) as i64)
}

/// Deterministic FNV-1a over the UTF-8 bytes (never -1).
pub fn str_hash(o: GcRef) -> i64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for c in crate::strobj::bytes_of(o) {
        h ^= c as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    fix(h as i64)
}

const XXPRIME_1: u64 = 11400714785074694791;
const XXPRIME_2: u64 = 14029467366897019727;
const XXPRIME_5: u64 = 2870177450012600261;

/// 3.11's `tuplehash` over the items' hashes.
pub fn tuple(lanes: &[i64]) -> i64 {
    let mut acc = XXPRIME_5;
    for &lane in lanes {
        acc = acc.wrapping_add((lane as u64).wrapping_mul(XXPRIME_2));
        acc = acc.rotate_left(31);
        acc = acc.wrapping_mul(XXPRIME_1);
    }
    acc = acc.wrapping_add(lanes.len() as u64 ^ (XXPRIME_5 ^ 3527539));
    if acc == u64::MAX {
        return 1546275796;
    }
    acc as i64
}
