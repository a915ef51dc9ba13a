//! A deliberately wrong "optimization", for testing `--jit verify` only
//! (`--jit test_fault=int_add`); never part of the pipeline otherwise.
//!
//! Owns: [`int_add`], which adds 1 to the constant of the first
//! `int_add(x, C)` after a loop's last label — in the loop body, the code
//! that runs in steady state — as a wrong constant fold would. The
//! verifier's tests show that the mismatch is caught, at the right guest
//! location, and that the program's output stays right.

use crate::ir::{OpNum, Operand, Trace};

/// Corrupts the first `int_add(x, C)` of the loop body (see the module
/// docs). Returns whether it found one.
pub fn int_add(trace: &mut Trace) -> bool {
    let body = trace
        .ops
        .iter()
        .rposition(|o| o.opnum == OpNum::Label)
        .unwrap_or(0);
    for op in trace.ops[body..].iter_mut() {
        if op.opnum != OpNum::IntAdd {
            continue;
        }
        for a in op.args.iter_mut() {
            if let Operand::ConstInt(c) = *a {
                *a = Operand::ConstInt(c.wrapping_add(1));
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::opt::testutil::parse;

    #[test]
    fn bumps_the_first_constant_add_of_the_body_only() {
        let mut t = parse(
            "[i0]\nlabel(i0, descr=TargetToken(1))\ni1 = int_add(i0, 1)\n\
             label(i1, descr=TargetToken(2))\ni2 = int_add(i1, 1)\ni3 = int_add(i2, 5)\n\
             jump(i3, descr=TargetToken(2))\n",
        );
        assert!(super::int_add(&mut t));
        let text = t.to_string();
        assert!(text.contains("int_add(i0, 1)"), "{text}");
        assert!(text.contains("int_add(i1, 2)"), "{text}");
        assert!(text.contains("int_add(i2, 5)"), "{text}");
    }
}
