//! The HTML viewer on real logs: a minipy program with polymorphism (loops,
//! bridges, failing guards) logged with every category, rendered, and the
//! page's structure checked; then the same log cut and garbled at many
//! places, which must give a page or a clear error, never a panic.
//!
//! One test per process step that sets `METATRACE_LOG` (minipy's driver
//! reads it), so this file has a single `#[test]`.

use metatrace_tools::html::{self, Options, Sources};
use metatrace_tools::logfile::{self, TraceId};
use std::path::PathBuf;

const CATS: &str = "jit-tracing,jit-log-opt,jit-abort,jit-summary,jit-backend,jit-backend-counts";

fn minipy_log() -> (String, String, String) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mtlog-viewer");
    std::fs::create_dir_all(&dir).unwrap();
    let src_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/poly.py");
    let src = std::fs::read_to_string(src_path).unwrap();
    let log_path = dir.join("poly.log");
    let _ = std::fs::remove_file(&log_path);
    std::env::set_var("METATRACE_LOG", format!("{CATS}:{}", log_path.display()));
    let params = metatrace::JitParams::parse("threshold=200,trace_eagerness=50").unwrap();
    let (p, s) = (src_path.to_string(), src.clone());
    let code = std::thread::spawn(move || minipy::run(params, &p, &s, vec![]))
        .join()
        .unwrap();
    std::env::remove_var("METATRACE_LOG");
    assert_eq!(code, 0);
    let log = std::fs::read_to_string(&log_path).unwrap();
    (src_path.to_string(), src, log)
}

#[test]
fn minipy_page_and_damaged_logs() {
    let (src_path, src, text) = minipy_log();
    let log = logfile::parse(&text).unwrap();
    assert!(
        log.loops().count() >= 1 && log.bridges().count() >= 1,
        "the program must make loops and bridges"
    );
    let sources = Sources::with_main(&src_path, src.clone());
    let page = html::render(&log, "poly", &sources);

    // Every trace has its section and its deep link in the tree.
    for t in &log.traces {
        let a = t.id.anchor();
        assert!(
            page.contains(&format!("<section id=\"{a}\" class=\"trace\">")),
            "{a}"
        );
        assert!(page.contains(&format!("href=\"#{a}\"")), "tree link to {a}");
    }
    // Bridges hang under the guard they leave from, with its failure count.
    for b in log.bridges() {
        let TraceId::Bridge(g) = b.id else {
            unreachable!()
        };
        assert!(
            page.contains(&format!("<span class=\"gl\">Guard {g} <b>✕")),
            "edge of Guard {g}"
        );
    }
    // The source with heat: the loop's line is a loop head, the line
    // calling o.get() runs compiled code and has a share.
    let line = |n: usize| {
        let key = format!("data-line=\"{src_path}:{n}\"");
        let i = page
            .find(&key)
            .unwrap_or_else(|| panic!("no source row {n}"));
        let end = page[i..].find("</tr>").unwrap() + i;
        page[page[..i].rfind("<tr").unwrap()..end].to_string()
    };
    let head = src.lines().position(|l| l.contains("while i < n")).unwrap() + 1;
    let call = src.lines().position(|l| l.contains("o.get()")).unwrap() + 1;
    assert!(line(head).contains("class=\"mk loop\""), "{}", line(head));
    let row = line(call);
    assert!(row.starts_with("<tr class=\"sl run\""), "{row}");
    let pct: f64 = row
        .split("<td class=\"pct\">")
        .nth(1)
        .and_then(|s| s.split('%').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no heat in {row}"));
    assert!(pct > 0.0 && pct <= 100.0, "{row}");
    // The first line (`class A:`) runs no compiled code.
    assert!(line(1).starts_with("<tr class=\"sl\""), "{}", line(1));
    // A click on a line lists its traces (the hidden row after it).
    assert!(page.contains(&format!("traces running {src_path}:{call}:")));
    // Pictures: time split, ops before/after (jit-tracing matched).
    assert!(page.contains("<div class=\"timebar\" id=\"timesplit\"><svg"));
    assert!(page.contains("compiled code"));
    assert!(
        log.traces.iter().all(|t| log.raw_for(t).is_some()),
        "every trace has its recorded form"
    );
    assert!(page.contains("ops before → after optimization: "));
    // Search index: every guard of every trace is searchable by id.
    let index = page
        .split("<script type=\"application/json\" id=\"index\">")
        .nth(1)
        .unwrap();
    let index = &index[..index.find("</script>").unwrap()];
    for t in &log.traces {
        for g in t.guard_ids() {
            assert!(
                index.contains(&format!(",{g},")),
                "Guard {g} not in the index"
            );
        }
    }
    // IR grouped under source lines.
    assert!(page.contains(&format!("<span class=\"src\">{src_path}:{call}  ")));
    // Machine code folded under the ops, for loops and bridges alike.
    if cfg!(target_arch = "x86_64") {
        for t in &log.traces {
            assert!(
                log.backend_for(t.id).is_some(),
                "no machine code for {}",
                t.id
            );
        }
        assert!(page.contains("<details class=\"mc\"><summary>"));
    }
    // Large logs render lazily: bodies as unparsed text, same anchors.
    let lazy = html::render_with(&log, "poly", &sources, Options { lazy: true });
    for t in &log.traces {
        let a = t.id.anchor();
        assert!(
            lazy.contains(&format!(
                "<script type=\"text/x-mtlog-trace\" id=\"tpl-{a}\">"
            )),
            "{a}"
        );
    }
    // Self-contained: nothing from the network.
    for bad in ["http://", "https://", "src=\"", "<link "] {
        assert!(!page.contains(bad), "page contains {bad}");
    }

    // The real page in a real browser, when there is one: the overview
    // loads without console errors, a search finds guards, and a loop's
    // deep link shows the loop (its heat row marks it too).
    if let Some(exe) = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|b| metatrace_tools::bench::on_path(b))
    {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mtlog-viewer");
        let file = dir.join("poly.html");
        std::fs::write(&file, &page).unwrap();
        let first = log.loops().next().unwrap().id.anchor();
        for (url, needle) in [
            (
                format!("file://{}?q=guard_nonnull_class", file.display()),
                "<div id=\"results\"><div class=\"dim\">".to_string(),
            ),
            (
                format!("file://{}#{first}", file.display()),
                format!("<section id=\"{first}\" class=\"trace shown\">"),
            ),
        ] {
            let out = std::process::Command::new(&exe)
                .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
                .arg(format!("--user-data-dir={}", dir.join("profile").display()))
                .args(["--enable-logging=stderr", "--v=0"])
                .arg(&url)
                .output()
                .unwrap();
            let dom = String::from_utf8_lossy(&out.stdout);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("Uncaught"), "{url}: {err}");
            assert!(dom.contains(&needle), "{url}: no {needle}");
            if url.contains("?q=") {
                let n: usize = dom
                    .split(&needle)
                    .nth(1)
                    .and_then(|r| r.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let expected = index.matches("\"guard_nonnull_class\"").count();
                assert!(
                    n > 0 && n == expected,
                    "search found {n} of {expected} guards"
                );
            }
        }
    } else {
        eprintln!("browser part skipped: chromium is not installed");
    }

    // Damaged logs: cut anywhere, or with garbage spliced in.
    let bytes = text.as_bytes();
    let mut pages = 0;
    let mut errors = 0;
    for k in 1..60 {
        let cut = bytes.len() * k / 60;
        for damaged in [
            bytes[..cut].to_vec(),
            [
                &bytes[..cut],
                b"\x00\xffgarbage ( = [ {\n[zz] jit-log-opt-loop}\n",
                &bytes[cut..],
            ]
            .concat(),
            [
                &bytes[..cut],
                b"\n[1] {jit-backend\n# Loop 99999999999999999999\n",
                &bytes[cut..],
            ]
            .concat(),
        ] {
            match logfile::parse_bytes(&damaged) {
                Ok(l) => {
                    let p = html::render(&l, "damaged", &sources);
                    assert!(p.ends_with("</html>\n"));
                    pages += 1;
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    errors += 1;
                }
            }
        }
    }
    assert!(pages > 0 && errors > 0, "pages {pages}, errors {errors}");
}
