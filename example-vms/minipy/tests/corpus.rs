//! Runs every program in `tests/corpus` (expected output produced by
//! CPython, stdout and stderr merged) with the JIT off, with default
//! parameters and with very low thresholds (so traces, bridges and guard
//! failures really happen), and compares byte for byte. Then the error
//! programs in `tests/errors`: stdout, stderr (without CPython 3.11's caret
//! lines) and exit code must match CPython's.

use std::path::{Path, PathBuf};
use std::process::Command;

const MODES: &[&str] = &[
    "off",
    "default",
    "threshold=3,function_threshold=5",
    "threshold=2,function_threshold=2,trace_eagerness=2",
    // Unused loops freed right away (loop_longevity, memmgr).
    "threshold=3,function_threshold=4,trace_eagerness=2,loop_longevity=1",
    // Compiled loops checked against the interpreter: a mismatch report
    // on stderr would differ from CPython's output.
    "threshold=3,function_threshold=5,verify=on",
];

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(name)
}

fn programs(name: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir(name))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no programs in {name}");
    v
}

fn run(mode: &str, prog: &Path) -> (i32, String, String) {
    run_gc(mode, prog, "")
}

/// `run` with `METATRACE_GC` set (stress: collect at every allocation).
fn run_gc(mode: &str, prog: &Path, gc: &str) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_minipy"))
        .env("METATRACE_GC", gc)
        .args(["--jit", mode])
        .arg(prog)
        .current_dir(prog.parent().unwrap())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// CPython 3.11 underlines the failing expression; minipy does not.
fn strip_carets(s: &str) -> String {
    s.lines()
        .filter(|l| {
            let t = l.trim();
            t.is_empty() || !t.chars().all(|c| c == '^' || c == '~')
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Expected files hold absolute paths of the machine that generated them.
fn normalise_paths(s: &str, prog: &Path) -> String {
    let file = prog.file_name().unwrap().to_string_lossy().into_owned();
    s.lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("  File \"") {
                if let Some(end) = rest.find('"') {
                    let p = &rest[..end];
                    let base = Path::new(p)
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let shown = if base == file {
                        file.clone()
                    } else {
                        p.to_string()
                    };
                    return format!("  File \"{shown}\"{}\n", &rest[end + 1..]);
                }
            }
            format!("{l}\n")
        })
        .collect()
}

#[test]
fn corpus_matches_cpython_in_every_jit_mode() {
    let mut failures = Vec::new();
    for prog in programs("corpus") {
        let expected = std::fs::read_to_string(prog.with_extension("out")).unwrap();
        for mode in MODES {
            let (code, stdout, stderr) = run(mode, &prog);
            let got = format!("{stdout}{stderr}");
            if code != 0 || got != expected {
                failures.push(format!(
                    "{} with --jit {mode}: exit {code}\n--- expected\n{expected}\n--- got\n{got}",
                    prog.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The collector runs at every allocation (and checks the heap after each
/// collection in one of the modes): nothing minipy keeps may be missed as
/// a root, with the JIT off and on.
#[test]
fn corpus_passes_under_gc_stress() {
    // Collecting at every allocation makes the loop-heavy programs take
    // minutes; they run in the normal corpus test (where the collector
    // runs often enough too) and the rest here.
    const SLOW: &[&str] = &[
        "jit_overflow",
        "jit_attrs",
        "jit_exceptions",
        "loops",
        "modules",
    ];
    let mut failures = Vec::new();
    for prog in programs("corpus") {
        let name = prog.file_stem().unwrap().to_string_lossy().into_owned();
        if SLOW.contains(&name.as_str()) {
            continue;
        }
        let expected = std::fs::read_to_string(prog.with_extension("out")).unwrap();
        // Verify (a heap check after each collection) only where cheap.
        let off_gc = if name == "basics" {
            "stress,verify"
        } else {
            "stress"
        };
        for (mode, gc) in [
            ("off", off_gc),
            ("threshold=3,function_threshold=5", "stress"),
        ] {
            let (code, stdout, stderr) = run_gc(mode, &prog, gc);
            let got = format!("{stdout}{stderr}");
            if code != 0 || got != expected {
                failures.push(format!(
                    "{} with --jit {mode}, METATRACE_GC={gc}: exit {code}\n--- got\n{got}",
                    prog.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn error_programs_report_like_cpython() {
    let mut failures = Vec::new();
    for prog in programs("errors") {
        let want_out = std::fs::read_to_string(prog.with_extension("stdout")).unwrap();
        let want_err = std::fs::read_to_string(prog.with_extension("stderr")).unwrap();
        let want_code: i32 = std::fs::read_to_string(prog.with_extension("code"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let want_err = normalise_paths(&strip_carets(&want_err), &prog);
        for mode in ["off", "threshold=3,function_threshold=5"] {
            let (code, out, err) = run(mode, &prog);
            let err = normalise_paths(&strip_carets(&err), &prog);
            let is_syntax = want_err.contains("SyntaxError");
            let err_ok = if is_syntax {
                // The parser's wording differs; the location must not.
                let first = |s: &str| s.lines().next().unwrap_or("").to_string();
                first(&err) == first(&want_err)
                    && err
                        .lines()
                        .last()
                        .unwrap_or("")
                        .starts_with("SyntaxError: ")
            } else {
                err == want_err
            };
            if code != want_code || out != want_out || !err_ok {
                failures.push(format!(
                    "{} (--jit {mode}): exit {code} (want {want_code})\n--- stdout\n{out}\n--- stderr want\n{want_err}\n--- stderr got\n{err}",
                    prog.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn cli_usage_errors_exit_2() {
    for args in [
        &["--bogus"][..],
        &[][..],
        &["--jit", "nonsense=1", "-c", "pass"][..],
        &["-c"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_minipy"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "args {args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage"));
    }
}

#[test]
fn dash_c_runs_code_and_sees_argv() {
    let out = Command::new(env!("CARGO_BIN_EXE_minipy"))
        .args(["-c", "import sys\nprint(sum(range(10)), sys.argv)", "a1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "45 ['-c', 'a1']\n");
}

#[test]
fn hostile_programs_do_not_crash() {
    let programs = [
        "x = [1]\nx.append(x)\nprint(len(x))",
        "def f(): pass\nf(1, 2, 3)",
        "import nonexistent_module_xyz",
        "a = 1\na()",
        "print(1 +)",
        "class A: pass\nA.b.c",
        "x = 10 ** 10000\nprint(len(str(x)))",
        "'%d' % 'x'",
        "[][0]",
        "def g():\n    yield 1\nx = g()\nprint(next(x))\nprint(next(x))",
        "del undefined",
        "raise 5",
        "int('')",
        "1 << -1",
        "{}[[]]",
        "x = None\nx.y = 1",
    ];
    for src in programs {
        let out = Command::new(env!("CARGO_BIN_EXE_minipy"))
            .args(["-c", src])
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "{src:?} exited with {code:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if code == Some(1) {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.starts_with("Traceback") || err.contains("Error"),
                "{src:?}: {err}"
            );
        }
    }
}

/// A metaclass minipy cannot run is refused with a clear error (CPython
/// would run it, so there is no CPython output to compare with), and other
/// class keywords are refused at compile time instead of being ignored.
#[test]
fn unsupported_metaclasses_are_refused() {
    let cases = [
        (
            "class M(type):\n    pass\nclass A(metaclass=M):\n    pass\nprint('unreached')",
            "TypeError: minipy does not support metaclass 'M' (class A): only type and abc.ABCMeta",
        ),
        (
            "class A(metaclass=5):\n    pass",
            "TypeError: minipy does not support metaclass of type 'int' (class A): only type and abc.ABCMeta",
        ),
        (
            "class A(foo=1):\n    pass",
            "SyntaxError: class keyword arguments other than one metaclass= are not supported",
        ),
    ];
    for (src, want) in cases {
        for mode in ["off", "threshold=3,function_threshold=5"] {
            let out = Command::new(env!("CARGO_BIN_EXE_minipy"))
                .args(["--jit", mode, "-c", src])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{src}: {err}");
            assert!(out.stdout.is_empty(), "{src}");
            assert_eq!(err.lines().last(), Some(want), "{src}: {err}");
        }
    }
}
