//! The sampling profiler behind `METATRACE_LOG=jit-profile`: where
//! compiled code spends its time, measured, per loop, bridge and op.
//!
//! Owns: the `SIGPROF` timer and its signal handler, the sample buffer,
//! the table of installed code regions ([`CodeRegion`], reported by the
//! native backends through [`super::Backend::code_region`]) and the
//! `jit-profile` log section that resolves samples against it.
//!
//! How it works, and why this way:
//! - A POSIX timer on `CLOCK_MONOTONIC` sends `SIGPROF` to the thread
//!   that started the profiler every [`INTERVAL_US`] (wall-clock time:
//!   `ITIMER_PROF` and the CPU-time clocks fire only at the kernel's
//!   tick, often 4 ms, too coarse for a short run; a VM's thread is
//!   busy, so wall time is its CPU time, and time blocked in a system
//!   call shows up as `other`). The handler reads the interrupted
//!   program counter from the signal's `ucontext` and appends it to a
//!   fixed buffer of atomics. That
//!   is all it does: no lock, no allocation, no lookup — the only things
//!   async-signal-safe here — so it can interrupt anything, including the
//!   code that is registering a region.
//! - Regions are stamped with the sample count at installation and at
//!   freeing, so a sample is matched only to the code that was mapped at
//!   that address when it was taken (freed code's addresses are reused).
//! - Resolution happens once, when the driver writes its log: each sample
//!   inside a region counts for that trace and for the op whose code
//!   contains it (op starts come from the backend's code generator; code
//!   after the last op — guard exit stubs, the exit — counts as `stubs`).
//! - A sample outside every region while compiled code is active (the
//!   driver counts activations, [`enter`]/[`leave`]) is time in residual
//!   helpers called from compiled code (or in guest code those helpers
//!   run); any other sample is the interpreter, tracing, the optimizer,
//!   the backend or the collector. The profiler does not walk the stack
//!   (vmprof does), so a helper's time is not charged to its caller.
//!
//! The profiler is process-wide: the first driver created with
//! `jit-profile` enabled starts it, and reports and stops it when it is
//! dropped. Without `jit-profile` nothing here runs (backends are asked
//! for regions only while [`active`]).

use super::LoopId;
use crate::ir::GuardId;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// The sampling interval, in microseconds.
pub const INTERVAL_US: u64 = 1000;

/// Samples kept (2^18: over four minutes of CPU at one per millisecond);
/// later ones are counted as dropped.
const CAPACITY: usize = 1 << 18;

static SAMPLES: [AtomicUsize; CAPACITY] = [const { AtomicUsize::new(0) }; CAPACITY];
/// Samples taken so far (may exceed `CAPACITY`; only that many are kept).
static TAKEN: AtomicUsize = AtomicUsize::new(0);
/// Samples taken while compiled code was active (its own or a helper's).
static IN_ACTIVATION: AtomicU64 = AtomicU64::new(0);
/// Activations of compiled code running now (nested ones included).
static DEPTH: AtomicUsize = AtomicUsize::new(0);
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Which trace a region of machine code belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TraceKey {
    /// A loop or entry trace, as numbered in `jit-log-opt-loop`.
    Loop(LoopId),
    /// The bridge attached to this guard (`jit-log-opt-bridge`).
    Bridge(GuardId),
}

/// Where one trace's machine code is installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeRegion {
    /// Address of the first byte.
    pub start: usize,
    /// Length in bytes (the whole mapping: body, exit stubs, exit).
    pub len: usize,
    /// `(code offset, op index)` where each op's code starts, in offset
    /// order; the index is the op's position in the trace given to the
    /// backend (the order `jit-log-opt-*` prints them).
    pub ops: Vec<(u32, u32)>,
}

struct Entry {
    key: TraceKey,
    /// The loop that owns the code (a bridge's loop), for freeing.
    owner: LoopId,
    region: CodeRegion,
    /// Samples taken before installation are not this code's.
    from: usize,
    /// Samples taken from this count on are not either (freed).
    to: usize,
}

static REGIONS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// Whether the profiler is running (a `jit-profile` log is being written).
#[inline]
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Compiled code is entered (the driver calls this around `execute`).
#[inline]
pub fn enter() {
    DEPTH.fetch_add(1, Ordering::Relaxed);
}

/// Compiled code returned.
#[inline]
pub fn leave() {
    DEPTH.fetch_sub(1, Ordering::Relaxed);
}

/// Starts the timer. Returns false (and does nothing) when the profiler
/// already runs for another driver or the timer cannot be set up.
pub(crate) fn start() -> bool {
    if ACTIVE.swap(true, Ordering::SeqCst) {
        return false;
    }
    TAKEN.store(0, Ordering::SeqCst);
    IN_ACTIVATION.store(0, Ordering::SeqCst);
    REGIONS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    if !timer::install() {
        ACTIVE.store(false, Ordering::SeqCst);
        return false;
    }
    true
}

/// Records where `key`'s code is (`owner` is the loop it belongs to).
pub(crate) fn installed(key: TraceKey, owner: LoopId, region: CodeRegion) {
    let from = TAKEN.load(Ordering::SeqCst);
    REGIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Entry {
            key,
            owner,
            region,
            from,
            to: usize::MAX,
        });
}

/// Loop `owner` and its bridges are about to be freed.
pub(crate) fn freed(owner: LoopId) {
    let now = TAKEN.load(Ordering::SeqCst);
    for e in REGIONS.lock().unwrap_or_else(|e| e.into_inner()).iter_mut() {
        if e.owner == owner && e.to == usize::MAX {
            e.to = now;
        }
    }
}

/// Stops the timer and resolves the samples: the `jit-profile` text.
///
/// Lines: `samples N interval_us U dropped D`, `compiled N`,
/// `helpers N`, `other N`, then per trace with samples
/// `loop L: N` / `bridge G: N`, each followed by its ops with samples
/// (`  op I: N`) and `  stubs: N`.
pub(crate) fn stop_and_report() -> String {
    timer::remove();
    ACTIVE.store(false, Ordering::SeqCst);
    let taken = TAKEN.load(Ordering::SeqCst);
    let kept = taken.min(CAPACITY);
    let mut regions = std::mem::take(&mut *REGIONS.lock().unwrap_or_else(|e| e.into_inner()));
    regions.sort_by_key(|e| e.region.start);
    let max_len = regions.iter().map(|e| e.region.len).max().unwrap_or(0);
    // Per region: total, per op (by position in `ops`), stubs.
    let mut hits: Vec<(u64, Vec<u64>, u64)> = regions
        .iter()
        .map(|e| (0, vec![0; e.region.ops.len()], 0))
        .collect();
    let mut compiled = 0u64;
    for (s, slot) in SAMPLES.iter().enumerate().take(kept) {
        let pc = slot.load(Ordering::Relaxed);
        // Candidates start at or below `pc`, within the longest region.
        let mut i = regions.partition_point(|e| e.region.start <= pc);
        while i > 0 {
            i -= 1;
            let e = &regions[i];
            if e.region.start + max_len <= pc {
                break;
            }
            if pc >= e.region.start + e.region.len || s < e.from || s >= e.to {
                continue;
            }
            let off = (pc - e.region.start) as u32;
            let h = &mut hits[i];
            h.0 += 1;
            let k = e.region.ops.partition_point(|&(o, _)| o <= off);
            let last_op_end = e.region.ops.last().map(|_| stubs_start(&e.region));
            if k == 0 || last_op_end.is_some_and(|end| off >= end) {
                h.2 += 1;
            } else {
                h.1[k - 1] += 1;
            }
            compiled += 1;
            break;
        }
    }
    let in_act = IN_ACTIVATION.load(Ordering::SeqCst).min(kept as u64);
    let helpers = in_act.saturating_sub(compiled);
    let other = (kept as u64).saturating_sub(compiled + helpers);
    let mut out = format!(
        "samples {kept} interval_us {INTERVAL_US} dropped {}\ncompiled {compiled}\nhelpers {helpers}\nother {other}\n",
        taken - kept
    );
    // Traces in key order, each once (a key freed and compiled again is
    // summed).
    let mut order: Vec<usize> = (0..regions.len()).filter(|&i| hits[i].0 > 0).collect();
    order.sort_by_key(|&i| regions[i].key);
    let mut j = 0;
    while j < order.len() {
        let key = regions[order[j]].key;
        let mut total = 0;
        let mut ops: std::collections::BTreeMap<u32, u64> = Default::default();
        let mut stubs = 0;
        while j < order.len() && regions[order[j]].key == key {
            let i = order[j];
            total += hits[i].0;
            stubs += hits[i].2;
            for (k, n) in hits[i].1.iter().enumerate() {
                if *n > 0 {
                    *ops.entry(regions[i].region.ops[k].1).or_default() += n;
                }
            }
            j += 1;
        }
        match key {
            TraceKey::Loop(id) => out += &format!("loop {}: {total}\n", id.0),
            TraceKey::Bridge(g) => out += &format!("bridge {}: {total}\n", g.0),
        }
        for (op, n) in ops {
            out += &format!("  op {op}: {n}\n");
        }
        if stubs > 0 {
            out += &format!("  stubs: {stubs}\n");
        }
    }
    out
}

/// Where the code after the last op starts: backends list a final
/// pseudo-op start (index `u32::MAX`) there when they know it.
fn stubs_start(r: &CodeRegion) -> u32 {
    match r.ops.last() {
        Some(&(o, u32::MAX)) => o,
        _ => u32::MAX,
    }
}

/// The signal handler's one job: note the interrupted PC.
fn record(pc: usize) {
    if DEPTH.load(Ordering::Relaxed) > 0 {
        IN_ACTIVATION.fetch_add(1, Ordering::Relaxed);
    }
    let i = TAKEN.fetch_add(1, Ordering::Relaxed);
    if i < CAPACITY {
        SAMPLES[i].store(pc, Ordering::Relaxed);
    }
}

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod timer {
    use super::{record, INTERVAL_US};
    use std::sync::atomic::{AtomicUsize, Ordering};

    extern "C" fn on_sigprof(
        _sig: libc::c_int,
        _info: *mut libc::siginfo_t,
        ctx: *mut libc::c_void,
    ) {
        if ctx.is_null() {
            return;
        }
        // SAFETY: for an SA_SIGINFO handler the kernel passes a valid
        // `ucontext_t` of the interrupted thread as the third argument;
        // it is only read, for the duration of the handler.
        let pc = unsafe {
            let uc = &*(ctx as *const libc::ucontext_t);
            #[cfg(target_arch = "x86_64")]
            {
                uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize
            }
            #[cfg(target_arch = "aarch64")]
            {
                uc.uc_mcontext.pc as usize
            }
        };
        record(pc);
    }

    /// The POSIX timer (a `timer_t`), 0 when none.
    static TIMER: AtomicUsize = AtomicUsize::new(0);

    pub fn install() -> bool {
        // SAFETY: the handler only does atomic loads and stores (async-
        // signal-safe); SA_RESTART keeps interrupted system calls from
        // failing with EINTR; the structs are zeroed, then filled; the
        // timer handle is written by timer_create before it is used.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigprof as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(libc::SIGPROF, &sa, std::ptr::null_mut()) != 0 {
                return false;
            }
            let mut sev: libc::sigevent = std::mem::zeroed();
            sev.sigev_notify = libc::SIGEV_THREAD_ID;
            sev.sigev_signo = libc::SIGPROF;
            sev.sigev_notify_thread_id = libc::syscall(libc::SYS_gettid) as libc::c_int;
            let mut t: libc::timer_t = std::ptr::null_mut();
            if libc::timer_create(libc::CLOCK_MONOTONIC, &mut sev, &mut t) != 0 {
                return false;
            }
            let period = libc::timespec {
                tv_sec: (INTERVAL_US / 1_000_000) as libc::time_t,
                tv_nsec: ((INTERVAL_US % 1_000_000) * 1000) as libc::c_long,
            };
            let spec = libc::itimerspec {
                it_interval: period,
                it_value: period,
            };
            if libc::timer_settime(t, 0, &spec, std::ptr::null_mut()) != 0 {
                libc::timer_delete(t);
                return false;
            }
            TIMER.store(t as usize, Ordering::SeqCst);
        }
        true
    }

    pub fn remove() {
        let t = TIMER.swap(0, Ordering::SeqCst);
        if t != 0 {
            // SAFETY: `t` came from timer_create and is deleted once (the
            // swap took it).
            unsafe {
                libc::timer_delete(t as libc::timer_t);
            }
        }
        // The handler stays installed: a SIGPROF already pending when the
        // timer stopped must not kill the process (SIGPROF's default
        // action is to terminate).
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod timer {
    pub fn install() -> bool {
        let _ = super::record;
        false
    }
    pub fn remove() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Samples resolved against regions by address, op and lifetime,
    /// without the timer (the handler's `record` called directly). The
    /// only test in this binary touching the profiler's globals.
    #[test]
    fn samples_resolve_to_traces_ops_and_lifetimes() {
        TAKEN.store(0, Ordering::SeqCst);
        IN_ACTIVATION.store(0, Ordering::SeqCst);
        REGIONS.lock().unwrap().clear();
        let region = |start| CodeRegion {
            start,
            len: 100,
            ops: vec![(0, 0), (10, 2), (50, 3), (80, u32::MAX)],
        };
        installed(TraceKey::Loop(LoopId(1)), LoopId(1), region(0x1000));
        installed(TraceKey::Bridge(GuardId(7)), LoopId(1), region(0x2000));
        enter();
        record(0x1000 + 12); // loop 1, op 2
        record(0x1000 + 12);
        record(0x1000 + 55); // op 3
        record(0x1000 + 90); // stubs
        record(0x2000 + 3); // bridge 7, op 0
        record(0x9000); // a helper: outside, but compiled code is active
        leave();
        record(0x9000); // the interpreter
        freed(LoopId(1));
        // The bridge's address now belongs to a new loop: later samples
        // there are the new loop's, not the freed bridge's.
        installed(TraceKey::Loop(LoopId(2)), LoopId(2), region(0x2000));
        enter();
        record(0x2000 + 60);
        leave();
        let text = stop_and_report();
        assert_eq!(
            text,
            "samples 8 interval_us 1000 dropped 0\ncompiled 6\nhelpers 1\nother 1\n\
             loop 1: 4\n  op 2: 2\n  op 3: 1\n  stubs: 1\n\
             loop 2: 1\n  op 3: 1\n\
             bridge 7: 1\n  op 0: 1\n"
        );
        assert!(!active());
    }

    #[test]
    fn stubs_start_is_the_pseudo_op() {
        let r = CodeRegion {
            start: 0x1000,
            len: 64,
            ops: vec![(0, 0), (8, 1), (40, u32::MAX)],
        };
        assert_eq!(stubs_start(&r), 40);
        let r = CodeRegion {
            ops: vec![(0, 0)],
            ..r
        };
        assert_eq!(stubs_start(&r), u32::MAX);
    }
}
