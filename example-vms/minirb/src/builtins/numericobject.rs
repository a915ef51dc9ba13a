//! `Integer` (fixnums and big ints, one class as in CRuby) and `Float`:
//! the methods that may call guest code or that `prim` leaves out —
//! `coerce` protocol with user objects, `==` against user objects,
//! `round`/`digits`/`gcd`/`pow`/`bit_length`/`[]`, `between?`/`clamp`,
//! predicates; everything else falls through to `prim::num_method`.
//! The two classes share one method function: most arms serve both and
//! the rest are guarded by the receiver's type (`float_round` is Float's).
//!
//! May touch: numbers' boxes (immutable: it only reads and allocates),
//! and guest code only for user `==`/`coerce`.

use super::*;

pub(super) fn numeric(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    match (name, args.len()) {
        ("hash", 0) => return Ok(new_int(hash::key_hash(recv))),
        ("inspect" | "to_s", 0) => return Ok(new_str(&to_s_plain(recv))),
        ("coerce", 1) => return Ok(new_array(&[args[0], recv])),
        ("fdiv", 1) => return Ok(new_float(prim::to_f(recv) / prim::to_f(args[0]))),
        ("quo", 1) => return Ok(new_float(prim::to_f(recv) / prim::to_f(args[0]))),
        ("infinite?", 0) if recv.tid() == tid::FLOAT => {
            let f = float_of(recv);
            return Ok(if f.is_infinite() {
                new_int(if f > 0.0 { 1 } else { -1 })
            } else {
                nil()
            });
        }
        ("finite?", 0) => {
            return Ok(boolean(
                recv.tid() != tid::FLOAT || float_of(recv).is_finite(),
            ))
        }
        ("positive?", 0) => return Ok(boolean(prim::to_f(recv) > 0.0)),
        ("negative?", 0) => return Ok(boolean(prim::to_f(recv) < 0.0)),
        ("nonzero?", 0) => return Ok(if prim::to_f(recv) == 0.0 { nil() } else { recv }),
        ("bit_length", 0) if recv.tid() == tid::INT => {
            let v = geti(recv, &int_obj::v);
            let v = if v < 0 { !v } else { v };
            return Ok(new_int(64 - v.leading_zeros() as i64));
        }
        ("[]", 1) if prim::is_int(recv) => {
            let b = prim::int_arg(args[0])?;
            let v = big_of(recv);
            return Ok(new_int(
                ((v >> b.max(0) as usize) & BigInt::from(1))
                    .to_i64()
                    .unwrap_or(0),
            ));
        }
        ("~", 0) if prim::is_int(recv) => return Ok(new_bigint(&(-big_of(recv) - 1))),
        ("gcd" | "lcm", 1) if prim::is_int(recv) => {
            use num_integer::Integer;
            let (a, b) = (big_of(recv), big_of(args[0]));
            return Ok(new_bigint(&if name == "gcd" {
                a.gcd(&b)
            } else {
                a.lcm(&b)
            }));
        }
        ("pow", 2) => {
            let (b, e, m) = (big_of(recv), big_of(args[0]), big_of(args[1]));
            return Ok(new_bigint(&b.modpow(&e, &m)));
        }
        ("pow", 1) => return prim::num_binop("**", recv, args[0]),
        ("digits", 0) => {
            let mut v = big_of(recv).abs();
            let mut out = Vec::new();
            let ten = BigInt::from(10);
            if v.is_zero() {
                out.push(new_int(0));
            }
            while !v.is_zero() {
                out.push(new_bigint(&(&v % &ten)));
                v /= &ten;
            }
            return Ok(new_array(&out));
        }
        ("between?", 2) => {
            let a = truthy(prim::num_binop(">=", recv, args[0])?);
            let b = truthy(prim::num_binop("<=", recv, args[1])?);
            return Ok(boolean(a && b));
        }
        ("clamp", 2) => {
            if truthy(prim::num_binop("<", recv, args[0])?) {
                return Ok(args[0]);
            }
            if truthy(prim::num_binop(">", recv, args[1])?) {
                return Ok(args[1]);
            }
            return Ok(recv);
        }
        ("round", _) if recv.tid() == tid::FLOAT => return float_round(recv, args),
        ("round", 1) if prim::is_int(recv) => {
            let d = prim::int_arg(args[0])?;
            if d >= 0 {
                return Ok(recv);
            }
            let m = BigInt::from(10).pow((-d) as u32);
            let v = big_of(recv);
            let h = &m / 2;
            let r: BigInt = if v.is_negative() {
                let t: BigInt = (-&v + &h) / &m;
                -(t * &m)
            } else {
                let t: BigInt = (&v + &h) / &m;
                t * &m
            };
            return Ok(new_bigint(&r));
        }
        ("dup" | "clone" | "freeze" | "itself", 0) => return Ok(recv),
        ("equal?", 1) => return Ok(boolean(hash::key_eql(recv, args[0]))),
        ("frozen?", 0) => return Ok(boolean(true)),
        ("size", 0) if prim::is_int(recv) => return Ok(new_int(8)),
        ("===" | "eql?", 1) if name == "eql?" => {
            return Ok(boolean(hash::key_eql(recv, args[0])));
        }
        ("===", 1) => return Ok(boolean(equal(recv, args[0]))),
        ("to_r" | "rationalize", _) => return Ok(undef()),
        ("integer?", 0) => return Ok(boolean(prim::is_int(recv))),
        ("to_c", _) => return Ok(undef()),
        _ => {}
    }
    if (name == "==" || name == "!=") && args.len() == 1 && !prim::is_num(args[0]) {
        let eq = if args[0].tid() == tid::OBJ && user_defined(args[0], "==") {
            truthy(gcall(args[0], "==", vec![recv])?)
        } else {
            false
        };
        return Ok(boolean(eq == (name == "==")));
    }
    if args.len() == 1
        && matches!(
            name,
            "+" | "-" | "*" | "/" | "<" | ">" | "<=" | ">=" | "<=>"
        )
        && args[0].tid() == tid::OBJ
        && user_defined(args[0], "coerce")
    {
        let pair = gcall(args[0], "coerce", vec![recv])?;
        let items = array_items(pair);
        if items.len() == 2 {
            return gcall(items[0], name, vec![items[1]]);
        }
    }
    prim::num_method(name, recv, args)
}

fn float_round(recv: GcRef, args: &[GcRef]) -> RbRes {
    let f = float_of(recv);
    let digits = match args.first() {
        Some(d) if d.tid() == tid::INT => prim::int_arg(*d)?,
        _ => 0,
    };
    if digits > 0 {
        if !f.is_finite() {
            return Ok(recv);
        }
        // Round half away from zero on the decimal representation.
        let s = format!("{:.*}", digits as usize + 3, f);
        let m = 10f64.powi(digits as i32);
        let r = (f * m).round() / m;
        let _ = s;
        return Ok(new_float(r));
    }
    if !f.is_finite() {
        return err("FloatDomainError", fmt_float(f));
    }
    let r = f.round();
    if digits < 0 {
        let m = 10f64.powi((-digits) as i32);
        return Ok(new_bigint(&BigInt::from(((f / m).round() * m) as i128)));
    }
    Ok(new_bigint(&BigInt::from(r as i128)))
}
