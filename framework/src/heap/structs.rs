//! `gc_struct!`: declares a `#[repr(C)]` heap struct together with its size
//! descriptor and one field descriptor per field, computed with `offset_of!`
//! and `size_of` so no offset is ever written by hand.
//!
//! ```
//! metatrace::gc_struct! {
//!     /// A cons cell.
//!     pub struct Cons as cons {
//!         #[immutable]
//!         head: i64,
//!         tail: metatrace::heap::GcRef,
//!     }
//! }
//! fn main() {
//!     // descriptors: cons::SIZE, cons::head, cons::tail
//!     assert_eq!(cons::head.name, "Cons.head");
//! }
//! ```
//!
//! The macro also derives the collector's trace information: `GC_PTRS`,
//! the offsets of the `GcRef` fields, referenced from `SIZE.gc_ptrs`.
//!
//! Field attributes: `#[immutable]` (reads become `getfield_gc_pure_*`),
//! `#[quasi_immutable]` (read as a constant under `guard_not_invalidated`).

/// Used by `gc_struct!`: does the attribute list contain `name`?
pub const fn has_attr(attrs: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < attrs.len() {
        let a = attrs[i].as_bytes();
        let n = name.as_bytes();
        if a.len() == n.len() {
            let mut j = 0;
            let mut same = true;
            while j < a.len() {
                if a[j] != n[j] {
                    same = false;
                }
                j += 1;
            }
            if same {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// Used by `gc_struct!`: how many fields are GC references.
pub const fn count_refs(fields: &[(usize, bool)]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < fields.len() {
        if fields[i].1 {
            n += 1;
        }
        i += 1;
    }
    n
}

/// Used by `gc_struct!`: the offsets of the GC-reference fields.
pub const fn ref_offsets<const N: usize>(fields: &[(usize, bool)]) -> [usize; N] {
    let mut out = [0; N];
    let mut n = 0;
    let mut i = 0;
    while i < fields.len() {
        if fields[i].1 {
            out[n] = fields[i].0;
            n += 1;
        }
        i += 1;
    }
    out
}

#[macro_export]
macro_rules! gc_struct {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident as $module:ident {
            $( $(#[$fattr:meta])* $field:ident : $fty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[repr(C)]
        $vis struct $name {
            pub header: $crate::heap::GcHeader,
            $( pub $field: $fty, )*
        }

        #[allow(non_upper_case_globals, dead_code)]
        $vis mod $module {
            use super::*;
            /// (offset, is a GC reference) of every field, in order.
            const FIELD_LAYOUT: [(usize, bool); [$(stringify!($field)),*].len()] = [$(
                (
                    ::core::mem::offset_of!($name, $field),
                    matches!(<$fty as $crate::heap::GcField>::KIND, $crate::ir::Kind::Ref),
                ),
            )*];
            /// The collector's trace information: offsets of the `GcRef`
            /// fields, derived from the field types (no hand-written map).
            pub const GC_PTRS: [usize; $crate::heap::count_refs(&FIELD_LAYOUT)] =
                $crate::heap::ref_offsets(&FIELD_LAYOUT);
            /// Size and type id of the struct, for `new`.
            pub static SIZE: $crate::ir::SizeDescr = $crate::ir::SizeDescr {
                name: stringify!($name),
                tid: $crate::heap::type_id_of(concat!(module_path!(), "::", stringify!($name))),
                size: ::core::mem::size_of::<$name>(),
                gc_ptrs: &GC_PTRS,
            };
            $(
                pub static $field: $crate::ir::FieldDescr = $crate::ir::FieldDescr::new(
                    concat!(stringify!($name), ".", stringify!($field)),
                    $crate::heap::type_id_of(concat!(module_path!(), "::", stringify!($name))),
                    ::core::mem::offset_of!($name, $field),
                    ::core::mem::size_of::<$fty>() as u8,
                    <$fty as $crate::heap::GcField>::SIGNED,
                    <$fty as $crate::heap::GcField>::KIND,
                    $crate::heap::has_attr(&[$(stringify!($fattr)),*], "immutable"),
                    $crate::heap::has_attr(&[$(stringify!($fattr)),*], "quasi_immutable"),
                )
                .with_verdict({
                    static VERDICT: $crate::ir::Verdict = $crate::ir::Verdict::new();
                    &VERDICT
                });
            )*
        }
    };
}
