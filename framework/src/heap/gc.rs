//! The collector: a non-moving, stop-the-world mark-sweep over bump-
//! allocated blocks, with a growth policy tied to the live size.
//!
//! Owns: the thread's heap state (block space, large space, type table),
//! the `Nursery` bump region JIT code allocates from inline, the
//! allocation slow path, collection (`collect`), the stress and verify
//! modes (`METATRACE_GC=stress,verify`), statistics and `gc` log events.
//!
//! Why this design:
//! - **Non-moving mark-sweep** is the baseline DESIGN §8 asks for, and it
//!   makes conservative stack roots safe (see `roots`): nothing a scanned
//!   word points at ever moves. A moving nursery would need precise stack
//!   maps for every Rust frame between compiled code and the collector,
//!   which Rust cannot give us.
//! - **Bump allocation** into blocks and holes keeps the fast path to a
//!   compare and an add, the same instruction sequence the x86 backend
//!   inlines (`nursery_free` / `nursery_top`, PyPy's names, even though
//!   the region is not a generational nursery: here it is the current
//!   block or hole).
//! - **No barriers**: with stop-the-world, non-incremental, non-generational
//!   marking nothing needs to observe mutator writes, so neither the
//!   interpreter nor compiled code emits write barriers.
//! - **Growth policy**: a collection starts once the bytes allocated since
//!   the last one exceed `max(MIN_BUDGET, live * GROWTH)`; after the sweep,
//!   free blocks beyond that budget go back to the OS. So the heap is at
//!   most about `(1 + GROWTH) * live + MIN_BUDGET` plus fragmentation, and
//!   it shrinks again after a phase with a large live set ends.
//!
//! Re-entrancy: root visitors run VM code (`map_frame`), so the heap's
//! `RefCell` is never borrowed while roots are gathered; a collection is
//! two borrows (retire the bump region; then mark, sweep, apply the
//! policy and publish the new region limit) around the root gathering.
//! Visitors must not allocate guest objects: an object allocated while
//! roots are gathered is not a root itself and would be swept.
//!
//! Costs, honestly: marking is proportional to the live data plus the
//! scanned stack; the sweep walks every object and filler header in the
//! used blocks (proportional to the heap, as in any non-moving sweep), so
//! a program with a tiny live set pays about one header read per dead
//! object. A side mark bitmap or Immix-style line marks would avoid
//! touching dead objects; not done yet.

use super::blocks::{self, BlockSpace, BLOCK_SIZE};
use super::large::{LargeSpace, LARGE_OBJECT};
use super::trace::{Layout, Types, FILLER_TID};
use super::{roots, GcHeader, GcRef};
use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// The mark bit in `GcHeader::flags`.
pub const MARK: u32 = 1;

/// Bytes allocated between collections at least.
pub const MIN_BUDGET: usize = 4 << 20;
/// Allocation between collections may reach `live * GROWTH`, so the heap
/// peaks near `(1 + GROWTH) * live`. Each collection marks the whole live
/// set (no generations), so the factor is the trade between marking work
/// per allocated byte and memory (PyPy's major collections start at
/// 1.82 x live; with 1.0, minipy's listdict bench spent 45% of its time
/// marking).
const GROWTH: f64 = 1.82;

/// The bump region, at a fixed address per thread (leaked, so compiled
/// code may bake the address in). `free` is the next free byte, `top` the
/// end of the region as the fast path sees it (equal to `free` in stress
/// mode, so every allocation takes the slow path and collects).
#[repr(C)]
pub struct Nursery {
    /// Address of the next free byte of the bump region.
    pub free: Cell<usize>,
    /// End of the region as the allocation fast path sees it: an
    /// allocation of `n` bytes takes the fast path when `free + n <= top`.
    pub top: Cell<usize>,
}

/// Byte offsets of the `Nursery` fields (for backends).
pub const NURSERY_FREE: usize = std::mem::offset_of!(Nursery, free);
/// Byte offset of [`Nursery::top`] (see [`NURSERY_FREE`]).
pub const NURSERY_TOP: usize = std::mem::offset_of!(Nursery, top);

thread_local! {
    static NURSERY: &'static Nursery = Box::leak(Box::new(Nursery {
        free: Cell::new(0),
        top: Cell::new(0),
    }));
    static HEAP: RefCell<Heap> = RefCell::new(Heap::new());
}

#[inline]
pub(super) fn nursery() -> &'static Nursery {
    NURSERY.with(|n| *n)
}

/// Address of this thread's `Nursery`, for compiled code.
pub fn nursery_addr() -> usize {
    nursery() as *const Nursery as usize
}

/// Counters for `jit-summary` and tools.
#[derive(Clone, Debug, Default)]
pub struct GcStats {
    /// Number of collections run.
    pub collections: u64,
    /// Total time spent collecting.
    pub gc_time: Duration,
    /// The longest single collection.
    pub max_pause: Duration,
    /// Bytes handed out since the thread started.
    pub bytes_allocated: u64,
    /// Bytes reclaimed by all collections so far.
    pub bytes_freed: u64,
    /// Live bytes after the last collection.
    pub live_bytes: usize,
    /// Bytes mapped for blocks plus large objects now.
    pub heap_bytes: usize,
    /// The largest `heap_bytes` seen.
    pub peak_heap_bytes: usize,
}

struct Heap {
    blocks: BlockSpace,
    large: LargeSpace,
    types: Types,
    /// Start and real end of the current bump region (0 when retired).
    region_start: usize,
    limit: usize,
    /// Bytes of retired regions and large objects since the last collection.
    since_gc: usize,
    budget: usize,
    stress: bool,
    /// `--jit verify`: every allocation's (address, size) while a check
    /// runs (the fast path is closed meanwhile, as in stress mode).
    alloc_log: Option<Vec<(usize, usize)>>,
    verify: bool,
    log_events: bool,
    events: Vec<String>,
    stats: GcStats,
    mark_stack: Vec<usize>,
    /// Per block of `blocks` (by `(addr - lo) / BLOCK_SIZE`): whether the
    /// mark found anything in it. The sweep frees wholly dead blocks
    /// without walking their objects — most blocks, when short-lived
    /// garbage dominates.
    block_marks: Vec<bool>,
    collecting: bool,
}

impl Heap {
    fn new() -> Heap {
        let mode = std::env::var("METATRACE_GC").unwrap_or_default();
        let has = |w: &str| mode.split(',').any(|m| m.trim() == w);
        Heap {
            blocks: BlockSpace::default(),
            large: LargeSpace::default(),
            types: Types::default(),
            region_start: 0,
            limit: 0,
            since_gc: 0,
            budget: MIN_BUDGET,
            stress: has("stress"),
            alloc_log: None,
            verify: has("verify"),
            log_events: false,
            events: Vec::new(),
            stats: GcStats::default(),
            mark_stack: Vec::new(),
            block_marks: Vec::new(),
            collecting: false,
        }
    }

    /// What the fast path may use: all of the region, or nothing (stress).
    fn publish(&self) {
        let n = nursery();
        n.top.set(if self.stress || self.alloc_log.is_some() {
            n.free.get()
        } else {
            self.limit
        });
    }

    /// Ends the current region: its unused tail becomes a filler.
    fn retire_region(&mut self) {
        let n = nursery();
        if self.limit != 0 {
            let free = n.free.get();
            if free < self.limit {
                blocks::write_filler(free, self.limit - free);
            }
            self.since_gc += free - self.region_start;
            self.stats.bytes_allocated += (free - self.region_start) as u64;
        }
        self.region_start = 0;
        self.limit = 0;
        n.free.set(0);
        n.top.set(0);
    }

    fn used_since_gc(&self) -> usize {
        let region = if self.limit != 0 {
            nursery().free.get() - self.region_start
        } else {
            0
        };
        self.since_gc + region
    }

    fn should_collect(&self, size: usize) -> bool {
        !self.collecting && (self.stress || self.used_since_gc() + size > self.budget)
    }

    /// Bump-allocates `size` bytes, refilling the region as needed.
    fn alloc_small(&mut self, size: usize, tid: u32) -> Option<usize> {
        let n = nursery();
        let mut free = n.free.get();
        if self.limit == 0 || free + size > self.limit {
            self.retire_region();
            // Stress mode retires the region at every allocation: hand out
            // small regions so each does not zero a whole block.
            let max = if self.stress { 512 } else { BLOCK_SIZE };
            let (s, e) = self.blocks.next_region(size, max)?;
            self.region_start = s;
            self.limit = e;
            free = s;
        }
        n.free.set(free + size);
        self.publish();
        if let Some(log) = &mut self.alloc_log {
            log.push((free, size));
        }
        // SAFETY: [free, free+size) is zeroed region space handed out once.
        unsafe { (*(free as *mut GcHeader)).tid = tid };
        self.note_heap_size();
        Some(free)
    }

    fn alloc_large(&mut self, size: usize, tid: u32) -> Option<usize> {
        let a = self.large.alloc(size)?;
        if let Some(log) = &mut self.alloc_log {
            log.push((a, size));
        }
        self.since_gc += size;
        self.stats.bytes_allocated += size as u64;
        // SAFETY: a fresh zeroed allocation of `size` >= 8 bytes.
        unsafe { (*(a as *mut GcHeader)).tid = tid };
        self.note_heap_size();
        Some(a)
    }

    fn note_heap_size(&mut self) {
        let now = self.blocks.mapped_bytes() + self.large.bytes;
        self.stats.heap_bytes = now;
        self.stats.peak_heap_bytes = self.stats.peak_heap_bytes.max(now);
    }

    /// The object a root word points into, if any.
    fn find(&mut self, w: usize) -> Option<usize> {
        self.blocks
            .find(&self.types, w)
            .or_else(|| self.large.find(w))
    }

    fn mark_obj(&mut self, a: usize) {
        // SAFETY: a is an object start (found by `find` or read from a
        // traced reference slot of a live object).
        let h = unsafe { &mut *(a as *mut GcHeader) };
        debug_assert_ne!(h.tid, FILLER_TID, "marking a filler at {a:#x}");
        if h.flags & MARK == 0 {
            h.flags |= MARK;
            note_block(&mut self.block_marks, self.blocks.lo, a);
            self.mark_stack.push(a);
        }
    }

    fn mark(&mut self, roots: &mut Vec<usize>) {
        self.blocks.forget_starts();
        let span = self.blocks.hi.saturating_sub(self.blocks.lo) / BLOCK_SIZE;
        self.block_marks.clear();
        self.block_marks.resize(span, false);
        // Stacks repeat the same references many times: look each up once.
        roots.sort_unstable();
        roots.dedup();
        for &w in roots.iter() {
            if let Some(a) = self.find(w) {
                self.mark_obj(a);
            }
        }
        if self.verify {
            let mut slots = Vec::new();
            while let Some(a) = self.mark_stack.pop() {
                slots.clear();
                // SAFETY: a is a marked object start.
                unsafe { self.types.for_each_ref(a, |s| slots.push(s)) };
                for &s in &slots {
                    // SAFETY: s is a reference slot inside a live object.
                    let r = unsafe { *(s as *const usize) };
                    if r != 0 {
                        self.check_ref(a, r);
                        self.mark_obj(r);
                    }
                }
            }
            return;
        }
        // The hot loop: objects without references (boxed numbers, byte
        // arrays — most of a typical heap) are marked without a trip
        // through the stack.
        let types = &self.types;
        let stack = &mut self.mark_stack;
        let (marks, lo) = (&mut self.block_marks, self.blocks.lo);
        while let Some(a) = stack.pop() {
            // SAFETY: a is a marked object start; its reference slots hold
            // null or object starts (the heap invariant).
            unsafe {
                types.for_each_ref(a, |s| {
                    let r = *(s as *const usize);
                    if r != 0 {
                        let h = &mut *(r as *mut GcHeader);
                        if h.flags & MARK == 0 {
                            h.flags |= MARK;
                            note_block(marks, lo, r);
                            if types.has_refs(h.tid) {
                                stack.push(r);
                            }
                        }
                    }
                })
            };
        }
    }

    fn check_ref(&mut self, from: usize, r: usize) {
        let ok = self.blocks.is_object(&self.types, r) || self.large.find(r) == Some(r);
        assert!(
            ok,
            "gc verify: object {from:#x} refers to {r:#x}, which is not a heap object"
        );
        // SAFETY: r is an object start (just checked).
        let tid = unsafe { (*(r as *const GcHeader)).tid };
        assert!(
            self.types.get(tid).is_some(),
            "gc verify: object {r:#x} has unknown type id {tid}"
        );
    }

    /// After a sweep: every block walks cleanly, no mark bit is left, and
    /// every reference of every surviving object points at a surviving
    /// object with a registered type.
    fn verify_heap(&mut self) {
        let mut objs = Vec::new();
        for &b in &self.blocks.used {
            BlockSpace::walk(&self.types, b, |a, _, tid| {
                if tid != FILLER_TID {
                    objs.push(a)
                }
            });
        }
        objs.extend(self.large.iter().map(|(a, _)| a));
        for a in objs {
            // SAFETY: a is an object start from the walk above.
            let h = unsafe { *(a as *const GcHeader) };
            assert_eq!(h.flags & MARK, 0, "gc verify: mark bit left at {a:#x}");
            assert!(
                self.types.get(h.tid).is_some(),
                "gc verify: {a:#x} has unknown type id {}",
                h.tid
            );
            let mut slots = Vec::new();
            // SAFETY: as above.
            unsafe { self.types.for_each_ref(a, |s| slots.push(s)) };
            for s in slots {
                // SAFETY: a reference slot of a live object.
                let r = unsafe { *(s as *const usize) };
                if r != 0 {
                    self.check_ref(a, r);
                }
            }
        }
    }
}

fn with_heap<R>(f: impl FnOnce(&mut Heap) -> R) -> R {
    HEAP.with(|h| f(&mut h.borrow_mut()))
}

fn out_of_memory(size: usize) -> ! {
    std::alloc::handle_alloc_error(
        std::alloc::Layout::from_size_align(size.max(1), 8).expect("layout"),
    )
}

/// The allocation slow path: maybe collect, then allocate `size` (already
/// rounded) bytes with type id `tid` (zeroed, header written).
#[inline(never)]
pub(super) fn alloc_slow(size: usize, tid: u32) -> usize {
    maybe_collect(size);
    let a = with_heap(|h| {
        if size >= LARGE_OBJECT {
            h.alloc_large(size, tid)
        } else {
            h.alloc_small(size, tid)
        }
    });
    a.unwrap_or_else(|| out_of_memory(size))
}

/// The slow path of a merged allocation (several objects of one trace
/// bumped at once): `size` zeroed bytes (a multiple of 8, below
/// `LARGE_OBJECT`) from the bump region, covered by a filler header until
/// the caller writes the objects' headers — which it must do before
/// anything else can allocate. Afterwards `nursery_free` is exactly the
/// end of the block, which compiled code relies on to find the members.
pub fn alloc_group(size: usize) -> usize {
    assert!(
        size < LARGE_OBJECT && size & 7 == 0 && size >= 8,
        "bad merged allocation size {size}"
    );
    maybe_collect(size);
    let a = with_heap(|h| h.alloc_small(size, FILLER_TID)).unwrap_or_else(|| out_of_memory(size));
    blocks::write_filler(a, size);
    a
}

thread_local! {
    /// Open `NoCollect` scopes; collections asked for meanwhile wait.
    static NO_COLLECT: Cell<u32> = const { Cell::new(0) };
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// A stretch of Rust code during which allocation never collects (like
/// RPython's `rgc.no_collect`): for code that keeps `GcRef`s where the
/// collector cannot see them — in a `Vec` or a map, across allocations.
/// A collection that comes due meanwhile runs at the next [`safepoint`]
/// (or allocation) after the last scope closes. Residual calls run in one
/// (`residual!`), so builtins may juggle references freely; keep other
/// scopes short, the heap only grows while one is open. Scopes nest.
pub struct NoCollect(());

impl NoCollect {
    /// Opens a scope; it closes when the value is dropped.
    #[allow(clippy::new_without_default)]
    pub fn new() -> NoCollect {
        no_collect_enter();
        NoCollect(())
    }
}

impl Drop for NoCollect {
    fn drop(&mut self) {
        no_collect_exit();
    }
}

/// Opens a [`NoCollect`] scope without a guard (for scopes that are not
/// lexical, e.g. one interpreter step with a portal call inside that must
/// be collectable: exit before the call, enter after).
pub fn no_collect_enter() {
    NO_COLLECT.with(|n| n.set(n.get() + 1));
}

/// Closes a scope opened by [`no_collect_enter`].
pub fn no_collect_exit() {
    NO_COLLECT.with(|n| n.set(n.get().saturating_sub(1)));
}

/// Collects if the budget says so, or defers it inside a `NoCollect`.
fn maybe_collect(size: usize) {
    if with_heap(|h| h.should_collect(size)) {
        if NO_COLLECT.with(|n| n.get()) > 0 {
            DEFERRED.with(|d| d.set(true));
        } else {
            collect();
        }
    }
}

/// Runs a collection that came due inside a [`NoCollect`] scope, if no
/// scope is open now. VMs call this where only rooted references are live
/// (e.g. between instructions).
pub fn safepoint() {
    if NO_COLLECT.with(|n| n.get()) == 0 && DEFERRED.with(|d| d.replace(false)) {
        collect();
    }
}

/// Registers the trace information of `tid` (idempotent).
pub(super) fn register(tid: u32, l: Layout) {
    // Heaps are per thread, descriptors are per process (and cache the
    // checks they passed): so every thread must agree on each type's
    // layout. The first registration in the process fixes it.
    static LAYOUTS: std::sync::Mutex<Option<hashbrown::HashMap<u32, Layout>>> =
        std::sync::Mutex::new(None);
    {
        let mut g = LAYOUTS.lock().unwrap_or_else(|e| e.into_inner());
        let old = *g
            .get_or_insert_with(Default::default)
            .entry(tid)
            .or_insert(l);
        assert_eq!(old, l, "two different types share the type id {tid}");
    }
    with_heap(|h| h.types.insert(tid, l));
}

/// The registered layout of `tid`, if any.
pub(crate) fn layout_of(tid: u32) -> Option<Layout> {
    with_heap(|h| h.types.get(tid).copied())
}

/// Runs a full collection now.
pub fn collect() {
    let t0 = Instant::now();
    let (already, lo, hi) = with_heap(|h| {
        let already = h.collecting;
        h.collecting = true;
        h.retire_region();
        let (llo, lhi) = h.large.range();
        let (blo, bhi) = (h.blocks.lo, h.blocks.hi);
        let lo = if llo == 0 {
            blo
        } else if blo == 0 {
            llo
        } else {
            blo.min(llo)
        };
        (already, lo, bhi.max(lhi))
    });
    if already {
        return;
    }
    // Most stack words are not heap addresses: drop them before the
    // (sorting) lookup, without a branch per word (stack words are random
    // enough to defeat the predictor).
    let mut cands = Vec::with_capacity(1024);
    let span = hi.wrapping_sub(lo);
    roots::precise_roots(&mut |w| {
        if w.wrapping_sub(lo) < span {
            cands.push(w)
        }
    });
    let mut n = cands.len();
    roots::scan_stack(|w| {
        if n == cands.len() {
            cands.resize(2 * n + 1024, 0);
        }
        cands[n] = w;
        n += (w.wrapping_sub(lo) < span) as usize;
    });
    cands.truncate(n);
    with_heap(|h| {
        let before = h.blocks.mapped_bytes() + h.large.bytes;
        let allocated = h.since_gc;
        h.mark(&mut cands);
        let (live_s, freed_s) = h.blocks.sweep(&h.types, MARK, &h.block_marks);
        let (live_l, freed_l) = h.large.sweep(MARK);
        if h.verify {
            h.verify_heap();
            h.blocks.forget_starts();
        }
        let live = live_s + live_l;
        h.budget = MIN_BUDGET.max((live as f64 * GROWTH) as usize);
        // Keep enough empty blocks for the next cycle's small objects
        // (beyond the holes), give the rest back to the OS.
        let keep = h.budget.saturating_sub(h.blocks.hole_bytes()) / BLOCK_SIZE;
        h.blocks.trim_pool(keep);
        h.since_gc = 0;
        h.collecting = false;
        let pause = t0.elapsed();
        let s = &mut h.stats;
        s.collections += 1;
        s.gc_time += pause;
        s.max_pause = s.max_pause.max(pause);
        s.bytes_freed += (freed_s + freed_l) as u64;
        s.live_bytes = live;
        h.note_heap_size();
        if h.log_events {
            let after = h.stats.heap_bytes;
            h.events.push(format!(
                "collection {}: allocated {} B since last, freed {} B, live {} B \
                 ({} large objects), heap {} -> {} B, roots {}, pause {:.6} s",
                h.stats.collections,
                allocated,
                freed_s + freed_l,
                live,
                h.large.len(),
                before,
                after,
                cands.len(),
                pause.as_secs_f64()
            ));
        }
        h.publish();
    });
}

/// This thread's collector statistics.
pub fn stats() -> GcStats {
    with_heap(|h| {
        let mut s = h.stats.clone();
        if h.limit != 0 {
            s.bytes_allocated += (nursery().free.get() - h.region_start) as u64;
        }
        s
    })
}

/// Stress mode: collect at every allocation (also `METATRACE_GC=stress`).
pub fn set_stress(on: bool) {
    with_heap(|h| {
        h.stress = on;
        h.publish();
    });
}

/// Verify mode: check heap consistency during and after every collection
/// (also `METATRACE_GC=verify`).
pub fn set_verify(on: bool) {
    with_heap(|h| h.verify = on);
}

/// Whether stress mode is on (see [`set_stress`]).
pub fn stress() -> bool {
    with_heap(|h| h.stress)
}

/// Turns recording of `gc` log events on or off (the JIT driver does this
/// when its log selects the `gc` category, and drains them into its log).
pub fn set_logging(on: bool) {
    with_heap(|h| h.log_events = on);
}

/// Takes the `gc` events recorded since the last call.
pub fn take_events() -> Vec<String> {
    with_heap(|h| std::mem::take(&mut h.events))
}

/// Is `r` a live object of this heap (start of an object, not a filler)?
/// For tests and debugging; walks a block.
pub fn is_live_object(r: GcRef) -> bool {
    with_heap(|h| {
        // The current region's tail is not walkable: retire it first.
        h.retire_region();
        let Heap {
            blocks,
            types,
            large,
            ..
        } = h;
        blocks.forget_starts();
        blocks.is_object(types, r.addr()) || large.find(r.addr()) == Some(r.addr())
    })
}

/// Records that the mark found an object at `a` (a block object, or a
/// large object: those fall outside the blocks' range, or into no used
/// block's slot, and are ignored by the sweep of blocks).
#[inline]
fn note_block(marks: &mut [bool], lo: usize, a: usize) {
    if let Some(m) = marks.get_mut(a.wrapping_sub(lo) / BLOCK_SIZE) {
        *m = true;
    }
}

/// Starts logging every allocation of this thread (`--jit verify`): the
/// allocation fast path is closed until [`alloc_log_take`], so inline
/// allocations of compiled code are logged too.
pub(crate) fn alloc_log_start() {
    with_heap(|h| {
        h.alloc_log = Some(Vec::new());
        h.publish();
    })
}

/// Stops logging allocations: the (address, size) of each since
/// [`alloc_log_start`].
pub(crate) fn alloc_log_take() -> Vec<(usize, usize)> {
    with_heap(|h| {
        let v = h.alloc_log.take().unwrap_or_default();
        h.publish();
        v
    })
}
