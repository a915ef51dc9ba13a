//! JIT on vs JIT off: every example program (and programs written to make
//! guards fail) must give byte-identical output and the same error, under
//! several JIT settings, on the IR-interpreter backend (the reference) and
//! on every native backend of the host.
//!
//! Each run happens in its own thread with a large stack: guest recursion
//! is Rust recursion in direct mode, and the VMs keep their I/O buffers in
//! thread-locals (the heap is per thread too, so a run's GC mode is its own).
//!
//! minirb's corpus (`example-vms/minirb/tests/corpus`, expected output from
//! CRuby) runs here too, against CRuby's output rather than JIT off only.
//!
//! The `*_under_gc_stress` tests rerun the corpora with the collector in
//! stress mode (a full collection at every allocation, interpreter, slow
//! paths and inline JIT allocations alike) with JIT off and on, on both
//! backends, and with verify mode for some: a missed root shows up as a
//! wrong output, a verify failure or a crash.

use metatrace::Stats;
use metatrace::{JitDriver, JitParams};
use std::path::PathBuf;

/// JIT settings each program runs under, besides `off`: each on the IR
/// interpreter (the reference) and on every native backend of this host.
const BASE_CONFIGS: &[&str] = &[
    "threshold=2,trace_eagerness=1,function_threshold=3",
    "threshold=3,trace_eagerness=2,inlining=0,function_threshold=2",
    "threshold=7,trace_eagerness=5,trace_limit=400",
    "threshold=57,trace_eagerness=30",
    // Loops freed as soon as they go unused (memmgr), with recursion
    // compiled through call_assembler.
    "threshold=3,trace_eagerness=2,function_threshold=4,loop_longevity=1",
];

/// The native backends whose code runs on this host.
fn native_backends() -> Vec<&'static str> {
    metatrace_tests::LINKED
        .iter()
        .filter(|b| b.arch == Some(std::env::consts::ARCH))
        .map(|b| b.name)
        .collect()
}

/// `BASE_CONFIGS` × (llgraph + native backends).
fn configs() -> Vec<String> {
    let mut v = Vec::new();
    for c in BASE_CONFIGS {
        v.push(format!("{c},backend=llgraph"));
        for b in native_backends() {
            v.push(format!("{c},backend={b}"));
        }
    }
    v
}

fn backend(params: &JitParams) -> Box<dyn metatrace::Backend> {
    metatrace::backend::select(&params.backend, metatrace_tests::LINKED).expect("backend")
}

fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// JIT settings of the GC stress runs, besides `off` (stress makes every
/// run slow, so fewer than `CONFIGS`; the x86 ones only on x86-64, where
/// they do not fall back to llgraph).
fn stress_configs() -> Vec<String> {
    let mut v = vec![
        "off".to_string(),
        "threshold=2,trace_eagerness=1,function_threshold=3,backend=llgraph".to_string(),
    ];
    for b in native_backends() {
        v.push(format!(
            "threshold=2,trace_eagerness=1,function_threshold=3,backend={b}"
        ));
        v.push(format!(
            "threshold=7,trace_eagerness=5,trace_limit=400,backend={b}"
        ));
    }
    v
}

/// Collector mode of a run: normal, or stress (plus verify).
#[derive(Clone, Copy, PartialEq)]
enum Gc {
    Normal,
    Stress,
    StressVerify,
}

impl Gc {
    /// Sets this thread's collector mode.
    fn apply(self) {
        metatrace::heap::gc::set_stress(self != Gc::Normal);
        metatrace::heap::gc::set_verify(self == Gc::StressVerify);
    }
}

pub fn run_bf(src: &[u8], input: &[u8], params: &str) -> (Vec<u8>, Result<(), bf::BfError>, Stats) {
    let (out, res, stats, _) = run_bf_gc(src, input, params, Gc::Normal);
    (out, res, stats)
}

fn run_bf_gc(
    src: &[u8],
    input: &[u8],
    params: &str,
    gc: Gc,
) -> (Vec<u8>, Result<(), bf::BfError>, Stats, u64) {
    let (src, input, params) = (src.to_vec(), input.to_vec(), params.to_string());
    in_thread(move || {
        gc.apply();
        bf::capture_io(&input);
        let program = bf::Program::parse(&src).expect("test programs parse");
        let params = JitParams::parse(&params).unwrap();
        let b = backend(&params);
        let mut driver = JitDriver::new(params, b);
        let mut vm = bf::Bf { program };
        let r = bf::run(&mut driver, &mut vm);
        let collections = metatrace::heap::stats().collections;
        (bf::take_output(), r, driver.stats.clone(), collections)
    })
}

pub fn run_tvm(src: &str, params: &str) -> (tvm::Outcome, Stats) {
    let (out, stats, _) = run_tvm_gc(src, params, Gc::Normal);
    (out, stats)
}

fn run_tvm_gc(src: &str, params: &str, gc: Gc) -> (tvm::Outcome, Stats, u64) {
    let (src, params) = (src.to_string(), params.to_string());
    in_thread(move || {
        gc.apply();
        let program = tvm::asm::parse(&src).expect("test programs parse");
        let params = JitParams::parse(&params).unwrap();
        let b = backend(&params);
        let mut driver = JitDriver::new(params, b);
        let out = tvm::run(&mut driver, program);
        let collections = metatrace::heap::stats().collections;
        (out, driver.stats.clone(), collections)
    })
}

fn examples(dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(dir);
    let mut v: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no examples in {dir}");
    v
}

const GROW: &str = concat!(
    "-[[-",
    ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>",
    "+",
    "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
    "]",
    ">>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>",
    "-]++++++++[>++++++++<-]>+.",
);

/// bf programs made to stress guards, with their input.
const BF_EXTRA: &[(&str, &str, &[u8])] = &[
    // Reverse the input: `,` at EOF stores 0 and ends the read loop.
    ("reverse", ">,[>,]<[.<]", b"hello, jit"),
    // Cell values wrap at 256 inside a hot loop (the + goes past 255).
    ("wrap", "+[>+++++[<+++++++>-]<]>.++++++++++.", b""),
    // The tape grows past its initial 30000 cells in a hot loop.
    // The tape grows past its initial 30000 cells: 255 hops of 130 cells.
    ("grow", GROW, b""),
    // A loop whose exit depends on input: different guards fail per byte.
    (
        "branchy",
        ",[[->+>+<<]>[-<+>]>[[-]++++++++[<++++++>-]<.[-]]<<,]",
        b"\x05\x00\x09\x01\x02",
    ),
];

#[test]
fn bf_jit_on_equals_jit_off() {
    let mut corpus: Vec<(String, Vec<u8>, Vec<u8>)> = examples("example-vms/bf/examples", "b")
        .into_iter()
        .map(|(n, s)| (n, s, Vec::new()))
        .collect();
    for (name, src, input) in BF_EXTRA {
        corpus.push((name.to_string(), src.as_bytes().to_vec(), input.to_vec()));
    }
    let mut compiled_something = false;
    for (name, src, input) in &corpus {
        let (want_out, want_res, _) = run_bf(src, input, "off");
        for cfg in &configs() {
            let (out, res, stats) = run_bf(src, input, cfg);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want_out),
                "bf {name}: output differs with --jit {cfg}"
            );
            assert_eq!(res, want_res, "bf {name}: result differs with --jit {cfg}");
            compiled_something |= stats.loops > 0;
        }
    }
    assert!(
        compiled_something,
        "the JIT never compiled a loop: the test proves nothing"
    );
}

#[test]
fn tvm_jit_on_equals_jit_off() {
    let mut loops = 0;
    let mut bridges = 0;
    for (name, src) in examples("example-vms/tvm/examples", "tvm") {
        let src = String::from_utf8(src).unwrap();
        let (want, _) = run_tvm(&src, "off");
        for cfg in &configs() {
            let (got, stats) = run_tvm(&src, cfg);
            assert_eq!(
                String::from_utf8_lossy(&got.output),
                String::from_utf8_lossy(&want.output),
                "tvm {name}: output differs with --jit {cfg}"
            );
            assert_eq!(
                got.error, want.error,
                "tvm {name}: error differs with --jit {cfg}"
            );
            loops += stats.loops;
            bridges += stats.bridges;
        }
    }
    assert!(
        loops > 0 && bridges > 0,
        "loops={loops} bridges={bridges}: the corpus must exercise both"
    );
}

#[test]
fn bf_corpus_under_gc_stress() {
    let mut corpus: Vec<(String, Vec<u8>, Vec<u8>)> = examples("example-vms/bf/examples", "b")
        .into_iter()
        .map(|(n, s)| (n, s, Vec::new()))
        .collect();
    for (name, src, input) in BF_EXTRA {
        corpus.push((name.to_string(), src.as_bytes().to_vec(), input.to_vec()));
    }
    let mut collections = 0;
    for (name, src, input) in &corpus {
        let (want_out, want_res, _) = run_bf(src, input, "off");
        for (i, cfg) in stress_configs().into_iter().enumerate() {
            let gc = if i % 2 == 0 {
                Gc::StressVerify
            } else {
                Gc::Stress
            };
            let (out, res, _, n) = run_bf_gc(src, input, &cfg, gc);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want_out),
                "bf {name}: output differs under GC stress with --jit {cfg}"
            );
            assert_eq!(res, want_res, "bf {name}: result differs under GC stress");
            collections += n;
        }
    }
    assert!(collections > 0, "stress mode never collected");
}

#[test]
fn tvm_corpus_under_gc_stress() {
    let mut loops = 0;
    for (name, src) in examples("example-vms/tvm/examples", "tvm") {
        let src = String::from_utf8(src).unwrap();
        let (want, _) = run_tvm(&src, "off");
        for (i, cfg) in stress_configs().into_iter().enumerate() {
            let gc = if i % 2 == 0 {
                Gc::StressVerify
            } else {
                Gc::Stress
            };
            let (got, stats, collections) = run_tvm_gc(&src, &cfg, gc);
            assert_eq!(
                String::from_utf8_lossy(&got.output),
                String::from_utf8_lossy(&want.output),
                "tvm {name}: output differs under GC stress with --jit {cfg}"
            );
            assert_eq!(
                got.error, want.error,
                "tvm {name}: error differs under GC stress"
            );
            // Every allocation collects; tvm allocates its constants at least.
            assert!(collections > 0, "tvm {name}: stress mode never collected");
            loops += stats.loops;
        }
    }
    assert!(loops > 0, "the JIT never compiled a loop under stress");
}

/// One minirb corpus program: its name, source, CRuby's stdout and, for
/// programs that end in an uncaught exception, CRuby's stderr.
struct RbProgram {
    name: String,
    path: PathBuf,
    src: String,
    stdout: String,
    stderr: Option<String>,
}

fn minirb_corpus() -> Vec<RbProgram> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../example-vms/minirb/tests/corpus");
    let mut v: Vec<RbProgram> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rb"))
        .map(|p| RbProgram {
            name: p.file_name().unwrap().to_string_lossy().into_owned(),
            src: std::fs::read_to_string(&p).unwrap(),
            stdout: std::fs::read_to_string(p.with_extension("expected")).unwrap(),
            stderr: std::fs::read_to_string(p.with_extension("stderr")).ok(),
            path: p,
        })
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(v.len() >= 20, "the minirb corpus has {} programs", v.len());
    v
}

fn run_rb(p: &RbProgram, params: &str, gc: Gc) -> minirb::Outcome {
    let (path, src, params) = (
        p.path.to_string_lossy().into_owned(),
        p.src.clone(),
        params.to_string(),
    );
    in_thread(move || {
        gc.apply();
        let params = JitParams::parse(&params).unwrap();
        minirb::run_captured(params, &path, &src)
    })
}

/// Compares a run with CRuby's output; the program's path is shown
/// relative to the corpus directory, as CRuby printed it there.
fn rb_mismatch(p: &RbProgram, cfg: &str, o: &minirb::Outcome) -> Option<String> {
    let out = String::from_utf8_lossy(&o.stdout);
    let dir = format!("{}/", p.path.parent().unwrap().display());
    let err = o.stderr.replace(&dir, "");
    let (want_err, want_code) = match &p.stderr {
        Some(e) => (e.as_str(), 1),
        None => ("", 0),
    };
    (out != p.stdout || err != want_err || o.code != want_code).then(|| {
        format!(
            "minirb {} with --jit {cfg}: exit {} (want {want_code})\n--- stdout\n{out}\n--- want\n{}\n--- stderr\n{err}",
            p.name, o.code, p.stdout
        )
    })
}

#[test]
fn minirb_corpus_matches_cruby() {
    let mut failures = Vec::new();
    let (mut loops, mut bridges) = (0, 0);
    for p in &minirb_corpus() {
        let mut cfgs = vec!["off".to_string()];
        cfgs.extend(configs());
        for cfg in &cfgs {
            let o = run_rb(p, cfg, Gc::Normal);
            failures.extend(rb_mismatch(p, cfg, &o));
            loops += o.stats.loops;
            bridges += o.stats.bridges;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        loops > 0 && bridges > 0,
        "loops={loops} bridges={bridges}: the corpus must exercise both"
    );
}

#[test]
fn minirb_corpus_under_gc_stress() {
    // Deep recursion and long loops make a collection at every allocation
    // cost seconds to minutes; these run in the normal test only.
    const SLOW: &[&str] = &["07_methods.rb", "14_jit_loops.rb", "20_polymorph_guards.rb"];
    let mut failures = Vec::new();
    let mut runs = 0;
    for p in minirb_corpus()
        .iter()
        .filter(|p| !SLOW.contains(&p.name.as_str()))
    {
        for (i, cfg) in stress_configs().into_iter().enumerate() {
            // Verify (a heap check after each collection) with the JIT
            // off only: it is the slow part.
            let gc = if i == 0 { Gc::StressVerify } else { Gc::Stress };
            let o = run_rb(p, &cfg, gc);
            failures.extend(rb_mismatch(p, &format!("{cfg} (GC stress)"), &o));
            runs += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(runs >= 17 * 3, "only {runs} stress runs");
}

/// `--jit verify=on` settings: every corpus runs under them with the same
/// output as JIT off and not one mismatch, on llgraph and native backends.
fn verify_configs() -> Vec<String> {
    let mut v = Vec::new();
    for c in [
        "threshold=2,trace_eagerness=1,function_threshold=3,verify=on",
        "threshold=7,trace_eagerness=5,verify=on",
    ] {
        v.push(format!("{c},backend=llgraph"));
        for b in native_backends() {
            v.push(format!("{c},backend={b}"));
        }
    }
    v
}

#[test]
fn every_corpus_under_jit_verify_has_no_mismatch() {
    let mut verified = 0;
    let mut failures = Vec::new();
    for (name, src) in examples("example-vms/bf/examples", "b") {
        let (want, _, _) = run_bf(&src, b"", "off");
        for cfg in &verify_configs() {
            let (out, _, stats) = run_bf(&src, b"", cfg);
            if out != want || stats.mismatches != 0 {
                failures.push(format!(
                    "bf {name} --jit {cfg}: {} mismatches, output same: {}",
                    stats.mismatches,
                    out == want
                ));
            }
            verified += stats.verified;
        }
    }
    for (name, src) in examples("example-vms/tvm/examples", "tvm") {
        let src = String::from_utf8(src).unwrap();
        let (want, _) = run_tvm(&src, "off");
        for cfg in &verify_configs() {
            let (got, stats) = run_tvm(&src, cfg);
            if got.output != want.output || got.error != want.error || stats.mismatches != 0 {
                failures.push(format!(
                    "tvm {name} --jit {cfg}: {} mismatches, output same: {}",
                    stats.mismatches,
                    got.output == want.output
                ));
            }
            verified += stats.verified;
        }
    }
    for p in &minirb_corpus() {
        for cfg in &verify_configs() {
            let o = run_rb(p, cfg, Gc::Normal);
            failures.extend(rb_mismatch(p, cfg, &o));
            if o.stats.mismatches != 0 {
                failures.push(format!(
                    "minirb {} --jit {cfg}: {} mismatches",
                    p.name, o.stats.mismatches
                ));
            }
            verified += o.stats.verified;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        verified > 100,
        "only {verified} trips verified: the test proves little"
    );
}

#[test]
fn jit_verify_catches_an_injected_miscompile_and_keeps_the_output_right() {
    // `test_fault=int_add` bumps the constant of the first `int_add(x, C)`
    // in each loop body: a wrong constant fold. Without verify the output
    // is wrong; with it, every mismatch is caught before its result is
    // used, and the program prints what the interpreter prints.
    let src = examples("example-vms/bf/examples", "b")
        .into_iter()
        .find(|(n, _)| n == "hello.b")
        .unwrap()
        .1;
    let (want, _, _) = run_bf(&src, b"", "off");
    let (broken, _, _) = run_bf(&src, b"", "threshold=3,test_fault=int_add,backend=llgraph");
    assert_ne!(broken, want, "the injected fault must change the output");
    let mut cfgs = vec!["threshold=3,verify=on,test_fault=int_add,backend=llgraph".to_string()];
    for b in native_backends() {
        cfgs.push(format!(
            "threshold=3,verify=on,test_fault=int_add,backend={b}"
        ));
    }
    for cfg in &cfgs {
        let (out, res, stats) = run_bf(&src, b"", cfg);
        assert!(res.is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want),
            "--jit {cfg}"
        );
        assert!(
            stats.mismatches > 0,
            "--jit {cfg}: the fault was not caught"
        );
    }
}

#[test]
fn jit_verify_reports_the_loop_location_and_the_differing_value() {
    let log = std::env::temp_dir().join(format!("mt-verify-{}.log", std::process::id()));
    let spec = format!("jit-verify:{}", log.display());
    let src = "++++++++[>++++++++<-]>[-<+>]<.".to_string();
    in_thread(move || {
        bf::capture_io(b"");
        let program = bf::Program::parse(src.as_bytes()).unwrap();
        let params =
            JitParams::parse("threshold=2,verify=on,test_fault=int_add,backend=llgraph").unwrap();
        let b = backend(&params);
        let mut driver = JitDriver::new(params, b).with_log(metatrace::log::Log::from_spec(&spec));
        let mut vm = bf::Bf { program };
        bf::run(&mut driver, &mut vm).unwrap();
        assert_eq!(
            bf::take_output(),
            vec![64u8],
            "the interpreter's result is kept"
        );
        assert!(driver.stats.mismatches > 0);
    });
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    assert!(text.contains("mismatch in loop"), "{text}");
    // The report names the loop's guest location, the differing value
    // (compiled vs interpreter) and shows the trace with the bad add.
    assert!(text.contains(" at bf pc="), "{text}");
    assert!(
        text.contains("compiled code") && text.contains("the interpreter"),
        "{text}"
    );
    assert!(text.contains("guard_verify"), "{text}");
}
