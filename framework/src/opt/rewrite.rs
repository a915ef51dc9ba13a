//! Rewrite: constant folding, algebraic identities, strength reduction and
//! guard simplification (PyPy's `optimizeopt/rewrite.py`).
//!
//! Owns: what a single op tells about its operands without looking at
//! memory — pure ops over constants fold (`ir::eval::fold`); `x + 0`,
//! `x * 1`, `x * 0`, `x - x`, `x & 0`, `x | x`, `x ^ x`, shifts by 0,
//! comparisons of a variable with itself, `same_as`; `x * 2^k` becomes
//! `x << k`; `*_ovf` ops that cannot overflow lose their overflow guard.
//!
//! Guards: a guard on a constant that holds is dropped; a guard already
//! implied by an earlier one (the same `guard_true(x)`, `guard_class` on a
//! variable of known class, `guard_nonnull` on a known non-null) is
//! dropped; after `guard_value(x, C)`, `guard_false(x)`, `guard_isnull(x)`
//! and `guard_true(b)` on a boolean `b`, later uses of `x` become the
//! constant. `guard_nonnull(p)` followed by `guard_class(p, C)` with no
//! effect in between becomes one `guard_nonnull_class(p, C)` in the first
//! guard's place (resuming there repeats no effect; see `opt` docs).
//! Guards that always fail are kept: they are how the trace exits.
//!
//! Why here and not in `pure`: these rules need no table of earlier ops,
//! only facts about single variables, and running first they expose
//! constants to every later pass.

use super::{guard_always_passes, new_op, send, Fact, Pass, Shared};
use crate::ir::{eval, Op, OpNum, Operand, Var};
use hashbrown::{HashMap, HashSet};

#[derive(Default)]
pub(crate) struct Rewrite {
    /// Non-boolean ints known to be nonzero (`guard_true(i)`).
    nonzero: HashSet<Var>,
    /// Ints that are 0 or 1 (comparison results).
    bools: HashSet<Var>,
    nonnull: HashSet<Var>,
    /// Known header type id.
    class: HashMap<Var, i64>,
    /// Output index of the `guard_nonnull(p)` that made `p` non-null, while
    /// it may still be strengthened into `guard_nonnull_class`.
    nonnull_guard: HashMap<Var, usize>,
    /// `x = int_neg(y)` / `x = int_invert(y)`: x → (op, y).
    unary: HashMap<Var, (OpNum, Operand)>,
    /// The last `*_ovf` op was replaced: its overflow guard goes too.
    ovf_guard: super::OvfFixup,
    /// `x = y + c` (`int_add`/`int_sub` with a constant): x → (y, c).
    adds: HashMap<Var, (Operand, i64)>,
    /// `x = y & m` with `m` = 2^k - 1: x → (y, m).
    masks: HashMap<Var, (Operand, i64)>,
}

/// `op` as `y + c` if it is an `int_add`/`int_sub` with a constant.
fn add_const(op: &Op) -> Option<(Operand, i64)> {
    let (a, b) = (op.args[0], op.args[1]);
    match (op.opnum, a.const_int(), b.const_int()) {
        (OpNum::IntAdd, None, Some(c)) => Some((a, c)),
        (OpNum::IntAdd, Some(c), None) => Some((b, c)),
        (OpNum::IntSub, None, Some(c)) => Some((a, c.wrapping_neg())),
        _ => None,
    }
}

/// `op` as `y & m` if it masks with a constant of the form 2^k - 1.
fn low_mask(op: &Op) -> Option<(Operand, i64)> {
    let (a, b) = (op.args[0], op.args[1]);
    let m = match (a.const_int(), b.const_int()) {
        (None, Some(m)) => (a, m),
        (Some(m), None) => (b, m),
        _ => return None,
    };
    (m.1 > 0 && (m.1 & m.1.wrapping_add(1)) == 0).then_some(m)
}

/// What a simplification turns an op into.
enum Simpl {
    /// The result is this operand; the op disappears.
    Is(Operand),
    /// A cheaper op with the same result.
    Op(OpNum, Operand, Operand),
}

fn is_bool_op(op: OpNum) -> bool {
    use OpNum::*;
    matches!(
        op,
        IntLt
            | IntLe
            | IntEq
            | IntNe
            | IntGt
            | IntGe
            | UintLt
            | UintLe
            | UintGt
            | UintGe
            | IntIsTrue
            | IntIsZero
            | FloatLt
            | FloatLe
            | FloatEq
            | FloatNe
            | FloatGt
            | FloatGe
            | PtrEq
            | PtrNe
    )
}

/// Identities of int binops; `a`, `b` already replaced.
fn simplify_binop(op: OpNum, a: Operand, b: Operand) -> Option<Simpl> {
    use OpNum::*;
    use Simpl::*;
    let ka = a.const_int();
    let kb = b.const_int();
    let zero = Operand::ConstInt(0);
    let one = Operand::ConstInt(1);
    let same = a == b && !a.is_const();
    Some(match op {
        IntAdd | IntAddOvf if kb == Some(0) => Is(a),
        IntAdd | IntAddOvf if ka == Some(0) => Is(b),
        IntSub | IntSubOvf if kb == Some(0) => Is(a),
        IntSub | IntSubOvf if same => Is(zero),
        IntSub if ka == Some(0) => Op(IntNeg, b, zero),
        IntMul | IntMulOvf if kb == Some(1) => Is(a),
        IntMul | IntMulOvf if ka == Some(1) => Is(b),
        IntMul | IntMulOvf if kb == Some(0) || ka == Some(0) => Is(zero),
        IntMul => {
            // Strength reduction: multiplying by 2^k is a left shift (both
            // wrap the same way).
            let pow = |k: Option<i64>| k.filter(|&k| k > 1 && k.count_ones() == 1);
            if let Some(k) = pow(kb) {
                Op(IntLshift, a, Operand::ConstInt(k.trailing_zeros() as i64))
            } else if let Some(k) = pow(ka) {
                Op(IntLshift, b, Operand::ConstInt(k.trailing_zeros() as i64))
            } else if kb == Some(-1) {
                Op(IntNeg, a, zero)
            } else {
                return None;
            }
        }
        IntFloorDiv if kb == Some(1) => Is(a),
        IntMod if kb == Some(1) || kb == Some(-1) => Is(zero),
        IntAnd if ka == Some(0) || kb == Some(0) => Is(zero),
        IntAnd if kb == Some(-1) || same => Is(a),
        IntAnd if ka == Some(-1) => Is(b),
        IntOr if kb == Some(0) || same => Is(a),
        IntOr if ka == Some(0) => Is(b),
        IntOr if ka == Some(-1) || kb == Some(-1) => Is(Operand::ConstInt(-1)),
        IntXor if kb == Some(0) => Is(a),
        IntXor if ka == Some(0) => Is(b),
        IntXor if same => Is(zero),
        // Shift counts are masked to 6 bits.
        IntLshift | IntRshift | UintRshift if kb.is_some_and(|k| k & 63 == 0) => Is(a),
        IntLshift | IntRshift | UintRshift if ka == Some(0) => Is(zero),
        IntRshift if ka == Some(-1) => Is(a),
        IntLt | IntGt | IntNe | UintLt | UintGt if same => Is(zero),
        IntLe | IntGe | IntEq | UintLe | UintGe if same => Is(one),
        UintLt if kb == Some(0) => Is(zero),
        UintGe if kb == Some(0) => Is(one),
        _ => return None,
    })
}

impl Rewrite {
    /// Sends `op` and returns the output index it landed at, if it did.
    fn send_at(op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) -> Option<usize> {
        let id = op.guard_id();
        let before = sh.out.ops.len();
        send(op, sh, next);
        // Later passes may emit ops before it (virtuals forced for it).
        let at = sh.out.ops[before..]
            .iter()
            .position(|o| o.guard_id() == id)?;
        (before + at + 1 == sh.out.ops.len()).then_some(before + at)
    }

    fn after_emit(&mut self, op: &Op) {
        if let Some(res) = op.res {
            if is_bool_op(op.opnum) {
                self.bools.insert(res);
            }
        }
    }

    /// Tries to fold `guard_class(p, C)` into an earlier `guard_nonnull(p)`.
    fn strengthen(&mut self, p: Var, cls: Operand, sh: &mut Shared) -> bool {
        let Some(idx) = self.nonnull_guard.remove(&p) else {
            return false;
        };
        let g = &sh.out.ops[idx];
        if g.opnum != OpNum::GuardNonnull || g.args[0] != Operand::Var(p) {
            return false;
        }
        // Resuming at the earlier guard re-runs what lies between: nothing
        // there may have an effect, and no label may separate them.
        if sh.out.ops[idx + 1..]
            .iter()
            .any(|o| o.opnum.has_effect() || o.opnum == OpNum::Label)
        {
            return false;
        }
        let g = &mut sh.out.ops[idx];
        g.opnum = OpNum::GuardNonnullClass;
        g.args.push(cls);
        true
    }
}

impl Pass for Rewrite {
    fn facts_at(&self, fail_args: &[Operand], out: &mut Vec<(u32, Fact)>) {
        for (i, a) in fail_args.iter().enumerate() {
            let Some(v) = a.as_var() else { continue };
            if let Some(&c) = self.class.get(&v) {
                out.push((i as u32, Fact::Class(c)));
            } else if self.nonnull.contains(&v) {
                out.push((i as u32, Fact::NonNull));
            }
        }
    }

    fn seed(&mut self, v: Var, fact: Fact) {
        match fact {
            Fact::Class(c) => {
                self.class.insert(v, c);
                self.nonnull.insert(v);
            }
            Fact::NonNull => {
                self.nonnull.insert(v);
            }
            _ => {}
        }
    }

    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        use OpNum::*;
        let Some(mut op) = self.ovf_guard.guard(op) else {
            return;
        };
        if guard_always_passes(&op) {
            return;
        }
        // Constant folding.
        if op.opnum.is_pure() && !op.args.is_empty() && op.args.iter().all(|a| a.is_const()) {
            let bits: smallvec::SmallVec<[u64; 3]> =
                op.args.iter().map(|a| a.const_bits().unwrap()).collect();
            if let (Some(v), Some(res)) = (eval::fold(op.opnum, &bits), op.res) {
                let k = op.opnum.result_kind();
                return sh.replace(res, Operand::from_bits(k, v));
            }
        }
        // An elidable call whose arguments all became constants is done now
        // (PyPy reuses the result recorded at trace time; calling the
        // elidable function again gives the same answer).
        if op.opnum.is_call() && op.opnum.is_pure() && op.args.iter().all(|a| a.is_const()) {
            if let Some(d) = op.descr.and_then(|d| d.as_call()) {
                let words: smallvec::SmallVec<[u64; 8]> = op.args[1..]
                    .iter()
                    .map(|a| a.const_bits().unwrap())
                    .collect();
                let v = (d.invoke)(&words);
                if let Some(res) = op.res {
                    sh.replace(res, Operand::from_bits(d.result, v));
                }
                return;
            }
        }
        if op.opnum.is_ovf() {
            if let (Some(a), Some(b), Some(res)) =
                (op.args[0].const_int(), op.args[1].const_int(), op.res)
            {
                if let Some(v) = eval::int_ovf(op.opnum, a, b) {
                    self.ovf_guard.removed();
                    return sh.replace(res, Operand::ConstInt(v));
                }
            }
        }
        match op.opnum {
            Label => {
                self.nonnull_guard.clear();
            }
            SameAsI | SameAsF | SameAsR => {
                return sh.replace(op.res.unwrap(), op.args[0]);
            }
            IntNeg | IntInvert => {
                if let Some(&(inner, y)) = op.args[0].as_var().and_then(|v| self.unary.get(&v)) {
                    if inner == op.opnum {
                        return sh.replace(op.res.unwrap(), y);
                    }
                }
                self.unary.insert(op.res.unwrap(), (op.opnum, op.args[0]));
            }
            IntIsTrue | IntIsZero => {
                if let Some(x) = op.args[0].as_var() {
                    let res = op.res.unwrap();
                    let t = op.opnum == IntIsTrue;
                    if self.nonzero.contains(&x) {
                        return sh.replace(res, Operand::ConstInt(t as i64));
                    }
                    if t && self.bools.contains(&x) {
                        return sh.replace(res, op.args[0]);
                    }
                }
            }
            PtrEq | PtrNe => {
                let (a, b) = (op.args[0], op.args[1]);
                let eq = op.opnum == PtrEq;
                let res = op.res.unwrap();
                if a == b {
                    return sh.replace(res, Operand::ConstInt(eq as i64));
                }
                let nn = |o: Operand| {
                    o.as_var().is_some_and(|v| self.nonnull.contains(&v))
                        || o.const_bits().is_some_and(|b| b != 0)
                };
                let null = |o: Operand| o == Operand::ConstPtr(0);
                let cls = |o: Operand| o.as_var().and_then(|v| self.class.get(&v)).copied();
                let differ = (null(a) && nn(b))
                    || (null(b) && nn(a))
                    || matches!((cls(a), cls(b)), (Some(x), Some(y)) if x != y && x != 0 && y != 0);
                if differ {
                    return sh.replace(res, Operand::ConstInt(!eq as i64));
                }
            }
            opn if opn.is_new() => {
                let res = op.res.unwrap();
                let tid = op.descr.and_then(|d| d.as_size()).map(|d| d.tid);
                send(op, sh, next);
                self.nonnull.insert(res);
                if let Some(t) = tid {
                    self.class.insert(res, t as i64);
                }
                return;
            }
            opn if opn.is_new_array() => {
                let res = op.res.unwrap();
                // Only a valid length gives an object (else null).
                let ok = op.args[0]
                    .const_int()
                    .is_some_and(|n| (0..=1 << 40).contains(&n));
                let tid = op.descr.and_then(|d| d.as_array()).map(|d| d.tid);
                send(op, sh, next);
                if ok {
                    self.nonnull.insert(res);
                    if let Some(t) = tid {
                        self.class.insert(res, t as i64);
                    }
                }
                return;
            }
            GuardTrue => {
                if let Some(x) = op.args[0].as_var() {
                    if self.nonzero.contains(&x) {
                        return;
                    }
                    send(op, sh, next);
                    if self.bools.contains(&x) {
                        sh.replace(x, Operand::ConstInt(1));
                    } else {
                        self.nonzero.insert(x);
                    }
                    return;
                }
            }
            GuardFalse => {
                if let Some(x) = op.args[0].as_var() {
                    send(op, sh, next);
                    return sh.replace(x, Operand::ConstInt(0));
                }
            }
            GuardValue => {
                if let Some(x) = op.args[0].as_var() {
                    let c = op.args[1];
                    send(op, sh, next);
                    return sh.replace(x, c);
                }
            }
            GuardIsnull => {
                if let Some(x) = op.args[0].as_var() {
                    send(op, sh, next);
                    return sh.replace(x, Operand::ConstPtr(0));
                }
            }
            GuardNonnull => {
                if let Some(x) = op.args[0].as_var() {
                    if self.nonnull.contains(&x) {
                        return;
                    }
                    if let Some(at) = Self::send_at(op, sh, next) {
                        self.nonnull_guard.insert(x, at);
                    }
                    self.nonnull.insert(x);
                    return;
                }
            }
            GuardClass | GuardNonnullClass => {
                if let (Some(x), Some(c)) = (op.args[0].as_var(), op.args[1].const_int()) {
                    match self.class.get(&x) {
                        Some(&k) if k == c && (c != 0 || op.opnum == GuardClass) => return,
                        // Known to be another class: always fails, keep.
                        Some(_) => return send(op, sh, next),
                        None => {}
                    }
                    if op.opnum == GuardNonnullClass && self.nonnull.contains(&x) {
                        op.opnum = GuardClass;
                    }
                    if op.opnum == GuardClass && c != 0 && self.strengthen(x, op.args[1], sh) {
                        self.class.insert(x, c);
                        return;
                    }
                    send(op, sh, next);
                    self.class.insert(x, c);
                    if c != 0 {
                        self.nonnull.insert(x);
                    }
                    return;
                }
            }
            _ => {}
        }
        if op.args.len() == 2 && (op.opnum.is_pure() || op.opnum.is_ovf()) {
            if let Some(s) = simplify_binop(op.opnum, op.args[0], op.args[1]) {
                let res = op.res.unwrap();
                match s {
                    Simpl::Is(o) => {
                        if op.opnum.is_ovf() {
                            self.ovf_guard.removed();
                        }
                        return sh.replace(res, o);
                    }
                    Simpl::Op(opnum, a, b) => {
                        op.opnum = opnum;
                        op.args.clear();
                        op.args.push(a);
                        if opnum.arity() == Some(2) {
                            op.args.push(b);
                        }
                    }
                }
            }
        }
        if let Some(done) = self.reassociate(&mut op, sh, next) {
            return sh.replace(op.res.unwrap(), done);
        }
        self.after_emit(&op);
        send(op, sh, next);
    }
}

impl Rewrite {
    /// Chains of constant additions and low-bit masks, as a byte-cell VM
    /// produces them (`((x + 1) & 255) + 1) & 255`):
    /// - `(y + c1) + c2` is `y + (c1 + c2)` (wrapping, so always);
    /// - `((y & m) + c) & m` is `(y + c) & m` when `m` is 2^k - 1: the low
    ///   k bits of a sum depend only on the low k bits of its operands;
    /// - `(y & m) & m` is `y & m`.
    ///
    /// The inner ops usually die (`opt::dce` removes them). Rewrites `op`
    /// in place, or returns what its result is when it disappears.
    fn reassociate(
        &mut self,
        op: &mut Op,
        sh: &mut Shared,
        next: &mut [Box<dyn Pass>],
    ) -> Option<Operand> {
        let res = op.res?;
        if op.args.len() != 2 {
            return None;
        }
        if let Some((mut y, mut c)) = add_const(op) {
            if let Some(&(z, c1)) = y.as_var().and_then(|v| self.adds.get(&v)) {
                (y, c) = (z, c1.wrapping_add(c));
                if c == 0 {
                    return Some(y);
                }
                op.opnum = OpNum::IntAdd;
                op.args.clear();
                op.args.push(y);
                op.args.push(Operand::ConstInt(c));
            }
            self.adds.insert(res, (y, c));
        } else if op.opnum == OpNum::IntAnd {
            let (x, m) = low_mask(op)?;
            let inner = |v: &Operand, masks: &HashMap<Var, (Operand, i64)>| {
                v.as_var()
                    .and_then(|v| masks.get(&v))
                    .filter(|(_, m2)| *m2 == m)
                    .map(|(y, _)| *y)
            };
            if inner(&x, &self.masks).is_some() {
                return Some(x); // (y & m) & m
            }
            let mut x = x;
            if let Some(&(y, c)) = x.as_var().and_then(|v| self.adds.get(&v)) {
                if let Some(z) = inner(&y, &self.masks) {
                    let t = new_op(sh, OpNum::IntAdd, &[z, Operand::ConstInt(c)]);
                    let t_res = t.res.unwrap();
                    self.propagate(t, sh, next);
                    x = sh.get(Operand::Var(t_res));
                    op.args.clear();
                    op.args.push(x);
                    op.args.push(Operand::ConstInt(m));
                }
            }
            self.masks.insert(res, (x, m));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::opt::testutil::{check, check_all};

    const P: &str = "rewrite";

    #[test]
    fn byte_cell_increments_fold_into_one_add_and_mask() {
        check(
            P,
            "[i0]
            i1 = int_add(i0, 1)
            i2 = int_and(i1, 255)
            i3 = int_add(i2, 1)
            i4 = int_and(i3, 255)
            i5 = int_sub(i4, 3)
            i6 = int_and(i5, 255)
            i7 = int_and(i6, 255)
            i8 = int_add(i0, 2)
            i9 = int_sub(i8, 2)
            i10 = int_add(i0, 1)
            i11 = int_and(i10, 127)
            i12 = int_add(i11, 1)
            i13 = int_and(i12, 255)
            finish(i7, i9, i13, descr=<Guard0>)",
            // (i13: different masks, nothing to fold)
            "[i0]
            i15 = int_add(i0, -1)
            i6 = int_and(i15, 255)
            i10 = int_add(i0, 1)
            i11 = int_and(i10, 127)
            i12 = int_add(i11, 1)
            i13 = int_and(i12, 255)
            finish(i6, i0, i13, descr=<Guard0>)",
        );
    }

    #[test]
    fn constant_folding() {
        check(
            P,
            "[i0]
            i1 = int_add(3, 4)
            i2 = int_mul(i1, i0)
            i3 = int_lt(i1, 10)
            guard_true(i3, descr=<Guard1>) [i0]
            f4 = cast_int_to_float(i1)
            finish(i2, f4, descr=<Guard0>)",
            "[i0]
            i2 = int_mul(7, i0)
            finish(i2, 7.0, descr=<Guard0>)",
        );
    }

    #[test]
    fn elidable_call_with_constant_arguments_is_done_at_compile_time() {
        // elid(a, b) = 3a + b; with constant arguments it folds, with a
        // variable one it stays.
        check(
            P,
            "[i0]
            i1 = call_pure_i(ConstClass(0x1000), 4, 5, descr=elid)
            i2 = call_pure_i(ConstClass(0x1000), i0, 5, descr=elid)
            finish(i1, i2, descr=<Guard0>)",
            "[i0]
            i2 = call_pure_i(ConstClass(0x1000), i0, 5, descr=elid)
            finish(17, i2, descr=<Guard0>)",
        );
    }

    #[test]
    fn algebraic_identities() {
        check(
            P,
            "[i0, i1]
            i2 = int_add(i0, 0)
            i3 = int_mul(1, i2)
            i4 = int_sub(i3, i0)
            i5 = int_mul(i1, 0)
            i6 = int_and(i1, 0)
            i7 = int_or(i1, i1)
            i8 = int_xor(i7, i1)
            i9 = int_lshift(i0, 64)
            i10 = int_le(i9, i0)
            i11 = int_sub(0, i1)
            finish(i2, i3, i4, i5, i6, i7, i8, i9, i10, i11, descr=<Guard0>)",
            "[i0, i1]
            i11 = int_neg(i1)
            finish(i0, i0, 0, 0, 0, i1, 0, i0, 1, i11, descr=<Guard0>)",
        );
    }

    #[test]
    fn strength_reduction() {
        check(
            P,
            "[i0]
            i1 = int_mul(i0, 8)
            i2 = int_mul(4, i1)
            i3 = int_mul(i2, 3)
            i4 = int_mul(i3, -1)
            finish(i4, descr=<Guard0>)",
            "[i0]
            i1 = int_lshift(i0, 3)
            i2 = int_lshift(i1, 2)
            i3 = int_mul(i2, 3)
            i4 = int_neg(i3)
            finish(i4, descr=<Guard0>)",
        );
    }

    #[test]
    fn double_negation() {
        check(
            P,
            "[i0]
            i1 = int_neg(i0)
            i2 = int_neg(i1)
            i3 = int_invert(i2)
            i4 = int_invert(i3)
            finish(i1, i4, descr=<Guard0>)",
            "[i0]
            i1 = int_neg(i0)
            i3 = int_invert(i0)
            finish(i1, i0, descr=<Guard0>)",
        );
    }

    #[test]
    fn ovf_that_cannot_overflow_loses_its_guard() {
        check(
            P,
            "[i0]
            i1 = int_add_ovf(i0, 0)
            guard_no_overflow(descr=<Guard1>) [i0]
            i2 = int_mul_ovf(i1, 1)
            guard_no_overflow(descr=<Guard2>) [i0]
            i3 = int_add_ovf(5, 6)
            guard_no_overflow(descr=<Guard3>) [i0]
            i4 = int_add_ovf(i2, i3)
            guard_no_overflow(descr=<Guard4>) [i0]
            finish(i4, descr=<Guard0>)",
            "[i0]
            i4 = int_add_ovf(i0, 11)
            guard_no_overflow(descr=<Guard4>) [i0]
            finish(i4, descr=<Guard0>)",
        );
    }

    #[test]
    fn ovf_that_always_overflows_keeps_its_exit() {
        check(
            P,
            "[i0]
            i1 = int_add_ovf(i0, 0)
            guard_overflow(descr=<Guard1>) [i0]
            finish(i1, descr=<Guard0>)",
            "[i0]
            guard_true(0, descr=<Guard1>) [i0]
            finish(i0, descr=<Guard0>)",
        );
    }

    #[test]
    fn guards_on_constants_and_repeated_guards() {
        check(
            P,
            "[i0, i1]
            guard_true(1, descr=<Guard1>) []
            guard_false(0, descr=<Guard2>) []
            guard_value(5, 5, descr=<Guard3>) []
            i2 = int_lt(i0, i1)
            guard_true(i2, descr=<Guard4>) [i0]
            i3 = int_lt(i0, i1)
            guard_true(i2, descr=<Guard5>) [i0, i2]
            guard_true(i1, descr=<Guard6>) [i0]
            guard_true(i1, descr=<Guard7>) [i0]
            i4 = int_is_true(i1)
            finish(i2, i4, descr=<Guard0>)",
            "[i0, i1]
            i2 = int_lt(i0, i1)
            guard_true(i2, descr=<Guard4>) [i0]
            i3 = int_lt(i0, i1)
            guard_true(i1, descr=<Guard6>) [i0]
            finish(1, 1, descr=<Guard0>)",
        );
    }

    #[test]
    fn a_guard_that_is_not_implied_stays() {
        check_all(
            P,
            "[i0, i1, p2]
            guard_true(i0, descr=<Guard1>) []
            guard_true(i1, descr=<Guard2>) []
            guard_false(i0, descr=<Guard3>) []
            guard_class(p2, 3, descr=<Guard4>) []
            guard_class(p2, 4, descr=<Guard5>) []
            finish(descr=<Guard0>)",
            "[i0, i1, p2]
            guard_true(i0, descr=<Guard1>) []
            guard_true(i1, descr=<Guard2>) []
            guard_false(i0, descr=<Guard3>) []
            guard_class(p2, 3, descr=<Guard4>) []
            guard_class(p2, 4, descr=<Guard5>) []
            finish(descr=<Guard0>)",
        );
    }

    #[test]
    fn guard_value_makes_later_uses_constant() {
        check(
            P,
            "[i0, p1]
            guard_value(i0, 7, descr=<Guard1>) [i0]
            i2 = int_add(i0, 1)
            guard_value(i0, 7, descr=<Guard2>) [i0]
            guard_value(p1, ConstPtr(0x1000), descr=<Guard3>) [p1]
            guard_nonnull(p1, descr=<Guard4>) []
            finish(i2, p1, descr=<Guard0>)",
            "[i0, p1]
            guard_value(i0, 7, descr=<Guard1>) [i0]
            guard_value(p1, ConstPtr(0x1000), descr=<Guard3>) [p1]
            finish(8, ConstPtr(0x1000), descr=<Guard0>)",
        );
    }

    #[test]
    fn guard_nonnull_and_guard_class_merge() {
        check(
            P,
            "[p0, i1]
            guard_nonnull(p0, descr=<Guard1>) [p0]
            i2 = getfield_gc_i(p0, descr=x)
            guard_class(p0, 3, descr=<Guard2>) [p0, i2]
            guard_class(p0, 3, descr=<Guard3>) [p0]
            guard_nonnull(p0, descr=<Guard4>) [p0]
            guard_nonnull_class(p0, 3, descr=<Guard5>) [p0]
            finish(i2, descr=<Guard0>)",
            "[p0, i1]
            guard_nonnull_class(p0, 3, descr=<Guard1>) [p0]
            i2 = getfield_gc_i(p0, descr=x)
            finish(i2, descr=<Guard0>)",
        );
    }

    #[test]
    fn no_merge_across_an_effect() {
        check(
            P,
            "[p0, i1]
            guard_nonnull(p0, descr=<Guard1>) [p0]
            setfield_gc(p0, i1, descr=x)
            guard_class(p0, 3, descr=<Guard2>) [p0]
            finish(descr=<Guard0>)",
            "[p0, i1]
            guard_nonnull(p0, descr=<Guard1>) [p0]
            setfield_gc(p0, i1, descr=x)
            guard_class(p0, 3, descr=<Guard2>) [p0]
            finish(descr=<Guard0>)",
        );
    }

    #[test]
    fn ptr_eq() {
        check(
            P,
            "[p0, p1]
            i2 = ptr_eq(p0, p0)
            i3 = ptr_ne(p1, p1)
            guard_nonnull(p0, descr=<Guard1>) []
            i4 = ptr_eq(p0, ConstPtr(null))
            p5 = new(descr=Node)
            guard_class(p1, 4, descr=<Guard2>) []
            i6 = ptr_eq(p5, p1)
            i7 = ptr_eq(p0, p1)
            finish(i2, i3, i4, i6, i7, descr=<Guard0>)",
            "[p0, p1]
            guard_nonnull(p0, descr=<Guard1>) []
            p5 = new(descr=Node)
            guard_class(p1, 4, descr=<Guard2>) []
            i7 = ptr_eq(p0, p1)
            finish(1, 0, 0, 0, i7, descr=<Guard0>)",
        );
    }

    #[test]
    fn known_class_of_allocations() {
        check(
            P,
            "[i0]
            p1 = new(descr=Node)
            guard_nonnull_class(p1, 2119630851, descr=<Guard1>) []
            guard_class(p1, 2119630851, descr=<Guard2>) []
            p2 = new_array(i0, descr=ints)
            guard_nonnull(p2, descr=<Guard3>) []
            p3 = new_array(2, descr=ints)
            guard_nonnull_class(p3, 7, descr=<Guard4>) []
            finish(p1, p2, p3, descr=<Guard0>)",
            "[i0]
            p1 = new(descr=Node)
            p2 = new_array(i0, descr=ints)
            guard_nonnull(p2, descr=<Guard3>) []
            p3 = new_array(2, descr=ints)
            finish(p1, p2, p3, descr=<Guard0>)",
        );
    }
}
