//! Direct mode: the context in which the interpreter runs at full speed.
//!
//! Owns: `Direct`, the `Ctx` whose reds are plain values. Every method is
//! `#[inline(always)]` and does exactly what a hand-written interpreter
//! would; the only extra work is the quasi-immutable write check (a flag
//! test on a `'static` descriptor) and portal calls, which go back through
//! the warm state so nested frames can enter compiled code.

use super::hooks::Hooks;
use crate::backend::shadow::Store;
use crate::ctx::{Ctx, Interp, Jit, Plain, Repr, Val};
use crate::heap::{self, GcRef};
use crate::ir::{eval, ArrayDescr, CallDescr, FieldDescr, Kind, OpNum, SizeDescr};

/// The direct-mode context. `L` is `NoLog` except while `--jit verify`
/// runs a trip in the interpreter (`verify`): then every heap store is
/// logged with the value it overwrote (allocations the heap logs itself).
pub struct Direct<'a, I: Interp, L: Writes = NoLog> {
    pub(crate) jit: &'a mut dyn Hooks<I>,
    pub(crate) log: L,
}

/// Where direct mode logs its heap stores (`verify`).
pub trait Writes {
    /// Logging at all (false: every call compiles away).
    const ON: bool;
    /// A store is about to be made (`s.value`: the value it overwrites).
    fn store(&mut self, s: Store);
}

/// No log: what direct mode is outside `verify` (compiles to nothing).
pub struct NoLog;

impl Writes for NoLog {
    const ON: bool = false;
    #[inline(always)]
    fn store(&mut self, _: Store) {}
}

/// The interpreter's stores during one verified trip, each with the
/// value it overwrote.
#[derive(Default)]
pub(crate) struct WriteLog {
    pub stores: Vec<Store>,
}

impl Writes for &mut WriteLog {
    const ON: bool = true;
    fn store(&mut self, s: Store) {
        self.stores.push(s)
    }
}

impl<I: Interp, L: Writes> Repr for Direct<'_, I, L> {
    type Int = i64;
    type Float = f64;
    type Ref = GcRef;
}

/// Raw word of a plain value (call arguments).
#[inline(always)]
pub(crate) fn plain_word(v: &Val<Plain>) -> u64 {
    match *v {
        Val::Int(i) => i as u64,
        Val::Float(f) => f.to_bits(),
        Val::Ref(r) => r.addr() as u64,
        Val::Void => 0,
    }
}

#[inline(always)]
pub(crate) fn plain_val(kind: Kind, w: u64) -> Val<Plain> {
    match kind {
        Kind::Int => Val::Int(w as i64),
        Kind::Float => Val::Float(f64::from_bits(w)),
        Kind::Ref => Val::Ref(crate::backend::word_to_ref(w)),
        Kind::Void => Val::Void,
    }
}

/// Calls `d` with plain arguments (shared with the recorder).
#[inline(always)]
pub(crate) fn invoke_plain(d: &'static CallDescr, args: &[Val<Plain>]) -> Val<Plain> {
    let mut words = [0u64; 16];
    let n = args.len().min(16);
    for (w, a) in words.iter_mut().zip(args) {
        *w = plain_word(a);
    }
    plain_val(d.result, (d.invoke)(&words[..n]))
}

impl<'a, I: Interp, L: Writes> Ctx for Direct<'a, I, L> {
    type R = Plain;

    #[inline(always)]
    fn we_are_jitted(&self) -> bool {
        false
    }
    #[inline(always)]
    fn const_int(&mut self, v: i64) -> i64 {
        v
    }
    #[inline(always)]
    fn const_float(&mut self, v: f64) -> f64 {
        v
    }
    #[inline(always)]
    fn const_ref(&mut self, v: GcRef) -> GcRef {
        v
    }
    #[inline(always)]
    fn int_binop(&mut self, op: OpNum, a: i64, b: i64) -> i64 {
        eval::int_binop(op, a, b)
    }
    #[inline(always)]
    fn int_unop(&mut self, op: OpNum, a: i64) -> i64 {
        eval::int_unop(op, a)
    }
    #[inline(always)]
    fn int_ovf(&mut self, op: OpNum, a: i64, b: i64) -> Option<i64> {
        eval::int_ovf(op, a, b)
    }
    #[inline(always)]
    fn float_binop(&mut self, op: OpNum, a: f64, b: f64) -> f64 {
        eval::float_binop(op, a, b)
    }
    #[inline(always)]
    fn float_unop(&mut self, op: OpNum, a: f64) -> f64 {
        eval::float_unop(op, a)
    }
    #[inline(always)]
    fn float_cmp(&mut self, op: OpNum, a: f64, b: f64) -> i64 {
        eval::float_cmp(op, a, b)
    }
    #[inline(always)]
    fn cast_int_to_float(&mut self, a: i64) -> f64 {
        a as f64
    }
    #[inline(always)]
    fn cast_float_to_int(&mut self, a: f64) -> i64 {
        a as i64
    }
    #[inline(always)]
    fn ptr_eq(&mut self, a: GcRef, b: GcRef) -> i64 {
        (a == b) as i64
    }
    #[inline(always)]
    fn is_true(&mut self, a: i64) -> bool {
        a != 0
    }
    #[inline(always)]
    fn is_null(&mut self, a: GcRef) -> bool {
        a.is_null()
    }
    #[inline(always)]
    fn promote_int(&mut self, a: i64) -> i64 {
        a
    }
    #[inline(always)]
    fn promote_float(&mut self, a: f64) -> f64 {
        a
    }
    #[inline(always)]
    fn promote_ref(&mut self, a: GcRef) -> GcRef {
        a
    }
    #[inline(always)]
    fn class_of(&mut self, a: GcRef) -> u32 {
        a.tid()
    }
    #[inline(always)]
    fn getfield(&mut self, obj: GcRef, d: &'static FieldDescr) -> Val<Plain> {
        plain_val(d.kind, heap::getfield(obj, d))
    }
    #[inline(always)]
    fn setfield(&mut self, obj: GcRef, d: &'static FieldDescr, v: Val<Plain>) {
        if d.quasi_immutable {
            self.jit.quasi_immutable_written(obj, d);
        }
        if L::ON {
            if let Ok(old) = heap::try_getfield(obj, d) {
                self.log.store(Store {
                    obj,
                    offset: d.offset,
                    size: d.size,
                    signed: d.signed,
                    kind: d.kind,
                    value: old,
                    at: None,
                });
            }
        }
        match v {
            Val::Ref(r) => heap::setfield_ref(obj, d, r),
            v => heap::setfield(obj, d, plain_word(&v)),
        }
    }
    #[inline(always)]
    fn getarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64) -> Val<Plain> {
        plain_val(d.kind, heap::getarrayitem(arr, d, i))
    }
    #[inline(always)]
    fn setarrayitem(&mut self, arr: GcRef, d: &'static ArrayDescr, i: i64, v: Val<Plain>) {
        if L::ON {
            if let Ok(old) = heap::try_getarrayitem(arr, d, i) {
                self.log.store(Store {
                    obj: arr,
                    offset: d.base_offset + i as usize * d.item_size as usize,
                    size: d.item_size,
                    signed: d.signed,
                    kind: d.kind,
                    value: old,
                    at: None,
                });
            }
        }
        match v {
            Val::Ref(r) => heap::setarrayitem_ref(arr, d, i, r),
            v => heap::setarrayitem(arr, d, i, plain_word(&v)),
        }
    }
    #[inline(always)]
    fn arraylen(&mut self, arr: GcRef, d: &'static ArrayDescr) -> i64 {
        heap::arraylen(arr, d)
    }
    #[inline(always)]
    fn new(&mut self, d: &'static SizeDescr) -> GcRef {
        heap::new_struct(d)
    }
    #[inline(always)]
    fn new_array(&mut self, d: &'static ArrayDescr, len: i64) -> GcRef {
        heap::new_array(d, len).unwrap_or(GcRef::NULL)
    }
    #[inline(always)]
    fn call(&mut self, d: &'static CallDescr, args: &[Val<Plain>]) -> Val<Plain> {
        invoke_plain(d, args)
    }
    #[inline(always)]
    fn peek_int(&self, a: i64) -> i64 {
        a
    }
    #[inline(always)]
    fn peek_float(&self, a: f64) -> f64 {
        a
    }
    #[inline(always)]
    fn peek_ref(&self, a: GcRef) -> GcRef {
        a
    }
}

impl<I: Interp, L: Writes> Jit<I> for Direct<'_, I, L> {
    #[inline(always)]
    fn call_portal(
        &mut self,
        interp: &mut I,
        greens: I::Greens,
        frame: I::Frame<Plain>,
    ) -> I::Ret<Plain> {
        self.jit.portal(interp, greens, frame)
    }

    #[inline(always)]
    fn call_may_force(
        &mut self,
        interp: &mut I,
        d: &'static CallDescr,
        args: &[Val<Plain>],
    ) -> Val<Plain> {
        let _restore = self.jit.activate(interp);
        invoke_plain(d, args)
    }
}
