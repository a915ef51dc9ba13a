//! Guest-free `Range` methods (`range_method`): `first`/`begin`/`min`,
//! `last`/`end`/`max`, `exclude_end?`, `to_a`/`entries`, `size`/`count`,
//! `sum`, `include?`/`member?`/`cover?`/`===`. Iteration (`each`, `step`)
//! is Ruby, in the prelude.
//!
//! May touch: nothing but allocating results.

use super::*;

pub fn range_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let (lo, hi, ex) = range_parts(recv);
    match (name, args.first()) {
        ("first" | "begin" | "min", None) => Ok(lo),
        ("last" | "end", None) => Ok(hi),
        ("max", None) => {
            if ex && is_int(hi) {
                num_binop("-", hi, new_int(1))
            } else {
                Ok(hi)
            }
        }
        ("exclude_end?", None) => Ok(boolean(ex)),
        ("to_a" | "entries", None) => {
            let (a, b) = (int_arg(lo)?, int_arg(hi)?);
            let b = if ex { b } else { b + 1 };
            if b - a > 100_000_000 {
                return err("RangeError", "range too large");
            }
            let v: Vec<GcRef> = (a..b).map(new_int).collect();
            Ok(new_array(&v))
        }
        ("size" | "count", None) => {
            let (a, b) = (int_arg(lo)?, int_arg(hi)?);
            let b = if ex { b } else { b + 1 };
            Ok(new_int((b - a).max(0)))
        }
        ("include?" | "member?" | "cover?" | "===", Some(v)) => {
            if !is_num(*v) || !is_num(lo) {
                return Ok(boolean(false));
            }
            let ge = truthy(num_binop(">=", *v, lo)?);
            let le = truthy(num_binop(if ex { "<" } else { "<=" }, *v, hi)?);
            Ok(boolean(ge && le))
        }
        ("sum", None) => {
            let (a, b) = (big_of(lo), big_of(hi));
            let b = if ex { b - 1 } else { b };
            if b < a {
                return Ok(new_int(0));
            }
            let n: BigInt = &b - &a + 1;
            Ok(new_bigint(&((a + b) * n / 2)))
        }
        _ => no_method(name, recv),
    }
}
