//! `mtlog html`: one self-contained static page for a log.
//!
//! Owns: the HTML trace viewer. The overview has the guest source with a
//! heat column (each line's share of compiled-code time: measured when
//! the log has `jit-profile` — the samples at the ops under the line —
//! else estimated as loop/bridge entries from `jit-backend-counts` × the
//! ops the line left in the trace; loop heads and bridges marked; a click on a line lists
//! the traces running it), the ops before vs after optimization per trace
//! (`jit-tracing` matched to its optimized trace by guard ids) and the
//! summary. The header has the time split as a bar (interpreter, tracing,
//! optimizer, backend, compiled code, GC) and search (op names, `guard N`,
//! `line N`, `file:N`, location text). The side has the loop/bridge tree:
//! bridges hang under the guard they leave from, with its failure count,
//! and guards that fail without a bridge are leaves. Each trace shows its
//! IR in one box per source line, the VM's locations (bytecodes) inside
//! it, and the backend's machine code folded under each op (listings put
//! `; <op>` before each op's instructions; what is left — entry, exit
//! stubs — is folded at the end).
//!
//! Deep links: `#loop-N`, `#bridge-G`, `#loop-N:gG` (a guard),
//! `#loop-N:opK` (the K-th op), `?q=...` (a search). Inline CSS and JS
//! only, no network. Logs with more than [`LAZY_OVER`] traces keep each
//! trace's body as unparsed text the script renders when it is opened.
//!
//! Guest source lines ([`Sources`]): a location containing `line N` maps
//! to line N of the `--source` file, one containing `@N` to the line
//! holding byte offset N (bf's locations); a location containing a
//! `PATH:N` token whose PATH is a readable file maps to that file's line N.

use crate::logfile::{Log, Trace, TraceId};
use std::collections::{BTreeMap, HashMap};
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
body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#222;background:#fafafa;height:100vh;display:flex;flex-direction:column}
header{display:flex;flex-wrap:wrap;align-items:center;gap:6px 16px;padding:6px 12px;border-bottom:1px solid #ccc;background:#fff;position:relative}
header h1{font-size:17px;margin:0}
header h1 a{color:#124;text-decoration:none}
#search{width:340px;padding:3px 6px}
#results{position:absolute;top:100%;left:200px;z-index:5;background:#fff;border:1px solid #aaa;max-height:60vh;overflow:auto;width:720px;box-shadow:0 3px 10px #0003;padding:4px}
#results a{display:block;font:12px ui-monospace,monospace;padding:1px 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#124;text-decoration:none}
#results a:hover{background:#eef}
.timebar{flex:1;min-width:300px}
.timebar svg{display:block;border:1px solid #bbb;border-radius:3px}
.legend{font-size:12px;display:flex;flex-wrap:wrap;gap:2px 12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
.wrap{flex:1;display:flex;min-height:0}
nav{width:360px;min-width:220px;overflow:auto;border-right:1px solid #ccc;background:#f3f3f7;padding:8px}
nav h2{font-size:14px;margin:0 0 6px}
main{flex:1;overflow:auto;padding:10px 16px}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:16px;position:relative}
ul.tree{padding-left:0}
ul.tree ul li{position:relative}
ul.tree ul li::before{content:"";position:absolute;left:-11px;top:0;height:100%;border-left:1px solid #99a}
ul.tree ul li:last-child::before{height:.75em}
ul.tree ul li::after{content:"";position:absolute;left:-11px;top:.75em;width:9px;border-top:1px solid #99a}
.node{display:inline-block;text-decoration:none;color:#124;padding:0 4px;border-radius:3px;white-space:nowrap;max-width:100%;overflow:hidden;text-overflow:ellipsis;vertical-align:top}
.node.loop{font-weight:600}
.node:hover{background:#dde}
.node.current{background:#249;color:#fff}
.gl{font-size:12px;color:#a00;text-decoration:none}
.leaf .gl{color:#855}
.dim{color:#777;font-weight:normal;font-size:12px}
h2{font-size:16px;margin:10px 0 4px}
h3{font-size:14px;margin:8px 0 2px}
pre,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
#overview{display:block}
main:has(section.trace.shown) #overview,main:has(section.trace:target) #overview{display:none}
.trace{display:none}
.trace.shown,.trace:target{display:block}
table.srcview{border-collapse:collapse;background:#fff;width:100%}
table.srcview td{padding:0 6px;font:12.5px ui-monospace,monospace;white-space:pre;vertical-align:top}
tr.sl{cursor:default}
tr.sl.run{cursor:pointer}
tr.sl.run:hover{background:#f4f4ff}
tr.sl.sel{background:#ffd}
td.no{color:#999;text-align:right;width:3em}
td.heat{width:90px;padding:2px 6px}
.smp{color:#b30;font-size:11px;margin-left:6px}
td.heat span{display:block;height:10px;background:#e53;border-radius:2px;min-width:0}
td.pct{width:4.5em;text-align:right;color:#a30}
td.marks{width:1%}
a.mk{font-size:11px;text-decoration:none;border-radius:3px;padding:0 3px;margin-right:2px}
a.mk.loop{background:#dfe9ff;color:#124}
a.mk.bridge{background:#ffe6d5;color:#730}
span.mk.more{font-size:11px;color:#730}
tr.lt td{background:#ffd;font:12px system-ui,sans-serif;white-space:normal;padding:2px 6px 6px}
tr.lt a{margin-right:10px}
table.ba{border-collapse:collapse;background:#fff}
table.ba td,table.ba th{border:1px solid #ddd;padding:1px 6px;text-align:left;font-size:12.5px}
td.bars{width:320px}
td.bars span{display:block;height:6px;margin:1px 0}
.b0{background:#aaa}.b1{background:#3a7}
.meta{color:#555;margin:2px 0 8px}
.blk{background:#fff;border:1px solid #ddd;border-radius:4px;margin:0 0 6px}
.blk.hl{outline:2px solid #fc3}
.bh{background:#eef0f6;padding:2px 8px;font:12.5px ui-monospace,monospace;border-bottom:1px solid #ddd}
.bh .src{color:#063;white-space:pre}
.bc{font:12px ui-monospace,monospace;color:#630;padding:1px 8px 0 12px}
.bc.empty{color:#a98;white-space:normal}
.op{padding:0 8px 0 20px;white-space:pre-wrap;word-break:break-all}
.op.guard code{color:#a00}
.op.hl{background:#ffc}
.op .fail{color:#c00}
details.mc{display:inline-block;margin-left:8px;vertical-align:top}
details.mc summary{font-size:11px;color:#669;cursor:pointer}
details.mc pre{margin:2px 0 4px;background:#f6f6fa;border-left:3px solid #aac;padding:2px 6px;white-space:pre}
details.mc.rest{display:block;margin:8px 0}
details.ba{margin:4px 0 8px}
"#;

const JS: &str = r##"
(function(){
  'use strict';
  var index=[];
  try{index=JSON.parse(document.getElementById('index').textContent);}catch(e){index=[];}
  function render(sec){
    var body=sec.querySelector('.body[data-tpl]');
    if(body&&!body.dataset.done){
      var tpl=document.getElementById(body.dataset.tpl);
      if(tpl){body.innerHTML=tpl.textContent;}
      body.dataset.done='1';
    }
  }
  function show(){
    var h=decodeURIComponent(location.hash.slice(1));
    var parts=h.split(':');
    var secs=document.querySelectorAll('section.trace.shown');
    for(var i=0;i<secs.length;i++)secs[i].classList.remove('shown');
    var prev=document.querySelectorAll('.hl');
    for(var j=0;j<prev.length;j++)prev[j].classList.remove('hl');
    var sec=parts[0]?document.getElementById(parts[0]):null;
    if(sec&&sec.classList.contains('trace')){
      render(sec);sec.classList.add('shown');
      var target=parts.length>1?document.getElementById(h):null;
      if(target){target.classList.add('hl');target.scrollIntoView({block:'center'});}
      else{var m=document.querySelector('main');if(m)m.scrollTop=0;}
      var line=new URLSearchParams(location.search).get('line');
      if(line){var bl=sec.querySelectorAll('.blk');for(var k=0;k<bl.length;k++){if(bl[k].dataset.line===line)bl[k].classList.add('hl');}}
    }
    var links=document.querySelectorAll('nav a.node');
    for(var l=0;l<links.length;l++){links[l].classList.toggle('current',sec!==null&&links[l].getAttribute('href')==='#'+parts[0]);}
  }
  window.addEventListener('hashchange',show);
  show();
  // Source lines: a click lists the traces running the line.
  var rows=document.querySelectorAll('tr.sl.run');
  for(var r=0;r<rows.length;r++){
    rows[r].addEventListener('click',function(ev){
      if(ev.target.tagName==='A')return;
      var next=this.nextElementSibling;
      if(next&&next.classList.contains('lt')){next.hidden=!next.hidden;this.classList.toggle('sel',!next.hidden);}
    });
  }
  // Search: op names, guard ids, source lines.
  var box=document.getElementById('search'),out=document.getElementById('results');
  function esc(s){return s.replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
  function search(){
    var q=box.value.trim().toLowerCase();
    if(!q){out.hidden=true;out.innerHTML='';return;}
    var m,test;
    if((m=q.match(/^(?:guard\s*|g)#?(\d+)$/))){var g=+m[1];test=function(e){return e[3]===g;};}
    else if((m=q.match(/^line\s+(\d+)$/))){var n=':'+m[1];test=function(e){return e[4].slice(-n.length)===n;};}
    else if(/^\d+$/.test(q)){var d=+q,dn=':'+q;test=function(e){return e[3]===d||e[4].slice(-dn.length)===dn;};}
    else if(/:\d+$/.test(q)){test=function(e){return e[4].toLowerCase().slice(-q.length)===q;};}
    else{test=function(e){return e[2].indexOf(q)>=0||e[5].toLowerCase().indexOf(q)>=0;};}
    var html=[],count=0;
    for(var i=0;i<index.length;i++){
      var e=index[i];
      if(test(e)){count++;if(html.length<300){html.push('<a href="#'+esc(e[1])+'">'+esc(e[0])+' · '+esc(e[2])+(e[3]>=0?' Guard '+e[3]:'')+' · '+esc(e[4]||e[5])+'</a>');}}
    }
    out.innerHTML='<div class="dim">'+count+' ops match'+(count>300?' (first 300)':'')+'</div>'+html.join('');
    out.hidden=false;
  }
  box.addEventListener('input',search);
  var q0=new URLSearchParams(location.search).get('q');
  if(q0){box.value=q0;search();}
  out.addEventListener('click',function(ev){if(ev.target.tagName==='A'){out.hidden=true;}});
  document.addEventListener('keydown',function(ev){if(ev.key==='Escape'){out.hidden=true;}});
})();
"##;

/// Traces above this count are rendered lazily: each trace's body is the
/// text of an inert `<script type="text/x-mtlog-trace">` (not parsed into
/// the DOM) that the script renders when the trace is opened, so a log of
/// tens of MB opens about as fast as its overview.
pub const LAZY_OVER: usize = 150;

/// Logs whose machine-code listings and traces hold more than this many
/// bytes are rendered lazily too, whatever their trace count (a few
/// traces with long listings make a page as large as many short ones).
pub const LAZY_OVER_BYTES: usize = 4 << 20;

/// How the page is built.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Keep trace bodies as unparsed text until opened (see [`LAZY_OVER`]).
    pub lazy: bool,
}

impl Options {
    /// Lazy rendering for logs with more than [`LAZY_OVER`] traces or
    /// [`LAZY_OVER_BYTES`] of trace text and listings.
    pub fn for_log(log: &Log) -> Options {
        let bytes: usize = log.backend.iter().map(|b| b.text.len()).sum::<usize>()
            + log
                .traces
                .iter()
                .flat_map(|t| t.ops())
                .map(|o| o.text.len())
                .sum::<usize>();
        Options {
            lazy: log.traces.len() > LAZY_OVER || bytes > LAZY_OVER_BYTES,
        }
    }
}

/// A source line: (file label, 1-based line number).
type LineKey = (String, usize);

/// The estimated heat of each source line and which traces run it.
#[derive(Default)]
struct Heat {
    /// From `jit-profile` samples (else estimated from counts).
    measured: bool,
    /// Weighted op count (or samples) by line.
    weight: BTreeMap<LineKey, f64>,
    total: f64,
    /// Traces with ops at the line, in log order (anchor, label).
    traces: BTreeMap<LineKey, Vec<TraceId>>,
    /// Loops whose first location is the line (loop headers).
    heads: BTreeMap<LineKey, Vec<TraceId>>,
    /// Text of every line seen, by file (for files other than `--source`).
    texts: BTreeMap<LineKey, String>,
}

/// How often compiled code entered a trace: loop entries or bridge
/// entries (= failures of its guard) from `jit-backend-counts`; 1 without
/// counts.
fn entries(log: &Log, t: &Trace) -> u64 {
    let Some(c) = &log.counts else { return 1 };
    match t.id {
        TraceId::Loop(n) => c.loops.get(&n).copied(),
        TraceId::Bridge(g) => c.bridges.get(&g).or(c.guards.get(&g)).copied(),
    }
    .unwrap_or(1)
    .max(1)
}

fn heat(log: &Log, sources: &Sources) -> Heat {
    match &log.profile {
        Some(p) if p.compiled > 0 => measured_heat(log, p, sources),
        _ => estimated_heat(log, sources),
    }
}

/// Heat from `jit-profile`: each line's share of the samples taken in
/// compiled code (samples outside any op — entry, exit stubs — count in
/// the total but at no line).
fn measured_heat(log: &Log, p: &crate::logfile::Profile, sources: &Sources) -> Heat {
    let mut h = Heat {
        measured: true,
        total: p.compiled as f64,
        ..Heat::default()
    };
    for t in &log.traces {
        let mut first = true;
        for b in &t.blocks {
            let Some(loc) = &b.location else { continue };
            let Some((file, n, text)) = sources.lookup(loc) else {
                continue;
            };
            let key = (file, n);
            h.texts.entry(key.clone()).or_insert(text);
            if first && t.id.is_loop() {
                h.heads.entry(key.clone()).or_default().push(t.id);
            }
            first = false;
            let samples: u64 = b
                .ops
                .iter()
                .filter_map(|o| p.ops.get(&(t.id, o.index)))
                .sum();
            *h.weight.entry(key.clone()).or_default() += samples as f64;
            let v = h.traces.entry(key).or_default();
            if !v.contains(&t.id) {
                v.push(t.id);
            }
        }
    }
    h
}

/// Heat estimated from counts: loop and bridge entries × the ops the line
/// left in the trace.
fn estimated_heat(log: &Log, sources: &Sources) -> Heat {
    let mut h = Heat::default();
    for t in &log.traces {
        let w = entries(log, t) as f64;
        let mut first = true;
        // A peeled loop runs its preamble once per entry and its body (the
        // ops after the last `label`) every iteration: only the body
        // counts for a loop. Labels and `same_as` cost nothing.
        let body_from = if t.id.is_loop() {
            t.ops()
                .enumerate()
                .filter(|(_, o)| o.name == "label")
                .last()
                .map_or(0, |(i, _)| i)
        } else {
            0
        };
        let mut k = 0;
        for b in &t.blocks {
            let start = k;
            k += b.ops.len();
            let Some(loc) = &b.location else { continue };
            let Some((file, n, text)) = sources.lookup(loc) else {
                continue;
            };
            let key = (file, n);
            h.texts.entry(key.clone()).or_insert(text);
            if first && t.id.is_loop() {
                h.heads.entry(key.clone()).or_default().push(t.id);
            }
            first = false;
            let ops = b
                .ops
                .iter()
                .enumerate()
                .filter(|(i, o)| {
                    start + i >= body_from && o.name != "label" && !o.name.starts_with("same_as")
                })
                .count() as f64;
            *h.weight.entry(key.clone()).or_default() += w * ops;
            h.total += w * ops;
            let v = h.traces.entry(key).or_default();
            if !v.contains(&t.id) {
                v.push(t.id);
            }
        }
    }
    h
}

/// The whole page, with [`Options::for_log`].
pub fn render(log: &Log, title: &str, sources: &Sources) -> String {
    render_with(log, title, sources, Options::for_log(log))
}

/// The whole page.
pub fn render_with(log: &Log, title: &str, sources: &Sources, opts: Options) -> String {
    let mut h = String::with_capacity(64 * 1024 + log.traces.len() * 4096);
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mtlog: {}</title>\n<style>{CSS}</style></head>\n<body>",
        esc(title)
    );
    let heat = heat(log, sources);
    // Header: title, search, the time split.
    let _ = writeln!(
        h,
        "<header><h1><a href=\"#overview\">{}</a></h1>\
<input id=\"search\" type=\"search\" placeholder=\"search: op name, guard 12, line 7, file.py:7\" autocomplete=\"off\">\
<div id=\"results\" hidden></div>",
        esc(title)
    );
    time_bar(&mut h, log);
    h.push_str("</header>\n<div class=\"wrap\">\n");
    // The loop/bridge tree.
    h.push_str("<nav><h2>Loops, bridges and failing guards</h2>\n<ul class=\"tree\">\n");
    for l in log.loops() {
        tree(&mut h, log, l, 0);
    }
    let orphans: Vec<&Trace> = log
        .bridges()
        .filter(|b| log.root_loop(b).is_none())
        .collect();
    if !orphans.is_empty() {
        h.push_str("<li><span class=\"node\">bridges whose guard is not in the log</span><ul>\n");
        for b in orphans {
            tree(&mut h, log, b, 0);
        }
        h.push_str("</ul></li>\n");
    }
    h.push_str("</ul></nav>\n<main>\n");
    // The overview: summary, source heat, ops before/after.
    h.push_str("<section id=\"overview\">\n");
    source_view(&mut h, log, sources, &heat);
    before_after(&mut h, log);
    let _ = writeln!(
        h,
        "<details id=\"summary\"><summary>Summary (mtlog summary)</summary><pre>{}</pre></details>",
        esc(&crate::report::summary(log))
    );
    h.push_str("</section>\n");
    for t in &log.traces {
        trace_section(&mut h, log, t, sources, opts);
    }
    let _ = writeln!(
        h,
        "</main></div>\n<script type=\"application/json\" id=\"index\">{}</script>",
        search_index(log, sources)
    );
    let _ = writeln!(h, "<script>{JS}</script>\n</body></html>");
    h
}

/// The time split as a bar (inline SVG) with a legend.
fn time_bar(h: &mut String, log: &Log) {
    let Some(s) = &log.summary else {
        h.push_str("<div class=\"timebar\">no jit-summary in this log: no time split</div>\n");
        return;
    };
    // With `jit-profile`, the time inside compiled activations is split
    // into the code itself and the helpers it calls, by their samples.
    let (running, helpers) = match (&log.profile, s.running) {
        (Some(p), Some(r)) if p.compiled + p.helpers > 0 => {
            let f = p.compiled as f64 / (p.compiled + p.helpers) as f64;
            (Some(r * f), Some(r * (1.0 - f)))
        }
        _ => (s.running, None),
    };
    let mut parts = vec![
        ("interpreter", s.interpreting, "#9aa"),
        ("tracing", s.tracing, "#e9a23b"),
        ("optimizer", s.optimizing, "#c76"),
        ("backend", s.backend, "#a6c"),
        ("compiled code", running, "#3a7"),
    ];
    if helpers.is_some() {
        parts.push(("helpers called from compiled code", helpers, "#8c6"));
    }
    parts.push(("GC", s.gc, "#c44"));
    let total: f64 = parts.iter().filter_map(|p| p.1).sum();
    if total <= 0.0 {
        h.push_str("<div class=\"timebar\">jit-summary has no times</div>\n");
        return;
    }
    h.push_str("<div class=\"timebar\" id=\"timesplit\"><svg viewBox=\"0 0 1000 18\" preserveAspectRatio=\"none\" width=\"100%\" height=\"18\" role=\"img\" aria-label=\"time split\">");
    let mut x = 0.0;
    for &(name, v, color) in &parts {
        let v = v.unwrap_or(0.0);
        let w = v / total * 1000.0;
        if w > 0.0 {
            let _ = write!(
                h,
                "<rect x=\"{x:.2}\" y=\"0\" width=\"{w:.2}\" height=\"18\" fill=\"{color}\"><title>{name}: {:.1}% ({v:.6} s)</title></rect>",
                v / total * 100.0
            );
        }
        x += w;
    }
    h.push_str("</svg><div class=\"legend\">");
    for (name, v, color) in parts {
        let v = v.unwrap_or(0.0);
        let _ = write!(
            h,
            "<span><i style=\"background:{color}\"></i>{name} {:.1}%</span>",
            v / total * 100.0
        );
    }
    let _ = writeln!(
        h,
        "<span class=\"dim\">total {total:.6} s</span></div></div>"
    );
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
        TraceId::Bridge(g) => format!(
            "bridge ← Guard {g} {}",
            t.first_location().unwrap_or_default()
        ),
    };
    let _ = write!(s, " ({} ops)", t.op_count());
    if log.counts.is_some() {
        let _ = write!(s, " ×{}", entries(log, t));
    }
    s
}

fn guard_fails(log: &Log, g: u64) -> Option<u64> {
    log.counts.as_ref().and_then(|c| c.guards.get(&g)).copied()
}

/// One tree node: the trace, then an edge per failing guard (to its
/// bridge, or a leaf when it has none).
fn tree(h: &mut String, log: &Log, t: &Trace, depth: usize) {
    let cls = if t.id.is_loop() {
        "node loop"
    } else {
        "node bridge"
    };
    let _ = write!(
        h,
        "<li><a class=\"{cls}\" href=\"#{}\" title=\"{}\">{}</a>",
        t.id.anchor(),
        esc(&label(log, t)),
        esc(&label(log, t))
    );
    let kids = log.children(t);
    let mut failing: Vec<(u64, u64)> = t
        .guard_ids()
        .filter_map(|g| guard_fails(log, g).map(|n| (g, n)))
        .filter(|&(g, _)| log.trace(TraceId::Bridge(g)).is_none())
        .collect();
    failing.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    let hidden = failing.len().saturating_sub(8);
    failing.truncate(8);
    if (!kids.is_empty() || !failing.is_empty()) && depth < 64 {
        h.push_str("<ul>\n");
        for k in kids {
            if let TraceId::Bridge(g) = k.id {
                let n = guard_fails(log, g)
                    .map(|n| format!("✕{n}"))
                    .unwrap_or_default();
                let _ = write!(
                    h,
                    "<li class=\"edge\"><span class=\"gl\">Guard {g} <b>{n}</b></span><ul>"
                );
                tree(h, log, k, depth + 1);
                h.push_str("</ul></li>\n");
            } else {
                tree(h, log, k, depth + 1);
            }
        }
        for (g, n) in failing {
            let _ = writeln!(
                h,
                "<li class=\"edge leaf\"><a class=\"gl\" href=\"#{}:g{g}\">Guard {g} <b>✕{n}</b> no bridge</a></li>",
                t.id.anchor()
            );
        }
        if hidden > 0 {
            let _ = writeln!(
                h,
                "<li class=\"edge leaf dim\">{hidden} more failing guards</li>"
            );
        }
        h.push_str("</ul>");
    }
    h.push_str("</li>\n");
}

/// The guest source with the heat column: the estimated share of
/// compiled-code time per line, the loops starting there and the traces
/// running it (a click on the line lists them).
fn source_view(h: &mut String, log: &Log, sources: &Sources, heat: &Heat) {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    if let Some((label, text)) = &sources.main {
        files.push((label.clone(), text.lines().map(str::to_string).collect()));
    }
    // Other files (PATH:N locations): only the lines the log names.
    let mut others: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
    for ((f, n), text) in &heat.texts {
        if files.iter().any(|(l, _)| l == f) {
            continue;
        }
        others.entry(f).or_default().push((*n, text));
    }
    if let (true, Some(p)) = (heat.measured, &log.profile) {
        let _ = write!(
            h,
            "<h2>Source <span class=\"dim\">heat = measured share of compiled-code time ({} samples in compiled code, {} in helpers it called, {} elsewhere; one per {} µs of CPU time)",
            p.compiled, p.helpers, p.other, p.interval_us
        );
    } else {
        h.push_str("<h2>Source <span class=\"dim\">heat = estimated share of compiled-code time (loop and bridge entries × ops at the line in the loop body / bridge; run with <code>METATRACE_LOG=jit-profile,...</code> to measure it)");
    }
    if let Some(s) = log.summary.as_ref().and_then(|s| s.running) {
        let _ = write!(h, "; compiled code ran {s:.6} s");
    }
    h.push_str("</span></h2>\n");
    if files.is_empty() && others.is_empty() {
        h.push_str("<p class=\"dim\">No guest source: pass <code>--source FILE</code> (locations naming <code>line N</code> or <code>@offset</code>), or locations naming <code>PATH:N</code> of a readable file.</p>\n");
        return;
    }
    let row = |h: &mut String, file: &str, n: usize, text: &str| {
        let key = (file.to_string(), n);
        let w = heat.weight.get(&key).copied().unwrap_or(0.0);
        let pct = if heat.total > 0.0 {
            w / heat.total * 100.0
        } else {
            0.0
        };
        let traces = heat.traces.get(&key);
        let cls = if traces.is_some() { "sl run" } else { "sl" };
        let _ = write!(
            h,
            "<tr class=\"{cls}\" id=\"src-{}-{n}\" data-line=\"{}:{n}\"><td class=\"no\">{n}</td><td class=\"heat\" title=\"{pct:.1}%\"><span style=\"width:{pct:.1}%\"></span></td><td class=\"pct\">{}</td><td class=\"marks\">",
            slug(file),
            esc(file),
            if w > 0.0 { format!("{pct:.1}%") } else { String::new() }
        );
        for id in heat.heads.get(&key).into_iter().flatten() {
            let _ = write!(
                h,
                "<a class=\"mk loop\" href=\"#{}\" title=\"{id} starts here\">⟳{}</a>",
                id.anchor(),
                short(*id)
            );
        }
        // At most a few bridge marks: a line many bridges pass through
        // would push its code out of view (a click lists them all).
        const MARKS: usize = 3;
        let bridges: Vec<&TraceId> = traces
            .into_iter()
            .flatten()
            .filter(|id| !id.is_loop())
            .collect();
        for id in bridges.iter().take(MARKS) {
            let _ = write!(
                h,
                "<a class=\"mk bridge\" href=\"#{}\" title=\"{id}\">↳{}</a>",
                id.anchor(),
                short(**id)
            );
        }
        if bridges.len() > MARKS {
            let _ = write!(
                h,
                "<span class=\"mk more\" title=\"click the line for all traces\">+{}</span>",
                bridges.len() - MARKS
            );
        }
        let _ = writeln!(h, "</td><td class=\"code\">{}</td></tr>", esc(text));
        if let Some(ts) = traces {
            let _ = write!(
                h,
                "<tr class=\"lt\" hidden><td></td><td colspan=\"4\">traces running {}:{n}: ",
                esc(file)
            );
            for id in ts {
                let t = log.trace(*id);
                let _ = write!(
                    h,
                    "<a href=\"#{}\">{}</a> ",
                    id.anchor(),
                    esc(&t.map(|t| label(log, t)).unwrap_or_else(|| id.to_string()))
                );
            }
            h.push_str("</td></tr>\n");
        }
    };
    for (file, lines) in &files {
        let _ = writeln!(h, "<h3>{}</h3><table class=\"srcview\">", esc(file));
        for (i, text) in lines.iter().enumerate() {
            row(h, file, i + 1, text);
        }
        h.push_str("</table>\n");
    }
    for (file, lines) in others {
        let _ = writeln!(
        h,
        "<h3>{} <span class=\"dim\">(lines named in the log)</span></h3><table class=\"srcview\">", esc(file));
        for (n, text) in lines {
            row(h, file, n, text);
        }
        h.push_str("</table>\n");
    }
}

fn short(id: TraceId) -> String {
    match id {
        TraceId::Loop(n) => format!("L{n}"),
        TraceId::Bridge(g) => format!("B{g}"),
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// Ops recorded vs after optimization, per trace (needs `jit-tracing`).
fn before_after(h: &mut String, log: &Log) {
    h.push_str("<h2>Ops before → after optimization</h2>\n");
    if log.raw.is_empty() {
        h.push_str("<p class=\"dim\">No <code>jit-tracing</code> sections in this log: add the category to see the recorded traces.</p>\n");
        return;
    }
    let rows: Vec<(&Trace, usize)> = log
        .traces
        .iter()
        .filter_map(|t| log.raw_for(t).map(|r| (t, r.ops.len())))
        .collect();
    let max = rows
        .iter()
        .map(|(t, r)| (*r).max(t.op_count()))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    h.push_str(
        "<table class=\"ba\"><tr><th>trace</th><th>recorded</th><th>optimized</th><th>loop body</th><th></th></tr>\n",
    );
    for (t, raw) in rows {
        let opt = t.op_count();
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{raw}</td><td>{opt}</td><td>{}</td><td class=\"bars\"><span class=\"b0\" style=\"width:{:.1}%\"></span><span class=\"b1\" style=\"width:{:.1}%\"></span></td></tr>",
            t.id.anchor(),
            esc(&t.id.to_string()),
            loop_body(t).map(|n| n.to_string()).unwrap_or_default(),
            raw as f64 / max * 100.0,
            opt as f64 / max * 100.0
        );
    }
    h.push_str("</table>\n<p class=\"dim\">grey: recorded, green: after optimization . A peeled loop holds its body twice (preamble + loop); loop body = the ops after the last label, what runs per iteration.</p>\n");
}

/// Ops after a loop's last `label` (what runs per iteration); `None`
/// for bridges and loops without a label.
fn loop_body(t: &Trace) -> Option<usize> {
    if !t.id.is_loop() {
        return None;
    }
    let ops: Vec<_> = t.ops().collect();
    let at = ops.iter().rposition(|o| o.name == "label")?;
    Some(ops.len() - at - 1)
}

/// Machine code split by the IR op each instruction group belongs to:
/// backend listings put `; <op text>` before each op's instructions.
struct Listing {
    /// (note, instructions) in listing order.
    groups: Vec<(String, Vec<String>)>,
}

impl Listing {
    fn parse(text: &str) -> Listing {
        let mut groups: Vec<(String, Vec<String>)> = vec![(String::new(), Vec::new())];
        for line in text.lines() {
            if let Some(note) = line.strip_prefix("; ") {
                groups.push((note.to_string(), Vec::new()));
            } else if !line.trim().is_empty() {
                groups
                    .last_mut()
                    .expect("one group")
                    .1
                    .push(line.to_string());
            }
        }
        Listing { groups }
    }

    /// Assigns groups to `ops` in order (a group belongs to the op whose
    /// text its note starts with); the rest (entry, exit stubs) is left.
    fn assign<'a>(&self, ops: impl Iterator<Item = &'a str>) -> (Vec<Vec<String>>, Vec<String>) {
        let mut used = vec![false; self.groups.len()];
        let mut cursor = 0;
        let mut per_op = Vec::new();
        for op in ops {
            let found = (cursor..self.groups.len()).find(|&j| {
                let note = &self.groups[j].0;
                !note.is_empty() && (note.starts_with(op) || op.starts_with(note.as_str()))
            });
            match found {
                Some(j) => {
                    used[j] = true;
                    cursor = j + 1;
                    per_op.push(self.groups[j].1.clone());
                }
                None => per_op.push(Vec::new()),
            }
        }
        let mut rest = Vec::new();
        for (j, (note, code)) in self.groups.iter().enumerate() {
            if !used[j] && (!code.is_empty() || !note.is_empty()) {
                if !note.is_empty() {
                    rest.push(format!("; {note}"));
                }
                rest.extend(code.iter().cloned());
            }
        }
        (per_op, rest)
    }
}

fn trace_section(h: &mut String, log: &Log, t: &Trace, sources: &Sources, opts: Options) {
    let anchor = t.id.anchor();
    let _ = writeln!(h, "<section id=\"{anchor}\" class=\"trace\">");
    let _ = writeln!(h, "<h2>{}</h2>", esc(&label(log, t)));
    let mut meta = format!("inputs {} · {} guards", t.inputargs, t.guard_ids().count());
    if let TraceId::Bridge(g) = t.id {
        if let Some(o) = log.guard_owner(g) {
            let loc = o.guard_location(g).and_then(|(l, _)| l).unwrap_or("?");
            let _ = write!(meta, " · leaves {} at {}", o.id, loc);
        }
    }
    if let Some(p) = &log.profile {
        let n = p.traces.get(&t.id).copied().unwrap_or(0);
        let _ = write!(
            meta,
            " · {n} samples ({:.1}% of compiled-code time)",
            n as f64 * 100.0 / p.compiled.max(1) as f64
        );
    }
    let _ = write!(h, "<div class=\"meta\">{}", esc(&meta));
    if let TraceId::Bridge(g) = t.id {
        if let Some(o) = log.guard_owner(g) {
            let _ = write!(
                h,
                " · <a href=\"#{}:g{g}\">go to the guard in {}</a>",
                o.id.anchor(),
                esc(&o.id.to_string())
            );
        }
    }
    h.push_str("</div>\n");
    if opts.lazy {
        let _ = write!(
            h,
            "<div class=\"body\" data-tpl=\"tpl-{anchor}\"><p class=\"dim\">rendering…</p></div>\n<script type=\"text/x-mtlog-trace\" id=\"tpl-{anchor}\">"
        );
    } else {
        h.push_str("<div class=\"body\">");
    }
    trace_body(h, log, t, sources);
    // (Trace bodies never contain `</script`: all text in them is escaped.)
    h.push_str(if opts.lazy { "</script>\n" } else { "</div>\n" });
    h.push_str("</section>\n");
}

fn trace_body(h: &mut String, log: &Log, t: &Trace, sources: &Sources) {
    let anchor = t.id.anchor();
    // Before/after by op name.
    if let Some(raw) = log.raw_for(t) {
        let mut by: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for o in &raw.ops {
            by.entry(o.name.as_str()).or_default().0 += 1;
        }
        for o in t.ops() {
            by.entry(o.name.as_str()).or_default().1 += 1;
        }
        let _ = write!(
            h,
            "<details class=\"ba\"><summary>ops before → after optimization: {} → {}</summary><table class=\"ba\"><tr><th>op</th><th>recorded</th><th>optimized</th></tr>",
            raw.ops.len(),
            t.op_count()
        );
        for (name, (a, b)) in by {
            let _ = write!(h, "<tr><td>{}</td><td>{a}</td><td>{b}</td></tr>", esc(name));
        }
        h.push_str("</table></details>\n");
    }
    let listing = log.backend_for(t.id).map(|b| Listing::parse(&b.text));
    let all_ops: Vec<&str> = t.ops().map(|o| o.text.as_str()).collect();
    let (per_op, rest) = match &listing {
        Some(l) => l.assign(all_ops.iter().copied()),
        None => (vec![Vec::new(); all_ops.len()], Vec::new()),
    };
    let mut k = 0;
    let mut cur: Option<String> = None;
    let mut empty: Vec<String> = Vec::new();
    for b in &t.blocks {
        let (src, line, loc) = match &b.location {
            Some(l) => match sources.lookup(l) {
                Some((f, n, text)) => (
                    format!("{f}:{n}  {}", text.trim_end()),
                    format!("{f}:{n}"),
                    l.as_str(),
                ),
                None => (String::new(), String::new(), l.as_str()),
            },
            None => (String::new(), String::new(), "(entry)"),
        };
        // One group per source line; the VM's locations (bytecodes)
        // inside it, each with its ops.
        let new_group = src.is_empty() || cur.as_deref() != Some(src.as_str());
        if new_group || !b.ops.is_empty() {
            flush_empty(h, &mut empty);
        }
        if new_group {
            if cur.is_some() {
                h.push_str("</div>\n");
            }
            let _ = writeln!(
                h,
                "<div class=\"blk\" data-line=\"{}\"><div class=\"bh\"><span class=\"src\">{}</span></div>",
                esc(&line),
                esc(if src.is_empty() { "(no source line)" } else { &src })
            );
            cur = Some(src.clone());
        }
        if b.ops.is_empty() {
            // Locations the optimizer left no ops in: one line per run.
            empty.push(loc.to_string());
            continue;
        }
        let _ = writeln!(h, "<div class=\"bc\">{}</div>", esc(loc));
        for op in &b.ops {
            let id = match op.guard {
                Some(g) => format!("{anchor}:g{g}"),
                None => format!("{anchor}:op{k}"),
            };
            let cls = if op.is_guard() { "op guard" } else { "op" };
            let _ = write!(
                h,
                "<div class=\"{cls}\" id=\"{}\" data-op=\"{}\"><code>{}</code>",
                esc(&id),
                esc(&op.name),
                esc(&op.text)
            );
            if let Some(p) = &log.profile {
                if let Some(&n) = p.ops.get(&(t.id, op.index)) {
                    let pct = n as f64 * 100.0 / p.compiled.max(1) as f64;
                    let _ = write!(
                        h,
                        " <span class=\"smp\" title=\"jit-profile samples at this op: {pct:.1}% of compiled-code time\">{n} sample{}</span>",
                        if n == 1 { "" } else { "s" }
                    );
                }
            }
            if let Some(g) = op.guard {
                if let Some(n) = guard_fails(log, g) {
                    let _ = write!(h, " <b class=\"fail\">failed {n}</b>");
                }
                if log.trace(TraceId::Bridge(g)).is_some() {
                    let _ = write!(h, " <a href=\"#bridge-{g}\">→ bridge</a>");
                }
            }
            let code = &per_op[k];
            if !code.is_empty() {
                let _ = write!(
                    h,
                    "<details class=\"mc\"><summary>{} insn</summary><pre>{}</pre></details>",
                    code.len(),
                    esc(&code.join("\n"))
                );
            }
            h.push_str("</div>\n");
            k += 1;
        }
    }
    flush_empty(h, &mut empty);
    if cur.is_some() {
        h.push_str("</div>\n");
    }
    match log.backend_for(t.id) {
        Some(b) => {
            let _ = writeln!(
                h,
                "<details class=\"mc rest\"><summary>machine code outside the ops (entry, exit stubs): {} lines · {}</summary><pre>{}</pre></details>",
                rest.len(),
                esc(&b.header),
                esc(&rest.join("\n"))
            );
        }
        None => h.push_str(
            "<p class=\"dim\">no jit-backend section for this trace (log with <code>jit-backend</code> to see machine code)</p>\n",
        ),
    }
}

/// Writes the pending run of locations without ops as one line.
fn flush_empty(h: &mut String, empty: &mut Vec<String>) {
    if empty.is_empty() {
        return;
    }
    let _ = writeln!(
        h,
        "<div class=\"bc empty\" title=\"no ops left here after optimization\">{}</div>",
        esc(&empty.join(" · "))
    );
    empty.clear();
}

/// The search index: one entry per op, `[trace anchor, op anchor, op
/// name, guard id or -1, source line or "", location]`, as JSON.
fn search_index(log: &Log, sources: &Sources) -> String {
    let mut s = String::from("[");
    let mut first = true;
    for t in &log.traces {
        let anchor = t.id.anchor();
        let mut k = 0;
        for b in &t.blocks {
            let line = b
                .location
                .as_deref()
                .and_then(|l| sources.lookup(l))
                .map(|(f, n, _)| format!("{f}:{n}"))
                .unwrap_or_default();
            let loc = b.location.as_deref().unwrap_or("");
            for op in &b.ops {
                let id = match op.guard {
                    Some(g) => format!("{anchor}:g{g}"),
                    None => format!("{anchor}:op{k}"),
                };
                if !first {
                    s.push(',');
                }
                first = false;
                let _ = write!(
                    s,
                    "[{},{},{},{},{},{}]",
                    json(&anchor),
                    json(&id),
                    json(&op.name),
                    op.guard.map(|g| g as i64).unwrap_or(-1),
                    json(&line),
                    json(loc)
                );
                k += 1;
            }
        }
    }
    s.push(']');
    s
}

/// A JSON string literal that is also safe inside `<script>`.
fn json(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '<' => o.push_str("\\u003c"),
            '>' => o.push_str("\\u003e"),
            '&' => o.push_str("\\u0026"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
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
; guard_true(i0, descr=<Guard4>) [i0]
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
        // The tree nests the bridge under its loop, on the edge of Guard 4.
        let loop_li = page
            .find("<li><a class=\"node loop\" href=\"#loop-3\"")
            .unwrap();
        let edge = page
            .find("<li class=\"edge\"><span class=\"gl\">Guard 4 ")
            .unwrap();
        let bridge_li = page
            .find("<li><a class=\"node bridge\" href=\"#bridge-4\"")
            .unwrap();
        assert!(loop_li < edge && edge < bridge_li && page[loop_li..bridge_li].contains("<ul>"));
        assert!(page.contains("id=\"loop-3\"") && page.contains("id=\"bridge-4\""));
        assert!(page.contains("<a href=\"#bridge-4\">→ bridge</a>"));
        // Ops have deep-link ids: guards by guard id, others by position.
        assert!(page.contains("id=\"loop-3:g4\""));
        assert!(page.contains("id=\"loop-3:op0\""));
        // Source lines (IR grouped under them, and the heat view), escaped
        // locations and machine code folded under its op.
        assert!(page.contains("<span class=\"src\">prog.tvm:2  second &lt;line&gt;</span>"));
        assert!(page.contains("data-line=\"prog.tvm:2\""));
        assert!(page.contains("<td class=\"code\">second &lt;line&gt;</td>"));
        assert!(page.contains("f:1 line 2 &lt;Load&gt;"));
        assert!(page.contains("<pre>0x1000: mov rax, rbx</pre>"), "{page}");
        // No jit-summary: the bar says so instead of dividing by zero.
        assert!(page.contains("no jit-summary in this log"));
        // No network: no external URLs or resources.
        for bad in ["http://", "https://", "src=\"", "<link "] {
            assert!(!page.contains(bad), "page contains {bad}");
        }
    }

    #[test]
    fn listing_goes_under_its_ops() {
        let l = Listing::parse("; Loop entry\nA\n; i1 = int_add(i0, 1)\nB\nC\n; debug_merge_point(0, 'x')\n; guard_true(i1, descr=<Guard2>) [i1] pending=[]\nD\n; exit stub\nE\n");
        let (per_op, rest) = l.assign(
            [
                "i1 = int_add(i0, 1)",
                "guard_true(i1, descr=<Guard2>) [i1]",
                "jump(i1)",
            ]
            .into_iter(),
        );
        assert_eq!(
            per_op,
            vec![vec!["B".to_string(), "C".into()], vec!["D".into()], vec![]]
        );
        assert_eq!(
            rest,
            vec![
                "; Loop entry",
                "A",
                "; debug_merge_point(0, 'x')",
                "; exit stub",
                "E"
            ]
        );
        assert_eq!(
            json("a\"</script>\n"),
            "\"a\\\"\\u003c/script\\u003e\\u000a\""
        );
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

    #[test]
    fn few_traces_with_long_listings_are_rendered_lazily() {
        let log = crate::logfile::parse(LOG).unwrap();
        assert!(
            !Options::for_log(&log).lazy,
            "a small log is rendered whole"
        );
        let mut big = log.clone();
        big.backend[0].text = "x".repeat(LAZY_OVER_BYTES + 1);
        assert!(big.traces.len() <= LAZY_OVER);
        assert!(
            Options::for_log(&big).lazy,
            "over LAZY_OVER_BYTES of listings"
        );
    }
}
