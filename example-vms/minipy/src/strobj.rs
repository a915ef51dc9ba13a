//! The str object's storage: UTF-8 bytes with O(1) indexing and amortized
//! appends.
//!
//! Owns: how a `StrObj` keeps its text (`bytes`, `nbytes`, `nchars`,
//! `tail`, `index`), reading it back ([`bytes_of`], [`char_range`]),
//! indexing and slicing ([`getitem`], [`slice`]), iteration by char
//! ([`iter_next`]), concatenation ([`concat`]) and the cache of one-char
//! ASCII strs ([`one_char`]). Formatting lives in `strings`.
//!
//! Representation (PyPy's choice, `rpython/rlib/rutf8.py`): UTF-8, the
//! char count cached. A str whose `nchars == nbytes` is ASCII, and char
//! `i` is byte `i` — the common case is one compare away. A non-ASCII str
//! gets, on its first index, an `index` array of the byte offset of every
//! [`CHUNK`]th char, so `s[i]` scans at most `CHUNK - 1` chars: O(1).
//!
//! Appends: CPython makes `s += t` linear by resizing `s` in place when
//! its refcount is 1; we have no refcounts, so we do what Go's `append`
//! does. A str built by concatenation that is long enough gets a byte
//! array with spare room and a `tail` cell (`StrTail.fill`: how much of
//! the array is used). `a + b` where `a` ends exactly at the fill (no one
//! has appended past `a` yet) writes `b` into the spare room and makes a
//! new str object over the same array, longer: the bytes any existing str
//! covers never change, so strs stay immutable. A second append to the
//! same `a` finds the fill moved and copies, as CPython would.
//!
//! Traces never read str bytes (strings are handled by residual helpers),
//! so writing into the spare room is invisible to them: [`CONCAT`]'s
//! effect stays "allocates only".

use crate::objects::*;
use metatrace::heap::roots::Handle;
use metatrace::heap::{self, GcRef, BYTE_ARRAY, INT_ARRAY};
use std::cell::RefCell;

/// Chars between two entries of a non-ASCII str's `index`.
pub const CHUNK: i64 = 32;

/// Concatenations shorter than this get an exact-size array (no spare
/// room): keys, names and short messages are not `+=` loops.
const SPARE_FROM: usize = 64;

metatrace::gc_struct! {
    /// How much of a shared, growable str byte array is used.
    pub struct StrTail as str_tail { fill: i64 }
}

/// A str object over `bytes[..nbytes]` with `nchars` chars.
pub fn new_from(bytes: GcRef, nbytes: i64, nchars: i64, tail: GcRef) -> GcRef {
    let o = heap::new_struct(&str_obj::SIZE);
    setr(o, &str_obj::bytes, bytes);
    seti(o, &str_obj::nbytes, nbytes);
    seti(o, &str_obj::nchars, nchars);
    setr(o, &str_obj::tail, tail);
    o
}

/// A str of `text`.
pub fn new_text(text: &str) -> GcRef {
    if text.len() == 1 {
        return one_char(text.as_bytes()[0]);
    }
    new_bytes(text.as_bytes(), text.chars().count() as i64)
}

/// A str of the UTF-8 `bytes`, which hold `nchars` chars.
pub fn new_bytes(bytes: &[u8], nchars: i64) -> GcRef {
    let b = heap::new_array(&BYTE_ARRAY, bytes.len() as i64).expect("str length");
    heap::write_bytes(b, &BYTE_ARRAY, 0, bytes);
    new_from(b, bytes.len() as i64, nchars, GcRef::NULL)
}

thread_local! {
    /// The 128 one-char ASCII strs (CPython caches them too, so `s[0] is
    /// s[0]` holds in both), rooted by their handles.
    static ASCII: RefCell<Vec<(GcRef, Handle)>> = const { RefCell::new(Vec::new()) };
}

/// The cached one-char str of the ASCII byte `c` (any other byte gets a
/// fresh str; it is not valid UTF-8 alone and callers pass ASCII).
pub fn one_char(c: u8) -> GcRef {
    if c >= 128 {
        return new_bytes(&[c], 1);
    }
    let hit = ASCII.with(|a| a.borrow().get(c as usize).map(|e| e.0));
    if let Some(r) = hit {
        return r;
    }
    let all: Vec<(GcRef, Handle)> = (0..128u8)
        .map(|b| {
            let r = new_bytes(&[b], 1);
            (r, Handle::new(r))
        })
        .collect();
    let r = all[c as usize].0;
    ASCII.with(|a| *a.borrow_mut() = all);
    r
}

pub fn nbytes(o: GcRef) -> usize {
    geti(o, &str_obj::nbytes) as usize
}

pub fn nchars(o: GcRef) -> i64 {
    geti(o, &str_obj::nchars)
}

pub fn is_ascii(o: GcRef) -> bool {
    geti(o, &str_obj::nchars) == geti(o, &str_obj::nbytes)
}

/// The bytes `o[from..to]` (byte offsets) copied out.
pub fn byte_range(o: GcRef, from: usize, to: usize) -> Vec<u8> {
    let mut v = vec![0u8; to - from];
    heap::read_bytes(getr(o, &str_obj::bytes), &BYTE_ARRAY, from, &mut v);
    v
}

/// All of `o`'s UTF-8 bytes.
pub fn bytes_of(o: GcRef) -> Vec<u8> {
    byte_range(o, 0, nbytes(o))
}

/// The byte `k` of `o` (`k < nbytes`).
fn byte_at(o: GcRef, k: usize) -> u8 {
    heap::getarrayitem(getr(o, &str_obj::bytes), &BYTE_ARRAY, k as i64) as u8
}

/// The byte length of the UTF-8 char starting with `lead`.
fn char_len(lead: u8) -> usize {
    match lead {
        0..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The byte offsets `start..end` of char `i` (`0 <= i < nchars`).
pub fn char_range(o: GcRef, i: i64) -> (usize, usize) {
    if is_ascii(o) {
        return (i as usize, i as usize + 1);
    }
    let idx = index_of(o);
    let mut at = heap::getarrayitem(idx, &INT_ARRAY, i / CHUNK) as usize;
    for _ in 0..i % CHUNK {
        at += char_len(byte_at(o, at));
    }
    (at, at + char_len(byte_at(o, at)))
}

/// `o`'s chunk index, built on first use.
fn index_of(o: GcRef) -> GcRef {
    let idx = getr(o, &str_obj::index);
    if !idx.is_null() {
        return idx;
    }
    let bytes = bytes_of(o);
    let n = nchars(o);
    let idx = heap::new_array(&INT_ARRAY, (n + CHUNK - 1) / CHUNK).expect("index length");
    let mut k = 0i64;
    for (chr, (off, _)) in std::str::from_utf8(&bytes)
        .unwrap_or_default()
        .char_indices()
        .enumerate()
    {
        if chr as i64 % CHUNK == 0 {
            heap::setarrayitem(idx, &INT_ARRAY, k, off as u64);
            k += 1;
        }
    }
    setr(o, &str_obj::index, idx);
    idx
}

/// The one-char str at char `i` (`0 <= i < nchars`).
pub fn char_str(o: GcRef, i: i64) -> GcRef {
    let (a, b) = char_range(o, i);
    if b == a + 1 {
        return one_char(byte_at(o, a));
    }
    new_bytes(&byte_range(o, a, b), 1)
}

/// `o[i]` for an int index already normalised to `0..nchars`.
pub fn getitem(o: GcRef, i: usize) -> GcRef {
    char_str(o, i as i64)
}

/// `o[start:stop:step]` for the char indexes `idx` of a slice
/// (`ops::slice_indices`); a step-1 slice is one byte copy.
pub fn slice(o: GcRef, idx: &[usize]) -> GcRef {
    let n = idx.len();
    if n == 0 {
        return new_bytes(&[], 0);
    }
    if n == 1 {
        return char_str(o, idx[0] as i64);
    }
    let contiguous = idx.windows(2).all(|w| w[1] == w[0] + 1);
    if contiguous {
        let (a, _) = char_range(o, idx[0] as i64);
        let (_, b) = char_range(o, idx[n - 1] as i64);
        return new_bytes(&byte_range(o, a, b), n as i64);
    }
    if is_ascii(o) {
        let all = bytes_of(o);
        let v: Vec<u8> = idx.iter().map(|&k| all[k]).collect();
        return new_bytes(&v, n as i64);
    }
    let mut v = Vec::new();
    for &k in idx {
        let (a, b) = char_range(o, k as i64);
        v.extend(byte_range(o, a, b));
    }
    new_bytes(&v, n as i64)
}

/// The next char of a str iterator (`SeqIter` of kind 2), or None.
pub fn iter_next(it: GcRef) -> Option<GcRef> {
    let s = getr(it, &seq_iter::seq);
    let i = geti(it, &seq_iter::idx);
    if i >= nchars(s) {
        return None;
    }
    seti(it, &seq_iter::idx, i + 1);
    Some(char_str(s, i))
}

/// `a + b` for two strs (see the module docs for the spare room).
pub fn concat(a: GcRef, b: GcRef) -> GcRef {
    let (na, nb) = (nbytes(a), nbytes(b));
    if nb == 0 {
        return a;
    }
    if na == 0 {
        return b;
    }
    let total = na + nb;
    let nchars = nchars(a) + nchars(b);
    let ab = getr(a, &str_obj::bytes);
    let tail = getr(a, &str_obj::tail);
    let tail_b = byte_range(b, 0, nb);
    if !tail.is_null()
        && geti(tail, &str_tail::fill) == na as i64
        && heap::arraylen(ab, &BYTE_ARRAY) as usize >= total
    {
        heap::write_bytes(ab, &BYTE_ARRAY, na, &tail_b);
        seti(tail, &str_tail::fill, total as i64);
        return new_from(ab, total as i64, nchars, tail);
    }
    if total < SPARE_FROM {
        let mut v = byte_range(a, 0, na);
        v.extend_from_slice(&tail_b);
        return new_bytes(&v, nchars);
    }
    let cap = total * 2;
    let arr = heap::new_array(&BYTE_ARRAY, cap as i64).expect("str length");
    heap::arraycopy(ab, 0, arr, 0, na, &BYTE_ARRAY);
    heap::write_bytes(arr, &BYTE_ARRAY, na, &tail_b);
    let t = heap::new_struct(&str_tail::SIZE);
    seti(t, &str_tail::fill, total as i64);
    new_from(arr, total as i64, nchars, t)
}
