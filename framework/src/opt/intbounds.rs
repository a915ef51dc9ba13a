//! Integer bounds (PyPy's `optimizeopt/intbounds.py` + `intutils.py`).
//!
//! Owns: a range `[lo, hi]` per int variable, learned from constants,
//! from what ops can produce (`int_and` with a mask, comparisons are 0/1,
//! `arraylen_gc` is ≥ 0, narrow fields and items fit their size, shifts,
//! `int_mod` / `int_floordiv` by a positive constant, non-overflowing
//! arithmetic) and from guards on comparisons (`guard_true(int_lt(i, n))`
//! caps `i`; `uint_lt(i, len)` with `len ≥ 0` makes `0 ≤ i < len`).
//!
//! Uses: a comparison whose outcome the ranges decide becomes a constant
//! (and the guard on it then goes, here or in `rewrite`); a guard on a
//! value the ranges already decide is dropped; `int_add_ovf` /
//! `int_sub_ovf` / `int_mul_ovf` that cannot overflow become plain ops and
//! lose their `guard_no_overflow`; a variable whose range shrinks to one
//! value becomes that constant; `int_and(x, 2^k-1)` with `x` already in
//! range is `x`.
//!
//! Ranges are facts about values, so they survive unroll's second label
//! (see `opt` docs). An impossible refinement (the guard can never pass)
//! is ignored: the code after such a guard never runs.

use super::{send, Fact, Pass, Shared};
use crate::ir::{Kind, Op, OpNum, Operand, Var};
use hashbrown::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bound {
    pub lo: i64,
    pub hi: i64,
}

impl Bound {
    const FULL: Bound = Bound {
        lo: i64::MIN,
        hi: i64::MAX,
    };
    const BOOL: Bound = Bound { lo: 0, hi: 1 };
    fn new(lo: i64, hi: i64) -> Bound {
        Bound { lo, hi }
    }
    fn nonneg(self) -> bool {
        self.lo >= 0
    }
    fn excludes_zero(self) -> bool {
        self.lo > 0 || self.hi < 0
    }
    fn singleton(self) -> Option<i64> {
        (self.lo == self.hi).then_some(self.lo)
    }
    /// Range of `f` over the corners, or `None` if some corner overflows.
    fn corners(self, o: Bound, f: impl Fn(i64, i64) -> Option<i64>) -> Option<Bound> {
        let c = [
            f(self.lo, o.lo)?,
            f(self.lo, o.hi)?,
            f(self.hi, o.lo)?,
            f(self.hi, o.hi)?,
        ];
        Some(Bound::new(
            *c.iter().min().unwrap(),
            *c.iter().max().unwrap(),
        ))
    }
}

/// Range of a narrow load.
fn narrow_bound(size: u8, signed: bool) -> Bound {
    if size >= 8 {
        return Bound::FULL;
    }
    let bits = 8 * size as u32;
    if signed {
        Bound::new(-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    } else {
        Bound::new(0, (1i64 << bits) - 1)
    }
}

fn negate(op: OpNum) -> Option<OpNum> {
    use OpNum::*;
    Some(match op {
        IntLt => IntGe,
        IntGe => IntLt,
        IntLe => IntGt,
        IntGt => IntLe,
        IntEq => IntNe,
        IntNe => IntEq,
        UintLt => UintGe,
        UintGe => UintLt,
        UintLe => UintGt,
        UintGt => UintLe,
        IntIsTrue => IntIsZero,
        IntIsZero => IntIsTrue,
        _ => return None,
    })
}

#[derive(Default)]
pub(crate) struct IntBounds {
    bounds: HashMap<Var, Bound>,
    /// Comparison results: var → (op, a, b) (b unused for unary tests).
    cmps: HashMap<Var, (OpNum, Operand, Operand)>,
    /// Bound of the `*_ovf` result, valid once `guard_no_overflow` passed.
    pending_ovf: Option<(Var, Bound)>,
    ovf_guard: super::OvfFixup,
}

impl IntBounds {
    fn get(&self, o: &Operand) -> Bound {
        match *o {
            Operand::ConstInt(c) => Bound::new(c, c),
            Operand::Var(v) => self.bounds.get(&v).copied().unwrap_or(Bound::FULL),
            _ => Bound::FULL,
        }
    }

    /// Narrows `o`'s range to `b` (if `o` is a variable and the result is
    /// not empty); a single value becomes a constant from now on.
    fn narrow(&mut self, o: &Operand, b: Bound, sh: &mut Shared) {
        let Some(v) = o.as_var() else { return };
        let old = self.get(o);
        let new = Bound::new(old.lo.max(b.lo), old.hi.min(b.hi));
        if new.lo > new.hi {
            return;
        }
        self.bounds.insert(v, new);
        if let Some(c) = new.singleton() {
            sh.replace(v, Operand::ConstInt(c));
        }
    }

    /// The outcome of a comparison, if the ranges decide it.
    fn decide(&self, op: OpNum, a: &Operand, b: &Operand) -> Option<bool> {
        use OpNum::*;
        let (x, y) = (self.get(a), self.get(b));
        let signed = |op: OpNum| match op {
            UintLt => IntLt,
            UintLe => IntLe,
            UintGt => IntGt,
            UintGe => IntGe,
            o => o,
        };
        let op = match op {
            UintLt | UintLe | UintGt | UintGe if x.nonneg() && y.nonneg() => signed(op),
            o => o,
        };
        match op {
            IntLt if x.hi < y.lo => Some(true),
            IntLt if x.lo >= y.hi => Some(false),
            IntLe if x.hi <= y.lo => Some(true),
            IntLe if x.lo > y.hi => Some(false),
            IntGt if x.lo > y.hi => Some(true),
            IntGt if x.hi <= y.lo => Some(false),
            IntGe if x.lo >= y.hi => Some(true),
            IntGe if x.hi < y.lo => Some(false),
            IntEq | IntNe if x.hi < y.lo || y.hi < x.lo => Some(op == IntNe),
            IntEq | IntNe if x.singleton().is_some() && x.singleton() == y.singleton() => {
                Some(op == IntEq)
            }
            IntIsTrue | IntIsZero if x.excludes_zero() => Some(op == IntIsTrue),
            IntIsTrue | IntIsZero if x.singleton() == Some(0) => Some(op == IntIsZero),
            _ => None,
        }
    }

    /// What `op(a, b) == 1` tells about `a` and `b`.
    fn learn(&mut self, op: OpNum, a: Operand, b: Operand, sh: &mut Shared) {
        use OpNum::*;
        let (x, y) = (self.get(&a), self.get(&b));
        let lt =
            |this: &mut Self, a: &Operand, b: &Operand, x: Bound, y: Bound, sh: &mut Shared| {
                if let Some(h) = y.hi.checked_sub(1) {
                    this.narrow(a, Bound::new(i64::MIN, h), sh);
                }
                if let Some(l) = x.lo.checked_add(1) {
                    this.narrow(b, Bound::new(l, i64::MAX), sh);
                }
            };
        let le =
            |this: &mut Self, a: &Operand, b: &Operand, x: Bound, y: Bound, sh: &mut Shared| {
                this.narrow(a, Bound::new(i64::MIN, y.hi), sh);
                this.narrow(b, Bound::new(x.lo, i64::MAX), sh);
            };
        match op {
            IntLt => lt(self, &a, &b, x, y, sh),
            IntLe => le(self, &a, &b, x, y, sh),
            IntGt => lt(self, &b, &a, y, x, sh),
            IntGe => le(self, &b, &a, y, x, sh),
            IntEq => {
                self.narrow(&a, y, sh);
                self.narrow(&b, x, sh);
            }
            IntNe => {
                for (v, other) in [(&a, y), (&b, x)] {
                    if let Some(c) = other.singleton() {
                        let mine = self.get(v);
                        if mine.lo == c && c < i64::MAX {
                            self.narrow(v, Bound::new(c + 1, i64::MAX), sh);
                        } else if mine.hi == c && c > i64::MIN {
                            self.narrow(v, Bound::new(i64::MIN, c - 1), sh);
                        }
                    }
                }
            }
            // Unsigned below a non-negative number: in [0, that).
            UintLt if y.nonneg() => {
                self.narrow(&a, Bound::new(0, y.hi - 1), sh);
                if x.nonneg() {
                    lt(self, &a, &b, x, y, sh);
                }
            }
            UintLe if y.nonneg() => {
                self.narrow(&a, Bound::new(0, y.hi), sh);
                if x.nonneg() {
                    le(self, &a, &b, x, y, sh);
                }
            }
            UintGt if x.nonneg() => {
                self.narrow(&b, Bound::new(0, x.hi - 1), sh);
            }
            UintGe if x.nonneg() => {
                self.narrow(&b, Bound::new(0, x.hi), sh);
            }
            IntIsTrue => {
                if x.lo == 0 {
                    self.narrow(&a, Bound::new(1, i64::MAX), sh);
                } else if x.hi == 0 {
                    self.narrow(&a, Bound::new(i64::MIN, -1), sh);
                }
            }
            IntIsZero => self.narrow(&a, Bound::new(0, 0), sh),
            _ => {}
        }
    }

    /// The range of an op's result (before any guard).
    fn result_bound(&self, op: &Op) -> Bound {
        use OpNum::*;
        let a = || self.get(&op.args[0]);
        let b = || self.get(&op.args[1]);
        let kb = || op.args[1].const_int();
        let r = match op.opnum {
            IntAdd => a().corners(b(), i64::checked_add),
            IntSub => a().corners(Bound::new(b().hi, b().lo), i64::checked_sub),
            IntMul => a().corners(b(), i64::checked_mul),
            IntAnd => {
                let (x, y) = (a(), b());
                match (x.nonneg(), y.nonneg()) {
                    (true, true) => Some(Bound::new(0, x.hi.min(y.hi))),
                    (true, false) => Some(Bound::new(0, x.hi)),
                    (false, true) => Some(Bound::new(0, y.hi)),
                    _ => None,
                }
            }
            IntOr | IntXor if a().nonneg() && b().nonneg() => {
                let m = a().hi.max(b().hi);
                let bits = 64 - m.leading_zeros();
                Some(Bound::new(0, ((1u64 << bits) - 1) as i64))
            }
            IntRshift => kb().map(|c| {
                let c = (c & 63) as u32;
                Bound::new(a().lo >> c, a().hi >> c)
            }),
            UintRshift => kb().map(|c| {
                let c = (c & 63) as u32;
                if a().nonneg() {
                    Bound::new(a().lo >> c, a().hi >> c)
                } else if c > 0 {
                    Bound::new(0, (u64::MAX >> c) as i64)
                } else {
                    Bound::FULL
                }
            }),
            IntLshift => kb().and_then(|c| {
                let c = (c & 63) as u32;
                let sh = |v: i64| Some(v << c).filter(|r| r >> c == v);
                Some(Bound::new(sh(a().lo)?, sh(a().hi)?))
            }),
            IntMod => kb().filter(|&c| c > 0).map(|c| {
                let x = a();
                if x.nonneg() {
                    Bound::new(0, x.hi.min(c - 1))
                } else if x.hi <= 0 {
                    Bound::new(-(c - 1), 0)
                } else {
                    Bound::new(-(c - 1), c - 1)
                }
            }),
            IntFloorDiv => kb()
                .filter(|&c| c > 0)
                .map(|c| Bound::new(a().lo / c, a().hi / c)),
            IntNeg => (a().lo != i64::MIN).then(|| Bound::new(-a().hi, -a().lo)),
            ArraylenGc => Some(Bound::new(0, i64::MAX)),
            GetfieldGcI | GetfieldGcPureI => op
                .descr
                .and_then(|d| d.as_field())
                .map(|f| narrow_bound(f.size, f.signed)),
            GetarrayitemGcI => op
                .descr
                .and_then(|d| d.as_array())
                .map(|a| narrow_bound(a.item_size, a.signed)),
            _ if negate(op.opnum).is_some() => Some(Bound::BOOL),
            FloatLt | FloatLe | FloatEq | FloatNe | FloatGt | FloatGe | PtrEq | PtrNe => {
                Some(Bound::BOOL)
            }
            _ => None,
        };
        r.unwrap_or(Bound::FULL)
    }
}

impl Pass for IntBounds {
    fn facts_at(&self, fail_args: &[Operand], out: &mut Vec<(u32, Fact)>) {
        for (i, a) in fail_args.iter().enumerate() {
            if let Some(b) = a.as_var().and_then(|v| self.bounds.get(&v)) {
                if (b.lo, b.hi) != (i64::MIN, i64::MAX) {
                    out.push((i as u32, Fact::Bounds(b.lo, b.hi)));
                }
            }
        }
    }

    fn seed(&mut self, v: Var, fact: Fact) {
        if let Fact::Bounds(lo, hi) = fact {
            self.bounds.insert(v, Bound::new(lo, hi));
        }
    }

    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        use OpNum::*;
        let pending = self.pending_ovf.take();
        let Some(mut op) = self.ovf_guard.guard(op) else {
            return;
        };
        match op.opnum {
            GuardNoOverflow => {
                send(op, sh, next);
                if let Some((v, b)) = pending {
                    self.narrow(&Operand::Var(v), b, sh);
                }
                return;
            }
            GuardTrue | GuardFalse => {
                let want = op.opnum == GuardTrue;
                let x = op.args[0];
                let bx = self.get(&x);
                let known = if bx.excludes_zero() {
                    Some(true)
                } else if bx.singleton() == Some(0) {
                    Some(false)
                } else {
                    None
                };
                if known == Some(want) {
                    return;
                }
                send(op, sh, next);
                if let Some(&(cmp, a, b)) = x.as_var().and_then(|v| self.cmps.get(&v)) {
                    let cmp = if want { Some(cmp) } else { negate(cmp) };
                    if let Some(cmp) = cmp {
                        self.learn(cmp, a, b, sh);
                    }
                }
                if !want {
                    self.narrow(&x, Bound::new(0, 0), sh);
                } else {
                    self.learn(IntIsTrue, x, x, sh);
                }
                return;
            }
            GuardValue if sh.kind(&op.args[0]) == Kind::Int => {
                let (x, c) = (op.args[0], op.args[1]);
                if let Some(k) = c.const_int() {
                    let bx = self.get(&x);
                    if bx.singleton() == Some(k) {
                        return;
                    }
                    send(op, sh, next);
                    return self.narrow(&x, Bound::new(k, k), sh);
                }
            }
            opn if opn.is_ovf() => {
                let (x, y) = (self.get(&op.args[0]), self.get(&op.args[1]));
                let (plain, exact, sat) = match op.opnum {
                    IntAddOvf => (
                        IntAdd,
                        x.corners(y, i64::checked_add),
                        x.corners(y, |a, b| Some(a.saturating_add(b))),
                    ),
                    IntSubOvf => {
                        let ny = Bound::new(y.hi, y.lo);
                        (
                            IntSub,
                            x.corners(ny, i64::checked_sub),
                            x.corners(ny, |a, b| Some(a.saturating_sub(b))),
                        )
                    }
                    _ => (
                        IntMul,
                        x.corners(y, i64::checked_mul),
                        x.corners(y, |a, b| Some(a.saturating_mul(b))),
                    ),
                };
                let res = op.res.unwrap();
                if let Some(b) = exact {
                    // Cannot overflow: a plain op, and no overflow guard.
                    op.opnum = plain;
                    self.ovf_guard.removed();
                    if let Some(c) = b.singleton() {
                        return sh.replace(res, Operand::ConstInt(c));
                    }
                    self.bounds.insert(res, b);
                    return send(op, sh, next);
                }
                self.pending_ovf = sat.map(|b| (res, b));
                return send(op, sh, next);
            }
            _ => {}
        }
        let Some(res) = op.res else {
            return send(op, sh, next);
        };
        if sh.kind(&Operand::Var(res)) != Kind::Int {
            return send(op, sh, next);
        }
        if negate(op.opnum).is_some() {
            let b = op.args.get(1).copied().unwrap_or(op.args[0]);
            if let Some(t) = self.decide(op.opnum, &op.args[0], &b) {
                return sh.replace(res, Operand::ConstInt(t as i64));
            }
            self.cmps.insert(res, (op.opnum, op.args[0], b));
        }
        if op.opnum == IntAnd {
            // x & (2^k - 1) with x already in [0, 2^k - 1] is x.
            for (x, m) in [(op.args[0], op.args[1]), (op.args[1], op.args[0])] {
                if let Some(m) = m.const_int() {
                    let bx = self.get(&x);
                    if m >= 0 && (m as u64 + 1).is_power_of_two() && bx.nonneg() && bx.hi <= m {
                        return sh.replace(res, x);
                    }
                }
            }
        }
        let b = self.result_bound(&op);
        if let Some(c) = b.singleton() {
            if op.opnum.is_pure() {
                return sh.replace(res, Operand::ConstInt(c));
            }
        }
        if b != Bound::FULL {
            self.bounds.insert(res, b);
        }
        send(op, sh, next)
    }
}

#[cfg(test)]
mod tests {
    use crate::opt::testutil::check;

    const P: &str = "intbounds";

    #[test]
    fn comparisons_decided_by_guards() {
        check(
            P,
            "[i0]
            i1 = int_lt(i0, 10)
            guard_true(i1, descr=<Guard1>) [i0]
            i2 = int_lt(i0, 20)
            guard_true(i2, descr=<Guard2>) [i0]
            i3 = int_ge(i0, 0)
            guard_true(i3, descr=<Guard3>) [i0]
            i4 = int_lt(i0, 0)
            i5 = int_le(i0, 9)
            i6 = int_eq(i0, 10)
            i7 = int_ne(i0, 5)
            finish(i4, i5, i6, i7, descr=<Guard0>)",
            "[i0]
            i1 = int_lt(i0, 10)
            guard_true(i1, descr=<Guard1>) [i0]
            i3 = int_ge(i0, 0)
            guard_true(i3, descr=<Guard3>) [i0]
            i7 = int_ne(i0, 5)
            finish(0, 1, 0, i7, descr=<Guard0>)",
        );
    }

    #[test]
    fn guard_false_and_unsigned_bounds_checks() {
        check(
            P,
            "[i0, p1]
            i2 = arraylen_gc(p1, descr=ints)
            i3 = uint_lt(i0, i2)
            guard_true(i3, descr=<Guard1>) [i0]
            i4 = int_lt(i0, 0)
            i5 = int_ge(i0, i2)
            i6 = int_gt(i0, 100)
            guard_false(i6, descr=<Guard2>) [i0]
            i7 = int_le(i0, 100)
            finish(i4, i5, i7, descr=<Guard0>)",
            "[i0, p1]
            i2 = arraylen_gc(p1, descr=ints)
            i3 = uint_lt(i0, i2)
            guard_true(i3, descr=<Guard1>) [i0]
            i5 = int_ge(i0, i2)
            i6 = int_gt(i0, 100)
            guard_false(i6, descr=<Guard2>) [i0]
            finish(0, i5, 1, descr=<Guard0>)",
        );
    }

    #[test]
    fn masks_and_narrow_loads() {
        check(
            P,
            "[i0, p1]
            i2 = int_and(i0, 255)
            i3 = int_lt(i2, 256)
            i4 = int_and(i2, 255)
            i5 = getfield_gc_i(p1, descr=flags)
            i6 = int_ge(i5, 0)
            i7 = int_and(i5, 255)
            i8 = int_mod(i0, 8)
            i9 = int_lt(i8, 8)
            i10 = int_gt(i8, -8)
            i11 = uint_rshift(i0, 60)
            i12 = int_le(i11, 15)
            finish(i3, i4, i6, i7, i9, i10, i12, descr=<Guard0>)",
            "[i0, p1]
            i2 = int_and(i0, 255)
            i5 = getfield_gc_i(p1, descr=flags)
            i8 = int_mod(i0, 8)
            i11 = uint_rshift(i0, 60)
            finish(1, i2, 1, i5, 1, 1, 1, descr=<Guard0>)",
        );
    }

    #[test]
    fn ovf_ops_that_cannot_overflow() {
        check(
            P,
            "[i0, i1]
            i2 = int_and(i0, 65535)
            i3 = int_and(i1, 65535)
            i4 = int_add_ovf(i2, i3)
            guard_no_overflow(descr=<Guard1>) [i0]
            i5 = int_mul_ovf(i4, i3)
            guard_no_overflow(descr=<Guard2>) [i0]
            i6 = int_sub_ovf(i5, i0)
            guard_no_overflow(descr=<Guard3>) [i0]
            i7 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard4>) [i0]
            i8 = int_gt(i7, i0)
            finish(i5, i6, i8, descr=<Guard0>)",
            "[i0, i1]
            i2 = int_and(i0, 65535)
            i3 = int_and(i1, 65535)
            i4 = int_add(i2, i3)
            i5 = int_mul(i4, i3)
            i6 = int_sub_ovf(i5, i0)
            guard_no_overflow(descr=<Guard3>) [i0]
            i7 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard4>) [i0]
            i8 = int_gt(i7, i0)
            finish(i5, i6, i8, descr=<Guard0>)",
        );
    }

    #[test]
    fn an_ovf_op_below_a_bound_cannot_overflow() {
        check(
            P,
            "[i0]
            i1 = int_lt(i0, 100)
            guard_true(i1, descr=<Guard1>) [i0]
            i2 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard2>) [i0]
            i3 = int_le(i2, 100)
            finish(i3, descr=<Guard0>)",
            "[i0]
            i1 = int_lt(i0, 100)
            guard_true(i1, descr=<Guard1>) [i0]
            i2 = int_add(i0, 1)
            finish(1, descr=<Guard0>)",
        );
    }

    #[test]
    fn bounds_after_guard_no_overflow() {
        check(
            P,
            "[i0]
            i1 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard1>) [i0]
            i2 = int_ne(i1, -9223372036854775808)
            i3 = int_sub_ovf(i1, 1)
            guard_no_overflow(descr=<Guard2>) [i0]
            finish(i2, i3, descr=<Guard0>)",
            "[i0]
            i1 = int_add_ovf(i0, 1)
            guard_no_overflow(descr=<Guard1>) [i0]
            i3 = int_sub(i1, 1)
            finish(1, i3, descr=<Guard0>)",
        );
    }

    #[test]
    fn a_guard_the_bounds_do_not_decide_stays() {
        check(
            P,
            "[i0]
            i1 = int_lt(i0, 10)
            guard_true(i1, descr=<Guard1>) [i0]
            i2 = int_lt(i0, 5)
            guard_true(i2, descr=<Guard2>) [i0]
            guard_value(i0, 3, descr=<Guard3>) [i0]
            i3 = int_add(i0, 1)
            finish(i3, descr=<Guard0>)",
            "[i0]
            i1 = int_lt(i0, 10)
            guard_true(i1, descr=<Guard1>) [i0]
            i2 = int_lt(i0, 5)
            guard_true(i2, descr=<Guard2>) [i0]
            guard_value(i0, 3, descr=<Guard3>) [i0]
            finish(4, descr=<Guard0>)",
        );
    }
}
