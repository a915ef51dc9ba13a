//! # metatrace-aarch64
//!
//! The AArch64 backend of Metatrace (DESIGN §7): compiles IR traces to
//! native ARMv8-A code with dynasm and implements
//! [`metatrace::backend::Backend`] with exactly the semantics of the IR
//! interpreter (`llgraph`) — the third implementation of the one backend
//! contract, beside llgraph and x86-64, and shaped like the x86-64 crate
//! so that a fix in one is easy to find in the other.
//!
//! Module map (each module's first lines say what it owns):
//! - [`frame`]: the native frame layout and register roles (AAPCS64).
//! - [`emit`]: locations, loads/stores at any offset, moves, condition
//!   codes, the parallel move.
//! - [`regalloc`]: liveness and linear-scan register allocation over
//!   x0-x14, x19-x27 and d0-d29.
//! - [`assemble`]: instruction selection for every op, labels, jumps
//!   (allocations and calls in its `alloc` and `calls` children).
//! - [`guard`]: guard exit stubs and the per-guard jump slots.
//! - [`codemem`]: immutable executable mappings (with the instruction
//!   cache maintenance AArch64 needs) and data words.
//! - [`entry`]: the entry trampoline (Rust → compiled code).
//! - [`malloc`]: inline bump allocation and its slow-path stubs.
//! - [`runtime`](metatrace::backend::runtime): `extern "C"` helpers compiled code calls (allocation).
//! - [`disasm`]: yaxpeax-arm listings for `jit-backend` logs.
//!
//! How the pieces fit: a loop is an `extern "C" fn(buf) -> guard id`. Its
//! inputargs come from `buf`; a failing guard's stub writes the fail args
//! back into `buf` and branches through the guard's slot — to the exit
//! epilogue, or to a bridge once one is attached (the bridge reloads its
//! inputargs from `buf`). All traces of one activation share the native
//! frame the loop's prologue built, so `jump` to a label of any installed
//! trace is a few moves and a `br`. `invalidate` sets the loop's flag word,
//! which every `guard_not_invalidated` of the loop and its bridges tests —
//! also from inside a running activation, through an [`Invalidator`].
//!
//! W^X and patching: code memory is written once, through a mapping that
//! is not executable, then flipped to read+execute after the instruction
//! cache is synchronized (`codemem`); it is never written again. Attaching
//! a bridge and invalidating a loop change *data* words that the code
//! loads (guard slots, the flag word), with single aligned 8-byte stores,
//! so there is no code patching to make safe: no cross-modifying-code
//! rules, no cache maintenance after compilation, and a running
//! activation sees either the old or the new target, both valid.
//!
//! Comparisons feeding only the next guard are fused into `cmp` +
//! `b.cond`; an `*_ovf` op leaves its condition in the flags for the
//! following overflow guard. Calls follow AAPCS64; `new*` ops
//! bump-allocate inline ([`malloc`]) and call [`runtime`](metatrace::backend::runtime) only on the slow
//! path. No write barrier is emitted: the collector is non-generational
//! and non-moving (see `metatrace::heap::gc`), as on x86-64.
//!
//! Compiled code captures thread-local addresses (the pending-exception
//! slot, the heap), so a backend and its code belong to the thread that
//! created them: `Aarch64Backend` is neither `Send` nor `Sync`.
//!
//! `call_assembler_*` calls the callee's compiled entry directly once the
//! framework knows it (`AssemblerDescr::target`), with its buffer on the
//! caller's native stack; otherwise it calls the descr's helper. References
//! live in compiled frames are found by the collector's conservative stack
//! scan (which also spills x19-x28 before scanning).
//!
//! Tested on x86-64 hosts under qemu-user: `cargo test --target
//! aarch64-unknown-linux-gnu -p metatrace-tests` runs the backend
//! conformance, call and random-trace suites against llgraph
//! (`.cargo/config.toml` sets the cross linker and the qemu runner).

// dynasm's aarch64 front end expands every dynamic register operand
// (`X(r)`, `D(r)`) to `r.into()` on a `u8`; the lint fires inside the
// macro expansion, not on code we wrote.
#![allow(clippy::useless_conversion)]
#![warn(missing_docs)]

pub mod assemble;
pub mod codemem;
pub mod disasm;
pub mod emit;
pub mod entry;
pub mod frame;
pub mod guard;
pub mod malloc;
pub mod regalloc;

use assemble::{Assembled, Ctx, Entry, TargetInfo};
use codemem::{CodeBlock, DataArea};
use hashbrown::HashMap;
use metatrace::backend::profile::{CodeRegion, TraceKey};
use metatrace::backend::{Backend, CompileError, DeadFrame, LoopId};
use metatrace::ir::{GuardId, TargetToken, Trace};
use std::cell::RefCell;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A handle that invalidates one loop (and its bridges) without access to
/// the backend — e.g. from a residual call that writes a quasi-immutable
/// field while compiled code is running. The running activation's next
/// `guard_not_invalidated` fails: the guards test the word each time.
#[derive(Clone)]
pub struct Invalidator {
    flag: Rc<AtomicU64>,
}

impl Invalidator {
    /// Invalidates the handle's loop and its bridges: the next
    /// `guard_not_invalidated` they run fails (safe to call while compiled
    /// code runs).
    pub fn invalidate(&self) {
        self.flag.store(1, Ordering::Release);
    }
}

/// One installed trace (the loop itself or a bridge).
struct TraceRec {
    code: CodeBlock,
    /// Guard slots of this trace.
    data: DataArea,
    notes: Vec<(usize, String)>,
    /// See `Assembled::op_starts`.
    op_starts: Vec<(u32, u32)>,
    title: String,
}

struct LoopRec {
    /// Non-zero once the loop is invalidated; shared with `Invalidator`s.
    flag: Rc<AtomicU64>,
    /// `traces[0]` is the loop, the rest its bridges (in compile order).
    traces: Vec<TraceRec>,
}

/// Where a guard (or finish) lives (how many values it leaves is in
/// `Tables::nvalues`).
struct GuardRec {
    owner: LoopId,
    trace: usize,
    /// Slot index in that trace's data area (`None` for `finish`).
    slot: Option<usize>,
}

struct TargetRec {
    owner: LoopId,
    info: TargetInfo,
}

/// The AArch64 backend. Its tables sit in a `RefCell`: compiled code may
/// re-enter the framework (`call_assembler`), which compiles and attaches
/// bridges while an activation runs; `execute` borrows them only before
/// entering the code and after it returns.
pub struct Aarch64Backend {
    tables: RefCell<Tables>,
    /// Inline bump allocation (default; `METATRACE_GC_INLINE=off` or
    /// [`Aarch64Backend::set_inline_alloc`] turn it off for measurements).
    inline_alloc: bool,
    /// Keep annotated listings of the traces compiled from now on
    /// (`Backend::set_listing`).
    listing: std::cell::Cell<bool>,
    /// Dead-frame buffer sizes of the activations running now (innermost
    /// last): code installed meanwhile must not write past any of them.
    running: RefCell<Vec<usize>>,
    /// Smallest buffer (words) any installed direct `call_assembler` call
    /// gives its callee: the most words a trace may need from then on.
    direct_cap: std::cell::Cell<usize>,
    /// Dead-frame buffers of finished activations, for reuse.
    pool: RefCell<Vec<Vec<u64>>>,
    _thread_bound: PhantomData<*const ()>,
}

/// The smallest dead-frame buffer `execute` hands to compiled code.
const MIN_BUF: usize = 256;

/// The smallest buffer a direct `call_assembler` call gives its callee
/// (on the native stack: 1 KiB per nested call).
const MIN_DIRECT_WORDS: usize = 128;

/// One running activation's buffer size, popped when it returns (also
/// when a panic unwinds through `execute`).
struct Running<'a>(&'a RefCell<Vec<usize>>);

impl<'a> Running<'a> {
    fn enter(stack: &'a RefCell<Vec<usize>>, words: usize) -> Running<'a> {
        stack.borrow_mut().push(words);
        Running(stack)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.borrow_mut().pop();
    }
}

struct Tables {
    loops: HashMap<LoopId, LoopRec>,
    guards: HashMap<GuardId, GuardRec>,
    targets: HashMap<TargetToken, TargetRec>,
    /// `execute`'s hash-free lookups (it runs once per `call_assembler`):
    /// entry address by loop id (0: none) and dead-frame size by guard id.
    entries: Vec<usize>,
    nvalues: Vec<u32>,
    /// Largest number of dead-frame words any installed trace uses.
    max_words: usize,
}

impl Default for Aarch64Backend {
    fn default() -> Self {
        Aarch64Backend::new()
    }
}

impl Aarch64Backend {
    /// A backend with nothing compiled yet.
    pub fn new() -> Aarch64Backend {
        Aarch64Backend {
            tables: RefCell::new(Tables {
                loops: HashMap::new(),
                guards: HashMap::new(),
                targets: HashMap::new(),
                entries: Vec::new(),
                nvalues: Vec::new(),
                max_words: 1,
            }),
            inline_alloc: std::env::var("METATRACE_GC_INLINE").map_or(true, |v| v != "off"),
            listing: std::cell::Cell::new(true),
            running: RefCell::new(Vec::new()),
            direct_cap: std::cell::Cell::new(usize::MAX),
            pool: RefCell::new(Vec::new()),
            _thread_bound: PhantomData,
        }
    }

    /// Turns the inline allocation fast path on or off for traces
    /// compiled from now on.
    pub fn set_inline_alloc(&mut self, on: bool) {
        self.inline_alloc = on;
    }

    /// A handle to invalidate loop `id` later (see [`Invalidator`]).
    pub fn invalidator(&self, id: LoopId) -> Option<Invalidator> {
        self.tables.borrow().loops.get(&id).map(|lp| Invalidator {
            flag: lp.flag.clone(),
        })
    }

    /// Assembles and installs `trace`; returns the record and metadata.
    fn build(
        &self,
        trace: &Trace,
        entry: Entry,
        inval_flag: usize,
        title: String,
    ) -> Result<(TraceRec, Assembled), CompileError> {
        metatrace::ir::verify::verify(trace).map_err(|e| CompileError(e.to_string()))?;
        let data = DataArea::new(assemble::count_guards(trace));
        let lookup = |t: TargetToken| self.tables.borrow().targets.get(&t).map(|r| r.info.clone());
        // Direct `call_assembler` buffers: room for twice the largest dead
        // frame so far, and at least `MIN_DIRECT_WORDS`. Once code with
        // such calls is installed, no trace may need more words than its
        // buffer (`direct_cap`) — a callee could jump into it.
        let max_words = self.tables.borrow().max_words;
        let direct_words = (2 * max_words)
            .max(MIN_DIRECT_WORDS)
            .min(self.direct_cap.get());
        let ctx = Ctx {
            targets: &lookup,
            direct_words,
            inval_flag,
            exc_slot: metatrace::exc::slot_addr(),
            forced_slot: metatrace::exc::forced_slot_addr(),
            guard_slots: data.addr(),
            nursery: metatrace::heap::gc::nursery_addr(),
            inline_alloc: self.inline_alloc,
            listing: self.listing.get(),
        };
        let out = assemble::assemble(trace, entry, &ctx)?;
        let cap = if out.direct_calls {
            direct_words
        } else {
            self.direct_cap.get()
        };
        if out.max_words > cap {
            return Err(CompileError(format!(
                "the trace's dead frame needs {} words, more than direct call_assembler buffers hold ({cap})",
                out.max_words
            )));
        }
        if let Some(&room) = self.running.borrow().iter().min() {
            if out.max_words > room {
                return Err(CompileError(format!(
                    "the trace's dead frame needs {} words, more than a running activation's buffer holds ({room})",
                    out.max_words
                )));
            }
        }
        let code = CodeBlock::install(&out.bytes)
            .map_err(|e| CompileError(format!("cannot map code memory: {e}")))?;
        self.direct_cap.set(cap);
        let exit = (code.addr() + out.exit_offset) as u64;
        for g in &out.guards {
            data.set(g.slot, exit);
        }
        let notes = out.notes.clone();
        let op_starts = out.op_starts.clone();
        Ok((
            TraceRec {
                code,
                data,
                notes,
                op_starts,
                title,
            },
            out,
        ))
    }
}

impl Tables {
    /// Publishes guards, finishes and labels of trace `index` of `owner`.
    fn register(&mut self, owner: LoopId, index: usize, rec: &TraceRec, out: &Assembled) {
        let exits = out.guards.iter().map(|g| (g.id, g.nvalues));
        for (id, n) in exits.chain(out.finishes.iter().copied()) {
            let i = id.0 as usize;
            if self.nvalues.len() <= i {
                self.nvalues.resize(i + 1, 0);
            }
            self.nvalues[i] = n as u32;
        }
        for g in &out.guards {
            self.guards.insert(
                g.id,
                GuardRec {
                    owner,
                    trace: index,
                    slot: Some(g.slot),
                },
            );
        }
        for &(id, _) in &out.finishes {
            self.guards.insert(
                id,
                GuardRec {
                    owner,
                    trace: index,
                    slot: None,
                },
            );
        }
        for (token, off, locs) in &out.labels {
            let info = TargetInfo {
                addr: rec.code.addr() + off,
                locs: locs.clone(),
                frame: out.frame,
            };
            self.targets.insert(*token, TargetRec { owner, info });
        }
        self.max_words = self.max_words.max(out.max_words);
    }
}

impl Backend for Aarch64Backend {
    fn name(&self) -> &'static str {
        "aarch64"
    }

    fn compile_loop(&self, id: LoopId, trace: &Trace) -> Result<(), CompileError> {
        self.free(id);
        let flag = Rc::new(AtomicU64::new(0));
        let (rec, out) = self.build(
            trace,
            Entry::Loop,
            flag.as_ptr() as usize,
            format!("loop {}", id.0),
        )?;
        let mut t = self.tables.borrow_mut();
        t.register(id, 0, &rec, &out);
        let i = id.0 as usize;
        if t.entries.len() <= i {
            t.entries.resize(i + 1, 0);
        }
        t.entries[i] = rec.code.addr();
        t.loops.insert(
            id,
            LoopRec {
                flag,
                traces: vec![rec],
            },
        );
        Ok(())
    }

    fn compile_bridge(&self, guard: GuardId, trace: &Trace) -> Result<(), CompileError> {
        let (owner, gtrace, slot) = match self.tables.borrow().guards.get(&guard) {
            Some(GuardRec {
                owner,
                trace,
                slot: Some(slot),
                ..
            }) => (*owner, *trace, *slot),
            Some(_) => return Err(CompileError(format!("<Guard{}> is a finish", guard.0))),
            None => return Err(CompileError(format!("no compiled guard {}", guard.0))),
        };
        let flag = self.tables.borrow().loops[&owner].flag.as_ptr() as usize;
        let title = format!("bridge from <Guard{}> of loop {}", guard.0, owner.0);
        let (rec, out) = self.build(trace, Entry::Bridge, flag, title)?;
        let mut t = self.tables.borrow_mut();
        let index = t.loops[&owner].traces.len();
        t.register(owner, index, &rec, &out);
        let entry = rec.code.addr() as u64;
        let lp = t.loops.get_mut(&owner).unwrap();
        lp.traces.push(rec);
        // Attach: one aligned store into the guard's slot (see guard.rs).
        lp.traces[gtrace].data.set(slot, entry);
        Ok(())
    }

    fn execute(&self, id: LoopId, args: &[u64]) -> DeadFrame {
        let (entry, words) = {
            let t = self.tables.borrow();
            let entry = t.entries.get(id.0 as usize).copied().unwrap_or(0);
            assert!(entry != 0, "execute: unknown loop {}", id.0);
            (entry, t.max_words)
        };
        // Room for bridges attached while this activation runs (from a
        // `call_assembler` helper): a trace whose dead frame would not fit
        // in the smallest running buffer is refused (see `build`). Buffers
        // are recycled: nested calls (recursion through `call_assembler`)
        // would otherwise allocate and clear one per call.
        let need = (words.max(args.len()) * 2).max(MIN_BUF);
        let mut buf = self.pool.borrow_mut().pop().unwrap_or_default();
        if buf.len() < need {
            buf.resize(need, 0);
        }
        buf[..args.len()].copy_from_slice(args);
        let gid = {
            let _running = Running::enter(&self.running, buf.len());
            // SAFETY: `entry` is the entry of an installed loop of this
            // backend and `buf` holds at least `max_words` words, the most
            // any installed trace reads or writes; traces installed while
            // the code runs are refused if they need more than `buf` holds.
            unsafe { entry::call(entry, &mut buf) }
        };
        let guard = GuardId(gid);
        let n = match self.tables.borrow().nvalues.get(gid as usize) {
            Some(&n) => n as usize,
            None => panic!("aarch64: compiled code exited through unknown guard {gid}"),
        };
        let values = buf[..n].to_vec();
        self.pool.borrow_mut().push(buf);
        DeadFrame { guard, values }
    }

    fn invalidate(&self, id: LoopId) {
        if let Some(lp) = self.tables.borrow().loops.get(&id) {
            lp.flag.store(1, Ordering::Release);
        }
    }

    fn free(&self, id: LoopId) {
        let mut t = self.tables.borrow_mut();
        if t.loops.remove(&id).is_none() {
            return;
        }
        t.entries[id.0 as usize] = 0;
        t.guards.retain(|_, g| g.owner != id);
        t.targets.retain(|_, t| t.owner != id);
    }

    fn loop_entry(&self, id: LoopId) -> Option<usize> {
        let e = *self.tables.borrow().entries.get(id.0 as usize)?;
        (e != 0).then_some(e)
    }

    fn disassemble(&self, id: LoopId) -> Option<String> {
        let t = self.tables.borrow();
        let lp = t.loops.get(&id)?;
        let mut s = String::new();
        for t in &lp.traces {
            s.push_str(&disasm::listing(
                &t.title,
                t.code.bytes(),
                t.code.addr() as u64,
                &t.notes,
            ));
        }
        Some(s)
    }

    fn set_listing(&self, on: bool) {
        self.listing.set(on);
    }
    fn code_region(&self, trace: TraceKey) -> Option<CodeRegion> {
        let t = self.tables.borrow();
        let rec = match trace {
            TraceKey::Loop(id) => t.loops.get(&id)?.traces.first()?,
            TraceKey::Bridge(guard) => {
                let prefix = format!("bridge from <Guard{}> ", guard.0);
                t.loops
                    .values()
                    .flat_map(|lp| &lp.traces)
                    .find(|r| r.title.starts_with(&prefix))?
            }
        };
        Some(CodeRegion {
            start: rec.code.addr(),
            len: rec.code.bytes().len(),
            ops: rec.op_starts.clone(),
        })
    }

    fn disassemble_bridge(&self, guard: GuardId) -> Option<String> {
        let prefix = format!("bridge from <Guard{}> ", guard.0);
        let t = self.tables.borrow();
        let rec = t
            .loops
            .values()
            .flat_map(|lp| &lp.traces)
            .find(|r| r.title.starts_with(&prefix))?;
        Some(disasm::listing(
            &rec.title,
            rec.code.bytes(),
            rec.code.addr() as u64,
            &rec.notes,
        ))
    }
}

/// This backend for the framework's registry (`metatrace::backend::select`):
/// `--jit backend=aarch64` (or `auto`/`native` on an AArch64 host).
pub static BACKEND: metatrace::backend::BackendInfo = metatrace::backend::BackendInfo {
    name: "aarch64",
    arch: Some("aarch64"),
    new: || Box::new(Aarch64Backend::new()),
};
