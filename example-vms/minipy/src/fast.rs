//! Direct residual helpers for hot builtin operations that would otherwise
//! go through a generic helper (`BINOP`, `TO_STR`) with string formatting
//! and Rust `String` round trips on the way.
//!
//! Owns: `str(int)` from a raw machine int ([`INT_STR`]), `str + str`
//! copied heap array to heap array ([`STR_CONCAT`], also used by
//! `str.join`). Each does exactly
//! what the generic path does for those types (the corpus runs with the
//! JIT on and off and compares).

use crate::objects::*;
use metatrace::heap::{self, GcRef, BYTE_ARRAY};
use metatrace::ir::EffectInfo;

/// A helper that only allocates: it neither raises nor writes objects the
/// trace could have cached (so heap caches survive it), and two calls
/// give two objects (not elidable).
pub const ALLOCATES: EffectInfo = EffectInfo {
    elidable: false,
    can_raise: false,
    may_force: false,
    may_invalidate: false,
    writes_heap: false,
};

/// A str's byte array and its length, for [`str_from_parts`].
pub fn str_part(s: GcRef) -> (GcRef, i64) {
    (getr(s, &str_obj::bytes), geti(s, &str_obj::nbytes))
}

/// A str object of the concatenated bytes of `parts` (see [`str_part`])
/// with `nchars` characters in all.
pub fn str_from_parts(parts: &[(GcRef, i64)], nchars: i64) -> GcRef {
    let n: i64 = parts.iter().map(|p| p.1).sum();
    let b = heap::new_array(&BYTE_ARRAY, n).expect("str length");
    let mut at = 0;
    for &(src, len) in parts {
        heap::arraycopy(src, 0, b, at as usize, len as usize, &BYTE_ARRAY);
        at += len;
    }
    debug_assert_eq!(at, n);
    crate::strobj::new_from(b, n, nchars, GcRef::NULL)
}

extern "C" fn mp_str_concat(a: GcRef, b: GcRef) -> GcRef {
    crate::strobj::concat(a, b)
}
metatrace::residual!(
    /// `a + b` for two strs.
    pub static STR_CONCAT = fn mp_str_concat(a: GcRef, b: GcRef) -> GcRef, ALLOCATES
);

/// The decimal digits of `v` (what `str(v)` and `repr(v)` give for an int).
pub fn int_text(v: i64) -> GcRef {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut m = v.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    let neg = v < 0;
    let n = buf.len() - at + neg as usize;
    let b = heap::new_array(&BYTE_ARRAY, n as i64).expect("str length");
    let mut k = 0;
    if neg {
        heap::setarrayitem(b, &BYTE_ARRAY, 0, b'-' as u64);
        k = 1;
    }
    for (i, c) in buf[at..].iter().enumerate() {
        heap::setarrayitem(b, &BYTE_ARRAY, (k + i) as i64, *c as u64);
    }
    crate::strobj::new_from(b, n as i64, n as i64, GcRef::NULL)
}

extern "C" fn mp_int_str(v: i64) -> GcRef {
    int_text(v)
}
metatrace::residual!(
    /// `str(i)` / `repr(i)` for a machine int.
    pub static INT_STR = fn mp_int_str(v: i64) -> GcRef, ALLOCATES
);
