//! The tutorial's promises, checked: each step prints what step 1 prints,
//! and steps 2 and 3 really compile their loops (docs/tutorial.md).

use metatrace::log::Log;
use metatrace::{backend, JitDriver, JitParams, LlGraph};
use std::process::Command;
use tutorial::{parse::Program, run_source};

const SUM: &str = include_str!("../examples/sum.calc");
const HINTS: &str = include_str!("../examples/hints.calc");
const SUM_OUT: &str = "4999950000\n3\n2\n1\n";
const HINTS_OUT: &str = "16840790000\n17040780000\n17240770000\n";

fn params(s: &str) -> JitParams {
    JitParams::parse(s).unwrap()
}

fn native() -> Box<dyn metatrace::Backend> {
    backend::select(&params("").backend, tutorial::BACKENDS).unwrap()
}

#[test]
fn step1_is_a_plain_interpreter() {
    let out = run_source(SUM, 1, params(""), Box::new(LlGraph::new())).unwrap();
    assert_eq!(out.output, SUM_OUT);
    assert!(out.stats.is_none());
}

#[test]
fn step2_jit_on_and_off_agree_and_the_loop_compiles() {
    for step in [2, 3] {
        let off = run_source(SUM, step, params("off"), Box::new(LlGraph::new())).unwrap();
        assert_eq!(off.output, SUM_OUT);
        assert_eq!(off.stats.unwrap().loops, 0, "--jit off compiles nothing");
        for backend in [
            Box::new(LlGraph::new()) as Box<dyn metatrace::Backend>,
            native(),
        ] {
            let name = backend.name();
            let on = run_source(SUM, step, params("threshold=50"), backend).unwrap();
            assert_eq!(on.output, SUM_OUT, "step {step} on {name}");
            let stats = on.stats.unwrap();
            // The `loop` and `down` loops; `down` runs 3 times only.
            assert!(stats.loops >= 1, "step {step} on {name}: {}", on.summary);
            assert!(on.summary.contains("Total # of loops:"), "{}", on.summary);
        }
    }
}

#[test]
fn step3_hints_fold_and_invalidate() {
    let off = run_source(HINTS, 3, params("off"), Box::new(LlGraph::new())).unwrap();
    assert_eq!(off.output, HINTS_OUT);
    let on = run_source(HINTS, 3, params("threshold=50"), native()).unwrap();
    assert_eq!(on.output, HINTS_OUT);
    let stats = on.stats.unwrap();
    assert!(stats.loops >= 2, "{}", on.summary);
    // `setscale` in rounds 2 and 3 invalidates the loop that read the scale.
    assert!(stats.invalidated_loops >= 1, "{}", on.summary);
}

#[test]
fn step3_trace_reads_scale_as_a_constant_and_folds_fib() {
    let dir = std::env::temp_dir().join(format!("tutorial-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hints.log");
    let log = Log::from_spec(&format!("jit-log-opt-loop:{}", path.display()));
    let mut driver = JitDriver::new(params("threshold=50"), Box::new(LlGraph::new())).with_log(log);
    let out = tutorial::step3::run(&mut driver, Program::parse(HINTS).unwrap());
    assert_eq!(out, HINTS_OUT);
    drop(driver);
    let text = std::fs::read_to_string(&path).unwrap();
    // The inner loop (from line 13, `scale s i`) as it is compiled.
    let inner = text
        .split("{jit-log-opt-loop")
        .find(|s| s.contains("(calc line 13: scale s i)"))
        .expect("the inner loop was compiled");
    assert!(inner.contains("quasiimmut_field("), "{inner}");
    assert!(inner.contains("guard_not_invalidated("), "{inner}");
    assert!(inner.contains("guard_value("), "promote: {inner}");
    // fib(30) = 832040 is a constant; no call is left.
    assert!(inner.contains("832040"), "{inner}");
    assert!(!inner.contains("call_"), "{inner}");
    // Round 1 scale: 1 -> no multiply; the scale is never loaded.
    assert!(!inner.contains("getfield_gc"), "{inner}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn steps_reject_what_they_cannot_run() {
    let e = run_source(HINTS, 2, params(""), Box::new(LlGraph::new()))
        .err()
        .unwrap();
    assert_eq!(e, "line 9: `setscale round` needs step 3 (--step 3)");
    let e = run_source(SUM, 4, params(""), Box::new(LlGraph::new()))
        .err()
        .unwrap();
    assert_eq!(e, "there is no step 4 (steps are 1, 2 and 3)");
}

fn calc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_calc"))
}

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn binary_jit_on_off_and_summary() {
    let off = calc()
        .args(["--jit", "off", &example("hints.calc")])
        .output()
        .unwrap();
    assert!(off.status.success());
    assert_eq!(String::from_utf8_lossy(&off.stdout), HINTS_OUT);
    let on = calc()
        .args(["--jit", "threshold=50", &example("hints.calc")])
        .env("METATRACE_LOG", "jit-summary:-")
        .output()
        .unwrap();
    assert!(on.status.success());
    assert_eq!(on.stdout, off.stdout);
    let err = String::from_utf8_lossy(&on.stderr);
    let loops: u32 = err
        .lines()
        .find_map(|l| l.strip_prefix("Total # of loops:"))
        .expect("a jit-summary")
        .trim()
        .parse()
        .unwrap();
    assert!(loops > 0, "{err}");
}

#[test]
fn binary_reports_bad_programs() {
    let bad = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad.calc");
    let r = calc().arg(bad).output().unwrap();
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("bad.calc: line 2: unknown instruction `frobnicate`"),
        "{err}"
    );
    let r = calc().arg("/nonexistent/x.calc").output().unwrap();
    assert_eq!(r.status.code(), Some(1));
}

/// Every Rust block in docs/tutorial.md whose first line is
/// `// example-vms/tutorial/...` is made of lines of that file: the page
/// cannot drift from the code.
#[test]
fn tutorial_page_quotes_the_code() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let page = std::fs::read_to_string(format!("{root}/docs/tutorial.md")).unwrap();
    let mut checked = 0;
    let mut in_block = false;
    let mut file: Option<String> = None;
    for line in page.lines() {
        let t = line.trim();
        if t == "```rust" {
            in_block = true;
            file = None;
            continue;
        }
        if t == "```" {
            in_block = false;
            continue;
        }
        if !in_block {
            continue;
        }
        match &file {
            None => {
                let path = t.strip_prefix("// ").expect("a block naming its file");
                file = Some(std::fs::read_to_string(format!("{root}/{path}")).unwrap());
            }
            Some(src) => {
                if !t.is_empty() {
                    assert!(
                        src.lines().any(|l| l.trim() == t),
                        "docs/tutorial.md quotes a line its file lacks: {t}"
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 60, "only {checked} quoted lines found");
}
