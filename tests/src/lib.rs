//! Cross-crate test suites for Metatrace (the suites live in `tests/`);
//! this library holds what they share: a small trace builder and the
//! harness that runs one case on every backend and compares the results.
//!
//! A conformance case is a function `fn(&mut dyn Backend) -> R`: it
//! compiles its loops and bridges on the backend it is given and returns
//! what it observed (dead frames, heap contents). [`on_all_backends`] runs
//! it on the IR interpreter (the reference) and on the host's native backend
//! (x86-64, or AArch64 under qemu) and
//! insists both observed the same thing.

pub mod compile_fail;

use metatrace::backend::llgraph::LlGraph;
use metatrace::backend::{Backend, DeadFrame, LoopId};
use metatrace::ir::{Descr, GuardId, Kind, OpNum, Operand, TargetToken, Trace, Var};
/// The native backend of the CPU the tests run on (x86-64, or AArch64
/// when cross-testing under qemu-user), under one name for the suites.
#[cfg(target_arch = "aarch64")]
pub use metatrace_aarch64::{Aarch64Backend as NativeBackend, Invalidator};
#[cfg(not(target_arch = "aarch64"))]
pub use metatrace_x86::{Invalidator, X86Backend as NativeBackend};

/// Every native backend, for `metatrace::backend::select` in the suites
/// (`auto` picks the host's).
pub static LINKED: &[&metatrace::backend::BackendInfo] =
    &[&metatrace_x86::BACKEND, &metatrace_aarch64::BACKEND];
use std::fmt::Debug;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT_GUARD: AtomicU32 = AtomicU32::new(1000);
static NEXT_TOKEN: AtomicU32 = AtomicU32::new(1000);
static NEXT_LOOP: AtomicU32 = AtomicU32::new(1000);

/// A fresh guard id, unique in the process (tests run in parallel).
pub fn fresh_guard() -> GuardId {
    GuardId(NEXT_GUARD.fetch_add(1, Ordering::Relaxed))
}

/// A fresh label token, unique in the process.
pub fn fresh_token() -> TargetToken {
    TargetToken(NEXT_TOKEN.fetch_add(1, Ordering::Relaxed))
}

/// A fresh loop id, unique in the process.
pub fn fresh_loop() -> LoopId {
    LoopId(NEXT_LOOP.fetch_add(1, Ordering::Relaxed))
}

/// Every binary int op (arithmetic, bitwise, shifts, comparisons), for
/// suites that sweep them all.
pub const INT_BINOPS: &[OpNum] = &[
    OpNum::IntAdd,
    OpNum::IntSub,
    OpNum::IntMul,
    OpNum::IntFloorDiv,
    OpNum::IntMod,
    OpNum::IntAnd,
    OpNum::IntOr,
    OpNum::IntXor,
    OpNum::IntLshift,
    OpNum::IntRshift,
    OpNum::UintRshift,
    OpNum::IntLt,
    OpNum::IntLe,
    OpNum::IntEq,
    OpNum::IntNe,
    OpNum::IntGt,
    OpNum::IntGe,
    OpNum::UintLt,
    OpNum::UintLe,
    OpNum::UintGt,
    OpNum::UintGe,
];

/// A `call_assembler` descriptor whose helper runs `invoke` (instead of a
/// portal), leaked to be `'static`.
pub fn leak_assembler(
    name: &'static str,
    args: &'static [Kind],
    result: Kind,
    invoke: fn(&metatrace::ir::AssemblerDescr, &[u64]) -> u64,
) -> &'static metatrace::ir::AssemblerDescr {
    Box::leak(Box::new(metatrace::ir::AssemblerDescr {
        name,
        args,
        result,
        helper: metatrace::backend::assembler_trampoline as *const () as usize,
        invoke,
        target: Box::leak(Box::new(metatrace::ir::AsmTarget::new())),
        exit: |_, g, _| panic!("test call_assembler descrs have no direct target (exit {g:?})"),
        site: 0,
        owner: 0,
    }))
}

/// A residual call descriptor for a test function, leaked to be `'static`.
pub fn leak_call(
    name: &'static str,
    addr: usize,
    args: &'static [Kind],
    result: Kind,
    invoke: fn(&[u64]) -> u64,
) -> &'static metatrace::ir::CallDescr {
    Box::leak(Box::new(metatrace::ir::CallDescr {
        name,
        addr,
        args,
        result,
        effect: metatrace::ir::EffectInfo::RESIDUAL,
        invoke,
    }))
}

/// `Operand::ConstInt`.
pub fn ci(v: i64) -> Operand {
    Operand::ConstInt(v)
}

/// `Operand::ConstFloat`.
pub fn cf(v: f64) -> Operand {
    Operand::float(v)
}

/// `Operand::ConstPtr`.
pub fn cp(v: usize) -> Operand {
    Operand::ConstPtr(v)
}

/// A variable operand.
pub fn v(x: Var) -> Operand {
    Operand::Var(x)
}

/// Builds traces with the `Trace` API, handing out fresh guard ids.
#[derive(Default, Clone)]
pub struct B {
    pub t: Trace,
}

impl B {
    pub fn new() -> B {
        B::default()
    }
    pub fn input(&mut self, k: Kind) -> Var {
        self.t.new_inputarg(k)
    }
    pub fn inputs(&mut self, ks: &[Kind]) -> Vec<Var> {
        ks.iter().map(|&k| self.input(k)).collect()
    }
    /// An op with a result.
    pub fn op(&mut self, o: OpNum, args: &[Operand]) -> Var {
        self.t.push(o, args, None).expect("op without result")
    }
    pub fn op_d(&mut self, o: OpNum, args: &[Operand], d: Descr) -> Option<Var> {
        self.t.push(o, args, Some(d))
    }
    /// An op without result.
    pub fn void(&mut self, o: OpNum, args: &[Operand]) {
        self.t.push(o, args, None);
    }
    /// A guard with fail args; returns its id.
    pub fn guard(&mut self, o: OpNum, args: &[Operand], fail: &[Operand]) -> GuardId {
        let g = fresh_guard();
        self.t.push(o, args, Some(Descr::Guard(g)));
        self.t.ops.last_mut().unwrap().fail_args = Some(fail.to_vec());
        g
    }
    pub fn finish(&mut self, args: &[Operand]) -> GuardId {
        let g = fresh_guard();
        self.t.push(OpNum::Finish, args, Some(Descr::Guard(g)));
        g
    }
    pub fn label(&mut self, args: &[Var], t: TargetToken) {
        let a: Vec<Operand> = args.iter().map(|&x| v(x)).collect();
        self.t.push(OpNum::Label, &a, Some(Descr::Target(t)));
    }
    pub fn jump(&mut self, args: &[Operand], t: TargetToken) {
        self.t.push(OpNum::Jump, args, Some(Descr::Target(t)));
    }
    pub fn build(&self) -> Trace {
        self.t.clone()
    }
}

/// The backends every case runs on: the reference first.
pub fn backends() -> Vec<Box<dyn Backend>> {
    let mut ll = LlGraph::new();
    ll.fuel = Some(50_000_000);
    vec![Box::new(ll), Box::new(NativeBackend::new())]
}

/// Runs `case` on every backend; panics unless all observe the same
/// result. Returns the reference result.
pub fn on_all_backends<R: PartialEq + Debug>(case: impl Fn(&mut dyn Backend) -> R) -> R {
    let mut results = Vec::new();
    for mut b in backends() {
        let r = case(b.as_mut());
        results.push((b.name(), r));
    }
    let (ref_name, reference) = results.remove(0);
    for (name, r) in results {
        assert_eq!(r, reference, "{name} disagrees with {ref_name}");
    }
    reference
}

/// Compiles `trace` as a fresh loop and runs it once.
pub fn run_once(b: &mut dyn Backend, trace: &Trace, args: &[u64]) -> DeadFrame {
    let id = fresh_loop();
    b.compile_loop(id, trace)
        .unwrap_or_else(|e| panic!("{}: {e}\n{trace}", b.name()));
    let r = b.execute(id, args);
    b.free(id);
    r
}

/// Runs `trace` with each argument vector on every backend, compiling it
/// once per backend; returns the reference dead frames.
pub fn run_all(trace: &Trace, arg_sets: &[Vec<u64>]) -> Vec<DeadFrame> {
    on_all_backends(|b| {
        let id = fresh_loop();
        b.compile_loop(id, trace)
            .unwrap_or_else(|e| panic!("{}: {e}\n{trace}", b.name()));
        let r = arg_sets.iter().map(|a| b.execute(id, a)).collect();
        b.free(id);
        r
    })
}

/// Raw word of an `f64`.
pub fn fb(x: f64) -> u64 {
    x.to_bits()
}

/// Raw word of an `i64`.
pub fn ib(x: i64) -> u64 {
    x as u64
}

/// Interesting integers for edge cases.
pub const EDGE_INTS: &[i64] = &[
    0,
    1,
    -1,
    2,
    -2,
    7,
    -7,
    63,
    64,
    65,
    127,
    -128,
    255,
    i32::MAX as i64,
    i32::MIN as i64,
    u32::MAX as i64,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    0x1234_5678_9abc_def0,
];

/// Interesting floats for edge cases.
pub const EDGE_FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    -2.5,
    1e300,
    -1e300,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    f64::MIN_POSITIVE,
    // 2^63, -2^63 and the largest double below 2^63.
    9_223_372_036_854_775_808.0,
    -9_223_372_036_854_775_808.0,
    9_223_372_036_854_774_784.0,
    1e19,
    -1e19,
    4.9e-324,
];
