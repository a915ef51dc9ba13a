//! `jit-profile` end to end: a minipy program whose time is in one line of
//! a hot loop runs with the sampling profiler on the native backend; the
//! log's profile must add up, name ops that exist in the logged traces,
//! and put the hot line at the top of the viewer's (measured) heat.
//!
//! One `#[test]` (it sets `METATRACE_LOG`, which minipy's driver reads).

use metatrace_tools::html::{self, Sources};
use metatrace_tools::logfile::{self, TraceId};
use std::path::PathBuf;

/// Line 6 (`x = (x * 7 + i) % 1000003`) is where the work is.
const PROGRAM: &str = "\
def work(n):
    x = 1
    i = 0
    t = 0
    while i < n:
        x = (x * 7 + i) % 1000003
        t += 1
        i += 1
    return x + t

r = 0
for k in range(12):
    r += work(2000000)
print(r)
";

#[test]
fn profile_adds_up_and_heats_the_hot_line() {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) && !cfg!(target_arch = "aarch64") {
        eprintln!("skipped: the sampling profiler needs Linux on x86-64 or AArch64");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mtlog-profile");
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("hot.log");
    let _ = std::fs::remove_file(&log_path);
    std::env::set_var(
        "METATRACE_LOG",
        format!(
            "jit-profile,jit-log-opt,jit-summary,jit-backend-counts:{}",
            log_path.display()
        ),
    );
    let params = metatrace::JitParams::parse("backend=native").unwrap();
    let code = std::thread::spawn(move || minipy::run(params, "hot.py", PROGRAM, vec![]))
        .join()
        .unwrap();
    std::env::remove_var("METATRACE_LOG");
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&log_path).unwrap();
    let log = logfile::parse(&text).unwrap();
    let p = log.profile.as_ref().expect("a jit-profile section");
    assert!(p.unavailable.is_none(), "{:?}", p.unavailable);
    assert_eq!(p.samples, p.compiled + p.helpers + p.other);
    assert!(
        p.compiled >= 20,
        "the hot loop runs in compiled code for most of the run: {p:?}"
    );
    assert_eq!(p.traces.values().sum::<u64>(), p.compiled, "{p:?}");
    for (&(t, op), n) in &p.ops {
        let trace = log
            .trace(t)
            .unwrap_or_else(|| panic!("{t} has samples but no trace"));
        assert!(
            trace.ops().any(|o| o.index == op),
            "{t} op {op} ({n} samples) is not an op of the logged trace"
        );
    }
    for (t, n) in &p.traces {
        let at_ops: u64 = p
            .ops
            .iter()
            .filter(|((id, _), _)| id == t)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(at_ops + p.stubs.get(t).copied().unwrap_or(0), *n, "{t}");
    }
    // The hottest op is the modulo of line 6 (an idiv); its trace is a loop.
    let (&(t, op), _) = p.ops.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(matches!(t, TraceId::Loop(_)), "{t}");
    let name = &log
        .trace(t)
        .unwrap()
        .ops()
        .find(|o| o.index == op)
        .unwrap()
        .name;
    eprintln!("hottest op: {t} op {op} {name}; profile {p:?}");

    let sources = Sources::with_main("hot.py", PROGRAM.to_string());
    let page = html::render(&log, "hot", &sources);
    assert!(page.contains("heat = measured share of compiled-code time"));
    assert!(page.contains("class=\"smp\""), "per-op sample marks");
    // Line 6 has the largest heat.
    let pct = |line: usize| -> f64 {
        let key = format!("id=\"src-hot_py-{line}\"");
        let at = page.find(&key).unwrap_or_else(|| panic!("row {line}"));
        let row = &page[at..at + page[at..].find("</tr>").unwrap()];
        let t = row.split("title=\"").nth(1).unwrap();
        t[..t.find('%').unwrap()].parse().unwrap()
    };
    let hot = pct(6);
    for line in [2, 5, 7, 8, 13] {
        assert!(
            hot > pct(line),
            "line 6 ({hot}%) vs line {line} ({}%)",
            pct(line)
        );
    }
    assert!(hot > 30.0, "line 6 has {hot}% of the samples");
}
