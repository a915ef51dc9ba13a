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
//! This module is one of the three places `unsafe` may live.
//!
//! ## The safe API, and what makes it sound
//!
//! VM crates are `#![forbid(unsafe_code)]`; everything they do to the heap
//! goes through this module's safe functions, which check what they rely
//! on instead of trusting the caller:
//!
//! - **References are minted only by the allocator.** `GcRef`'s field is
//!   private; `GcRef::from_addr` is `unsafe` (backends vouch for words
//!   leaving compiled code); the framework's word-to-reference conversion
//!   is crate-private. Raw offset access (`load`/`store`) is crate-private.
//! - **Descriptors are checked against their type's registered layout.**
//!   A type's layout (size, reference slots; for arrays the length and
//!   item layout) is fixed by its first registration in the process: a
//!   second, different layout for the same type id panics, and a layout
//!   with reference slots over the header, outside the object or
//!   misaligned is refused. Before a field descriptor is used on an
//!   object, the heap checks that the object's type is the descriptor's
//!   owner and that the field is an aligned part of the object after its
//!   header, of the slot's kind (an integer view of a reference slot would
//!   forge references).
//! - **Descriptors are immutable**, so a verdict stays true: their data
//!   (`FieldInfo`/`ArrayInfo`) is read through `Deref` and cannot be
//!   written; they cannot be struct literals outside this crate, only
//!   `FieldDescr::new`/`ArrayDescr::new`. The verdict is cached in a
//!   [`Verdict`] slot in its own static (`gc_struct!` gives each field
//!   one), holding the packed key of the descriptor it vouches for, so
//!   the inlined fast path of every accessor is: the object's type id
//!   against the descriptor's, the slot against the descriptor's key, and
//!   for arrays the index against the length, each one compare; the rest
//!   is out of line (`#[cold]`). The slot sits outside the descriptor
//!   because a descriptor holding an atomic would have interior
//!   mutability, which keeps a `static` out of read-only memory and its
//!   fields from being folded. Measured on `bf --jit off` (every op is
//!   an array access): the first design (an atomic in the descriptor,
//!   accessors called out of line) took 1.7x the unchecked time, this
//!   one about 1.3x — the type and bounds compares themselves.
//! - **Null and indexes are checked**: null has type id 0, which no
//!   descriptor matches; array items are bounds-checked against the length.
//! - **References go into reference slots only through the `*_ref`
//!   functions**; raw bits into a reference slot are refused.
//!
//! Failures are [`HeapError`]s from the `try_*` functions, or a panic with
//! the same message from the plain ones (a VM bug, never reachable from a
//! correct VM's guest program). Compiled code pays nothing: the JIT emits
//! its own ops, and the framework's own executors of traces (the IR
//! interpreter, resume) use the unchecked `raw` functions.
//!
//! **Rooting** is enforced by the types where Rust structures hold
//! references: [`roots::Rooted`] borrows the structure it registers (it
//! can be neither changed behind the root's back, moved nor dropped while
//! rooted), and [`roots::Handle`] roots one reference for its lifetime.
//! References in Rust locals are found by the conservative stack scan,
//! which stays because the collector does not move objects (see `roots`).
//! Not enforced yet: a `GcRef` copied into a Rust heap structure that is
//! not rooted (a plain `Vec<GcRef>`) may dangle after a collection. The
//! design that closes it — a `GcRef<'scope>` branded by a handle scope
//! that collections need `&mut` of, with `Handle` as the way out of a
//! scope — needs every VM helper signature to carry the scope; it is the
//! generational collector's prerequisite and is listed as open work.
//! Also trusted: the words passed to residual helpers (`residual!`
//! converts argument words back to `GcRef`s; the framework and compiled
//! code pass only references there).

mod blocks;
pub mod gc;
mod large;
pub mod roots;
mod structs;
#[cfg(test)]
mod tests;
pub(crate) mod trace;
pub use gc::{collect, stats, GcStats};
pub use large::LARGE_OBJECT;
pub use structs::{count_refs, has_attr, ref_offsets};

use crate::ir::descr::NEVER_CACHED;
use crate::ir::{ArrayDescr, FieldDescr, Kind, SizeDescr, Verdict};
use std::sync::atomic::Ordering::Relaxed;

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
    /// The null reference.
    pub const NULL: GcRef = GcRef(0);

    /// # Safety
    /// `addr` must be 0 or the address of an object allocated by this heap.
    pub unsafe fn from_addr(addr: usize) -> GcRef {
        GcRef(addr)
    }
    #[inline]
    /// The object's address (0 for null).
    pub fn addr(self) -> usize {
        self.0
    }
    #[inline]
    /// Whether this is the null reference.
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
    /// The type id (`SizeDescr::tid` / `ArrayDescr::tid`).
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
        #[doc = concat!(
            "The built-in `", $str, "` array type (type id ", stringify!($tid), "): ",
            stringify!($size), "-byte `", stringify!($kind), "` items after the length word."
        )]
        pub static $name: ArrayDescr = ArrayDescr::new(
            $str,
            $tid,
            ARRAY_LEN_OFFSET,
            ARRAY_BASE_OFFSET,
            $size,
            $signed,
            Kind::$kind,
        )
        .with_verdict({
            static VERDICT: Verdict = Verdict::new();
            &VERDICT
        });
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

/// Why the heap refused an access through its checked API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeapError {
    /// The reference was null.
    Null {
        /// Name of the descriptor accessed through.
        descr: &'static str,
    },
    /// The object's type is not the descriptor's.
    WrongType {
        /// Name of the descriptor accessed through.
        descr: &'static str,
        /// The type id the descriptor belongs to.
        expected: u32,
        /// The type id in the object's header.
        found: u32,
    },
    /// The descriptor does not describe its type's registered layout (a
    /// field outside the object, over the header, misaligned, or of
    /// another kind than the slot: an integer over a reference).
    BadDescr {
        /// Name of the descriptor.
        descr: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// An array index outside `0..len`.
    IndexOutOfBounds {
        /// Name of the array descriptor.
        descr: &'static str,
        /// The index asked for.
        index: i64,
        /// The array's length.
        len: i64,
    },
    /// No type with this id was ever allocated.
    UnknownType {
        /// Name of the descriptor accessed through.
        descr: &'static str,
        /// The type id that is not registered.
        tid: u32,
    },
}

impl std::fmt::Display for HeapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeapError::Null { descr } => write!(f, "{descr}: access through a null reference"),
            HeapError::WrongType {
                descr,
                expected,
                found,
            } => write!(
                f,
                "{descr}: the object has type id {found:#x}, the descriptor is for {expected:#x}"
            ),
            HeapError::BadDescr { descr, why } => write!(f, "{descr}: bad descriptor: {why}"),
            HeapError::IndexOutOfBounds { descr, index, len } => {
                write!(f, "{descr}: index {index} out of bounds (length {len})")
            }
            HeapError::UnknownType { descr, tid } => {
                write!(f, "{descr}: type id {tid:#x} was never registered")
            }
        }
    }
}
impl std::error::Error for HeapError {}

#[cold]
#[inline(never)]
fn refused(e: HeapError) -> ! {
    panic!("heap access refused: {e}")
}

/// Whether descriptor `d`'s verdict slot holds its own key: the heap
/// found it valid for its type's registered layout before.
#[inline(always)]
fn vouched(checked: Option<&'static Verdict>, key: u64) -> bool {
    checked.is_some_and(|v| v.0.load(Relaxed) == key)
}

/// Remembers that a descriptor with this key is valid.
fn vouch(checked: Option<&'static Verdict>, key: u64) {
    if let (true, Some(v)) = (key != NEVER_CACHED, checked) {
        v.0.store(key, Relaxed);
    }
}

/// Whether `d` was checked for `obj`'s type before (one header load, one
/// compare): the inlined fast path of every field accessor.
#[inline(always)]
fn field_checked(obj: GcRef, d: &FieldDescr) -> bool {
    obj.tid() == d.owner && vouched(d.checked, d.key)
}

/// Checks that `d` may be used on `obj`, caching the verdict.
#[inline(always)]
fn check_field(obj: GcRef, d: &FieldDescr) -> Result<(), HeapError> {
    if field_checked(obj, d) {
        return Ok(());
    }
    check_field_slow(obj, d)
}

#[cold]
fn check_field_slow(obj: GcRef, d: &FieldDescr) -> Result<(), HeapError> {
    let descr = d.name;
    if obj.is_null() {
        return Err(HeapError::Null { descr });
    }
    let tid = obj.tid();
    if tid != d.owner {
        return Err(HeapError::WrongType {
            descr,
            expected: d.owner,
            found: tid,
        });
    }
    let bad = |why| Err(HeapError::BadDescr { descr, why });
    let Some(trace::Layout::Struct { size, refs }) = gc::layout_of(tid) else {
        return bad("the object's type is not a struct");
    };
    let (off, n) = (d.offset, d.size as usize);
    if !matches!(n, 1 | 2 | 4 | 8) {
        return bad("size is not 1, 2, 4 or 8");
    }
    if off < HEADER_SIZE || off.checked_add(n).is_none_or(|e| e > size) || !off.is_multiple_of(n) {
        return bad("the field is not an aligned part of the object after its header");
    }
    match d.kind {
        Kind::Ref if n != 8 || !refs.contains(&off) => {
            return bad("a reference field where the type has no reference slot")
        }
        Kind::Float if n != 8 => return bad("a float field of another size than 8"),
        Kind::Void => return bad("a void field"),
        Kind::Int | Kind::Float if refs.iter().any(|&r| r < off + n && off < r + 8) => {
            return bad("a non-reference field over a reference slot")
        }
        _ => {}
    }
    vouch(d.checked, d.key);
    Ok(())
}

/// Checks that `arr` is an array of `d`'s type and that `d` is that type's
/// registered layout.
#[inline(always)]
fn check_array(arr: GcRef, d: &ArrayDescr) -> Result<(), HeapError> {
    if array_checked(arr, d) {
        return Ok(());
    }
    check_array_slow(arr, d)
}

/// Whether `arr` is an array of checked descriptor `d`'s type: the
/// inlined fast path of every array accessor.
#[inline(always)]
fn array_checked(arr: GcRef, d: &ArrayDescr) -> bool {
    arr.tid() == d.tid && vouched(d.checked, d.key)
}

#[cold]
fn check_array_slow(arr: GcRef, d: &ArrayDescr) -> Result<(), HeapError> {
    let descr = d.name;
    if arr.is_null() {
        return Err(HeapError::Null { descr });
    }
    let tid = arr.tid();
    if tid != d.tid {
        return Err(HeapError::WrongType {
            descr,
            expected: d.tid,
            found: tid,
        });
    }
    check_array_descr(d)
}

/// Checks `d` against the layout its type registered (registering it
/// if it is new) and caches the verdict in `d`.
fn check_array_descr(d: &ArrayDescr) -> Result<(), HeapError> {
    let descr = d.name;
    let Some(l) = gc::layout_of(d.tid) else {
        return Err(HeapError::UnknownType { descr, tid: d.tid });
    };
    if l != trace::Layout::of_array(d) || d.kind == Kind::Void {
        return Err(HeapError::BadDescr {
            descr,
            why: "not the layout its type registered",
        });
    }
    vouch(d.checked, d.key);
    Ok(())
}

/// Registers the trace information of a struct type (backends call this
/// for the types they allocate inline; `new_struct` does it itself).
/// Panics on a layout the collector could not trace safely (reference
/// slots over the header, outside the object or misaligned), or on a
/// second, different layout for a type id already registered.
pub fn register_struct(d: &SizeDescr) {
    if !trace::known_struct(d.tid, trace::round(d.size)) {
        if let Err(why) = trace::Layout::validate_struct(d) {
            panic!("{}: cannot register the type: {why}", d.name);
        }
        gc::register(d.tid, trace::Layout::of_struct(d));
    }
}

/// Registers the trace information of an array type (panics as
/// [`register_struct`] does).
pub fn register_array(d: &ArrayDescr) {
    if !trace::known(d.tid) {
        if let Err(why) = trace::Layout::validate_array(d) {
            panic!("{}: cannot register the type: {why}", d.name);
        }
        gc::register(d.tid, trace::Layout::of_array(d));
    }
}

/// `new(descr=size)`: a zeroed struct of `d`'s type.
pub fn new_struct(d: &SizeDescr) -> GcRef {
    register_struct(d);
    alloc(d.size, d.tid)
}

/// `new_array(len, descr=array)`; `None` for a negative or absurd length.
/// Panics if `d` is not its type's registered layout.
pub fn new_array(d: &ArrayDescr, len: i64) -> Option<GcRef> {
    if !(0..=(1 << 40)).contains(&len) {
        return None;
    }
    register_array(d);
    if !vouched(d.checked, d.key) {
        if let Err(e) = check_array_descr(d) {
            refused(e)
        }
    }
    let r = alloc(d.base_offset + len as usize * d.item_size as usize, d.tid);
    // SAFETY: `r` was just allocated with room for the length word at
    // `d.len_offset` (checked against the registered layout above).
    unsafe { store(r, d.len_offset, 8, len as u64) };
    Some(r)
}

/// Reads `size` bytes at `obj + offset`, sign- or zero-extended to 64 bits.
///
/// # Safety
/// `obj` must be a live object and `[offset, offset + size)` an aligned
/// part of it after the header (its type's layout says so).
#[inline]
pub(crate) unsafe fn load(obj: GcRef, offset: usize, size: u8, signed: bool) -> u64 {
    let p = obj.0 + offset;
    // SAFETY: per this function's contract.
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
///
/// # Safety
/// As [`load`]; and a reference slot only gets a reference or null.
#[inline]
pub(crate) unsafe fn store(obj: GcRef, offset: usize, size: u8, bits: u64) {
    let p = obj.0 + offset;
    // SAFETY: per this function's contract.
    unsafe {
        match size {
            8 => *(p as *mut u64) = bits,
            4 => *(p as *mut u32) = bits as u32,
            2 => *(p as *mut u16) = bits as u16,
            _ => *(p as *mut u8) = bits as u8,
        }
    }
}

/// `getfield_gc`: reads field `d` of `obj`. Panics with a clear message
/// if `d` is not a field of `obj`'s type or `obj` is null
/// ([`try_getfield`] returns the error instead).
///
/// The fast path (a descriptor already checked for this type) is inlined
/// into the interpreter: one header load and one compare before the load
/// itself; everything else is out of line.
#[inline(always)]
pub fn getfield(obj: GcRef, d: &FieldDescr) -> u64 {
    if field_checked(obj, d) {
        // SAFETY: checked: `obj` is an object of `d`'s type, whose layout
        // has the field as an aligned part after the header.
        return unsafe { load(obj, d.offset, d.size, d.signed) };
    }
    getfield_slow(obj, d)
}

#[cold]
#[inline(never)]
fn getfield_slow(obj: GcRef, d: &FieldDescr) -> u64 {
    match try_getfield(obj, d) {
        Ok(v) => v,
        Err(e) => refused(e),
    }
}

/// `getfield_gc`, or why not.
#[inline]
pub fn try_getfield(obj: GcRef, d: &FieldDescr) -> Result<u64, HeapError> {
    check_field(obj, d)?;
    // SAFETY: checked: `obj` is an object of `d`'s type, whose layout has
    // the field as an aligned part after the header.
    Ok(unsafe { load(obj, d.offset, d.size, d.signed) })
}

/// `setfield_gc`: writes field `d` of `obj` (panics as [`getfield`]).
#[inline(always)]
pub fn setfield(obj: GcRef, d: &FieldDescr, bits: u64) {
    if field_checked(obj, d) && (d.kind != Kind::Ref || bits == 0) {
        // SAFETY: as in `getfield`; a reference slot gets only null here.
        unsafe { store(obj, d.offset, d.size, bits) };
        return;
    }
    setfield_slow(obj, d, bits)
}

#[cold]
#[inline(never)]
fn setfield_slow(obj: GcRef, d: &FieldDescr, bits: u64) {
    if let Err(e) = try_setfield(obj, d, bits) {
        refused(e)
    }
}

/// `setfield_gc`, or why not. A reference field takes the bits of a
/// [`GcRef`]: use [`setfield_ref`] to store one from safe code.
#[inline]
pub fn try_setfield(obj: GcRef, d: &FieldDescr, bits: u64) -> Result<(), HeapError> {
    check_field(obj, d)?;
    if d.kind == Kind::Ref && bits != 0 {
        return Err(HeapError::BadDescr {
            descr: d.name,
            why: "raw bits stored into a reference field (use setfield_ref)",
        });
    }
    // SAFETY: as in `try_getfield`; a reference slot gets only null here.
    unsafe { store(obj, d.offset, d.size, bits) };
    Ok(())
}

/// Stores a reference into reference field `d` of `obj`.
#[inline(always)]
pub fn setfield_ref(obj: GcRef, d: &FieldDescr, value: GcRef) {
    if !(field_checked(obj, d) && d.kind == Kind::Ref) {
        setfield_ref_check(obj, d)
    }
    // SAFETY: checked: a reference slot of an object of `d`'s type.
    unsafe { store(obj, d.offset, 8, value.addr() as u64) };
}

/// `setfield_ref`'s slow path: checks `d` for `obj` (caching the verdict)
/// and returns if it may be used, else panics with the reason.
#[cold]
#[inline(never)]
fn setfield_ref_check(obj: GcRef, d: &FieldDescr) {
    if let Err(e) = check_field(obj, d).and_then(|()| {
        if d.kind == Kind::Ref {
            Ok(())
        } else {
            Err(HeapError::BadDescr {
                descr: d.name,
                why: "a reference stored into a non-reference field",
            })
        }
    }) {
        refused(e)
    }
}

/// Reads a reference field.
#[inline(always)]
pub fn getfield_ref(obj: GcRef, d: &FieldDescr) -> GcRef {
    let w = getfield(obj, d);
    if d.kind != Kind::Ref {
        not_a_ref_field(d)
    }
    GcRef(w as usize)
}

#[cold]
#[inline(never)]
fn not_a_ref_field(d: &FieldDescr) -> ! {
    refused(HeapError::BadDescr {
        descr: d.name,
        why: "a reference read from a non-reference field",
    })
}

/// `arraylen_gc` (panics if `arr` is not an array of `d`'s type).
#[inline(always)]
pub fn arraylen(arr: GcRef, d: &ArrayDescr) -> i64 {
    if !array_checked(arr, d) {
        if let Err(e) = check_array_slow(arr, d) {
            refused(e)
        }
    }
    // SAFETY: checked: an array of `d`'s layout keeps its length there.
    unsafe { load(arr, d.len_offset, 8, true) as i64 }
}

#[inline(always)]
fn item_offset(arr: GcRef, d: &ArrayDescr, index: i64) -> Result<usize, HeapError> {
    check_array(arr, d)?;
    // SAFETY: checked as in `arraylen`.
    let len = unsafe { load(arr, d.len_offset, 8, true) as i64 };
    if index < 0 || index >= len {
        return Err(HeapError::IndexOutOfBounds {
            descr: d.name,
            index,
            len,
        });
    }
    Ok(d.base_offset + index as usize * d.item_size as usize)
}

/// The inlined fast path of the item accessors: the offset of item
/// `index` if `arr` is an array of checked descriptor `d` and the index is
/// inside it (one header load and compare, one length load and an
/// unsigned compare), else `None` and the caller takes its slow path.
#[inline(always)]
fn item_offset_fast(arr: GcRef, d: &ArrayDescr, index: i64) -> Option<usize> {
    if !array_checked(arr, d) {
        return None;
    }
    // SAFETY: checked as in `arraylen`.
    let len = unsafe { load(arr, d.len_offset, 8, true) };
    // One unsigned compare is `0 <= index < len` (a length is never negative).
    if (index as u64) < len {
        Some(d.base_offset + index as usize * d.item_size as usize)
    } else {
        None
    }
}

/// `getarrayitem_gc`: item `index` of `arr` (panics on a wrong type or an
/// index outside `0..len`; [`try_getarrayitem`] returns the error).
#[inline(always)]
pub fn getarrayitem(arr: GcRef, d: &ArrayDescr, index: i64) -> u64 {
    if let Some(off) = item_offset_fast(arr, d, index) {
        // SAFETY: checked: an item inside the array.
        return unsafe { load(arr, off, d.item_size, d.signed) };
    }
    getarrayitem_slow(arr, d, index)
}

#[cold]
#[inline(never)]
fn getarrayitem_slow(arr: GcRef, d: &ArrayDescr, index: i64) -> u64 {
    match try_getarrayitem(arr, d, index) {
        Ok(v) => v,
        Err(e) => refused(e),
    }
}

/// `getarrayitem_gc`, or why not.
#[inline]
pub fn try_getarrayitem(arr: GcRef, d: &ArrayDescr, index: i64) -> Result<u64, HeapError> {
    let off = item_offset(arr, d, index)?;
    // SAFETY: checked: an item inside the array.
    Ok(unsafe { load(arr, off, d.item_size, d.signed) })
}

/// `setarrayitem_gc` (panics as [`getarrayitem`]). Items of a reference
/// array take the bits of a [`GcRef`] or 0: use [`setarrayitem_ref`].
#[inline(always)]
pub fn setarrayitem(arr: GcRef, d: &ArrayDescr, index: i64, bits: u64) {
    if d.kind != Kind::Ref || bits == 0 {
        if let Some(off) = item_offset_fast(arr, d, index) {
            // SAFETY: checked: an item inside the array; a reference
            // item gets only null here.
            unsafe { store(arr, off, d.item_size, bits) };
            return;
        }
    }
    setarrayitem_slow(arr, d, index, bits)
}

#[cold]
#[inline(never)]
fn setarrayitem_slow(arr: GcRef, d: &ArrayDescr, index: i64, bits: u64) {
    if let Err(e) = try_setarrayitem(arr, d, index, bits) {
        refused(e)
    }
}

/// `setarrayitem_gc`, or why not.
#[inline]
pub fn try_setarrayitem(
    arr: GcRef,
    d: &ArrayDescr,
    index: i64,
    bits: u64,
) -> Result<(), HeapError> {
    let off = item_offset(arr, d, index)?;
    if d.kind == Kind::Ref && bits != 0 {
        return Err(HeapError::BadDescr {
            descr: d.name,
            why: "raw bits stored into a reference array (use setarrayitem_ref)",
        });
    }
    // SAFETY: checked: an item inside the array; reference items get null.
    unsafe { store(arr, off, d.item_size, bits) };
    Ok(())
}

/// Stores a reference into item `index` of a reference array.
#[inline(always)]
pub fn setarrayitem_ref(arr: GcRef, d: &ArrayDescr, index: i64, value: GcRef) {
    let off = match item_offset_fast(arr, d, index) {
        Some(o) if d.kind == Kind::Ref => o,
        _ => setarrayitem_ref_slow(arr, d, index),
    };
    // SAFETY: checked: a reference item inside the array.
    unsafe { store(arr, off, 8, value.addr() as u64) };
}

/// `setarrayitem_ref`'s slow path: the item's offset, or a panic saying
/// why the store is refused.
#[cold]
#[inline(never)]
fn setarrayitem_ref_slow(arr: GcRef, d: &ArrayDescr, index: i64) -> usize {
    match item_offset(arr, d, index) {
        Ok(o) if d.kind == Kind::Ref => o,
        Ok(_) => refused(HeapError::BadDescr {
            descr: d.name,
            why: "a reference stored into a non-reference array",
        }),
        Err(e) => refused(e),
    }
}

/// Reads a reference item.
#[inline(always)]
pub fn getarrayitem_ref(arr: GcRef, d: &ArrayDescr, index: i64) -> GcRef {
    let w = getarrayitem(arr, d, index);
    if d.kind != Kind::Ref {
        refused(HeapError::BadDescr {
            descr: d.name,
            why: "a reference read from a non-reference array",
        })
    }
    GcRef(w as usize)
}

/// RPython's `ll_arraycopy`: copies items `src[from..from + n]` to
/// `dst[to..to + n]` (both arrays of descriptor `d`, which must not hold
/// references; the ranges may overlap). Out-of-range indexes, arrays of
/// another type and reference arrays are VM bugs: they panic.
pub fn arraycopy(src: GcRef, from: usize, dst: GcRef, to: usize, n: usize, d: &ArrayDescr) {
    assert!(d.kind != Kind::Ref, "arraycopy of a reference array");
    let (ls, ld) = (arraylen(src, d) as usize, arraylen(dst, d) as usize);
    assert!(
        from.checked_add(n).is_some_and(|e| e <= ls) && to.checked_add(n).is_some_and(|e| e <= ld),
        "arraycopy out of bounds: {from}+{n} of {ls} to {to} of {ld}"
    );
    let item = d.item_size as usize;
    // SAFETY: both are live arrays of `d`'s registered layout (checked by
    // `arraylen`), the ranges were checked against their lengths, and the
    // items hold no references (`ptr::copy` handles overlap).
    unsafe {
        std::ptr::copy(
            (src.0 + d.base_offset + from * item) as *const u8,
            (dst.0 + d.base_offset + to * item) as *mut u8,
            n * item,
        );
    }
}

/// Copies the bytes `arr[from..from + out.len()]` of a byte array (`d`
/// has 1-byte, non-reference items: strings, bytes) into `out`: the bulk
/// read a VM's string helpers need instead of one checked load per byte.
/// Out-of-range indexes and other array types are VM bugs: they panic.
pub fn read_bytes(arr: GcRef, d: &ArrayDescr, from: usize, out: &mut [u8]) {
    assert!(
        d.kind != Kind::Ref && d.item_size == 1,
        "read_bytes of an array whose items are not bytes"
    );
    let len = arraylen(arr, d) as usize;
    assert!(
        from.checked_add(out.len()).is_some_and(|e| e <= len),
        "read_bytes out of bounds: {from}+{} of {len}",
        out.len()
    );
    // SAFETY: `arr` is a live array of `d`'s layout (checked by
    // `arraylen`) with 1-byte items, and the range was checked against its
    // length; `out` is a distinct Rust buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(
            (arr.0 + d.base_offset + from) as *const u8,
            out.as_mut_ptr(),
            out.len(),
        );
    }
}

/// Writes `bytes` into `arr[to..to + bytes.len()]` of a byte array (as
/// [`read_bytes`]; panics the same way).
pub fn write_bytes(arr: GcRef, d: &ArrayDescr, to: usize, bytes: &[u8]) {
    assert!(
        d.kind != Kind::Ref && d.item_size == 1,
        "write_bytes to an array whose items are not bytes"
    );
    let len = arraylen(arr, d) as usize;
    assert!(
        to.checked_add(bytes.len()).is_some_and(|e| e <= len),
        "write_bytes out of bounds: {to}+{} of {len}",
        bytes.len()
    );
    // SAFETY: as in `read_bytes`, with the roles swapped; byte items hold
    // no references, so no write barrier is due.
    unsafe {
        std::ptr::copy_nonoverlapping(
            bytes.as_ptr(),
            (arr.0 + d.base_offset + to) as *mut u8,
            bytes.len(),
        );
    }
}

/// Unchecked access for the framework's own executors of compiled traces
/// (the IR interpreter, resume): like machine code, they trust the trace,
/// whose ops came from checked interpreter code.
pub(crate) mod raw {
    use super::*;

    /// # Safety
    /// `obj` is a live object and `offset..offset + size` lies inside it.
    #[inline]
    pub unsafe fn load_at(obj: GcRef, offset: usize, size: u8, signed: bool) -> u64 {
        // SAFETY: per the contract.
        unsafe { load(obj, offset, size, signed) }
    }

    /// # Safety
    /// `obj` is a live object whose type has field `d`.
    #[inline]
    pub unsafe fn getfield(obj: GcRef, d: &FieldDescr) -> u64 {
        // SAFETY: per the contract.
        unsafe { load(obj, d.offset, d.size, d.signed) }
    }
    /// # Safety
    /// As [`getfield`]; a reference field gets a reference or null.
    #[inline]
    pub unsafe fn setfield(obj: GcRef, d: &FieldDescr, bits: u64) {
        // SAFETY: per the contract.
        unsafe { store(obj, d.offset, d.size, bits) }
    }
    /// # Safety
    /// `arr` is a live array of `d`'s layout.
    #[inline]
    pub unsafe fn arraylen(arr: GcRef, d: &ArrayDescr) -> i64 {
        // SAFETY: per the contract.
        unsafe { load(arr, d.len_offset, 8, true) as i64 }
    }
    /// # Safety
    /// As [`arraylen`], and `0 <= index < len`.
    #[inline]
    pub unsafe fn getarrayitem(arr: GcRef, d: &ArrayDescr, index: i64) -> u64 {
        let off = d.base_offset + index as usize * d.item_size as usize;
        // SAFETY: per the contract.
        unsafe { load(arr, off, d.item_size, d.signed) }
    }
    /// # Safety
    /// As [`getarrayitem`]; reference items get a reference or null.
    #[inline]
    pub unsafe fn setarrayitem(arr: GcRef, d: &ArrayDescr, index: i64, bits: u64) {
        let off = d.base_offset + index as usize * d.item_size as usize;
        // SAFETY: per the contract.
        unsafe { store(arr, off, d.item_size, bits) }
    }
}

/// Rust types that may be fields of a `gc_struct!`.
pub trait GcField {
    /// The IR kind a load of such a field produces.
    const KIND: Kind;
    /// Whether loads sign-extend (signed integer types).
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
