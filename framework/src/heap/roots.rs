//! The root API the collector (GC issue) will use. Nothing collects yet;
//! what is fixed here is *where roots come from*, so VMs and backends are
//! written against it from the start:
//!
//! - **Interpreter frames.** The framework owns every frame a portal is
//!   running (see `warmstate`), and `Interp::map_frame` already enumerates a
//!   frame's reds by kind; the collector walks frames with a mapper that
//!   visits each `Ref`. A VM keeps no GC reference outside its frames, its
//!   heap objects, or [`Handle`]s.
//! - **Rust-held handles.** [`Handle`] registers a reference in a
//!   thread-local root list for as long as it lives (VM globals, constant
//!   tables, interned strings).
//! - **Compiled code.** References live in compiled code are in the trace's
//!   variables; at every point that may collect (calls that may allocate,
//!   allocation slow paths) backends spill them to the JIT frame and record
//!   which slots hold refs (a gcmap), like PyPy's `jitframe`.
//! - **Dead frames.** Values of a failed guard are rooted while resume data
//!   is being rebuilt.

use super::GcRef;
use std::cell::RefCell;

thread_local! {
    static HANDLES: RefCell<Vec<Option<GcRef>>> = const { RefCell::new(Vec::new()) };
}

/// A GC reference held by Rust code, registered as a root while it lives.
#[derive(Debug)]
pub struct Handle {
    slot: usize,
}

impl Handle {
    pub fn new(r: GcRef) -> Handle {
        HANDLES.with(|h| {
            let mut h = h.borrow_mut();
            if let Some(slot) = h.iter().position(|s| s.is_none()) {
                h[slot] = Some(r);
                Handle { slot }
            } else {
                h.push(Some(r));
                Handle { slot: h.len() - 1 }
            }
        })
    }
    pub fn get(&self) -> GcRef {
        HANDLES.with(|h| h.borrow()[self.slot].unwrap_or(GcRef::NULL))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        HANDLES.with(|h| h.borrow_mut()[self.slot] = None);
    }
}

/// Calls `f` on every reference held by a live [`Handle`].
pub fn for_each_handle(mut f: impl FnMut(GcRef)) {
    HANDLES.with(|h| h.borrow().iter().flatten().for_each(|r| f(*r)));
}
