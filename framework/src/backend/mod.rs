//! The backend contract (DESIGN §7): one trait, three implementations — the
//! IR interpreter here (`llgraph`, the reference semantics, like RPython's
//! llgraph backend), `metatrace-x86` and `metatrace-aarch64`.
//!
//! Owns: the `Backend` trait, `DeadFrame`, `LoopId`, `CompileError`; the
//! pieces both native backends share live in `liveness` and `runtime`.
//!
//! Conventions every backend follows:
//! - The framework numbers loops (`LoopId`), guards (`GuardId`, also used as
//!   the descr of `finish`) and labels (`TargetToken`); backends only map
//!   them to code.
//! - A loop trace is entered at its first op with its `inputargs`. A
//!   `jump(..., descr=TargetToken(n))` continues at the `label` carrying that
//!   token, in this loop or in any loop compiled earlier and not freed.
//! - A failing guard (or a `finish`) stops execution and yields a
//!   `DeadFrame`: the guard's id and the values of its fail args in order
//!   (a `finish` yields its operands).
//! - A bridge is compiled onto a guard: its `inputargs` receive the guard's
//!   fail args in order. From then on the guard's failure path runs it.
//! - `invalidate` makes every `guard_not_invalidated` of the loop (and of its
//!   bridges) fail from now on, including in an activation that is running.
//! - Values are raw 64-bit words; kinds are known from the trace.
//! - Re-entrancy: compiled code may call back into the framework
//!   (`call_assembler`, residual calls that run guest code), which may
//!   compile loops and bridges, invalidate, and `execute` again while an
//!   activation is running. So every method takes `&self` (backends keep
//!   their tables behind a `RefCell`, borrowed briefly and never across a
//!   call into compiled code), and code of a running activation must stay
//!   valid: the framework never frees a loop while any activation runs.
//! - `call_assembler_K(args..., descr=<Assembler..>)`: see
//!   [`crate::ir::AssemblerDescr`] — the args go to memory as words and
//!   the descr's helper is called with (descr, args pointer).
//! - `guard_not_forced` fails while [`crate::exc::is_forced`].

pub mod liveness;
pub mod llgraph;
pub mod profile;
pub mod runtime;
pub mod shadow;

use crate::ir::{GuardId, Trace};
use std::fmt;

/// Identity of a compiled loop (or entry trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoopId(pub u32);

/// What a guard exit or `finish` leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadFrame {
    /// The failing guard, or the `finish` op's descr.
    pub guard: GuardId,
    /// Fail-arg values (or finish operands) as raw words.
    pub values: Vec<u64>,
}

/// A trace the backend cannot compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError(pub String);

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "backend cannot compile trace: {}", self.0)
    }
}
impl std::error::Error for CompileError {}

/// The one backend contract.
pub trait Backend {
    /// Short name for logs and flags (`llgraph`, `x86`, `aarch64`).
    fn name(&self) -> &'static str;
    /// Compiles a loop (or entry trace ending in `finish`).
    fn compile_loop(&self, id: LoopId, trace: &Trace) -> Result<(), CompileError>;
    /// Compiles `trace` as the failure path of `guard`, which must belong to
    /// a compiled loop or bridge that has not been freed.
    fn compile_bridge(&self, guard: GuardId, trace: &Trace) -> Result<(), CompileError>;
    /// Runs a loop from its start until a guard fails or a `finish` is reached.
    fn execute(&self, id: LoopId, args: &[u64]) -> DeadFrame;
    /// Makes the loop's `guard_not_invalidated`s fail from now on.
    fn invalidate(&self, id: LoopId);
    /// Frees the loop and its bridges. Later jumps into it are the caller's bug.
    fn free(&self, id: LoopId);
    /// Native entry address of loop `id`, for direct `call_assembler`
    /// calls (`AssemblerDescr::target`); `None` for backends that always
    /// go through the helper.
    fn loop_entry(&self, _id: LoopId) -> Option<usize> {
        None
    }
    /// Human-readable machine code of a loop or bridge for `jit-backend`
    /// logs (`None` when the backend has nothing to show).
    fn disassemble(&self, _id: LoopId) -> Option<String> {
        None
    }
    /// Whether the traces compiled from now on keep an annotated listing
    /// for `disassemble`/`disassemble_bridge` (each op's text beside its
    /// code). The driver turns it on only while the backend log
    /// (`jit-backend`) is written: the text is a string per op, kept as
    /// long as the trace. Backends start with it on.
    fn set_listing(&self, _on: bool) {}
    /// Where `trace`'s machine code is installed and where each op's code
    /// starts, for the sampling profiler (`jit-profile`). Asked right
    /// after `compile_loop`/`compile_bridge`, only while the profiler
    /// runs. Backends without machine code return `None`.
    fn code_region(&self, _trace: profile::TraceKey) -> Option<profile::CodeRegion> {
        None
    }
    /// Human-readable machine code of the bridge attached to `guard`, for
    /// `jit-backend` logs (`None` when the backend has nothing to show).
    fn disassemble_bridge(&self, _guard: GuardId) -> Option<String> {
        None
    }
}

/// The native entry of every `call_assembler` helper: backends call
/// `descr.helper`, which the framework sets to this function; it hands the
/// words to the descr's safe `invoke`.
///
/// # Safety
/// `d` must be a `call_assembler` op's descr and `args` must point at one
/// word per argument the descr declares, alive for the call — which is
/// what backends pass.
pub unsafe extern "C" fn assembler_trampoline(
    d: *const crate::ir::AssemblerDescr,
    args: *const u64,
) -> u64 {
    // SAFETY: per this function's contract (backends call it only from
    // `call_assembler_*`, passing the op's leaked `'static` descr and an
    // array holding one word per declared argument).
    let (d, words) = unsafe {
        let d = &*d;
        (d, std::slice::from_raw_parts(args, d.args.len()))
    };
    (d.invoke)(d, words)
}

/// Where native code goes when a direct `call_assembler` call left the
/// callee through an exit other than the site's fast `finish`: `buf` holds
/// the exit's dead frame (`nwords` words, at least as many as the exit
/// wrote), `gid` is the exit. Returns the call's result word.
///
/// # Safety
/// `d` must be a `call_assembler` op's descr and `buf` must point at
/// `nwords` initialized words alive for the call.
pub unsafe extern "C" fn assembler_exit_trampoline(
    d: *const crate::ir::AssemblerDescr,
    buf: *const u64,
    gid: u32,
    nwords: usize,
) -> u64 {
    // SAFETY: per this function's contract (backends pass the op's leaked
    // `'static` descr and the direct call's buffer on their stack).
    let (d, words) = unsafe {
        let d = &*d;
        (d, std::slice::from_raw_parts(buf, nwords))
    };
    (d.exit)(d, crate::ir::GuardId(gid), words)
}

/// Turns a word read from a dead frame or compiled code back into a
/// `GcRef`. Crate-private: outside the framework a reference can only be
/// minted by the allocator (or by the unsafe `GcRef::from_addr`).
#[inline]
pub(crate) fn word_to_ref(w: u64) -> crate::heap::GcRef {
    // SAFETY: words of kind Ref leaving compiled code (dead frames, call
    // results) were heap references or null when they entered it; backends
    // never fabricate references.
    unsafe { crate::heap::GcRef::from_addr(w as usize) }
}

/// A backend as a VM links it: its `--jit backend=` name, the CPU its
/// code runs on, and how to make one. Each backend crate exports one
/// (`metatrace_x86::BACKEND`, `metatrace_aarch64::BACKEND`); a VM passes
/// the ones it links to [`select`], so the framework never depends on a
/// backend crate and a backend never decides for the VM.
pub struct BackendInfo {
    /// The `--jit backend=` name (`x86`, `aarch64`, ...).
    pub name: &'static str,
    /// `std::env::consts::ARCH` of the CPUs the code runs on (`None`: any).
    pub arch: Option<&'static str>,
    /// Makes a fresh backend instance.
    pub new: fn() -> Box<dyn Backend>,
}

/// The IR interpreter, which runs anywhere.
pub static LLGRAPH: BackendInfo = BackendInfo {
    name: "llgraph",
    arch: None,
    new: || Box::new(llgraph::LlGraph::new()),
};

/// The backend `--jit backend=NAME` asks for, among the `linked` ones:
/// - `llgraph`: the IR interpreter;
/// - `native`: the linked backend for this host's CPU (an error if none);
/// - `auto` (the default): `native` if there is one, else `llgraph`;
/// - a backend's own name: that backend, if it is linked and runs on this
///   host — otherwise an error naming the host, never a silent fallback.
pub fn select(name: &str, linked: &[&BackendInfo]) -> Result<Box<dyn Backend>, String> {
    choose(name, linked, std::env::consts::ARCH).map(|b| (b.new)())
}

/// Which of `linked` (or llgraph) `backend=NAME` means on CPU `host`.
pub fn choose<'a>(
    name: &str,
    linked: &[&'a BackendInfo],
    host: &str,
) -> Result<&'a BackendInfo, String> {
    let native = linked.iter().copied().find(|b| b.arch == Some(host));
    match name {
        "llgraph" => Ok(&LLGRAPH),
        "auto" => Ok(native.unwrap_or(&LLGRAPH)),
        "native" => native.ok_or_else(|| {
            format!(
                "backend=native: no native backend for this host ({host}) is built in; use backend=llgraph"
            )
        }),
        _ => match linked.iter().copied().find(|b| b.name == name) {
            Some(b) if b.arch.is_none_or(|a| a == host) => Ok(b),
            Some(b) => Err(format!(
                "backend={name}: this host is {host}; the {name} backend's code runs only on {}",
                b.arch.unwrap_or("?")
            )),
            None => Err(format!(
                "backend={name}: not built into this program (available: llgraph{})",
                linked.iter().map(|b| format!(", {}", b.name)).collect::<String>()
            )),
        },
    }
}

#[cfg(test)]
mod select_tests {
    use super::*;

    static FAKE_ARM: BackendInfo = BackendInfo {
        name: "aarch64",
        arch: Some("aarch64"),
        new: || Box::new(llgraph::LlGraph::new()),
    };

    #[test]
    fn auto_and_native_pick_the_hosts_backend() {
        let linked = [&FAKE_ARM];
        assert_eq!(choose("auto", &linked, "aarch64").unwrap().name, "aarch64");
        assert_eq!(
            choose("native", &linked, "aarch64").unwrap().name,
            "aarch64"
        );
        assert_eq!(choose("auto", &linked, "x86_64").unwrap().name, "llgraph");
        assert!(choose("native", &linked, "x86_64").is_err());
    }

    #[test]
    fn a_backend_for_another_cpu_is_an_error_naming_the_host() {
        let e = choose("aarch64", &[&FAKE_ARM], "x86_64").err().unwrap();
        assert!(e.contains("this host is x86_64"), "{e}");
        let e = choose("x86", &[&FAKE_ARM], "aarch64").err().unwrap();
        assert!(e.contains("not built into"), "{e}");
        assert_eq!(choose("llgraph", &[], "riscv64").unwrap().name, "llgraph");
    }
}
