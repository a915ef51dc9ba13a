//! Shadow memory for `--jit verify` (the design is in `metainterp::verify`).
//!
//! Owns: [`Mem`], how the IR interpreter reaches the heap — [`Raw`] for
//! real, [`Overlay`] for the verifier's shadow run, where every store is
//! kept in a side table keyed by address and loads see that table first,
//! so compiled paths can be run "for pretend" against the real heap
//! without changing it; [`RunEnd`], how a run ends; which calls a shadow
//! run may make ([`call_allowed`]); and the comparison of what the shadow
//! run computed with what the interpreter computed ([`Compare`]): words by
//! kind, references by identity or, for objects either side allocated
//! during the trip, by structure.
//!
//! It is backend code: it reads object memory by address and by the
//! registered layouts (`unsafe`), trusting traces as machine code does;
//! the verifier keeps a `NoCollect` scope open while any of this runs, so
//! every address it holds stays a live object.

use super::DeadFrame;
use crate::heap::trace::Layout;
use crate::heap::{self, GcRef, HEADER_SIZE};
use crate::ir::{ArrayDescr, CallDescr, Descr, FieldDescr, GuardId, Kind, Op};
use hashbrown::{HashMap, HashSet};
use std::rc::Rc;

/// How a run of the IR interpreter ended.
pub enum RunEnd {
    /// A guard without a bridge failed, or a `finish` was reached.
    Dead(DeadFrame),
    /// Shadow runs only: the `guard_verify` the run was asked to stop at.
    Verify(DeadFrame),
    /// Shadow runs only: the path does something a shadow run cannot undo
    /// or see (a call that may write the heap, `call_assembler`), or it
    /// ran out of fuel; nothing real happened.
    Unsupported(String),
}

/// The IR interpreter's view of memory.
pub trait Mem {
    /// A shadow run: stores stay in a side table, `guard_verify` counts.
    const SHADOW: bool;
    /// # Safety
    /// `obj` is a live object with field `d` (raw fields: an address).
    unsafe fn getfield(&mut self, obj: GcRef, d: &'static FieldDescr) -> u64;
    /// # Safety
    /// As [`Mem::getfield`].
    unsafe fn setfield(&mut self, obj: GcRef, d: &'static FieldDescr, w: u64);
    /// # Safety
    /// `arr` is a live array of `d`'s layout and `i` is in bounds.
    unsafe fn getarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64) -> u64;
    /// # Safety
    /// As [`Mem::getarrayitem`].
    unsafe fn setarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64, w: u64);
    /// The run passed a `debug_merge_point`.
    fn location(&mut self, _op: &Op) {}
    /// The run went into the bridge of guard `g`.
    fn entered_bridge(&mut self, _g: GuardId) {}
    /// One more op; false: out of fuel.
    fn tick(&mut self) -> bool {
        true
    }
    /// A `guard_verify` was reached: true to stop here.
    fn stop_at_verify(&mut self, _g: GuardId) -> bool {
        true
    }
}

/// The heap itself (what `execute` uses).
pub struct Raw;

impl Mem for Raw {
    const SHADOW: bool = false;
    #[inline(always)]
    unsafe fn getfield(&mut self, obj: GcRef, d: &'static FieldDescr) -> u64 {
        // SAFETY: per the trait's contract.
        unsafe { heap::raw::getfield(obj, d) }
    }
    #[inline(always)]
    unsafe fn setfield(&mut self, obj: GcRef, d: &'static FieldDescr, w: u64) {
        // SAFETY: per the trait's contract.
        unsafe { heap::raw::setfield(obj, d, w) }
    }
    #[inline(always)]
    unsafe fn getarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64) -> u64 {
        // SAFETY: per the trait's contract.
        unsafe { heap::raw::getarrayitem(arr, d, i) }
    }
    #[inline(always)]
    unsafe fn setarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64, w: u64) {
        // SAFETY: per the trait's contract.
        unsafe { heap::raw::setarrayitem(arr, d, i, w) }
    }
}

/// May a shadow run make this call? Only if it cannot write the heap or
/// run guest code: its effects could not be kept out of the real heap.
pub fn call_allowed(d: &CallDescr) -> bool {
    !d.effect.may_force && (d.effect.elidable || !d.effect.writes_heap)
}

/// One store to memory: where, how wide, of what kind, and a value (as
/// a load of that width would read it back).
#[derive(Clone)]
pub struct Store {
    /// The object (or, for raw fields, the address) stored to.
    pub obj: GcRef,
    /// Byte offset inside it.
    pub offset: usize,
    /// Width in bytes.
    pub size: u8,
    /// Loads of it sign-extend.
    pub signed: bool,
    /// The kind of the value.
    pub kind: Kind,
    /// The value (the new one in an overlay; the overwritten one in the
    /// interpreter's log).
    pub value: u64,
    /// The guest location (`debug_merge_point` text) the store was made at.
    pub at: Option<Rc<str>>,
}

impl Store {
    /// The stored-to address.
    pub fn addr(&self) -> usize {
        self.obj.addr() + self.offset
    }
    /// The value at the address now, in the real heap.
    pub fn current(&self) -> u64 {
        // SAFETY: the store was made to a live object (or raw address) and
        // the verifier keeps every object alive while it compares.
        unsafe { heap::raw::load_at(self.obj, self.offset, self.size, self.signed) }
    }
}

/// What a load of `size` bytes would read back after storing `bits`.
pub fn normalize(bits: u64, size: u8, signed: bool) -> u64 {
    match (size, signed) {
        (8, _) => bits,
        (4, true) => bits as u32 as i32 as i64 as u64,
        (4, false) => bits as u32 as u64,
        (2, true) => bits as u16 as i16 as i64 as u64,
        (2, false) => bits as u16 as u64,
        (1, true) => bits as u8 as i8 as i64 as u64,
        _ => bits as u8 as u64,
    }
}

/// The shadow run's memory: its stores by address, what it allocated,
/// where it was, which bridges it took.
pub struct Overlay {
    /// The run's stores, by address (the last one to each address).
    pub stores: HashMap<usize, Store>,
    /// The last `debug_merge_point` passed.
    pub location: Option<Rc<str>>,
    /// Guards whose bridges the run went through, in order.
    pub bridges: Vec<GuardId>,
    /// The `guard_verify`s passed so far (the run stops at the
    /// `trips`-th).
    pub verified: Vec<GuardId>,
    /// Guest locations (`debug_merge_point`s of the outermost frame)
    /// passed since the last `guard_verify`.
    pub since_marker: Vec<Rc<str>>,
    /// Which `guard_verify` to stop at (1 = the first).
    pub trips: usize,
    /// Ops left before the run gives up.
    pub fuel: u64,
}

impl Overlay {
    /// An empty overlay whose run stops at the `trips`-th `guard_verify`
    /// or after `fuel` ops.
    pub fn new(trips: usize, fuel: u64) -> Overlay {
        Overlay {
            stores: HashMap::new(),
            location: None,
            bridges: Vec::new(),
            verified: Vec::new(),
            since_marker: Vec::new(),
            trips: trips.max(1),
            fuel,
        }
    }

    fn put(&mut self, obj: GcRef, offset: usize, size: u8, signed: bool, kind: Kind, w: u64) {
        let s = Store {
            obj,
            offset,
            size,
            signed,
            kind,
            value: normalize(w, size, signed),
            at: self.location.clone(),
        };
        self.stores.insert(s.addr(), s);
    }

    fn get(&self, addr: usize) -> Option<u64> {
        self.stores.get(&addr).map(|s| s.value)
    }

    /// A store the optimizer delayed past the stopping guard (its
    /// pending write), done in the overlay.
    pub fn pending_store(&mut self, obj: GcRef, descr: Descr, index: Option<i64>, w: u64) {
        match (descr, index) {
            (Descr::Field(d), _) => self.put(obj, d.offset, d.size, d.signed, d.kind, w),
            (Descr::Array(d), Some(i)) => {
                let off = d.base_offset + i as usize * d.item_size as usize;
                self.put(obj, off, d.item_size, d.signed, d.kind, w)
            }
            _ => {}
        }
    }

    /// Reads `size` bytes of `obj` at `offset` as the shadow run sees them.
    fn read(&self, obj: GcRef, offset: usize, size: u8, signed: bool) -> u64 {
        match self.get(obj.addr() + offset) {
            Some(v) => v,
            // SAFETY: the caller reads inside a live object (layout-driven).
            None => unsafe { heap::raw::load_at(obj, offset, size, signed) },
        }
    }
}

impl Mem for Overlay {
    const SHADOW: bool = true;
    unsafe fn getfield(&mut self, obj: GcRef, d: &'static FieldDescr) -> u64 {
        self.read(obj, d.offset, d.size, d.signed)
    }
    unsafe fn setfield(&mut self, obj: GcRef, d: &'static FieldDescr, w: u64) {
        self.put(obj, d.offset, d.size, d.signed, d.kind, w)
    }
    unsafe fn getarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64) -> u64 {
        let off = d.base_offset + i as usize * d.item_size as usize;
        self.read(arr, off, d.item_size, d.signed)
    }
    unsafe fn setarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64, w: u64) {
        let off = d.base_offset + i as usize * d.item_size as usize;
        self.put(arr, off, d.item_size, d.signed, d.kind, w)
    }
    fn location(&mut self, op: &Op) {
        if let Some(c) = &op.comment {
            let at: Rc<str> = Rc::from(&**c);
            if op.args.first().and_then(|a| a.const_int()) == Some(0) {
                self.since_marker.push(at.clone());
            }
            self.location = Some(at);
        }
    }
    fn entered_bridge(&mut self, g: GuardId) {
        self.bridges.push(g);
    }
    fn tick(&mut self) -> bool {
        if self.fuel == 0 {
            return false;
        }
        self.fuel -= 1;
        true
    }
    fn stop_at_verify(&mut self, g: GuardId) -> bool {
        self.verified.push(g);
        self.since_marker.clear();
        self.verified.len() >= self.trips
    }
}

/// Address ranges of objects allocated during the trips, sorted.
struct Ranges(Vec<(usize, usize)>);

impl Ranges {
    fn of(allocs: &[(usize, usize)]) -> Ranges {
        let mut v: Vec<(usize, usize)> = allocs.iter().map(|&(a, n)| (a, a + n)).collect();
        v.sort_unstable();
        Ranges(v)
    }
    fn contains(&self, addr: usize) -> bool {
        let i = self.0.partition_point(|&(s, _)| s <= addr);
        i > 0 && addr < self.0[i - 1].1
    }
}

/// How deep the structural comparison of fresh objects goes.
const DEPTH: u32 = 6;

/// A difference found by [`Compare`].
pub struct Diff {
    /// What differs, in words.
    pub what: String,
    /// The guest location of the differing store, if it was a store.
    pub at: Option<Rc<str>>,
}

/// Compares the shadow run's result (its overlay over the heap) with the
/// interpreter's (the heap itself, after the interpreter ran the same
/// trip): `interp_old` are the interpreter's stores with the value each
/// address had *before* its first store, `allocs` every allocation of
/// the thread during the check (address, size: both runs', helpers' and
/// compiled code's, from the heap's allocation log).
pub struct Compare<'a> {
    /// The shadow run's memory.
    pub overlay: &'a Overlay,
    seen: HashSet<(usize, usize)>,
    old: HashMap<usize, &'a Store>,
    fresh: Ranges,
}

impl<'a> Compare<'a> {
    /// A comparison of `overlay` with the heap and the interpreter's log.
    pub fn new(
        overlay: &'a Overlay,
        interp_old: &'a [Store],
        allocs: &[(usize, usize)],
    ) -> Compare<'a> {
        let mut old = HashMap::new();
        for s in interp_old {
            // The first store to an address logged its value before the trip.
            old.entry(s.addr()).or_insert(s);
        }
        Compare {
            overlay,
            seen: HashSet::new(),
            old,
            fresh: Ranges::of(allocs),
        }
    }

    /// Are `t` (shadow) and `i` (interpreter) the same value of `kind`?
    pub fn same_word(&mut self, kind: Kind, t: u64, i: u64) -> bool {
        match kind {
            Kind::Ref => self.same_ref(super::word_to_ref(t), super::word_to_ref(i), DEPTH),
            Kind::Float => t == i || (f64::from_bits(t).is_nan() && f64::from_bits(i).is_nan()),
            Kind::Int | Kind::Void => t == i,
        }
    }

    /// The same object, or (for objects allocated during the trip) objects
    /// of one type with the same contents, references compared alike.
    fn same_ref(&mut self, t: GcRef, i: GcRef, depth: u32) -> bool {
        if t == i {
            return true;
        }
        if t.is_null() || i.is_null() || t.tid() != i.tid() {
            return false;
        }
        // Two different objects that both existed before the trip are
        // different identities, whatever they hold.
        if !self.fresh.contains(t.addr()) && !self.fresh.contains(i.addr()) {
            return false;
        }
        if depth == 0 || !self.seen.insert((t.addr(), i.addr())) {
            return true;
        }
        match heap::gc::layout_of(t.tid()) {
            Some(Layout::Struct { size, refs }) => {
                let mut off = HEADER_SIZE;
                while off + 8 <= size {
                    let a = self.overlay.read(t, off, 8, false);
                    // SAFETY: `i` is a live object of this layout.
                    let b = unsafe { heap::raw::load_at(i, off, 8, false) };
                    let same = if refs.contains(&off) {
                        self.same_ref(super::word_to_ref(a), super::word_to_ref(b), depth - 1)
                    } else {
                        a == b
                    };
                    if !same {
                        return false;
                    }
                    off += 8;
                }
                true
            }
            Some(Layout::Array {
                len_offset,
                base_offset,
                item_size,
                refs,
            }) => {
                let lt = self.overlay.read(t, len_offset, 8, true);
                // SAFETY: `i` is a live array of this layout.
                let li = unsafe { heap::raw::load_at(i, len_offset, 8, true) };
                if lt != li {
                    return false;
                }
                for k in 0..lt as usize {
                    let off = base_offset + k * item_size;
                    let a = self.overlay.read(t, off, item_size as u8, false);
                    // SAFETY: `k` is below the array's length.
                    let b = unsafe { heap::raw::load_at(i, off, item_size as u8, false) };
                    let same = if refs {
                        self.same_ref(super::word_to_ref(a), super::word_to_ref(b), depth - 1)
                    } else {
                        a == b
                    };
                    if !same {
                        return false;
                    }
                }
                true
            }
            None => false,
        }
    }

    /// Every address either side stored to, in an object that existed
    /// before the trip: the shadow's final value there against the
    /// heap's now. The first difference, if any.
    pub fn stores(&mut self) -> Option<Diff> {
        let mut addrs: Vec<usize> = self
            .overlay
            .stores
            .keys()
            .chain(self.old.keys())
            .copied()
            .collect();
        addrs.sort_unstable();
        addrs.dedup();
        for addr in addrs {
            if self.fresh.contains(addr) {
                continue;
            }
            let (store, t) = match (self.overlay.stores.get(&addr), self.old.get(&addr)) {
                (Some(s), _) => (s.clone(), s.value),
                // The interpreter stored here and the compiled path did not:
                // the compiled path leaves the old value.
                (None, Some(s)) => ((*s).clone(), s.value),
                (None, None) => continue,
            };
            let i = store.current();
            if !self.same_word(store.kind, t, i) {
                let who = if self.overlay.stores.contains_key(&addr) {
                    "compiled code stored"
                } else {
                    "compiled code left"
                };
                return Some(Diff {
                    what: format!(
                        "the {} at offset {} of a heap object (type id {:#x}): {who} {}, the interpreter {}",
                        kind_name(store.kind),
                        store.offset,
                        store.obj.tid(),
                        show(store.kind, t),
                        show(store.kind, i),
                    ),
                    at: store.at.clone(),
                });
            }
        }
        None
    }
}

/// `int`, `float`, `ref`.
pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Ref => "ref",
        Kind::Void => "void",
    }
}

/// A word of `kind` as a user reads it.
pub fn show(k: Kind, w: u64) -> String {
    match k {
        Kind::Int => (w as i64).to_string(),
        Kind::Float => format!("{:?}", f64::from_bits(w)),
        Kind::Ref if w == 0 => "null".to_string(),
        Kind::Ref => {
            let r = super::word_to_ref(w);
            format!("<object {:#x} of type id {:#x}>", w, r.tid())
        }
        Kind::Void => "void".to_string(),
    }
}
