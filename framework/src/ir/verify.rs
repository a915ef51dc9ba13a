//! Trace verifier: the structural invariants every pass and backend may
//! assume (DESIGN §5).
//!
//! Owns: the one definition of a well-formed trace. Backends call it before
//! compiling (the IR interpreter relies on it to never index out of range
//! or unwrap a missing descr), the optimizer's tests call it on every
//! output. It checks:
//!
//! - SSA: every variable is defined exactly once (inputargs or an op
//!   result), inside `Trace::kinds`, with a non-void kind, before any use
//!   (fail args included). Indices that are never defined may have any kind.
//! - Label scoping, as in PyPy's `check_consistency`: after a `label` only
//!   its arguments (distinct variables) and later results are live, because
//!   a `jump` to it carries nothing else.
//! - Operand kinds of every op, descr families (field/array/size/call/
//!   guard/target, or none), field and array kinds against the op's suffix,
//!   call signatures against the `CallDescr` (args after the function
//!   address in arg 0), result kind of the call.
//! - Guards have a `<GuardN>` descr and `Some` fail args; guard ids are
//!   unique within the trace (a guard exit is identified by its id);
//!   non-guards have no fail args. A guard's `virtuals` (if any) name
//!   distinct `ConstPtr(null)` slots and in-range fail args of the right
//!   kinds. `guard_(no_)overflow` directly follows
//!   an `*_ovf` op (the overflow flag lives in the CPU flags).
//! - The trace ends with its only `jump` or `finish`; `finish` has a guard
//!   descr, `jump` and `label` a target token; a jump to a label of the
//!   same trace passes matching kinds.
//!
//! Error messages name the op index and print the op. `verify` never
//! panics, whatever the trace.

use super::print::{print_descr, print_op, print_operand, var_name};
use super::{
    Descr, GuardId, Kind, Op, OpNum, Operand, PendingWrite, TargetToken, Trace, Var, VirtualAlloc,
    VirtualField, VirtualInfo,
};
use hashbrown::HashMap;
use smallvec::SmallVec;
use std::fmt;

/// Why a trace is malformed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError(pub String);

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VerifyError {}

/// Checks every invariant listed in the module docs.
pub fn verify(t: &Trace) -> Result<(), VerifyError> {
    Verifier {
        t,
        defined: vec![false; t.kinds.len()],
        live: vec![false; t.kinds.len()],
        last_label: None,
        labels: HashMap::new(),
        guards: HashMap::new(),
    }
    .run()
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Int => "int",
        Kind::Float => "float",
        Kind::Ref => "ref",
        Kind::Void => "void",
    }
}

/// What an op wants after `descr=`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Nothing,
    Guard,
    Target,
    Field,
    Array,
    Size,
    Call,
    Assembler,
}

impl Need {
    fn of(op: OpNum) -> Need {
        use OpNum::*;
        if op.is_guard() {
            return Need::Guard;
        }
        use crate::ir::Family as F;
        match op.family() {
            _ if op == Finish => Need::Guard,
            _ if matches!(op, Label | Jump) => Need::Target,
            F::CallAssembler => Need::Assembler,
            F::Call | F::CallPure | F::CallMayForce => Need::Call,
            F::GetfieldGc | F::GetfieldRaw | F::SetfieldGc | F::SetfieldRaw | F::QuasiImmut => {
                Need::Field
            }
            F::GetarrayitemGc | F::SetarrayitemGc | F::Arraylen | F::NewArray => Need::Array,
            F::New => Need::Size,
            _ => Need::Nothing,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Need::Nothing => "no",
            Need::Guard => "a guard",
            Need::Target => "a target token",
            Need::Field => "a field",
            Need::Array => "an array",
            Need::Size => "a size",
            Need::Call => "a call",
            Need::Assembler => "an assembler",
        }
    }

    fn matches(self, d: &Descr) -> bool {
        matches!(
            (self, d),
            (Need::Guard, Descr::Guard(_))
                | (Need::Target, Descr::Target(_))
                | (Need::Field, Descr::Field(_))
                | (Need::Array, Descr::Array(_))
                | (Need::Size, Descr::Size(_))
                | (Need::Call, Descr::Call(_))
                | (Need::Assembler, Descr::Assembler(_))
        )
    }
}

struct Verifier<'t> {
    t: &'t Trace,
    /// Defined so far (SSA: at most once).
    defined: Vec<bool>,
    /// Usable at the current op: defined, and not hidden by a later label.
    live: Vec<bool>,
    /// Index of the last label seen, for error messages.
    last_label: Option<usize>,
    /// Labels of this trace: token → op index.
    labels: HashMap<TargetToken, usize>,
    /// Guard ids used by guards and `finish`: id → op index.
    guards: HashMap<GuardId, usize>,
}

type Msg = Result<(), String>;

impl Verifier<'_> {
    fn run(mut self) -> Result<(), VerifyError> {
        let t = self.t;
        for (i, &v) in t.inputargs.iter().enumerate() {
            self.define(v)
                .map_err(|m| VerifyError(format!("inputarg {i} ({}): {m}", var_name(t, v))))?;
        }
        let Some(last) = t.ops.last() else {
            return Err(VerifyError(
                "trace has no ops: it must end with jump or finish".into(),
            ));
        };
        for (idx, op) in t.ops.iter().enumerate() {
            self.check(idx, op)
                .map_err(|m| VerifyError(format!("op {idx} `{}`: {m}", print_op(t, op))))?;
        }
        if !last.opnum.is_final() {
            return Err(VerifyError(format!(
                "trace must end with jump or finish, but ends with op {} `{}`",
                t.ops.len() - 1,
                print_op(t, last)
            )));
        }
        Ok(())
    }

    /// Records a definition (inputarg or result).
    fn define(&mut self, v: Var) -> Msg {
        let i = v.index();
        let Some(&kind) = self.t.kinds.get(i) else {
            return Err(format!(
                "variable {} is outside Trace::kinds ({} entries)",
                var_name(self.t, v),
                self.t.kinds.len()
            ));
        };
        if kind == Kind::Void {
            return Err(format!("variable {} has kind void", var_name(self.t, v)));
        }
        if self.defined[i] {
            return Err(format!("variable {} is defined twice", var_name(self.t, v)));
        }
        self.defined[i] = true;
        self.live[i] = true;
        Ok(())
    }

    /// Kind of a used operand, checking that a variable is defined and live.
    fn use_operand(&self, o: &Operand, what: &str) -> Result<Kind, String> {
        let Operand::Var(v) = *o else {
            return Ok(self.t.operand_kind(o));
        };
        let name = var_name(self.t, v);
        let i = v.index();
        if i >= self.t.kinds.len() {
            return Err(format!(
                "{what} {name} is outside Trace::kinds ({} entries)",
                self.t.kinds.len()
            ));
        }
        if !self.defined[i] {
            return Err(format!("{what} {name} is used before its definition"));
        }
        if !self.live[i] {
            let at = self.last_label.unwrap_or(0);
            return Err(format!(
                "{what} {name} is not live here: after the label at op {at} only its arguments are"
            ));
        }
        Ok(self.t.kinds[i])
    }

    fn check(&mut self, idx: usize, op: &Op) -> Msg {
        let t = self.t;
        let name = op.opnum.name();
        if let Some(n) = op.opnum.arity() {
            if op.args.len() != n {
                return Err(format!(
                    "{name} takes {n} argument(s), got {}",
                    op.args.len()
                ));
            }
        }
        let mut kinds: SmallVec<[Kind; 4]> = SmallVec::with_capacity(op.args.len());
        for (i, a) in op.args.iter().enumerate() {
            kinds.push(self.use_operand(a, &format!("argument {i}"))?);
        }

        // Fail args: exactly the guards carry them.
        match (&op.fail_args, op.opnum.is_guard()) {
            (Some(fa), true) => {
                for (i, a) in fa.iter().enumerate() {
                    self.use_operand(a, &format!("fail arg {i}"))?;
                }
            }
            (None, true) => return Err("guard has no fail args (write `[]` for none)".into()),
            (Some(_), false) => return Err(format!("{name} is not a guard but has fail args")),
            (None, false) => {}
        }
        if let Some(vs) = &op.virtuals {
            match &op.fail_args {
                Some(fa) if op.opnum.is_guard() => self.check_virtuals(fa, vs)?,
                _ => return Err(format!("{name} has virtuals but is not a guard")),
            }
        }
        if let Some(ps) = &op.pending {
            match &op.fail_args {
                Some(fa) if op.opnum.is_guard() => self.check_pending(fa, ps)?,
                _ => return Err(format!("{name} has pending writes but is not a guard")),
            }
        }

        // Descr family.
        let need = Need::of(op.opnum);
        match (&op.descr, need) {
            (None, Need::Nothing) => {}
            (Some(d), Need::Nothing) => {
                return Err(format!("{name} takes no descr, got {}", print_descr(d)))
            }
            (None, need) => return Err(format!("{name} needs {} descr", need.name())),
            (Some(d), need) if !need.matches(d) => {
                return Err(format!(
                    "{name} needs {} descr, got {}",
                    need.name(),
                    print_descr(d)
                ))
            }
            _ => {}
        }
        if let Some(Descr::Guard(g)) = op.descr {
            if let Some(prev) = self.guards.insert(g, idx) {
                return Err(format!("guard id {} is already used by op {prev}", g.0));
            }
        }

        self.check_kinds(idx, op, &kinds)?;

        // Result.
        let rk = op.opnum.result_kind();
        match op.res {
            Some(v) if rk == Kind::Void => {
                return Err(format!(
                    "{name} has no result, but defines {}",
                    var_name(t, v)
                ))
            }
            None if rk != Kind::Void => {
                return Err(format!(
                    "{name} produces {} but has no result variable",
                    kind_name(rk)
                ))
            }
            Some(v) => {
                self.define(v)?;
                if t.kinds[v.index()] != rk {
                    return Err(format!(
                        "result {} has kind {}, but {name} produces {}",
                        var_name(t, v),
                        kind_name(t.kinds[v.index()]),
                        kind_name(rk)
                    ));
                }
            }
            None => {}
        }

        if op.opnum == OpNum::Label {
            // Only the label's arguments survive it (checked distinct vars).
            self.live.iter_mut().for_each(|l| *l = false);
            for a in &op.args {
                if let Operand::Var(v) = a {
                    self.live[v.index()] = true;
                }
            }
            self.last_label = Some(idx);
        }

        if op.opnum.is_final() && idx + 1 != t.ops.len() {
            return Err(format!(
                "{name} must be the last op, but {} op(s) follow",
                t.ops.len() - idx - 1
            ));
        }
        Ok(())
    }

    /// A guard's pending writes: operands within the fail args, of the
    /// right kinds, on a field or array descr (an index exactly for
    /// arrays).
    fn check_pending(&self, fa: &[Operand], ps: &[PendingWrite]) -> Msg {
        let t = self.t;
        for (n, p) in ps.iter().enumerate() {
            let arg = |i: u32, what: &str, want: Kind| match fa.get(i as usize) {
                None => Err(format!(
                    "pending write {n}: {what} @{i} is past the {} fail args",
                    fa.len()
                )),
                Some(o) if t.operand_kind(o) != want => Err(format!(
                    "pending write {n}: {what} @{i} is {}, not {want:?}",
                    print_operand(t, o)
                )),
                Some(_) => Ok(()),
            };
            let kind = match (p.descr, p.index) {
                (Descr::Field(f), None) => f.kind,
                (Descr::Array(a), Some(i)) => {
                    arg(i, "index", Kind::Int)?;
                    a.kind
                }
                _ => {
                    return Err(format!(
                        "pending write {n}: needs a field descr, or an array descr and an index"
                    ))
                }
            };
            arg(p.target, "object", Kind::Ref)?;
            arg(p.value, "value", kind)?;
        }
        Ok(())
    }

    /// A guard's virtuals: each slot is a distinct `ConstPtr(null)` fail
    /// arg; each field names a fail arg of the field's kind; struct fields
    /// on structs, array items within the length on arrays.
    fn check_virtuals(&self, fa: &[Operand], vs: &[VirtualInfo]) -> Msg {
        let t = self.t;
        let mut slots = Vec::with_capacity(vs.len());
        for (n, v) in vs.iter().enumerate() {
            for slot in v.slots() {
                let slot = slot as usize;
                match fa.get(slot) {
                    Some(Operand::ConstPtr(0)) => {}
                    Some(o) => {
                        return Err(format!(
                        "virtual {n}: slot @{slot} holds {}, not the placeholder ConstPtr(null)",
                        print_operand(t, o)
                    ))
                    }
                    None => {
                        return Err(format!(
                            "virtual {n}: slot @{slot} is past the {} fail args",
                            fa.len()
                        ))
                    }
                }
                if slots.contains(&slot) {
                    return Err(format!("virtual {n}: slot @{slot} describes two virtuals"));
                }
                slots.push(slot);
            }
            if let VirtualAlloc::Array(_, len) = v.alloc {
                if len < 0 {
                    return Err(format!("virtual {n}: negative array length {len}"));
                }
            }
            for (f, idx) in &v.fields {
                let Some(o) = fa.get(*idx as usize) else {
                    return Err(format!(
                        "virtual {n}: field value @{idx} is past the {} fail args",
                        fa.len()
                    ));
                };
                let want = match (f, v.alloc) {
                    (VirtualField::Field(fd), VirtualAlloc::Struct(_)) => fd.kind,
                    (VirtualField::Item(i), VirtualAlloc::Array(d, len)) => {
                        if !(0..len).contains(i) {
                            return Err(format!(
                                "virtual {n}: item {i} outside the array of length {len}"
                            ));
                        }
                        d.kind
                    }
                    (VirtualField::Field(fd), _) => {
                        return Err(format!("virtual {n}: field {} on an array", fd.name))
                    }
                    (VirtualField::Item(i), _) => {
                        return Err(format!("virtual {n}: item {i} on a struct"))
                    }
                };
                let got = t.operand_kind(o);
                if got != want {
                    return Err(format!(
                        "virtual {n}: @{idx} ({}) is {}, the field holds {}",
                        print_operand(t, o),
                        kind_name(got),
                        kind_name(want)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Operand kinds and descr contents of one op. Arity and the descr
    /// family are already checked.
    fn check_kinds(&mut self, idx: usize, op: &Op, k: &[Kind]) -> Msg {
        use Kind::{Float as F, Int as I, Ref as R};
        use OpNum::*;
        let t = self.t;
        let name = op.opnum.name();
        let rk = op.opnum.result_kind();
        let want = |expected: &[Kind]| -> Msg {
            if k.len() != expected.len() {
                return Err(format!(
                    "{name} takes {} argument(s), got {}",
                    expected.len(),
                    k.len()
                ));
            }
            for (i, (&got, &exp)) in k.iter().zip(expected).enumerate() {
                if got != exp {
                    return Err(format!(
                        "argument {i} ({}) is {}, expected {}",
                        print_operand(t, &op.args[i]),
                        kind_name(got),
                        kind_name(exp)
                    ));
                }
            }
            Ok(())
        };
        let result_matches = |what: &str, dname: &str, dkind: Kind| -> Msg {
            if dkind == rk {
                Ok(())
            } else {
                Err(format!(
                    "{what} {dname} holds {}, but {name} reads {}",
                    kind_name(dkind),
                    kind_name(rk)
                ))
            }
        };
        let field = op.descr.and_then(|d| d.as_field());
        let array = op.descr.and_then(|d| d.as_array());

        match op.opnum {
            IntAdd | IntSub | IntMul | IntFloorDiv | IntMod | IntAnd | IntOr | IntXor
            | IntLshift | IntRshift | UintRshift | IntLt | IntLe | IntEq | IntNe | IntGt
            | IntGe | UintLt | UintLe | UintGt | UintGe | IntAddOvf | IntSubOvf | IntMulOvf => {
                want(&[I, I])
            }
            IntNeg | IntInvert | IntIsTrue | IntIsZero | SameAsI | CastIntToFloat => want(&[I]),
            FloatAdd | FloatSub | FloatMul | FloatTrueDiv | FloatLt | FloatLe | FloatEq
            | FloatNe | FloatGt | FloatGe => want(&[F, F]),
            FloatNeg | FloatAbs | SameAsF | CastFloatToInt => want(&[F]),
            PtrEq | PtrNe => want(&[R, R]),
            SameAsR => want(&[R]),

            GuardTrue | GuardFalse => want(&[I]),
            GuardValue => {
                if k[0] == Kind::Void || k[0] != k[1] {
                    return Err(format!(
                        "guard_value compares {} with {}",
                        kind_name(k[0]),
                        kind_name(k[1])
                    ));
                }
                if !op.args[1].is_const() {
                    return Err("guard_value's second argument must be a constant".into());
                }
                Ok(())
            }
            GuardClass | GuardNonnullClass => want(&[R, I]),
            GuardNonnull | GuardIsnull => want(&[R]),
            GuardNoOverflow | GuardOverflow => {
                // The flag is only valid right after the arithmetic.
                match idx.checked_sub(1).map(|p| t.ops[p].opnum) {
                    Some(prev) if prev.is_ovf() => Ok(()),
                    _ => Err(format!("{name} must directly follow an *_ovf op")),
                }
            }
            GuardNoException | GuardNotInvalidated | GuardNotForced | GuardVerify => Ok(()),

            GetfieldGcI | GetfieldGcR | GetfieldGcF | GetfieldGcPureI | GetfieldGcPureR
            | GetfieldGcPureF | GetfieldRawI | GetfieldRawF => {
                let raw = matches!(op.opnum, GetfieldRawI | GetfieldRawF);
                want(&[if raw { I } else { R }])?;
                let fd = field.ok_or("missing field descr")?;
                result_matches("field", fd.name, fd.kind)
            }
            SetfieldGc | SetfieldRaw => {
                let fd = field.ok_or("missing field descr")?;
                let base = if op.opnum == SetfieldRaw { I } else { R };
                want(&[base, fd.kind])
            }
            QuasiimmutField => want(&[R]),
            GetarrayitemGcI | GetarrayitemGcR | GetarrayitemGcF => {
                want(&[R, I])?;
                let ad = array.ok_or("missing array descr")?;
                result_matches("array", ad.name, ad.kind)
            }
            SetarrayitemGc => {
                let ad = array.ok_or("missing array descr")?;
                want(&[R, I, ad.kind])
            }
            ArraylenGc => want(&[R]),
            New | NewWithVtable | ForceToken => want(&[]),
            NewArray | NewArrayClear => want(&[I]),

            CallI | CallR | CallF | CallN | CallPureI | CallPureR | CallPureF | CallPureN
            | CallMayForceI | CallMayForceR | CallMayForceF | CallMayForceN => {
                let cd = op
                    .descr
                    .and_then(|d| d.as_call())
                    .ok_or("missing call descr")?;
                let Some((&f, args)) = k.split_first() else {
                    return Err(format!("{name} needs the function address as argument 0"));
                };
                if f != I && f != R {
                    return Err(format!(
                        "argument 0 (the function address) is {}, expected int or ref",
                        kind_name(f)
                    ));
                }
                if args.len() != cd.args.len() {
                    return Err(format!(
                        "call descr {} takes {} argument(s), the op passes {}",
                        cd.name,
                        cd.args.len(),
                        args.len()
                    ));
                }
                for (i, (&got, &exp)) in args.iter().zip(cd.args).enumerate() {
                    if got != exp {
                        return Err(format!(
                            "argument {} ({}) is {}, but {} expects {}",
                            i + 1,
                            print_operand(t, &op.args[i + 1]),
                            kind_name(got),
                            cd.name,
                            kind_name(exp)
                        ));
                    }
                }
                if cd.result != rk {
                    return Err(format!(
                        "call descr {} returns {}, but {name} expects {}",
                        cd.name,
                        kind_name(cd.result),
                        kind_name(rk)
                    ));
                }
                Ok(())
            }
            CallAssemblerI | CallAssemblerR | CallAssemblerF | CallAssemblerN => {
                let Some(Descr::Assembler(ad)) = op.descr else {
                    unreachable!("descr family checked above")
                };
                if ad.args.len() != op.args.len() {
                    return Err(format!(
                        "assembler descr {} takes {} arguments, {name} passes {}",
                        ad.name,
                        ad.args.len(),
                        op.args.len()
                    ));
                }
                for (i, (a, k)) in op.args.iter().zip(ad.args).enumerate() {
                    let ak = self.t.operand_kind(a);
                    if ak != *k {
                        return Err(format!(
                            "argument {i} of {name} is {}, but {} expects {}",
                            kind_name(ak),
                            ad.name,
                            kind_name(*k)
                        ));
                    }
                }
                if ad.result != rk {
                    return Err(format!(
                        "assembler descr {} returns {}, but {name} expects {}",
                        ad.name,
                        kind_name(ad.result),
                        kind_name(rk)
                    ));
                }
                Ok(())
            }

            Label => {
                for (i, a) in op.args.iter().enumerate() {
                    let Operand::Var(v) = a else {
                        return Err(format!(
                            "label argument {i} ({}) must be a variable",
                            print_operand(t, a)
                        ));
                    };
                    if op.args[..i].contains(a) {
                        return Err(format!(
                            "label argument {i} ({}) appears twice",
                            var_name(t, *v)
                        ));
                    }
                }
                let tt = op
                    .descr
                    .and_then(|d| d.as_target())
                    .ok_or("missing target")?;
                if let Some(prev) = self.labels.insert(tt, idx) {
                    return Err(format!("TargetToken({}) already labels op {prev}", tt.0));
                }
                Ok(())
            }
            Jump => {
                let tt = op
                    .descr
                    .and_then(|d| d.as_target())
                    .ok_or("missing target")?;
                // A label elsewhere is checked when that trace is verified
                // and linked; one in this trace we can match here.
                let Some(&at) = self.labels.get(&tt) else {
                    return Ok(());
                };
                let label = &t.ops[at];
                if label.args.len() != op.args.len() {
                    return Err(format!(
                        "jumps with {} argument(s) to the label at op {at}, which takes {}",
                        op.args.len(),
                        label.args.len()
                    ));
                }
                for (i, (a, l)) in op.args.iter().zip(&label.args).enumerate() {
                    let (ka, kl) = (t.operand_kind(a), t.operand_kind(l));
                    if ka != kl {
                        return Err(format!(
                            "argument {i} ({}) is {}, but the label at op {at} expects {}",
                            print_operand(t, a),
                            kind_name(ka),
                            kind_name(kl)
                        ));
                    }
                }
                Ok(())
            }
            Finish => Ok(()),
            DebugMergePoint => match op.args[0] {
                Operand::ConstInt(_) => Ok(()),
                _ => Err("debug_merge_point's depth must be an int constant".into()),
            },
            EscapeI | EscapeR | EscapeF | EscapeN => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::parse::parse_trace;
    use crate::ir::print::fixtures::{fx, table};

    fn parse(s: &str) -> Trace {
        parse_trace(s, &table()).unwrap_or_else(|e| panic!("{e}\n{s}"))
    }

    fn ok(s: &str) {
        let t = parse(s);
        if let Err(e) = verify(&t) {
            panic!("rejected: {e}\n{s}");
        }
    }

    /// Verification fails and the message contains every fragment.
    fn bad_trace(t: &Trace, fragments: &[&str]) {
        match verify(t) {
            Ok(()) => panic!("accepted a malformed trace:\n{t}"),
            Err(e) => {
                for f in fragments {
                    assert!(e.0.contains(f), "message {:?} lacks {:?}", e.0, f);
                }
            }
        }
    }

    fn bad(s: &str, fragments: &[&str]) {
        bad_trace(&parse(s), fragments);
    }

    #[test]
    fn accepts_valid_traces() {
        ok("\
[i0, p1]
label(i0, p1, descr=TargetToken(1))
debug_merge_point(0, 'bf pc=3 +')
i2 = int_add_ovf(i0, 1)
guard_no_overflow(descr=<Guard3>) [i0, p1]
i3 = getfield_gc_i(p1, descr=<FieldS Point.x 8>)
f4 = getfield_gc_f(p1, descr=<FieldF Point.y 16>)
f5 = float_add(f4, 1.5)
setfield_gc(p1, f5, descr=<FieldF Point.y 16>)
p6 = new(descr=<SizeDescr Point 40>)
setfield_gc(p6, p1, descr=<FieldP Point.next 24>)
i7 = call_i(ConstClass(0x55d0), descr=<Calli bf_getchar>)
guard_no_exception(descr=<Guard5>) []
guard_true(i3, descr=<Guard4>) [i2, p1, f5, 7, ConstPtr(null)]
jump(i2, p6, descr=TargetToken(1))
");
        ok("\
[p0, i1, f2]
p3 = new_array_clear(i1, descr=<ArrayP RefArray 8>)
setarrayitem_gc(p3, 0, p0, descr=<ArrayP RefArray 8>)
p4 = getarrayitem_gc_r(p3, 0, descr=<ArrayP RefArray 8>)
i5 = arraylen_gc(p3, descr=<ArrayP RefArray 8>)
guard_class(p4, 3, descr=<Guard1>) []
guard_nonnull_class(p4, 3, descr=<Guard2>) []
guard_value(f2, 2.5, descr=<Guard3>) [f2]
guard_value(p4, ConstPtr(null), descr=<Guard4>) []
i6 = call_pure_i(ConstClass(0x10), i5, 1, descr=<Calli add2>)
f7 = call_may_force_f(ConstClass(0x10), f2, descr=<Callf fsqrt>)
guard_not_forced(descr=<Guard5>) []
call_n(ConstClass(0x10), i6, descr=<Calln putc>)
p8 = call_r(ConstClass(0x10), descr=<Callr mk>)
i9 = int_mul_ovf(i6, i5)
guard_overflow(descr=<Guard6>) []
i10 = getfield_raw_i(i9, descr=Point.x)
quasiimmut_field(p8, descr=Point.x)
guard_not_invalidated(descr=<Guard7>) []
i11 = escape_i(i10, f7, p8)
i12 = cast_float_to_int(f7)
i13 = ptr_ne(p8, p0)
finish(i11, i12, i13, descr=<Guard0>)
");
        // A bridge: no label, jumps to a label in another trace.
        ok("[i0]\ni1 = int_sub(i0, 1)\njump(i1, descr=TargetToken(9))\n");
        // Unused indices may have any kind, gaps included.
        ok("[i5]\nfinish(i5, descr=<Guard1>)\n");
        let mut t = parse("[i0]\nfinish(i0, descr=<Guard1>)\n");
        t.kinds.extend([Kind::Float, Kind::Void, Kind::Ref]);
        verify(&t).unwrap();
        // Peeled loop: preamble, then a label that carries what the body needs.
        ok("\
[i0, p1]
label(i0, p1, descr=TargetToken(1))
i2 = getfield_gc_i(p1, descr=Point.x)
label(i0, i2, descr=TargetToken(2))
i3 = int_add(i0, i2)
jump(i3, i2, descr=TargetToken(2))
");
    }

    #[test]
    fn rejects_use_before_definition() {
        // The parser refuses this text, so build it by hand.
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        let later = Var(2);
        t.push(OpNum::IntAdd, &[i0.into(), later.into()], None);
        t.push(OpNum::IntNeg, &[i0.into()], None);
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(
            &t,
            &[
                "op 0 `i1 = int_add(i0, i2)`",
                "i2 is used before its definition",
            ],
        );

        // In fail args too.
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        t.push(
            OpNum::GuardTrue,
            &[i0.into()],
            Some(Descr::Guard(GuardId(1))),
        );
        t.ops[0].fail_args = Some(vec![Var(1).into()]);
        t.push(OpNum::IntNeg, &[i0.into()], None);
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(2))));
        bad_trace(&t, &["op 0", "fail arg 0 i1 is used before its definition"]);

        // A variable that does not exist at all.
        let mut t = Trace::new();
        t.ops.push(Op::new(
            OpNum::Finish,
            &[Var(7).into()],
            None,
            Some(Descr::Guard(GuardId(1))),
        ));
        bad_trace(&t, &["op 0", "outside Trace::kinds"]);
    }

    #[test]
    fn rejects_double_definition() {
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        t.inputargs.push(i0);
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(&t, &["inputarg 1 (i0)", "defined twice"]);

        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        let i1 = t.push(OpNum::IntNeg, &[i0.into()], None);
        t.ops.push(Op::new(OpNum::IntNeg, &[i0.into()], i1, None));
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(&t, &["op 1 `i1 = int_neg(i0)`", "defined twice"]);

        // An op result redefining an inputarg.
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        t.ops
            .push(Op::new(OpNum::IntNeg, &[i0.into()], Some(i0), None));
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(&t, &["op 0", "defined twice"]);
    }

    #[test]
    fn rejects_kind_mismatches() {
        bad(
            "[i0, f1]\ni2 = int_add(i0, f1)\nfinish(descr=<Guard1>)\n",
            &[
                "op 0 `i2 = int_add(i0, f1)`",
                "argument 1 (f1) is float, expected int",
            ],
        );
        bad(
            "[f0]\nf1 = float_add(f0, 1)\nfinish(descr=<Guard1>)\n",
            &["argument 1 (1) is int, expected float"],
        );
        bad(
            "[i0]\nguard_true(1.5, descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["op 0", "is float, expected int"],
        );
        bad(
            "[i0]\ni1 = getfield_gc_i(i0, descr=Point.x)\nfinish(descr=<Guard1>)\n",
            &["argument 0 (i0) is int, expected ref"],
        );
        bad(
            "[p0]\ni1 = getfield_gc_i(p0, descr=Point.y)\nfinish(descr=<Guard1>)\n",
            &["field Point.y holds float, but getfield_gc_i reads int"],
        );
        bad(
            "[p0]\nsetfield_gc(p0, 1, descr=Point.next)\nfinish(descr=<Guard1>)\n",
            &["argument 1 (1) is int, expected ref"],
        );
        bad(
            "[p0]\ni1 = getarrayitem_gc_i(p0, 0, descr=FloatArray)\nfinish(descr=<Guard1>)\n",
            &["array FloatArray holds float"],
        );
        bad(
            "[p0]\nsetarrayitem_gc(p0, 0, 1.0, descr=IntArray)\nfinish(descr=<Guard1>)\n",
            &["argument 2 (1.0) is float, expected int"],
        );
        bad(
            "[p0]\nguard_value(p0, 5, descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["guard_value compares ref with int"],
        );
        bad(
            "[i0, i1]\nguard_value(i0, i1, descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["must be a constant"],
        );
        // Result kind against Trace::kinds (the parser cannot produce this).
        let mut t = parse("[i0]\ni1 = int_neg(i0)\nfinish(descr=<Guard1>)\n");
        t.kinds[1] = Kind::Float;
        bad_trace(
            &t,
            &["op 0", "result f1 has kind float, but int_neg produces int"],
        );
        // Inputarg of kind void.
        let mut t = parse("[i0]\nfinish(descr=<Guard1>)\n");
        t.kinds[0] = Kind::Void;
        bad_trace(&t, &["inputarg 0", "kind void"]);
        // Jump to a label of this trace with the wrong kinds.
        bad(
            "[i0, f1]\nlabel(i0, f1, descr=TargetToken(1))\njump(f1, i0, descr=TargetToken(1))\n",
            &[
                "op 1",
                "argument 0 (f1) is float, but the label at op 0 expects int",
            ],
        );
        bad(
            "[i0, f1]\nlabel(i0, f1, descr=TargetToken(1))\njump(i0, descr=TargetToken(1))\n",
            &["jumps with 1 argument(s) to the label at op 0, which takes 2"],
        );
    }

    #[test]
    fn rejects_descr_problems() {
        bad(
            "[i0]\nguard_true(i0) [i0]\nfinish(descr=<Guard2>)\n",
            &[
                "op 0 `guard_true(i0) [i0]`",
                "guard_true needs a guard descr",
            ],
        );
        bad(
            "[i0]\nguard_true(i0, descr=TargetToken(1)) []\nfinish(descr=<Guard2>)\n",
            &["needs a guard descr, got TargetToken(1)"],
        );
        bad(
            "[i0]\nfinish(i0)\n",
            &["op 0 `finish(i0)`", "finish needs a guard descr"],
        );
        bad(
            "[i0]\njump(i0, descr=<Guard1>)\n",
            &["jump needs a target token descr"],
        );
        bad(
            "[i0]\nlabel(i0)\nfinish(descr=<Guard1>)\n",
            &["label needs a target token descr"],
        );
        bad(
            "[i0]\ni1 = int_add(i0, 1, descr=Point.x)\nfinish(descr=<Guard1>)\n",
            &["int_add takes no descr, got <FieldS Point.x 8>"],
        );
        bad(
            "[p0]\ni1 = getfield_gc_i(p0)\nfinish(descr=<Guard1>)\n",
            &["needs a field descr"],
        );
        bad(
            "[p0]\ni1 = getfield_gc_i(p0, descr=IntArray)\nfinish(descr=<Guard1>)\n",
            &["needs a field descr, got <ArrayS IntArray 8>"],
        );
        bad(
            "[]\np0 = new(descr=Point.x)\nfinish(descr=<Guard1>)\n",
            &["needs a size descr"],
        );
        bad(
            "[]\np0 = new_array(3, descr=Point)\nfinish(descr=<Guard1>)\n",
            &["needs an array descr"],
        );
        bad(
            "[i0]\ni1 = call_i(ConstClass(0x10), i0, descr=Point.x)\nfinish(descr=<Guard1>)\n",
            &["needs a call descr"],
        );
        bad(
            "[i0]\nguard_true(i0, descr=<Guard1>) []\nguard_false(i0, descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["op 1", "guard id 1 is already used by op 0"],
        );
        bad(
            "[i0]\nlabel(i0, descr=TargetToken(1))\nlabel(i0, descr=TargetToken(1))\njump(i0, descr=TargetToken(1))\n",
            &["op 1", "TargetToken(1) already labels op 0"],
        );
    }

    #[test]
    fn rejects_missing_fail_args() {
        bad(
            "[i0]\nguard_true(i0, descr=<Guard1>)\nfinish(descr=<Guard2>)\n",
            &[
                "op 0 `guard_true(i0, descr=<Guard1>)`",
                "guard has no fail args",
            ],
        );
        bad(
            "[i0]\ni1 = int_neg(i0) [i0]\nfinish(descr=<Guard2>)\n",
            &["int_neg is not a guard but has fail args"],
        );
    }

    #[test]
    fn checks_pending_writes() {
        let g = |fa: &str, ps: &str| {
            format!("[p0, i1]\nguard_true(i1, descr=<Guard1>) [{fa}] pending=[{ps}]\nfinish(descr=<Guard0>)\n")
        };
        ok(&g(
            "p0, i1",
            "setfield_gc(@0, @1, Point.x), setarrayitem_gc(@0, @1, @1, IntArray)",
        ));
        bad(
            &g("p0, i1", "setfield_gc(@0, @2, Point.x)"),
            &["value @2 is past the 2 fail args"],
        );
        bad(
            &g("p0, i1", "setfield_gc(@1, @1, Point.x)"),
            &["object @1 is i1"],
        );
        bad(
            &g("p0, i1", "setfield_gc(@0, @0, Point.x)"),
            &["value @0 is p0"],
        );
        bad(
            &g("p0, i1", "setarrayitem_gc(@0, @0, @1, IntArray)"),
            &["index @0 is p0"],
        );
        bad(
            "[i0]\ni1 = int_neg(i0) pending=[]\nfinish(descr=<Guard0>)\n",
            &["int_neg has pending writes but is not a guard"],
        );
    }

    #[test]
    fn checks_virtuals() {
        let g = |fa: &str, vs: &str| {
            format!("[i0]\nguard_true(i0, descr=<Guard1>) [{fa}] virtuals=[{vs}]\nfinish(descr=<Guard0>)\n")
        };
        ok(&g(
            "i0, ConstPtr(null), ConstPtr(null)",
            "@1 = new(Point) {Point.x=@0, Point.next=@2}, @2 = new_array(IntArray, 2) {1=@0}",
        ));
        bad(&g("i0", "@0 = new(Point) {}"), &["placeholder"]);
        bad(&g("ConstPtr(null)", "@1 = new(Point) {}"), &["past"]);
        bad(
            &g("ConstPtr(null)", "@0 = new(Point) {}, @0 = new(Point) {}"),
            &["two virtuals"],
        );
        bad(
            &g("ConstPtr(null)", "@0 = new(Point) {Point.x=@0}"),
            &["is ref", "holds int"],
        );
        bad(
            &g("ConstPtr(null), i0", "@0 = new_array(IntArray, 1) {3=@1}"),
            &["outside the array"],
        );
        bad(
            &g("ConstPtr(null), i0", "@0 = new(Point) {1=@1}"),
            &["on a struct"],
        );
        bad(
            &g(
                "ConstPtr(null), i0",
                "@0 = new_array(IntArray, 1) {Point.x=@1}",
            ),
            &["on an array"],
        );
        bad(
            &g("ConstPtr(null), i0", "@0 = new(Point) {Point.x=@5}"),
            &["past"],
        );
        bad(
            "[i0]\ni1 = int_add(i0, 1) virtuals=[]\nfinish(descr=<Guard0>)\n",
            &["not a guard"],
        );
    }

    #[test]
    fn rejects_bad_endings() {
        bad(
            "[i0]\ni1 = int_neg(i0)\n",
            &["must end with jump or finish", "op 0 `i1 = int_neg(i0)`"],
        );
        bad("[i0]\n", &["trace has no ops"]);
        bad(
            "[i0]\nfinish(i0, descr=<Guard1>)\ni1 = int_neg(i0)\nfinish(i1, descr=<Guard2>)\n",
            &["op 0", "finish must be the last op, but 2 op(s) follow"],
        );
    }

    #[test]
    fn rejects_call_signature_mismatches() {
        bad(
            "[i0]\ni1 = call_i(ConstClass(0x10), i0, descr=<Calli add2>)\nfinish(descr=<Guard1>)\n",
            &[
                "op 0",
                "call descr add2 takes 2 argument(s), the op passes 1",
            ],
        );
        bad(
            "[i0]\ni1 = call_i(ConstClass(0x10), i0, 1.0, descr=<Calli add2>)\nfinish(descr=<Guard1>)\n",
            &["argument 2 (1.0) is float, but add2 expects int"],
        );
        bad(
            "[f0]\ni1 = call_i(ConstClass(0x10), f0, descr=<Callf fsqrt>)\nfinish(descr=<Guard1>)\n",
            &["call descr fsqrt returns float, but call_i expects int"],
        );
        bad(
            "[]\ni1 = call_i(1.5, descr=<Calli bf_getchar>)\nfinish(descr=<Guard1>)\n",
            &["argument 0 (the function address) is float"],
        );
        bad(
            "[]\ni1 = call_i(descr=<Calli bf_getchar>)\nfinish(descr=<Guard1>)\n",
            &["needs the function address as argument 0"],
        );
    }

    #[test]
    fn rejects_misplaced_overflow_guards() {
        bad(
            "[i0]\ni1 = int_add(i0, 1)\nguard_no_overflow(descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["op 1", "guard_no_overflow must directly follow an *_ovf op"],
        );
        bad(
            "[i0]\ni1 = int_add_ovf(i0, 1)\ndebug_merge_point(0, 'x')\nguard_overflow(descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["op 2", "guard_overflow must directly follow"],
        );
        bad(
            "[]\nguard_no_overflow(descr=<Guard1>) []\nfinish(descr=<Guard2>)\n",
            &["op 0"],
        );
    }

    #[test]
    fn rejects_label_problems() {
        bad(
            "[i0, i1]\nlabel(i0, descr=TargetToken(1))\ni2 = int_add(i0, i1)\njump(i2, descr=TargetToken(1))\n",
            &["op 1", "argument 1 i1 is not live here: after the label at op 0"],
        );
        bad(
            "[i0]\nlabel(i0, 5, descr=TargetToken(1))\njump(i0, 5, descr=TargetToken(1))\n",
            &["label argument 1 (5) must be a variable"],
        );
        bad(
            "[i0]\nlabel(i0, i0, descr=TargetToken(1))\njump(i0, i0, descr=TargetToken(1))\n",
            &["label argument 1 (i0) appears twice"],
        );
    }

    #[test]
    fn rejects_arity_and_result_problems() {
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        t.ops.push(Op::new(OpNum::IntAdd, &[i0.into()], None, None));
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(&t, &["int_add takes 2 argument(s), got 1"]);

        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        t.ops.push(Op::new(OpNum::IntNeg, &[i0.into()], None, None));
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(&t, &["int_neg produces int but has no result variable"]);

        let mut t = Trace::new();
        let p0 = t.new_inputarg(Kind::Ref);
        let v = t.new_var(Kind::Int);
        let fd = Some(Descr::Field(fx().x));
        t.ops.push(Op::new(
            OpNum::SetfieldGc,
            &[p0.into(), Operand::ConstInt(1)],
            Some(v),
            fd,
        ));
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(1))));
        bad_trace(&t, &["setfield_gc has no result, but defines i1"]);

        bad(
            "[]\ndebug_merge_point(1.5)\nfinish(descr=<Guard1>)\n",
            &["depth must be an int constant"],
        );
    }

    /// Arbitrary op soup, including out-of-range variables and wrong
    /// descrs: `verify` (and `print_op` in its messages) must not panic.
    #[test]
    fn never_panics_on_garbage() {
        let f = fx();
        let descrs = [
            None,
            Some(Descr::Field(f.x)),
            Some(Descr::Field(f.y)),
            Some(Descr::Array(f.ints)),
            Some(Descr::Size(f.point)),
            Some(Descr::Call(f.add2)),
            Some(Descr::Call(f.putc)),
            Some(Descr::Guard(GuardId(1))),
            Some(Descr::Target(TargetToken(1))),
        ];
        let kinds = [Kind::Int, Kind::Float, Kind::Ref, Kind::Void];
        let mut x: u64 = 0x0123_4567_89ab_cdef;
        let mut rnd = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        let mut rejected = 0;
        for _ in 0..5000 {
            let mut t = Trace::new();
            t.kinds = (0..rnd(6)).map(|_| kinds[rnd(4)]).collect();
            t.inputargs = (0..rnd(3)).map(|_| Var(rnd(8) as u32)).collect();
            for _ in 0..rnd(6) {
                let opnum = OpNum::ALL[rnd(OpNum::ALL.len())];
                let operand = |r: &mut dyn FnMut(usize) -> usize| match r(5) {
                    0 => Operand::ConstInt(r(3) as i64),
                    1 => Operand::ConstFloat(r(3) as u64),
                    2 => Operand::ConstPtr(r(2)),
                    _ => Operand::Var(Var(r(8) as u32)),
                };
                let args: Vec<Operand> = (0..rnd(4)).map(|_| operand(&mut rnd)).collect();
                let res = (rnd(2) == 0).then(|| Var(rnd(8) as u32));
                let mut op = Op::new(opnum, &args, res, descrs[rnd(descrs.len())]);
                if rnd(2) == 0 {
                    op.fail_args = Some((0..rnd(3)).map(|_| operand(&mut rnd)).collect());
                }
                t.ops.push(op);
            }
            rejected += verify(&t).is_err() as usize;
            let _ = crate::ir::print::print_trace(&t);
        }
        assert!(rejected > 4000);
    }

    #[test]
    fn error_type() {
        let e = verify(&Trace::new()).unwrap_err();
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        assert_eq!(boxed.to_string(), e.0);
    }
}
