//! The IR-interpreter backend: the reference semantics of every op.
//!
//! Owns: executing traces op by op, bridges, invalidation flags. Native
//! backends are tested against this one (conformance and random traces),
//! so its arithmetic is the definition: wrapping ints, shift counts masked
//! to 6 bits, `int_floordiv`/`int_mod` truncating like C (by zero gives 0 —
//! VMs guard before dividing), `cast_float_to_int` as Rust's `as i64`.
//!
//! It is a backend, so it may turn words into `GcRef`s (`unsafe`): a
//! verified trace only produces refs from the heap or from its inputs.

use super::shadow::{Mem, Raw, RunEnd};
use super::{Backend, CompileError, DeadFrame, LoopId};
use crate::heap::{self, GcRef};
use crate::ir::{eval, Descr, GuardId, Kind, Op, OpNum, Operand, TargetToken, Trace};
use hashbrown::HashMap;
use std::cell::RefCell;
use std::rc::Rc;

struct Compiled {
    trace: Trace,
    /// The loop this trace belongs to (itself for loops, the root for bridges).
    owner: LoopId,
}

/// The IR interpreter. Its tables sit in a `RefCell` because compiled
/// code may re-enter the framework (`call_assembler`), which compiles
/// bridges and loops while an activation is running: borrows are short and
/// never held across an op that calls out.
#[derive(Default)]
pub struct LlGraph {
    tables: RefCell<Tables>,
    /// Upper bound on executed ops per `execute` call; `None` = unbounded.
    /// Tests use it to catch traces that loop forever.
    pub fuel: Option<u64>,
}

#[derive(Default)]
struct Tables {
    loops: HashMap<LoopId, Rc<Compiled>>,
    bridges: HashMap<GuardId, Rc<Compiled>>,
    /// Which loop owns each guard (the guard's trace may be a bridge).
    guard_owner: HashMap<GuardId, LoopId>,
    /// Where each label lives: trace and op index.
    targets: HashMap<TargetToken, (Rc<Compiled>, usize)>,
    invalidated: hashbrown::HashSet<LoopId>,
}

impl LlGraph {
    /// An IR interpreter with nothing compiled yet.
    pub fn new() -> LlGraph {
        LlGraph::default()
    }
}

impl Tables {
    fn register(&mut self, c: &Rc<Compiled>) {
        for (i, op) in c.trace.ops.iter().enumerate() {
            if op.opnum == OpNum::Label {
                if let Some(Descr::Target(t)) = op.descr {
                    self.targets.insert(t, (c.clone(), i));
                }
            }
            if let Some(g) = op.guard_id() {
                self.guard_owner.insert(g, c.owner);
            }
        }
    }
}

fn check(trace: &Trace) -> Result<(), CompileError> {
    crate::ir::verify::verify(trace).map_err(|e| CompileError(e.to_string()))
}

impl Backend for LlGraph {
    fn name(&self) -> &'static str {
        "llgraph"
    }

    fn compile_loop(&self, id: LoopId, trace: &Trace) -> Result<(), CompileError> {
        check(trace)?;
        let c = Rc::new(Compiled {
            trace: trace.clone(),
            owner: id,
        });
        let mut t = self.tables.borrow_mut();
        t.register(&c);
        t.loops.insert(id, c);
        Ok(())
    }

    fn compile_bridge(&self, guard: GuardId, trace: &Trace) -> Result<(), CompileError> {
        check(trace)?;
        let mut t = self.tables.borrow_mut();
        let owner = *t
            .guard_owner
            .get(&guard)
            .ok_or_else(|| CompileError(format!("no compiled guard {}", guard.0)))?;
        let c = Rc::new(Compiled {
            trace: trace.clone(),
            owner,
        });
        t.register(&c);
        t.bridges.insert(guard, c);
        Ok(())
    }

    fn execute(&self, id: LoopId, args: &[u64]) -> DeadFrame {
        let start = self
            .tables
            .borrow()
            .loops
            .get(&id)
            .expect("execute: unknown loop")
            .clone();
        let mut env = vec![0u64; start.trace.kinds.len()];
        for (v, a) in start.trace.inputargs.iter().zip(args) {
            env[v.index()] = *a;
        }
        match self.run(start, 0, env, &mut Raw) {
            RunEnd::Dead(d) => d,
            RunEnd::Verify(_) | RunEnd::Unsupported(_) => {
                unreachable!("only a shadow run stops at guard_verify")
            }
        }
    }

    fn invalidate(&self, id: LoopId) {
        self.tables.borrow_mut().invalidated.insert(id);
    }

    fn free(&self, id: LoopId) {
        let mut t = self.tables.borrow_mut();
        if t.loops.remove(&id).is_none() {
            return;
        }
        t.bridges.retain(|_, c| c.owner != id);
        t.targets.retain(|_, (c, _)| c.owner != id);
        t.guard_owner.retain(|_, o| *o != id);
        t.invalidated.remove(&id);
    }
}

#[inline]
fn val(env: &[u64], o: &Operand) -> u64 {
    match *o {
        Operand::Var(v) => env[v.index()],
        c => c.const_bits().unwrap(),
    }
}

fn r(bits: u64) -> GcRef {
    // SAFETY: words of kind Ref in a verified trace are heap addresses or null.
    unsafe { GcRef::from_addr(bits as usize) }
}

impl LlGraph {
    /// The trace of loop `id` as text (the verifier's mismatch report).
    pub(crate) fn trace_text(&self, id: LoopId) -> Option<String> {
        self.tables
            .borrow()
            .loops
            .get(&id)
            .map(|c| c.trace.to_string())
    }

    /// The trace of the bridge of `guard` as text.
    pub(crate) fn bridge_text(&self, guard: GuardId) -> Option<String> {
        self.tables
            .borrow()
            .bridges
            .get(&guard)
            .map(|c| c.trace.to_string())
    }

    /// The verifier's shadow run of loop `id` from `args`: heap writes go
    /// to `mem` (an overlay), calls that may write the heap and
    /// `call_assembler` stop the run, and the first `guard_verify` ends it
    /// (`metainterp::verify`).
    pub(crate) fn shadow_execute<M: Mem>(&self, id: LoopId, args: &[u64], mem: &mut M) -> RunEnd {
        let Some(start) = self.tables.borrow().loops.get(&id).cloned() else {
            return RunEnd::Unsupported("the loop is not in the shadow tables".into());
        };
        let mut env = vec![0u64; start.trace.kinds.len()];
        for (v, a) in start.trace.inputargs.iter().zip(args) {
            env[v.index()] = *a;
        }
        self.run(start, 0, env, mem)
    }

    fn run<M: Mem>(
        &self,
        mut cur: Rc<Compiled>,
        mut pc: usize,
        mut env: Vec<u64>,
        mem: &mut M,
    ) -> RunEnd {
        // The value array is where this backend keeps the trace's live
        // references: a root while the trace runs (calls may collect).
        let mut env = heap::roots::Rooted::new(&mut env, heap::roots::visit_words);
        let env = &mut *env;
        let mut ovf = false;
        let mut fuel = self.fuel;
        loop {
            if let Some(f) = fuel.as_mut() {
                if *f == 0 {
                    panic!("llgraph: out of fuel (trace loops forever?)");
                }
                *f -= 1;
            }
            if M::SHADOW && !mem.tick() {
                return RunEnd::Unsupported("the shadow run did not reach a loop header".into());
            }
            let op: &Op = &cur.trace.ops[pc];
            let a = |i: usize| val(env, &op.args[i]);
            let mut guard_ok = true;
            let mut result: Option<u64> = None;
            use OpNum::*;
            if let Some(res) = op.res {
                let args: smallvec::SmallVec<[u64; 3]> =
                    op.args.iter().map(|o| val(env, o)).collect();
                if let Some(v) = eval::fold(op.opnum, &args) {
                    env[res.index()] = v;
                    pc += 1;
                    continue;
                }
            }
            match op.opnum {
                IntAddOvf | IntSubOvf | IntMulOvf => {
                    let (x, y) = (a(0) as i64, a(1) as i64);
                    let (v, o) = match op.opnum {
                        IntAddOvf => x.overflowing_add(y),
                        IntSubOvf => x.overflowing_sub(y),
                        _ => x.overflowing_mul(y),
                    };
                    ovf = o;
                    result = Some(v as u64)
                }
                // Pure arithmetic is evaluated above by `eval::fold`, the
                // semantics direct mode and the recorder share.
                IntAdd | IntSub | IntMul | IntFloorDiv | IntMod | IntAnd | IntOr | IntXor
                | IntLshift | IntRshift | UintRshift | IntNeg | IntInvert | IntLt | IntLe
                | IntEq | IntNe | IntGt | IntGe | UintLt | UintLe | UintGt | UintGe | IntIsTrue
                | IntIsZero | SameAsI | SameAsF | SameAsR | FloatAdd | FloatSub | FloatMul
                | FloatTrueDiv | FloatNeg | FloatAbs | FloatLt | FloatLe | FloatEq | FloatNe
                | FloatGt | FloatGe | CastFloatToInt | CastIntToFloat | PtrEq | PtrNe => {
                    unreachable!("folded above")
                }

                GuardTrue => guard_ok = a(0) != 0,
                GuardFalse => guard_ok = a(0) == 0,
                GuardValue => guard_ok = a(0) == a(1),
                GuardClass => guard_ok = r(a(0)).tid() as u64 == a(1),
                GuardNonnull => guard_ok = a(0) != 0,
                GuardIsnull => guard_ok = a(0) == 0,
                GuardNonnullClass => guard_ok = a(0) != 0 && r(a(0)).tid() as u64 == a(1),
                GuardNoOverflow => guard_ok = !ovf,
                GuardOverflow => guard_ok = ovf,
                GuardNoException => guard_ok = !crate::exc::is_pending(),
                GuardNotInvalidated => {
                    guard_ok = !self.tables.borrow().invalidated.contains(&cur.owner)
                }
                GuardNotForced => guard_ok = !crate::exc::is_forced(),
                GuardVerify => {
                    if M::SHADOW && mem.stop_at_verify(op.guard_id().expect("guard without descr"))
                    {
                        let guard = op.guard_id().expect("guard without descr");
                        let values = op
                            .fail_args
                            .as_deref()
                            .unwrap_or(&[])
                            .iter()
                            .map(|o| val(env, o))
                            .collect();
                        return RunEnd::Verify(DeadFrame { guard, values });
                    }
                }

                GetfieldGcI | GetfieldGcR | GetfieldGcF | GetfieldGcPureI | GetfieldGcPureR
                | GetfieldGcPureF => {
                    let d = op.descr.and_then(|d| d.as_field()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    result = Some(unsafe { mem.getfield(r(a(0)), d) })
                }
                SetfieldGc => {
                    let d = op.descr.and_then(|d| d.as_field()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    unsafe { mem.setfield(r(a(0)), d, a(1)) }
                }
                GetfieldRawI | GetfieldRawF => {
                    let d = op.descr.and_then(|d| d.as_field()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    result = Some(unsafe { mem.getfield(r(a(0)), d) })
                }
                SetfieldRaw => {
                    let d = op.descr.and_then(|d| d.as_field()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    unsafe { mem.setfield(r(a(0)), d, a(1)) }
                }
                GetarrayitemGcI | GetarrayitemGcR | GetarrayitemGcF => {
                    let d = op.descr.and_then(|d| d.as_array()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    result = Some(unsafe { mem.getarrayitem(r(a(0)), d, a(1) as i64) })
                }
                SetarrayitemGc => {
                    let d = op.descr.and_then(|d| d.as_array()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    unsafe { mem.setarrayitem(r(a(0)), d, a(1) as i64, a(2)) }
                }
                ArraylenGc => {
                    let d = op.descr.and_then(|d| d.as_array()).unwrap();
                    // SAFETY: the trace is trusted as machine code is: its heap ops
                    // were recorded from checked interpreter accesses (or written
                    // by a test that allocated the objects of these descriptors).
                    result = Some(unsafe { heap::raw::arraylen(r(a(0)), d) } as u64)
                }
                New | NewWithVtable => {
                    let d = op.descr.and_then(|d| d.as_size()).unwrap();
                    result = Some(heap::new_struct(d).addr() as u64)
                }
                NewArray | NewArrayClear => {
                    let d = op.descr.and_then(|d| d.as_array()).unwrap();
                    let arr = heap::new_array(d, a(0) as i64).unwrap_or(GcRef::NULL);
                    result = Some(arr.addr() as u64)
                }
                DebugMergePoint => mem.location(op),
                QuasiimmutField | Label => {}
                CallI | CallR | CallF | CallN | CallPureI | CallPureR | CallPureF | CallPureN
                | CallMayForceI | CallMayForceR | CallMayForceF | CallMayForceN => {
                    let d = op.descr.and_then(|d| d.as_call()).unwrap();
                    if M::SHADOW && !super::shadow::call_allowed(d) {
                        return RunEnd::Unsupported(format!(
                            "calls {}, which may write the heap",
                            d.name
                        ));
                    }
                    let args: smallvec::SmallVec<[u64; 8]> =
                        op.args[1..].iter().map(|o| val(env, o)).collect();
                    let v = (d.invoke)(&args);
                    if op.res.is_some() {
                        result = Some(v)
                    }
                }
                CallAssemblerI | CallAssemblerR | CallAssemblerF | CallAssemblerN => {
                    let d = op.descr.and_then(|d| d.as_assembler()).unwrap();
                    if M::SHADOW {
                        return RunEnd::Unsupported("runs a call_assembler".into());
                    }
                    let args: smallvec::SmallVec<[u64; 8]> =
                        op.args.iter().map(|o| val(env, o)).collect();
                    let v = (d.invoke)(d, &args);
                    if op.res.is_some() {
                        result = Some(v)
                    }
                }
                EscapeI | EscapeR | EscapeF => {
                    result = Some(op.args.first().map(|o| val(env, o)).unwrap_or(0))
                }
                EscapeN => {}
                ForceToken => result = Some(0),
                Jump => {
                    let t = op
                        .descr
                        .and_then(|d| d.as_target())
                        .expect("jump without target");
                    let values: Vec<u64> = op.args.iter().map(|o| val(env, o)).collect();
                    let (target, idx) = self
                        .tables
                        .borrow()
                        .targets
                        .get(&t)
                        .expect("jump to unknown target")
                        .clone();
                    if !Rc::ptr_eq(&target, &cur) {
                        *env = vec![0u64; target.trace.kinds.len()];
                        cur = target;
                    }
                    let label = &cur.trace.ops[idx];
                    for (dst, v) in label.args.iter().zip(values) {
                        env[dst.as_var().expect("label args are variables").index()] = v;
                    }
                    pc = idx + 1;
                    continue;
                }
                Finish => {
                    let guard = op.guard_id().expect("finish without descr");
                    let values = op.args.iter().map(|o| val(env, o)).collect();
                    return RunEnd::Dead(DeadFrame { guard, values });
                }
            }
            if let (Some(v), Some(res)) = (result, op.res) {
                env[res.index()] = v;
            }
            if !guard_ok {
                let guard = op.guard_id().expect("guard without descr");
                let values: Vec<u64> = op
                    .fail_args
                    .as_deref()
                    .unwrap_or(&[])
                    .iter()
                    .map(|o| val(env, o))
                    .collect();
                let bridge = self.tables.borrow().bridges.get(&guard).cloned();
                if let Some(bridge) = bridge {
                    *env = vec![0u64; bridge.trace.kinds.len()];
                    for (v, x) in bridge.trace.inputargs.iter().zip(&values) {
                        env[v.index()] = *x;
                    }
                    mem.entered_bridge(guard);
                    cur = bridge;
                    pc = 0;
                    continue;
                }
                return RunEnd::Dead(DeadFrame { guard, values });
            }
            pc += 1;
            if pc >= cur.trace.ops.len() {
                panic!("llgraph: fell off the end of a trace");
            }
        }
    }
}

/// Kinds of a guard's fail args, in order (for reading a dead frame).
pub fn fail_arg_kinds(trace: &Trace, op: &Op) -> Vec<Kind> {
    op.fail_args
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|o| trace.operand_kind(o))
        .collect()
}
