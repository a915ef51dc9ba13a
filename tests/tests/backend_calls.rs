//! Backend conformance for calls: residual calls under the ABI (many
//! int/float/ref arguments, stack-passed ones, values live across the
//! call) and `call_assembler` with `guard_not_forced`, on the IR
//! interpreter (reference) and the x86 backend.

use metatrace::backend::{Backend, DeadFrame};
use metatrace::exc;
use metatrace::heap::{self, GcRef};
use metatrace::ir::{Descr, GuardId, Kind, OpNum, Operand, Var};
use metatrace_tests::*;
use std::sync::atomic::Ordering;
use OpNum::*;

metatrace::gc_struct! {
    /// An object a call can write through.
    pub struct Obj as obj {
        a: i64,
    }
}

fn new_obj() -> GcRef {
    heap::new_struct(&obj::SIZE)
}

// ---------------------------------------------------------------------------
// Calls

extern "C" fn ints10(
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
    g: i64,
    h: i64,
    i: i64,
    j: i64,
) -> i64 {
    let xs = [a, b, c, d, e, f, g, h, i, j];
    xs.iter().enumerate().fold(0i64, |acc, (k, x)| {
        acc.wrapping_mul(31).wrapping_add(x ^ k as i64)
    })
}

fn ints10_invoke(a: &[u64]) -> u64 {
    let a: Vec<i64> = a.iter().map(|&x| x as i64).collect();
    ints10(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]) as u64
}

#[allow(clippy::too_many_arguments)]
extern "C" fn mixed(
    a: i64,
    x: f64,
    b: i64,
    y: f64,
    c: i64,
    z: f64,
    d: i64,
    w: f64,
    e: i64,
    u: f64,
    f: i64,
    t: f64,
    g: i64,
    s: f64,
    h: i64,
    r: f64,
    q: f64,
    p: f64,
    o: usize,
) -> f64 {
    let fs = [x, y, z, w, u, t, s, r, q, p];
    let is = [a, b, c, d, e, f, g, h, o as i64];
    let mut acc = 0.0;
    for (k, v) in fs.iter().enumerate() {
        acc = acc * 1.5 + v * (k as f64 + 1.0);
    }
    for (k, v) in is.iter().enumerate() {
        acc = acc * 0.75 + (*v % 1000) as f64 * (k as f64 + 2.0);
    }
    acc
}

fn mixed_invoke(a: &[u64]) -> u64 {
    let i = |k: usize| a[k] as i64;
    let f = |k: usize| f64::from_bits(a[k]);
    mixed(
        i(0),
        f(1),
        i(2),
        f(3),
        i(4),
        f(5),
        i(6),
        f(7),
        i(8),
        f(9),
        i(10),
        f(11),
        i(12),
        f(13),
        i(14),
        f(15),
        f(16),
        f(17),
        a[18] as usize,
    )
    .to_bits()
}

const MIXED_ARGS: &[Kind] = &[
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Float,
    Kind::Float,
    Kind::Float,
    Kind::Ref,
];

extern "C" fn pick(a: usize, b: usize, which: i64) -> usize {
    if which != 0 {
        a
    } else {
        b
    }
}

fn pick_invoke(a: &[u64]) -> u64 {
    pick(a[0] as usize, a[1] as usize, a[2] as i64) as u64
}

extern "C" fn poke(p: usize, x: i64) {
    // SAFETY: compiled code passed `p`, a reference to an `obj`.
    heap::setfield(unsafe { GcRef::from_addr(p) }, &obj::a, x as u64);
}

fn poke_invoke(a: &[u64]) -> u64 {
    poke(a[0] as usize, a[1] as i64);
    0
}

#[test]
fn calls_with_stack_arguments() {
    let d10 = leak_call(
        "ints10",
        ints10 as *const () as usize,
        &[Kind::Int; 10],
        Kind::Int,
        ints10_invoke,
    );
    let dm = leak_call(
        "mixed",
        mixed as *const () as usize,
        MIXED_ARGS,
        Kind::Float,
        mixed_invoke,
    );
    let o = new_obj();
    let mut b = B::new();
    let ins = b.inputs(&[Kind::Int; 10]);
    let mut args = vec![ci(d10.addr as i64)];
    args.extend(ins.iter().map(|&x| v(x)));
    let r1 = b.op_d(CallI, &args, Descr::Call(d10)).unwrap();
    // Same call with constants and a repeated variable.
    let mut args2 = vec![ci(d10.addr as i64), v(ins[9]), ci(i64::MIN)];
    args2.extend(ins[..8].iter().map(|&x| v(x)));
    let r2 = b.op_d(CallPureI, &args2, Descr::Call(d10)).unwrap();
    let fl = b.inputs(&[Kind::Float; 10]);
    let p = b.input(Kind::Ref);
    let mut margs = vec![ci(dm.addr as i64)];
    let (mut ii, mut fi) = (0, 0);
    for k in MIXED_ARGS {
        match k {
            Kind::Int => {
                margs.push(v(ins[ii]));
                ii += 1
            }
            Kind::Float => {
                margs.push(if fi == 9 { cf(0.125) } else { v(fl[fi]) });
                fi += 1
            }
            _ => margs.push(v(p)),
        }
    }
    let r3 = b.op_d(CallMayForceF, &margs, Descr::Call(dm)).unwrap();
    let mut fin: Vec<Operand> = vec![v(r1), v(r2), v(r3)];
    // Everything is still alive after the calls.
    fin.extend(ins.iter().map(|&x| v(x)));
    fin.extend(fl.iter().map(|&x| v(x)));
    b.finish(&fin);
    let trace = b.build();
    let mut input: Vec<u64> = (0..10).map(|k| ib(k * 1001 - 4000)).collect();
    input.extend((0..10).map(|k| fb(k as f64 * 0.5 - 1.0)));
    input.push(o.addr() as u64);
    let frames = run_all(&trace, &[input.clone()]);
    let want1 = ints10_invoke(&input[..10]);
    let mut a2 = vec![input[9], ib(i64::MIN)];
    a2.extend(&input[..8]);
    let want2 = ints10_invoke(&a2);
    let mut am = Vec::new();
    let (mut ii, mut fi) = (0, 0);
    for k in MIXED_ARGS {
        match k {
            Kind::Int => {
                am.push(input[ii]);
                ii += 1
            }
            Kind::Float => {
                am.push(if fi == 9 { fb(0.125) } else { input[10 + fi] });
                fi += 1
            }
            _ => am.push(input[20]),
        }
    }
    let want3 = mixed_invoke(&am);
    let mut want = vec![want1, want2, want3];
    want.extend(&input[..20]);
    assert_eq!(frames[0].values, want);
}

#[test]
fn ref_and_void_calls_keep_live_values() {
    let dp = leak_call(
        "pick",
        pick as *const () as usize,
        &[Kind::Ref, Kind::Ref, Kind::Int],
        Kind::Ref,
        pick_invoke,
    );
    let dv = leak_call(
        "poke",
        poke as *const () as usize,
        &[Kind::Ref, Kind::Int],
        Kind::Void,
        poke_invoke,
    );
    let got = on_all_backends(|be: &mut dyn Backend| {
        let o1 = new_obj();
        let o2 = new_obj();
        let mut b = B::new();
        let p1 = b.input(Kind::Ref);
        let p2 = b.input(Kind::Ref);
        let w = b.input(Kind::Int);
        // Many values live across the calls: more than the callee-saved
        // registers, so some must be spilled and reloaded.
        let mut live = Vec::new();
        for k in 0..16 {
            live.push(b.op(IntAdd, &[v(w), ci(k)]));
        }
        let mut flive = Vec::new();
        for &x in &live[..6] {
            let f = b.op(CastIntToFloat, &[v(x)]);
            flive.push(f);
        }
        let r = b
            .op_d(
                CallR,
                &[ci(dp.addr as i64), v(p1), v(p2), v(w)],
                Descr::Call(dp),
            )
            .unwrap();
        b.op_d(
            CallN,
            &[ci(dv.addr as i64), v(r), v(live[15])],
            Descr::Call(dv),
        );
        let mut fin: Vec<Operand> = live.iter().map(|&x| v(x)).collect();
        fin.extend(flive.iter().map(|&x| v(x)));
        fin.push(v(r));
        b.finish(&fin);
        let f = run_once(be, &b.build(), &[o1.addr() as u64, o2.addr() as u64, 0]);
        let picked_second = f.values.last() == Some(&(o2.addr() as u64));
        (
            f.values.len(),
            f.values[..22].to_vec(),
            picked_second,
            heap::getfield(o2, &obj::a),
        )
    });
    let mut want: Vec<u64> = (0..16).collect();
    want.extend((0..6).map(|k| fb(k as f64)));
    assert_eq!(got, (23, want, true, 15));
}

// ---------------------------------------------------------------------------
// call_assembler

fn asm_mix_invoke(_d: &metatrace::ir::AssemblerDescr, a: &[u64]) -> u64 {
    // Order-sensitive, so a swapped or dropped word changes the result.
    a.iter().enumerate().fold(7u64, |acc, (k, w)| {
        acc.wrapping_mul(1_000_003).wrapping_add(w ^ k as u64)
    })
}

const ASM_KINDS: &[Kind] = &[
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Ref,
    Kind::Int,
    Kind::Int,
    Kind::Float,
    Kind::Int,
    Kind::Int,
    Kind::Int,
    Kind::Int,
];

#[test]
fn call_assembler_passes_every_word() {
    let d = leak_assembler("asm_mix", ASM_KINDS, Kind::Int, asm_mix_invoke);
    let mut b = B::new();
    let ins: Vec<Var> = ASM_KINDS.iter().map(|k| b.input(*k)).collect();
    let args: Vec<Operand> = ins.iter().map(|x| v(*x)).collect();
    let r = b.op_d(CallAssemblerI, &args, Descr::Assembler(d)).unwrap();
    // Values live across the call come back intact.
    let mut out = vec![v(r)];
    out.extend(args.iter().copied());
    b.finish(&out);
    let trace = b.build();
    let obj = new_obj();
    let words: Vec<u64> = vec![
        ib(i64::MIN),
        (-0.0f64).to_bits(),
        3,
        obj.addr() as u64,
        ib(-1),
        5,
        f64::NAN.to_bits(),
        7,
        8,
        9,
        10,
    ];
    let got = on_all_backends(|be: &mut dyn Backend| run_once(be, &trace, &words).values);
    let mut want = vec![asm_mix_invoke(d, &words)];
    want.extend(&words);
    assert_eq!(got, want);
}

fn asm_half_invoke(_d: &metatrace::ir::AssemblerDescr, a: &[u64]) -> u64 {
    (f64::from_bits(a[0]) / 2.0).to_bits()
}

fn asm_void_invoke(_d: &metatrace::ir::AssemblerDescr, a: &[u64]) -> u64 {
    ASM_SEEN.with(|s| s.set(a[0]));
    0
}

thread_local! {
    static ASM_SEEN: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[test]
fn call_assembler_float_and_void_results() {
    let df = leak_assembler("asm_half", &[Kind::Float], Kind::Float, asm_half_invoke);
    let dn = leak_assembler("asm_void", &[Kind::Int], Kind::Void, asm_void_invoke);
    let mut b = B::new();
    let f = b.input(Kind::Float);
    let i = b.input(Kind::Int);
    let h = b
        .op_d(CallAssemblerF, &[v(f)], Descr::Assembler(df))
        .unwrap();
    b.op_d(CallAssemblerN, &[v(i)], Descr::Assembler(dn));
    let h2 = b.op(FloatAdd, &[v(h), v(h)]);
    b.finish(&[v(h2), v(i)]);
    let trace = b.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        let d = run_once(be, &trace, &[3.5f64.to_bits(), 77]);
        (d.values, ASM_SEEN.with(|s| s.replace(0)))
    });
    assert_eq!(got, (vec![3.5f64.to_bits(), 77], 77));
}

fn asm_force_invoke(_d: &metatrace::ir::AssemblerDescr, a: &[u64]) -> u64 {
    if (a[0] as i64) < 0 {
        exc::set_forced();
    }
    a[0].wrapping_mul(3)
}

#[test]
fn guard_not_forced_fails_after_a_forcing_helper() {
    let d = leak_assembler("asm_force", &[Kind::Int], Kind::Int, asm_force_invoke);
    let mut b = B::new();
    let x = b.input(Kind::Int);
    let r = b
        .op_d(CallAssemblerI, &[v(x)], Descr::Assembler(d))
        .unwrap();
    let g = b.guard(GuardNotForced, &[], &[v(x), v(r)]);
    let done = b.finish(&[v(r)]);
    let trace = b.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        let ok = run_once(be, &trace, &[5]);
        let ok_flag = exc::take_forced();
        let bad = run_once(be, &trace, &[ib(-2)]);
        let bad_flag = exc::take_forced();
        (ok, ok_flag, bad, bad_flag)
    });
    assert_eq!(
        got,
        (
            DeadFrame {
                guard: done,
                values: vec![15]
            },
            false,
            DeadFrame {
                guard: g,
                values: vec![ib(-2), ib(-6)]
            },
            true
        )
    );
}

// ---- direct call_assembler (AssemblerDescr::target) ------------------

thread_local! {
    /// (helper calls, direct exits seen: (guard, first word)).
    static DIRECT_LOG: std::cell::RefCell<(u32, Vec<(u32, u64)>)> =
        const { std::cell::RefCell::new((0, Vec::new())) };
}

/// What the callee computes, run by the helper when a backend does not
/// call directly: `a + b` below 100, else the exit's answer.
fn direct_invoke(_d: &metatrace::ir::AssemblerDescr, a: &[u64]) -> u64 {
    DIRECT_LOG.with(|l| l.borrow_mut().0 += 1);
    let s = a[0] as i64 + a[1] as i64;
    if s < 100 {
        s as u64
    } else {
        direct_exit_answer(s as u64)
    }
}

fn direct_exit_answer(w: u64) -> u64 {
    w * 1000
}

fn direct_exit(_d: &metatrace::ir::AssemblerDescr, g: GuardId, words: &[u64]) -> u64 {
    DIRECT_LOG.with(|l| l.borrow_mut().1.push((g.0, words[0])));
    direct_exit_answer(words[0])
}

#[test]
fn call_assembler_calls_a_compiled_callee_directly() {
    // The callee: `a + b`, finishing through `fast` below 100 and leaving
    // through a guard otherwise.
    let mut c = B::new();
    let ab = c.inputs(&[Kind::Int, Kind::Int]);
    let s = c.op(IntAdd, &[v(ab[0]), v(ab[1])]);
    let lt = c.op(IntLt, &[v(s), ci(100)]);
    let guard = c.guard(GuardTrue, &[v(lt)], &[v(s)]);
    let fast = c.finish(&[v(s)]);
    let callee = c.build();
    let got = on_all_backends(|be: &mut dyn Backend| {
        DIRECT_LOG.with(|l| *l.borrow_mut() = (0, Vec::new()));
        let callee_id = fresh_loop();
        be.compile_loop(callee_id, &callee).unwrap();
        let d = Box::leak(Box::new(metatrace::ir::AssemblerDescr {
            exit: direct_exit,
            ..*leak_assembler(
                "asm_direct",
                &[Kind::Int, Kind::Int],
                Kind::Int,
                direct_invoke,
            )
        }));
        // What the framework does once it knows the callee's code.
        if let Some(entry) = be.loop_entry(callee_id) {
            d.target.entry.store(entry, Ordering::Relaxed);
            d.target.fast[1].store(fast.0, Ordering::Relaxed);
        }
        let mut b = B::new();
        let xy = b.inputs(&[Kind::Int, Kind::Int, Kind::Ref]);
        let r = b
            .op_d(CallAssemblerI, &[v(xy[0]), v(xy[1])], Descr::Assembler(d))
            .unwrap();
        // Values live across the call survive it.
        b.finish(&[v(r), v(xy[0]), v(xy[2])]);
        let caller = b.build();
        let obj = new_obj();
        let runs: Vec<Vec<u64>> = [(3, 4), (60, 50), (-5, 2)]
            .iter()
            .map(|&(x, y)| {
                let out = run_once(be, &caller, &[ib(x), ib(y), obj.addr() as u64]).values;
                assert_eq!(out[2], obj.addr() as u64, "{}", be.name());
                out[..2].to_vec()
            })
            .collect();
        let log = DIRECT_LOG.with(|l| l.borrow().clone());
        if be.loop_entry(callee_id).is_some() {
            // Native: no helper call; the one guard exit went to `exit`
            // with the callee's dead frame.
            assert_eq!(log, (0, vec![(guard.0, 110)]), "{}", be.name());
        } else {
            assert_eq!(log, (3, vec![]), "{}", be.name());
        }
        be.free(callee_id);
        runs
    });
    assert_eq!(got, [vec![7, 3], vec![110_000, 60], vec![ib(-3), ib(-5)]]);
}
