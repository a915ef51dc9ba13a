//! `Range`: its parts (`range_parts`) and the entry point of its methods.
//! The methods themselves need no guest code and live in
//! `prim::range_method` (`each`/`step` & co. are Ruby, in the prelude).
//!
//! May touch: `range_obj` fields read-only.

use super::*;

pub fn range_parts(v: GcRef) -> (GcRef, GcRef, bool) {
    (
        getr(v, &range_obj::lo),
        getr(v, &range_obj::hi),
        geti(v, &range_obj::excl) != 0,
    )
}

/// `Range` methods: all of them are guest-free (`prim::range_method`).
pub(super) fn range_m(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    prim::range_method(name, recv, args)
}
