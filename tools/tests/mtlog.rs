//! `mtlog` on logs the example VMs write: snapshot tests of every command
//! (run as the real binary), the log round-trip (everything the VM writes,
//! mtlog reads back, op counts matching the headers and the driver's own
//! statistics), bad logs (empty, corrupt, not UTF-8) giving a clear error
//! and a non-zero exit, never a panic, and logs cut short (the program was
//! killed) shown up to the cut with a note on stderr saying where.
//!
//! The logs are produced in-process: the VM runs with a `JitDriver` on the
//! IR-interpreter backend and a log, and dropping the driver writes the
//! `jit-summary` and flushes. Snapshots are normalized (timings,
//! percentages, addresses) so they do not depend on the machine.

use metatrace::Stats;
use metatrace::{JitDriver, JitParams, LlGraph};
use metatrace_tools::logfile::{self, LogError, TraceId};
use std::path::{Path, PathBuf};
use std::process::Command;

const CATS: &str = "jit-log-opt,jit-abort,jit-summary,jit-backend";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mtlog-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn in_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Runs a bf program with a log; returns the log's path and the stats.
fn bf_log(example: &str, params: &str, log_name: &str) -> (PathBuf, Stats) {
    let src = std::fs::read(root().join("example-vms/bf/examples").join(example)).unwrap();
    let path = tmp(log_name);
    let (p, params) = (path.clone(), params.to_string());
    let stats = in_thread(move || {
        bf::capture_io(b"");
        let program = bf::Program::parse(&src).unwrap();
        let mut driver =
            JitDriver::new(JitParams::parse(&params).unwrap(), Box::new(LlGraph::new())).with_log(
                metatrace::log::Log::from_spec(&format!("{CATS}:{}", p.display())),
            );
        let mut vm = bf::Bf { program };
        bf::run(&mut driver, &mut vm).unwrap();
        let _ = bf::take_output();
        let stats = driver.stats.clone();
        drop(driver);
        stats
    });
    (path, stats)
}

/// Runs a tvm program with a log; returns the log's path and the stats.
fn tvm_log(example: &str, params: &str, log_name: &str) -> (PathBuf, Stats) {
    let src =
        std::fs::read_to_string(root().join("example-vms/tvm/examples").join(example)).unwrap();
    let path = tmp(log_name);
    let (p, params) = (path.clone(), params.to_string());
    let stats = in_thread(move || {
        let program = tvm::asm::parse(&src).unwrap();
        let mut driver =
            JitDriver::new(JitParams::parse(&params).unwrap(), Box::new(LlGraph::new())).with_log(
                metatrace::log::Log::from_spec(&format!("{CATS}:{}", p.display())),
            );
        let _ = tvm::run(&mut driver, program);
        let stats = driver.stats.clone();
        drop(driver);
        stats
    });
    (path, stats)
}

/// Runs the mtlog binary from the workspace root: (exit ok, stdout, stderr).
fn mtlog(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mtlog"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Replaces what changes from run to run: `0x...` addresses, decimal
/// numbers (timings, percentages) and the padding in front of them.
fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut l = String::with_capacity(line.len());
        let b = line.as_bytes();
        let mut i = 0;
        let mut changed = false;
        while i < b.len() {
            if b[i] == b'0'
                && b.get(i + 1) == Some(&b'x')
                && b.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
            {
                i += 2;
                while i < b.len() && b[i].is_ascii_hexdigit() {
                    i += 1;
                }
                l.push_str("0xADDR");
                continue;
            }
            if b[i].is_ascii_digit()
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
                    j += 1;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    l.push_str("<N>");
                    changed = true;
                    i = j;
                    continue;
                }
                l.push_str(&line[i..j]);
                i = j;
                continue;
            }
            let c = line[i..].chars().next().unwrap();
            l.push(c);
            i += c.len_utf8();
        }
        if changed {
            let indent = l.len() - l.trim_start().len();
            let body: Vec<&str> = l.split_whitespace().collect();
            l = format!("{}{}", " ".repeat(indent), body.join(" "));
        }
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn snap_cli(name: &str, args: &[&str]) {
    let (ok, stdout, stderr) = mtlog(args);
    assert!(ok, "mtlog {args:?} failed: {stderr}");
    insta::assert_snapshot!(name, normalize(&stdout));
}

#[test]
fn snapshots_bf() {
    let (log, _) = bf_log("nested.b", "threshold=3", "bf-nested.log");
    let log = log.to_str().unwrap();
    snap_cli("bf_summary", &["summary", log]);
    snap_cli("bf_guards", &["guards", log]);
    snap_cli("bf_traces_bridge", &["traces", log, "--bridge", "22"]);
    snap_cli("bf_traces_loop", &["traces", log, "--loop", "18"]);
    let html = tmp("bf-nested.html");
    let (ok, _, err) = mtlog(&[
        "html",
        log,
        "-o",
        html.to_str().unwrap(),
        "--source",
        "example-vms/bf/examples/nested.b",
    ]);
    assert!(ok, "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("example-vms/bf/examples/nested.b:"),
        "source lines are shown"
    );
    assert!(
        page.contains("<a href=\"#bridge-22\">"),
        "the bridge is linked"
    );
}

#[test]
fn snapshots_tvm() {
    let (log, _) = tvm_log(
        "phases.tvm",
        "threshold=3,trace_eagerness=2",
        "tvm-phases.log",
    );
    let log = log.to_str().unwrap();
    snap_cli("tvm_summary", &["summary", log]);
    snap_cli("tvm_traces", &["traces", log]);
    snap_cli("tvm_guards", &["guards", log]);
    let html = tmp("tvm-phases.html");
    let (ok, stdout, err) = mtlog(&[
        "html",
        log,
        "-o",
        html.to_str().unwrap(),
        "--source",
        "example-vms/tvm/examples/phases.tvm",
    ]);
    assert!(ok, "{err}");
    assert!(stdout.starts_with("wrote "), "{stdout}");
    let page = std::fs::read_to_string(&html).unwrap();
    insta::assert_snapshot!(
        "tvm_html",
        normalize(&page.replace(html.to_str().unwrap(), "OUT.html"))
    );
}

#[test]
fn snapshot_aborts() {
    let (log, _) = tvm_log("fib.tvm", "threshold=3,trace_eagerness=2", "tvm-fib.log");
    snap_cli("tvm_fib_summary", &["summary", log.to_str().unwrap()]);
}

/// What the VM writes, mtlog reads: every section, op counts matching the
/// headers, counts matching the driver's statistics, every bridge under a
/// logged guard.
#[test]
fn round_trip() {
    let mut runs = vec![
        bf_log("nested.b", "threshold=3", "rt-bf-nested.log"),
        bf_log(
            "guards.b",
            "threshold=2,trace_eagerness=1",
            "rt-bf-guards.log",
        ),
        bf_log(
            "hello.b",
            "threshold=7,trace_eagerness=5",
            "rt-bf-hello.log",
        ),
    ];
    for entry in std::fs::read_dir(root().join("example-vms/tvm/examples")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".tvm") {
            runs.push(tvm_log(
                &name,
                "threshold=2,trace_eagerness=1",
                &format!("rt-tvm-{name}.log"),
            ));
        }
    }
    let (mut loops, mut bridges) = (0, 0);
    for (path, stats) in &runs {
        let text = std::fs::read_to_string(path).unwrap();
        let log = logfile::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let what = path.display();
        assert_eq!(
            log.loops().count(),
            text.matches("{jit-log-opt-loop\n").count(),
            "{what}"
        );
        assert_eq!(
            log.bridges().count(),
            text.matches("{jit-log-opt-bridge\n").count(),
            "{what}"
        );
        assert_eq!(log.loops().count() as u32, stats.loops, "{what}");
        assert_eq!(log.bridges().count() as u32, stats.bridges, "{what}");
        for t in &log.traces {
            assert_eq!(t.op_count(), t.header_ops, "{what}: {}", t.id);
            if let TraceId::Bridge(_) = t.id {
                assert!(
                    log.root_loop(t).is_some(),
                    "{what}: {} hangs under no logged loop",
                    t.id
                );
            }
        }
        let sum = log.summary.as_ref().expect("jit-summary section");
        assert_eq!(sum.loops, Some(stats.loops as u64), "{what}");
        assert_eq!(sum.bridges, Some(stats.bridges as u64), "{what}");
        assert_eq!(sum.guard_failures, Some(stats.guard_failures), "{what}");
        let aborts: u32 = stats.aborts.values().sum();
        assert_eq!(sum.aborts.values().sum::<u64>(), aborts as u64, "{what}");
        assert_eq!(
            log.aborts.len(),
            aborts as usize,
            "{what}: one jit-abort section per abort"
        );
        for l in log.loops() {
            assert!(
                log.backend_for(l.id).is_some(),
                "{what}: {} has no jit-backend section",
                l.id
            );
        }
        loops += log.loops().count();
        bridges += log.bridges().count();
    }
    assert!(
        loops > 0 && bridges > 0,
        "the corpus must exercise loops ({loops}) and bridges ({bridges})"
    );
}

fn assert_fails(path: &Path, needle: &str) {
    let (ok, stdout, stderr) = mtlog(&["summary", path.to_str().unwrap()]);
    assert!(!ok, "mtlog accepted {}: {stdout}", path.display());
    assert!(
        stderr.starts_with("mtlog: ") && stderr.contains(needle),
        "{}: {stderr}",
        path.display()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    for cmd in ["traces", "guards"] {
        let (ok, _, stderr) = mtlog(&[cmd, path.to_str().unwrap()]);
        assert!(
            !ok && stderr.contains(needle) && !stderr.contains("panicked"),
            "{cmd}: {stderr}"
        );
    }
    let (ok, _, stderr) = mtlog(&[
        "html",
        path.to_str().unwrap(),
        "-o",
        tmp("bad.html").to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains(needle) && !stderr.contains("panicked"),
        "html: {stderr}"
    );
}

#[test]
fn bad_logs_fail_cleanly() {
    let (good, _) = bf_log("nested.b", "threshold=3", "bad-src.log");
    let text = std::fs::read(&good).unwrap();

    let empty = tmp("empty.log");
    std::fs::write(&empty, "").unwrap();
    assert_fails(&empty, "empty");

    let binary = tmp("binary.log");
    std::fs::write(
        &binary,
        b"[1a] {jit-summary\n\xff\xfe\x00garbage\n[1b] jit-summary}\n",
    )
    .unwrap();
    assert_fails(&binary, "not UTF-8");

    let garbage = tmp("garbage.log");
    std::fs::write(&garbage, "this is not a log\nat all\n").unwrap();
    assert_fails(&garbage, "no log sections");

    let corrupt = tmp("corrupt.log");
    let s = String::from_utf8_lossy(&text).replacen(": loop with ", ": loop with 1", 1);
    std::fs::write(&corrupt, s).unwrap();
    assert_fails(&corrupt, "corrupt log at line 2");

    let (ok, _, stderr) = mtlog(&["summary", "/nonexistent/x.log"]);
    assert!(!ok && stderr.contains("cannot read"), "{stderr}");

    // Every prefix of a real log reads or fails cleanly (no panic).
    for cut in (0..text.len()).step_by(37) {
        match logfile::parse_bytes(&text[..cut]) {
            Ok(_) | Err(LogError::Empty | LogError::NoSections) => {}
            Err(e) => panic!("prefix {cut}: unexpected {e}"),
        }
    }
}

#[test]
fn traces_selection_errors() {
    let (log, _) = bf_log("hello.b", "threshold=3", "sel.log");
    let (ok, _, stderr) = mtlog(&["traces", log.to_str().unwrap(), "--loop", "99999"]);
    assert!(!ok && stderr.contains("no Loop 99999"), "{stderr}");
}

/// The traces `mtlog traces` lists (`=== Loop N ...` / `=== bridge ...`).
fn listed(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| l.starts_with("=== "))
        .map(String::from)
        .collect()
}

#[test]
fn cut_logs_are_shown_up_to_the_cut() {
    let (good, _) = bf_log("nested.b", "threshold=3", "cut-src.log");
    let text = std::fs::read_to_string(&good).unwrap();
    let full = metatrace::log::reader::read(&text).unwrap();
    assert!(
        full.ended && full.cut.is_none(),
        "the VM's log ends normally"
    );
    let (ok, all, stderr) = mtlog(&["traces", good.to_str().unwrap()]);
    assert!(ok && stderr.is_empty(), "{stderr}");
    let all = listed(&all);
    let opt = |s: &&metatrace::log::reader::Section| s.category.starts_with("jit-log-opt");
    let second = full.sections.iter().filter(opt).nth(1).unwrap();
    let before = full
        .sections
        .iter()
        .rposition(|s| s.offset < second.offset)
        .unwrap();
    let before = &full.sections[before];
    let close_line = before.line + 1 + before.body.lines().count();

    // Cut in the middle of the second trace's section: the first trace is
    // shown, the second is not, and the note names the cut section.
    let mid = second.offset + second.body.len() / 2 + 20;
    let cut_mid = tmp("cut-mid.log");
    std::fs::write(&cut_mid, &text[..mid]).unwrap();
    let (ok, stdout, stderr) = mtlog(&["traces", cut_mid.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&stdout), all[..1], "{stdout}");
    let cut_line = text[..mid].lines().count();
    for want in [
        "mtlog: note: ".to_string(),
        format!("the log is cut at line {cut_line} (byte {mid})"),
        format!(
            "in section `{}` opened at line {} (byte {})",
            second.category, second.line, second.offset
        ),
        "that section is left out".to_string(),
    ] {
        assert!(stderr.contains(&want), "missing {want:?} in {stderr}");
    }
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // Cut between sections, just before the second trace's section.
    let cut_between = tmp("cut-between.log");
    std::fs::write(&cut_between, &text[..second.offset]).unwrap();
    let (ok, stdout, stderr) = mtlog(&["traces", cut_between.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    assert_eq!(listed(&stdout), all[..1], "{stdout}");
    let want = format!(
        "the log is cut at line {close_line} (byte {}), after section `{}` closed at line {close_line}",
        second.offset, before.category
    );
    assert!(stderr.contains(&want), "missing {want:?} in {stderr}");

    // Cut inside the first section: nothing complete, still read.
    let first = tmp("cut-first.log");
    std::fs::write(&first, &text[..full.sections[0].offset + 40]).unwrap();
    let (ok, stdout, stderr) = mtlog(&["traces", first.to_str().unwrap()]);
    assert!(
        ok && stdout.contains("no complete optimized loop"),
        "{stdout}{stderr}"
    );
    assert!(stderr.contains("opened at line 1 (byte 0)"), "{stderr}");

    // Every command reads a cut log and exits 0 with the note.
    for args in [
        vec!["summary", cut_mid.to_str().unwrap()],
        vec!["guards", cut_mid.to_str().unwrap()],
        vec![
            "html",
            cut_mid.to_str().unwrap(),
            "-o",
            tmp("cut.html").to_str().unwrap(),
        ],
    ] {
        let (ok, stdout, stderr) = mtlog(&args);
        assert!(ok && stderr.contains("mtlog: note: "), "{args:?}: {stderr}");
        assert!(
            !stdout.is_empty() && !stderr.contains("panicked"),
            "{args:?}"
        );
    }
}
