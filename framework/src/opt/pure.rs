//! Pure: common-subexpression elimination of pure ops (PyPy's
//! `optimizeopt/pure.py`).
//!
//! Owns: the table of pure ops already emitted, keyed by opcode, operands
//! (the two operands of a commutative op in a canonical order) and descr.
//! A later op with the same key is the earlier result. "Pure" is the
//! opcode table's `PURE` flag: arithmetic, comparisons, casts, `ptr_eq`,
//! `getfield_gc_pure_*` (immutable fields), `arraylen_gc` (lengths never
//! change) and `call_pure_*` (elidable calls).
//!
//! Overflow-checked arithmetic is CSE'd too, as a pair: an `int_add_ovf`
//! equal to an earlier one that was followed by `guard_no_overflow` is the
//! earlier result, and its own `guard_no_overflow` goes with it.
//!
//! Why it is safe across the loop label unroll creates: a table entry's
//! operands are variables whose value is the same in every iteration (see
//! `opt` docs), so its result is too.

use super::{send, Pass, Shared};
use crate::ir::{Descr, Op, OpNum, Operand};
use hashbrown::HashMap;
use smallvec::SmallVec;

/// A hashable operand.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub(crate) enum Key {
    Var(u32),
    Int(i64),
    Float(u64),
    Ptr(usize),
}

impl Key {
    pub fn of(o: &Operand) -> Key {
        match *o {
            Operand::Var(v) => Key::Var(v.0),
            Operand::ConstInt(i) => Key::Int(i),
            Operand::ConstFloat(b) => Key::Float(b),
            Operand::ConstPtr(p) => Key::Ptr(p),
        }
    }
}

/// Identity of a descr (descrs are singletons compared by address).
pub(crate) fn descr_key(d: &Option<Descr>) -> usize {
    match d {
        None => 0,
        Some(Descr::Field(f)) => *f as *const _ as usize,
        Some(Descr::Array(a)) => *a as *const _ as usize,
        Some(Descr::Size(s)) => *s as *const _ as usize,
        Some(Descr::Call(c)) => *c as *const _ as usize,
        Some(Descr::Assembler(c)) => *c as *const _ as usize,
        Some(Descr::Guard(g)) => g.0 as usize,
        Some(Descr::Target(t)) => t.0 as usize,
    }
}

type OpKey = (OpNum, SmallVec<[Key; 3]>, usize);

fn key(op: &Op) -> OpKey {
    let mut args: SmallVec<[Key; 3]> = op.args.iter().map(Key::of).collect();
    if op.opnum.is_commutative() && args.len() == 2 && args[1] < args[0] {
        args.swap(0, 1);
    }
    (op.opnum, args, descr_key(&op.descr))
}

#[derive(Default)]
pub(crate) struct Pure {
    /// Each entry with whether it was made in a peeled body (see
    /// `Shared::preamble_hit`).
    table: HashMap<OpKey, (Operand, bool)>,
    /// `*_ovf` ops known not to overflow.
    ovf: HashMap<OpKey, (Operand, bool)>,
    /// The `*_ovf` op just emitted, until its guard tells how it went.
    pending_ovf: Option<(OpKey, Operand)>,
    /// The `*_ovf` op just removed: its guard goes too.
    ovf_guard: super::OvfFixup,
}

impl Pass for Pure {
    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        use OpNum::*;
        let pending = self.pending_ovf.take();
        let Some(op) = self.ovf_guard.guard(op) else {
            return;
        };
        if op.opnum == GuardNoOverflow {
            if let Some((k, res)) = pending {
                self.ovf.insert(k, (res, sh.in_body));
            }
            return send(op, sh, next);
        }
        let Some(res) = op.res else {
            return send(op, sh, next);
        };
        if op.opnum.is_ovf() {
            let k = key(&op);
            if let Some(&(earlier, in_body)) = self.ovf.get(&k) {
                sh.preamble_hit |= sh.in_body && !in_body;
                self.ovf_guard.removed();
                return sh.replace(res, earlier);
            }
            self.pending_ovf = Some((k, Operand::Var(res)));
            return send(op, sh, next);
        }
        if !op.opnum.is_pure() || matches!(op.opnum, SameAsI | SameAsF | SameAsR) {
            return send(op, sh, next);
        }
        let k = key(&op);
        if let Some(&(earlier, in_body)) = self.table.get(&k) {
            sh.preamble_hit |= sh.in_body && !in_body;
            return sh.replace(res, earlier);
        }
        self.table.insert(k, (Operand::Var(res), sh.in_body));
        send(op, sh, next)
    }
}

#[cfg(test)]
mod tests {
    use crate::opt::testutil::check;

    const P: &str = "pure";

    #[test]
    fn cse_of_arithmetic_and_commutative_ops() {
        check(
            P,
            "[i0, i1]
            i2 = int_add(i0, i1)
            i3 = int_add(i1, i0)
            i4 = int_sub(i0, i1)
            i5 = int_sub(i1, i0)
            i6 = int_mul(i2, i3)
            i7 = int_mul(i3, i2)
            i8 = int_lt(i0, i1)
            i9 = int_lt(i0, i1)
            finish(i2, i3, i4, i5, i6, i7, i8, i9, descr=<Guard0>)",
            "[i0, i1]
            i2 = int_add(i0, i1)
            i4 = int_sub(i0, i1)
            i5 = int_sub(i1, i0)
            i6 = int_mul(i2, i2)
            i8 = int_lt(i0, i1)
            finish(i2, i2, i4, i5, i6, i6, i8, i8, descr=<Guard0>)",
        );
    }

    #[test]
    fn cse_of_pure_reads_lengths_and_elidable_calls() {
        check(
            P,
            "[p0, p1, i2]
            i3 = getfield_gc_pure_i(p0, descr=imm)
            setfield_gc(p0, 5, descr=x)
            i4 = getfield_gc_pure_i(p0, descr=imm)
            i5 = getfield_gc_pure_i(p1, descr=imm)
            i6 = arraylen_gc(p1, descr=ints)
            i7 = arraylen_gc(p1, descr=ints)
            i8 = call_pure_i(ConstClass(0x1000), i2, i3, descr=elid)
            i9 = call_pure_i(ConstClass(0x1000), i2, i4, descr=elid)
            i10 = call_pure_i(ConstClass(0x1000), i4, i2, descr=elid)
            finish(i3, i4, i5, i6, i7, i8, i9, i10, descr=<Guard0>)",
            "[p0, p1, i2]
            i3 = getfield_gc_pure_i(p0, descr=imm)
            setfield_gc(p0, 5, descr=x)
            i5 = getfield_gc_pure_i(p1, descr=imm)
            i6 = arraylen_gc(p1, descr=ints)
            i8 = call_pure_i(ConstClass(0x1000), i2, i3, descr=elid)
            i10 = call_pure_i(ConstClass(0x1000), i3, i2, descr=elid)
            finish(i3, i3, i5, i6, i6, i8, i8, i10, descr=<Guard0>)",
        );
    }

    #[test]
    fn impure_ops_are_not_cse_d() {
        check(
            P,
            "[p0]
            i1 = getfield_gc_i(p0, descr=x)
            i2 = getfield_gc_i(p0, descr=x)
            i3 = call_i(ConstClass(0x1000), p0, descr=rd)
            i4 = call_i(ConstClass(0x1000), p0, descr=rd)
            p5 = new(descr=Node)
            p6 = new(descr=Node)
            finish(i1, i2, i3, i4, p5, p6, descr=<Guard0>)",
            "[p0]
            i1 = getfield_gc_i(p0, descr=x)
            i2 = getfield_gc_i(p0, descr=x)
            i3 = call_i(ConstClass(0x1000), p0, descr=rd)
            i4 = call_i(ConstClass(0x1000), p0, descr=rd)
            p5 = new(descr=Node)
            p6 = new(descr=Node)
            finish(i1, i2, i3, i4, p5, p6, descr=<Guard0>)",
        );
    }

    #[test]
    fn ovf_pairs() {
        check(
            P,
            "[i0, i1]
            i2 = int_add_ovf(i0, i1)
            guard_no_overflow(descr=<Guard1>) [i0]
            i3 = int_add_ovf(i1, i0)
            guard_no_overflow(descr=<Guard2>) [i0]
            i4 = int_mul_ovf(i0, i1)
            guard_overflow(descr=<Guard3>) [i0]
            i5 = int_mul_ovf(i0, i1)
            guard_no_overflow(descr=<Guard4>) [i0]
            finish(i2, i3, i5, descr=<Guard0>)",
            "[i0, i1]
            i2 = int_add_ovf(i0, i1)
            guard_no_overflow(descr=<Guard1>) [i0]
            i4 = int_mul_ovf(i0, i1)
            guard_overflow(descr=<Guard3>) [i0]
            i5 = int_mul_ovf(i0, i1)
            guard_no_overflow(descr=<Guard4>) [i0]
            finish(i2, i2, i5, descr=<Guard0>)",
        );
    }
}
