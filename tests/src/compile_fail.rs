//! Misuses of the safe heap API that must not compile (issue: a sound
//! safe API). Each block below is a `compile_fail` doc-test, run by
//! `cargo test --workspace --doc` (and so by `cargo test --workspace`);
//! if one of them ever compiles, the suite fails. The runtime side —
//! checked accesses that report errors — is `tests/heap_checks.rs`.
//!
//! Raw offset access is not public: safe code cannot read at an offset
//! of its choosing.
//!
//! ```compile_fail
//! let r = metatrace::heap::new_array(&metatrace::heap::INT_ARRAY, 1).unwrap();
//! let _ = metatrace::heap::load(r, 4096, 8, false);
//! ```
//!
//! ```compile_fail
//! let r = metatrace::heap::new_array(&metatrace::heap::INT_ARRAY, 1).unwrap();
//! metatrace::heap::store(r, 4096, 8, 0);
//! ```
//!
//! A reference cannot be made from an integer in safe code: `from_addr`
//! is `unsafe`, and the framework's word-to-reference conversion is
//! private.
//!
//! ```compile_fail
//! let _ = metatrace::heap::GcRef::from_addr(0x1000);
//! ```
//!
//! ```compile_fail
//! let _ = metatrace::backend::word_to_ref(0x1000);
//! ```
//!
//! A VM crate forbids `unsafe` at its root, so even the unsafe door is
//! shut for it:
//!
//! ```compile_fail
//! #![forbid(unsafe_code)]
//! fn main() {
//!     let _ = unsafe { metatrace::heap::GcRef::from_addr(0x1000) };
//! }
//! ```
//!
//! Descriptors cannot be written as struct literals: their verdict key
//! is private to the heap, so a made-up descriptor must go
//! through `FieldDescr::new` and the heap's check against its type's
//! registered layout.
//!
//! ```compile_fail
//! use metatrace::ir::{FieldDescr, Kind};
//! static F: FieldDescr = FieldDescr {
//!     name: "x", offset: 4096, size: 8, signed: false, kind: Kind::Int,
//!     immutable: false, quasi_immutable: false, owner: 1,
//! };
//! ```
//!
//! Nor changed once made (the heap's verdict on a descriptor must stay
//! true): its fields are readable, not writable.
//!
//! ```compile_fail
//! use metatrace::ir::{FieldDescr, Kind};
//! let mut d = FieldDescr::new("P.x", 1, 8, 8, true, Kind::Int, false, false);
//! d.offset = 4096;
//! ```
//!
//! ```compile_fail
//! use metatrace::ir::{FieldDescr, FieldInfo, Kind};
//! let mut d = FieldDescr::new("P.x", 1, 8, 8, true, Kind::Int, false, false);
//! let i: &mut FieldInfo = &mut d;
//! ```
//!
//! Reading them is what every VM and backend does:
//!
//! ```
//! use metatrace::ir::{FieldDescr, Kind};
//! let d = FieldDescr::new("P.x", 1, 8, 8, true, Kind::Int, false, false);
//! assert_eq!((d.offset, d.size, d.kind), (8, 8, Kind::Int));
//! ```
//!
//! A rooted vector is borrowed by its root: it can be neither changed
//! behind the root's back nor dropped while rooted, and the root cannot
//! outlive it.
//!
//! ```compile_fail
//! use metatrace::heap::{roots::root_refs, GcRef};
//! let mut v: Vec<GcRef> = Vec::new();
//! let rooted = root_refs(&mut v);
//! v.push(GcRef::NULL);
//! drop(rooted);
//! ```
//!
//! ```compile_fail
//! use metatrace::heap::{roots::root_refs, GcRef};
//! let rooted;
//! {
//!     let mut v: Vec<GcRef> = Vec::new();
//!     rooted = root_refs(&mut v);
//! }
//! drop(rooted);
//! ```
//!
//! The same code, used correctly, compiles and runs:
//!
//! ```
//! use metatrace::heap::{roots::root_refs, GcRef};
//! let mut v: Vec<GcRef> = vec![metatrace::heap::new_array(&metatrace::heap::INT_ARRAY, 2).unwrap()];
//! {
//!     let rooted = root_refs(&mut v);
//!     metatrace::heap::collect();
//!     assert_eq!(metatrace::heap::arraylen(rooted[0], &metatrace::heap::INT_ARRAY), 2);
//! }
//! v.push(GcRef::NULL);
//! ```
