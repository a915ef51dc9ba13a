//! Numbers: big ints (num-bigint, limbs kept in a heap `INT_ARRAY`),
//! the slow paths of int arithmetic (overflow, mixed int/big), Python's
//! floor division and modulo, and CPython's float repr.
//!
//! Owns: conversion between heap ints and `BigInt`, normalisation (a big
//! int that fits in i64 becomes a small int), `float_repr`.

use crate::objects::{self, big_obj, geti, getr, int_obj, tid};
use metatrace::heap::{self, GcRef, INT_ARRAY};
use num_bigint::{BigInt, Sign};
use num_traits::{ToPrimitive, Zero};

/// A heap int (small or big) from a `BigInt`, normalised.
pub fn int_from_big(b: BigInt) -> GcRef {
    if let Some(i) = b.to_i64() {
        return objects::new_int(i);
    }
    let (sign, digits) = b.to_u64_digits();
    let arr = heap::new_array(&INT_ARRAY, digits.len() as i64).expect("limbs");
    for (i, d) in digits.iter().enumerate() {
        heap::setarrayitem(arr, &INT_ARRAY, i as i64, *d);
    }
    let o = heap::new_struct(&big_obj::SIZE);
    objects::seti(
        o,
        &big_obj::sign,
        match sign {
            Sign::Minus => -1,
            Sign::NoSign => 0,
            Sign::Plus => 1,
        },
    );
    objects::setr(o, &big_obj::limbs, arr);
    o
}

/// The value of an int-like object (int, big, bool), if it is one.
pub fn to_big(o: GcRef) -> Option<BigInt> {
    match o.tid() {
        tid::INT => Some(BigInt::from(geti(o, &int_obj::v))),
        tid::BOOL => Some(BigInt::from(geti(o, &objects::bool_obj::v))),
        tid::INST => crate::types::int_value(o).and_then(to_big),
        tid::BIG => {
            let arr = getr(o, &big_obj::limbs);
            let n = heap::arraylen(arr, &INT_ARRAY);
            let digits: Vec<u64> = (0..n)
                .map(|i| heap::getarrayitem(arr, &INT_ARRAY, i))
                .collect();
            let sign = match geti(o, &big_obj::sign) {
                -1 => Sign::Minus,
                0 => Sign::NoSign,
                _ => Sign::Plus,
            };
            Some(BigInt::from_slice(
                sign,
                &digits
                    .iter()
                    .flat_map(|d| [*d as u32, (*d >> 32) as u32])
                    .collect::<Vec<u32>>(),
            ))
        }
        _ => None,
    }
}

pub fn is_intlike(o: GcRef) -> bool {
    matches!(o.tid(), tid::INT | tid::BOOL | tid::BIG)
}

/// Python floor division on i64 (b != 0); None on overflow.
pub fn floordiv(a: i64, b: i64) -> Option<i64> {
    let q = a.checked_div(b)?;
    if (a % b != 0) && ((a < 0) != (b < 0)) {
        Some(q - 1)
    } else {
        Some(q)
    }
}

/// Python modulo on i64 (b != 0).
pub fn modulo(a: i64, b: i64) -> i64 {
    let r = a.wrapping_rem(b);
    if r != 0 && ((r < 0) != (b < 0)) {
        r + b
    } else {
        r
    }
}

pub fn big_floordiv(a: &BigInt, b: &BigInt) -> BigInt {
    use num_integer::Integer;
    a.div_floor(b)
}
pub fn big_mod(a: &BigInt, b: &BigInt) -> BigInt {
    use num_integer::Integer;
    a.mod_floor(b)
}

pub fn big_to_f64(b: &BigInt) -> f64 {
    b.to_f64().unwrap_or(f64::INFINITY)
}

pub fn big_is_zero(b: &BigInt) -> bool {
    b.is_zero()
}

/// Python float modulo.
pub fn float_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && ((m < 0.0) != (b < 0.0)) {
        m + b
    } else if m == 0.0 {
        0.0f64.copysign(b)
    } else {
        m
    }
}

pub fn float_floordiv(a: f64, b: f64) -> f64 {
    ((a - float_mod(a, b)) / b).round()
}

/// CPython's `repr(float)`: shortest round-trip digits, exponent form
/// outside 1e-4 <= |x| < 1e16.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits.
    let e = format!("{:e}", f);
    let (mant, exp) = e.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let s = if exp >= 0 {
            if n <= exp + 1 {
                format!("{}{}.0", digits, "0".repeat((exp + 1 - n) as usize))
            } else {
                format!(
                    "{}.{}",
                    &digits[..(exp + 1) as usize],
                    &digits[(exp + 1) as usize..]
                )
            }
        } else {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        };
        format!("{sign}{s}")
    } else {
        let m = if digits.len() == 1 {
            digits.clone()
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        format!(
            "{sign}{m}e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn float_repr_matches_cpython() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1.5e-5), "1.5e-05");
        assert_eq!(float_repr(123456.789), "123456.789");
        assert_eq!(float_repr(-2.5), "-2.5");
        assert_eq!(float_repr(1e15), "1000000000000000.0");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(f64::INFINITY), "inf");
    }
    #[test]
    fn floor_ops() {
        assert_eq!(floordiv(-7, 2), Some(-4));
        assert_eq!(modulo(-7, 2), 1);
        assert_eq!(modulo(7, -2), -1);
    }
}
