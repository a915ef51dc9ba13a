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
            /// Size and type id of the struct, for `new`.
            pub static SIZE: $crate::ir::SizeDescr = $crate::ir::SizeDescr {
                name: stringify!($name),
                tid: $crate::heap::type_id_of(concat!(module_path!(), "::", stringify!($name))),
                size: ::core::mem::size_of::<$name>(),
            };
            $(
                pub static $field: $crate::ir::FieldDescr = $crate::ir::FieldDescr {
                    name: concat!(stringify!($name), ".", stringify!($field)),
                    offset: ::core::mem::offset_of!($name, $field),
                    size: ::core::mem::size_of::<$fty>() as u8,
                    signed: <$fty as $crate::heap::GcField>::SIGNED,
                    kind: <$fty as $crate::heap::GcField>::KIND,
                    immutable: $crate::heap::has_attr(&[$(stringify!($fattr)),*], "immutable"),
                    quasi_immutable: $crate::heap::has_attr(&[$(stringify!($fattr)),*], "quasi_immutable"),
                };
            )*
        }
    };
}
