//! The set type, stored like CPython 3.11's `Objects/setobject.c`: one
//! open-addressing table of (key, hash) slots probed linearly
//! (`LINEAR_PROBES`) and then with perturbation, dummy slots left by
//! deletions, CPython's resize policy, and iteration in slot order, so a
//! program printing a set of numbers or tuples prints what CPython prints.
//!
//! Owns: `SetObj` storage and every set algorithm whose result order
//! depends on the code path (construction, merge, union, intersection,
//! difference, symmetric difference, `pop` with its finger). Hashing and
//! key equality come from `dict::hash` / `dict::eq`.
//!
//! A `frozenset` is the same table with the `frozen` flag set: the flag
//! selects its type, repr and hash (`frozenset_hash`), hides the mutating
//! methods, and binary operations give the left operand's kind.

use crate::dict;
use crate::objects::*;
use crate::types::{self, PyResult};
use metatrace::heap::{self, GcRef, INT_ARRAY};

const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;
const MINSIZE: usize = 8;
/// Hash stored in a dummy slot (real hashes are never -1).
const DUMMY_HASH: i64 = -1;

thread_local! {
    static DUMMY: std::cell::Cell<GcRef> = const { std::cell::Cell::new(GcRef::NULL) };
}

/// The dummy key of deleted slots (a private rooted object).
fn dummy() -> GcRef {
    DUMMY.with(|d| {
        if d.get().is_null() {
            d.set(keep(heap::new_struct(&none_obj::SIZE)));
        }
        d.get()
    })
}

fn keys_a(s: GcRef) -> GcRef {
    getr(s, &set_obj::keys)
}
fn hashes_a(s: GcRef) -> GcRef {
    getr(s, &set_obj::hashes)
}
fn mask(s: GcRef) -> usize {
    alen(keys_a(s)) - 1
}
fn hget(a: GcRef, i: usize) -> i64 {
    heap::getarrayitem(a, &INT_ARRAY, i as i64) as i64
}
fn hset(a: GcRef, i: usize, v: i64) {
    heap::setarrayitem(a, &INT_ARRAY, i as i64, v as u64)
}
fn fill(s: GcRef) -> usize {
    geti(s, &set_obj::fill) as usize
}

pub fn new_set() -> GcRef {
    let o = heap::new_struct(&set_obj::SIZE);
    setr(o, &set_obj::keys, new_refs(MINSIZE));
    setr(o, &set_obj::hashes, new_ints(MINSIZE));
    o
}

/// Is `s` a frozenset?
pub fn is_frozen(s: GcRef) -> bool {
    geti(s, &set_obj::frozen) != 0
}

/// Marks a fresh set (no one else holds it) as a frozenset.
pub fn freeze(s: GcRef) -> GcRef {
    seti(s, &set_obj::frozen, 1);
    s
}

/// The methods of `set` that `frozenset` lacks.
pub fn is_mutator(name: &str) -> bool {
    matches!(
        name,
        "add"
            | "remove"
            | "discard"
            | "pop"
            | "clear"
            | "update"
            | "intersection_update"
            | "difference_update"
            | "symmetric_difference_update"
    )
}

/// The result `r` of `a op b` (or of a method of `a`) as the kind of `a`:
/// a frozenset when `a` is one. `r` is copied rather than changed when it
/// is an operand.
pub fn like(r: GcRef, a: GcRef, b: GcRef) -> GcRef {
    if is_frozen(r) == is_frozen(a) {
        return r;
    }
    let r = if r == a || r == b { copy(r) } else { r };
    seti(r, &set_obj::frozen, is_frozen(a) as i64);
    r
}

/// `hash(frozenset)`: CPython 3.11's `frozenset_hash` (the table's empty
/// and dummy slots cancel out, so only the live entries count).
pub fn frozen_hash(s: GcRef) -> i64 {
    fn shuffle(h: u64) -> u64 {
        ((h ^ 89869747) ^ (h << 16)).wrapping_mul(3644798167)
    }
    let mut h: u64 = 0;
    for (_, eh) in entries(s) {
        h ^= shuffle(eh as u64);
    }
    h ^= (len(s) as u64 + 1).wrapping_mul(1927868237);
    h ^= (h >> 11) ^ (h >> 25);
    h = h.wrapping_mul(69069).wrapping_add(907133923);
    if h == u64::MAX {
        h = 590923713;
    }
    h as i64
}

pub fn len(s: GcRef) -> usize {
    geti(s, &set_obj::used) as usize
}

/// Live (key, hash) pairs in table order.
pub fn entries(s: GcRef) -> Vec<(GcRef, i64)> {
    let (k, h) = (keys_a(s), hashes_a(s));
    let d = dummy();
    (0..alen(k))
        .filter_map(|i| {
            let key = aget(k, i);
            (!key.is_null() && key != d).then(|| (key, hget(h, i)))
        })
        .collect()
}

/// The elements in iteration (table) order.
pub fn keys(s: GcRef) -> Vec<GcRef> {
    entries(s).into_iter().map(|p| p.0).collect()
}

/// Whether slot `j` of table `k` (holding `e` with hash `h`) is `key`.
/// `None`: a user `__eq__` replaced the table or that entry meanwhile, and
/// the caller starts over (CPython's `set_lookkey` restarts the same way);
/// the slot number would mean nothing in the new table.
fn same_key(
    s: GcRef,
    (k, j, e, h): (GcRef, usize, GcRef, i64),
    key: GcRef,
    hash: i64,
) -> PyResult<Option<bool>> {
    if h != hash {
        return Ok(Some(false));
    }
    if e == key {
        return Ok(Some(true));
    }
    let same = dict::eq(e, key)?;
    if keys_a(s) != k || aget(k, j) != e {
        return Ok(None);
    }
    Ok(Some(same))
}

/// Slot holding `key`, if present (`set_lookkey`).
fn lookup(s: GcRef, key: GcRef, hash: i64) -> PyResult<Option<usize>> {
    loop {
        if let Some(r) = lookup_once(s, key, hash)? {
            return Ok(r);
        }
    }
}

/// One probe sequence of `lookup`; `None` when it must start over.
fn lookup_once(s: GcRef, key: GcRef, hash: i64) -> PyResult<Option<Option<usize>>> {
    let (k, h) = (keys_a(s), hashes_a(s));
    let mut probe = Probe::new(hash, mask(s));
    loop {
        let j = probe.next_slot();
        let e = aget(k, j);
        if e.is_null() {
            return Ok(Some(None));
        }
        match same_key(s, (k, j, e, hget(h, j)), key, hash)? {
            Some(true) => return Ok(Some(Some(j))),
            Some(false) => {}
            None => return Ok(None),
        }
    }
}

/// CPython's probe sequence over a table of `mask + 1` slots: up to
/// `LINEAR_PROBES` neighbours of each slot (when they fit before the end),
/// then a jump driven by the perturbed hash.
struct Probe {
    mask: usize,
    perturb: u64,
    /// The slot the current run of neighbours started at, and the next.
    i: usize,
    j: usize,
}

impl Probe {
    fn new(hash: i64, mask: usize) -> Probe {
        let i = hash as u64 as usize & mask;
        Probe {
            mask,
            perturb: hash as u64,
            i,
            j: i,
        }
    }

    fn next_slot(&mut self) -> usize {
        let probes = if self.i + LINEAR_PROBES <= self.mask {
            LINEAR_PROBES
        } else {
            0
        };
        if self.j > self.i + probes {
            self.perturb >>= PERTURB_SHIFT;
            self.i = (self
                .i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(self.perturb as usize))
                & self.mask;
            self.j = self.i;
        }
        self.j += 1;
        self.j - 1
    }
}

/// `set_insert_clean`: into a table known to have no dummies nor `key`.
fn insert_clean(k: GcRef, h: GcRef, key: GcRef, hash: i64) {
    let mut probe = Probe::new(hash, alen(k) - 1);
    loop {
        let j = probe.next_slot();
        if aget(k, j).is_null() {
            aset(k, j, key);
            hset(h, j, hash);
            return;
        }
    }
}

/// `set_table_resize`: the smallest power-of-two table > `minused`.
fn resize(s: GcRef, minused: usize) {
    let mut size = MINSIZE;
    while size <= minused {
        size <<= 1;
    }
    if size == MINSIZE && mask(s) + 1 == MINSIZE && fill(s) == len(s) {
        // The small table stays as it is when it has no dummies.
        return;
    }
    let old = entries(s);
    let (k, h) = (new_refs(size), new_ints(size));
    for (key, hash) in &old {
        insert_clean(k, h, *key, *hash);
    }
    setr(s, &set_obj::keys, k);
    setr(s, &set_obj::hashes, h);
    seti(s, &set_obj::fill, old.len() as i64);
}

fn grow_target(used: usize) -> usize {
    if used > 50000 {
        used * 2
    } else {
        used * 4
    }
}

/// `set_add_entry`.
pub fn add_entry(s: GcRef, key: GcRef, hash: i64) -> PyResult<()> {
    while !add_entry_once(s, key, hash)? {}
    Ok(())
}

/// One attempt of `add_entry`; `false` when it must start over.
fn add_entry_once(s: GcRef, key: GcRef, hash: i64) -> PyResult<bool> {
    let (k, h) = (keys_a(s), hashes_a(s));
    let mask = mask(s);
    let mut probe = Probe::new(hash, mask);
    let mut free: Option<usize> = None;
    let slot = loop {
        let j = probe.next_slot();
        let e = aget(k, j);
        if e.is_null() {
            break j;
        }
        let eh = hget(h, j);
        match same_key(s, (k, j, e, eh), key, hash)? {
            Some(true) => return Ok(true),
            Some(false) => {}
            None => return Ok(false),
        }
        if eh == DUMMY_HASH {
            // CPython 3.11 keeps the last dummy seen.
            free = Some(j);
        }
    };
    let used = len(s) + 1;
    seti(s, &set_obj::used, used as i64);
    if let Some(f) = free {
        aset(k, f, key);
        hset(h, f, hash);
        return Ok(true);
    }
    aset(k, slot, key);
    hset(h, slot, hash);
    let fill = fill(s) + 1;
    seti(s, &set_obj::fill, fill as i64);
    if fill * 5 >= mask * 3 {
        resize(s, grow_target(used));
    }
    Ok(true)
}

pub fn add(s: GcRef, key: GcRef) -> PyResult<()> {
    let h = dict::hash(key)?;
    add_entry(s, key, h)
}

pub fn contains(s: GcRef, key: GcRef) -> PyResult<bool> {
    let h = dict::hash(key)?;
    Ok(lookup(s, key, h)?.is_some())
}

fn discard_entry(s: GcRef, key: GcRef, hash: i64) -> PyResult<bool> {
    match lookup(s, key, hash)? {
        Some(j) => {
            aset(keys_a(s), j, dummy());
            hset(hashes_a(s), j, DUMMY_HASH);
            seti(s, &set_obj::used, len(s) as i64 - 1);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Removes `key`; whether it was present.
pub fn discard(s: GcRef, key: GcRef) -> PyResult<bool> {
    let h = dict::hash(key)?;
    discard_entry(s, key, h)
}

pub fn clear(s: GcRef) {
    setr(s, &set_obj::keys, new_refs(MINSIZE));
    setr(s, &set_obj::hashes, new_ints(MINSIZE));
    seti(s, &set_obj::fill, 0);
    seti(s, &set_obj::used, 0);
}

/// `set.pop()`: scans from the finger.
pub fn pop(s: GcRef) -> PyResult<GcRef> {
    if len(s) == 0 {
        return types::err(ExcKind::KeyError, "pop from an empty set");
    }
    let (k, h) = (keys_a(s), hashes_a(s));
    let mask = mask(s);
    let d = dummy();
    let mut i = geti(s, &set_obj::finger) as usize & mask;
    while aget(k, i).is_null() || aget(k, i) == d {
        i += 1;
        if i > mask {
            i = 0;
        }
    }
    let key = aget(k, i);
    aset(k, i, d);
    hset(h, i, DUMMY_HASH);
    seti(s, &set_obj::used, len(s) as i64 - 1);
    seti(s, &set_obj::finger, i as i64 + 1);
    Ok(key)
}

/// `set_merge`: adds every element of the set `o`.
fn merge(s: GcRef, o: GcRef) -> PyResult<()> {
    if s == o || len(o) == 0 {
        return Ok(());
    }
    if (fill(s) + len(o)) * 5 >= mask(s) * 3 {
        resize(s, (len(s) + len(o)) * 2);
    }
    if fill(s) == 0 && mask(s) == mask(o) && fill(o) == len(o) {
        let (k, h) = (keys_a(s), hashes_a(s));
        let (ok, oh) = (keys_a(o), hashes_a(o));
        for i in 0..=mask(o) {
            let key = aget(ok, i);
            if !key.is_null() {
                aset(k, i, key);
                hset(h, i, hget(oh, i));
            }
        }
        seti(s, &set_obj::fill, len(o) as i64);
        seti(s, &set_obj::used, len(o) as i64);
        return Ok(());
    }
    if fill(s) == 0 {
        let (k, h) = (keys_a(s), hashes_a(s));
        for (key, hash) in entries(o) {
            insert_clean(k, h, key, hash);
        }
        seti(s, &set_obj::fill, len(o) as i64);
        seti(s, &set_obj::used, len(o) as i64);
        return Ok(());
    }
    for (key, hash) in entries(o) {
        add_entry(s, key, hash)?;
    }
    Ok(())
}

/// `set_update_internal`: adds the elements of any iterable.
pub fn update(s: GcRef, other: GcRef) -> PyResult<()> {
    match other.tid() {
        tid::SET => merge(s, other),
        tid::DICT => {
            let n = dict::len(other);
            if (fill(s) + n) * 5 >= mask(s) * 3 {
                resize(s, (len(s) + n) * 2);
            }
            for k in dict::keys(other) {
                add(s, k)?;
            }
            Ok(())
        }
        _ => {
            for k in (types::upcalls().iterate)(other)? {
                add(s, k)?;
            }
            Ok(())
        }
    }
}

/// `set(iterable)` (`make_new_set`).
pub fn from_iterable(o: GcRef) -> PyResult<GcRef> {
    let s = new_set();
    update(s, o)?;
    Ok(s)
}

pub fn from_items(items: &[GcRef]) -> PyResult<GcRef> {
    let s = new_set();
    for k in items {
        add(s, *k)?;
    }
    Ok(s)
}

pub fn copy(s: GcRef) -> GcRef {
    let n = new_set();
    let _ = merge(n, s);
    n
}

/// `set_intersection` (`s & other`, `s.intersection(other)`).
pub fn intersection(s: GcRef, other: GcRef) -> PyResult<GcRef> {
    if s == other {
        return Ok(copy(s));
    }
    let result = new_set();
    if other.tid() == tid::SET {
        let (big, small) = if len(other) > len(s) {
            (other, s)
        } else {
            (s, other)
        };
        for (key, hash) in entries(small) {
            if lookup(big, key, hash)?.is_some() {
                add_entry(result, key, hash)?;
            }
        }
        return Ok(result);
    }
    for key in (types::upcalls().iterate)(other)? {
        let hash = dict::hash(key)?;
        if lookup(s, key, hash)?.is_some() {
            add_entry(result, key, hash)?;
        }
    }
    Ok(result)
}

/// `set_intersection_update`: `s` becomes `s & other` (its table too).
pub fn intersection_update(s: GcRef, other: GcRef) -> PyResult<()> {
    let t = intersection(s, other)?;
    for f in [&set_obj::keys, &set_obj::hashes] {
        setr(s, f, getr(t, f));
    }
    for f in [&set_obj::fill, &set_obj::used] {
        seti(s, f, geti(t, f));
    }
    Ok(())
}

/// `set_difference_update_internal`.
pub fn difference_update(s: GcRef, other: GcRef) -> PyResult<()> {
    if s == other {
        clear(s);
        return Ok(());
    }
    if other.tid() == tid::SET {
        let o = if (len(other) >> 3) > len(s) {
            intersection(s, other)?
        } else {
            other
        };
        for (key, hash) in entries(o) {
            discard_entry(s, key, hash)?;
        }
    } else {
        for key in (types::upcalls().iterate)(other)? {
            discard(s, key)?;
        }
    }
    if fill(s) - len(s) > mask(s) / 4 {
        resize(s, grow_target(len(s)));
    }
    Ok(())
}

/// `set_difference` (`s - other`, `s.difference(other)`).
pub fn difference(s: GcRef, other: GcRef) -> PyResult<GcRef> {
    let other_size = match other.tid() {
        tid::SET => len(other),
        tid::DICT => dict::len(other),
        _ => usize::MAX,
    };
    if other_size == usize::MAX || (len(s) >> 2) > other_size {
        let r = copy(s);
        difference_update(r, other)?;
        return Ok(r);
    }
    let result = new_set();
    for (key, hash) in entries(s) {
        let present = if other.tid() == tid::SET {
            lookup(other, key, hash)?.is_some()
        } else {
            dict::get(other, key)?.is_some()
        };
        if !present {
            add_entry(result, key, hash)?;
        }
    }
    Ok(result)
}

/// `set_symmetric_difference_update`.
pub fn symmetric_difference_update(s: GcRef, other: GcRef) -> PyResult<()> {
    if s == other {
        clear(s);
        return Ok(());
    }
    let o = if other.tid() == tid::SET {
        other
    } else if other.tid() == tid::DICT {
        // CPython walks the dict directly, in insertion order.
        for k in dict::keys(other) {
            let h = dict::hash(k)?;
            if !discard_entry(s, k, h)? {
                add_entry(s, k, h)?;
            }
        }
        return Ok(());
    } else {
        from_iterable(other)?
    };
    for (key, hash) in entries(o) {
        if !discard_entry(s, key, hash)? {
            add_entry(s, key, hash)?;
        }
    }
    Ok(())
}

/// `set_symmetric_difference` (`s ^ other`).
pub fn symmetric_difference(s: GcRef, other: GcRef) -> PyResult<GcRef> {
    let r = from_iterable(other)?;
    symmetric_difference_update(r, s)?;
    Ok(r)
}

/// `s | other` / `s.union(other)`.
pub fn union(s: GcRef, other: GcRef) -> PyResult<GcRef> {
    let r = copy(s);
    if s != other {
        update(r, other)?;
    }
    Ok(r)
}

/// Every element of `a` is in the set `b`.
pub fn is_subset(a: GcRef, b: GcRef) -> PyResult<bool> {
    if len(a) > len(b) {
        return Ok(false);
    }
    for (key, hash) in entries(a) {
        if lookup(b, key, hash)?.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Set equality (same size, one contains the other).
pub fn eq(a: GcRef, b: GcRef) -> PyResult<bool> {
    Ok(len(a) == len(b) && is_subset(a, b)?)
}
