//! Collector roots the interpreter-level tests cannot single out: objects
//! reachable only from compiled code (registers, spill slots, slow paths),
//! only from a dead frame after a guard failure, and only from virtuals
//! materialized at deoptimization. Verify mode is on throughout, and the
//! collector runs in the middle of each case; freed memory is refilled
//! with decoy objects, so a missed root reads back a wrong value.

use metatrace::heap::{self, gc, GcRef, REF_ARRAY};
use metatrace::ir::{Descr, Kind, OpNum};
use metatrace::{JitDriver, JitParams};
use metatrace_tests::*;

metatrace::gc_struct! {
    /// A test object.
    pub struct Cell as cell {
        value: i64,
        next: GcRef,
    }
}

/// Allocates decoys (value -1) over whatever was freed, collecting
/// in between.
#[inline(never)]
fn decoys() {
    for _ in 0..3 {
        heap::collect();
        for _ in 0..20_000 {
            let c = heap::new_struct(&cell::SIZE);
            heap::setfield(c, &cell::value, u64::MAX);
        }
    }
}

extern "C" fn churn() {
    decoys()
}
fn churn_invoke(_: &[u64]) -> u64 {
    decoys();
    0
}

/// `p1`, the array `p2` and `p3` live only in the trace's registers and
/// spill slots across calls that collect (and, under stress, across the
/// inline allocations' slow paths).
#[test]
fn objects_reachable_only_from_compiled_code_survive() {
    for stress in [false, true] {
        let d = leak_call(
            "churn",
            churn as *const () as usize,
            &[],
            Kind::Void,
            churn_invoke,
        );
        let mut b = B::new();
        let i0 = b.input(Kind::Int);
        let p1 = b.op_d(OpNum::New, &[], Descr::Size(&cell::SIZE)).unwrap();
        b.op_d(
            OpNum::SetfieldGc,
            &[v(p1), v(i0)],
            Descr::Field(&cell::value),
        );
        let p2 = b
            .op_d(OpNum::NewArray, &[ci(3)], Descr::Array(&REF_ARRAY))
            .unwrap();
        b.op_d(
            OpNum::SetarrayitemGc,
            &[v(p2), ci(1), v(p1)],
            Descr::Array(&REF_ARRAY),
        );
        b.op_d(OpNum::CallN, &[ci(0)], Descr::Call(d));
        let p3 = b.op_d(OpNum::New, &[], Descr::Size(&cell::SIZE)).unwrap();
        b.op_d(
            OpNum::SetfieldGc,
            &[v(p3), v(i0)],
            Descr::Field(&cell::value),
        );
        b.op_d(OpNum::CallN, &[ci(0)], Descr::Call(d));
        let i1 = b
            .op_d(OpNum::GetfieldGcI, &[v(p1)], Descr::Field(&cell::value))
            .unwrap();
        let p4 = b
            .op_d(
                OpNum::GetarrayitemGcR,
                &[v(p2), ci(1)],
                Descr::Array(&REF_ARRAY),
            )
            .unwrap();
        let i2 = b
            .op_d(OpNum::GetfieldGcI, &[v(p4)], Descr::Field(&cell::value))
            .unwrap();
        let i3 = b
            .op_d(OpNum::GetfieldGcI, &[v(p3)], Descr::Field(&cell::value))
            .unwrap();
        b.finish(&[v(i1), v(i2), v(i3)]);
        let trace = b.build();
        let got = std::thread::spawn(move || {
            gc::set_verify(true);
            gc::set_stress(stress);
            let before = heap::stats().collections;
            let r = on_all_backends(|be| run_once(be, &trace, &[ib(4242)]).values);
            gc::set_stress(false);
            assert!(heap::stats().collections - before >= 6);
            r
        })
        .join()
        .unwrap();
        assert_eq!(got, vec![ib(4242); 3], "stress={stress}");
    }
}

/// A loop whose object is virtual at a guard that starts failing halfway:
/// each failure materializes it (several allocations, each collecting
/// under stress) from the dead frame; with a bridge, the bridge's entry
/// re-creates it.
const VIRTUAL_AT_GUARD: &str = "
func main args=0 locals=3
    push 0
    store 0
loop:
    load 0
    push 600
    lt
    jumpifnot done
    new 2
    dup
    load 0
    setfield 0
    dup
    push 7
    setfield 1
    store 1
    load 0
    push 300
    lt
    jumpif skip
    load 1
    getfield 0
    load 1
    getfield 1
    add
    print
skip:
    load 0
    push 1
    add
    store 0
    jump loop
done:
    push 0
    ret
";

fn run_tvm(params: &str, stress: bool) -> (String, u64, bool, u64) {
    let params = params.to_string();
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            gc::set_stress(stress);
            gc::set_verify(stress);
            let program = tvm::asm::parse(VIRTUAL_AT_GUARD).unwrap();
            let params = JitParams::parse(&params).unwrap();
            let backend = metatrace::backend::select(&params.backend, metatrace_tests::LINKED)
                .expect("backend");
            let mut driver = JitDriver::new(params, backend);
            driver.keep_traces = true;
            let out = tvm::run(&mut driver, program);
            assert_eq!(out.error, None);
            let virtuals = driver.traces.iter().any(|(_, t)| {
                t.ops
                    .iter()
                    .any(|o| o.opnum.is_guard() && o.virtuals.is_some())
            });
            (
                String::from_utf8(out.output).unwrap(),
                driver.stats.guard_failures,
                virtuals,
                heap::stats().collections,
            )
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn dead_frames_and_materialized_virtuals_are_roots() {
    let (want, _, _, _) = run_tvm("off", false);
    assert_eq!(want.lines().count(), 300);
    for backend in ["llgraph", "x86"] {
        // No bridge: every failure deoptimizes through the dead frame.
        let cfg = format!("threshold=3,trace_eagerness=100000,backend={backend}");
        let (got, failures, virtuals, collections) = run_tvm(&cfg, true);
        assert_eq!(got, want, "{cfg}");
        assert!(virtuals, "{cfg}: the object is not virtual at the guard");
        assert!(failures >= 290, "{cfg}: {failures} guard failures");
        assert!(collections > 1000, "{cfg}: {collections} collections");
        // A bridge after a few failures, built from a dead frame whose
        // virtuals are materialized for the recorder.
        let cfg = format!("threshold=3,trace_eagerness=3,backend={backend}");
        let (got, _, _, _) = run_tvm(&cfg, true);
        assert_eq!(got, want, "{cfg}");
    }
}

/// The `gc` log category gets one section per collection, and
/// `jit-summary` counts them.
#[test]
fn gc_log_and_summary() {
    let path = std::env::temp_dir().join(format!("metatrace-gc-log-{}.log", std::process::id()));
    let spec = format!("gc,jit-summary:{}", path.display());
    let collections = std::thread::spawn(move || {
        let src = include_str!("../../example-vms/tvm/examples/garbage.tvm")
            .replace("push 60          # ROUNDS", "push 1500");
        let program = tvm::asm::parse(&src).unwrap();
        let params = JitParams::parse("off").unwrap();
        let backend =
            metatrace::backend::select(&params.backend, metatrace_tests::LINKED).expect("backend");
        let mut driver =
            JitDriver::new(params, backend).with_log(metatrace::log::Log::from_spec(&spec));
        let out = tvm::run(&mut driver, program);
        assert_eq!(out.error, None);
        drop(driver);
        heap::stats().collections
    })
    .join()
    .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(collections >= 2, "{collections} collections");
    let logged = text.matches("{gc\ncollection ").count() as u64;
    assert_eq!(logged, collections, "{text}");
    assert!(text.contains(" B since last, freed "), "{text}");
    assert!(
        text.contains(&format!("gc collections:  \t{collections}\n")),
        "{text}"
    );
}

/// Consecutive allocations (merged into one bump by the x86 backend) are
/// separate, well-formed objects — also when the merged block comes from
/// the slow path under stress, and through a collection right after.
#[test]
fn merged_allocations_are_separate_objects() {
    use metatrace::heap::INT_ARRAY;
    for stress in [false, true] {
        let mut b = B::new();
        let i0 = b.input(Kind::Int);
        let p1 = b.op_d(OpNum::New, &[], Descr::Size(&cell::SIZE)).unwrap();
        b.op_d(
            OpNum::SetfieldGc,
            &[v(p1), v(i0)],
            Descr::Field(&cell::value),
        );
        let p2 = b
            .op_d(OpNum::NewArray, &[ci(5)], Descr::Array(&INT_ARRAY))
            .unwrap();
        b.op_d(
            OpNum::SetarrayitemGc,
            &[v(p2), ci(4), v(i0)],
            Descr::Array(&INT_ARRAY),
        );
        let p3 = b.op_d(OpNum::New, &[], Descr::Size(&cell::SIZE)).unwrap();
        b.op_d(
            OpNum::SetfieldGc,
            &[v(p3), v(p1)],
            Descr::Field(&cell::next),
        );
        b.finish(&[v(p1), v(p2), v(p3)]);
        let trace = b.build();
        std::thread::spawn(move || {
            gc::set_verify(true);
            gc::set_stress(stress);
            for mut be in backends() {
                let mut dead = run_once(be.as_mut(), &trace, &[ib(-3)]).values;
                // Rust code keeping references in a Vec roots it.
                let dead = heap::roots::Rooted::new(&mut dead, heap::roots::visit_words);
                heap::collect();
                let r: Vec<GcRef> = dead
                    .iter()
                    // SAFETY: the words are the reference results compiled code returned.
                    .map(|w| unsafe { GcRef::from_addr(*w as usize) })
                    .collect();
                let name = be.name();
                assert_eq!(r[0].tid(), cell::SIZE.tid, "{name}");
                assert_eq!(r[1].tid(), INT_ARRAY.tid, "{name}");
                assert_eq!(r[2].tid(), cell::SIZE.tid, "{name}");
                assert_eq!(heap::arraylen(r[1], &INT_ARRAY), 5, "{name}");
                assert_eq!(heap::getarrayitem(r[1], &INT_ARRAY, 4), ib(-3), "{name}");
                assert_eq!(heap::getarrayitem(r[1], &INT_ARRAY, 0), 0, "{name}");
                assert_eq!(heap::getfield(r[0], &cell::value), ib(-3), "{name}");
                assert_eq!(heap::getfield(r[2], &cell::next), r[0].addr() as u64);
                assert_eq!(heap::getfield(r[2], &cell::value), 0, "{name}");
                for x in &r {
                    assert!(gc::is_live_object(*x), "{name}: {x:?}");
                }
            }
            gc::set_stress(false);
        })
        .join()
        .unwrap();
    }
}
