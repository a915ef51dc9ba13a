//! Random differential tests of the whole optimizer (DESIGN §6: "random
//! traces optimized and unoptimized must agree on the IR interpreter").
//!
//! A generator records random valid traces the way the recorder does: it
//! executes every op concretely on a real heap while it appends it, so a
//! guard is recorded in the direction the first iteration takes (later
//! iterations, with other values, may leave through any guard). Traces
//! mix int arithmetic, comparisons, overflow checks, guards of every kind,
//! field and array reads and writes on objects passed in or allocated in
//! the trace (some escaping, some stored in each other, some only in fail
//! args), calls with every effect class, and either a loop whose counter
//! ends it through a guard after a few iterations or a `finish`.
//!
//! Each trace runs unoptimized and optimized on a fresh `LlGraph`, each on
//! its own copy of the same object world. They must leave through the same
//! guard (a peeled copy counts as its original) with the same values in
//! the recorder's layout — refs compared structurally, after materializing
//! the optimized exit's virtuals the way resume does — and leave the
//! world in the same state. Object identity is checked too: the
//! comparison builds a bijection between the two runs' objects.
//!
//! `METATRACE_RANDOM_SEEDS=n` runs n seeds instead of the default.

use crate::backend::llgraph::LlGraph;
use crate::backend::{word_to_ref, Backend, DeadFrame, LoopId};
use crate::heap::roots::{visit_words, Handle, Rooted};
use crate::heap::{self, GcRef};
use crate::ir::{eval, Descr, GuardId, Kind, Op, OpNum, Operand, TargetToken, Trace, Var};
use crate::opt::testutil::{params, world};
use crate::opt::{optimize_bridge, optimize_loop, Fact, FactVal, Optimized};
use hashbrown::HashMap;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len())]
    }
}

/// The objects a trace runs on: three nodes (two of them are the trace's
/// node inputs, possibly the same one) and an int array of length 4..8.
/// Held by `Handle`s: the collector cannot see Rust vectors, and thousands
/// of seeds allocate enough to collect.
struct Objects {
    roots: Vec<Handle>,
    inputs: Vec<u64>,
}

const MIN_ARRAY: i64 = 4;

fn build_objects(seed: u64) -> Objects {
    let w = world();
    let mut r = Rng(seed | 1);
    let mut roots: Vec<Handle> = Vec::new();
    for _ in 0..3 {
        roots.push(Handle::new(heap::new_struct(w.node)));
    }
    let nodes: Vec<GcRef> = roots.iter().map(|h| h.get()).collect();
    for &n in &nodes {
        heap::setfield(n, w.x, (r.below(40) as i64 - 20) as u64);
        heap::setfield(n, w.y, r.next() % 1000);
        heap::setfield(n, w.flags, r.next() % 256);
        heap::setfield(n, w.imm, r.next() % 50);
        let next = match r.below(4) {
            0 => GcRef::NULL,
            k => nodes[k - 1],
        };
        heap::setfield_ref(n, w.next, next);
    }
    let len = MIN_ARRAY + r.below(5) as i64;
    let arr = heap::new_array(w.ints, len).unwrap(); // (nodes are rooted)
    for i in 0..len {
        heap::setarrayitem(arr, w.ints, i, (r.below(30) as i64 - 10) as u64);
    }
    let b = if r.chance(30) { nodes[0] } else { nodes[1] };
    let inputs = vec![
        0,
        r.below(20) as u64,
        (r.below(2000) as i64 - 1000) as u64,
        nodes[0].addr() as u64,
        b.addr() as u64,
        arr.addr() as u64,
    ];
    roots.push(Handle::new(arr));
    Objects { roots, inputs }
}

/// A random trace, recorded while executing it on real objects.
struct Gen {
    rng: Rng,
    t: Trace,
    env: Vec<u64>,
    ints: Vec<Var>,
    /// Non-null nodes.
    nodes: Vec<Var>,
    /// Loaded `next` fields, not yet tested for null.
    maybe: Vec<Var>,
    nulls: Vec<Var>,
    /// Int arrays of length >= MIN_ARRAY.
    arrays: Vec<Var>,
    guard: u32,
    /// Roots for what the generator allocates while it runs the trace.
    keep: Vec<Handle>,
}

impl Gen {
    fn val(&self, o: &Operand) -> u64 {
        match o {
            Operand::Var(v) => self.env[v.index()],
            c => c.const_bits().unwrap(),
        }
    }

    /// Appends an op and executes it (reference semantics of llgraph).
    fn op(&mut self, opnum: OpNum, args: &[Operand], descr: Option<Descr>) -> Option<Var> {
        use OpNum::*;
        let a: Vec<u64> = args.iter().map(|o| self.val(o)).collect();
        let r = |i: usize| word_to_ref(a[i]);
        let value = match opnum {
            _ if eval::fold(opnum, &a).is_some() && opnum.is_pure() && !opnum.is_call() => {
                eval::fold(opnum, &a)
            }
            IntAddOvf | IntSubOvf | IntMulOvf => {
                let plain = match opnum {
                    IntAddOvf => IntAdd,
                    IntSubOvf => IntSub,
                    _ => IntMul,
                };
                Some(eval::int_binop(plain, a[0] as i64, a[1] as i64) as u64)
            }
            GetfieldGcI | GetfieldGcR | GetfieldGcPureI => {
                // SAFETY: the generator only makes ops on objects of their descrs' types.
                Some(unsafe { heap::raw::getfield(r(0), descr.unwrap().as_field().unwrap()) })
            }
            SetfieldGc => {
                // SAFETY: as above; reference fields get references.
                unsafe { heap::raw::setfield(r(0), descr.unwrap().as_field().unwrap(), a[1]) };
                None
            }
            GetarrayitemGcI => Some(heap::getarrayitem(
                r(0),
                descr.unwrap().as_array().unwrap(),
                a[1] as i64,
            )),
            SetarrayitemGc => {
                // SAFETY: as above; indexes are in bounds.
                unsafe {
                    heap::raw::setarrayitem(
                        r(0),
                        descr.unwrap().as_array().unwrap(),
                        a[1] as i64,
                        a[2],
                    )
                };
                None
            }
            ArraylenGc => Some(heap::arraylen(r(0), descr.unwrap().as_array().unwrap()) as u64),
            New => {
                let r = heap::new_struct(descr.unwrap().as_size().unwrap());
                self.keep.push(Handle::new(r));
                Some(r.addr() as u64)
            }
            NewArray => {
                let r = heap::new_array(descr.unwrap().as_array().unwrap(), a[0] as i64).unwrap();
                self.keep.push(Handle::new(r));
                Some(r.addr() as u64)
            }
            CallI | CallN | CallPureI => Some((descr.unwrap().as_call().unwrap().invoke)(&a[1..])),
            _ => None,
        };
        let res = self.t.push(opnum, args, descr);
        if let (Some(v), Some(w)) = (res, value) {
            self.env.resize(self.t.kinds.len(), 0);
            self.env[v.index()] = w;
        }
        res
    }

    fn int(&mut self) -> Operand {
        const K: &[i64] = &[0, 1, -1, 2, 3, 7, 8, 16, 255, 1 << 40, i64::MAX, i64::MIN];
        if self.ints.is_empty() || self.rng.chance(25) {
            if self.rng.chance(50) {
                Operand::ConstInt(self.rng.pick(K))
            } else {
                Operand::ConstInt(self.rng.below(21) as i64 - 10)
            }
        } else {
            Operand::Var(self.rng.pick(&self.ints))
        }
    }

    fn node(&mut self) -> Operand {
        Operand::Var(self.rng.pick(&self.nodes))
    }

    fn fail_args(&mut self) -> Vec<Operand> {
        let n = self.rng.below(7);
        let mut fa = Vec::with_capacity(n);
        for _ in 0..n {
            let o = match self.rng.below(6) {
                0 | 1 => self.int(),
                2 | 3 => self.node(),
                4 if !self.maybe.is_empty() => Operand::Var(self.rng.pick(&self.maybe)),
                4 => Operand::ConstPtr(0),
                _ => Operand::Var(self.rng.pick(&self.arrays)),
            };
            fa.push(o);
        }
        fa
    }

    fn guard(&mut self, opnum: OpNum, args: &[Operand]) {
        self.guard += 1;
        let fa = self.fail_args();
        self.t
            .push(opnum, args, Some(Descr::Guard(GuardId(self.guard))));
        self.t.ops.last_mut().unwrap().fail_args = Some(fa);
    }

    /// One random step.
    fn step(&mut self) {
        use OpNum::*;
        let w = world();
        match self.rng.below(20) {
            0 | 1 => {
                let op = self.rng.pick(&[
                    IntAdd,
                    IntSub,
                    IntMul,
                    IntAnd,
                    IntOr,
                    IntXor,
                    IntLshift,
                    IntRshift,
                    UintRshift,
                    IntFloorDiv,
                    IntMod,
                    IntAdd,
                    IntSub,
                    IntMul,
                ]);
                let (a, b) = (self.int(), self.int());
                let r = self.op(op, &[a, b], None).unwrap();
                self.ints.push(r);
            }
            2 | 3 => {
                let op = self.rng.pick(&[
                    IntLt, IntLe, IntGt, IntGe, IntEq, IntNe, UintLt, UintGe, IntLt, IntGe,
                ]);
                let (a, b) = (self.int(), self.int());
                let r = self.op(op, &[a, b], None).unwrap();
                if self.rng.chance(70) {
                    let g = if self.env[r.index()] != 0 {
                        GuardTrue
                    } else {
                        GuardFalse
                    };
                    self.guard(g, &[Operand::Var(r)]);
                }
                self.ints.push(r);
            }
            4 => {
                let op = self.rng.pick(&[IntAddOvf, IntSubOvf, IntMulOvf]);
                let (a, b) = (self.int(), self.int());
                let ok = eval::int_ovf(op, self.val(&a) as i64, self.val(&b) as i64).is_some();
                let r = self.op(op, &[a, b], None).unwrap();
                self.guard(if ok { GuardNoOverflow } else { GuardOverflow }, &[]);
                self.ints.push(r);
            }
            5 => {
                let op = self.rng.pick(&[IntNeg, IntInvert, IntIsTrue, IntIsZero]);
                let a = self.int();
                let r = self.op(op, &[a], None).unwrap();
                self.ints.push(r);
            }
            6 => {
                let (op, f) = match self.rng.below(4) {
                    0 => (GetfieldGcI, w.x),
                    1 => (GetfieldGcI, w.y),
                    2 => (GetfieldGcI, w.flags),
                    _ => (GetfieldGcPureI, w.imm),
                };
                let n = self.node();
                let r = self.op(op, &[n], Some(Descr::Field(f))).unwrap();
                self.ints.push(r);
            }
            7 => {
                let f = self.rng.pick(&[w.x, w.y, w.flags]);
                let (n, v) = (self.node(), self.int());
                self.op(SetfieldGc, &[n, v], Some(Descr::Field(f)));
            }
            8 => {
                let n = self.node();
                let r = self
                    .op(GetfieldGcR, &[n], Some(Descr::Field(w.next)))
                    .unwrap();
                if self.rng.chance(60) {
                    if self.env[r.index()] != 0 {
                        self.guard(
                            GuardNonnullClass,
                            &[
                                Operand::Var(r),
                                Operand::ConstInt(crate::opt::testutil::NODE_TID as i64),
                            ],
                        );
                        self.nodes.push(r);
                    } else {
                        self.guard(GuardIsnull, &[Operand::Var(r)]);
                        self.nulls.push(r);
                    }
                } else {
                    self.maybe.push(r);
                }
            }
            9 => {
                let n = self.node();
                let v = match self.rng.below(3) {
                    0 if !self.nulls.is_empty() => Operand::Var(self.rng.pick(&self.nulls)),
                    0 => Operand::ConstPtr(0),
                    _ => self.node(),
                };
                self.op(SetfieldGc, &[n, v], Some(Descr::Field(w.next)));
            }
            10 => {
                let p = self.op(New, &[], Some(Descr::Size(w.node))).unwrap();
                let imm = self.int();
                self.op(
                    SetfieldGc,
                    &[Operand::Var(p), imm],
                    Some(Descr::Field(w.imm)),
                );
                self.nodes.push(p);
            }
            11 => {
                let len = MIN_ARRAY + self.rng.below(3) as i64;
                let p = self
                    .op(
                        NewArray,
                        &[Operand::ConstInt(len)],
                        Some(Descr::Array(w.ints)),
                    )
                    .unwrap();
                self.arrays.push(p);
            }
            12 | 13 => {
                let arr = Operand::Var(self.rng.pick(&self.arrays));
                let idx = if self.rng.chance(50) {
                    Operand::ConstInt(self.rng.below(MIN_ARRAY as usize) as i64)
                } else {
                    let x = self.int();
                    let m = self
                        .op(IntAnd, &[x, Operand::ConstInt(MIN_ARRAY - 1)], None)
                        .unwrap();
                    Operand::Var(m)
                };
                let d = Some(Descr::Array(w.ints));
                if self.rng.chance(50) {
                    let r = self.op(GetarrayitemGcI, &[arr, idx], d).unwrap();
                    self.ints.push(r);
                } else {
                    let v = self.int();
                    self.op(SetarrayitemGc, &[arr, idx, v], d);
                }
            }
            14 => {
                let arr = Operand::Var(self.rng.pick(&self.arrays));
                let r = self
                    .op(ArraylenGc, &[arr], Some(Descr::Array(w.ints)))
                    .unwrap();
                self.ints.push(r);
            }
            15 => {
                let f = Operand::ConstInt(0x1000);
                match self.rng.below(3) {
                    0 => {
                        let (a, b) = (self.int(), self.int());
                        let r = self
                            .op(CallPureI, &[f, a, b], Some(Descr::Call(w.elid)))
                            .unwrap();
                        self.ints.push(r);
                    }
                    1 => {
                        let n = self.node();
                        let r = self.op(CallI, &[f, n], Some(Descr::Call(w.rd))).unwrap();
                        self.ints.push(r);
                    }
                    _ => {
                        let (n, v) = (self.node(), self.int());
                        self.op(CallN, &[f, n, v], Some(Descr::Call(w.wr)));
                    }
                }
            }
            16 => match self.rng.below(4) {
                0 => {
                    let n = self.node();
                    self.guard(
                        GuardClass,
                        &[n, Operand::ConstInt(crate::opt::testutil::NODE_TID as i64)],
                    );
                }
                1 => {
                    let n = self.node();
                    self.guard(GuardNonnull, &[n]);
                }
                2 if !self.ints.is_empty() => {
                    let i = self.rng.pick(&self.ints);
                    let c = Operand::ConstInt(self.env[i.index()] as i64);
                    self.guard(GuardValue, &[Operand::Var(i), c]);
                }
                _ => {
                    let i = self.int();
                    let g = if self.val(&i) != 0 {
                        GuardTrue
                    } else {
                        GuardFalse
                    };
                    self.guard(g, &[i]);
                }
            },
            17 => {
                let a = self.node();
                let b = match self.rng.below(3) {
                    0 if !self.maybe.is_empty() => Operand::Var(self.rng.pick(&self.maybe)),
                    _ => self.node(),
                };
                let op = self.rng.pick(&[PtrEq, PtrNe]);
                let r = self.op(op, &[a, b], None).unwrap();
                self.ints.push(r);
            }
            18 => {
                if self.rng.chance(50) {
                    self.guard(GuardNotInvalidated, &[]);
                } else {
                    let f = Operand::ConstInt(0x1000);
                    self.op(CallN, &[f], Some(Descr::Call(w.inv)));
                }
            }
            _ => {
                // Store a node (maybe fresh) into another: nested virtuals.
                let (a, b) = (self.node(), self.node());
                self.op(SetfieldGc, &[a, b], Some(Descr::Field(w.next)));
            }
        }
    }
}

/// A random trace for `seed` (a loop unless `bridge`), recorded on a
/// throwaway copy of the seed's objects.
fn generate(seed: u64, bridge: bool) -> Trace {
    let objs = build_objects(seed);
    let mut g = Gen {
        rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
        t: Trace::new(),
        env: Vec::new(),
        ints: Vec::new(),
        nodes: Vec::new(),
        maybe: Vec::new(),
        nulls: Vec::new(),
        arrays: Vec::new(),
        guard: 0,
        keep: Vec::new(),
    };
    let kinds = [
        Kind::Int,
        Kind::Int,
        Kind::Int,
        Kind::Ref,
        Kind::Ref,
        Kind::Ref,
    ];
    let inputs: Vec<Var> = kinds.iter().map(|k| g.t.new_inputarg(*k)).collect();
    g.env = objs.inputs.clone();
    g.ints.extend(&inputs[1..3]);
    g.nodes.extend(&inputs[3..5]);
    g.arrays.push(inputs[5]);
    let tt = Some(Descr::Target(TargetToken(1)));
    let w = world();
    use OpNum::SetfieldGc;
    let mut counter = None;
    if !bridge {
        let args: Vec<Operand> = inputs.iter().map(|v| Operand::Var(*v)).collect();
        g.t.push(OpNum::Label, &args, tt);
        let c = g
            .op(
                OpNum::IntAdd,
                &[Operand::Var(inputs[0]), Operand::ConstInt(1)],
                None,
            )
            .unwrap();
        let n = 2 + g.rng.below(5) as i64;
        let lt = g
            .op(OpNum::IntLt, &[Operand::Var(c), Operand::ConstInt(n)], None)
            .unwrap();
        g.guard(OpNum::GuardTrue, &[Operand::Var(lt)]);
        counter = Some(c);
    }
    for _ in 0..5 + g.rng.below(40) {
        g.step();
    }
    if let Some(c) = counter {
        // Boxes made for the next iteration (virtual state across the
        // back edge), sometimes used a little before the jump.
        let mut boxes = Vec::new();
        for _ in 0..g.rng.below(3) {
            let p = g.op(OpNum::New, &[], Some(Descr::Size(w.node))).unwrap();
            let x = g.int();
            g.op(SetfieldGc, &[Operand::Var(p), x], Some(Descr::Field(w.x)));
            if g.rng.chance(40) {
                let n = g.node();
                g.op(
                    SetfieldGc,
                    &[Operand::Var(p), n],
                    Some(Descr::Field(w.next)),
                );
            }
            boxes.push(p);
            g.nodes.push(p);
        }
        for _ in 0..g.rng.below(3) {
            g.step();
        }
        let mut args = vec![Operand::Var(c)];
        for (k, &input) in inputs.iter().enumerate().skip(1) {
            let keep = g.rng.chance(40);
            args.push(match (k, keep) {
                (_, true) => Operand::Var(input),
                (1 | 2, _) => g.int(),
                (3 | 4, _) if !boxes.is_empty() && g.rng.chance(70) => {
                    Operand::Var(g.rng.pick(&boxes))
                }
                (3 | 4, _) => g.node(),
                _ => Operand::Var(g.rng.pick(&g.arrays)),
            });
        }
        g.t.push(OpNum::Jump, &args, tt);
    } else {
        let args = g.fail_args();
        g.t.push(OpNum::Finish, &args, Some(Descr::Guard(GuardId(0))));
    }
    g.t
}

/// Structural equality of the two runs' object graphs, with a bijection
/// between their objects (identity must match too).
#[derive(Default)]
struct Iso {
    ab: HashMap<u64, u64>,
    ba: HashMap<u64, u64>,
}

impl Iso {
    fn same(&mut self, a: u64, b: u64) -> Result<(), String> {
        let w = world();
        let mut work = vec![(a, b)];
        while let Some((a, b)) = work.pop() {
            if a == 0 || b == 0 {
                if a != b {
                    return Err(format!("null vs non-null ({a:#x} / {b:#x})"));
                }
                continue;
            }
            match (self.ab.get(&a), self.ba.get(&b)) {
                (Some(&x), _) if x == b => continue,
                (None, None) => {}
                _ => return Err(format!("object identity differs ({a:#x} / {b:#x})")),
            }
            self.ab.insert(a, b);
            self.ba.insert(b, a);
            let (ra, rb) = (word_to_ref(a), word_to_ref(b));
            if ra.tid() != rb.tid() {
                return Err(format!("type ids differ: {} / {}", ra.tid(), rb.tid()));
            }
            if ra.tid() == w.node.tid {
                for f in [w.x, w.y, w.flags, w.imm] {
                    let (x, y) = (heap::getfield(ra, f), heap::getfield(rb, f));
                    if x != y {
                        return Err(format!("field {}: {} / {}", f.name, x as i64, y as i64));
                    }
                }
                work.push((heap::getfield(ra, w.next), heap::getfield(rb, w.next)));
            } else {
                let (la, lb) = (heap::arraylen(ra, w.ints), heap::arraylen(rb, w.ints));
                if la != lb {
                    return Err(format!("array lengths {la} / {lb}"));
                }
                for i in 0..la {
                    let (x, y) = (
                        heap::getarrayitem(ra, w.ints, i),
                        heap::getarrayitem(rb, w.ints, i),
                    );
                    if x != y {
                        return Err(format!("item {i}: {} / {}", x as i64, y as i64));
                    }
                }
            }
        }
        Ok(())
    }
}

fn exit_op(t: &Trace, g: GuardId) -> &Op {
    t.ops
        .iter()
        .find(|o| o.guard_id() == Some(g))
        .unwrap_or_else(|| panic!("no guard {} in\n{t}", g.0))
}

/// Kinds of what an exit leaves in the dead frame.
fn exit_kinds(t: &Trace, op: &Op) -> Vec<Kind> {
    let vals = if op.opnum == OpNum::Finish {
        &op.args[..]
    } else {
        op.fail_args.as_deref().unwrap_or(&[])
    };
    vals.iter().map(|o| t.operand_kind(o)).collect()
}

fn run(t: &Trace, seed: u64) -> (DeadFrame, Objects) {
    let objs = build_objects(seed);
    let mut b = LlGraph::new();
    b.fuel = Some(1_000_000);
    b.compile_loop(LoopId(1), t)
        .unwrap_or_else(|e| panic!("{e}\n{t}"));
    let d = b.execute(LoopId(1), &objs.inputs);
    (d, objs)
}

/// Guard facts checked against real exits (so the check is not vacuous).
static FACTS_CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Exits that did stores the optimizer kept pending across their guard.
static PENDING_DONE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Of those, heap facts (field and item values).
static HEAP_FACTS_CHECKED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs seed `seed` with passes `opts`; `Err` describes a divergence.
fn differential(seed: u64, opts: &str) -> Result<(), String> {
    let bridge = seed % 5 == 4;
    let t = generate(seed, bridge);
    crate::ir::verify::verify(&t).map_err(|e| format!("generator bug: {e}\n{t}"))?;
    let mut next = 10_000;
    let mut new_guard = || {
        next += 1;
        GuardId(next - 1)
    };
    let p = params(opts);
    let invalid_before = super::INVALID_OUTPUTS.load(std::sync::atomic::Ordering::Relaxed);
    let opt: Optimized = if bridge {
        optimize_bridge(&t, &p, &mut new_guard, &[], None)
    } else {
        optimize_loop(&t, &p, &mut new_guard)
    };
    // The safety net replaces an invalid result by the input (silently in
    // release builds): any use of it is an optimizer bug.
    if super::INVALID_OUTPUTS.load(std::sync::atomic::Ordering::Relaxed) != invalid_before {
        return Err(format!(
            "the optimizer's output was invalid (the safety net fell back to the input)\nseed {seed}, opts {opts}\ninput:\n{t}"
        ));
    }
    let ctx = |msg: String| {
        format!(
            "{msg}\nseed {seed}, opts {opts}\ninput:\n{t}\noptimized:\n{}",
            opt.trace
        )
    };
    crate::ir::verify::verify(&opt.trace).map_err(|e| ctx(format!("invalid output: {e}")))?;

    // Both runs' exit values stay rooted while the other runs and while
    // virtuals are materialized (both allocate).
    let (mut d1, o1) = run(&t, seed);
    let v1 = Rooted::new(&mut d1.values, visit_words);
    let (mut d2, o2) = run(&opt.trace, seed);
    let v2 = Rooted::new(&mut d2.values, visit_words);
    let orig = opt
        .guard_copies
        .iter()
        .find(|(c, _)| *c == d2.guard)
        .map_or(d2.guard, |&(_, o)| o);
    if orig != d1.guard {
        return Err(ctx(format!(
            "exit through guard {} (as {}), expected guard {}",
            orig.0, d2.guard.0, d1.guard.0
        )));
    }
    let op1 = exit_op(&t, d1.guard);
    let op2 = exit_op(&opt.trace, d2.guard);
    let kinds = exit_kinds(&t, op1);
    let mut words = v2.clone();
    let mut words = Rooted::new(&mut words, visit_words);
    if words.len() < kinds.len() {
        return Err(ctx(format!(
            "exit has {} values, the recorder's layout {}",
            words.len(),
            kinds.len()
        )));
    }
    // Resume: virtuals, then the stores the optimizer kept pending.
    if op2.pending.as_ref().is_some_and(|p| !p.is_empty()) {
        PENDING_DONE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    crate::metainterp::resume::materialize(
        op2.virtuals.as_deref().unwrap_or(&[]),
        op2.pending.as_deref().unwrap_or(&[]),
        &mut words,
    );
    // What the optimizer claims about the exit's values (bridges start
    // from it) must hold of the values the guard actually exited with.
    for &(i, fact) in opt.facts.get(&d2.guard).into_iter().flatten() {
        let w = words.get(i as usize).copied().unwrap_or(0);
        // A heap fact: the location reads, in the memory the guard left
        // behind, as the other fail arg or the constant.
        let named = |v: FactVal| match v {
            FactVal::Arg(j) => words.get(j as usize).copied(),
            FactVal::Const(c) => c.const_bits(),
        };
        let holds = match fact {
            Fact::Class(c) => w != 0 && word_to_ref(w).tid() as i64 == c,
            Fact::NonNull => w != 0,
            Fact::Bounds(lo, hi) => (lo..=hi).contains(&(w as i64)),
            Fact::Field(Descr::Field(f), v) => {
                HEAP_FACTS_CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                w != 0 && named(v) == Some(heap::getfield(word_to_ref(w), f))
            }
            Fact::Item(Descr::Array(a), i, v) => {
                HEAP_FACTS_CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let arr = word_to_ref(w);
                match named(i) {
                    Some(i) if w != 0 && (0..heap::arraylen(arr, a)).contains(&(i as i64)) => {
                        named(v) == Some(heap::getarrayitem(arr, a, i as i64))
                    }
                    _ => false,
                }
            }
            Fact::Field(..) | Fact::Item(..) => false,
        };
        if !holds {
            return Err(ctx(format!(
                "guard {} claims {fact:?} of exit value {i}, which is {}",
                d2.guard.0, w as i64
            )));
        }
        FACTS_CHECKED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    let mut iso = Iso::default();
    for (i, k) in kinds.iter().enumerate() {
        let (a, b) = (v1[i], words[i]);
        let r = if *k == Kind::Ref {
            iso.same(a, b)
        } else if a != b {
            Err(format!("{} / {}", a as i64, b as i64))
        } else {
            Ok(())
        };
        r.map_err(|e| ctx(format!("exit value {i} differs: {e}")))?;
    }
    for (a, b) in o1.roots.iter().zip(&o2.roots) {
        iso.same(a.get().addr() as u64, b.get().addr() as u64)
            .map_err(|e| ctx(format!("heap differs after the run: {e}")))?;
    }
    Ok(())
}

fn seeds(default: u64) -> u64 {
    std::env::var("METATRACE_RANDOM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn random_traces_agree_with_all_passes() {
    let before = FACTS_CHECKED.load(std::sync::atomic::Ordering::Relaxed);
    let heap_before = HEAP_FACTS_CHECKED.load(std::sync::atomic::Ordering::Relaxed);
    let pending_before = PENDING_DONE.load(std::sync::atomic::Ordering::Relaxed);
    for seed in 0..seeds(2000) {
        if let Err(e) = differential(seed, "all") {
            panic!("{e}");
        }
    }
    let checked = FACTS_CHECKED.load(std::sync::atomic::Ordering::Relaxed) - before;
    assert!(checked > 100, "only {checked} guard facts were checked");
    let heap = HEAP_FACTS_CHECKED.load(std::sync::atomic::Ordering::Relaxed) - heap_before;
    assert!(heap > 50, "only {heap} heap facts were checked");
    let pending = PENDING_DONE.load(std::sync::atomic::Ordering::Relaxed) - pending_before;
    assert!(pending > 50, "only {pending} exits did pending stores");
}

#[test]
fn random_traces_agree_with_each_pass_alone() {
    let opts = crate::params::ALL_OPTS;
    for seed in 0..seeds(2000) {
        let o = opts[seed as usize % opts.len()];
        if let Err(e) = differential(seed + 1_000_000, o) {
            panic!("{e}");
        }
    }
}

#[test]
fn random_traces_agree_without_unroll() {
    for seed in 0..seeds(2000) / 2 {
        let o = "intbounds:rewrite:virtualize:pure:heap";
        if let Err(e) = differential(seed + 2_000_000, o) {
            panic!("{e}");
        }
    }
}

#[test]
fn random_traces_are_mostly_optimized() {
    // The generator is only useful if the optimizer finds work in it and
    // traces get past their first guards.
    let (mut before, mut after, mut deep) = (0, 0, 0);
    for seed in 0..200 {
        let t = generate(seed, false);
        let mut next = 10_000;
        let mut ng = || {
            next += 1;
            GuardId(next - 1)
        };
        let opt = optimize_loop(
            &t,
            &params("intbounds:rewrite:virtualize:pure:heap"),
            &mut ng,
        );
        before += t.op_count();
        after += opt.trace.op_count();
        let (d, _) = run(&t, seed);
        // The counter guard is guard 1: leaving there means the loop ran
        // to its end at least once.
        deep += (d.guard == GuardId(1)) as usize;
    }
    assert!(after * 10 < before * 9, "{after} ops of {before}");
    assert!(deep > 20, "only {deep} of 200 loops ran to their counter");
}
