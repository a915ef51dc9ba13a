//! Dead-op removal, run once at the end of every optimization.
//!
//! Owns: dropping ops whose result nothing uses (no arg, fail arg, label
//! or jump refers to it) and that do nothing else — pure arithmetic and
//! comparisons, and reads of the heap (a read of a valid object cannot
//! fault, and the VM checked indices before). Rewrites and caches leave
//! such ops behind (`((x + 1) & 255) + 1` folded to `x + 2` orphans the
//! inner ops; a store made redundant orphans the value it stored).
//!
//! PyPy does this in the backend's register allocator (an op without side
//! effects whose result is not live is not emitted); doing it here keeps
//! the logged trace honest about what runs, for every backend alike. Not an
//! `enable_opts` pass: it never changes what a trace computes.
//!
//! Kept whatever their use: guards, calls (even elidable ones: they may
//! raise), `*_ovf` ops (their overflow guard reads the flag they set),
//! allocations and anything with an effect.

use crate::ir::{Op, Operand, Trace};

fn removable(op: &Op) -> bool {
    let o = op.opnum;
    op.res.is_some()
        && !o.is_guard()
        && !o.is_call()
        && !o.is_ovf()
        && !o.has_effect()
        && !o.is_alloc()
        && (o.is_pure() || o.reads_heap())
}

/// Removes dead ops from `t`, last to first so chains die in one sweep.
pub(crate) fn remove_dead_ops(t: &mut Trace) {
    let mut used = vec![false; t.kinds.len()];
    let mut keep = vec![true; t.ops.len()];
    for (i, op) in t.ops.iter().enumerate().rev() {
        if removable(op) && !used[op.res.unwrap().index()] {
            keep[i] = false;
            continue;
        }
        for a in op.args.iter().chain(op.fail_args.iter().flatten()) {
            if let Operand::Var(v) = a {
                used[v.index()] = true;
            }
        }
    }
    let mut i = 0;
    t.ops.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use crate::opt::testutil::parse;

    #[test]
    fn dead_chains_go_and_effects_stay() {
        let mut t = parse(
            "[i0, p1]
            i2 = int_add(i0, 1)
            i3 = int_and(i2, 255)
            i4 = getfield_gc_i(p1, descr=x)
            i5 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard1>) [i0]
            i6 = int_mul(i0, 3)
            setfield_gc(p1, i6, descr=x)
            i7 = int_lt(i0, 5)
            guard_true(i7, descr=<Guard2>) [i0]
            finish(i0, descr=<Guard0>)",
        );
        super::remove_dead_ops(&mut t);
        let want = parse(
            "[i0, p1]
            i5 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard1>) [i0]
            i6 = int_mul(i0, 3)
            setfield_gc(p1, i6, descr=x)
            i7 = int_lt(i0, 5)
            guard_true(i7, descr=<Guard2>) [i0]
            finish(i0, descr=<Guard0>)",
        );
        assert_eq!(t.to_string(), want.to_string());
    }
}
