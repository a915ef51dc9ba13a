//! Backend conformance: the same cases on the IR interpreter (reference)
//! and the host's native backend (x86-64, or AArch64 under qemu), each compared with values computed here in Rust.

use metatrace::backend::{Backend, DeadFrame};
use metatrace::exc;
use metatrace::heap::{self, GcRef, BYTE_ARRAY, FLOAT_ARRAY, INT_ARRAY, REF_ARRAY};
use metatrace::ir::{ArrayDescr, Descr, Kind, OpNum, Operand, SizeDescr};
use metatrace_tests::*;
use OpNum::*;

// ---------------------------------------------------------------------------
// Integer ops

fn int_ref(o: OpNum, x: i64, y: i64) -> i64 {
    match o {
        IntAdd => x.wrapping_add(y),
        IntSub => x.wrapping_sub(y),
        IntMul => x.wrapping_mul(y),
        IntFloorDiv => {
            if y == 0 {
                0
            } else {
                x.wrapping_div(y)
            }
        }
        IntMod => {
            if y == 0 {
                0
            } else {
                x.wrapping_rem(y)
            }
        }
        IntAnd => x & y,
        IntOr => x | y,
        IntXor => x ^ y,
        IntLshift => ((x as u64) << (y & 63)) as i64,
        IntRshift => x >> (y & 63),
        UintRshift => ((x as u64) >> (y & 63)) as i64,
        IntLt => (x < y) as i64,
        IntLe => (x <= y) as i64,
        IntEq => (x == y) as i64,
        IntNe => (x != y) as i64,
        IntGt => (x > y) as i64,
        IntGe => (x >= y) as i64,
        UintLt => ((x as u64) < (y as u64)) as i64,
        UintLe => ((x as u64) <= (y as u64)) as i64,
        UintGt => ((x as u64) > (y as u64)) as i64,
        UintGe => ((x as u64) >= (y as u64)) as i64,
        PtrEq => (x == y) as i64,
        PtrNe => (x != y) as i64,
        _ => unreachable!(),
    }
}

/// Every binary int op on (var, var), (var, const), (const, var) and
/// (const, const), over all pairs of edge values.
#[test]
fn int_binops_edge_cases() {
    for &o in INT_BINOPS {
        let mut b = B::new();
        let x = b.input(Kind::Int);
        let y = b.input(Kind::Int);
        let r = b.op(o, &[v(x), v(y)]);
        let g = b.finish(&[v(r)]);
        let trace = b.build();
        let args: Vec<Vec<u64>> = EDGE_INTS
            .iter()
            .flat_map(|&p| EDGE_INTS.iter().map(move |&q| vec![ib(p), ib(q)]))
            .collect();
        let frames = run_all(&trace, &args);
        for (a, f) in args.iter().zip(&frames) {
            let want = int_ref(o, a[0] as i64, a[1] as i64);
            assert_eq!(
                f,
                &DeadFrame {
                    guard: g,
                    values: vec![ib(want)]
                },
                "{} {a:?}",
                o.name()
            );
        }
        // Constant operands, one trace per constant (immediate forms).
        for &c in EDGE_INTS {
            let mut b = B::new();
            let x = b.input(Kind::Int);
            let r1 = b.op(o, &[v(x), ci(c)]);
            let r2 = b.op(o, &[ci(c), v(x)]);
            let r3 = b.op(o, &[ci(c), ci(c ^ 5)]);
            let r4 = b.op(o, &[v(x), v(x)]);
            b.finish(&[v(r1), v(r2), v(r3), v(r4)]);
            let trace = b.build();
            let args: Vec<Vec<u64>> = EDGE_INTS.iter().map(|&p| vec![ib(p)]).collect();
            let frames = run_all(&trace, &args);
            for (a, f) in args.iter().zip(&frames) {
                let p = a[0] as i64;
                let want = vec![
                    ib(int_ref(o, p, c)),
                    ib(int_ref(o, c, p)),
                    ib(int_ref(o, c, c ^ 5)),
                    ib(int_ref(o, p, p)),
                ];
                assert_eq!(f.values, want, "{} x={p} c={c}", o.name());
            }
        }
    }
}

#[test]
fn int_unary_ops() {
    let mut b = B::new();
    let x = b.input(Kind::Int);
    let n = b.op(IntNeg, &[v(x)]);
    let i = b.op(IntInvert, &[v(x)]);
    let t = b.op(IntIsTrue, &[v(x)]);
    let z = b.op(IntIsZero, &[v(x)]);
    let s = b.op(SameAsI, &[v(x)]);
    let e = b.op(EscapeI, &[v(x)]);
    b.finish(&[v(n), v(i), v(t), v(z), v(s), v(e), v(x)]);
    let trace = b.build();
    let args: Vec<Vec<u64>> = EDGE_INTS.iter().map(|&p| vec![ib(p)]).collect();
    for (a, f) in args.iter().zip(run_all(&trace, &args)) {
        let p = a[0] as i64;
        assert_eq!(
            f.values,
            vec![
                ib(p.wrapping_neg()),
                ib(!p),
                (p != 0) as u64,
                (p == 0) as u64,
                ib(p),
                ib(p),
                ib(p)
            ]
        );
    }
}

/// Comparisons fused into guard_true / guard_false, both directions.
#[test]
fn fused_compare_guards() {
    let cmps = [
        IntLt, IntLe, IntEq, IntNe, IntGt, IntGe, UintLt, UintLe, UintGt, UintGe, PtrEq, PtrNe,
    ];
    for &o in &cmps {
        for want_true in [true, false] {
            for konst in [None, Some(7i64), Some(-1)] {
                let mut b = B::new();
                let k = if matches!(o, PtrEq | PtrNe) {
                    Kind::Ref
                } else {
                    Kind::Int
                };
                let x = b.input(k);
                let y = b.input(k);
                let konst = if k == Kind::Ref {
                    konst.map(|_| 0)
                } else {
                    konst
                };
                let rhs = match konst {
                    Some(c) if k == Kind::Ref => cp(c as usize),
                    Some(c) => ci(c),
                    None => v(y),
                };
                let c = b.op(o, &[v(x), rhs]);
                let gop = if want_true { GuardTrue } else { GuardFalse };
                let g = b.guard(gop, &[v(c)], &[v(x), v(y)]);
                let done = b.finish(&[ci(1)]);
                let trace = b.build();
                let args: Vec<Vec<u64>> = [-8i64, -1, 0, 7, 8, i64::MIN, i64::MAX]
                    .iter()
                    .flat_map(|&p| {
                        [-1i64, 7, 0, i64::MIN]
                            .iter()
                            .map(move |&q| vec![ib(p), ib(q)])
                    })
                    .collect();
                for (a, f) in args.iter().zip(run_all(&trace, &args)) {
                    let yv = konst.unwrap_or(a[1] as i64);
                    let holds = int_ref(o, a[0] as i64, yv) != 0;
                    if holds == want_true {
                        assert_eq!(f.guard, done);
                    } else {
                        assert_eq!(
                            f,
                            DeadFrame {
                                guard: g,
                                values: a.clone()
                            }
                        );
                    }
                }
            }
        }
    }
}

/// A comparison whose result is also a fail arg is not fused but must
/// still be right; so is int_is_true/int_is_zero feeding a guard.
#[test]
fn unfused_compare_guards() {
    let mut b = B::new();
    let x = b.input(Kind::Int);
    let c = b.op(IntGt, &[v(x), ci(10)]);
    let g1 = b.guard(GuardTrue, &[v(c)], &[v(c), v(x)]);
    let z = b.op(IntIsZero, &[v(x)]);
    let g2 = b.guard(GuardFalse, &[v(z)], &[v(x)]);
    let t = b.op(IntIsTrue, &[v(x)]);
    let g3 = b.guard(GuardTrue, &[v(t)], &[]);
    let done = b.finish(&[v(c), v(z), v(t)]);
    let trace = b.build();
    let frames = run_all(&trace, &[vec![5], vec![11]]);
    assert_eq!(
        frames[0],
        DeadFrame {
            guard: g1,
            values: vec![0, 5]
        }
    );
    assert_eq!(
        frames[1],
        DeadFrame {
            guard: done,
            values: vec![1, 0, 1]
        }
    );
    let _ = (g2, g3);
}

// ---------------------------------------------------------------------------
// Overflow

#[test]
fn overflow_ops_and_guards() {
    type Reference = fn(i64, i64) -> (i64, bool);
    let cases: &[(OpNum, Reference)] = &[
        (IntAddOvf, i64::overflowing_add),
        (IntSubOvf, i64::overflowing_sub),
        (IntMulOvf, i64::overflowing_mul),
    ];
    for &(o, f) in cases {
        for want_ovf in [false, true] {
            {
                let mut b = B::new();
                let x = b.input(Kind::Int);
                let y = b.input(Kind::Int);
                let r = b.op(o, &[v(x), v(y)]);
                let gop = if want_ovf {
                    GuardOverflow
                } else {
                    GuardNoOverflow
                };
                let g = b.guard(gop, &[], &[v(x), v(y), v(r)]);
                let done = b.finish(&[v(r)]);
                let trace = b.build();
                let args: Vec<Vec<u64>> = EDGE_INTS
                    .iter()
                    .flat_map(|&p| EDGE_INTS.iter().map(move |&q| vec![ib(p), ib(q)]))
                    .collect();
                for (a, fr) in args.iter().zip(run_all(&trace, &args)) {
                    let (res, ovf) = f(a[0] as i64, a[1] as i64);
                    if ovf == want_ovf {
                        assert_eq!(
                            fr,
                            DeadFrame {
                                guard: done,
                                values: vec![ib(res)]
                            }
                        );
                    } else {
                        assert_eq!(
                            fr,
                            DeadFrame {
                                guard: g,
                                values: vec![a[0], a[1], ib(res)]
                            }
                        );
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Floats

fn float_ref(o: OpNum, x: f64, y: f64) -> u64 {
    match o {
        FloatAdd => fb(x + y),
        FloatSub => fb(x - y),
        FloatMul => fb(x * y),
        FloatTrueDiv => fb(x / y),
        FloatLt => (x < y) as u64,
        FloatLe => (x <= y) as u64,
        FloatEq => (x == y) as u64,
        FloatNe => (x != y) as u64,
        FloatGt => (x > y) as u64,
        FloatGe => (x >= y) as u64,
        _ => unreachable!(),
    }
}

fn same_float_result(a: u64, b: u64) -> bool {
    a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
}

#[test]
fn float_binops_and_compares() {
    let ops = [
        FloatAdd,
        FloatSub,
        FloatMul,
        FloatTrueDiv,
        FloatLt,
        FloatLe,
        FloatEq,
        FloatNe,
        FloatGt,
        FloatGe,
    ];
    for &o in &ops {
        let mut b = B::new();
        let x = b.input(Kind::Float);
        let y = b.input(Kind::Float);
        let r1 = b.op(o, &[v(x), v(y)]);
        let r2 = b.op(o, &[v(x), cf(1.5)]);
        let r3 = b.op(o, &[cf(-2.5), v(y)]);
        let r4 = b.op(o, &[v(x), v(x)]);
        b.finish(&[v(r1), v(r2), v(r3), v(r4)]);
        let trace = b.build();
        let args: Vec<Vec<u64>> = EDGE_FLOATS
            .iter()
            .flat_map(|&p| EDGE_FLOATS.iter().map(move |&q| vec![fb(p), fb(q)]))
            .collect();
        for (a, f) in args.iter().zip(run_all(&trace, &args)) {
            let (p, q) = (f64::from_bits(a[0]), f64::from_bits(a[1]));
            let want = [
                float_ref(o, p, q),
                float_ref(o, p, 1.5),
                float_ref(o, -2.5, q),
                float_ref(o, p, p),
            ];
            for (got, want) in f.values.iter().zip(want) {
                assert!(
                    same_float_result(*got, want),
                    "{} {p} {q}: {got:#x} vs {want:#x}",
                    o.name()
                );
            }
        }
    }
}

#[test]
fn float_compare_guards_with_nan() {
    for &o in &[FloatLt, FloatLe, FloatGt, FloatGe, FloatEq, FloatNe] {
        for want_true in [true, false] {
            let mut b = B::new();
            let x = b.input(Kind::Float);
            let y = b.input(Kind::Float);
            let c = b.op(o, &[v(x), v(y)]);
            let g = b.guard(
                if want_true { GuardTrue } else { GuardFalse },
                &[v(c)],
                &[v(y), v(x)],
            );
            let done = b.finish(&[]);
            let trace = b.build();
            let vals = [0.0, -0.0, 1.0, -1.0, f64::NAN, f64::INFINITY];
            let args: Vec<Vec<u64>> = vals
                .iter()
                .flat_map(|&p| vals.iter().map(move |&q| vec![fb(p), fb(q)]))
                .collect();
            for (a, f) in args.iter().zip(run_all(&trace, &args)) {
                let holds = float_ref(o, f64::from_bits(a[0]), f64::from_bits(a[1])) != 0;
                if holds == want_true {
                    assert_eq!(f.guard, done, "{} {a:?}", o.name());
                } else {
                    assert_eq!(
                        f,
                        DeadFrame {
                            guard: g,
                            values: vec![a[1], a[0]]
                        }
                    );
                }
            }
        }
    }
}

#[test]
fn float_unary_and_casts() {
    let mut b = B::new();
    let x = b.input(Kind::Float);
    let n = b.op(FloatNeg, &[v(x)]);
    let a = b.op(FloatAbs, &[v(x)]);
    let c = b.op(CastFloatToInt, &[v(x)]);
    let s = b.op(SameAsF, &[v(x)]);
    let e = b.op(EscapeF, &[v(x)]);
    let k = b.op(CastFloatToInt, &[cf(-7.9)]);
    b.finish(&[v(n), v(a), v(c), v(s), v(e), v(k)]);
    let trace = b.build();
    let args: Vec<Vec<u64>> = EDGE_FLOATS.iter().map(|&p| vec![fb(p)]).collect();
    for (arg, f) in args.iter().zip(run_all(&trace, &args)) {
        let p = f64::from_bits(arg[0]);
        assert_eq!(
            f.values,
            vec![fb(-p), fb(p.abs()), ib(p as i64), arg[0], arg[0], ib(-7)],
            "{p}"
        );
    }

    let mut b = B::new();
    let x = b.input(Kind::Int);
    let f = b.op(CastIntToFloat, &[v(x)]);
    let k = b.op(CastIntToFloat, &[ci(i64::MIN)]);
    b.finish(&[v(f), v(k)]);
    let trace = b.build();
    let args: Vec<Vec<u64>> = EDGE_INTS.iter().map(|&p| vec![ib(p)]).collect();
    for (arg, f) in args.iter().zip(run_all(&trace, &args)) {
        assert_eq!(
            f.values,
            vec![fb(arg[0] as i64 as f64), fb(i64::MIN as f64)]
        );
    }
}

// ---------------------------------------------------------------------------
// Heap objects

metatrace::gc_struct! {
    /// Every field size and signedness the heap supports.
    pub struct Obj as obj {
        a: i64,
        b: u8,
        c: i8,
        d: i16,
        e: u16,
        f: i32,
        g: u32,
        h: f64,
        r: GcRef,
        #[immutable]
        k: i64,
    }
}

metatrace::gc_struct! {
    /// A second type, for guard_class failures.
    pub struct Other as other {
        x: i64,
    }
}

fn new_obj() -> GcRef {
    heap::new_struct(&obj::SIZE)
}

/// (field, stored bits, bits read back)
fn field_cases() -> Vec<(&'static metatrace::ir::FieldDescr, u64, u64)> {
    vec![
        (&obj::a, ib(-5), ib(-5)),
        (&obj::b, 0x1ff, 0xff),
        (&obj::c, 0x80, ib(-128)),
        (&obj::d, 0x1_8001, ib(-32767)),
        (&obj::e, 0xffff_ffff, 0xffff),
        (&obj::f, 0x8000_0000, ib(i32::MIN as i64)),
        (&obj::g, ib(-1), 0xffff_ffff),
        (&obj::h, fb(-2.5), fb(-2.5)),
        (&obj::k, ib(i64::MIN), ib(i64::MIN)),
    ]
}

fn getfield_op(d: &metatrace::ir::FieldDescr) -> OpNum {
    OpNum::getfield_for(d.kind, d.immutable)
}

#[test]
fn setfield_then_getfield_every_size() {
    for (d, stored, read) in field_cases() {
        for konst in [false, true] {
            let got = on_all_backends(|be: &mut dyn Backend| {
                let o = new_obj();
                let mut b = B::new();
                let p = b.input(Kind::Ref);
                let x = b.input(d.kind);
                let val = if konst {
                    Operand::from_bits(d.kind, stored)
                } else {
                    v(x)
                };
                b.op_d(SetfieldGc, &[v(p), val], Descr::Field(d));
                let r = b.op_d(getfield_op(d), &[v(p)], Descr::Field(d)).unwrap();
                // Also through a constant pointer.
                let r2 = b
                    .op_d(getfield_op(d), &[cp(o.addr())], Descr::Field(d))
                    .unwrap();
                b.finish(&[v(r), v(r2)]);
                let f = run_once(be, &b.build(), &[o.addr() as u64, stored]);
                (f.values, heap::getfield(o, d))
            });
            assert_eq!(got, (vec![read, read], read), "{}", d.name);
        }
    }
}

#[test]
fn ref_fields_and_raw_fields() {
    let got = on_all_backends(|be: &mut dyn Backend| {
        let o = new_obj();
        let q = new_obj();
        heap::setfield(q, &obj::a, 99);
        let mut b = B::new();
        let p = b.input(Kind::Ref);
        let p2 = b.input(Kind::Ref);
        b.op_d(SetfieldGc, &[v(p), v(p2)], Descr::Field(&obj::r));
        let r = b.op_d(GetfieldGcR, &[v(p)], Descr::Field(&obj::r)).unwrap();
        let a = b.op_d(GetfieldGcI, &[v(r)], Descr::Field(&obj::a)).unwrap();
        // Raw access: the same memory through an integer address.
        let addr = b.input(Kind::Int);
        b.op_d(SetfieldRaw, &[v(addr), ci(-3)], Descr::Field(&obj::f));
        let raw = b
            .op_d(GetfieldRawI, &[v(addr)], Descr::Field(&obj::f))
            .unwrap();
        let rawf = b
            .op_d(GetfieldRawF, &[v(addr)], Descr::Field(&obj::h))
            .unwrap();
        b.finish(&[v(a), v(raw), v(rawf)]);
        heap::setfield(o, &obj::h, fb(0.25));
        let f = run_once(
            be,
            &b.build(),
            &[o.addr() as u64, q.addr() as u64, o.addr() as u64],
        );
        (f.values, heap::getfield(o, &obj::r) == q.addr() as u64)
    });
    assert_eq!(got, (vec![99, ib(-3), fb(0.25)], true));
}

static I16_ARRAY: ArrayDescr = ArrayDescr::new("I16Array", 77, 8, 16, 2, true, Kind::Int);
static U32_ARRAY: ArrayDescr = ArrayDescr::new("U32Array", 78, 8, 16, 4, false, Kind::Int);

#[test]
fn arrays_of_every_item_size() {
    let cases: &[(&'static ArrayDescr, u64, u64)] = &[
        (&INT_ARRAY, ib(i64::MIN), ib(i64::MIN)),
        (&BYTE_ARRAY, 0x1fe, 0xfe),
        (&I16_ARRAY, 0xfffe, ib(-2)),
        (&U32_ARRAY, ib(-1), 0xffff_ffff),
        (&FLOAT_ARRAY, fb(-0.0), fb(-0.0)),
    ];
    for &(d, stored, read) in cases {
        let got = on_all_backends(|be: &mut dyn Backend| {
            let mut b = B::new();
            let n = b.input(Kind::Int);
            let i = b.input(Kind::Int);
            let x = b.input(d.kind);
            let arr = b.op_d(NewArray, &[v(n)], Descr::Array(d)).unwrap();
            let len = b.op_d(ArraylenGc, &[v(arr)], Descr::Array(d)).unwrap();
            b.op_d(SetarrayitemGc, &[v(arr), v(i), v(x)], Descr::Array(d));
            b.op_d(SetarrayitemGc, &[v(arr), ci(0), v(x)], Descr::Array(d));
            let get = OpNum::getarrayitem_for(d.kind);
            let r1 = b.op_d(get, &[v(arr), v(i)], Descr::Array(d)).unwrap();
            let r2 = b.op_d(get, &[v(arr), ci(0)], Descr::Array(d)).unwrap();
            let r3 = b.op_d(get, &[v(arr), ci(1)], Descr::Array(d)).unwrap();
            b.finish(&[v(len), v(r1), v(r2), v(r3), v(arr)]);
            let f = run_once(be, &b.build(), &[5, 3, stored]);
            // Check the array through the heap API too.
            let arr_ref = heap_ref(f.values[4] as usize);
            let tid = arr_ref.tid();
            (f.values[..4].to_vec(), tid, heap::arraylen(arr_ref, d))
        });
        assert_eq!(got, (vec![5, read, read, 0], d.tid, 5), "{}", d.name);
    }
}

#[test]
fn ref_arrays_and_allocation() {
    static SIZE: &SizeDescr = &obj::SIZE;
    let got = on_all_backends(|be: &mut dyn Backend| {
        let mut b = B::new();
        let arr = b
            .op_d(NewArrayClear, &[ci(4)], Descr::Array(&REF_ARRAY))
            .unwrap();
        let o = b.op_d(New, &[], Descr::Size(SIZE)).unwrap();
        let o2 = b
            .op_d(NewWithVtable, &[], Descr::Size(&other::SIZE))
            .unwrap();
        b.op_d(SetfieldGc, &[v(o), ci(41)], Descr::Field(&obj::a));
        b.op_d(
            SetarrayitemGc,
            &[v(arr), ci(2), v(o)],
            Descr::Array(&REF_ARRAY),
        );
        let back = b
            .op_d(GetarrayitemGcR, &[v(arr), ci(2)], Descr::Array(&REF_ARRAY))
            .unwrap();
        let a = b
            .op_d(GetfieldGcI, &[v(back)], Descr::Field(&obj::a))
            .unwrap();
        let null = b
            .op_d(GetarrayitemGcR, &[v(arr), ci(3)], Descr::Array(&REF_ARRAY))
            .unwrap();
        let g = b.guard(GuardClass, &[v(o2), ci(other::SIZE.tid as i64)], &[]);
        let bad = b
            .op_d(NewArray, &[ci(-1)], Descr::Array(&INT_ARRAY))
            .unwrap();
        b.finish(&[v(a), v(null), v(bad)]);
        let _ = g;
        run_once(be, &b.build(), &[]).values
    });
    assert_eq!(got, vec![41, 0, 0]);
}

fn heap_ref(a: usize) -> GcRef {
    // SAFETY: callers pass addresses of heap objects (allocated by a trace
    // or by the test itself).
    unsafe { GcRef::from_addr(a) }
}

// ---------------------------------------------------------------------------
// Guards

#[test]
fn guard_class_and_null_guards() {
    let o = new_obj();
    let q = heap::new_struct(&other::SIZE);
    for gop in [GuardClass, GuardNonnullClass] {
        let mut b = B::new();
        let p = b.input(Kind::Ref);
        let x = b.input(Kind::Float);
        let g = b.guard(
            gop,
            &[v(p), ci(obj::SIZE.tid as i64)],
            &[v(x), v(p), ci(5), cf(1.5)],
        );
        let done = b.finish(&[v(p)]);
        let trace = b.build();
        let mut args = vec![
            vec![o.addr() as u64, fb(2.0)],
            vec![q.addr() as u64, fb(-0.0)],
        ];
        if gop == GuardNonnullClass {
            args.push(vec![0, fb(f64::NAN)]);
        }
        let frames = run_all(&trace, &args);
        assert_eq!(
            frames[0],
            DeadFrame {
                guard: done,
                values: vec![o.addr() as u64]
            }
        );
        for (a, f) in args[1..].iter().zip(&frames[1..]) {
            assert_eq!(
                f,
                &DeadFrame {
                    guard: g,
                    values: vec![a[1], a[0], 5, fb(1.5)]
                }
            );
        }
    }
    let mut b = B::new();
    let p = b.input(Kind::Ref);
    let g1 = b.guard(GuardNonnull, &[v(p)], &[v(p)]);
    let g2 = b.guard(GuardIsnull, &[v(p)], &[v(p)]);
    b.finish(&[]);
    let frames = run_all(&b.build(), &[vec![0], vec![o.addr() as u64]]);
    assert_eq!(
        frames[0],
        DeadFrame {
            guard: g1,
            values: vec![0]
        }
    );
    assert_eq!(
        frames[1],
        DeadFrame {
            guard: g2,
            values: vec![o.addr() as u64]
        }
    );
}

#[test]
fn guard_value_of_every_kind() {
    let o = new_obj();
    let mut b = B::new();
    let i = b.input(Kind::Int);
    let f = b.input(Kind::Float);
    let p = b.input(Kind::Ref);
    let g1 = b.guard(GuardValue, &[v(i), ci(i64::MIN)], &[v(i)]);
    let g2 = b.guard(GuardValue, &[v(f), cf(-0.0)], &[v(f)]);
    let g3 = b.guard(GuardValue, &[v(p), cp(o.addr())], &[v(p)]);
    let g4 = b.guard(GuardValue, &[v(i), ci(i64::MIN)], &[]);
    let done = b.finish(&[v(i), v(f), v(p)]);
    let trace = b.build();
    let ok = vec![ib(i64::MIN), fb(-0.0), o.addr() as u64];
    let frames = run_all(
        &trace,
        &[
            ok.clone(),
            vec![0, fb(-0.0), o.addr() as u64],
            // +0.0 == -0.0 as floats, but guard_value compares bits.
            vec![ib(i64::MIN), fb(0.0), o.addr() as u64],
            vec![ib(i64::MIN), fb(-0.0), 0],
        ],
    );
    assert_eq!(
        frames[0],
        DeadFrame {
            guard: done,
            values: ok
        }
    );
    assert_eq!(frames[1].guard, g1);
    assert_eq!(
        frames[2],
        DeadFrame {
            guard: g2,
            values: vec![fb(0.0)]
        }
    );
    assert_eq!(
        frames[3],
        DeadFrame {
            guard: g3,
            values: vec![0]
        }
    );
    let _ = g4;
}

#[test]
fn guards_on_constants() {
    let mut b = B::new();
    let x = b.input(Kind::Int);
    b.guard(GuardTrue, &[ci(1)], &[v(x)]);
    b.guard(GuardFalse, &[ci(0)], &[v(x)]);
    b.guard(GuardValue, &[ci(3), ci(3)], &[]);
    let g = b.guard(GuardTrue, &[ci(0)], &[v(x), ci(-1), cf(f64::INFINITY)]);
    b.finish(&[]);
    let frames = run_all(&b.build(), &[vec![42]]);
    assert_eq!(
        frames[0],
        DeadFrame {
            guard: g,
            values: vec![42, ib(-1), fb(f64::INFINITY)]
        }
    );
}

extern "C" fn maybe_raise(x: i64) -> i64 {
    if x < 0 {
        exc::raise(heap::new_struct(&other::SIZE));
    }
    x * 2
}

fn maybe_raise_invoke(a: &[u64]) -> u64 {
    maybe_raise(a[0] as i64) as u64
}

#[test]
fn guard_no_exception_after_call() {
    let d = leak_call(
        "maybe_raise",
        maybe_raise as *const () as usize,
        &[Kind::Int],
        Kind::Int,
        maybe_raise_invoke,
    );
    let mut b = B::new();
    let x = b.input(Kind::Int);
    let r = b
        .op_d(CallI, &[ci(d.addr as i64), v(x)], Descr::Call(d))
        .unwrap();
    let g = b.guard(GuardNoException, &[], &[v(x), v(r)]);
    let done = b.finish(&[v(r)]);
    let trace = b.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        let ok = run_once(be, &trace, &[21]);
        let bad = run_once(be, &trace, &[ib(-4)]);
        let raised = exc::take().is_some();
        (ok, bad, raised)
    });
    assert_eq!(
        got,
        (
            DeadFrame {
                guard: done,
                values: vec![42]
            },
            DeadFrame {
                guard: g,
                values: vec![ib(-4), ib(-8)]
            },
            true
        )
    );
}

// ---------------------------------------------------------------------------
// Loops, bridges, jumps

/// `sum = 0; while n > 0 { sum += n; n -= 1 }` with the exit as a guard.
fn sum_loop() -> (
    metatrace::ir::Trace,
    metatrace::ir::GuardId,
    metatrace::ir::TargetToken,
) {
    let t = fresh_token();
    let mut b = B::new();
    let n = b.input(Kind::Int);
    let s = b.input(Kind::Int);
    b.label(&[n, s], t);
    let s2 = b.op(IntAdd, &[v(s), v(n)]);
    let n2 = b.op(IntSub, &[v(n), ci(1)]);
    let c = b.op(IntGt, &[v(n2), ci(0)]);
    let g = b.guard(GuardTrue, &[v(c)], &[v(n2), v(s2)]);
    b.jump(&[v(n2), v(s2)], t);
    (b.build(), g, t)
}

#[test]
fn counting_loop_and_bridge() {
    let (trace, g, t) = sum_loop();
    // Bridge on g: when n reaches 0, restart with n = s % 7 + 1 (jumping
    // back into the loop) while s < 6000, then exit through g2.
    let mut b = B::new();
    let n = b.input(Kind::Int);
    let s = b.input(Kind::Int);
    let m = b.op(IntMod, &[v(s), ci(7)]);
    let m1 = b.op(IntAdd, &[v(m), ci(1)]);
    let c = b.op(IntLt, &[v(s), ci(6000)]);
    let g2 = b.guard(GuardTrue, &[v(c)], &[v(s), v(n)]);
    b.jump(&[v(m1), v(s)], t);
    let bridge1 = b.build();
    // A bridge on the bridge's guard.
    let mut b = B::new();
    let s = b.input(Kind::Int);
    let _n = b.input(Kind::Int);
    let d = b.op(IntMul, &[v(s), ci(2)]);
    let fin = b.finish(&[v(d)]);
    let bridge2 = b.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        let id = fresh_loop();
        be.compile_loop(id, &trace).unwrap();
        let before = be.execute(id, &[100, 0]);
        be.compile_bridge(g, &bridge1).unwrap();
        let after = be.execute(id, &[100, 0]);
        be.compile_bridge(g2, &bridge2).unwrap();
        let after2 = be.execute(id, &[100, 0]);
        let again = be.execute(id, &[3, 4]);
        be.free(id);
        (before, after, after2, again)
    });
    let (before, after, after2, again) = got;
    assert_eq!(
        before,
        DeadFrame {
            guard: g,
            values: vec![0, 5050]
        }
    );
    let sim = |n: i64, s: i64| {
        let mut s = s + n * (n + 1) / 2;
        while s < 6000 {
            let m = s % 7 + 1;
            s += m * (m + 1) / 2;
        }
        s
    };
    let s = sim(100, 0);
    assert_eq!(
        after,
        DeadFrame {
            guard: g2,
            values: vec![ib(s), 0]
        }
    );
    assert_eq!(
        after2,
        DeadFrame {
            guard: fin,
            values: vec![ib(2 * s)]
        }
    );
    assert_eq!(
        again,
        DeadFrame {
            guard: fin,
            values: vec![ib(2 * sim(3, 4))]
        }
    );
}

#[test]
fn jump_into_another_loop() {
    let (trace_a, g, t) = sum_loop();
    // Loop B has its own label and many values, then enters A.
    let tb = fresh_token();
    let mut b = B::new();
    let k = b.input(Kind::Int);
    let f = b.input(Kind::Float);
    b.label(&[k, f], tb);
    let f2 = b.op(FloatMul, &[v(f), cf(2.0)]);
    let mut xs = Vec::new();
    for j in 0..20 {
        xs.push(b.op(IntMul, &[v(k), ci(j)]));
    }
    let mut acc = xs[0];
    for &x in &xs[1..] {
        acc = b.op(IntAdd, &[v(acc), v(x)]);
    }
    let big = b.op(FloatGt, &[v(f2), cf(1000.0)]);
    let gb = b.guard(GuardFalse, &[v(big)], &[v(acc), v(f2)]);
    let n = b.op(IntAdd, &[v(k), ci(0)]);
    b.jump(&[v(n), v(acc)], t);
    let trace_b = b.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        let a = fresh_loop();
        be.compile_loop(a, &trace_a).unwrap();
        let bid = fresh_loop();
        be.compile_loop(bid, &trace_b).unwrap();
        let r = be.execute(bid, &[10, fb(1.0)]);
        let r2 = be.execute(bid, &[10, fb(999.0)]);
        (r, r2)
    });
    // acc = 10 * (0 + 1 + ... + 19) = 1900; then the sum loop adds 55.
    assert_eq!(
        got.0,
        DeadFrame {
            guard: g,
            values: vec![0, 1955]
        }
    );
    assert_eq!(
        got.1,
        DeadFrame {
            guard: gb,
            values: vec![1900, fb(1998.0)]
        }
    );
}

#[test]
fn loop_with_more_live_values_than_registers() {
    let t = fresh_token();
    let mut b = B::new();
    let n = b.input(Kind::Int);
    let mut ints = vec![];
    let mut floats = vec![];
    for _ in 0..20 {
        ints.push(b.input(Kind::Int));
    }
    for _ in 0..20 {
        floats.push(b.input(Kind::Float));
    }
    let mut all = vec![n];
    all.extend(&ints);
    all.extend(&floats);
    b.label(&all, t);
    // Rotate the values so each iteration permutes every location.
    let mut next_i: Vec<Operand> = vec![];
    for k in 0..20 {
        next_i.push(v(b.op(IntAdd, &[v(ints[(k + 1) % 20]), ci(k as i64)])));
    }
    let mut next_f: Vec<Operand> = vec![];
    for k in 0..20 {
        next_f.push(v(b.op(FloatAdd, &[v(floats[(k + 3) % 20]), cf(0.5)])));
    }
    let n2 = b.op(IntSub, &[v(n), ci(1)]);
    let c = b.op(IntGe, &[v(n2), ci(0)]);
    let mut fail = vec![v(n2)];
    fail.extend(next_i.iter().copied());
    fail.extend(next_f.iter().copied());
    b.guard(GuardTrue, &[v(c)], &fail);
    let mut jargs = vec![v(n2)];
    // Swap two args to force a cycle in the parallel move.
    next_i.swap(0, 1);
    next_f.swap(0, 1);
    jargs.extend(next_i);
    jargs.extend(next_f);
    b.jump(&jargs, t);
    let trace = b.build();
    let mut args = vec![37];
    args.extend((0..20).map(|k| ib(k * 3)));
    args.extend((0..20).map(|k| fb(k as f64)));
    run_all(&trace, &[args]);
}

// ---------------------------------------------------------------------------
// Invalidation

#[test]
fn invalidation_of_loops_and_bridges() {
    let mut b = B::new();
    let x = b.input(Kind::Int);
    let c = b.op(IntLt, &[v(x), ci(10)]);
    let g2 = b.guard(GuardTrue, &[v(c)], &[v(x)]);
    let g1 = b.guard(GuardNotInvalidated, &[], &[v(x)]);
    let fin = b.finish(&[v(x)]);
    let main = b.build();
    let mut br = B::new();
    let y = br.input(Kind::Int);
    let y2 = br.op(IntAdd, &[v(y), ci(1)]);
    let g3 = br.guard(GuardNotInvalidated, &[], &[v(y2)]);
    let fin2 = br.finish(&[v(y2)]);
    let bridge = br.build();
    let mut b = B::new();
    let z = b.input(Kind::Int);
    b.guard(GuardNotInvalidated, &[], &[]);
    let fin3 = b.finish(&[v(z)]);
    let other_trace = b.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        let id = fresh_loop();
        be.compile_loop(id, &main).unwrap();
        be.compile_bridge(g2, &bridge).unwrap();
        let r = [be.execute(id, &[3]), be.execute(id, &[30])];
        // Another loop must not be affected.
        let other = fresh_loop();
        be.compile_loop(other, &other_trace).unwrap();
        be.invalidate(id);
        let s = [
            be.execute(id, &[3]),
            be.execute(other, &[7]),
            be.execute(id, &[30]),
        ];
        (r, s)
    });
    let (r, s) = got;
    assert_eq!(
        r[0],
        DeadFrame {
            guard: fin,
            values: vec![3]
        }
    );
    assert_eq!(
        r[1],
        DeadFrame {
            guard: fin2,
            values: vec![31]
        }
    );
    assert_eq!(
        s[0],
        DeadFrame {
            guard: g1,
            values: vec![3]
        }
    );
    assert_eq!(
        s[1],
        DeadFrame {
            guard: fin3,
            values: vec![7]
        }
    );
    // The bridge tests the owning loop's flag too.
    assert_eq!(
        s[2],
        DeadFrame {
            guard: g3,
            values: vec![31]
        }
    );
}

thread_local! {
    static INVALIDATOR: std::cell::RefCell<Option<metatrace_tests::Invalidator>> =
        const { std::cell::RefCell::new(None) };
}

extern "C" fn invalidate_now(x: i64) -> i64 {
    if x == 5 {
        INVALIDATOR.with(|i| i.borrow().as_ref().unwrap().invalidate());
    }
    x
}

fn invalidate_now_invoke(a: &[u64]) -> u64 {
    invalidate_now(a[0] as i64) as u64
}

/// x86 only (llgraph cannot be reached from inside a run): a residual call
/// invalidates the loop that is running; its next guard_not_invalidated
/// must fail.
#[test]
fn invalidation_while_running() {
    let d = leak_call(
        "invalidate_now",
        invalidate_now as *const () as usize,
        &[Kind::Int],
        Kind::Int,
        invalidate_now_invoke,
    );
    let t = fresh_token();
    let mut b = B::new();
    let i = b.input(Kind::Int);
    b.label(&[i], t);
    let g = b.guard(GuardNotInvalidated, &[], &[v(i)]);
    let r = b
        .op_d(CallI, &[ci(d.addr as i64), v(i)], Descr::Call(d))
        .unwrap();
    let i2 = b.op(IntAdd, &[v(r), ci(1)]);
    b.jump(&[v(i2)], t);
    let be = NativeBackend::new();
    let id = fresh_loop();
    be.compile_loop(id, &b.build()).unwrap();
    INVALIDATOR.with(|x| *x.borrow_mut() = be.invalidator(id));
    let f = be.execute(id, &[0]);
    assert_eq!(
        f,
        DeadFrame {
            guard: g,
            values: vec![6]
        }
    );
}

// ---------------------------------------------------------------------------
// Odds and ends

#[test]
fn no_code_ops_and_escapes() {
    let o = new_obj();
    let mut b = B::new();
    let p = b.input(Kind::Ref);
    let x = b.input(Kind::Int);
    b.t.push(DebugMergePoint, &[ci(0)], None);
    b.t.ops.last_mut().unwrap().comment = Some("loc".into());
    b.op_d(QuasiimmutField, &[v(p)], Descr::Field(&obj::k));
    b.void(EscapeN, &[v(x), v(p)]);
    let e = b.op(EscapeR, &[v(p)]);
    let t = b.op(ForceToken, &[]);
    let s = b.op(SameAsR, &[v(p)]);
    b.guard(GuardNotForced, &[], &[v(x)]);
    b.finish(&[v(e), v(t), v(s)]);
    let frames = run_all(&b.build(), &[vec![o.addr() as u64, 1]]);
    assert_eq!(frames[0].values, vec![o.addr() as u64, 0, o.addr() as u64]);
}

#[test]
fn free_and_recompile() {
    let (trace, g, _) = sum_loop();
    on_all_backends(|be: &mut dyn Backend| {
        let id = fresh_loop();
        be.compile_loop(id, &trace).unwrap();
        let a = be.execute(id, &[10, 0]);
        be.free(id);
        let (trace2, g2, _) = sum_loop();
        be.compile_loop(id, &trace2).unwrap();
        let b2 = be.execute(id, &[10, 0]);
        be.free(id);
        assert_eq!((a.guard, b2.guard), (g, g2));
        (a.values, b2.values)
    });
}

#[test]
fn disassembly_is_annotated() {
    let (trace, g, t) = sum_loop();
    let be = NativeBackend::new();
    let id = fresh_loop();
    be.compile_loop(id, &trace).unwrap();
    let mut b = B::new();
    let n = b.input(Kind::Int);
    let s = b.input(Kind::Int);
    b.jump(&[v(n), v(s)], t);
    be.compile_bridge(g, &b.build()).unwrap();
    let text = be.disassemble(id).unwrap();
    assert!(text.contains("; loop "), "{text}");
    assert!(text.contains("; bridge from <Guard"), "{text}");
    assert!(text.contains("int_add"), "{text}");
    assert!(text.contains("exit stub"), "{text}");
    assert!(text.contains("ret"), "{text}");
    assert!(be.disassemble(fresh_loop()).is_none());
    // The bridge alone (what `jit-backend` logs for a new bridge).
    let bridge = be.disassemble_bridge(g).unwrap();
    assert!(
        bridge.contains(&format!("; bridge from <Guard{}>", g.0)),
        "{bridge}"
    );
    assert!(bridge.contains("; jump("), "{bridge}");
    assert!(!bridge.contains("; loop "), "only the bridge: {bridge}");
    assert!(be
        .disassemble_bridge(metatrace::ir::GuardId(g.0 + 100_000))
        .is_none());
    // The profiler's map: where each op's code starts, in order, inside
    // the region, then where the out-of-line code starts.
    use metatrace::backend::profile::TraceKey;
    for (key, nops) in [
        (TraceKey::Loop(id), trace.ops.len()),
        (TraceKey::Bridge(g), 1),
    ] {
        let r = be.code_region(key).unwrap();
        assert!(r.start != 0 && r.len > 0, "{key:?}: {r:?}");
        let indexes: Vec<u32> = r.ops.iter().map(|o| o.1).collect();
        let mut expect: Vec<u32> = (0..nops as u32).collect();
        expect.push(u32::MAX);
        assert_eq!(indexes, expect, "{key:?}");
        assert!(r.ops.windows(2).all(|w| w[0].0 <= w[1].0), "{key:?}: {r:?}");
        assert!(
            r.ops.iter().all(|o| (o.0 as usize) < r.len),
            "{key:?}: {r:?}"
        );
    }
    assert!(be.code_region(TraceKey::Loop(fresh_loop())).is_none());
}
