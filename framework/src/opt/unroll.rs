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
//!   loop), virtuals are forced at both jumps.
//!
//! Guards copied into the peeled body get fresh ids (`new_guard`) and are
//! reported as (copy, original). The second label's `TargetToken` is
//! taken from the same counter (`new_guard`), which the warm state shares
//! between guards, loops and labels, so it is unique.
//!
//! Traces that do not loop to their own first label (entry traces ending
//! in `finish`, loops jumping to another loop) are not peeled.

use super::{chain, run_chain, send, Optimized, Shared};
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
        return Optimized {
            trace: run_chain(trace, params, new_guard),
            guard_copies: Vec::new(),
        };
    }
    let label = &trace.ops[0];
    let jump = trace.ops.last().unwrap();
    let inputs: Vec<Var> = label.args.iter().map(|a| a.as_var().unwrap()).collect();

    let mut sh = Shared::new(trace, new_guard);
    let mut passes = chain(params);

    // The preamble: the whole trace, jump included (so that virtuals are
    // forced); the jump itself is replaced by the second label.
    for op in &trace.ops {
        send(op.clone(), &mut sh, &mut passes);
    }
    let pre_jump = sh.out.ops.pop().expect("the chain keeps the jump");
    debug_assert_eq!(pre_jump.opnum, OpNum::Jump);

    let mut map: HashMap<Var, Operand> = HashMap::new();
    let mut carried: Vec<usize> = Vec::new();
    let mut l1_args: Vec<Var> = Vec::new();
    for (k, &v) in inputs.iter().enumerate() {
        let j = jump.args[k];
        if j == Operand::Var(v) {
            map.insert(v, sh.get(Operand::Var(v)));
        } else if j.is_const() {
            map.insert(v, j);
        } else {
            let kind = trace.kind(v);
            let fresh = sh.new_var(kind);
            sh.out.ops.push(Op::new(
                same_as(kind),
                &[pre_jump.args[k]],
                Some(fresh),
                None,
            ));
            map.insert(v, Operand::Var(fresh));
            carried.push(k);
            l1_args.push(fresh);
        }
    }

    let l1 = Descr::Target(TargetToken((sh.new_guard)().0));
    let l1_at = sh.out.ops.len();
    let l1_args_ops: Vec<Operand> = l1_args.iter().map(|v| Operand::Var(*v)).collect();
    send(
        Op::new(OpNum::Label, &l1_args_ops, None, Some(l1)),
        &mut sh,
        &mut passes,
    );
    debug_assert_eq!(sh.out.ops.len(), l1_at + 1);

    // The peeled body: fresh variables, fresh guard ids.
    let mut copies: Vec<(GuardId, GuardId)> = Vec::new();
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
        }
        if let Some(orig) = op.guard_id() {
            let id = (sh.new_guard)();
            copies.push((id, orig));
            c.descr = Some(Descr::Guard(id));
        }
        send(c, &mut sh, &mut passes);
    }
    let mut j = jump.clone();
    for a in j.args.iter_mut() {
        *a = m(&map, a);
    }
    j.descr = Some(l1);
    send(j, &mut sh, &mut passes);
    let body_jump = sh.out.ops.pop().expect("the chain keeps the jump");

    // Preamble values the body uses travel through the second label.
    let mut before: HashSet<Var> = sh.out.inputargs.iter().copied().collect();
    before.extend(sh.out.ops[..l1_at].iter().filter_map(|o| o.res));
    let carried_set: HashSet<Var> = l1_args.iter().copied().collect();
    let mut imported: Vec<Var> = Vec::new();
    let mut seen: HashSet<Var> = HashSet::new();
    let uses = sh.out.ops[l1_at + 1..]
        .iter()
        .flat_map(|o| o.args.iter().chain(o.fail_args.iter().flatten()))
        .chain(body_jump.args.iter());
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
    let mut label_args = l1_args_ops;
    label_args.extend(imported.iter().map(|v| Operand::Var(*v)));
    let mut jump_args: Vec<Operand> = carried.iter().map(|&k| body_jump.args[k]).collect();
    jump_args.extend(imported.iter().map(|v| Operand::Var(*v)));
    sh.out.ops[l1_at].args = label_args.into();
    sh.out
        .ops
        .push(Op::new(OpNum::Jump, &jump_args, None, Some(l1)));

    let present: HashSet<GuardId> = sh.out.ops.iter().filter_map(|o| o.guard_id()).collect();
    copies.retain(|(c, _)| present.contains(c));
    Optimized {
        trace: sh.out,
        guard_copies: copies,
    }
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
            i7 = int_add(i5, i2)
            i8 = int_lt(i7, 100)
            guard_true(i8, descr=<Guard102>) [i7, p1]
            jump(i7, p1, i2, descr=TargetToken(100))",
        );
        assert_eq!(opt.guard_copies, vec![(GuardId(102), GuardId(2))]);
    }

    #[test]
    fn heap_reads_are_not_carried_across_the_loop() {
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
            label(i0, p1, descr=TargetToken(100))
            i4 = getfield_gc_i(p1, descr=x)
            i5 = int_add(i4, i0)
            setfield_gc(p1, i5, descr=x)
            jump(i0, p1, descr=TargetToken(100))",
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
    /// iteration and is allocated only where it escapes, at each jump
    /// (virtual state is not carried across the loop yet, so the peeled
    /// body still reads the field back).
    #[test]
    fn boxed_counter_pipeline() {
        check(
            "all",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            guard_nonnull_class(p1, 3, descr=<Guard1>) [i0, p1]
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
            guard_nonnull_class(p1, 3, descr=<Guard1>) [i0, p1]
            i2 = getfield_gc_i(p1, descr=x)
            i3 = int_add_ovf(i2, 1)
            guard_no_overflow(descr=<Guard2>) [i0, p1]
            i5 = int_lt(i3, 100)
            guard_true(i5, descr=<Guard3>) [i0, ConstPtr(null), i3] virtuals=[@1 = new(Node) {x=@2}]
            p4 = new(descr=Node)
            setfield_gc(p4, i3, descr=x)
            p6 = same_as_r(p4)
            label(p6, i0, descr=TargetToken(100))
            guard_nonnull_class(p6, 3, descr=<Guard101>) [i0, p6]
            i7 = getfield_gc_i(p6, descr=x)
            i8 = int_add_ovf(i7, 1)
            guard_no_overflow(descr=<Guard102>) [i0, p6]
            i10 = int_lt(i8, 100)
            guard_true(i10, descr=<Guard103>) [i0, ConstPtr(null), i8] virtuals=[@1 = new(Node) {x=@2}]
            p9 = new(descr=Node)
            setfield_gc(p9, i8, descr=x)
            jump(p9, i0, descr=TargetToken(100))",
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
}
