//! The HTML viewer in a real headless browser (Debian's `chromium`,
//! installed by `.ci/run`): the page loads from `file://`, its script runs
//! without console errors, following a loop's deep link renders that loop
//! (from its lazy, unparsed body) and marks it in the tree, a guard's deep
//! link highlights the guard, search from `?q=` finds the guard, and a
//! screenshot is taken.
//!
//! Without `chromium` (or `chromium-browser`) on PATH the test prints why
//! and passes.

use std::path::{Path, PathBuf};
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

struct Browser {
    exe: PathBuf,
    dir: PathBuf,
}

impl Browser {
    /// Runs the browser on `url` with `extra` flags; (stdout, stderr).
    fn run(&self, url: &str, extra: &[&str]) -> (String, String) {
        let out = Command::new(&self.exe)
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .arg(format!(
                "--user-data-dir={}",
                self.dir.join("profile").display()
            ))
            .args(["--enable-logging=stderr", "--v=0"])
            .args(extra)
            .arg(url)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Console errors chromium reports on stderr (uncaught exceptions and
/// `console.error`).
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .filter(|l| l.contains("Uncaught") || l.contains("Error") || l.contains("error"))
        .collect()
}

fn write_page(dir: &Path) -> PathBuf {
    let log = metatrace_tools::logfile::parse(LOG).unwrap();
    let src = metatrace_tools::html::Sources::with_main(
        "main.py",
        "x = 0\nwhile x:\n  print(x)\n".into(),
    );
    // Lazy, as for a large log: the trace must be rendered from its text.
    let page = metatrace_tools::html::render_with(
        &log,
        "browser test",
        &src,
        metatrace_tools::html::Options { lazy: true },
    );
    let html = dir.join("page.html");
    std::fs::write(&html, page).unwrap();
    html
}

#[test]
fn page_works_in_headless_chromium() {
    let Some(exe) = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|b| metatrace_tools::bench::on_path(b))
    else {
        eprintln!("skipped: chromium is not installed (apt-get install -y chromium; .ci/run does)");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mtlog-browser");
    std::fs::create_dir_all(&dir).unwrap();
    let b = Browser {
        exe,
        dir: dir.clone(),
    };
    let html = write_page(&dir);

    // Following the loop's link: the loop is rendered and marked.
    let (dom, err) = b.run(
        &format!("file://{}#loop-3", html.display()),
        &["--dump-dom"],
    );
    assert!(dom.contains("id=\"loop-3\""), "page did not load: {err}");
    assert!(console_errors(&err).is_empty(), "console errors: {err}");
    assert!(
        dom.contains("<section id=\"loop-3\" class=\"trace shown\">"),
        "the script did not show the loop: {dom}"
    );
    let body = dom.split("<section id=\"loop-3\"").nth(1).unwrap();
    let body = &body[..body.find("</section>").unwrap()];
    assert!(
        body.contains("data-done=\"1\""),
        "the loop was not rendered: {body}"
    );
    let rendered = &body[..body.find("<script").unwrap_or(body.len())];
    assert!(
        rendered.contains("guard_true(i0, descr=&lt;Guard4&gt;) [i0]"),
        "the loop's trace is not shown: {rendered}"
    );
    assert!(
        dom.contains("class=\"node loop current\" href=\"#loop-3\""),
        "the tree does not mark the loop: {dom}"
    );
    // A guard's deep link: the loop is shown and the guard highlighted.
    let (dom, err) = b.run(
        &format!("file://{}#loop-3:g4", html.display()),
        &["--dump-dom"],
    );
    assert!(console_errors(&err).is_empty(), "console errors: {err}");
    assert!(
        dom.contains("class=\"op guard hl\" id=\"loop-3:g4\""),
        "the guard is not highlighted: {dom}"
    );
    // The overview (no hash) shows the source with its heat.
    let (dom, err) = b.run(&format!("file://{}", html.display()), &["--dump-dom"]);
    assert!(console_errors(&err).is_empty(), "console errors: {err}");
    assert!(dom.contains("data-line=\"main.py:2\""), "{dom}");

    // Search from the URL: the guard is found by its op name and its id.
    for q in ["guard_true", "guard%204"] {
        let (dom, err) = b.run(&format!("file://{}?q={q}", html.display()), &["--dump-dom"]);
        assert!(console_errors(&err).is_empty(), "console errors: {err}");
        let results = dom.split("<div id=\"results\"").nth(1).unwrap();
        let results = &results[..results.find("</header>").unwrap()];
        assert!(
            results.contains("1 ops match") && results.contains("href=\"#loop-3:g4\""),
            "search {q}: {results}"
        );
    }
    let shot = dir.join("page.png");
    let _ = std::fs::remove_file(&shot);
    let (_, err) = b.run(
        &format!("file://{}#loop-3", html.display()),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,800",
        ],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|_| panic!("no screenshot: {err}"));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 2000,
        "screenshot is not a picture"
    );
    eprintln!("screenshot: {}", shot.display());
}
