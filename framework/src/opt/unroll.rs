//! Unroll: loop peeling (PyPy's `optimizeopt/unroll.py`, in the simple
//! form of "Loop-Aware Optimizations in PyPy's Tracing JIT").
//!
//! Owns: turning `label(L0) body jump(L0)` into
//!
//! ```text
//! label(inputargs, descr=L0)      # entry: interpreter and bridges
//! <body, optimized: the preamble, first iteration>
//! same_as_* ...                   # fresh variables for loop-carried values
//! label(carried + imported, descr=L1)
//! <body again, optimized knowing the preamble>
//! jump(carried' + imported, descr=L1)
//! ```
//!
//! The chain runs once over preamble and peeled body; what the passes
//! learnt in the preamble (classes, non-null, bounds, constants, pure
//! results) removes guards and recomputations from the peeled body. That
//! is sound because the body only refers to preamble values that are the
//! same in every iteration:
//! - an input the recorded jump passes back unchanged (loop-invariant)
//!   maps to its preamble value; an input the jump sets to a constant maps
//!   to that constant;
//! - every other input is loop-carried: it gets a fresh variable (a
//!   `same_as` of the preamble's value) no pass knows anything about;
//! - pure results CSE'd with the preamble have loop-invariant operands
//!   (by induction), so they are invariant too, and are passed through the
//!   second label ("imported") and back unchanged by the jump;
//! - heap knowledge is dropped at the label (memory changes around the
//!   loop), except for cached locations whose object (and index) are
//!   loop-invariant: their values are passed through the second label
//!   like carried inputs, and the body's jump passes the value it knows
//!   (or reads again) — so a counter kept in memory stays in a register;
//! - virtuals are carried across the back edge as their fields where the
//!   shapes match (nested virtuals flattened), else forced at the jumps.
//!
//! Guards copied into the peeled body get fresh ids (`new_guard`) and are
//! reported as (copy, original). The second label's `TargetToken` is
//! taken from the same counter (`new_guard`), which the warm state shares
//! between guards, loops and labels, so it is unique.
//!
//! Traces that do not loop to their own first label (entry traces ending
//! in `finish`, loops jumping to another loop) are not peeled.
//!
//! Bridges into the body (PyPy's jump to the loop's second target token):
//! a peeled loop exports a [`BodyEntry`] — how each argument of the second
//! label follows from the first label's inputs (an input, or a field of a
//! carried virtual input), which inputs the body takes as constants, and
//! what the body assumes about the label's arguments ([`Fact`]s the
//! preamble established: classes, non-null, bounds). A bridge that closes
//! with a jump to the first label jumps to the second one instead
//! (`bridge_to_body`) when its values match that state: the constants
//! are the same, each carried virtual is a virtual of the same shape in
//! the bridge (passed as its fields, never allocated), and the bridge's
//! own facts imply the body's. Otherwise it goes through the preamble.
//! Loops whose second label carries anything else (a heap value, a pure
//! result computed in the preamble) export no entry: a bridge would have
//! to recompute it (PyPy's short preamble, not done here). Nor do loops
//! whose body found any preamble value it does not receive as a label
//! argument — a pure op CSE'd with the preamble's, an invariant heap value
//! — even if the value then folded away: the body's guards on it were
//! removed because the preamble checked them (`Shared::preamble_hit`).
//! Such facts are about values, not label arguments, so `Fact`s cannot
//! express them; a bridge entering the body would skip the checks (found
//! as a list iterator running a str loop's body, whose `kind == 2` guard
//! had folded away).

use super::heap::{Heap, Loc};
use super::virtualize::{VShape, Virtualize};
use super::{chain, run_chain, send, start_chain, Fact, Optimized, Pass, Shared};
use crate::ir::{Descr, GuardId, Kind, Op, OpNum, Operand, TargetToken, Trace, Var};
use crate::params::JitParams;
use hashbrown::{HashMap, HashSet};

fn same_as(kind: Kind) -> OpNum {
    match kind {
        Kind::Float => OpNum::SameAsF,
        Kind::Ref => OpNum::SameAsR,
        _ => OpNum::SameAsI,
    }
}

/// Is `t` a loop closing on its own first label, with no other label?
fn peelable(t: &Trace) -> bool {
    let (Some(first), Some(last)) = (t.ops.first(), t.ops.last()) else {
        return false;
    };
    first.opnum == OpNum::Label
        && last.opnum == OpNum::Jump
        && first.descr.is_some()
        && first.descr == last.descr
        && first.args.iter().all(|a| a.as_var().is_some())
        && t.ops[1..]
            .iter()
            .filter(|o| o.opnum == OpNum::Label)
            .count()
            == 0
}

pub(crate) fn optimize(
    trace: &Trace,
    params: &JitParams,
    new_guard: &mut dyn FnMut() -> GuardId,
) -> Optimized {
    if !peelable(trace) {
        return run_chain(trace, params, new_guard, &[]);
    }
    // Inputs whose virtual could not be carried: passed as objects.
    let mut plain: HashSet<usize> = HashSet::new();
    loop {
        match peel(trace, params, new_guard, &plain) {
            Ok(opt) => return opt,
            Err(k) => {
                let fresh = plain.insert(k);
                debug_assert!(fresh, "input {k} failed twice");
            }
        }
    }
}

/// What the second label passes for one loop-carried input.
enum Carry {
    /// The value itself.
    Plain,
    /// The fields of a virtual of this shape (the body rebuilds it), and
    /// the virtuals the shape covers (the object and nested ones).
    Virtual(VShape, Vec<Var>),
}

fn virt(passes: &mut [Box<dyn Pass>]) -> Option<&mut Virtualize> {
    passes.iter_mut().find_map(|p| p.virtualize())
}

fn heap(passes: &mut [Box<dyn Pass>]) -> Option<&mut Heap> {
    passes.iter_mut().find_map(|p| p.heap())
}

/// `args` with every carried virtual replaced by its field values, and
/// where each input's values start.
fn flatten(
    args: &[Operand],
    carried: &[(usize, Carry, Vec<Operand>)],
) -> (Vec<Operand>, Vec<usize>) {
    let mut flat = Vec::with_capacity(args.len());
    let mut at = Vec::with_capacity(args.len());
    for (k, a) in args.iter().enumerate() {
        at.push(flat.len());
        match carried.iter().find(|(c, _, _)| *c == k) {
            Some((_, Carry::Virtual(..), vals)) => flat.extend(vals.iter().copied()),
            _ => flat.push(*a),
        }
    }
    (flat, at)
}

/// The first carried input whose virtuals did not survive the jump (it
/// forced them: they are reachable from elsewhere) or overlap another
/// input's (one object, so it cannot be rebuilt twice).
fn not_carried(
    carried: &[(usize, Carry, Vec<Operand>)],
    vz: Option<&mut Virtualize>,
) -> Option<usize> {
    let vz = vz?;
    let mut seen: HashSet<Var> = HashSet::new();
    for (k, c, _) in carried {
        if let Carry::Virtual(_, covered) = c {
            for v in covered {
                if !vz.is_virtual(&Operand::Var(*v)) || !seen.insert(*v) {
                    return Some(*k);
                }
            }
        }
    }
    None
}

/// One attempt at peeling, carrying virtuals across the back edge except
/// for the inputs in `plain`; `Err(k)` when input `k`'s virtual cannot be
/// carried after all (the body's jump passes something else, or the
/// object is also reachable another way).
fn peel(
    trace: &Trace,
    params: &JitParams,
    new_guard: &mut dyn FnMut() -> GuardId,
    plain: &HashSet<usize>,
) -> Result<Optimized, usize> {
    let label = &trace.ops[0];
    let jump = trace.ops.last().unwrap();
    let inputs: Vec<Var> = label.args.iter().map(|a| a.as_var().unwrap()).collect();

    let mut sh = Shared::new(trace, new_guard);
    let mut passes = chain(params);

    // The preamble: the whole trace but the jump, which is sent with the
    // carried virtuals' fields instead of the objects (so that everything
    // else is forced) and replaced by the second label.
    for op in &trace.ops[..trace.ops.len() - 1] {
        send(op.clone(), &mut sh, &mut passes);
    }
    let pre: Vec<Operand> = jump.args.iter().map(|a| sh.get(*a)).collect();
    // (input, how it is carried, its preamble values).
    let mut carried: Vec<(usize, Carry, Vec<Operand>)> = Vec::new();
    let mut map: HashMap<Var, Operand> = HashMap::new();
    // The preamble's values of the inputs the jump passes back unchanged.
    let mut invariant: Vec<Operand> = Vec::new();
    // For the body entry: (input, its preamble value) for invariant
    // inputs, and the inputs the body knows as constants.
    let mut invariant_of: Vec<(usize, Operand)> = Vec::new();
    let mut consts: Vec<(usize, Operand)> = Vec::new();
    // Virtuals the jump passes directly are not also nested in another
    // input's shape (one object must not be rebuilt twice).
    let mut avoid: HashSet<Var> = pre.iter().filter_map(|a| a.as_var()).collect();
    for (k, &v) in inputs.iter().enumerate() {
        let j = jump.args[k];
        if j == Operand::Var(v) {
            let pre_value = sh.get(Operand::Var(v));
            map.insert(v, pre_value);
            invariant.push(pre_value);
            if pre_value.is_const() {
                consts.push((k, pre_value));
            } else {
                invariant_of.push((k, pre_value));
            }
        } else if j.is_const() {
            map.insert(v, j);
            consts.push((k, j));
        } else {
            let once = pre.iter().filter(|a| **a == pre[k]).count() == 1;
            let exported = match virt(&mut passes) {
                Some(vz) if once && !plain.contains(&k) => vz.export(&pre[k], &avoid),
                _ => None,
            };
            if let Some((_, _, covered)) = &exported {
                avoid.extend(covered.iter().copied());
            }
            carried.push(match exported {
                Some((shape, vals, covered)) => (k, Carry::Virtual(shape, covered), vals),
                None => (k, Carry::Plain, vec![pre[k]]),
            });
        }
    }
    let (flat, at) = flatten(&pre, &carried);
    let descr = jump.descr;
    send(
        Op::new(OpNum::Jump, &flat, None, descr),
        &mut sh,
        &mut passes,
    );
    let pre_jump = sh.out.ops.pop().expect("the chain keeps the jump");
    debug_assert_eq!(pre_jump.opnum, OpNum::Jump);
    if let Some(k) = not_carried(&carried, virt(&mut passes)) {
        return Err(k); // forced by the jump or shared: reachable from elsewhere
    }

    // Heap facts at the end of the preamble about loop-invariant
    // locations travel through the label too (see `heap`'s docs).
    let heap_carried: Vec<(Loc, Operand)> = match heap(&mut passes) {
        Some(h) => h
            .export()
            .into_iter()
            .filter(|(loc, _)| {
                loc.operands()
                    .all(|o| o.is_const() || invariant.contains(&o))
            })
            .collect(),
        None => Vec::new(),
    };

    // Fresh variables (`same_as` the preamble's values) for the label.
    let mut l1_args: Vec<Var> = Vec::new();
    let mut fresh_of: Vec<Vec<Var>> = Vec::new();
    for (k, c, _) in &carried {
        let n = match c {
            Carry::Plain => 1,
            Carry::Virtual(s, _) => s.arity(),
        };
        let mut vars = Vec::with_capacity(n);
        for &a in &pre_jump.args[at[*k]..at[*k] + n] {
            let kind = sh.kind(&a);
            let fresh = sh.new_var(kind);
            sh.out
                .ops
                .push(Op::new(same_as(kind), &[a], Some(fresh), None));
            vars.push(fresh);
            l1_args.push(fresh);
        }
        fresh_of.push(vars);
    }

    let mut heap_fresh: Vec<Var> = Vec::with_capacity(heap_carried.len());
    for (_, value) in &heap_carried {
        let kind = sh.kind(value);
        let fresh = sh.new_var(kind);
        sh.out
            .ops
            .push(Op::new(same_as(kind), &[*value], Some(fresh), None));
        heap_fresh.push(fresh);
        l1_args.push(fresh);
    }

    let l1 = Descr::Target(TargetToken((sh.new_guard)().0));
    let mut l1_at = sh.out.ops.len();
    let l1_args_ops: Vec<Operand> = l1_args.iter().map(|v| Operand::Var(*v)).collect();
    send(
        Op::new(OpNum::Label, &l1_args_ops, None, Some(l1)),
        &mut sh,
        &mut passes,
    );
    debug_assert_eq!(sh.out.ops.len(), l1_at + 1);
    sh.in_body = true;
    // What the body will know about the invariant values (the preamble's
    // facts survive the label; heap facts do not): a bridge entering the
    // body must know at least as much.
    let inv_values: Vec<Operand> = invariant_of.iter().map(|(_, v)| *v).collect();
    let mut inv_facts: Vec<(u32, Fact)> = Vec::new();
    for p in passes.iter() {
        p.facts_at(&inv_values, &mut inv_facts);
    }
    if let Some(h) = heap(&mut passes) {
        for ((loc, _), fresh) in heap_carried.iter().zip(&heap_fresh) {
            h.import(*loc, Operand::Var(*fresh));
        }
    }
    // Carried inputs: the fresh variable, or a virtual again.
    for ((k, c, _), vars) in carried.iter().zip(&fresh_of) {
        let v = inputs[*k];
        match c {
            Carry::Plain => {
                map.insert(v, Operand::Var(vars[0]));
            }
            Carry::Virtual(s, _) => {
                let obj = sh.new_var(Kind::Ref);
                let vals: Vec<Operand> = vars.iter().map(|v| Operand::Var(*v)).collect();
                let mut new_var = || sh.new_var(Kind::Ref);
                virt(&mut passes)
                    .unwrap()
                    .import(obj, s, &vals, &mut new_var);
                map.insert(v, Operand::Var(obj));
            }
        }
    }

    // The peeled body: fresh variables, fresh guard ids.
    let mut copies: Vec<(GuardId, GuardId)> = Vec::new();
    let mut body_results: Vec<Var> = Vec::new();
    let m = |map: &HashMap<Var, Operand>, o: &Operand| match o {
        Operand::Var(v) => map.get(v).copied().unwrap_or(*o),
        c => *c,
    };
    for op in &trace.ops[1..trace.ops.len() - 1] {
        let mut c = op.clone();
        for a in c.args.iter_mut() {
            *a = m(&map, a);
        }
        if let Some(fa) = c.fail_args.as_mut() {
            for a in fa.iter_mut() {
                *a = m(&map, a);
            }
        }
        if let Some(r) = op.res {
            let fresh = sh.new_var(trace.kind(r));
            map.insert(r, Operand::Var(fresh));
            c.res = Some(fresh);
            body_results.push(fresh);
        }
        if let Some(orig) = op.guard_id() {
            let id = (sh.new_guard)();
            copies.push((id, orig));
            c.descr = Some(Descr::Guard(id));
        }
        send(c, &mut sh, &mut passes);
    }
    // The body's jump must pass virtuals of the same shapes.
    let post: Vec<Operand> = jump.args.iter().map(|a| sh.get(m(&map, a))).collect();
    let mut body_carried: Vec<(usize, Carry, Vec<Operand>)> = Vec::new();
    for (k, c, _) in &carried {
        let (vals, c) = match c {
            Carry::Plain => (vec![post[*k]], Carry::Plain),
            Carry::Virtual(s, _) => {
                let once = post.iter().filter(|a| **a == post[*k]).count() == 1;
                let vz = virt(&mut passes).unwrap();
                match vz.matching(&post[*k], s) {
                    Some((vals, covered)) if once => (vals, Carry::Virtual(s.clone(), covered)),
                    _ => return Err(*k),
                }
            }
        };
        body_carried.push((*k, c, vals));
    }
    // The heap values for the next iteration: cached, or read again
    // (these reads find imported values by design: not the body's use).
    sh.in_body = false;
    let mut heap_next: Vec<Operand> = Vec::with_capacity(heap_carried.len());
    for (loc, _) in &heap_carried {
        let res = sh.new_var(loc.kind());
        send(loc.read(res), &mut sh, &mut passes);
        heap_next.push(sh.get(Operand::Var(res)));
    }
    let (flat, at) = flatten(&post, &body_carried);
    send(
        Op::new(OpNum::Jump, &flat, None, Some(l1)),
        &mut sh,
        &mut passes,
    );
    let mut body_jump = sh.out.ops.pop().expect("the chain keeps the jump");
    if let Some(k) = not_carried(&body_carried, virt(&mut passes)) {
        return Err(k);
    }

    // A heap value the body passes back unchanged is invariant (an
    // immutable field, a location the loop only reads): the body uses
    // the preamble's value instead, and the label does not carry it.
    let mut subst: HashMap<Var, Operand> = HashMap::new();
    for (j, fresh) in heap_fresh.iter().enumerate() {
        if heap_next[j] == Operand::Var(*fresh) {
            subst.insert(*fresh, heap_carried[j].1);
        }
    }
    if !subst.is_empty() {
        let fix = |o: &mut Operand| {
            if let Some(r) = o.as_var().and_then(|v| subst.get(&v)) {
                *o = *r;
            }
        };
        for op in &mut sh.out.ops[l1_at + 1..] {
            op.args.iter_mut().for_each(fix);
            op.fail_args.iter_mut().flatten().for_each(fix);
        }
        body_jump.args.iter_mut().for_each(fix);
        // Drop the invariant locations' entries by position: another
        // location's next value may be the same variable (the body
        // copied one location into another), and that entry stays,
        // rewritten to the preamble's value.
        heap_next = heap_next
            .into_iter()
            .zip(&heap_fresh)
            .filter(|(_, fresh)| !subst.contains_key(*fresh))
            .map(|(mut o, _)| {
                fix(&mut o);
                o
            })
            .collect();
        l1_args.retain(|v| !subst.contains_key(v));
        let before_len = sh.out.ops.len();
        sh.out
            .ops
            .retain(|o| !o.res.is_some_and(|r| subst.contains_key(&r)));
        l1_at -= before_len - sh.out.ops.len();
    }

    // Preamble values the body uses travel through the second label.
    let mut before: HashSet<Var> = sh.out.inputargs.iter().copied().collect();
    before.extend(sh.out.ops[..l1_at].iter().filter_map(|o| o.res));
    let carried_set: HashSet<Var> = l1_args.iter().copied().collect();
    let mut imported: Vec<Var> = Vec::new();
    let mut seen: HashSet<Var> = HashSet::new();
    let uses = sh.out.ops[l1_at + 1..]
        .iter()
        .flat_map(|o| o.args.iter().chain(o.fail_args.iter().flatten()))
        .chain(body_jump.args.iter())
        .chain(heap_next.iter());
    for u in uses {
        if let Operand::Var(v) = u {
            if before.contains(v) && !carried_set.contains(v) && seen.insert(*v) {
                imported.push(*v);
            }
        }
    }
    // Invariant inputs first, in their order, for readable traces.
    let rank = |v: &Var| inputs.iter().position(|i| i == v).unwrap_or(usize::MAX);
    imported.sort_by_key(rank);
    let mut label_args: Vec<Operand> = l1_args.iter().map(|v| Operand::Var(*v)).collect();
    label_args.extend(imported.iter().map(|v| Operand::Var(*v)));
    let mut jump_args: Vec<Operand> = Vec::with_capacity(label_args.len());
    for ((k, _, _), vars) in carried.iter().zip(&fresh_of) {
        jump_args.extend_from_slice(&body_jump.args[at[*k]..at[*k] + vars.len()]);
    }
    jump_args.extend_from_slice(&heap_next);
    jump_args.extend(imported.iter().map(|v| Operand::Var(*v)));
    sh.out.ops[l1_at].args = label_args.as_slice().into();
    sh.out
        .ops
        .push(Op::new(OpNum::Jump, &jump_args, None, Some(l1)));

    // The body entry: every label arg must follow from the inputs.
    let mut sources: Vec<Source> = Vec::with_capacity(label_args.len());
    let mut facts: Vec<(u32, Fact)> = Vec::new();
    for (li, a) in label_args.iter().enumerate() {
        let v = a.as_var();
        let carried_at = carried.iter().zip(&fresh_of).find_map(|((k, c, _), vars)| {
            let j = vars.iter().position(|f| Some(*f) == v)?;
            Some(match c {
                Carry::Plain => Source::Input(*k),
                Carry::Virtual(..) => Source::Field(*k, j),
            })
        });
        let src = carried_at.or_else(|| {
            let n = invariant_of.iter().position(|(_, pv)| pv == a)?;
            let li = li as u32;
            facts.extend(
                inv_facts
                    .iter()
                    .filter(|(i, _)| *i as usize == n)
                    .map(|&(_, f)| (li, f)),
            );
            Some(Source::Input(invariant_of[n].0))
        });
        match src {
            Some(src) => sources.push(src),
            None => break, // a heap value or a preamble result
        }
    }
    // A body result the passes replaced by a preamble value that is not
    // a label argument (a pure read of an invariant input CSE'd with the
    // preamble's) means the body relied on what the preamble knew about
    // that value — e.g. `guard_true(int_eq(kind, 2))` removed because the
    // preamble checked it. A bridge entering the body would have to
    // establish that too (PyPy's short preamble); we send it through the
    // preamble instead. The check looks at every result, used or not:
    // a CSE'd value folded into a constant leaves no use behind.
    let label_set: HashSet<Var> = label_args.iter().filter_map(|a| a.as_var()).collect();
    // (An invariant heap value the label stopped carrying counts as the
    // preamble value `subst` replaced it with.)
    let relied = sh.preamble_hit
        || body_results.iter().any(|f| {
            let mut to = sh.get(Operand::Var(*f));
            if let Some(r) = to.as_var().and_then(|v| subst.get(&v)) {
                to = *r;
            }
            match to {
                Operand::Var(v) => v != *f && before.contains(&v) && !label_set.contains(&v),
                _ => false,
            }
        });
    let body = (!relied && sources.len() == label_args.len()).then(|| BodyEntry {
        token: match l1 {
            Descr::Target(t) => t,
            _ => unreachable!("the second label's descr is a target token"),
        },
        sources,
        consts,
        shapes: carried
            .iter()
            .filter_map(|(k, c, _)| match c {
                Carry::Virtual(s, _) => Some((*k, s.clone())),
                Carry::Plain => None,
            })
            .collect(),
        facts,
    });

    let present: HashSet<GuardId> = sh.out.ops.iter().filter_map(|o| o.guard_id()).collect();
    copies.retain(|(c, _)| present.contains(c));
    Ok(Optimized {
        trace: sh.out,
        guard_copies: copies,
        facts: sh.facts,
        body,
    })
}

/// How a bridge may enter a peeled loop's body (see the module docs).
#[derive(Clone)]
pub struct BodyEntry {
    /// The second label's token.
    pub token: TargetToken,
    /// Per argument of the second label, where it comes from.
    sources: Vec<Source>,
    /// Inputs the body takes as these constants.
    consts: Vec<(usize, Operand)>,
    /// Inputs carried as a virtual of this shape.
    shapes: Vec<(usize, VShape)>,
    /// What the body assumes about its label args (by index).
    facts: Vec<(u32, Fact)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Source {
    /// The first label's input `k`.
    Input(usize),
    /// Value `j` of carried virtual input `k`, flattened.
    Field(usize, usize),
}

/// Does knowing `have` about a value (or the value being the constant
/// `c`) imply `need`?
fn implies(have: &[Fact], c: Option<u64>, need: &Fact) -> bool {
    if let (Some(c), Fact::Bounds(lo, hi)) = (c, need) {
        return (*lo..=*hi).contains(&(c as i64));
    }
    if let (Some(c), Fact::NonNull) = (c, need) {
        return c != 0;
    }
    have.iter().any(|h| match (h, need) {
        (Fact::Class(a), Fact::Class(b)) => a == b,
        (Fact::Class(_) | Fact::NonNull, Fact::NonNull) => true,
        (Fact::Bounds(a, b), Fact::Bounds(lo, hi)) => lo <= a && b <= hi,
        _ => false,
    })
}

/// Optimizes a bridge that ends in a jump to the first label of the loop
/// `body` describes so that it jumps to the body instead; `None` when the
/// bridge's values do not match the body's state (the caller optimizes it
/// the ordinary way, through the preamble).
pub(crate) fn bridge_to_body(
    trace: &Trace,
    params: &JitParams,
    new_guard: &mut dyn FnMut() -> GuardId,
    seeds: &[(u32, Fact)],
    body: &BodyEntry,
) -> Option<Optimized> {
    let (jump, rest) = trace.ops.split_last()?;
    if jump.opnum != OpNum::Jump {
        return None;
    }
    let (mut sh, mut passes) = start_chain(trace, params, new_guard, seeds);
    for op in rest {
        send(op.clone(), &mut sh, &mut passes);
    }
    let args: Vec<Operand> = jump.args.iter().map(|a| sh.get(*a)).collect();
    if body.consts.iter().any(|(k, c)| args.get(*k) != Some(c)) {
        return None;
    }
    // Carried virtuals: the same shape, passed once, as their fields.
    let mut fields: HashMap<usize, Vec<Operand>> = HashMap::new();
    let mut covered: Vec<Var> = Vec::new();
    for (k, s) in &body.shapes {
        let a = args.get(*k)?;
        if args.iter().filter(|b| *b == a).count() != 1 {
            return None;
        }
        let (vals, cov) = virt(&mut passes)?.matching(a, s)?;
        fields.insert(*k, vals);
        covered.extend(cov);
    }
    let mut flat = Vec::with_capacity(body.sources.len());
    for src in &body.sources {
        flat.push(match *src {
            Source::Input(k) => *args.get(k)?,
            Source::Field(k, j) => *fields.get(&k)?.get(j)?,
        });
    }
    // The bridge must know what the body assumes.
    let mut have: Vec<(u32, Fact)> = Vec::new();
    for p in passes.iter() {
        p.facts_at(&flat, &mut have);
    }
    for (i, need) in &body.facts {
        let mine: Vec<Fact> = have
            .iter()
            .filter(|(j, _)| j == i)
            .map(|&(_, f)| f)
            .collect();
        if !implies(&mine, flat[*i as usize].const_bits(), need) {
            return None;
        }
    }
    let descr = Some(Descr::Target(body.token));
    send(
        Op::new(OpNum::Jump, &flat, None, descr),
        &mut sh,
        &mut passes,
    );
    // The virtuals must have survived the jump (not forced because they
    // are also reachable from another argument) and be distinct.
    let mut seen: HashSet<Var> = HashSet::new();
    if let Some(vz) = virt(&mut passes) {
        if !covered
            .iter()
            .all(|v| vz.is_virtual(&Operand::Var(*v)) && seen.insert(*v))
        {
            return None;
        }
    }
    Some(Optimized {
        trace: sh.out,
        guard_copies: Vec::new(),
        facts: sh.facts,
        body: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::ir::GuardId;
    use crate::opt::testutil::check;

    #[test]
    fn invariant_guards_and_pure_reads_run_once() {
        let opt = check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            guard_class(p1, 3, descr=<Guard1>) [i0, p1]
            i2 = getfield_gc_pure_i(p1, descr=imm)
            i3 = int_add(i0, i2)
            i4 = int_lt(i3, 100)
            guard_true(i4, descr=<Guard2>) [i3, p1]
            jump(i3, p1, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            guard_class(p1, 3, descr=<Guard1>) [i0, p1]
            i2 = getfield_gc_pure_i(p1, descr=imm)
            i3 = int_add(i0, i2)
            i4 = int_lt(i3, 100)
            guard_true(i4, descr=<Guard2>) [i3, p1]
            i5 = same_as_i(i3)
            label(i5, p1, i2, descr=TargetToken(100))
            i8 = int_add(i5, i2)
            i9 = int_lt(i8, 100)
            guard_true(i9, descr=<Guard102>) [i8, p1]
            jump(i8, p1, i2, descr=TargetToken(100))",
        );
        assert_eq!(opt.guard_copies, vec![(GuardId(102), GuardId(2))]);
    }

    #[test]
    fn heap_facts_about_invariant_locations_cross_the_back_edge() {
        // x of the invariant p1 stays in a register: the body neither
        // reads it nor loses it; the store stays.
        check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add(i2, i0)
            setfield_gc(p1, i3, descr=x)
            jump(i0, p1, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add(i2, i0)
            setfield_gc(p1, i3, descr=x)
            i4 = same_as_i(i3)
            label(i4, i0, p1, descr=TargetToken(100))
            i6 = int_add(i4, i0)
            setfield_gc(p1, i6, descr=x)
            jump(i6, i0, p1, descr=TargetToken(100))",
        );
    }

    #[test]
    fn a_heap_fact_the_body_loses_is_read_again_before_the_jump() {
        check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add(i2, i0)
            setfield_gc(p1, i3, descr=x)
            call_n(ConstClass(0x1000), p1, 3, descr=wr)
            i4 = getfield_gc_i(p1, descr=x)
            guard_true(i4, descr=<Guard1>) [i0, p1]
            jump(i0, p1, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add(i2, i0)
            setfield_gc(p1, i3, descr=x)
            call_n(ConstClass(0x1000), p1, 3, descr=wr)
            i4 = getfield_gc_i(p1, descr=x)
            guard_true(i4, descr=<Guard1>) [i0, p1]
            i5 = same_as_i(i4)
            label(i5, i0, p1, descr=TargetToken(100))
            i7 = int_add(i5, i0)
            setfield_gc(p1, i7, descr=x)
            call_n(ConstClass(0x1000), p1, 3, descr=wr)
            i8 = getfield_gc_i(p1, descr=x)
            guard_true(i8, descr=<Guard101>) [i0, p1]
            jump(i8, i0, p1, descr=TargetToken(100))",
        );
    }

    #[test]
    fn constants_and_guard_values_on_invariants() {
        check(
            "all",
            "[i0, i1, p2]
            label(i0, i1, p2, descr=TargetToken(1))
            guard_value(p2, ConstPtr(0x5000), descr=<Guard1>) [i0]
            guard_nonnull(p2, descr=<Guard2>) [i0]
            i3 = int_add(i0, i1)
            i4 = int_lt(i3, 10)
            guard_true(i4, descr=<Guard3>) [i3]
            jump(i3, 7, p2, descr=TargetToken(1))",
            "[i0, i1, p2]
            label(i0, i1, p2, descr=TargetToken(1))
            guard_value(p2, ConstPtr(0x5000), descr=<Guard1>) [i0]
            i3 = int_add(i0, i1)
            i4 = int_lt(i3, 10)
            guard_true(i4, descr=<Guard3>) [i3]
            i5 = same_as_i(i3)
            label(i5, descr=TargetToken(100))
            i6 = int_add(i5, 7)
            i7 = int_lt(i6, 10)
            guard_true(i7, descr=<Guard103>) [i6]
            jump(i6, descr=TargetToken(100))",
        );
    }

    /// A boxed counter: the box stays virtual at the guards inside the
    /// iteration and across the back edge (the label passes its field),
    /// so the peeled body neither allocates nor reads it back.
    #[test]
    fn boxed_counter_pipeline() {
        check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            guard_nonnull_class(p1, 2119630851, descr=<Guard1>) [i0, p1]
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add_ovf(i2, 1)
            guard_no_overflow(descr=<Guard2>) [i0, p1]
            p4 = new(descr=Node)
            setfield_gc(p4, i3, descr=x)
            i5 = int_lt(i3, 100)
            guard_true(i5, descr=<Guard3>) [i0, p4]
            jump(i0, p4, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            guard_nonnull_class(p1, 2119630851, descr=<Guard1>) [i0, p1]
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add_ovf(i2, 1)
            guard_no_overflow(descr=<Guard2>) [i0, p1]
            i5 = int_lt(i3, 100)
            guard_true(i5, descr=<Guard3>) [i0, ConstPtr(null), i3] virtuals=[@1 = new(Node) {x=@2}]
            i6 = same_as_i(i3)
            label(i6, i0, descr=TargetToken(100))
            i9 = int_add_ovf(i6, 1)
            guard_no_overflow(descr=<Guard102>) [i0, ConstPtr(null), i6] virtuals=[@1 = new(Node) {x=@2}]
            i11 = int_lt(i9, 100)
            guard_true(i11, descr=<Guard103>) [i0, ConstPtr(null), i9] virtuals=[@1 = new(Node) {x=@2}]
            jump(i9, i0, descr=TargetToken(100))",
        );
    }

    /// A virtual also reachable from another carried virtual cannot be
    /// rebuilt from its fields (there would be two objects): it is passed
    /// as an object, the other one stays virtual.
    #[test]
    fn a_shared_virtual_is_passed_as_an_object() {
        check(
            "all",
            "[i0, p1, p2]
            label(i0, p1, p2, descr=TargetToken(1))
            p3 = new(descr=Node)
            setfield_gc(p3, i0, descr=x)
            p4 = new(descr=Node)
            setfield_gc(p4, p3, descr=next)
            i5 = int_add(i0, 1)
            i6 = int_lt(i5, 10)
            guard_true(i6, descr=<Guard1>) [p4]
            jump(i5, p3, p4, descr=TargetToken(1))",
            "[i0, p1, p2]
            label(i0, p1, p2, descr=TargetToken(1))
            i5 = int_add(i0, 1)
            i6 = int_lt(i5, 10)
            guard_true(i6, descr=<Guard1>) [ConstPtr(null), ConstPtr(null), i0] \
                virtuals=[@0 = new(Node) {next=@1}, @1 = new(Node) {x=@2}]
            p3 = new(descr=Node)
            setfield_gc(p3, i0, descr=x)
            i7 = same_as_i(i5)
            p8 = same_as_r(p3)
            p9 = same_as_r(p3)
            label(i7, p8, p9, descr=TargetToken(100))
            i13 = int_add(i7, 1)
            i14 = int_lt(i13, 10)
            guard_true(i14, descr=<Guard101>) [ConstPtr(null), ConstPtr(null), i7] \
                virtuals=[@0 = new(Node) {next=@1}, @1 = new(Node) {x=@2}]
            p11 = new(descr=Node)
            setfield_gc(p11, i7, descr=x)
            jump(i13, p11, p11, descr=TargetToken(100))",
        );
    }

    #[test]
    fn a_virtual_with_a_virtual_field_is_carried_as_its_leaves() {
        // p2 -> p3 (a box holding the counter): both are rebuilt from
        // one label argument, nothing is allocated in the loop.
        check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            p3 = new(descr=Node)
            setfield_gc(p3, i0, descr=x)
            p2 = new(descr=Node)
            setfield_gc(p2, p3, descr=next)
            i4 = int_add(i0, 1)
            i5 = int_lt(i4, 10)
            guard_true(i5, descr=<Guard1>) [p2]
            jump(i4, p2, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i4 = int_add(i0, 1)
            i5 = int_lt(i4, 10)
            guard_true(i5, descr=<Guard1>) [ConstPtr(null), ConstPtr(null), i0] \
                virtuals=[@0 = new(Node) {next=@1}, @1 = new(Node) {x=@2}]
            i6 = same_as_i(i4)
            i7 = same_as_i(i0)
            label(i6, i7, descr=TargetToken(100))
            i12 = int_add(i6, 1)
            i13 = int_lt(i12, 10)
            guard_true(i13, descr=<Guard101>) [ConstPtr(null), ConstPtr(null), i6] \
                virtuals=[@0 = new(Node) {next=@1}, @1 = new(Node) {x=@2}]
            jump(i12, i6, descr=TargetToken(100))",
        );
    }

    #[test]
    fn entry_traces_are_not_peeled() {
        check(
            "all",
            "[i0]
            i1 = int_add(i0, 1)
            finish(i1, descr=<Guard0>)",
            "[i0]
            i1 = int_add(i0, 1)
            finish(i1, descr=<Guard0>)",
        );
    }

    use crate::ir::print::print_trace;
    use crate::opt::testutil::{bridge_into, parse, world};
    use crate::opt::Fact;

    /// `text` parsed and printed (spelling as the printer has it).
    fn canon(text: &str) -> String {
        print_trace(&parse(text))
    }

    #[test]
    fn a_bridge_that_knows_what_the_preamble_checked_jumps_into_the_body() {
        let w = world();
        let opt = check(
            "all",
            &format!(
                "[i0, p1]
                label(i0, p1, descr=TargetToken(1))
                guard_class(p1, {tid}, descr=<Guard1>) [i0, p1]
                i3 = int_add(i0, 1)
                i4 = int_lt(i3, 100)
                guard_true(i4, descr=<Guard2>) [i3, p1]
                jump(i3, p1, descr=TargetToken(1))",
                tid = w.node.tid
            ),
            &format!(
                "[i0, p1]
                label(i0, p1, descr=TargetToken(1))
                guard_class(p1, {tid}, descr=<Guard1>) [i0, p1]
                i3 = int_add(i0, 1)
                i4 = int_lt(i3, 100)
                guard_true(i4, descr=<Guard2>) [i3, p1]
                i5 = same_as_i(i3)
                label(i5, p1, descr=TargetToken(100))
                i6 = int_add(i5, 1)
                i7 = int_lt(i6, 100)
                guard_true(i7, descr=<Guard102>) [i6, p1]
                jump(i6, p1, descr=TargetToken(100))",
                tid = w.node.tid
            ),
        );
        let body = opt.body.expect("a peeled loop exports its body entry");
        assert_eq!(body.token, crate::ir::TargetToken(100));
        let bridge = "[i0, p1]
            i2 = int_sub(i0, 5)
            jump(i2, p1, descr=TargetToken(1))";
        // The guard knew p1's class: into the body, which does not check it.
        let class = [(1, Fact::Class(w.node.tid as i64))];
        assert_eq!(
            bridge_into(&body, &class, bridge),
            canon(
                "[i0, p1]
                i2 = int_sub(i0, 5)
                jump(i2, p1, descr=TargetToken(100))"
            )
        );
        // Without it, through the preamble, which checks it.
        assert_eq!(
            bridge_into(&body, &[(1, Fact::NonNull)], bridge),
            canon(bridge)
        );
    }

    #[test]
    fn a_bridge_passes_a_matching_virtual_as_its_fields() {
        let opt = check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add(i2, i0)
            p4 = new(descr=Node)
            setfield_gc(p4, i3, descr=x)
            i5 = int_lt(i3, 100)
            guard_true(i5, descr=<Guard1>) [i0, p4]
            jump(i0, p4, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add(i2, i0)
            i5 = int_lt(i3, 100)
            guard_true(i5, descr=<Guard1>) [i0, ConstPtr(null), i3] virtuals=[@1 = new(Node) {x=@2}]
            i6 = same_as_i(i3)
            label(i6, i0, descr=TargetToken(100))
            i9 = int_add(i6, i0)
            i11 = int_lt(i9, 100)
            guard_true(i11, descr=<Guard101>) [i0, ConstPtr(null), i9] virtuals=[@1 = new(Node) {x=@2}]
            jump(i9, i0, descr=TargetToken(100))",
        );
        let body = opt.body.expect("a peeled loop exports its body entry");
        // A bridge building the box: the box is never allocated.
        assert_eq!(
            bridge_into(
                &body,
                &[],
                "[i0, i1]
                p2 = new(descr=Node)
                setfield_gc(p2, i1, descr=x)
                jump(i0, p2, descr=TargetToken(1))"
            ),
            canon(
                "[i0, i1]
                jump(i1, i0, descr=TargetToken(100))"
            )
        );
        // A real object (or a virtual of another shape): the preamble.
        let plain = "[i0, p1]
            jump(i0, p1, descr=TargetToken(1))";
        assert_eq!(bridge_into(&body, &[], plain), canon(plain));
    }

    #[test]
    fn a_body_that_relies_on_a_preamble_pure_result_exports_no_entry() {
        // The preamble checks `kind(p1) == 2` on the invariant p1; the
        // body's read CSEs with the preamble's and its guard folds away,
        // leaving no use of i2 in the body. A bridge jumping to the body
        // with another p1 would skip the check (minipy: a list iterator
        // running the str loop's body), so there is no body entry.
        let opt = check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_pure_i(p1, descr=imm)
            i3 = int_eq(i2, 2)
            guard_true(i3, descr=<Guard1>) [i0, p1]
            i4 = int_add(i0, 1)
            jump(i4, p1, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            i2 = getfield_gc_pure_i(p1, descr=imm)
            i3 = int_eq(i2, 2)
            guard_true(i3, descr=<Guard1>) [i0, p1]
            i4 = int_add(i0, 1)
            i5 = same_as_i(i4)
            label(i5, p1, descr=TargetToken(100))
            i9 = int_add(i5, 1)
            jump(i9, p1, descr=TargetToken(100))",
        );
        assert!(
            opt.body.is_none(),
            "the body skips a check a bridge must make"
        );
    }
}
