//! Test support for the optimizer: a small object world with leaked
//! descriptors (like PyPy's `test/test_util.py` `LLtypeMixin`), and the
//! text-in / text-out check used by every pass's tests.
//!
//! The world: `Node` structs (tid `NODE_TID`) with fields `x`, `y` (i64), `next`
//! (ref to a Node or null), `flags` (u8), `imm` (immutable i64), `f`
//! (f64); arrays `ints` (tid 7), `refs` (tid 8, Nodes or null), `bytes`
//! (tid 9, u8 items); calls `elid` (elidable), `wr` (writes `x` of its
//! argument: may write the heap), `rd` (reads only), `inv` (may
//! invalidate).

use crate::backend::word_to_ref;
use crate::heap;
use crate::ir::parse::parse_trace;
use crate::ir::print::print_trace;
use crate::ir::{
    ArrayDescr, CallDescr, Descr, DescrTable, EffectInfo, FieldDescr, GuardId, Kind, SizeDescr,
    Trace,
};
use crate::opt::{optimize_bridge, optimize_loop, Fact, Optimized};
use crate::params::JitParams;
use std::sync::OnceLock;

pub(crate) struct World {
    pub x: &'static FieldDescr,
    pub y: &'static FieldDescr,
    pub next: &'static FieldDescr,
    pub flags: &'static FieldDescr,
    pub imm: &'static FieldDescr,
    pub f: &'static FieldDescr,
    pub node: &'static SizeDescr,
    pub ints: &'static ArrayDescr,
    pub refs: &'static ArrayDescr,
    pub bytes: &'static ArrayDescr,
    pub elid: &'static CallDescr,
    pub wr: &'static CallDescr,
    pub rd: &'static CallDescr,
    pub inv: &'static CallDescr,
}

fn field(
    name: &'static str,
    offset: usize,
    size: u8,
    signed: bool,
    kind: Kind,
    immutable: bool,
) -> &'static FieldDescr {
    Box::leak(Box::new(FieldDescr::new(
        name, NODE_TID, offset, size, signed, kind, immutable, false,
    )))
}

fn array(name: &'static str, tid: u32, item_size: u8, kind: Kind) -> &'static ArrayDescr {
    Box::leak(Box::new(ArrayDescr::new(
        name,
        tid,
        heap::HEADER_SIZE,
        heap::HEADER_SIZE + 8,
        item_size,
        item_size == 8,
        kind,
    )))
}

fn call(
    name: &'static str,
    args: &'static [Kind],
    result: Kind,
    effect: EffectInfo,
    invoke: fn(&[u64]) -> u64,
) -> &'static CallDescr {
    Box::leak(Box::new(CallDescr {
        name,
        addr: 0x1000,
        args,
        result,
        effect,
        invoke,
    }))
}

fn elid(a: &[u64]) -> u64 {
    a[0].wrapping_mul(3).wrapping_add(a[1])
}
fn wr(a: &[u64]) -> u64 {
    let r = word_to_ref(a[0]);
    if !r.is_null() {
        heap::setfield(r, world().x, a[1]);
    }
    0
}
fn rd(a: &[u64]) -> u64 {
    let r = word_to_ref(a[0]);
    if r.is_null() {
        0
    } else {
        heap::getfield(r, world().x).wrapping_add(1)
    }
}
fn nothing(_: &[u64]) -> u64 {
    0
}

/// The test node's type id (clear of the built-in arrays' 1..=4).
pub(crate) const NODE_TID: u32 = 0x7e57_0003;

pub(crate) fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| World {
        x: field("x", 8, 8, true, Kind::Int, false),
        y: field("y", 16, 8, true, Kind::Int, false),
        next: field("next", 24, 8, false, Kind::Ref, false),
        flags: field("flags", 32, 1, false, Kind::Int, false),
        imm: field("imm", 40, 8, true, Kind::Int, true),
        f: field("f", 48, 8, true, Kind::Float, false),
        node: Box::leak(Box::new(SizeDescr {
            name: "Node",
            tid: NODE_TID,
            size: 56,
            gc_ptrs: &[24],
        })),
        ints: array("ints", 7, 8, Kind::Int),
        refs: array("refs", 8, 8, Kind::Ref),
        bytes: array("bytes", 9, 1, Kind::Int),
        elid: call(
            "elid",
            &[Kind::Int, Kind::Int],
            Kind::Int,
            EffectInfo::ELIDABLE,
            elid,
        ),
        wr: call(
            "wr",
            &[Kind::Ref, Kind::Int],
            Kind::Void,
            EffectInfo::RESIDUAL,
            wr,
        ),
        rd: call(
            "rd",
            &[Kind::Ref],
            Kind::Int,
            EffectInfo {
                writes_heap: false,
                ..EffectInfo::RESIDUAL
            },
            rd,
        ),
        inv: call(
            "inv",
            &[],
            Kind::Void,
            EffectInfo {
                writes_heap: false,
                may_invalidate: true,
                ..EffectInfo::RESIDUAL
            },
            nothing,
        ),
    })
}

pub(crate) fn table() -> DescrTable {
    let w = world();
    let mut t = DescrTable::new();
    for f in [w.x, w.y, w.next, w.flags, w.imm, w.f] {
        t.add(Descr::Field(f));
    }
    for a in [w.ints, w.refs, w.bytes] {
        t.add(Descr::Array(a));
    }
    for c in [w.elid, w.wr, w.rd, w.inv] {
        t.add(Descr::Call(c));
    }
    t.add(Descr::Size(w.node));
    t
}

pub(crate) fn parse(text: &str) -> Trace {
    parse_trace(text, &table()).unwrap_or_else(|e| panic!("{e} (col {})\n{text}", e.col))
}

pub(crate) fn params(opts: &str) -> JitParams {
    JitParams {
        enable_opts: opts.to_string(),
        ..JitParams::default()
    }
}

/// Optimizes `t` as a loop (or as a bridge when it has no label) with the
/// `opts` passes; fresh guard ids start at 100.
pub(crate) fn optimize(opts: &str, t: &Trace) -> Optimized {
    optimize_with_facts(opts, t, &[])
}

/// [`optimize`], a bridge starting from its guard's `facts`.
pub(crate) fn optimize_with_facts(opts: &str, t: &Trace, facts: &[(u32, Fact)]) -> Optimized {
    let mut next = 100;
    let mut new_guard = || {
        next += 1;
        GuardId(next - 1)
    };
    let p = params(opts);
    let is_loop = t
        .ops
        .first()
        .is_some_and(|o| o.opnum == crate::ir::OpNum::Label);
    let opt = if is_loop {
        optimize_loop(t, &p, &mut new_guard)
    } else {
        optimize_bridge(t, &p, &mut new_guard, facts, None)
    };
    if let Err(e) = crate::ir::verify::verify(&opt.trace) {
        panic!("invalid output: {e}\n{}", opt.trace);
    }
    opt
}

/// A bridge (text) jumping to the loop `body` describes, optimized with
/// every pass from its guard's `facts`; printed.
pub(crate) fn bridge_into(
    body: &crate::opt::unroll::BodyEntry,
    facts: &[(u32, Fact)],
    bridge: &str,
) -> String {
    let mut next = 1000;
    let mut new_guard = || {
        next += 1;
        GuardId(next - 1)
    };
    let t = parse(bridge);
    let opt = optimize_bridge(&t, &params("all"), &mut new_guard, facts, Some(body));
    if let Err(e) = crate::ir::verify::verify(&opt.trace) {
        panic!("invalid output: {e}\n{}", opt.trace);
    }
    print_trace(&opt.trace)
}

/// Text in, text out: `input` optimized with only the `opts` passes (a
/// colon-separated list) prints like `expected` (compared after parsing
/// and printing `expected`, so spacing and descr spelling do not matter).
pub(crate) fn check(opts: &str, input: &str, expected: &str) -> Optimized {
    let t = parse(input);
    crate::ir::verify::verify(&t).unwrap_or_else(|e| panic!("bad test input: {e}\n{t}"));
    let opt = optimize(opts, &t);
    let got = print_trace(&opt.trace);
    // Outputs go through dead-op removal (`opt::dce`); so does the
    // expectation, so pass tests can show the ops a pass leaves dead.
    let mut want = parse(expected);
    crate::opt::dce::remove_dead_ops(&mut want);
    let want = print_trace(&want);
    if got != want {
        panic!("optimizing with {opts}:\n{input}\n--- expected:\n{want}--- got:\n{got}");
    }
    opt
}

/// [`check`] with every pass on.
pub(crate) fn check_all(_why: &str, input: &str, expected: &str) -> Optimized {
    check("all", input, expected)
}
