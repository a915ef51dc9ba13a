//! `mtlog html`: one self-contained static page for a log.
//!
//! Owns: the HTML trace viewer — the summary, the loop/bridge tree
//! (bridges under the trace owning their guard), and per trace a table
//! that puts guest source lines, the VM's location/bytecode (the
//! `debug_merge_point` text) and the IR ops side by side, with the
//! backend's machine code next to it. Inline CSS and JS only; no network.
//! Navigation uses `#loop-N` / `#bridge-N` anchors and CSS `:target`, so
//! it works from `file://` and even with JavaScript off (the script only
//! opens the first loop and marks the current tree entry).
//!
//! Guest source lines ([`Sources`]): a location containing `line N` maps
//! to line N of the `--source` file, one containing `@N` to the line
//! holding byte offset N (bf's locations); a location containing a
//! `PATH:N` token whose PATH is a readable file maps to that file's line N.

use crate::logfile::{Log, Trace, TraceId};
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Guest source files, for showing the lines a location names.
#[derive(Default)]
pub struct Sources {
    main: Option<(String, String)>,
    by_path: std::cell::RefCell<HashMap<PathBuf, Option<String>>>,
    /// Look up `PATH:N` tokens on the file system.
    pub read_files: bool,
}

impl Sources {
    /// No source: locations are shown as they are.
    pub fn none() -> Sources {
        Sources::default()
    }

    /// `--source FILE`: `label` names it in the page, `text` is its content.
    pub fn with_main(label: &str, text: String) -> Sources {
        Sources {
            main: Some((label.to_string(), text)),
            ..Sources::default()
        }
    }

    /// The `(file, line number, line text)` a location names.
    pub fn lookup(&self, location: &str) -> Option<(String, usize, String)> {
        if let Some((label, text)) = &self.main {
            if let Some(n) = number_after(location, "line ") {
                let line = text.lines().nth(n.checked_sub(1)?)?;
                return Some((label.clone(), n, line.to_string()));
            }
            if let Some(off) = number_after(location, "@") {
                let off = off.min(text.len());
                let n = text.as_bytes()[..off]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1;
                let line = text.lines().nth(n - 1).unwrap_or("");
                return Some((label.clone(), n, line.to_string()));
            }
        }
        if self.read_files {
            for tok in location.split(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
                let Some((path, n)) = tok.rsplit_once(':') else {
                    continue;
                };
                let Ok(n) = n.parse::<usize>() else { continue };
                if !path.contains('.') || n == 0 {
                    continue;
                }
                let mut cache = self.by_path.borrow_mut();
                let text = cache
                    .entry(PathBuf::from(path))
                    .or_insert_with(|| std::fs::read_to_string(Path::new(path)).ok());
                if let Some(line) = text.as_ref().and_then(|t| t.lines().nth(n - 1)) {
                    return Some((path.to_string(), n, line.to_string()));
                }
            }
        }
        None
    }
}

fn number_after(s: &str, prefix: &str) -> Option<usize> {
    let i = s.find(prefix)?;
    let rest = &s[i + prefix.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#222;background:#fafafa;display:flex;height:100vh}
nav{width:320px;min-width:220px;overflow:auto;border-right:1px solid #ccc;background:#f0f0f4;padding:8px}
main{flex:1;overflow:auto;padding:12px 18px}
nav ul{list-style:none;margin:0;padding-left:14px}
nav>ul{padding-left:0}
nav a{text-decoration:none;color:#124;display:block;padding:1px 4px;border-radius:3px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
nav a:hover{background:#dde}
nav a.current{background:#249;color:#fff}
h1{font-size:18px;margin:4px 0 10px}
h2{font-size:16px;margin:4px 0}
pre,code,.ir,.asm,.loc,.src{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
.trace{display:none}
.trace:target{display:block}
#summary-box pre{background:#fff;border:1px solid #ddd;padding:8px}
.cols{display:flex;gap:12px;align-items:flex-start}
.cols>table{flex:3}
.cols>.asm{flex:2;min-width:260px;position:sticky;top:0;max-height:90vh;overflow:auto;background:#fff;border:1px solid #ddd;padding:6px;margin:0;white-space:pre}
table.ops{border-collapse:collapse;width:100%;background:#fff}
table.ops td,table.ops th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left}
table.ops th{background:#e8e8ef}
td.src{color:#063;white-space:pre;max-width:320px;overflow:hidden;text-overflow:ellipsis}
td.loc{color:#630;white-space:pre-wrap;min-width:110px;max-width:260px}
td.ir{white-space:pre}
.guard{color:#a00}
.meta{color:#555;margin:2px 0 8px}
.hot{background:#fee}
"#;

const JS: &str = r#"
(function(){
  function mark(){
    var h=location.hash;
    var links=document.querySelectorAll('nav a');
    for(var i=0;i<links.length;i++){links[i].classList.toggle('current',links[i].getAttribute('href')===h);}
  }
  if(!location.hash){var f=document.querySelector('section.trace');if(f){location.hash='#'+f.id;}}
  window.addEventListener('hashchange',mark);
  mark();
})();
"#;

/// The whole page.
pub fn render(log: &Log, title: &str, sources: &Sources) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mtlog: {}</title>\n<style>{CSS}</style></head>\n<body>\n",
        esc(title)
    );
    // The tree.
    h.push_str("<nav><h2>Loops and bridges</h2>\n<ul>\n");
    h.push_str("<li><a href=\"#summary\">Summary</a></li>\n");
    for l in log.loops() {
        tree(&mut h, log, l, 0);
    }
    let orphans: Vec<&Trace> = log
        .bridges()
        .filter(|b| log.root_loop(b).is_none())
        .collect();
    if !orphans.is_empty() {
        h.push_str("<li>bridges whose guard is not in the log<ul>\n");
        for b in orphans {
            tree(&mut h, log, b, 0);
        }
        h.push_str("</ul></li>\n");
    }
    h.push_str("</ul></nav>\n<main>\n");
    let _ = writeln!(h, "<h1>{}</h1>", esc(title));
    let _ = writeln!(
        h,
        "<section id=\"summary\" class=\"trace\"><div id=\"summary-box\"><h2>Summary</h2><pre>{}</pre></div></section>",
        esc(&crate::report::summary(log))
    );
    for t in &log.traces {
        trace_section(&mut h, log, t, sources);
    }
    let _ = write!(h, "</main>\n<script>{JS}</script>\n</body></html>\n");
    h
}

fn label(log: &Log, t: &Trace) -> String {
    let mut s = match t.id {
        TraceId::Loop(n) if t.kind != "loop" => {
            format!(
                "Loop {n} ({}) {}",
                t.kind,
                t.location.as_deref().unwrap_or("")
            )
        }
        TraceId::Loop(n) => format!("Loop {n} {}", t.location.as_deref().unwrap_or("")),
        TraceId::Bridge(g) => format!("bridge ← Guard {g}"),
    };
    let _ = write!(s, " ({} ops)", t.op_count());
    if let Some(c) = &log.counts {
        let n = match t.id {
            TraceId::Loop(n) => c.loops.get(&n),
            TraceId::Bridge(g) => c.bridges.get(&g),
        };
        if let Some(n) = n {
            let _ = write!(s, " ×{n}");
        }
    }
    s
}

fn tree(h: &mut String, log: &Log, t: &Trace, depth: usize) {
    let _ = write!(
        h,
        "<li><a href=\"#{}\" title=\"{}\">{}</a>",
        t.id.anchor(),
        esc(&label(log, t)),
        esc(&label(log, t))
    );
    let kids = log.children(t);
    if !kids.is_empty() && depth < 64 {
        h.push_str("<ul>\n");
        for k in kids {
            tree(h, log, k, depth + 1);
        }
        h.push_str("</ul>");
    }
    h.push_str("</li>\n");
}

fn trace_section(h: &mut String, log: &Log, t: &Trace, sources: &Sources) {
    let _ = writeln!(h, "<section id=\"{}\" class=\"trace\">", t.id.anchor());
    let _ = writeln!(h, "<h2>{}</h2>", esc(&label(log, t)));
    let mut meta = format!("inputs {} · {} guards", t.inputargs, t.guard_ids().count());
    if let TraceId::Bridge(g) = t.id {
        if let Some(o) = log.guard_owner(g) {
            let loc = o.guard_location(g).and_then(|(l, _)| l).unwrap_or("?");
            let _ = write!(meta, " · leaves {} at {}", o.id, loc);
        }
    }
    let _ = write!(h, "<div class=\"meta\">{}", esc(&meta));
    if let TraceId::Bridge(g) = t.id {
        if let Some(o) = log.guard_owner(g) {
            let _ = write!(
                h,
                " · <a href=\"#{}\">go to {}</a>",
                o.id.anchor(),
                esc(&o.id.to_string())
            );
        }
    }
    h.push_str("</div>\n<div class=\"cols\">\n<table class=\"ops\"><tr><th>source</th><th>location / bytecode</th><th>IR</th></tr>\n");
    for b in &t.blocks {
        let (src, loc) = match &b.location {
            Some(l) => {
                let src = sources
                    .lookup(l)
                    .map(|(f, n, line)| format!("{f}:{n}  {}", line.trim_end()))
                    .unwrap_or_default();
                (src, l.as_str())
            }
            None => (String::new(), "(entry)"),
        };
        let _ = write!(
            h,
            "<tr><td class=\"src\">{}</td><td class=\"loc\">{}</td><td class=\"ir\">",
            esc(&src),
            esc(loc)
        );
        for (i, op) in b.ops.iter().enumerate() {
            if i > 0 {
                h.push('\n');
            }
            match op.guard {
                Some(g) => {
                    let fails = log.counts.as_ref().and_then(|c| c.guards.get(&g));
                    let cls = if fails.is_some() {
                        "guard hot"
                    } else {
                        "guard"
                    };
                    let _ = write!(h, "<span class=\"{cls}\">{}</span>", esc(&op.text));
                    if let Some(n) = fails {
                        let _ = write!(h, " <b>failed {n}</b>");
                    }
                    if log.trace(TraceId::Bridge(g)).is_some() {
                        let _ = write!(h, " <a href=\"#bridge-{g}\">→ bridge</a>");
                    }
                }
                None => h.push_str(&esc(&op.text)),
            }
        }
        h.push_str("</td></tr>\n");
    }
    h.push_str("</table>\n");
    match log.backend_for(t.id) {
        Some(b) => {
            let _ = writeln!(
                h,
                "<pre class=\"asm\"><b>{}</b>\n{}</pre>",
                esc(&b.header),
                esc(&b.text)
            );
        }
        None => h.push_str("<pre class=\"asm\">(no jit-backend section for this trace)</pre>\n"),
    }
    h.push_str("</div>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[10] {jit-log-opt-loop
# Loop 3 (f:1 line 2 <Load>) : loop with 3 ops
[i0]
label(i0, descr=TargetToken(1))
debug_merge_point(0, 'f:1 line 2 <Load>')
guard_true(i0, descr=<Guard4>) [i0]
jump(i0, descr=TargetToken(1))
[20] jit-log-opt-loop}
[21] {jit-backend
# Loop 3 (f:1 line 2 <Load>)
0x1000: mov rax, rbx
[22] jit-backend}
[30] {jit-log-opt-bridge
# bridge out of Guard 4 with 1 ops
[i0]
debug_merge_point(0, 'f:9 line 3 Print')
jump(i0, descr=TargetToken(1))
[40] jit-log-opt-bridge}
";

    #[test]
    fn page_is_self_contained_and_linked() {
        let log = crate::logfile::parse(LOG).unwrap();
        let src = Sources::with_main("prog.tvm", "first\nsecond <line>\nthird\n".into());
        let page = render(&log, "t<e>st", &src);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>mtlog: t&lt;e&gt;st</title>"));
        // The tree nests the bridge under its loop.
        let loop_li = page.find("<li><a href=\"#loop-3\"").unwrap();
        let bridge_li = page.find("<li><a href=\"#bridge-4\"").unwrap();
        assert!(loop_li < bridge_li && page[loop_li..bridge_li].contains("<ul>"));
        assert!(page.contains("id=\"loop-3\"") && page.contains("id=\"bridge-4\""));
        assert!(page.contains("<a href=\"#bridge-4\">→ bridge</a>"));
        // Source lines, escaped locations and machine code.
        assert!(page.contains("prog.tvm:2  second &lt;line&gt;"));
        assert!(page.contains("f:1 line 2 &lt;Load&gt;"));
        assert!(page.contains("0x1000: mov rax, rbx"));
        // No network: no external URLs or resources.
        for bad in ["http://", "https://", "src=\"", "<link "] {
            assert!(!page.contains(bad), "page contains {bad}");
        }
    }

    #[test]
    fn source_lookup() {
        let s = Sources::with_main("p.b", "ab\ncd\nef".into());
        assert_eq!(
            s.lookup("bf pc=1 '+' @4"),
            Some(("p.b".into(), 2, "cd".into()))
        );
        assert_eq!(
            s.lookup("main:1 line 3 Load"),
            Some(("p.b".into(), 3, "ef".into()))
        );
        assert_eq!(s.lookup("main:1 line 9 Load"), None);
        assert_eq!(s.lookup("@999"), Some(("p.b".into(), 3, "ef".into())));
        assert_eq!(Sources::none().lookup("x line 1"), None);
    }
}
