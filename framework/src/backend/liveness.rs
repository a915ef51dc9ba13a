//! Liveness of a trace's variables, for the native backends' register
//! allocators (the counterpart of PyPy's `backend/llsupport/regalloc.py`:
//! the analysis every backend shares, over the IR only).
//!
//! Owns: `Liveness` (definition point, use positions and end of every
//! variable's live interval, values pinned at labels, comparisons fused
//! with their guard, values live across a call) and the two op facts the
//! allocators need (`reads`, `is_fusable_cmp`). The register files and the
//! allocation itself stay in each backend.
//!
//! Positions: inputargs are defined at 0, op `i` sits at position `i + 1`.
//! A variable's interval ends at its last use; fail args count as uses at
//! their guard (the exit stub reads them there). Values still used after a
//! `label` that are not its arguments are pinned to their spill slots for
//! the rest of the trace (their interval is extended to its end), so every
//! jump back finds them where the label left them.

use crate::backend::CompileError;
use crate::ir::{Op, OpNum, Operand, Trace, Var};

/// Live ranges of a trace's variables.
pub struct Liveness {
    /// Definition position (`u32::MAX` if never defined).
    pub def: Vec<u32>,
    /// End of the live interval (may be extended past the last real use).
    pub last_use: Vec<u32>,
    /// Sorted real use positions.
    pub uses: Vec<Vec<u32>>,
    /// Variables whose interval ends at each position.
    pub dies_at: Vec<Vec<Var>>,
    /// Live across a call: prefer callee-saved registers.
    pub crosses_call: Vec<bool>,
    /// Per op index: values pinned to their slots at this label.
    pub pinned: Vec<Vec<Var>>,
    /// Per op index: this comparison only feeds the next guard, emit it as
    /// `cmp` + `jcc` without materializing a boolean.
    pub fused: Vec<bool>,
}

/// Operands an op reads in generated code (fail args excluded).
pub fn reads(op: &Op) -> &[Operand] {
    match op.opnum {
        OpNum::DebugMergePoint | OpNum::QuasiimmutField => &[],
        _ => &op.args,
    }
}

/// Comparisons that can be fused with a following `guard_true/false`.
pub fn is_fusable_cmp(o: OpNum) -> bool {
    use OpNum::*;
    matches!(
        o,
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
            | PtrEq
            | PtrNe
            | FloatLt
            | FloatLe
            | FloatGt
            | FloatGe
    )
}

impl Liveness {
    /// Computes the live ranges of `trace`. Errors when the trace is not in
    /// SSA form: an input argument without a kind, a variable used before its
    /// definition or defined twice.
    pub fn compute(trace: &Trace) -> Result<Liveness, CompileError> {
        let nvars = trace.kinds.len();
        let end = trace.ops.len() as u32;
        let mut def = vec![u32::MAX; nvars];
        let mut uses: Vec<Vec<u32>> = vec![Vec::new(); nvars];
        for v in &trace.inputargs {
            if v.index() >= nvars {
                return Err(CompileError(format!("inputarg {v:?} has no kind")));
            }
            def[v.index()] = 0;
        }
        let use_at = |def: &[u32], uses: &mut [Vec<u32>], o: &Operand, pos: u32| {
            if let Operand::Var(v) = o {
                match def.get(v.index()) {
                    Some(&d) if d < pos => {
                        uses[v.index()].push(pos);
                        Ok(())
                    }
                    _ => Err(CompileError(format!("v{} used before definition", v.0))),
                }
            } else {
                Ok(())
            }
        };
        for (i, op) in trace.ops.iter().enumerate() {
            let pos = i as u32 + 1;
            for o in reads(op) {
                use_at(&def, &mut uses, o, pos)?;
            }
            if op.opnum.is_guard() {
                for o in op.fail_args.as_deref().unwrap_or(&[]) {
                    use_at(&def, &mut uses, o, pos)?;
                }
            }
            if let Some(r) = op.res {
                if r.index() >= nvars || def[r.index()] != u32::MAX {
                    return Err(CompileError(format!("v{} defined twice", r.0)));
                }
                def[r.index()] = pos;
            }
        }
        let mut last_use: Vec<u32> = (0..nvars)
            .map(|v| uses[v].last().copied().unwrap_or(def[v]))
            .collect();

        // Labels: values crossing a label that are not its arguments are
        // pinned to their slots until the end of the trace.
        let mut pinned = vec![Vec::new(); trace.ops.len()];
        for (i, op) in trace.ops.iter().enumerate() {
            if op.opnum != OpNum::Label {
                continue;
            }
            let pos = i as u32 + 1;
            let args: Vec<Var> = op.args.iter().filter_map(|o| o.as_var()).collect();
            for v in 0..nvars {
                if def[v] < pos && last_use[v] > pos && !args.contains(&Var(v as u32)) {
                    pinned[i].push(Var(v as u32));
                    last_use[v] = end;
                }
            }
        }

        let mut fused = vec![false; trace.ops.len()];
        for (i, pair) in trace.ops.windows(2).enumerate() {
            let (op, next) = (&pair[0], &pair[1]);
            if !is_fusable_cmp(op.opnum)
                || !matches!(next.opnum, OpNum::GuardTrue | OpNum::GuardFalse)
            {
                continue;
            }
            if let Some(r) = op.res {
                let gpos = i as u32 + 2;
                if next.args.first() == Some(&Operand::Var(r))
                    && uses[r.index()] == [gpos]
                    && last_use[r.index()] == gpos
                {
                    fused[i] = true;
                }
            }
        }

        let calls: Vec<u32> = trace
            .ops
            .iter()
            .enumerate()
            .filter(|(_, op)| {
                op.opnum.is_call()
                    || matches!(op.opnum, OpNum::New | OpNum::NewWithVtable)
                    || matches!(op.opnum, OpNum::NewArray | OpNum::NewArrayClear)
            })
            .map(|(i, _)| i as u32 + 1)
            .collect();
        // Is there a call strictly inside (def, last_use)? `calls` is sorted.
        let crosses_call = (0..nvars)
            .map(|v| {
                let i = calls.partition_point(|&c| c <= def[v]);
                calls.get(i).is_some_and(|&c| c < last_use[v])
            })
            .collect();

        let mut dies_at = vec![Vec::new(); trace.ops.len() + 1];
        for v in 0..nvars {
            if def[v] != u32::MAX {
                dies_at[last_use[v].min(end) as usize].push(Var(v as u32));
            }
        }
        Ok(Liveness {
            def,
            last_use,
            uses,
            dies_at,
            crosses_call,
            pinned,
            fused,
        })
    }

    /// First real use strictly after `pos` (`u32::MAX` if none).
    pub fn next_use(&self, v: Var, pos: u32) -> u32 {
        let u = &self.uses[v.index()];
        let i = u.partition_point(|&p| p <= pos);
        u.get(i).copied().unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Descr, GuardId, Kind, TargetToken};

    fn guard(t: &mut Trace, o: OpNum, args: &[Operand], fail: &[Operand], id: u32) {
        t.push(o, args, Some(Descr::Guard(GuardId(id))));
        t.ops.last_mut().unwrap().fail_args = Some(fail.to_vec());
    }

    #[test]
    fn intervals_count_fail_args_and_fuse_single_use_compares() {
        let mut t = Trace::new();
        let a = t.new_inputarg(Kind::Int);
        let b = t.new_inputarg(Kind::Int);
        let c = t.push(OpNum::IntLt, &[a.into(), b.into()], None).unwrap();
        guard(&mut t, OpNum::GuardTrue, &[c.into()], &[b.into()], 1);
        let d = t.push(OpNum::IntEq, &[a.into(), b.into()], None).unwrap();
        guard(&mut t, OpNum::GuardFalse, &[d.into()], &[d.into()], 2);
        t.push(OpNum::Finish, &[], Some(Descr::Guard(GuardId(3))));
        let l = Liveness::compute(&t).unwrap();
        // b: first comparison (position 1), the first guard's fail args
        // (position 2), the second comparison (position 3).
        assert_eq!(l.uses[b.index()], vec![1, 2, 3]);
        assert_eq!(l.last_use[a.index()], 3);
        assert!(l.fused[0], "c only feeds the next guard");
        assert!(!l.fused[2], "d is also a fail arg");
        assert!(l.dies_at[2].contains(&c));
    }

    #[test]
    fn rejects_use_before_definition() {
        let mut t = Trace::new();
        let a = t.new_inputarg(Kind::Int);
        let later = t.new_var(Kind::Int);
        t.push(OpNum::IntAdd, &[a.into(), later.into()], None);
        t.push(OpNum::Jump, &[], Some(Descr::Target(TargetToken(1))));
        assert!(Liveness::compute(&t).is_err());
    }
}
