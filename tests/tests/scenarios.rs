//! RPython-style JIT scenarios through real interpreters, with the
//! optimized traces pinned by insta snapshots (addresses normalized).
//!
//! Each scenario also asserts the property it is about, so a snapshot
//! update cannot silently accept a regression.

use metatrace::ir::{OpNum, Trace};
use metatrace::Stats;
use metatrace::{JitDriver, JitParams, LlGraph};

fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

struct Run {
    output: String,
    error: Option<String>,
    stats: Stats,
    traces: Vec<(String, Trace)>,
}

fn tvm(src: &str, params: &str) -> Run {
    let (src, params) = (src.to_string(), params.to_string());
    in_thread(move || {
        let program = tvm::asm::parse(&src).unwrap();
        let mut driver =
            JitDriver::new(JitParams::parse(&params).unwrap(), Box::new(LlGraph::new()));
        driver.keep_traces = true;
        let out = tvm::run(&mut driver, program);
        Run {
            output: String::from_utf8(out.output).unwrap(),
            error: out.error,
            stats: driver.stats.clone(),
            traces: std::mem::take(&mut driver.traces),
        }
    })
}

fn bf(src: &str, params: &str) -> Run {
    let (src, params) = (src.to_string(), params.to_string());
    in_thread(move || {
        bf::capture_io(b"");
        let program = bf::Program::parse(src.as_bytes()).unwrap();
        let mut driver =
            JitDriver::new(JitParams::parse(&params).unwrap(), Box::new(LlGraph::new()));
        driver.keep_traces = true;
        let mut vm = bf::Bf { program };
        let r = bf::run(&mut driver, &mut vm);
        Run {
            output: String::from_utf8_lossy(&bf::take_output()).into_owned(),
            error: r.err().map(|e| e.to_string()),
            stats: driver.stats.clone(),
            traces: std::mem::take(&mut driver.traces),
        }
    })
}

fn example(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../example-vms/tvm/examples")
        .join(name);
    std::fs::read_to_string(p).unwrap()
}

/// Trace text with addresses (heap objects, functions) made stable.
fn normalized(header: &str, t: &Trace) -> String {
    let text = format!("{header}\n{t}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i]);
        out.push_str("0xADDR");
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
    }
    out.push_str(rest);
    out
}

/// Ops after the loop body's label (the peeled iteration), or all ops.
fn body(t: &Trace) -> &[metatrace::ir::Op] {
    let labels: Vec<usize> = t
        .ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.opnum == OpNum::Label)
        .map(|(i, _)| i)
        .collect();
    &t.ops[*labels.last().unwrap_or(&0)..]
}

fn count(ops: &[metatrace::ir::Op], f: impl Fn(OpNum) -> bool) -> usize {
    ops.iter().filter(|o| f(o.opnum)).count()
}

#[test]
fn counting_loop_exact_trace() {
    let r = bf("++++++++[>++++++++<-]>.", "threshold=2");
    assert_eq!(r.output, "@");
    assert_eq!(r.stats.loops, 1, "{:?}", r.stats);
    let (h, t) = &r.traces[0];
    // The tape length is loop-invariant: read once, in the preamble.
    assert_eq!(count(body(t), |o| o == OpNum::ArraylenGc), 0);
    insta::assert_snapshot!(normalized(h, t));
}

#[test]
fn loop_invariant_object_is_checked_once_per_entry() {
    let src = "
func main args=0 locals=3
    new 1
    store 2
    load 2
    push 5
    setfield 0
    push 0
    store 0
    push 0
    store 1
loop:
    load 0
    push 500
    lt
    jumpifnot done
    load 1
    load 2
    getfield 0
    add
    store 1
    load 0
    push 1
    add
    store 0
    jump loop
done:
    load 1
    print
    push 0
    ret
";
    let r = tvm(src, "threshold=3");
    assert_eq!(r.output, "2500\n");
    let (h, t) = &r.traces[0];
    let b = body(t);
    // The object in local 2 never changes: its class check and its
    // (immutable) `fields` pointer stay in the preamble.
    let fields_reads = b
        .iter()
        .filter(|o| o.opnum.is_getfield() && o.descr.and_then(|d| d.name()) == Some("Obj.fields"))
        .count();
    assert_eq!(fields_reads, 0, "{}", normalized(h, t));
    insta::assert_snapshot!(normalized(h, t));
}

#[test]
fn value_changes_midway_guard_fails_then_bridge() {
    let r = tvm(&example("phases.tvm"), "threshold=7,trace_eagerness=5");
    let off = tvm(&example("phases.tvm"), "off");
    assert_eq!(r.output, off.output);
    assert_eq!(r.output, "4882750\n");
    assert!(r.stats.bridges >= 1, "{:?}", r.stats);
    let (h, t) = r.traces.iter().find(|(h, _)| h.contains("bridge")).unwrap();
    assert_eq!(
        t.ops.last().unwrap().opnum,
        OpNum::Jump,
        "a bridge jumps back into a loop"
    );
    insta::assert_snapshot!(normalized(h, t));
}

#[test]
fn promote_and_elidable_call_fold_away() {
    let r = tvm(&example("promote.tvm"), "threshold=7,trace_eagerness=5");
    assert_eq!(r.output, tvm(&example("promote.tvm"), "off").output);
    let (h, t) = &r.traces[0];
    assert!(
        t.ops.iter().any(|o| o.opnum == OpNum::GuardValue),
        "{}",
        normalized(h, t)
    );
    assert_eq!(
        count(&t.ops, |o| o.is_call()),
        0,
        "square() must be folded: {}",
        normalized(h, t)
    );
    insta::assert_snapshot!(normalized(h, t));
}

#[test]
fn residual_call_stays_one_call() {
    // Print a '!' 20 times from a hot loop.
    let r = bf(
        "++++++++++++++++++++>+++++++++++++++++++++++++++++++++<[>.<-]",
        "threshold=3",
    );
    assert_eq!(r.output, "!".repeat(20));
    let (h, t) = &r.traces[0];
    assert_eq!(
        count(body(t), |o| o == OpNum::CallN),
        1,
        "{}",
        normalized(h, t)
    );
}

#[test]
fn quasi_immutable_write_invalidates_the_loop() {
    let r = tvm(&example("quasi.tvm"), "threshold=7");
    assert_eq!(r.output, "0\n6000\n");
    assert!(r.stats.invalidated_loops >= 1, "{:?}", r.stats);
    let (h, t) = &r.traces[0];
    assert!(
        t.ops.iter().any(|o| o.opnum == OpNum::GuardNotInvalidated),
        "{}",
        normalized(h, t)
    );
    let version_reads = t
        .ops
        .iter()
        .filter(|o| {
            o.opnum.is_getfield() && o.descr.and_then(|d| d.name()) == Some("Class.version")
        })
        .count();
    assert_eq!(version_reads, 0, "the version is a constant in the trace");
    // After invalidation the loop is traced again, with the new version.
    assert!(r.stats.loops >= 2, "{:?}", r.stats);
}

#[test]
fn trace_too_long_aborts_and_backs_off() {
    let r = tvm(&example("calls.tvm"), "threshold=3,trace_limit=40");
    assert_eq!(r.output, tvm(&example("calls.tvm"), "off").output);
    assert!(
        r.stats.aborts.get("trace too long").copied().unwrap_or(0) >= 1,
        "{:?}",
        r.stats.aborts
    );
    assert!(
        r.stats.tracings < 20,
        "back-off must stop retracing: {:?}",
        r.stats
    );
}

#[test]
fn recursion_becomes_call_assembler() {
    let r = tvm(&example("fib.tvm"), "threshold=2,function_threshold=3");
    assert_eq!(r.output, "6765\n".repeat(5));
    assert_eq!(r.stats.aborts.get("recursion limit"), None, "{:?}", r.stats);
    // fib's entry trace calls itself through call_assembler, each call
    // followed by its guard_not_forced.
    let (header, t) = r
        .traces
        .iter()
        .find(|(h, t)| h.contains("fib:0") && count(&t.ops, |o| o == OpNum::CallAssemblerR) > 0)
        .unwrap_or_else(|| panic!("no trace calls fib through call_assembler: {:#?}", r.traces));
    let ops: Vec<OpNum> = t.ops.iter().map(|o| o.opnum).collect();
    for (i, op) in ops.iter().enumerate() {
        if *op == OpNum::CallAssemblerR {
            assert_eq!(ops.get(i + 1), Some(&OpNum::GuardNotForced), "{t}");
        }
    }
    insta::assert_snapshot!(normalized(header, t));
}

/// A main function with `n` loops one after the other, each hot once.
fn phased_program(n: usize) -> String {
    let mut src = String::from("func main args=0 locals=1\n");
    for k in 0..n {
        src += &format!(
            "    push 0\n    store 0\nloop{k}:\n    load 0\n    push 50\n    lt\n    jumpifnot done{k}\n    load 0\n    push {}\n    add\n    store 0\n    jump loop{k}\ndone{k}:\n    load 0\n    print\n",
            k % 3 + 1
        );
    }
    src += "    push 0\n    ret\n";
    src
}

#[test]
fn loops_unused_for_loop_longevity_generations_are_freed() {
    let src = phased_program(12);
    let off = tvm(&src, "off");
    let short = tvm(&src, "threshold=3,loop_longevity=2");
    let long = tvm(&src, "threshold=3");
    assert_eq!(short.output, off.output);
    assert_eq!(long.output, off.output);
    assert!(short.stats.loops >= 12, "{:?}", short.stats);
    // Each phase's loop goes cold when the next phase starts.
    assert!(short.stats.freed_loops >= 8, "{:?}", short.stats);
    assert_eq!(long.stats.freed_loops, 0, "{:?}", long.stats);
}

/// One loop whose branches flip one after another (`i < 300`, `i < 600`,
/// ...): each flip is a guard that starts failing, so the loop tree grows
/// a bridge per threshold (bridges out of bridges after the first).
fn flipping_branches(n: usize) -> String {
    let mut src = String::from(
        "func main args=0 locals=2\n    push 0\n    store 0\n    push 0\n    store 1\nloop:\n    load 0\n    push 4000\n    lt\n    jumpifnot done\n",
    );
    for k in 0..n {
        src += &format!(
            "    load 0\n    push {}\n    lt\n    jumpifnot big{k}\n    load 1\n    push 1\n    add\n    store 1\n    jump next{k}\nbig{k}:\n    load 1\n    push {}\n    add\n    store 1\nnext{k}:\n",
            (k + 1) * 300,
            k + 2
        );
    }
    src += "    load 0\n    push 1\n    add\n    store 0\n    jump loop\ndone:\n    load 1\n    print\n    push 0\n    ret\n";
    src
}

#[test]
fn bridge_limit_bounds_the_bridges_of_a_loop_tree() {
    let src = flipping_branches(10);
    let off = tvm(&src, "off");
    let free = tvm(&src, "threshold=7,trace_eagerness=5,bridge_limit=0");
    let bounded = tvm(&src, "threshold=7,trace_eagerness=5,bridge_limit=3");
    assert_eq!(free.output, off.output);
    assert_eq!(bounded.output, off.output);
    assert!(free.stats.bridges >= 8, "{:?}", free.stats);
    assert_eq!(free.stats.aborts.get("bridge limit"), None);
    assert!(bounded.stats.bridges <= 3, "{:?}", bounded.stats);
    // Every guard past the limit is refused once (it is not asked again).
    assert!(
        bounded
            .stats
            .aborts
            .get("bridge limit")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{:?}",
        bounded.stats
    );
}

#[test]
fn call_assembler_result_of_another_shape_resumes_in_the_interpreter() {
    // `sum` recurses deeper each round until the depth limit: the compiled call
    // returns an error instead of a value, so its caller's trace cannot go
    // on; the error must still surface exactly as without the JIT.
    let jit = tvm(&example("deeper.tvm"), "threshold=2,function_threshold=3");
    let off = tvm(&example("deeper.tvm"), "off");
    assert_eq!((&jit.output, &jit.error), (&off.output, &off.error));
    assert!(off
        .error
        .as_deref()
        .unwrap_or("")
        .contains("RecursionError"));
    assert!(jit.stats.forced_exits >= 1, "{:?}", jit.stats);
}

#[test]
fn effects_before_a_failing_guard_are_not_repeated() {
    // printadd prints, then its add overflows; the overflow guard fails in
    // compiled code after the print already happened.
    let r = tvm(&example("overflow.tvm"), "threshold=3,trace_eagerness=1000");
    let off = tvm(&example("overflow.tvm"), "off");
    assert_eq!(r.output, off.output);
    assert_eq!(r.error, off.error);
    let lines: Vec<i64> = r.output.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(
        lines.len(),
        63,
        "1, 2, 4, ... 2^62: each printed exactly once"
    );
    assert!(
        r.stats.loops >= 1 && r.stats.guard_failures >= 1,
        "{:?}",
        r.stats
    );
}

#[test]
fn inlined_frame_guard_resumes_both_frames() {
    // `pick`'s branch flips at 2500 while it is inlined into main's loop.
    let r = tvm(&example("phases.tvm"), "threshold=7,trace_eagerness=100000");
    assert_eq!(r.output, "4882750\n");
    assert!(r.stats.guard_failures > 100, "{:?}", r.stats);
}

#[test]
fn bridge_out_of_a_guard_in_an_inlined_frame() {
    // `pick` is inlined into main's loop; its branch flips at i = 2500. The
    // guard's resume data has two frames; its bridge starts inside `pick`,
    // records it to its return, then finishes main's call instruction.
    let r = tvm(&example("phases.tvm"), "threshold=7,trace_eagerness=5");
    assert_eq!(r.output, "4882750\n");
    assert!(r.stats.bridges >= 2, "{:?}", r.stats);
    assert!(
        r.stats.guard_failures < 100,
        "bridges must absorb the failures: {:?}",
        r.stats
    );
    let inner = r
        .traces
        .iter()
        .filter(|(h, _)| h.contains("bridge"))
        .any(|(_, t)| {
            t.ops
                .iter()
                .any(|o| o.comment.as_deref().is_some_and(|c| c.starts_with("pick:")))
        });
    assert!(inner, "a bridge must start inside the inlined frame");
}

#[test]
fn hot_functions_get_entry_traces_ending_in_finish() {
    // fib is called from the interpreter (main's loop runs 5 times): after
    // function_threshold calls its entry is traced, inlining the recursion
    // up to the limit; the trace ends in `finish` with the return value.
    let r = tvm(
        &example("fib.tvm"),
        "threshold=1000,function_threshold=5,trace_eagerness=5",
    );
    assert_eq!(r.output, "6765\n".repeat(5));
    let entry = r.traces.iter().find(|(h, _)| h.contains("entry bridge"));
    let (h, t) = entry.unwrap_or_else(|| panic!("no function entry trace: {:?}", r.stats));
    assert!(h.contains("fib:0"), "{h}");
    assert!(
        t.ops.iter().any(|o| o.opnum == OpNum::Finish),
        "{}",
        normalized(h, t)
    );
}

fn allocations(ops: &[metatrace::ir::Op], name: Option<&str>) -> usize {
    ops.iter()
        .filter(|o| {
            matches!(
                o.opnum,
                OpNum::New | OpNum::NewWithVtable | OpNum::NewArray | OpNum::NewArrayClear
            )
        })
        .filter(|o| name.is_none() || o.descr.and_then(|d| d.name()) == name)
        .count()
}

#[test]
fn boxed_integers_are_carried_unboxed_across_the_back_edge() {
    // Every local of loop.tvm is a boxed IntObj, re-allocated by each
    // `add`. The boxes the jump passes stay virtual: the body's label takes
    // their values, and the body never reads a box back.
    let r = tvm(&example("loop.tvm"), "threshold=7");
    assert_eq!(r.output, tvm(&example("loop.tvm"), "off").output);
    assert_eq!(r.output, "49995000\n");
    let (h, t) = &r.traces[0];
    let b = body(t);
    assert!(
        b.len() < t.ops.len(),
        "the loop is peeled: {}",
        normalized(h, t)
    );
    let reads = b.iter().filter(|o| o.opnum.is_getfield()).count();
    assert_eq!(reads, 0, "{}", normalized(h, t));
}

#[test]
fn boxed_integers_and_temporaries_vanish_from_the_loop_body() {
    let r = tvm(&example("loop.tvm"), "threshold=7");
    assert_eq!(r.output, "49995000\n");
    let (h, t) = &r.traces[0];
    let b = body(t);
    assert_eq!(allocations(b, None), 0, "{}", normalized(h, t));
    assert_eq!(
        b.iter().filter(|o| o.opnum.is_getfield()).count(),
        0,
        "{}",
        normalized(h, t)
    );

    // objects.tvm's temp object (an Obj and its field array) is created
    // and consumed inside the loop: it must not be allocated.
    let r = tvm(&example("objects.tvm"), "threshold=7");
    assert_eq!(r.output, tvm(&example("objects.tvm"), "off").output);
    let (h, t) = &r.traces[0];
    let b = body(t);
    assert_eq!(allocations(b, Some("Obj")), 0, "{}", normalized(h, t));
    assert_eq!(allocations(b, Some("RefArray")), 0, "{}", normalized(h, t));
}

#[test]
fn helper_loop_calls_guest_code_through_call_may_force() {
    // `fold` runs its loop in a Rust helper that calls a guest function
    // per item (`guest::reenter`). The caller's loop records the helper as
    // one `call_may_force`; the callee, called hundreds of times from the
    // helper, gets its own entry trace; in phase 2 a callee bumps the
    // class version while the helper runs, and the caller's loop is
    // invalidated under it.
    let off = tvm(&example("fold.tvm"), "off");
    let r = tvm(&example("fold.tvm"), "threshold=3,function_threshold=5");
    assert_eq!(off.output, "741000\n48000\n1\n");
    assert_eq!(r.output, off.output);
    assert_eq!(r.error, None);
    let (h, t) = r
        .traces
        .iter()
        .find(|(h, _)| h.contains("main"))
        .unwrap_or_else(|| panic!("main's loop not compiled: {:?}", r.stats));
    let calls = count(&t.ops, |o| o == OpNum::CallMayForceR);
    assert!(calls >= 1, "{}", normalized(h, t));
    assert!(
        r.traces.iter().any(|(h, _)| h.contains("addsq:0")),
        "the callee had no trace of its own: {:?}",
        r.traces.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    assert!(r.stats.invalidated_loops >= 1, "{:?}", r.stats);
}

#[test]
fn guest_error_inside_a_helper_leaves_compiled_code_like_the_interpreter() {
    let off = tvm(&example("fold_error.tvm"), "off");
    let r = tvm(
        &example("fold_error.tvm"),
        "threshold=3,function_threshold=5",
    );
    assert!(
        off.error
            .as_deref()
            .unwrap_or("")
            .starts_with("OverflowError"),
        "{:?}",
        off.error
    );
    assert_eq!((&r.output, &r.error), (&off.output, &off.error));
    assert!(r.stats.loops >= 1, "{:?}", r.stats);
}

#[test]
fn quasi_immutable_written_by_guest_code_under_the_recorder_aborts_the_trace() {
    // Each iteration reads the class version, then a helper runs guest
    // code bumping it. A trace recorded over that iteration read the old
    // version as a constant: it is aborted, never compiled stale.
    let off = tvm(&example("qi_nested.tvm"), "off");
    let r = tvm(
        &example("qi_nested.tvm"),
        "threshold=3,function_threshold=5",
    );
    assert_eq!(r.output, off.output);
    assert!(r.output.starts_with("0\n1\n2\n3\n4\n"), "{}", r.output);
    assert!(
        r.stats
            .aborts
            .get("quasi-immutable write")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        r.stats
    );
}

/// `main` calls `sumto(n)` in a loop, with `n` cycling through 3..=9: the
/// callee has a loop of its own whose trip count changes every call.
const LOOP_IN_CALLEE: &str = "func main args=0 locals=3
    push 0
    store 0
    push 0
    store 1
    push 3
    store 2
loop:
    load 0
    push 3000
    lt
    jumpifnot done
    load 1
    load 2
    call sumto
    add
    store 1
    load 2
    push 1
    add
    store 2
    load 2
    push 10
    lt
    jumpif keep
    push 3
    store 2
keep:
    load 0
    push 1
    add
    store 0
    jump loop
done:
    load 1
    print
    push 0
    ret

func sumto args=1 locals=3
    push 0
    store 1
    push 0
    store 2
inner:
    load 2
    load 0
    lt
    jumpifnot out
    load 1
    load 2
    add
    store 1
    load 2
    push 1
    add
    store 2
    jump inner
out:
    load 1
    ret
";

#[test]
fn a_loop_in_an_inlined_callee_becomes_call_assembler_into_its_own_loop() {
    let off = tvm(LOOP_IN_CALLEE, "off");
    let r = tvm(
        LOOP_IN_CALLEE,
        "threshold=7,function_threshold=100000,trace_eagerness=5",
    );
    assert_eq!(r.output, off.output);
    // PyPy's rule (`opimpl_jit_merge_point` in an inlined frame): main's
    // loop inlines `sumto` up to its loop header and calls the rest through
    // `call_assembler`, entering sumto's own loop; the inner loop's
    // iterations are not unrolled into main's trace, so its changing trip
    // count does not grow a bridge per count.
    let (header, t) = r
        .traces
        .iter()
        .find(|(h, t)| h.contains("main") && count(&t.ops, |o| o == OpNum::CallAssemblerR) > 0)
        .unwrap_or_else(|| {
            let all: Vec<String> = r.traces.iter().map(|(h, t)| format!("{h}\n{t}")).collect();
            panic!(
                "main's loop does not call sumto's loop:\n{}",
                all.join("\n")
            )
        });
    assert!(
        r.traces.iter().any(|(h, _)| h.contains("sumto")),
        "sumto's loop is compiled on its own: {:#?}",
        r.traces.iter().map(|(h, _)| h).collect::<Vec<_>>()
    );
    assert!(r.stats.bridges <= 6, "{:?}", r.stats);
    insta::assert_snapshot!(normalized(header, t));
}
