//! Opt-in check of the HTML viewer in a real headless browser (Debian's
//! `chromium`): the page loads from `file://`, its script runs, following
//! a bridge's anchor marks it in the tree, and a screenshot is taken.
//!
//! Run with `cargo test -p metatrace-tools --test browser -- --ignored`.
//! Without `chromium` (or `chromium-browser`) on PATH the test prints why
//! and passes: CI does not depend on a browser.

use std::path::PathBuf;
use std::process::Command;

const LOG: &str = "\
[10] {jit-log-opt-loop
# Loop 3 (main:1 line 2 Load(0)) : loop with 3 ops
[i0]
label(i0, descr=TargetToken(1))
debug_merge_point(0, 'main:1 line 2 Load(0)')
guard_true(i0, descr=<Guard4>) [i0]
jump(i0, descr=TargetToken(1))
[20] jit-log-opt-loop}
[30] {jit-log-opt-bridge
# bridge out of Guard 4 with 1 ops
[i0]
debug_merge_point(0, 'main:7 line 3 Print')
jump(i0, descr=TargetToken(1))
[40] jit-log-opt-bridge}
[50] {jit-summary
Running:      \t0.5
Interpreting: \t0.5
TOTAL:      \t\t1.0
Total # of loops:\t1
Total # of bridges:\t1
[60] jit-summary}
";

#[test]
#[ignore = "needs chromium; run with --ignored"]
fn page_works_in_headless_chromium() {
    let Some(browser) = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|b| metatrace_tools::bench::on_path(b))
    else {
        eprintln!("skipped: chromium is not installed (apt-get install -y chromium)");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mtlog-browser");
    std::fs::create_dir_all(&dir).unwrap();
    let log = metatrace_tools::logfile::parse(LOG).unwrap();
    let page = metatrace_tools::html::render(
        &log,
        "browser test",
        &metatrace_tools::html::Sources::none(),
    );
    let html = dir.join("page.html");
    std::fs::write(&html, page).unwrap();
    let url = format!("file://{}#bridge-4", html.display());
    let run = |extra: &[&str]| {
        Command::new(&browser)
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .args(extra)
            .arg(&url)
            .output()
            .unwrap()
    };
    // The DOM after the script ran: the bridge's tree entry is current.
    let dom = run(&["--dump-dom"]);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("id=\"bridge-4\""), "page did not load: {dom}");
    assert!(
        dom.contains("href=\"#bridge-4\" title=\"bridge ← Guard 4 (1 ops)\" class=\"current\""),
        "the script did not mark the bridge: {dom}"
    );
    let shot = dir.join("page.png");
    let _ = std::fs::remove_file(&shot);
    let out = run(&[
        &format!("--screenshot={}", shot.display()),
        "--window-size=1200,800",
    ]);
    let png = std::fs::read(&shot)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 2000,
        "screenshot is not a picture"
    );
    eprintln!("screenshot: {}", shot.display());
}
