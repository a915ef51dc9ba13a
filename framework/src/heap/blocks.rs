//! The block space: small objects, bump-allocated into aligned blocks.
//!
//! Owns: getting blocks from and returning them to the OS, the walk over a
//! block's objects, the sweep that turns dead space into fillers and
//! reusable *holes*, and the object lookup conservative roots need.
//!
//! Layout invariant — every block is *walkable*: from its first byte to its
//! end it is a sequence of objects and fillers (tid 0, size in `flags`), each
//! sized by its header. Bump allocation keeps it: the allocation region is
//! retired (its unused tail becomes a filler) before any walk, and the sweep
//! replaces each maximal run of dead objects by one filler. A run of at
//! least `MIN_HOLE` bytes is also recorded as a hole, which the allocator
//! later uses as a bump region (zeroing it first), so partially live blocks
//! are reused without moving anything. Blocks with nothing live go back to
//! the free pool, and the pool beyond what the next cycle can use goes back
//! to the OS — that is what makes the heap shrink.
//!
//! Blocks are `BLOCK_SIZE`-aligned so "which block holds address `a`" is a
//! mask, and conservative lookups only walk blocks a candidate hits.

use super::trace::{Types, FILLER_TID};
use super::GcHeader;
use hashbrown::{HashMap, HashSet};

/// Bytes per block (and their alignment).
pub const BLOCK_SIZE: usize = 128 * 1024;
/// Dead runs shorter than this stay fillers until a neighbour dies too.
pub const MIN_HOLE: usize = 256;

/// Maps a fresh zeroed block from the OS.
#[cfg(unix)]
fn os_alloc() -> Option<usize> {
    // Over-map by one block and trim to get the alignment; the trimmed
    // pieces go straight back, so only one block stays mapped.
    let len = 2 * BLOCK_SIZE;
    // SAFETY: an anonymous private mapping, no file or fixed address.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return None;
    }
    let p = p as usize;
    let start = p.next_multiple_of(BLOCK_SIZE);
    // SAFETY: both ranges lie inside the mapping just made and are unused.
    unsafe {
        if start > p {
            libc::munmap(p as *mut libc::c_void, start - p);
        }
        let end = start + BLOCK_SIZE;
        if p + len > end {
            libc::munmap(end as *mut libc::c_void, p + len - end);
        }
    }
    Some(start)
}

#[cfg(unix)]
fn os_free(block: usize) {
    // SAFETY: `block` was mapped by `os_alloc` and holds no live object.
    unsafe { libc::munmap(block as *mut libc::c_void, BLOCK_SIZE) };
}

#[cfg(not(unix))]
fn block_layout() -> std::alloc::Layout {
    std::alloc::Layout::from_size_align(BLOCK_SIZE, BLOCK_SIZE).expect("block layout")
}
#[cfg(not(unix))]
fn os_alloc() -> Option<usize> {
    // SAFETY: non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(block_layout()) } as usize;
    (p != 0).then_some(p)
}
#[cfg(not(unix))]
fn os_free(block: usize) {
    // SAFETY: allocated by `os_alloc` with the same layout.
    unsafe { std::alloc::dealloc(block as *mut u8, block_layout()) };
}

/// Writes a filler header covering `[at, at + size)`.
pub fn write_filler(at: usize, size: usize) {
    debug_assert!(size >= 8 && size.is_multiple_of(8) && size <= BLOCK_SIZE);
    // SAFETY: callers pass dead or unused space inside a block they own,
    // 8-aligned and at least a header long.
    unsafe {
        *(at as *mut GcHeader) = GcHeader {
            tid: FILLER_TID,
            flags: size as u32,
        }
    };
}

/// Zeroes `[start, end)` (a hole about to be bump-allocated into).
pub fn zero(start: usize, end: usize) {
    // SAFETY: holes and pooled blocks are dead space owned by the heap.
    unsafe { std::ptr::write_bytes(start as *mut u8, 0, end - start) };
}

#[derive(Default)]
pub struct BlockSpace {
    /// Blocks holding objects (every one walkable).
    pub used: Vec<usize>,
    index: HashSet<usize>,
    /// Empty blocks kept for reuse (contents are garbage until zeroed).
    pool: Vec<usize>,
    /// Reusable dead runs found by the last sweep: (start, end).
    holes: Vec<(usize, usize)>,
    /// Object starts of the blocks conservative lookups walked in this
    /// collection (cleared by every sweep).
    starts: HashMap<usize, Vec<usize>>,
    /// Lowest and highest address of any block, for a cheap first filter.
    pub lo: usize,
    pub hi: usize,
}

impl BlockSpace {
    /// The next bump region of at least `min` and at most about `max`
    /// bytes: a hole, a pooled block or a fresh one. Only the part handed
    /// out is zeroed; the rest is put back as a hole (behind a filler).
    /// `None` only when the OS refuses memory.
    pub fn next_region(&mut self, min: usize, max: usize) -> Option<(usize, usize)> {
        let (s, e) = loop {
            match self.holes.pop() {
                Some((s, e)) if e - s >= min => break (s, e),
                // Too small for this request: it stays a filler.
                Some(_) => continue,
                None => {}
            }
            let b = match self.pool.pop() {
                Some(b) => b,
                None => os_alloc()?,
            };
            self.used.push(b);
            self.index.insert(b);
            if self.lo == 0 || b < self.lo {
                self.lo = b;
            }
            self.hi = self.hi.max(b + BLOCK_SIZE);
            break (b, b + BLOCK_SIZE);
        };
        let cut = s + max.max(min).next_multiple_of(8);
        let end = if cut + MIN_HOLE <= e {
            write_filler(cut, e - cut);
            self.holes.push((cut, e));
            cut
        } else {
            e
        };
        zero(s, end);
        Some((s, end))
    }

    pub fn mapped_bytes(&self) -> usize {
        (self.used.len() + self.pool.len()) * BLOCK_SIZE
    }

    /// Walks the objects and fillers of `block`: `f(addr, size, tid)`.
    pub fn walk(types: &Types, block: usize, mut f: impl FnMut(usize, usize, u32)) {
        let mut p = block;
        while p < block + BLOCK_SIZE {
            // SAFETY: blocks are walkable (module invariant), so p is the
            // start of an object or filler.
            let size = unsafe { types.size_at(p) };
            // SAFETY: as above.
            let tid = unsafe { (*(p as *const GcHeader)).tid };
            assert!(
                size >= 8 && p + size <= block + BLOCK_SIZE,
                "heap corrupted: object at {p:#x} (tid {tid}) has size {size}"
            );
            f(p, size, tid);
            p += size;
        }
    }

    /// The start of the (non-filler) object containing `addr`, if `addr`
    /// points into a block at all.
    pub fn find(&mut self, types: &Types, addr: usize) -> Option<usize> {
        if addr < self.lo || addr >= self.hi {
            return None;
        }
        let block = addr & !(BLOCK_SIZE - 1);
        if !self.index.contains(&block) {
            return None;
        }
        let starts = self.starts.entry(block).or_insert_with(|| {
            let mut v = Vec::new();
            Self::walk(types, block, |a, _, tid| {
                if tid != FILLER_TID {
                    v.push(a)
                }
            });
            v
        });
        let i = starts.partition_point(|&s| s <= addr);
        let start = *starts.get(i.checked_sub(1)?)?;
        // SAFETY: start is an object start in a walkable block.
        let size = unsafe { types.size_at(start) };
        (addr < start + size).then_some(start)
    }

    /// Drops the object-start tables of conservative lookups: they are
    /// only valid until the next allocation.
    pub fn forget_starts(&mut self) {
        self.starts.clear();
    }

    /// Is `addr` the start of a non-filler object in a block?
    pub fn is_object(&mut self, types: &Types, addr: usize) -> bool {
        self.find(types, addr) == Some(addr)
    }

    /// Sweeps every block: unmarked objects become fillers (coalesced),
    /// runs of at least `MIN_HOLE` become holes, empty blocks go to the
    /// pool. A block the mark found nothing in (`marked`, by index from
    /// `lo`) goes to the pool without a walk; it counts as wholly freed.
    /// Returns (live bytes, freed bytes).
    pub fn sweep(&mut self, types: &Types, mark: u32, marked: &[bool]) -> (usize, usize) {
        self.starts.clear();
        self.holes.clear();
        let (mut live, mut freed) = (0, 0);
        let mut keep = Vec::with_capacity(self.used.len());
        for &b in &self.used {
            if !marked
                .get((b - self.lo) / BLOCK_SIZE)
                .copied()
                .unwrap_or(true)
            {
                freed += BLOCK_SIZE;
                self.index.remove(&b);
                self.pool.push(b);
                continue;
            }
            let mut block_live = 0;
            let mut run: Option<usize> = None;
            let mut holes = Vec::new();
            let close = |run: &mut Option<usize>, end: usize, holes: &mut Vec<_>| {
                if let Some(s) = run.take() {
                    write_filler(s, end - s);
                    if end - s >= MIN_HOLE {
                        holes.push((s, end));
                    }
                }
            };
            Self::walk(types, b, |a, size, tid| {
                // SAFETY: a is an object or filler header in this block.
                let h = unsafe { &mut *(a as *mut GcHeader) };
                if tid != FILLER_TID && h.flags & mark != 0 {
                    h.flags &= !mark;
                    block_live += size;
                    close(&mut run, a, &mut holes);
                } else {
                    if tid != FILLER_TID {
                        freed += size;
                    }
                    run.get_or_insert(a);
                }
            });
            close(&mut run, b + BLOCK_SIZE, &mut holes);
            if block_live == 0 {
                self.index.remove(&b);
                self.pool.push(b);
            } else {
                live += block_live;
                keep.push(b);
                self.holes.extend(holes);
            }
        }
        self.used = keep;
        // Allocate low addresses first (pop takes the last).
        self.holes.sort_unstable_by(|a, b| b.cmp(a));
        (live, freed)
    }

    /// Returns pooled blocks beyond `keep` to the OS.
    pub fn trim_pool(&mut self, keep: usize) {
        while self.pool.len() > keep {
            os_free(self.pool.pop().expect("pool is non-empty"));
        }
        let (lo, hi) = self
            .used
            .iter()
            .chain(&self.pool)
            .fold((usize::MAX, 0), |(lo, hi), &b| {
                (lo.min(b), hi.max(b + BLOCK_SIZE))
            });
        (self.lo, self.hi) = if hi == 0 { (0, 0) } else { (lo, hi) };
    }

    /// Free bytes in holes (reusable without a new block).
    pub fn hole_bytes(&self) -> usize {
        self.holes.iter().map(|(s, e)| e - s).sum()
    }
}
