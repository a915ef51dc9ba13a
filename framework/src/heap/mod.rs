//! The guest-object heap (DESIGN §8): object model and garbage collector.
//!
//! Owns: `GcRef`, the object header, the allocation entry points (the Rust
//! bump fast path here, everything else in submodules), raw field/array
//! access, the built-in array types and the `gc_struct!` macro that
//! generates field descriptors — and the collector's trace information —
//! from `#[repr(C)]` structs (no hand-written offsets or pointer maps).
//!
//! Layout: every object starts with a `GcHeader` (type id + flags, 8 bytes).
//! Arrays follow the header with an `i64` length and then the items.
//!
//! The collector, file by file:
//! - [`gc`] — non-moving stop-the-world mark-sweep, growth policy, the
//!   `Nursery` bump region compiled code allocates from inline, stress and
//!   verify modes, statistics, `gc` log events. The design choice and its
//!   reasons are in its docs.
//! - `blocks` — small objects in aligned 128 KiB blocks; the sweep turns
//!   dead runs into fillers and reusable holes, returns empty blocks.
//! - `large` — objects of 8 KiB or more, one system allocation each.
//! - `trace` — type id → size and reference offsets.
//! - [`roots`] — handles, registered structures (interpreter frames, dead
//!   frames, ...), conservative scan of the native stack.
//!
//! This module is one of the three places `unsafe` may live. Soundness rests
//! on one invariant: a `GcRef` is either null or the address of a live
//! object allocated here, and descriptors used with it describe its type.
//! `GcRef`s are only minted by the allocator or by `GcRef::from_addr`
//! (unsafe: backends vouch for addresses coming out of compiled code).
//! An object stays live while a root or a live object refers to it.

mod blocks;
pub mod gc;
mod large;
pub mod roots;
mod structs;
#[cfg(test)]
mod tests;
mod trace;
pub use gc::{collect, stats, GcStats};
pub use large::LARGE_OBJECT;
pub use structs::{count_refs, has_attr, ref_offsets};

use crate::ir::{ArrayDescr, FieldDescr, Kind, SizeDescr};

/// A reference to a heap object (or null). Plain address, `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(transparent)]
pub struct GcRef(usize);

impl std::fmt::Debug for GcRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0 == 0 {
            f.write_str("null")
        } else {
            write!(f, "{:#x}", self.0)
        }
    }
}

impl GcRef {
    pub const NULL: GcRef = GcRef(0);

    /// # Safety
    /// `addr` must be 0 or the address of an object allocated by this heap.
    pub unsafe fn from_addr(addr: usize) -> GcRef {
        GcRef(addr)
    }
    #[inline]
    pub fn addr(self) -> usize {
        self.0
    }
    #[inline]
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
    /// The type id in the header. Null has type id 0.
    #[inline]
    pub fn tid(self) -> u32 {
        if self.0 == 0 {
            return 0;
        }
        // SAFETY: non-null GcRefs point at an object, which starts with a header.
        unsafe { (*(self.0 as *const GcHeader)).tid }
    }
}

/// The object header.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GcHeader {
    pub tid: u32,
    /// The collector's: bit 0 is the mark bit (`gc::MARK`, clear outside
    /// a collection); a filler (tid 0) keeps its size here.
    pub flags: u32,
}

/// Size of the header in bytes; arrays keep their length right after it.
pub const HEADER_SIZE: usize = std::mem::size_of::<GcHeader>();
const ARRAY_LEN_OFFSET: usize = HEADER_SIZE;
const ARRAY_BASE_OFFSET: usize = HEADER_SIZE + 8;

macro_rules! builtin_array {
    ($name:ident, $str:literal, $tid:expr, $size:expr, $signed:expr, $kind:ident) => {
        pub static $name: ArrayDescr = ArrayDescr {
            name: $str,
            tid: $tid,
            len_offset: ARRAY_LEN_OFFSET,
            base_offset: ARRAY_BASE_OFFSET,
            item_size: $size,
            signed: $signed,
            kind: Kind::$kind,
        };
    };
}
builtin_array!(INT_ARRAY, "IntArray", 1, 8, true, Int);
builtin_array!(FLOAT_ARRAY, "FloatArray", 2, 8, false, Float);
builtin_array!(REF_ARRAY, "RefArray", 3, 8, false, Ref);
builtin_array!(BYTE_ARRAY, "ByteArray", 4, 1, false, Int);

/// Allocates `size` zeroed bytes (rounded up to 8) with header type id
/// `tid`. The type must be registered (`new_struct`/`new_array` do it).
#[inline]
pub fn alloc(size: usize, tid: u32) -> GcRef {
    let size = trace::round(size);
    let n = gc::nursery();
    let free = n.free.get();
    if size <= n.top.get() - free {
        n.free.set(free + size);
        // SAFETY: [free, free+size) is zeroed space of the current bump
        // region (the slow path zeroes regions before publishing them),
        // 8-aligned, handed out exactly once.
        unsafe { (*(free as *mut GcHeader)).tid = tid };
        return GcRef(free);
    }
    GcRef(gc::alloc_slow(size, tid))
}

/// Total bytes handed out by this thread's heap.
pub fn bytes_allocated() -> u64 {
    gc::stats().bytes_allocated
}

/// Registers the trace information of a struct type (backends call this
/// for the types they allocate inline; `new_struct` does it itself).
pub fn register_struct(d: &SizeDescr) {
    if !trace::known(d.tid) {
        gc::register(d.tid, trace::Layout::of_struct(d));
    }
}

/// Registers the trace information of an array type.
pub fn register_array(d: &ArrayDescr) {
    if !trace::known(d.tid) {
        gc::register(d.tid, trace::Layout::of_array(d));
    }
}

/// `new(descr=size)`.
pub fn new_struct(d: &SizeDescr) -> GcRef {
    register_struct(d);
    alloc(d.size, d.tid)
}

/// `new_array(len, descr=array)`; `None` for a negative or absurd length.
pub fn new_array(d: &ArrayDescr, len: i64) -> Option<GcRef> {
    if !(0..=(1 << 40)).contains(&len) {
        return None;
    }
    register_array(d);
    let r = alloc(d.base_offset + len as usize * d.item_size as usize, d.tid);
    store(r, d.len_offset, 8, len as u64);
    Some(r)
}

/// Reads `size` bytes at `obj + offset`, sign- or zero-extended to 64 bits.
#[inline]
pub fn load(obj: GcRef, offset: usize, size: u8, signed: bool) -> u64 {
    debug_assert!(!obj.is_null(), "load through null GcRef");
    let p = obj.0 + offset;
    // SAFETY: obj is a live heap object and the descriptor that produced
    // offset/size belongs to its type, so the bytes lie inside the object
    // and are aligned to their size.
    unsafe {
        match (size, signed) {
            (8, _) => *(p as *const u64),
            (4, true) => *(p as *const i32) as i64 as u64,
            (4, false) => *(p as *const u32) as u64,
            (2, true) => *(p as *const i16) as i64 as u64,
            (2, false) => *(p as *const u16) as u64,
            (1, true) => *(p as *const i8) as i64 as u64,
            _ => *(p as *const u8) as u64,
        }
    }
}

/// Writes the low `size` bytes of `bits` at `obj + offset`.
#[inline]
pub fn store(obj: GcRef, offset: usize, size: u8, bits: u64) {
    debug_assert!(!obj.is_null(), "store through null GcRef");
    let p = obj.0 + offset;
    // SAFETY: as in `load`.
    unsafe {
        match size {
            8 => *(p as *mut u64) = bits,
            4 => *(p as *mut u32) = bits as u32,
            2 => *(p as *mut u16) = bits as u16,
            _ => *(p as *mut u8) = bits as u8,
        }
    }
}

#[inline]
pub fn getfield(obj: GcRef, d: &FieldDescr) -> u64 {
    load(obj, d.offset, d.size, d.signed)
}
#[inline]
pub fn setfield(obj: GcRef, d: &FieldDescr, bits: u64) {
    store(obj, d.offset, d.size, bits)
}
#[inline]
pub fn arraylen(arr: GcRef, d: &ArrayDescr) -> i64 {
    load(arr, d.len_offset, 8, true) as i64
}
/// Item read. The caller (the VM) has checked `0 <= index < len`; in debug
/// builds this is asserted.
#[inline]
pub fn getarrayitem(arr: GcRef, d: &ArrayDescr, index: i64) -> u64 {
    debug_assert!(
        index >= 0 && index < arraylen(arr, d),
        "array index {index} out of bounds"
    );
    load(
        arr,
        d.base_offset + index as usize * d.item_size as usize,
        d.item_size,
        d.signed,
    )
}
#[inline]
pub fn setarrayitem(arr: GcRef, d: &ArrayDescr, index: i64, bits: u64) {
    debug_assert!(
        index >= 0 && index < arraylen(arr, d),
        "array index {index} out of bounds"
    );
    store(
        arr,
        d.base_offset + index as usize * d.item_size as usize,
        d.item_size,
        bits,
    )
}

/// RPython's `ll_arraycopy`: copies items `src[from..from + n]` to
/// `dst[to..to + n]` (both arrays of descriptor `d`, which must not hold
/// references; the ranges may overlap). Out-of-range indexes are a VM
/// bug: they panic.
pub fn arraycopy(src: GcRef, from: usize, dst: GcRef, to: usize, n: usize, d: &ArrayDescr) {
    assert!(d.kind != Kind::Ref, "arraycopy of a reference array");
    let (ls, ld) = (arraylen(src, d) as usize, arraylen(dst, d) as usize);
    assert!(
        from.checked_add(n).is_some_and(|e| e <= ls) && to.checked_add(n).is_some_and(|e| e <= ld),
        "arraycopy out of bounds: {from}+{n} of {ls} to {to} of {ld}"
    );
    let item = d.item_size as usize;
    // SAFETY: both are live arrays of `d` (the caller's descriptor is their
    // type's), the ranges were checked against their lengths, and the
    // items hold no references the collector would need to see copied
    // (`ptr::copy` handles overlap).
    unsafe {
        std::ptr::copy(
            (src.0 + d.base_offset + from * item) as *const u8,
            (dst.0 + d.base_offset + to * item) as *mut u8,
            n * item,
        );
    }
}

/// Rust types that may be fields of a `gc_struct!`.
pub trait GcField {
    const KIND: Kind;
    const SIGNED: bool;
}
macro_rules! gc_field {
    ($t:ty, $k:ident, $s:expr) => {
        impl GcField for $t {
            const KIND: Kind = Kind::$k;
            const SIGNED: bool = $s;
        }
    };
}
gc_field!(i64, Int, true);
gc_field!(u64, Int, false);
gc_field!(i32, Int, true);
gc_field!(u32, Int, false);
gc_field!(i16, Int, true);
gc_field!(u16, Int, false);
gc_field!(i8, Int, true);
gc_field!(u8, Int, false);
gc_field!(f64, Float, false);
gc_field!(GcRef, Ref, false);

/// Type ids of `gc_struct!` types: a hash of the type's path, high bit set
/// so they never collide with the built-in array ids.
pub const fn type_id_of(path: &str) -> u32 {
    let b = path.as_bytes();
    let mut h: u32 = 0x811c_9dc5;
    let mut i = 0;
    while i < b.len() {
        h ^= b[i] as u32;
        h = h.wrapping_mul(0x0100_0193);
        i += 1;
    }
    h | 0x8000_0000
}

#[cfg(test)]
mod object_tests {
    use super::*;

    crate::gc_struct! {
        /// A test object.
        pub struct Pair as pair {
            left: i64,
            #[immutable]
            small: u8,
            #[quasi_immutable]
            right: GcRef,
            weight: f64,
        }
    }

    #[test]
    fn descriptors_come_from_the_struct() {
        assert_eq!(pair::left.offset, std::mem::offset_of!(Pair, left));
        assert_eq!(pair::small.size, 1);
        assert!(pair::small.immutable && !pair::left.immutable);
        assert!(pair::right.quasi_immutable);
        assert_eq!(pair::weight.kind, Kind::Float);
        assert_eq!(pair::SIZE.size, std::mem::size_of::<Pair>());
        assert_eq!(pair::left.name, "Pair.left");
    }

    #[test]
    fn fields_and_arrays_round_trip() {
        let p = new_struct(&pair::SIZE);
        assert_eq!(p.tid(), pair::SIZE.tid);
        setfield(p, &pair::left, (-5i64) as u64);
        setfield(p, &pair::small, 300);
        setfield(p, &pair::weight, 2.5f64.to_bits());
        assert_eq!(getfield(p, &pair::left) as i64, -5);
        assert_eq!(getfield(p, &pair::small), 300 % 256);
        assert_eq!(f64::from_bits(getfield(p, &pair::weight)), 2.5);
        let a = new_array(&BYTE_ARRAY, 3).unwrap();
        assert_eq!(arraylen(a, &BYTE_ARRAY), 3);
        setarrayitem(a, &BYTE_ARRAY, 2, 255);
        assert_eq!(getarrayitem(a, &BYTE_ARRAY, 2), 255);
        assert_eq!(getarrayitem(a, &BYTE_ARRAY, 1), 0);
        assert!(new_array(&INT_ARRAY, -1).is_none());
        let big = new_array(&INT_ARRAY, 300_000).unwrap();
        setarrayitem(big, &INT_ARRAY, 299_999, 7);
        assert_eq!(getarrayitem(big, &INT_ARRAY, 299_999), 7);
    }
}
