//! The large-object space: objects of `LARGE_OBJECT` bytes or more.
//!
//! Owns: one system allocation per large object, the address-ordered index
//! used for conservative (interior) lookups, and their sweep.
//!
//! Why separate: a large array bump-allocated into a block would waste the
//! block's tail and pin a whole block per array; individually allocated, a
//! dead large object goes straight back to the system allocator, so the
//! heap shrinks when big arrays die.

use super::GcHeader;
use std::alloc::Layout;
use std::collections::BTreeMap;

/// Objects at least this big live here.
pub const LARGE_OBJECT: usize = 8 * 1024;

#[derive(Default)]
pub struct LargeSpace {
    /// start → size.
    objs: BTreeMap<usize, usize>,
    pub bytes: usize,
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 16).expect("large object size fits a Layout")
}

impl LargeSpace {
    /// A zeroed object of `size` bytes (a multiple of 8), or `None` when the
    /// system is out of memory.
    pub fn alloc(&mut self, size: usize) -> Option<usize> {
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc_zeroed(layout(size)) } as usize;
        if p == 0 {
            return None;
        }
        self.objs.insert(p, size);
        self.bytes += size;
        Some(p)
    }

    /// Lowest and highest address of any large object (0, 0 when empty).
    pub fn range(&self) -> (usize, usize) {
        match (self.objs.first_key_value(), self.objs.last_key_value()) {
            (Some((&lo, _)), Some((&last, &size))) => (lo, last + size),
            _ => (0, 0),
        }
    }

    /// The object containing `addr`, if any.
    pub fn find(&self, addr: usize) -> Option<usize> {
        let (&start, &size) = self.objs.range(..=addr).next_back()?;
        (addr < start + size).then_some(start)
    }

    pub fn len(&self) -> usize {
        self.objs.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.objs.iter().map(|(a, s)| (*a, *s))
    }

    /// Frees unmarked objects and clears the mark of the others. Returns
    /// (live bytes, freed bytes).
    pub fn sweep(&mut self, mark: u32) -> (usize, usize) {
        let (mut live, mut freed) = (0, 0);
        self.objs.retain(|&a, &mut size| {
            // SAFETY: every indexed address is a live large object.
            let h = unsafe { &mut *(a as *mut GcHeader) };
            if h.flags & mark != 0 {
                h.flags &= !mark;
                live += size;
                true
            } else {
                // SAFETY: allocated in `alloc` with the same layout, and
                // unreachable (unmarked after a full mark).
                unsafe { std::alloc::dealloc(a as *mut u8, layout(size)) };
                freed += size;
                false
            }
        });
        self.bytes = live;
        (live, freed)
    }
}
