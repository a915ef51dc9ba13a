//! The optimizer pipeline (DESIGN §6): PyPy's passes in PyPy's order —
//! intbounds, rewrite, virtualize, pure, heap, unroll — one module each,
//! each switchable through `enable_opts`.
//!
//! PyPy's chain also has `string` (vstring.py) and `earlyforce`. We have
//! neither, on purpose, so the pass list says what runs: Metatrace's IR has
//! no string ops (a VM's strings are ordinary GC arrays and structs, which
//! `virtualize` and `heap` already see), and no virtual raw buffers, the
//! one thing earlyforce forces (`virtualize` forces a virtual at every op
//! it does not understand). `enable_opts` names them in its error message.
//!
//! Owns: the entry points the warm state calls for loops and bridges, and
//! the chain the passes form (PyPy's `optimizer.py`): every op of the input
//! flows through the enabled passes in order; a pass may drop it, replace
//! its result by another operand, rewrite it, or emit extra ops downstream.
//! The passes share one thing only — the replacement map (PyPy's
//! `get_box_replacement`): when a pass says "`i7` is `i3`" or "`i5` is 1",
//! every later op is rewritten before any pass looks at it, so facts found
//! by a late pass (heap caching a constant) reach the early ones (rewrite
//! folding it) for the rest of the trace. Everything else a pass knows it
//! keeps to itself. `unroll` is not a link of the chain but a driver that
//! runs the chain twice (preamble, then the peeled loop body).
//!
//! Contract for passes:
//! - the result verifies, has the same `inputargs`, and a loop keeps its
//!   first op `label(inputargs, descr=TargetToken(n))` so bridges and the
//!   interpreter can enter there;
//! - a guard keeps its descr, and its fail args keep the recorder's layout
//!   (length and order) as a prefix: resume data is keyed by guard id and
//!   cuts the fail args by position. A pass may append fail args and
//!   describe virtuals (`Op::virtuals`) whose slot holds `ConstPtr(null)`,
//!   and stores it delayed past the guard (`Op::pending`, heap);
//! - a guard may be removed; a guard may be duplicated (loop peeling) only
//!   under a fresh id from `new_guard`, reported in `guard_copies` as
//!   (copy, original) so the copy gets the original's resume data.
//! - a guard may also be *strengthened* in place (rewrite turns
//!   `guard_nonnull(p)` ... `guard_class(p, C)` into one
//!   `guard_nonnull_class(p, C)` at the first guard's position, under the
//!   first guard's id): only when no effect lies between the two, so that
//!   resuming at the earlier guard repeats nothing (DESIGN §4).
//!
//! Value facts (constants, classes, non-null, integer bounds, CSE tables)
//! survive a `label`: the only labels the chain sees are op 0 and the
//! second label unroll creates, whose arguments are either fresh or
//! loop-invariant. Heap facts do not survive a label.
//!
//! Bridges start with what the optimizer knew at their guard (PyPy keeps
//! it on the guard's resume descr): before a guard enters a pass, the pass
//! states what it knows about the guard's fail args (`Pass::facts_at`:
//! classes, non-null, integer bounds, and the heap cache's "field `d` of
//! fail arg `i` reads as fail arg `j` / constant `c`" — knowledge from
//! *before* the guard, since the guard failing means its own condition is
//! false). The facts
//! are returned per guard in [`Optimized::facts`], kept by the warm state,
//! and handed to [`optimize_bridge`], which seeds the passes with them on
//! the bridge's input args (fail arg `i` is input arg `i`; heap facts go
//! into the heap cache) — so a bridge does not re-check a class the loop
//! already checked, nor re-read a field the loop already read.
//!
//! Variables keep their numbers from the input trace, so a printed result
//! reads like the input with ops removed; ops a pass creates get fresh
//! variables. If a bug made the output fail verification, release builds
//! fall back to the unoptimized trace (debug builds panic: tests must see it).

pub(crate) mod dce;
pub mod fault;
pub mod heap;
pub mod intbounds;
pub mod pure;
pub mod rewrite;
pub mod unroll;
pub mod virtualize;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use crate::ir::{Descr, GuardId, Kind, Op, OpNum, Operand, Trace, Var};
use crate::params::JitParams;
use hashbrown::HashMap;

/// An optimized trace and the guards it cloned.
pub struct Optimized {
    /// The optimized trace.
    pub trace: Trace,
    /// (new guard id, guard whose resume data it shares).
    pub guard_copies: Vec<(GuardId, GuardId)>,
    /// What the passes knew about each guard's fail args (by index), for
    /// bridges out of it.
    pub facts: HashMap<GuardId, Vec<(u32, Fact)>>,
    /// A peeled loop: how bridges jump into its body (see `unroll`).
    pub body: Option<unroll::BodyEntry>,
}

/// Something the optimizer knows about a value at a guard.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fact {
    /// A non-null reference with this header type id.
    Class(i64),
    /// A non-null reference (class unknown).
    NonNull,
    /// An integer in `lo..=hi`.
    Bounds(i64, i64),
    /// A read of field `descr` of this object gives the value (the heap
    /// pass's cache, see `heap`).
    Field(Descr, FactVal),
    /// A read of this array (`descr`) at the index gives the value.
    Item(Descr, FactVal, FactVal),
}

/// A value a heap fact names: another fail arg (by index) or a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FactVal {
    /// The fail arg at this index.
    Arg(u32),
    /// A constant.
    Const(Operand),
}

impl FactVal {
    /// The operand this stands for in a bridge whose input args are the
    /// guard's fail args.
    pub(crate) fn operand(self, inputs: &[Var]) -> Option<Operand> {
        match self {
            FactVal::Arg(i) => inputs.get(i as usize).map(|v| Operand::Var(*v)),
            FactVal::Const(c) => Some(c),
        }
    }
}

/// Optimizes a loop trace (`label ... jump`).
pub fn optimize_loop(
    trace: &Trace,
    params: &JitParams,
    new_guard: &mut dyn FnMut() -> GuardId,
) -> Optimized {
    let opt = if params.opt_enabled("unroll") {
        unroll::optimize(trace, params, new_guard)
    } else {
        run_chain(trace, params, new_guard, &[])
    };
    checked(trace, opt)
}

/// Optimizes a bridge trace (inputargs = the guard's fail args). Same
/// passes as a loop except unroll: a bridge ends in a jump to a loop's
/// first label (or a `finish`), there is nothing to peel. `facts` are the
/// guard's (see the module docs), by fail-arg index. `body`: the jump's
/// target loop was peeled — the bridge jumps into its body if its values
/// match (`unroll::bridge_to_body`), else to the first label.
pub fn optimize_bridge(
    trace: &Trace,
    params: &JitParams,
    new_guard: &mut dyn FnMut() -> GuardId,
    facts: &[(u32, Fact)],
    body: Option<&unroll::BodyEntry>,
) -> Optimized {
    let to_body = body.and_then(|b| unroll::bridge_to_body(trace, params, new_guard, facts, b));
    let opt = to_body.unwrap_or_else(|| run_chain(trace, params, new_guard, facts));
    checked(trace, opt)
}

/// How often the safety net caught an invalid optimized trace (tests
/// check it stays 0: release builds fall back silently, so without it a
/// wrong optimizer shows only as a slower trace).
#[cfg(test)]
pub(crate) static INVALID_OUTPUTS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// The safety net described in the module docs (after dead-op removal,
/// see `dce`).
fn checked(input: &Trace, mut opt: Optimized) -> Optimized {
    dce::remove_dead_ops(&mut opt.trace);
    match crate::ir::verify::verify(&opt.trace) {
        Ok(()) => opt,
        Err(e) => {
            #[cfg(test)]
            INVALID_OUTPUTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            debug_assert!(
                false,
                "optimizer produced an invalid trace: {e}\ninput:\n{input}\noutput:\n{}",
                opt.trace
            );
            let _ = e;
            Optimized {
                trace: input.clone(),
                guard_copies: Vec::new(),
                facts: HashMap::new(),
                body: None,
            }
        }
    }
}

/// The overflow-guard fix-up, written once for every pass that removes or
/// weakens an `int_*_ovf` op (intbounds, rewrite, pure).
///
/// An `*_ovf` op sets the flag its following `guard_no_overflow` /
/// `guard_overflow` reads. A pass that proves the op cannot overflow (and
/// turns it into a plain op, a constant, or an earlier result) calls
/// [`OvfFixup::removed`]; the next op through [`OvfFixup::guard`] is then
/// that guard, which no longer has a flag to read: `guard_no_overflow`
/// always passes and goes, `guard_overflow` always fails and becomes
/// `guard_true(0)` — the exit stays (a bridge may be attached to its id),
/// on a condition that needs no flag.
#[derive(Default)]
pub(crate) struct OvfFixup {
    removed: bool,
}

impl OvfFixup {
    /// The `*_ovf` op just seen cannot overflow and was removed or made plain.
    pub(crate) fn removed(&mut self) {
        self.removed = true;
    }

    /// Call first with every op a pass receives: `None` drops it.
    pub(crate) fn guard(&mut self, mut op: Op) -> Option<Op> {
        if std::mem::take(&mut self.removed) {
            match op.opnum {
                OpNum::GuardNoOverflow => return None,
                OpNum::GuardOverflow => {
                    op.opnum = OpNum::GuardTrue;
                    op.args.push(Operand::ConstInt(0));
                }
                _ => {}
            }
        }
        Some(op)
    }
}

/// One link of the chain.
pub(crate) trait Pass {
    /// Handles `op` (operands already replaced); forwards what survives
    /// with [`send`] to `next`.
    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]);

    /// The allocation-removal pass, for unroll's virtual state.
    fn virtualize(&mut self) -> Option<&mut virtualize::Virtualize> {
        None
    }

    /// The heap-cache pass, for unroll's heap facts across the back edge.
    fn heap(&mut self) -> Option<&mut heap::Heap> {
        None
    }

    /// What this pass knows about `fail_args` right now (before the guard
    /// carrying them): pushes (index, fact).
    fn facts_at(&self, _fail_args: &[Operand], _out: &mut Vec<(u32, Fact)>) {}

    /// A bridge starts knowing `fact` about its input `v`.
    fn seed(&mut self, _v: Var, _fact: Fact) {}
}

/// The enabled passes of the chain, in PyPy's order (unroll excluded).
pub(crate) fn chain(params: &JitParams) -> Vec<Box<dyn Pass>> {
    let mut v: Vec<Box<dyn Pass>> = Vec::new();
    if params.opt_enabled("intbounds") {
        v.push(Box::new(intbounds::IntBounds::default()));
    }
    if params.opt_enabled("rewrite") {
        v.push(Box::new(rewrite::Rewrite::default()));
    }
    if params.opt_enabled("virtualize") {
        v.push(Box::new(virtualize::Virtualize::default()));
    }
    if params.opt_enabled("pure") {
        v.push(Box::new(pure::Pure::default()));
    }
    if params.opt_enabled("heap") {
        v.push(Box::new(heap::Heap::default()));
    }
    v
}

/// Runs every op of `trace` through the chain once, the passes seeded
/// with `seeds` about the input args (by index).
pub(crate) fn run_chain(
    trace: &Trace,
    params: &JitParams,
    new_guard: &mut dyn FnMut() -> GuardId,
    seeds: &[(u32, Fact)],
) -> Optimized {
    let (mut sh, mut passes) = start_chain(trace, params, new_guard, seeds);
    for op in &trace.ops {
        send(op.clone(), &mut sh, &mut passes);
    }
    Optimized {
        trace: sh.out,
        guard_copies: Vec::new(),
        facts: sh.facts,
        body: None,
    }
}

/// The chain for `trace`, its passes seeded with `seeds` about the input
/// args (by index), before any op is sent.
pub(crate) fn start_chain<'a>(
    trace: &Trace,
    params: &JitParams,
    new_guard: &'a mut dyn FnMut() -> GuardId,
    seeds: &[(u32, Fact)],
) -> (Shared<'a>, Vec<Box<dyn Pass>>) {
    let sh = Shared::new(trace, new_guard);
    let mut passes = chain(params);
    for &(i, fact) in seeds {
        let Some(&v) = trace.inputargs.get(i as usize) else {
            continue;
        };
        // Heap facts go to the heap cache, with their operands resolved
        // against the bridge's input args; the others to every pass.
        let ins = &trace.inputargs;
        let loc = match fact {
            Fact::Field(d, val) => val
                .operand(ins)
                .map(|val| (heap::Loc::Field(Operand::Var(v), d), val)),
            Fact::Item(d, idx, val) => idx
                .operand(ins)
                .zip(val.operand(ins))
                .map(|(idx, val)| (heap::Loc::Item(Operand::Var(v), idx, d), val)),
            _ => {
                passes.iter_mut().for_each(|p| p.seed(v, fact));
                continue;
            }
        };
        if let (Some((loc, val)), Some(h)) = (loc, passes.iter_mut().find_map(|p| p.heap())) {
            h.import(loc, val);
        }
    }
    (sh, passes)
}

/// Passes `op` to the first of `passes`, or appends it to the output when
/// none is left. Operands are replaced first.
pub(crate) fn send(mut op: Op, sh: &mut Shared, passes: &mut [Box<dyn Pass>]) {
    sh.subst_op(&mut op);
    match passes.split_first_mut() {
        Some((p, rest)) => {
            if let (Some(id), Some(fa)) = (op.guard_id(), op.fail_args.as_deref()) {
                p.facts_at(fa, sh.facts.entry(id).or_default());
            }
            p.propagate(op, sh, rest)
        }
        None => sh.out.ops.push(op),
    }
}

/// What the passes share: the output trace and the replacement map.
pub(crate) struct Shared<'a> {
    pub out: Trace,
    subst: Vec<Option<Operand>>,
    pub new_guard: &'a mut dyn FnMut() -> GuardId,
    /// What the passes knew at each guard (see the module docs).
    pub facts: HashMap<GuardId, Vec<(u32, Fact)>>,
    /// Set by unroll while the peeled body runs through the chain.
    pub in_body: bool,
    /// The body found a value the preamble computed (a pure op CSE'd with
    /// the preamble's, a heap value imported through the label): it relies
    /// on what the preamble knew, so bridges may not enter it directly.
    pub preamble_hit: bool,
}

impl<'a> Shared<'a> {
    /// An empty output with `input`'s inputargs and variable kinds.
    pub fn new(input: &Trace, new_guard: &'a mut dyn FnMut() -> GuardId) -> Shared<'a> {
        Shared {
            out: Trace {
                inputargs: input.inputargs.clone(),
                ops: Vec::with_capacity(input.ops.len()),
                kinds: input.kinds.clone(),
            },
            subst: vec![None; input.kinds.len()],
            new_guard,
            facts: HashMap::new(),
            in_body: false,
            preamble_hit: false,
        }
    }

    /// The operand `o` stands for now.
    pub fn get(&self, mut o: Operand) -> Operand {
        while let Operand::Var(v) = o {
            match self.subst.get(v.index()).copied().flatten() {
                Some(r) => o = r,
                None => break,
            }
        }
        o
    }

    /// From now on, `v` is `with`.
    pub fn replace(&mut self, v: Var, with: Operand) {
        let with = self.get(with);
        if with != Operand::Var(v) {
            self.subst[v.index()] = Some(with);
        }
    }

    /// A fresh variable for an op a pass creates.
    pub fn new_var(&mut self, kind: Kind) -> Var {
        self.subst.push(None);
        self.out.new_var(kind)
    }

    pub fn kind(&self, o: &Operand) -> Kind {
        self.out.operand_kind(o)
    }

    /// Replaces the operands and fail args of `op`.
    pub fn subst_op(&self, op: &mut Op) {
        for a in op.args.iter_mut() {
            *a = self.get(*a);
        }
        if let Some(fa) = op.fail_args.as_mut() {
            for a in fa.iter_mut() {
                *a = self.get(*a);
            }
        }
    }
}

/// Does a guard hold whatever happens, given its (constant) operands?
pub(crate) fn guard_always_passes(op: &Op) -> bool {
    use OpNum::*;
    let c = |i: usize| op.args[i].const_bits();
    match op.opnum {
        GuardTrue => c(0).is_some_and(|v| v != 0),
        GuardFalse => c(0) == Some(0),
        GuardValue => c(0).is_some() && c(0) == c(1),
        GuardNonnull => c(0).is_some_and(|v| v != 0),
        GuardIsnull => c(0) == Some(0),
        _ => false,
    }
}

/// A new op of the output with a fresh result variable.
pub(crate) fn new_op(sh: &mut Shared, opnum: OpNum, args: &[Operand]) -> Op {
    let kind = opnum.result_kind();
    let res = (kind != Kind::Void).then(|| sh.new_var(kind));
    Op::new(opnum, args, res, None)
}

/// What a load of a `size`-byte field gives back for the stored `bits`
/// (the heap truncates on store and extends on load).
pub(crate) fn narrow_bits(bits: u64, size: u8, signed: bool) -> u64 {
    if size >= 8 {
        return bits;
    }
    let shift = 64 - 8 * size as u32;
    if signed {
        (((bits << shift) as i64) >> shift) as u64
    } else {
        (bits << shift) >> shift
    }
}

/// The value a load returns after storing `v` into an int field or item of
/// `size` bytes: `v` itself for full words, else a constant or ops
/// (emitted downstream) that truncate and extend like the heap does. Lets
/// heap and virtualize forward stored values without changing what the
/// program reads.
pub(crate) fn narrowed(
    v: Operand,
    kind: Kind,
    size: u8,
    signed: bool,
    sh: &mut Shared,
    next: &mut [Box<dyn Pass>],
) -> Operand {
    if kind != Kind::Int || size >= 8 {
        return v;
    }
    if let Some(bits) = v.const_bits() {
        return Operand::ConstInt(narrow_bits(bits, size, signed) as i64);
    }
    let shift = 64 - 8 * size as i64;
    if signed {
        let l = new_op(sh, OpNum::IntLshift, &[v, Operand::ConstInt(shift)]);
        let lv = Operand::Var(l.res.unwrap());
        send(l, sh, next);
        let r = new_op(sh, OpNum::IntRshift, &[lv, Operand::ConstInt(shift)]);
        let rv = Operand::Var(r.res.unwrap());
        send(r, sh, next);
        rv
    } else {
        let mask = ((1u64 << (8 * size as u32)) - 1) as i64;
        let a = new_op(sh, OpNum::IntAnd, &[v, Operand::ConstInt(mask)]);
        let av = Operand::Var(a.res.unwrap());
        send(a, sh, next);
        av
    }
}

#[cfg(test)]
mod bridge_facts_tests {
    use super::testutil::{optimize_with_facts, parse, world};
    use super::Fact;
    use crate::ir::print::print_trace;
    use crate::ir::GuardId;

    #[test]
    fn a_guard_states_what_held_before_it_and_a_bridge_starts_from_it() {
        let w = world();
        // The loop: p0's class and i1's range are known at Guard3, but not
        // i1 < 10 — that is Guard3's own condition, false when it fails.
        let t = parse(&format!(
            "[p0, i1]
            guard_nonnull_class(p0, {tid}, descr=<Guard1>) [p0, i1]
            i2 = int_ge(i1, 0)
            guard_true(i2, descr=<Guard2>) [p0, i1]
            i3 = int_lt(i1, 10)
            guard_true(i3, descr=<Guard3>) [p0, i1]
            finish(descr=<Guard0>)",
            tid = w.node.tid
        ));
        let opt = optimize_with_facts("all", &t, &[]);
        let facts = &opt.facts[&GuardId(3)];
        assert!(
            facts.contains(&(0, Fact::Class(w.node.tid as i64))),
            "{facts:?}"
        );
        assert!(facts.contains(&(1, Fact::Bounds(0, i64::MAX))), "{facts:?}");

        // A bridge out of Guard3 does not check the class or the sign again.
        let bridge = parse(&format!(
            "[p0, i1]
            guard_nonnull_class(p0, {tid}, descr=<Guard4>) [p0, i1]
            i2 = int_lt(i1, 0)
            guard_false(i2, descr=<Guard5>) [p0, i1]
            i3 = getfield_gc_i(p0, descr=x)
            finish(i3, descr=<Guard0>)",
            tid = w.node.tid
        ));
        let opt = optimize_with_facts("all", &bridge, facts);
        let want = parse(
            "[p0, i1]
            i3 = getfield_gc_i(p0, descr=x)
            finish(i3, descr=<Guard0>)",
        );
        assert_eq!(print_trace(&opt.trace), print_trace(&want));
    }
}

#[cfg(test)]
mod bridge_heap_facts_tests {
    use super::testutil::{optimize_with_facts, parse};
    use super::{Fact, FactVal};
    use crate::ir::print::print_trace;
    use crate::ir::{Descr, GuardId, Operand};

    #[test]
    fn a_bridge_does_not_reread_what_the_loop_read_before_its_guard() {
        let t = parse(
            "[p0, p1, i2]
            i3 = getfield_gc_i(p0, descr=x)
            i4 = getarrayitem_gc_i(p1, i2, descr=ints)
            i5 = int_lt(i3, i4)
            guard_true(i5, descr=<Guard1>) [p0, p1, i2, i3]
            finish(descr=<Guard0>)",
        );
        let opt = optimize_with_facts("heap", &t, &[]);
        let facts = &opt.facts[&GuardId(1)];
        let w = super::testutil::world();
        // p0.x is i3 (a fail arg). p1[i2] is i4, which is no fail arg:
        // nothing to say about it.
        assert!(facts.contains(&(0, Fact::Field(Descr::Field(w.x), FactVal::Arg(3)))));
        assert!(
            !facts.iter().any(|(_, f)| matches!(f, Fact::Item(..))),
            "{facts:?}"
        );

        let bridge = parse(
            "[p0, p1, i2, i3]
            i4 = getfield_gc_i(p0, descr=x)
            i5 = getfield_gc_i(p0, descr=y)
            i6 = getarrayitem_gc_i(p1, i2, descr=ints)
            setfield_gc(p1, i4, descr=x)
            i7 = getfield_gc_i(p0, descr=x)
            finish(i4, i5, i6, i7, descr=<Guard0>)",
        );
        let opt = optimize_with_facts("heap", &bridge, facts);
        // The write to p1.x may alias p0.x: the last read stays.
        let want = parse(
            "[p0, p1, i2, i3]
            i5 = getfield_gc_i(p0, descr=y)
            i6 = getarrayitem_gc_i(p1, i2, descr=ints)
            setfield_gc(p1, i3, descr=x)
            i7 = getfield_gc_i(p0, descr=x)
            finish(i3, i5, i6, i7, descr=<Guard0>)",
        );
        assert_eq!(print_trace(&opt.trace), print_trace(&want));
    }

    #[test]
    fn item_facts_name_their_index() {
        let t = parse(
            "[p1, i2, i3]
            i4 = getarrayitem_gc_i(p1, i2, descr=ints)
            i5 = getarrayitem_gc_i(p1, 3, descr=ints)
            guard_true(i3, descr=<Guard1>) [p1, i4, i2, i5]
            finish(descr=<Guard0>)",
        );
        let opt = optimize_with_facts("heap", &t, &[]);
        let w = super::testutil::world();
        let d = Descr::Array(w.ints);
        let facts = &opt.facts[&GuardId(1)];
        assert!(facts.contains(&(0, Fact::Item(d, FactVal::Arg(2), FactVal::Arg(1)))));
        assert!(facts.contains(&(
            0,
            Fact::Item(d, FactVal::Const(Operand::ConstInt(3)), FactVal::Arg(3))
        )));
        let bridge = parse(
            "[p0, i1, i2, i3]
            i4 = getarrayitem_gc_i(p0, i2, descr=ints)
            i5 = getarrayitem_gc_i(p0, 3, descr=ints)
            i6 = getarrayitem_gc_i(p0, 2, descr=ints)
            finish(i4, i5, i6, descr=<Guard0>)",
        );
        let opt = optimize_with_facts("heap", &bridge, facts);
        let want = parse(
            "[p0, i1, i2, i3]
            i6 = getarrayitem_gc_i(p0, 2, descr=ints)
            finish(i1, i3, i6, descr=<Guard0>)",
        );
        assert_eq!(print_trace(&opt.trace), print_trace(&want));
    }

    #[test]
    fn a_pending_store_is_no_fact_the_bridge_does_it_again() {
        let t = parse(
            "[p0, i1]
            i2 = getfield_gc_i(p0, descr=y)
            setfield_gc(p0, i1, descr=x)
            guard_true(i1, descr=<Guard1>) [p0, i1, i2]
            finish(descr=<Guard0>)",
        );
        let opt = optimize_with_facts("heap", &t, &[]);
        let w = super::testutil::world();
        let facts = &opt.facts[&GuardId(1)];
        assert!(facts.contains(&(0, Fact::Field(Descr::Field(w.y), FactVal::Arg(2)))));
        assert!(
            !facts
                .iter()
                .any(|(_, f)| matches!(f, Fact::Field(d, _) if *d == Descr::Field(w.x))),
            "{facts:?}"
        );
        let g = opt
            .trace
            .ops
            .iter()
            .find(|o| o.guard_id() == Some(GuardId(1)));
        assert!(g.unwrap().pending.is_some());
        // The bridge starts with the guard's pending store (the warm
        // state puts it there): seeded with p0.x = i1 it would drop it.
        let bridge = parse(
            "[p0, i1, i2]
            setfield_gc(p0, i1, descr=x)
            i3 = getfield_gc_i(p0, descr=x)
            i4 = getfield_gc_i(p0, descr=y)
            finish(i3, i4, descr=<Guard0>)",
        );
        let opt = optimize_with_facts("heap", &bridge, facts);
        let want = parse(
            "[p0, i1, i2]
            setfield_gc(p0, i1, descr=x)
            finish(i1, i2, descr=<Guard0>)",
        );
        assert_eq!(print_trace(&opt.trace), print_trace(&want));
    }
}
