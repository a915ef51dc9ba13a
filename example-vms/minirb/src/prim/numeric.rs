//! Guest-free `Integer` and `Float` methods: the binary operators on
//! any mix of fixnums, big ints and floats (`num_binop`: arithmetic with
//! overflow into big ints, `div`/`modulo`/`divmod`, comparisons, `<=>`,
//! bit operations and shifts), and `num_method` (unary `-`/`+`, `abs`,
//! `to_i`/`to_f`/`truncate`, `floor`/`ceil`/`round`, `nan?`, `zero?`/
//! `even?`/`odd?`, `succ`/`pred`, `chr`, `integer?`, `hash`).
//! `builtins::numericobject` tries its own names first and falls through
//! to `num_method`.
//!
//! May touch: nothing but allocating results; raises for bad operands.

use super::*;

/// Integer and Float binary operators (any mix, big ints included).
pub fn num_binop(name: &str, a: GcRef, b: GcRef) -> RbRes {
    let num = |v: GcRef| matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT);
    if !num(b) {
        return match name {
            "==" => Ok(boolean(false)),
            "!=" => Ok(boolean(true)),
            "<=>" => Ok(nil()),
            "<" | "<=" | ">" | ">=" => err(
                "ArgumentError",
                format!(
                    "comparison of {} with {} failed",
                    class_name(a),
                    inspect_or_class(b)
                ),
            ),
            _ => coerce_err(a, b),
        };
    }
    if is_int(a) && is_int(b) {
        let (x, y) = (big_of(a), big_of(b));
        let r = match name {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "/" | "div" => {
                if y.is_zero() {
                    return err("ZeroDivisionError", "divided by 0");
                }
                x.div_floor(&y)
            }
            "%" | "modulo" => {
                if y.is_zero() {
                    return err("ZeroDivisionError", "divided by 0");
                }
                x.mod_floor(&y)
            }
            "**" => {
                if y.is_negative() {
                    return Ok(new_float(to_f(a).powf(to_f(b))));
                }
                let e = y.to_u32().unwrap_or(u32::MAX);
                num_traits::pow(x, e as usize)
            }
            "&" => x & y,
            "|" => x | y,
            "^" => x ^ y,
            "<<" => x << y.to_usize().unwrap_or(0),
            ">>" => x >> y.to_usize().unwrap_or(0),
            _ => return Ok(cmp_result(name, x.cmp(&y))),
        };
        return Ok(new_bigint(&r));
    }
    let (x, y) = (to_f(a), to_f(b));
    let r = match name {
        "+" => x + y,
        "-" => x - y,
        "*" => x * y,
        "/" => x / y,
        "%" | "modulo" => {
            let m = x % y;
            if m != 0.0 && (m < 0.0) != (y < 0.0) {
                m + y
            } else {
                m
            }
        }
        "**" => x.powf(y),
        _ => {
            return Ok(match x.partial_cmp(&y) {
                Some(o) => cmp_result(name, o),
                None if name == "<=>" => nil(),
                None => boolean(name == "!="),
            })
        }
    };
    Ok(new_float(r))
}

pub fn num_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    if args.len() == 1 {
        if let "+" | "-" | "*" | "/" | "%" | "**" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "<=>"
        | "div" | "modulo" = name
        {
            if name == "div" && args[0].tid() == tid::FLOAT {
                return Ok(new_int((to_f(recv) / to_f(args[0])).floor() as i64));
            }
            return num_binop(name, recv, args[0]);
        }
        if is_int(recv) && matches!(name, "&" | "|" | "^" | "<<" | ">>") {
            if !is_int(args[0]) {
                return coerce_err(recv, args[0]);
            }
            return num_binop(name, recv, args[0]);
        }
    }
    let fl = recv.tid() == tid::FLOAT;
    match name {
        "-@" => num_binop("-", new_int(0), recv),
        "+@" => Ok(recv),
        "abs" => {
            if fl {
                Ok(new_float(float_of(recv).abs()))
            } else {
                Ok(new_bigint(&big_of(recv).abs()))
            }
        }
        "to_i" | "to_int" | "truncate" => {
            if fl {
                let f = float_of(recv);
                if !f.is_finite() {
                    return err("FloatDomainError", fmt_float(f));
                }
                Ok(new_bigint(&BigInt::from(f.trunc() as i128)))
            } else {
                Ok(recv)
            }
        }
        "to_f" => Ok(new_float(to_f(recv))),
        "floor" | "ceil" | "round" if fl => {
            let f = float_of(recv);
            let digits = match args.first() {
                Some(d) => int_arg(*d)?,
                None => 0,
            };
            if digits > 0 {
                let m = 10f64.powi(digits as i32);
                let r = match name {
                    "floor" => (f * m).floor() / m,
                    "ceil" => (f * m).ceil() / m,
                    _ => (f * m).round() / m,
                };
                return Ok(new_float(r));
            }
            let r = match name {
                "floor" => f.floor(),
                "ceil" => f.ceil(),
                _ => f.round(),
            };
            Ok(new_int(r as i64))
        }
        "floor" | "ceil" | "round" => Ok(recv),
        "nan?" if fl => Ok(boolean(float_of(recv).is_nan())),
        "zero?" => Ok(boolean(to_f(recv) == 0.0)),
        "even?" if !fl => Ok(boolean(big_of(recv).is_even())),
        "odd?" if !fl => Ok(boolean(big_of(recv).is_odd())),
        "succ" | "next" if !fl => num_binop("+", recv, new_int(1)),
        "pred" if !fl => num_binop("-", recv, new_int(1)),
        "chr" if !fl => {
            let c = char::from_u32(int_arg(recv)? as u32).unwrap_or('?');
            Ok(new_str(&c.to_string()))
        }
        "to_s" if !fl && args.len() == 1 => {
            let base = int_arg(args[0])? as u32;
            Ok(new_str(&big_of(recv).to_str_radix(base)))
        }
        "divmod" if args.len() == 1 => {
            let q = if fl || args[0].tid() == tid::FLOAT {
                new_float((to_f(recv) / to_f(args[0])).floor())
            } else {
                num_binop("/", recv, args[0])?
            };
            let m = num_binop("%", recv, args[0])?;
            Ok(new_array(&[q, m]))
        }
        "integer?" => Ok(boolean(!fl)),
        "hash" => Ok(new_int(to_s(recv).len() as i64)),
        _ => no_method(name, recv),
    }
}
