//! Random-trace differential testing: the x86 backend against the IR
//! interpreter on traces generated from a seed.
//!
//! Each seed builds a small program — a straight-line entry trace, or a
//! counter-driven loop (exit through a guard) plus optional bridges on its
//! guards and an entry loop that jumps into it — runs it on both backends
//! and compares the dead frames and the heap object the trace worked on.
//!
//! `METATRACE_RANDOM_SEEDS=N` runs N seeds (default 3000);
//! `METATRACE_RANDOM_SEED=S` runs only seed S and prints its traces.

use metatrace::backend::{Backend, DeadFrame};
use metatrace::heap::{self, GcRef, INT_ARRAY};
use metatrace::ir::{
    CallDescr, Descr, FieldDescr, GuardId, Kind, OpNum, Operand, TargetToken, Trace, Var,
};
use metatrace_tests::*;
use std::collections::HashMap;
use OpNum::*;

metatrace::gc_struct! {
    /// The object random traces read and write.
    pub struct Cell as cell {
        a: i64,
        b: u8,
        c: i16,
        d: i32,
        e: u32,
        f: f64,
        g: i8,
    }
}

const CELL_FIELDS: &[&FieldDescr] = &[
    &cell::a,
    &cell::b,
    &cell::c,
    &cell::d,
    &cell::e,
    &cell::f,
    &cell::g,
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    fn int(&mut self) -> i64 {
        match self.below(4) {
            0 => self.pick(EDGE_INTS),
            1 => self.below(21) as i64 - 10,
            2 => (self.next() as i64) >> self.below(64),
            _ => self.next() as i64,
        }
    }
    fn float(&mut self) -> f64 {
        match self.below(3) {
            0 => self.pick(EDGE_FLOATS),
            1 => (self.below(2001) as f64 - 1000.0) / 8.0,
            _ => f64::from_bits(self.next()),
        }
    }
}

// Residual call targets, with `invoke` thunks for llgraph.

extern "C" fn h_iii(a: i64, b: i64, c: i64) -> i64 {
    a.wrapping_mul(3) ^ b.wrapping_sub(c)
}
fn h_iii_invoke(a: &[u64]) -> u64 {
    h_iii(a[0] as i64, a[1] as i64, a[2] as i64) as u64
}

extern "C" fn h_fif(a: f64, b: i64, c: f64) -> f64 {
    a * 0.5 + (b % 1000) as f64 - c
}
fn h_fif_invoke(a: &[u64]) -> u64 {
    h_fif(f64::from_bits(a[0]), a[1] as i64, f64::from_bits(a[2])).to_bits()
}

#[allow(clippy::too_many_arguments)]
extern "C" fn h_many(
    i0: i64,
    f0: f64,
    i1: i64,
    i2: i64,
    f1: f64,
    i3: i64,
    i4: i64,
    f2: f64,
    i5: i64,
    i6: i64,
    f3: f64,
    f4: f64,
    f5: f64,
    f6: f64,
    f7: f64,
    f8: f64,
    i7: i64,
    f9: f64,
) -> i64 {
    let is = [i0, i1, i2, i3, i4, i5, i6, i7];
    let fs = [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9];
    let mut acc = 0i64;
    for (k, x) in is.iter().enumerate() {
        acc = acc
            .wrapping_mul(17)
            .wrapping_add(x.wrapping_mul(k as i64 + 1));
    }
    for (k, x) in fs.iter().enumerate() {
        acc = acc
            .wrapping_mul(13)
            .wrapping_add(((x * (k as f64 + 1.0)) as i64) >> 3);
    }
    acc
}
fn h_many_invoke(a: &[u64]) -> u64 {
    let i = |k: usize| a[k] as i64;
    let f = |k: usize| f64::from_bits(a[k]);
    h_many(
        i(0),
        f(1),
        i(2),
        i(3),
        f(4),
        i(5),
        i(6),
        f(7),
        i(8),
        i(9),
        f(10),
        f(11),
        f(12),
        f(13),
        f(14),
        f(15),
        i(16),
        f(17),
    ) as u64
}

const H_MANY_ARGS: &[Kind] = &[
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Int,
    Kind::Float,
    Kind::Float,
    Kind::Float,
    Kind::Float,
    Kind::Float,
    Kind::Float,
    Kind::Int,
    Kind::Float,
];

struct Calls {
    iii: &'static CallDescr,
    fif: &'static CallDescr,
    many: &'static CallDescr,
}

fn calls() -> &'static Calls {
    static CALLS: std::sync::OnceLock<Calls> = std::sync::OnceLock::new();
    CALLS.get_or_init(|| {
        let mk = leak_call;
        Calls {
            iii: mk(
                "h_iii",
                h_iii as *const () as usize,
                &[Kind::Int; 3],
                Kind::Int,
                h_iii_invoke,
            ),
            fif: mk(
                "h_fif",
                h_fif as *const () as usize,
                &[Kind::Float, Kind::Int, Kind::Float],
                Kind::Float,
                h_fif_invoke,
            ),
            many: mk(
                "h_many",
                h_many as *const () as usize,
                H_MANY_ARGS,
                Kind::Int,
                h_many_invoke,
            ),
        }
    })
}

/// Generates ops into one trace, tracking the variables in scope.
struct Gen<'r> {
    rng: &'r mut Rng,
    b: B,
    ints: Vec<Var>,
    floats: Vec<Var>,
    /// The heap cell and int array (refs never reach dead frames: their
    /// addresses differ between the backends' runs).
    cell: Option<Var>,
    arr: Option<Var>,
    /// Always the first fail arg (loops: the counter, for bridges).
    head: Option<Var>,
}

const FLOAT_OPS: &[OpNum] = &[FloatAdd, FloatSub, FloatMul, FloatTrueDiv];
const FLOAT_CMPS: &[OpNum] = &[FloatLt, FloatLe, FloatEq, FloatNe, FloatGt, FloatGe];
const INT_CMPS: &[OpNum] = &[IntLt, IntLe, IntEq, IntNe, IntGt, IntGe, UintLt, UintGe];

impl<'r> Gen<'r> {
    fn int_operand(&mut self) -> Operand {
        if self.ints.is_empty() || self.rng.chance(25) {
            ci(self.rng.int())
        } else {
            v(self.rng.pick(&self.ints))
        }
    }
    fn float_operand(&mut self) -> Operand {
        if self.floats.is_empty() || self.rng.chance(25) {
            cf(self.rng.float())
        } else {
            v(self.rng.pick(&self.floats))
        }
    }
    fn int_var(&mut self) -> Operand {
        if self.ints.is_empty() {
            return ci(self.rng.int());
        }
        v(self.rng.pick(&self.ints))
    }
    fn fail_args(&mut self) -> Vec<Operand> {
        let mut out: Vec<Operand> = self.head.iter().map(|&h| v(h)).collect();
        for _ in 0..self.rng.below(7) {
            match self.rng.below(5) {
                0 | 1 => {
                    let o = self.int_var();
                    out.push(o)
                }
                2 | 3 if !self.floats.is_empty() => out.push(v(self.rng.pick(&self.floats))),
                _ => out.push(if self.rng.chance(50) {
                    ci(self.rng.int())
                } else {
                    cf(self.rng.float())
                }),
            }
        }
        out
    }
    fn guard(&mut self, o: OpNum, args: &[Operand]) {
        let fail = self.fail_args();
        self.b.guard(o, args, &fail);
    }

    /// One random op (possibly with a guard after it).
    fn step(&mut self, guards: bool) {
        let r = self.rng.below(112);
        match r {
            0..=34 => {
                let o = self.rng.pick(INT_BINOPS);
                let (x, y) = (self.int_operand(), self.int_operand());
                let res = self.b.op(o, &[x, y]);
                self.ints.push(res);
            }
            35..=41 => {
                let o = self
                    .rng
                    .pick(&[IntNeg, IntInvert, IntIsTrue, IntIsZero, SameAsI]);
                let x = self.int_var();
                let res = self.b.op(o, &[x]);
                self.ints.push(res);
            }
            42..=46 if guards => {
                let o = self.rng.pick(&[IntAddOvf, IntSubOvf, IntMulOvf]);
                let (x, y) = (self.int_operand(), self.int_operand());
                let res = self.b.op(o, &[x, y]);
                let g = if self.rng.chance(80) {
                    GuardNoOverflow
                } else {
                    GuardOverflow
                };
                self.guard(g, &[]);
                self.ints.push(res);
            }
            47..=56 => {
                let o = self.rng.pick(FLOAT_OPS);
                let (x, y) = (self.float_operand(), self.float_operand());
                let res = self.b.op(o, &[x, y]);
                self.floats.push(res);
            }
            57..=60 => {
                let o = self.rng.pick(FLOAT_CMPS);
                let (x, y) = (self.float_operand(), self.float_operand());
                let res = self.b.op(o, &[x, y]);
                self.ints.push(res);
            }
            61..=65 => {
                let x = self.float_operand();
                let o = self.rng.pick(&[FloatNeg, FloatAbs, SameAsF]);
                let res = self.b.op(o, &[x]);
                self.floats.push(res);
                if self.rng.chance(50) {
                    let i = self.b.op(CastFloatToInt, &[v(res)]);
                    self.ints.push(i);
                } else {
                    let x = self.int_operand();
                    let f = self.b.op(CastIntToFloat, &[x]);
                    self.floats.push(f);
                }
            }
            66..=75 if guards => {
                // A guard on a fresh comparison (fusable) or an old int.
                let c = if self.rng.chance(70) {
                    let cmp_float = self.rng.chance(25);
                    let o = if cmp_float {
                        self.rng.pick(FLOAT_CMPS)
                    } else {
                        self.rng.pick(INT_CMPS)
                    };
                    let (x, y) = if cmp_float {
                        (self.float_operand(), self.float_operand())
                    } else {
                        (self.int_operand(), self.int_operand())
                    };
                    let c = self.b.op(o, &[x, y]);
                    self.ints.push(c);
                    v(c)
                } else {
                    self.int_var()
                };
                let g = if self.rng.chance(50) {
                    GuardTrue
                } else {
                    GuardFalse
                };
                self.guard(g, &[c]);
            }
            76..=79 if guards => {
                let x = self.int_var();
                let c = ci(self.rng.int());
                self.guard(GuardValue, &[x, c]);
            }
            80..=87 if self.cell.is_some() => {
                let cellv = self.cell.unwrap();
                let d = self.rng.pick(CELL_FIELDS);
                if self.rng.chance(50) {
                    let val = if d.kind == Kind::Float {
                        self.float_operand()
                    } else {
                        self.int_operand()
                    };
                    self.b.op_d(SetfieldGc, &[v(cellv), val], Descr::Field(d));
                } else {
                    let res = self
                        .b
                        .op_d(
                            OpNum::getfield_for(d.kind, false),
                            &[v(cellv)],
                            Descr::Field(d),
                        )
                        .unwrap();
                    if d.kind == Kind::Float {
                        self.floats.push(res)
                    } else {
                        self.ints.push(res)
                    }
                }
            }
            88..=91 if self.arr.is_some() => {
                let arr = self.arr.unwrap();
                let x = self.int_operand();
                let idx = match x {
                    Operand::ConstInt(c) => ci(c & 7),
                    x => v(self.b.op(IntAnd, &[x, ci(7)])),
                };
                if self.rng.chance(50) {
                    let val = self.int_operand();
                    self.b.op_d(
                        SetarrayitemGc,
                        &[v(arr), idx, val],
                        Descr::Array(&INT_ARRAY),
                    );
                } else {
                    let res = self
                        .b
                        .op_d(GetarrayitemGcI, &[v(arr), idx], Descr::Array(&INT_ARRAY))
                        .unwrap();
                    self.ints.push(res);
                }
            }
            92..=99 => {
                let c = calls();
                match self.rng.below(3) {
                    0 => {
                        let args = [
                            ci(c.iii.addr as i64),
                            self.int_operand(),
                            self.int_operand(),
                            self.int_operand(),
                        ];
                        let res = self.b.op_d(CallI, &args, Descr::Call(c.iii)).unwrap();
                        self.ints.push(res);
                    }
                    1 => {
                        let args = [
                            ci(c.fif.addr as i64),
                            self.float_operand(),
                            self.int_operand(),
                            self.float_operand(),
                        ];
                        let res = self.b.op_d(CallF, &args, Descr::Call(c.fif)).unwrap();
                        self.floats.push(res);
                    }
                    _ => {
                        let mut args = vec![ci(c.many.addr as i64)];
                        for k in H_MANY_ARGS {
                            let o = if *k == Kind::Int {
                                self.int_operand()
                            } else {
                                self.float_operand()
                            };
                            args.push(o);
                        }
                        let res = self.b.op_d(CallI, &args, Descr::Call(c.many)).unwrap();
                        self.ints.push(res);
                    }
                }
            }
            100..=103 if self.cell.is_some() => {
                // Refs: comparisons and null/class guards on the cell
                // (which is never null and always a Cell).
                let c = self.cell.unwrap();
                let other = if self.rng.chance(50) { cp(0) } else { v(c) };
                let o = self.rng.pick(&[PtrEq, PtrNe]);
                let res = self.b.op(o, &[v(c), other]);
                self.ints.push(res);
                if guards {
                    match self.rng.below(4) {
                        0 => self.guard(GuardNonnull, &[v(c)]),
                        1 => self.guard(GuardIsnull, &[v(c)]),
                        2 => self.guard(GuardClass, &[v(c), ci(cell::SIZE.tid as i64)]),
                        _ => self.guard(GuardNonnullClass, &[v(c), ci(INT_ARRAY.tid as i64)]),
                    }
                }
            }
            104..=107 => {
                // A fresh object: written, read back, compared.
                let o = self.b.op_d(New, &[], Descr::Size(&cell::SIZE)).unwrap();
                let d = self.rng.pick(CELL_FIELDS);
                let val = if d.kind == Kind::Float {
                    self.float_operand()
                } else {
                    self.int_operand()
                };
                self.b.op_d(SetfieldGc, &[v(o), val], Descr::Field(d));
                let res = self
                    .b
                    .op_d(OpNum::getfield_for(d.kind, false), &[v(o)], Descr::Field(d))
                    .unwrap();
                if d.kind == Kind::Float {
                    self.floats.push(res)
                } else {
                    self.ints.push(res)
                }
                let len = self.int_operand();
                let len = match len {
                    Operand::ConstInt(c) => ci(c & 15),
                    x => v(self.b.op(IntAnd, &[x, ci(15)])),
                };
                let a = self
                    .b
                    .op_d(NewArray, &[len], Descr::Array(&INT_ARRAY))
                    .unwrap();
                let n = self
                    .b
                    .op_d(ArraylenGc, &[v(a)], Descr::Array(&INT_ARRAY))
                    .unwrap();
                self.ints.push(n);
            }
            108..=109 => {
                let x = self.float_operand();
                let res = self.b.op(EscapeF, &[x]);
                self.floats.push(res);
                if guards && self.rng.chance(30) {
                    let c = cf(self.rng.float());
                    self.guard(GuardValue, &[v(res), c]);
                }
            }
            _ => {
                let x = self.int_var();
                let res = self.b.op(IntAdd, &[x, ci(1)]);
                self.ints.push(res);
            }
        }
    }
}

/// What one seed runs: traces, and the executions to perform.
struct Program {
    main: Trace,
    /// Bridges, in compile order: (guard, trace).
    bridges: Vec<(GuardId, Trace)>,
    /// An optional second loop that jumps into `main`.
    entry: Option<Trace>,
    /// Arguments for main (and entry) runs; refs are patched per run.
    runs: Vec<(bool, Vec<ArgVal>)>,
}

#[derive(Clone, Copy, Debug)]
enum ArgVal {
    Word(u64),
    Cell,
    Arr,
}

fn random_args(rng: &mut Rng, kinds: &[Kind]) -> Vec<u64> {
    kinds
        .iter()
        .map(|k| match k {
            Kind::Float => fb(rng.float()),
            _ => ib(rng.int()),
        })
        .collect()
}

fn fail_arg_kinds(t: &Trace, op: &metatrace::ir::Op) -> Vec<Kind> {
    op.fail_args
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|o| t.operand_kind(o))
        .collect()
}

fn straight_line(rng: &mut Rng) -> Program {
    let mut b = B::new();
    let ni = 1 + rng.below(5);
    let nf = rng.below(4);
    let ints = (0..ni).map(|_| b.input(Kind::Int)).collect();
    let floats = (0..nf).map(|_| b.input(Kind::Float)).collect();
    let cell = b.input(Kind::Ref);
    let arr = b.input(Kind::Ref);
    let mut g = Gen {
        rng,
        b,
        ints,
        floats,
        cell: Some(cell),
        arr: Some(arr),
        head: None,
    };
    let n = if g.rng.chance(10) {
        60 + g.rng.below(140)
    } else {
        3 + g.rng.below(40)
    };
    for _ in 0..n {
        g.step(true);
    }
    let fin = g.fail_args();
    g.b.finish(&fin);
    let main = g.b.build();
    let mut kinds = vec![Kind::Int; ni];
    kinds.extend(vec![Kind::Float; nf]);
    let mut runs = Vec::new();
    for _ in 0..3 {
        let mut a: Vec<ArgVal> = random_args(rng, &kinds)
            .into_iter()
            .map(ArgVal::Word)
            .collect();
        a.push(ArgVal::Cell);
        a.push(ArgVal::Arr);
        runs.push((false, a));
    }
    Program {
        main,
        bridges: vec![],
        entry: None,
        runs,
    }
}

fn looping(rng: &mut Rng) -> Program {
    let token = fresh_token();
    let mut b = B::new();
    let counter = b.input(Kind::Int);
    let ni = rng.below(5);
    let nf = rng.below(4);
    let ints: Vec<Var> = (0..ni).map(|_| b.input(Kind::Int)).collect();
    let floats: Vec<Var> = (0..nf).map(|_| b.input(Kind::Float)).collect();
    // With heap refs in the loop, bridges cannot jump back (refs never
    // travel through dead frames here), so half the loops go without.
    let use_heap = rng.chance(50);
    let refs: Vec<Var> = if use_heap {
        vec![b.input(Kind::Ref), b.input(Kind::Ref)]
    } else {
        vec![]
    };
    let mut label_args = vec![counter];
    label_args.extend(&ints);
    label_args.extend(&floats);
    label_args.extend(&refs);
    b.label(&label_args, token);
    let mut all_ints = vec![counter];
    all_ints.extend(&ints);
    let mut g = Gen {
        rng,
        b,
        ints: all_ints,
        floats: floats.clone(),
        cell: refs.first().copied(),
        arr: refs.get(1).copied(),
        head: Some(counter),
    };
    // The exit test comes first, so that bridges jumping back to the label
    // (with the counter advanced) are tested too.
    let limit = 1 + g.rng.below(40) as i64;
    let c = g.b.op(IntLt, &[v(counter), ci(limit)]);
    let exit_fail = g.fail_args();
    let exit_guard = g.b.guard(GuardTrue, &[v(c)], &exit_fail);
    let n = 2 + g.rng.below(30);
    for _ in 0..n {
        g.step(true);
    }
    let next = g.b.op(IntAdd, &[v(counter), ci(1)]);
    let mut jargs = vec![v(next)];
    for _ in 0..ni {
        let o = g.int_var();
        jargs.push(o);
    }
    for _ in 0..nf {
        let o = if g.floats.is_empty() {
            cf(0.0)
        } else {
            v(g.rng.pick(&g.floats))
        };
        jargs.push(o);
    }
    jargs.extend(refs.iter().map(|&r| v(r)));
    g.b.jump(&jargs, token);
    let main = g.b.build();

    // Bridges on random guards of the loop: they either finish or go
    // back to the label with the counter advanced (so the loop still
    // terminates through its exit guard).
    let mut bridges = Vec::new();
    let guards: Vec<usize> = main
        .ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.opnum.is_guard())
        .map(|(i, _)| i)
        .collect();
    let nbridges = if rng.chance(60) { rng.below(3) } else { 0 };
    for _ in 0..nbridges {
        let gi = rng.pick(&guards);
        let gop = &main.ops[gi];
        let gid = gop.guard_id().unwrap();
        if bridges.iter().any(|(g, _)| *g == gid) {
            continue;
        }
        let kinds = fail_arg_kinds(&main, gop);
        let mut b = B::new();
        let inputs: Vec<Var> = kinds.iter().map(|&k| b.input(k)).collect();
        let head = inputs[0];
        let mut g = Gen {
            rng,
            b,
            ints: inputs
                .iter()
                .copied()
                .filter(|&x| kinds[x.index()] == Kind::Int)
                .collect(),
            floats: inputs
                .iter()
                .copied()
                .filter(|&x| kinds[x.index()] == Kind::Float)
                .collect(),
            cell: None,
            arr: None,
            head: Some(head),
        };
        for _ in 0..g.rng.below(10) {
            g.step(true);
        }
        // Jump back with the counter advanced, so the loop still ends. Not
        // from the exit guard (its counter is already at the limit) and
        // not when the label needs refs.
        if !use_heap && gid != exit_guard && g.rng.chance(60) {
            let mut jargs = vec![v(g.b.op(IntAdd, &[v(head), ci(1)]))];
            for _ in 0..ni {
                let o = g.int_operand();
                jargs.push(o);
            }
            for _ in 0..nf {
                let o = g.float_operand();
                jargs.push(o);
            }
            g.b.jump(&jargs, token);
        } else {
            let fin = g.fail_args();
            g.b.finish(&fin);
        }
        bridges.push((gid, g.b.build()));
    }

    // Sometimes an entry loop that computes start values and jumps in.
    let entry = if rng.chance(30) {
        let mut b = B::new();
        let x = b.input(Kind::Int);
        let erefs: Vec<Var> = refs.iter().map(|_| b.input(Kind::Ref)).collect();
        let own = fresh_token();
        let mut largs = vec![x];
        largs.extend(&erefs);
        b.label(&largs, own);
        let mut g = Gen {
            rng,
            b,
            ints: vec![x],
            floats: vec![],
            cell: erefs.first().copied(),
            arr: erefs.get(1).copied(),
            head: None,
        };
        for _ in 0..g.rng.below(12) {
            g.step(false);
        }
        let mut jargs = vec![ci(0)];
        for _ in 0..ni {
            let o = g.int_operand();
            jargs.push(o);
        }
        for _ in 0..nf {
            let o = g.float_operand();
            jargs.push(o);
        }
        jargs.extend(erefs.iter().map(|&r| v(r)));
        g.b.jump(&jargs, token);
        Some(g.b.build())
    } else {
        None
    };

    let mut kinds = vec![Kind::Int; ni];
    kinds.extend(vec![Kind::Float; nf]);
    let mut runs = Vec::new();
    for _ in 0..2 {
        let mut a = vec![ArgVal::Word(0)];
        a.extend(random_args(rng, &kinds).into_iter().map(ArgVal::Word));
        if use_heap {
            a.push(ArgVal::Cell);
            a.push(ArgVal::Arr);
        }
        runs.push((false, a));
    }
    if entry.is_some() {
        let mut a = vec![ArgVal::Word(ib(rng.int()))];
        if use_heap {
            a.push(ArgVal::Cell);
            a.push(ArgVal::Arr);
        }
        runs.push((true, a));
    }
    Program {
        main,
        bridges,
        entry,
        runs,
    }
}

/// Kinds of every exit's values, to compare floats NaN-insensitively
/// (NaN payloads of two-NaN operations are not specified).
fn exit_kinds(p: &Program) -> HashMap<GuardId, Vec<Kind>> {
    let mut m = HashMap::new();
    let traces = std::iter::once(&p.main)
        .chain(p.bridges.iter().map(|(_, t)| t))
        .chain(p.entry.iter());
    for t in traces {
        for op in &t.ops {
            if op.opnum.is_guard() {
                m.insert(op.guard_id().unwrap(), fail_arg_kinds(t, op));
            } else if op.opnum == Finish {
                let ks = op.args.iter().map(|o| t.operand_kind(o)).collect();
                m.insert(op.guard_id().unwrap(), ks);
            }
        }
    }
    m
}

/// What a run observed: the dead frame and the heap state after it.
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    frame: DeadFrame,
    cell: Vec<u64>,
    arr: Vec<u64>,
}

fn fresh_heap() -> (GcRef, GcRef) {
    let c = heap::new_struct(&cell::SIZE);
    for (k, d) in CELL_FIELDS.iter().enumerate() {
        heap::setfield(c, d, (k as u64 + 1) * 0x0101_0101_0101);
    }
    let a = heap::new_array(&INT_ARRAY, 8).unwrap();
    for i in 0..8 {
        heap::setarrayitem(a, &INT_ARRAY, i, ib(i * 11 - 20));
    }
    (c, a)
}

fn run_program(be: &mut dyn Backend, p: &Program) -> Vec<Observed> {
    let main = fresh_loop();
    be.compile_loop(main, &p.main)
        .unwrap_or_else(|e| panic!("{}: {e}", be.name()));
    for (g, t) in &p.bridges {
        be.compile_bridge(*g, t)
            .unwrap_or_else(|e| panic!("{}: {e}", be.name()));
    }
    let entry = p.entry.as_ref().map(|t| {
        let id = fresh_loop();
        be.compile_loop(id, t)
            .unwrap_or_else(|e| panic!("{}: {e}", be.name()));
        id
    });
    let mut out = Vec::new();
    for (via_entry, args) in &p.runs {
        let (c, a) = fresh_heap();
        let words: Vec<u64> = args
            .iter()
            .map(|x| match x {
                ArgVal::Word(w) => *w,
                ArgVal::Cell => c.addr() as u64,
                ArgVal::Arr => a.addr() as u64,
            })
            .collect();
        let id = if *via_entry { entry.unwrap() } else { main };
        let frame = be.execute(id, &words);
        out.push(Observed {
            frame,
            cell: CELL_FIELDS.iter().map(|d| heap::getfield(c, d)).collect(),
            arr: (0..8)
                .map(|i| heap::getarrayitem(a, &INT_ARRAY, i))
                .collect(),
        });
    }
    be.free(main);
    if let Some(e) = entry {
        be.free(e);
    }
    out
}

fn same(kinds: &HashMap<GuardId, Vec<Kind>>, x: &Observed, y: &Observed) -> bool {
    if x.frame.guard != y.frame.guard || x.cell.len() != y.cell.len() || x.arr != y.arr {
        return false;
    }
    let nan_eq =
        |a: u64, b: u64| a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan());
    let ks = &kinds[&x.frame.guard];
    x.frame.values.len() == y.frame.values.len()
        && x.frame
            .values
            .iter()
            .zip(&y.frame.values)
            .zip(ks)
            .all(|((a, b), k)| {
                if *k == Kind::Float {
                    nan_eq(*a, *b)
                } else {
                    a == b
                }
            })
        && x.cell
            .iter()
            .zip(&y.cell)
            .zip(CELL_FIELDS)
            .all(|((a, b), d)| {
                if d.kind == Kind::Float {
                    nan_eq(*a, *b)
                } else {
                    a == b
                }
            })
}

fn check_seed(seed: u64, verbose: bool) {
    let mut rng = Rng(seed);
    let p = if seed & 1 == 0 {
        straight_line(&mut rng)
    } else {
        looping(&mut rng)
    };
    let describe = || {
        let mut s = format!("seed {seed}\nmain:\n{}", p.main);
        for (g, t) in &p.bridges {
            s += &format!("bridge on <Guard{}>:\n{t}", g.0);
        }
        if let Some(e) = &p.entry {
            s += &format!("entry:\n{e}");
        }
        s
    };
    if verbose {
        eprintln!("{}", describe());
    }
    let kinds = exit_kinds(&p);
    let mut results = Vec::new();
    for mut be in backends() {
        results.push(run_program(be.as_mut(), &p));
    }
    let (reference, x86) = (&results[0], &results[1]);
    for (i, (r, x)) in reference.iter().zip(x86).enumerate() {
        assert!(
            same(&kinds, r, x),
            "run {i} differs\nllgraph: {r:?}\nx86:     {x:?}\n{}",
            describe()
        );
    }
}

#[test]
fn random_traces_agree_with_llgraph() {
    if let Ok(s) = std::env::var("METATRACE_RANDOM_SEED") {
        check_seed(s.parse().expect("METATRACE_RANDOM_SEED"), true);
        return;
    }
    let n: u64 = std::env::var("METATRACE_RANDOM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    for seed in 0..n {
        if let Err(e) = std::panic::catch_unwind(|| check_seed(seed, false)) {
            eprintln!("failing seed: {seed} (rerun with METATRACE_RANDOM_SEED={seed})");
            std::panic::resume_unwind(e);
        }
    }
}

/// The generator must exercise what it claims to (guards taken, bridges
/// run, calls, loops iterating) or the differential test proves little.
#[test]
fn random_traces_cover_the_interesting_paths() {
    let mut exits_by_guard = 0;
    let mut finishes = 0;
    let mut with_bridges = 0;
    let mut with_entry = 0;
    for seed in 0..400u64 {
        let mut rng = Rng(seed);
        let p = if seed & 1 == 0 {
            straight_line(&mut rng)
        } else {
            looping(&mut rng)
        };
        with_bridges += !p.bridges.is_empty() as u32;
        with_entry += p.entry.is_some() as u32;
        let mut be = metatrace::backend::llgraph::LlGraph::new();
        be.fuel = Some(10_000_000);
        for o in run_program(&mut be, &p) {
            let is_finish = std::iter::once(&p.main)
                .chain(p.bridges.iter().map(|(_, t)| t))
                .flat_map(|t| t.ops.iter())
                .any(|op| op.opnum == Finish && op.guard_id() == Some(o.frame.guard));
            if is_finish {
                finishes += 1
            } else {
                exits_by_guard += 1
            }
        }
    }
    assert!(exits_by_guard > 100, "{exits_by_guard}");
    assert!(finishes > 100, "{finishes}");
    assert!(with_bridges > 30, "{with_bridges}");
    assert!(with_entry > 20, "{with_entry}");
    let _: Option<TargetToken> = None;
}
