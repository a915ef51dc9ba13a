//! `NilClass`, `TrueClass`, `FalseClass`: `to_s`/`inspect`, nil's
//! conversions (`to_a`/`to_h`/`to_i`/`to_f`), `&`/`|`/`^` and identity
//! `==`/`===`/`eql?`/`equal?`.
//!
//! May touch: nothing but allocation of the results; no guest code.

use super::*;

pub(super) fn nil_m(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let b = recv.tid() == tid::TRUE;
    Ok(match (name, recv.tid(), args.len()) {
        ("to_s", _, 0) => new_str(&to_s_plain(recv)),
        ("inspect", _, 0) => new_str(&inspect(recv)),
        ("to_a", tid::NIL, 0) => new_array(&[]),
        ("to_h", tid::NIL, 0) => hash::new_hash(),
        ("to_i", tid::NIL, 0) => new_int(0),
        ("to_f", tid::NIL, 0) => new_float(0.0),
        ("&", _, 1) => boolean(b && truthy(args[0])),
        ("|", _, 1) => boolean(b || truthy(args[0])),
        ("^", _, 1) => boolean(b != truthy(args[0])),
        ("==" | "===" | "eql?" | "equal?", _, 1) => boolean(recv == args[0]),
        _ => undef(),
    })
}
