//! Resume data and what a guard failure does with it (PyPy's
//! `resume.py`).
//!
//! Owns: the resume data the recorder attaches to each guard
//! (`GuardResume`: the frame chain, each frame's reds and the shape of
//! its instruction's effect log), how a dead frame's words are cut up
//! frame by frame (`split`), the replay queue that hands an
//! instruction's logged effects back when it is re-run
//! (`replay_queue`, `Replayed`), and the materialization of virtuals
//! and delayed stores — in the heap after a guard exit (`materialize`),
//! or as IR at a bridge's start (`allocate_in_trace`,
//! `store_in_trace`). A leaf: the recorder builds this data, the
//! driver's `blackhole` and `tracer` consume it.
//!
//! Layout of a guard's fail args, frame by frame, outermost first: the
//! frame's reds at the merge point that started its current instruction,
//! then one word per logged value (heap read, allocation, call result;
//! several for an inlined call's result), then whatever the optimizer
//! appended for virtuals.

use crate::ctx::{Interp, Plain, Rebuild, Shape, Traced, Unflatten};
use crate::heap::roots::Handle;
use crate::heap::GcRef;
use crate::ir::{
    Descr, Kind, OpNum, Operand, PendingWrite, Trace, VirtualAlloc, VirtualField, VirtualInfo,
};
use std::collections::VecDeque;
use std::rc::Rc;

/// How resume data describes one effect (operands dropped).
pub(crate) enum EffectShape<I: Interp> {
    Val(Kind),
    Void,
    Ret(Rc<I::Ret<Shape>>, usize),
    Pending,
}

/// What replay hands back for one effect.
pub(crate) enum Replayed<I: Interp> {
    Val(Kind, u64, Operand),
    Void,
    Ret(I::Ret<Traced>),
}

/// Resume data of one frame of a guard.
pub(crate) struct FrameResume<I: Interp> {
    pub greens: I::Greens,
    /// Where the frame's portal invocation started (a bridge's recursion
    /// detection goes on from there).
    pub entry: I::Greens,
    pub shape: Rc<I::Frame<Shape>>,
    pub n_reds: usize,
    pub effects: Vec<EffectShape<I>>,
}

/// Resume data of a guard: the frame chain, outermost first. Fail args are
/// laid out frame by frame: reds, then the effect log's values.
pub(crate) struct GuardResume<I: Interp> {
    pub frames: Vec<FrameResume<I>>,
}

/// Splits a dead frame's words frame by frame: (reds, effect words).
pub(crate) fn split<'w, I: Interp>(
    resume: &GuardResume<I>,
    words: &'w [u64],
) -> Vec<(&'w [u64], &'w [u64])> {
    let mut out = Vec::with_capacity(resume.frames.len());
    let mut pos = 0;
    for fr in &resume.frames {
        let n_eff: usize = fr
            .effects
            .iter()
            .map(|e| match e {
                EffectShape::Val(_) => 1,
                EffectShape::Ret(_, n) => *n,
                EffectShape::Void | EffectShape::Pending => 0,
            })
            .sum();
        out.push((
            &words[pos..pos + fr.n_reds],
            &words[pos + fr.n_reds..pos + fr.n_reds + n_eff],
        ));
        pos += fr.n_reds + n_eff;
    }
    out
}

/// The replay queue of one frame's instruction prefix.
pub(crate) fn replay_queue<I: Interp>(
    effects: &[EffectShape<I>],
    mut words: &[u64],
    mut operand: impl FnMut(Kind, u64) -> Operand,
    inner: &mut Option<I::Ret<Traced>>,
) -> VecDeque<Replayed<I>> {
    let mut q = VecDeque::with_capacity(effects.len());
    for e in effects {
        q.push_back(match e {
            EffectShape::Val(k) => {
                let w = words[0];
                words = &words[1..];
                Replayed::Val(*k, w, operand(*k, w))
            }
            EffectShape::Void => Replayed::Void,
            EffectShape::Ret(shape, n) => {
                let (mine, rest) = words.split_at(*n);
                words = rest;
                Replayed::Ret(I::map_ret(
                    shape,
                    &mut Rebuild {
                        words: mine.iter(),
                        mk: &mut operand,
                    },
                ))
            }
            EffectShape::Pending => Replayed::Ret(
                inner
                    .take()
                    .expect("pending portal call without a callee result"),
            ),
        });
    }
    q
}

/// Allocates the virtuals a guard describes, writes their references into
/// their slots, then fills their fields from the (patched) words; then
/// performs the guard's pending stores in order (their values may be the
/// virtuals). (The optimizer's random tests use this too, so resume has
/// one definition.)
pub(crate) fn materialize(virtuals: &[VirtualInfo], pending: &[PendingWrite], words: &mut [u64]) {
    materialize_with(virtuals, pending, words, |obj, descr, index, w| {
        match (descr, index) {
            // SAFETY: the delayed store was an op of the trace, on an object
            // of the field's type, as the optimizer found it.
            (Descr::Field(d), _) => unsafe { crate::heap::raw::setfield(obj, d, w) },
            (Descr::Array(d), Some(i)) => {
                // SAFETY: as above (the trace checked the index).
                unsafe { crate::heap::raw::setarrayitem(obj, d, i, w) }
            }
            _ => {}
        }
    })
}

/// [`materialize`], handing the pending stores to `store` (object, descr, array index, value) instead
/// of doing them: `verify` keeps them in its overlay.
pub(crate) fn materialize_with(
    virtuals: &[VirtualInfo],
    pending: &[PendingWrite],
    words: &mut [u64],
    mut store: impl FnMut(GcRef, Descr, Option<i64>, u64),
) {
    for v in virtuals {
        let r = match v.alloc {
            VirtualAlloc::Struct(d) => crate::heap::new_struct(d),
            VirtualAlloc::Array(d, len) => crate::heap::new_array(d, len).unwrap_or(GcRef::NULL),
        };
        for slot in v.slots() {
            words[slot as usize] = r.addr() as u64;
        }
    }
    for v in virtuals {
        let obj = crate::backend::word_to_ref(words[v.slot as usize]);
        for (f, idx) in &v.fields {
            let w = words[*idx as usize];
            match (f, v.alloc) {
                // SAFETY: the virtual was allocated just above with the type
                // its fields were recorded for.
                (VirtualField::Field(d), _) => unsafe { crate::heap::raw::setfield(obj, d, w) },
                (VirtualField::Item(i), VirtualAlloc::Array(d, _)) => {
                    // SAFETY: as above; the index was in bounds when recorded.
                    unsafe { crate::heap::raw::setarrayitem(obj, d, *i, w) }
                }
                (VirtualField::Item(_), VirtualAlloc::Struct(_)) => {}
            }
        }
    }
    for p in pending {
        let obj = crate::backend::word_to_ref(words[p.target as usize]);
        let w = words[p.value as usize];
        let index = p.index.map(|i| words[i as usize] as i64);
        store(obj, p.descr, index, w);
    }
}

/// At a bridge's entry: the guard's pending stores as IR ops (after the
/// virtuals' allocations, which they may store), so the bridge performs
/// them — its optimizer may delay them again.
pub(crate) fn store_in_trace(trace: &mut Trace, pending: &[PendingWrite], inputs: &[Operand]) {
    for p in pending {
        let (obj, val) = (inputs[p.target as usize], inputs[p.value as usize]);
        match p.index {
            None => trace.push(OpNum::SetfieldGc, &[obj, val], Some(p.descr)),
            Some(i) => trace.push(
                OpNum::SetarrayitemGc,
                &[obj, inputs[i as usize], val],
                Some(p.descr),
            ),
        };
    }
}

/// At a bridge's entry: the same allocations as IR ops, so the bridge's
/// trace owns the objects; `inputs[slot]` becomes the new object.
pub(crate) fn allocate_in_trace(
    trace: &mut Trace,
    virtuals: &[VirtualInfo],
    inputs: &mut [Operand],
) {
    for v in virtuals {
        let res = match v.alloc {
            VirtualAlloc::Struct(d) => trace.push(OpNum::New, &[], Some(Descr::Size(d))),
            VirtualAlloc::Array(d, len) => trace.push(
                OpNum::NewArray,
                &[Operand::ConstInt(len)],
                Some(Descr::Array(d)),
            ),
        };
        for slot in v.slots() {
            inputs[slot as usize] = Operand::Var(res.expect("allocations have results"));
        }
    }
    for v in virtuals {
        let obj = inputs[v.slot as usize];
        for (f, idx) in &v.fields {
            let val = inputs[*idx as usize];
            match (f, v.alloc) {
                (VirtualField::Field(d), _) => {
                    trace.push(OpNum::SetfieldGc, &[obj, val], Some(Descr::Field(d)));
                }
                (VirtualField::Item(i), VirtualAlloc::Array(d, _)) => {
                    trace.push(
                        OpNum::SetarrayitemGc,
                        &[obj, Operand::ConstInt(*i), val],
                        Some(Descr::Array(d)),
                    );
                }
                (VirtualField::Item(_), VirtualAlloc::Struct(_)) => {}
            }
        }
    }
}

/// A portal result that did not fit its trace, waiting for the
/// `guard_not_forced` exit to hand it to the interpreter.
pub(crate) struct Forced<I: Interp> {
    pub shape: I::Ret<Shape>,
    pub words: Vec<u64>,
    /// Keeps the result's references alive until it is taken.
    pub _roots: Vec<Handle>,
}

impl<I: Interp> Forced<I> {
    pub(crate) fn result(&self) -> I::Ret<Plain> {
        I::map_ret(&self.shape, &mut Unflatten(self.words.iter()))
    }
}
