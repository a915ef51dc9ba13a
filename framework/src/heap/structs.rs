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

/// Declares a guest heap object: a `#[repr(C)]` struct with a GC header,
/// and a module with its descriptors — `SIZE` (for `ctx.new` /
/// [`heap::new_struct`](crate::heap::new_struct)) and one
/// [`FieldDescr`](crate::ir::FieldDescr) per field, named like the field.
/// Offsets and the collector's pointer map are derived from the struct;
/// nothing is written by hand. Field types: `i64`, `i32`, ..., `f64`,
/// [`GcRef`](crate::GcRef).
///
/// Declare it at module level: inside a function body the generated
/// module's `use super::*` cannot see the struct ("cannot find type").
///
/// Field attributes: `#[immutable]` (reads are pure: CSE'd, folded on
/// constant objects) and `#[quasi_immutable]` (read as a constant by
/// traces under `guard_not_invalidated`; writing it through the context
/// invalidates the loops that did — for class versions and settings
/// that almost never change).
///
/// ```
/// # use metatrace::{Interp, Jit, JitDriver, JitParams, LlGraph, MapReds, Repr, Step, Ctx};
/// metatrace::gc_struct! {
///     /// A setting read on every iteration, written rarely.
///     pub struct Config as config {
///         #[quasi_immutable]
///         scale: i64,
///     }
/// }
/// # struct Vm;
/// struct Frame<R: Repr> { n: R::Int, acc: R::Int, cfg: R::Ref }
/// # impl Interp for Vm {
/// #     type Greens = ();
/// #     type Frame<R: Repr> = Frame<R>;
/// #     type Ret<R: Repr> = R::Int;
/// #     fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
/// #         Frame { n: m.int(f.n), acc: m.int(f.acc), cfg: m.gcref(f.cfg) }
/// #     }
/// #     fn map_ret<A: Repr, B: Repr>(r: &A::Int, m: &mut impl MapReds<A, B>) -> B::Int { m.int(*r) }
/// #     fn step<C: Jit<Self>>(&mut self, ctx: &mut C, _: &mut (), f: &mut Frame<C::R>)
/// #         -> Step<<C::R as Repr>::Int> {
/// #         let zero = ctx.const_int(0);
/// #         let more = ctx.int_gt(f.n, zero);
/// #         if !ctx.is_true(more) { return Step::Return(f.acc); }
/// // in `step`: the object is promoted, so the field read folds
/// let cfg = ctx.promote_ref(f.cfg);
/// let cfg = ctx.const_ref(cfg);
/// let half = ctx.const_int(500);
/// let at_half = ctx.int_eq(f.n, half);
/// if ctx.is_true(at_half) {
///     let two = ctx.const_int(2);
///     ctx.setfield_i(cfg, &config::scale, two); // invalidates the loop
/// }
/// let scale = ctx.getfield_i(cfg, &config::scale);
/// f.acc = ctx.int_add(f.acc, scale);
/// #         let one = ctx.const_int(1);
/// #         f.n = ctx.int_sub(f.n, one);
/// #         Step::CanEnterJit
/// #     }
/// # }
/// # fn main() {
/// let cfg = metatrace::heap::new_struct(&config::SIZE);
/// metatrace::heap::setfield(cfg, &config::scale, 1); // before any trace
/// # let mut driver = JitDriver::new(JitParams::parse("threshold=10").unwrap(), Box::new(LlGraph::new()));
/// # driver.keep_traces = true;
/// let r = driver.run(&mut Vm, (), Frame { n: 1000, acc: 0, cfg });
/// assert_eq!(r, 500 * 1 + 500 * 2);
/// let trace = driver.traces[0].1.to_string();
/// assert!(trace.contains("guard_not_invalidated("), "{trace}");
/// assert!(!trace.contains("getfield_gc"), "the read folded: {trace}");
/// assert!(driver.stats.invalidated_loops >= 1);
/// # }
/// ```
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
