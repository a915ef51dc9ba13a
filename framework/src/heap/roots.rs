//! Where the collector's roots come from (DESIGN §8).
//!
//! Owns: [`Handle`] (references held by Rust code), the root registry
//! ([`Rooted`]: type-erased pointer + visiting function, pushed while a
//! structure holding references is in use), and the conservative scan of
//! the native stack and callee-saved registers.
//!
//! Two kinds of roots, and why both:
//!
//! - **Precise, registered roots** for everything that lives in the Rust
//!   heap, where no stack scan can see it: the interpreter frames a portal
//!   runs (warmstate registers each frame with a visitor built from
//!   `Interp::map_frame`), the VM's own references (`Interp::trace_roots`),
//!   the recorder's frames/trace constants, dead frames and the words of
//!   virtuals being materialized at deopt, the llgraph backend's value
//!   array, the pending exception, and [`Handle`]s (VM globals, the
//!   constants of compiled code).
//! - **Conservative roots** from the native stack of the collecting thread,
//!   between the collector's frame and the top of the thread's stack, with
//!   the callee-saved registers spilled into that range first. This covers
//!   compiled code (values live across a call are in callee-saved
//!   registers or in the jitframe's spill slots, which live on the native
//!   stack — see `jit-backend-x86/src/frame.rs`), every runtime helper and
//!   slow path between it and the collector, and the references a VM's
//!   `step` holds in Rust locals across an allocation (`let a = pop();
//!   let b = new(..)`) — the case RPython solves with a shadow stack, which
//!   Rust code cannot be rewritten to maintain.
//!
//! Conservative scanning is safe because the collector never moves
//! objects: a word that merely looks like a pointer only keeps an object
//! alive, it is never rewritten. Interior pointers (an optimized `step`
//! may keep `obj + offset` instead of `obj`) keep their object alive too.
//! It cannot stop the heap from shrinking: the scanned range is the live
//! part of one thread's stack, so at most a stack's worth of stale words
//! can retain garbage, independent of how much the program allocates.
//!
//! A registered visitor may read a frame while the interpreter holds a
//! `&mut` to it (the collector runs inside `step`'s allocation call). The
//! compiler may keep a just-written field in a register across that call;
//! the stack scan sees it there, so a stale read of the frame loses
//! nothing. Visitors must not allocate guest objects.

use super::GcRef;
use std::cell::RefCell;
use std::marker::PhantomData;

/// Slots with a free list: registering and unregistering are O(1) however
/// many are live (a recursion 100000 guest calls deep registers a frame
/// per call; a scan for a free slot would make it quadratic).
struct Slots<T> {
    slots: Vec<Option<T>>,
    /// Indexes freed below the end (may be stale: re-checked on use).
    free: Vec<usize>,
}

impl<T> Slots<T> {
    const fn new() -> Slots<T> {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    fn insert(&mut self, v: T) -> usize {
        while let Some(i) = self.free.pop() {
            if i < self.slots.len() && self.slots[i].is_none() {
                self.slots[i] = Some(v);
                return i;
            }
        }
        self.slots.push(Some(v));
        self.slots.len() - 1
    }

    /// Frees slot `i`; trailing free slots are dropped (LIFO use keeps
    /// the table as long as the live registrations).
    fn remove(&mut self, i: usize) {
        self.slots[i] = None;
        if i + 1 == self.slots.len() {
            while matches!(self.slots.last(), Some(None)) {
                self.slots.pop();
            }
        } else {
            self.free.push(i);
        }
        if self.free.len() > 2 * self.slots.len() + 16 {
            let n = self.slots.len();
            self.free.retain(|&f| f < n);
        }
    }

    fn live(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
    }
}

thread_local! {
    static HANDLES: RefCell<Slots<GcRef>> = const { RefCell::new(Slots::new()) };
}

/// A GC reference held by Rust code, registered as a root while it lives.
#[derive(Debug)]
pub struct Handle {
    slot: usize,
}

impl Handle {
    /// Registers `r` as a root until the handle is dropped.
    pub fn new(r: GcRef) -> Handle {
        HANDLES.with(|h| Handle {
            slot: h.borrow_mut().insert(r),
        })
    }
    /// The reference held (the collector does not move objects, so it is
    /// the one given to [`Handle::new`]).
    pub fn get(&self) -> GcRef {
        HANDLES.with(|h| h.borrow().slots[self.slot].unwrap_or(GcRef::NULL))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        HANDLES.with(|h| h.borrow_mut().remove(self.slot));
    }
}

/// Calls `f` on every reference held by a live [`Handle`].
pub fn for_each_handle(mut f: impl FnMut(GcRef)) {
    HANDLES.with(|h| h.borrow().live().for_each(|r| f(*r)));
}

/// A root visitor: gets the structure and reports each word that may be a
/// reference (null, non-heap words and interior pointers are fine).
pub type Visit<T> = fn(&T, &mut dyn FnMut(usize));

#[derive(Clone, Copy)]
struct Entry {
    data: *const (),
    visit: *const (),
    tramp: unsafe fn(*const (), *const (), &mut dyn FnMut(usize)),
}

thread_local! {
    static REGISTRY: RefCell<Slots<Entry>> = const { RefCell::new(Slots::new()) };
}

/// # Safety
/// `data` must point at a live `T` and `visit` be a `Visit<T>`.
unsafe fn tramp<T>(data: *const (), visit: *const (), f: &mut dyn FnMut(usize)) {
    // SAFETY: `Rooted::new` stored a `Visit<T>` as `visit`.
    let visit: Visit<T> = unsafe { std::mem::transmute::<*const (), Visit<T>>(visit) };
    // SAFETY: `Rooted` keeps `data` borrowed (so alive and in place) for as
    // long as the entry is registered.
    visit(unsafe { &*(data as *const T) }, f)
}

/// A structure registered as a root for as long as this guard lives. The
/// guard takes the structure's `&mut` borrow (so it can neither move nor be
/// dropped meanwhile) and gives it back through `Deref`/`DerefMut`.
pub struct Rooted<'a, T> {
    ptr: *mut T,
    slot: usize,
    _borrow: PhantomData<&'a mut T>,
}

impl<'a, T> Rooted<'a, T> {
    /// Registers `data` as a root, scanned with `visit` at every
    /// collection until the guard is dropped.
    pub fn new(data: &'a mut T, visit: Visit<T>) -> Rooted<'a, T> {
        let ptr = data as *mut T;
        let e = Entry {
            data: ptr as *const (),
            visit: visit as *const (),
            tramp: tramp::<T>,
        };
        let slot = REGISTRY.with(|r| r.borrow_mut().insert(e));
        Rooted {
            ptr,
            slot,
            _borrow: PhantomData,
        }
    }
}

impl<T> std::ops::Deref for Rooted<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: ptr comes from the `&'a mut T` this guard holds.
        unsafe { &*self.ptr }
    }
}
impl<T> std::ops::DerefMut for Rooted<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { &mut *self.ptr }
    }
}

impl<T> Drop for Rooted<'_, T> {
    fn drop(&mut self) {
        REGISTRY.with(|r| r.borrow_mut().remove(self.slot));
    }
}

/// A [`Visit`] for word arrays whose every word may be a reference (dead
/// frames, value arrays of the IR interpreter): scanned conservatively.
#[allow(clippy::ptr_arg)] // used as a `Visit<Vec<u64>>` fn pointer
pub fn visit_words(v: &Vec<u64>, f: &mut dyn FnMut(usize)) {
    v.iter().for_each(|w| f(*w as usize));
}

/// A red reference in any representation (`Repr::Ref`): the word the
/// collector should see. Lets VM code generic over the mode root its
/// temporary vectors of references with [`root_refs`].
pub trait RefWord {
    /// The address the collector should treat as a possible reference (0
    /// for the value-less `()` of the [`Shape`](crate::ctx::Shape) representation).
    fn ref_word(&self) -> usize;
}
impl RefWord for GcRef {
    fn ref_word(&self) -> usize {
        self.addr()
    }
}
impl RefWord for () {
    fn ref_word(&self) -> usize {
        0
    }
}

#[allow(clippy::ptr_arg)] // used as a `Visit<Vec<X>>` fn pointer
fn visit_ref_words<X: RefWord>(v: &Vec<X>, f: &mut dyn FnMut(usize)) {
    v.iter().for_each(|r| f(r.ref_word()));
}

/// Roots a Rust vector of references (e.g. call arguments popped off a
/// frame's stack) while the VM allocates before storing them somewhere the
/// collector sees: `let args = root_refs(&mut args);`. Works for
/// `Vec<C::Ref>` in generic `step` code, in direct and recording mode.
pub fn root_refs<X: RefWord>(v: &mut Vec<X>) -> Rooted<'_, Vec<X>> {
    Rooted::new(v, visit_ref_words::<X>)
}

/// Number of live registrations (tests).
pub fn registered() -> usize {
    REGISTRY.with(|r| r.borrow().live().count())
}

/// Every precise root: handles, registered structures, the pending
/// exception. Registered visitors run without any heap borrow held.
pub(super) fn precise_roots(out: &mut dyn FnMut(usize)) {
    for_each_handle(|r| out(r.addr()));
    let entries: Vec<Entry> = REGISTRY.with(|r| r.borrow().live().copied().collect());
    for e in entries {
        // SAFETY: entries are removed when their `Rooted` drops, so `data`
        // is live and `visit` matches it.
        unsafe { (e.tramp)(e.data, e.visit, out) };
    }
    if let Some(r) = crate::exc::peek() {
        out(r.addr());
    }
}

/// The top (highest address) of this thread's stack.
#[cfg(target_os = "linux")]
fn stack_top() -> usize {
    thread_local! {
        static TOP: usize = {
            // SAFETY: pthread_getattr_np fills `attr` for the calling
            // thread; it is destroyed after reading the stack range.
            unsafe {
                let mut attr: libc::pthread_attr_t = std::mem::zeroed();
                let mut addr: *mut libc::c_void = std::ptr::null_mut();
                let mut size: libc::size_t = 0;
                let ok = libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0
                    && libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
                libc::pthread_attr_destroy(&mut attr);
                assert!(ok, "cannot find this thread's stack for the collector");
                addr as usize + size
            }
        };
    }
    TOP.with(|t| *t)
}

#[cfg(not(target_os = "linux"))]
compile_error!("the collector's stack scan needs the thread's stack bounds: add this OS to heap::roots::stack_top");

/// Spills the callee-saved registers into this frame, then scans the stack
/// from here to the top, reporting every word to `f` (generic so the
/// caller's filter is inlined into the loop: stacks are long).
#[inline(never)]
pub(super) fn scan_stack<F: FnMut(usize)>(mut f: F) {
    let mut regs = [0usize; 12];
    spill_registers(&mut regs);
    let regs = std::hint::black_box(regs);
    let lo = regs.as_ptr() as usize;
    let hi = stack_top();
    assert!(lo < hi, "collector runs outside this thread's stack");
    let mut p = lo;
    while p < hi {
        // SAFETY: [lo, hi) is the used part of this thread's stack (our
        // frame up to the top), mapped and readable; reads are aligned.
        f(unsafe { std::ptr::read_volatile(p as *const usize) });
        p += std::mem::size_of::<usize>();
    }
    std::hint::black_box(&regs);
}

#[inline(always)]
fn spill_registers(regs: &mut [usize; 12]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: stores the callee-saved registers into `regs` (12 words, we
    // write 6); touches nothing else.
    unsafe {
        std::arch::asm!(
            "mov [{0}], rbx",
            "mov [{0} + 8], rbp",
            "mov [{0} + 16], r12",
            "mov [{0} + 24], r13",
            "mov [{0} + 32], r14",
            "mov [{0} + 40], r15",
            in(reg) regs.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: stores x19-x29 (the callee-saved integer registers and the
    // frame pointer) into `regs` (12 words, we write 11).
    unsafe {
        std::arch::asm!(
            "stp x19, x20, [{0}]",
            "stp x21, x22, [{0}, #16]",
            "stp x23, x24, [{0}, #32]",
            "stp x25, x26, [{0}, #48]",
            "stp x27, x28, [{0}, #64]",
            "str x29, [{0}, #80]",
            in(reg) regs.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    compile_error!("heap::roots::spill_registers: add this architecture's callee-saved registers");
}
