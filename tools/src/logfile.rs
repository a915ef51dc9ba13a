//! The `METATRACE_LOG` reader.
//!
//! Owns: turning a log file's bytes into a [`Log`] — the loops, bridges,
//! aborts, backend listings, `jit-summary` figures and
//! `jit-backend-counts` counters it contains — and every error a bad log
//! gets ([`LogError`]). Sections and trace headers are read by the
//! framework's own reader ([`metatrace::log::reader`],
//! [`metatrace::log::TraceHeader`]), the grammar the writer uses. The
//! reader is line based and tolerant about what it does not need (op
//! arguments are kept as text, unknown categories are skipped), but strict
//! about structure: unbalanced sections, malformed trace headers and op
//! counts that disagree with their header are errors, so a corrupt log is
//! reported, never half-read. A log cut short (the program was killed or
//! crashed) is read up to the cut, and [`Log::cut`] says where it stops.
//! Nothing here panics on any input.

use metatrace::log::reader::{self, Cut};
use metatrace::log::{cat, BackendHeader, TraceHeader};
use std::collections::BTreeMap;
use std::fmt;

/// Why a log could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogError {
    /// The file has no content (or only whitespace).
    Empty,
    /// The file is not UTF-8 text.
    NotUtf8 { offset: usize },
    /// No `[stamp] {category` section anywhere: not a METATRACE_LOG file.
    NoSections,
    /// Anything else structurally wrong, with the 1-based line.
    Corrupt { line: usize, msg: String },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Empty => write!(f, "the log is empty"),
            LogError::NotUtf8 { offset } => {
                write!(f, "the log is not UTF-8 text (invalid byte at offset {offset}); is this a METATRACE_LOG file?")
            }
            LogError::NoSections => write!(
                f,
                "no log sections found (expected lines like `[1a2b] {{jit-log-opt-loop`); is this a METATRACE_LOG file?"
            ),
            LogError::Corrupt { line, msg } => write!(f, "corrupt log at line {line}: {msg}"),
        }
    }
}

impl std::error::Error for LogError {}

/// One op line of a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// The line as written.
    pub text: String,
    /// `int_add`, `guard_true`, `debug_merge_point`, ...
    pub name: String,
    /// `descr=<GuardN>`: the guard's id.
    pub guard: Option<u64>,
    /// Position among all the trace's op lines, `debug_merge_point`s
    /// included: the op index the backend and `jit-profile` use.
    pub index: usize,
}

impl Op {
    pub fn is_guard(&self) -> bool {
        self.name.starts_with("guard_")
    }
}

/// Ops under one `debug_merge_point` location (`None`: before the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub location: Option<String>,
    pub ops: Vec<Op>,
}

/// What a trace is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TraceId {
    /// `# Loop N (...)`.
    Loop(u64),
    /// `# bridge out of Guard N`.
    Bridge(u64),
}

impl TraceId {
    /// Whether this is a loop (not a bridge).
    pub fn is_loop(&self) -> bool {
        matches!(self, TraceId::Loop(_))
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceId::Loop(n) => write!(f, "Loop {n}"),
            TraceId::Bridge(g) => write!(f, "bridge out of Guard {g}"),
        }
    }
}

impl TraceId {
    /// An HTML anchor name.
    pub fn anchor(&self) -> String {
        match self {
            TraceId::Loop(n) => format!("loop-{n}"),
            TraceId::Bridge(g) => format!("bridge-{g}"),
        }
    }
}

/// An optimized loop or bridge (`jit-log-opt-loop` / `jit-log-opt-bridge`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub id: TraceId,
    /// The printable location in a loop's header (bridges have none).
    pub location: Option<String>,
    /// What the header calls it: `loop`, `entry bridge` (a loop entered at
    /// a function's start), `bridge`.
    pub kind: String,
    /// The op count the header states.
    pub header_ops: usize,
    /// The inputargs line, e.g. `[i0, p1]`.
    pub inputargs: String,
    pub blocks: Vec<Block>,
    /// The 1-based line of the header.
    pub line: usize,
}

impl Trace {
    pub fn ops(&self) -> impl Iterator<Item = &Op> {
        self.blocks.iter().flat_map(|b| b.ops.iter())
    }
    /// Ops as the header counts them: every op but `debug_merge_point`.
    pub fn op_count(&self) -> usize {
        self.ops().count()
    }
    /// The ids of the guards in this trace.
    pub fn guard_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.ops().filter_map(|o| o.guard)
    }
    /// The location a guard sits under, if it is in this trace.
    pub fn guard_location(&self, guard: u64) -> Option<(Option<&str>, &Op)> {
        self.blocks.iter().find_map(|b| {
            b.ops
                .iter()
                .find(|o| o.guard == Some(guard))
                .map(|o| (b.location.as_deref(), o))
        })
    }
    /// The first printable location in the trace (a bridge's start).
    pub fn first_location(&self) -> Option<&str> {
        self.location
            .as_deref()
            .or_else(|| self.blocks.iter().find_map(|b| b.location.as_deref()))
    }
}

/// A trace as recorded, before optimization (`jit-tracing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTrace {
    /// The location the header names.
    pub location: String,
    /// Its ops, without `debug_merge_point`s.
    pub ops: Vec<Op>,
}

/// A `jit-abort` section: `reason: where (started at where)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abort {
    pub reason: String,
    pub detail: String,
}

/// The `jit-summary` figures (PyPy's line shapes). Times are in seconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub tracings: Option<u64>,
    pub tracing: Option<f64>,
    pub optimizing: Option<f64>,
    pub backend_count: Option<u64>,
    pub backend: Option<f64>,
    pub running: Option<f64>,
    pub interpreting: Option<f64>,
    pub gc: Option<f64>,
    pub total: Option<f64>,
    pub ops: Option<u64>,
    pub guards: Option<u64>,
    pub opt_ops: Option<u64>,
    pub opt_guards: Option<u64>,
    pub guard_failures: Option<u64>,
    pub invalidated: Option<u64>,
    pub loops: Option<u64>,
    pub bridges: Option<u64>,
    pub aborts: BTreeMap<String, u64>,
    /// Lines the reader does not know, kept as `(key, value)`.
    pub other: Vec<(String, String)>,
}

/// `jit-backend-counts` (see the crate docs for the format).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub loops: BTreeMap<u64, u64>,
    /// Keyed by the guard the bridge leaves from.
    pub bridges: BTreeMap<u64, u64>,
    pub guards: BTreeMap<u64, u64>,
}

/// `jit-profile`: the sampling profiler's counts (see
/// `metatrace::backend::profile` for the format). Samples are taken every
/// `interval_us` of CPU time (the kernel's tick may make it coarser).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub samples: u64,
    pub interval_us: u64,
    pub dropped: u64,
    /// Samples in compiled code.
    pub compiled: u64,
    /// Samples in helpers called from compiled code.
    pub helpers: u64,
    /// Samples anywhere else (interpreter, JIT, GC).
    pub other: u64,
    /// Samples per trace.
    pub traces: BTreeMap<TraceId, u64>,
    /// Samples per (trace, op index).
    pub ops: BTreeMap<(TraceId, usize), u64>,
    /// Samples in a trace's code outside its ops (entry, exit stubs).
    pub stubs: BTreeMap<TraceId, u64>,
    /// Set when the profiler could not run (its explanation).
    pub unavailable: Option<String>,
}

/// A `jit-backend` section: `# Loop N (...)` or `# bridge out of Guard N`
/// and the backend's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub id: Option<TraceId>,
    pub header: String,
    pub text: String,
}

/// Everything read from one log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Log {
    /// Loops and bridges in log order.
    pub traces: Vec<Trace>,
    pub aborts: Vec<Abort>,
    pub backend: Vec<Backend>,
    pub summary: Option<Summary>,
    pub counts: Option<Counts>,
    /// `jit-profile`, when the program ran with the sampling profiler.
    pub profile: Option<Profile>,
    /// `jit-tracing` sections (raw traces, before optimization).
    pub raw_traces: usize,
    /// The ops of each `jit-tracing` section, in log order.
    pub raw: Vec<RawTrace>,
    /// Sections of other categories, by category.
    pub other_sections: BTreeMap<String, usize>,
    /// Where the log stops when it was cut short (no `end of log` line).
    pub cut: Option<Cut>,
}

impl Log {
    pub fn loops(&self) -> impl Iterator<Item = &Trace> {
        self.traces
            .iter()
            .filter(|t| matches!(t.id, TraceId::Loop(_)))
    }
    pub fn bridges(&self) -> impl Iterator<Item = &Trace> {
        self.traces
            .iter()
            .filter(|t| matches!(t.id, TraceId::Bridge(_)))
    }
    pub fn trace(&self, id: TraceId) -> Option<&Trace> {
        self.traces.iter().find(|t| t.id == id)
    }
    /// The trace containing guard `g`.
    pub fn guard_owner(&self, g: u64) -> Option<&Trace> {
        self.traces.iter().find(|t| t.guard_ids().any(|x| x == g))
    }
    /// Bridges leaving from a guard of `t`, in log order.
    pub fn children(&self, t: &Trace) -> Vec<&Trace> {
        let guards: Vec<u64> = t.guard_ids().collect();
        self.bridges()
            .filter(|b| matches!(b.id, TraceId::Bridge(g) if guards.contains(&g)))
            .collect()
    }
    /// The loop a trace ultimately hangs off (following bridges to the
    /// guard that owns them); `None` when a guard's owner is not logged.
    pub fn root_loop<'a>(&'a self, t: &'a Trace) -> Option<&'a Trace> {
        let mut cur = t;
        for _ in 0..=self.traces.len() {
            match cur.id {
                TraceId::Loop(_) => return Some(cur),
                TraceId::Bridge(g) => cur = self.guard_owner(g)?,
            }
        }
        None
    }
    /// The recorded (unoptimized) trace `t` was optimized from: the raw
    /// trace sharing a guard id with it (guards keep their ids through the
    /// optimizer). `None` for a trace without guards or without a
    /// `jit-tracing` section.
    pub fn raw_for(&self, t: &Trace) -> Option<&RawTrace> {
        let guards: std::collections::HashSet<u64> = t.guard_ids().collect();
        self.raw.iter().find(|r| {
            r.ops
                .iter()
                .any(|o| o.guard.is_some_and(|g| guards.contains(&g)))
        })
    }

    pub fn backend_for(&self, id: TraceId) -> Option<&Backend> {
        self.backend.iter().find(|b| b.id == Some(id))
    }
}

/// Reads a log from its bytes.
pub fn parse_bytes(bytes: &[u8]) -> Result<Log, LogError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LogError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    parse(text)
}

struct Section<'a> {
    category: &'a str,
    line: usize,
    body: Vec<(usize, &'a str)>,
}

/// Reads a log from its text. A log cut short is read up to the cut
/// (see [`Log::cut`]); only a text with nothing in it, or with no section
/// at all, is refused.
pub fn parse(text: &str) -> Result<Log, LogError> {
    if text.trim().is_empty() {
        return Err(LogError::Empty);
    }
    let contents = reader::read(text).map_err(|e| corrupt(e.line, e.msg))?;
    let cut_in_section = contents
        .cut
        .as_ref()
        .is_some_and(|c| c.in_section.is_some());
    if contents.sections.is_empty() && !cut_in_section {
        return Err(LogError::NoSections);
    }
    let mut log = Log::default();
    for sec in &contents.sections {
        let s = Section {
            category: sec.category,
            line: sec.line,
            body: sec.lines().collect(),
        };
        read_section(&mut log, &s)?;
    }
    log.cut = contents.cut;
    Ok(log)
}

fn corrupt(line: usize, msg: impl Into<String>) -> LogError {
    LogError::Corrupt {
        line,
        msg: msg.into(),
    }
}

fn read_section(log: &mut Log, s: &Section) -> Result<(), LogError> {
    match s.category {
        cat::OPT_LOOP | cat::OPT_BRIDGE => {
            let t = read_trace(s)?;
            log.traces.push(t);
        }
        cat::ABORT => {
            let text: Vec<&str> = s
                .body
                .iter()
                .map(|(_, l)| l.trim())
                .filter(|l| !l.is_empty())
                .collect();
            let text = text.join(" ");
            let (reason, detail) = match text.split_once(": ") {
                Some((r, d)) => (r.to_string(), d.to_string()),
                None => (text.trim_end_matches(':').to_string(), String::new()),
            };
            log.aborts.push(Abort { reason, detail });
        }
        cat::BACKEND => {
            let mut lines = s.body.iter();
            let first = lines.next().map(|(_, l)| *l).unwrap_or_default();
            let id = backend_id(first);
            let header = first.trim_start_matches('#').trim().to_string();
            let text: Vec<&str> = lines.map(|(_, l)| *l).collect();
            log.backend.push(Backend {
                id,
                header,
                text: text.join("\n"),
            });
        }
        cat::SUMMARY => log.summary = Some(read_summary(s)?),
        cat::BACKEND_COUNTS => {
            let c = read_counts(s)?;
            let all = log.counts.get_or_insert_with(Counts::default);
            all.loops.extend(c.loops);
            all.bridges.extend(c.bridges);
            all.guards.extend(c.guards);
        }
        cat::PROFILE => log.profile = Some(read_profile(s)?),
        cat::TRACING => {
            log.raw_traces += 1;
            log.raw.push(read_raw(s));
        }
        other => *log.other_sections.entry(other.to_string()).or_default() += 1,
    }
    Ok(())
}

fn leading_number(s: &str) -> Option<u64> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s[..end].parse().ok()
}

/// The trace a `jit-backend` section's header line names (none for a
/// `freed loop` note or a header this reader does not know).
fn backend_id(line: &str) -> Option<TraceId> {
    match BackendHeader::parse(line)? {
        BackendHeader::Loop { id, .. } => Some(TraceId::Loop(id)),
        BackendHeader::Bridge { guard } => Some(TraceId::Bridge(guard)),
        BackendHeader::Freed { .. } => None,
    }
}

fn read_trace(s: &Section) -> Result<Trace, LogError> {
    let mut body = s.body.iter().filter(|(_, l)| !l.trim().is_empty());
    let Some(&(hline, header)) = body.next() else {
        return Err(corrupt(
            s.line,
            format!("section `{}` has no trace header", s.category),
        ));
    };
    let bridge = s.category == cat::OPT_BRIDGE;
    let what = if bridge { "bridge" } else { "loop" };
    let parsed = TraceHeader::parse(header, bridge).ok_or_else(|| {
        corrupt(
            hline,
            format!(
                "bad {what} header `{header}` (expected {})",
                TraceHeader::EXPECTED
            ),
        )
    })?;
    let (id, location, kind, header_ops) = match parsed {
        TraceHeader::Loop {
            id,
            location,
            kind,
            ops,
        } => (TraceId::Loop(id), Some(location), kind, ops),
        TraceHeader::Bridge { guard, ops } => {
            (TraceId::Bridge(guard), None, "bridge".to_string(), ops)
        }
    };
    let mut inputargs = String::new();
    let mut index = 0;
    let mut blocks: Vec<Block> = vec![Block {
        location: None,
        ops: Vec::new(),
    }];
    for &(line_no, line) in body {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with('[')
            && inputargs.is_empty()
            && blocks.len() == 1
            && blocks[0].ops.is_empty()
        {
            inputargs = line.to_string();
            continue;
        }
        let mut op = read_op(line)
            .ok_or_else(|| corrupt(line_no, format!("in {id}: not an op: `{line}`")))?;
        op.index = index;
        index += 1;
        if op.name == "debug_merge_point" {
            let loc = quoted(line).unwrap_or_else(|| line.to_string());
            blocks.push(Block {
                location: Some(loc),
                ops: Vec::new(),
            });
        } else if let Some(b) = blocks.last_mut() {
            b.ops.push(op);
        }
    }
    if blocks[0].ops.is_empty() && blocks.len() > 1 {
        blocks.remove(0);
    }
    let t = Trace {
        id,
        location,
        kind,
        header_ops,
        inputargs,
        blocks,
        line: hline,
    };
    if t.op_count() != header_ops {
        return Err(corrupt(
            hline,
            format!(
                "{id}: the header says {header_ops} ops but the trace has {}",
                t.op_count()
            ),
        ));
    }
    Ok(t)
}

/// A `jit-tracing` section read leniently (lines that are not ops are
/// skipped: a raw trace is only compared with its optimized form).
fn read_raw(s: &Section) -> RawTrace {
    let mut lines = s.body.iter().map(|(_, l)| l.trim());
    let location = lines
        .next()
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .unwrap_or_default();
    let ops = lines
        .filter_map(read_op)
        .filter(|o| o.name != "debug_merge_point")
        .collect();
    RawTrace { location, ops }
}

/// `[res = ]name(args...)[ [failargs]...]`; `None` if it does not look
/// like an op.
fn read_op(line: &str) -> Option<Op> {
    let call = match line.split_once(" = ") {
        Some((res, rest)) if !res.is_empty() && res.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            rest
        }
        _ => line,
    };
    let (name, _) = call.split_once('(')?;
    if name.is_empty()
        || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        || !line.contains(')')
    {
        return None;
    }
    let guard = line
        .find("descr=<Guard")
        .and_then(|i| leading_number(&line[i + "descr=<Guard".len()..]));
    Some(Op {
        text: line.to_string(),
        name: name.to_string(),
        guard,
        index: 0,
    })
}

/// The first single-quoted string in `line`, unescaped (the printer's
/// `quote_str` spelling).
pub fn quoted(line: &str) -> Option<String> {
    let start = line.find('\'')?;
    let mut out = String::new();
    let mut chars = line[start + 1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return Some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    let hex = rest.trim_start_matches('{');
                    out.push(
                        u32::from_str_radix(hex, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .unwrap_or('\u{fffd}'),
                    );
                }
                c => out.push(c),
            },
            c => out.push(c),
        }
    }
    None
}

fn read_summary(s: &Section) -> Result<Summary, LogError> {
    let mut sum = Summary::default();
    for &(line_no, line) in &s.body {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.rsplit_once(':') else {
            return Err(corrupt(
                line_no,
                format!("jit-summary: no `key: value` in `{line}`"),
            ));
        };
        let key = key.trim();
        let vals: Vec<&str> = value.split_whitespace().collect();
        let bad = || corrupt(line_no, format!("jit-summary: bad value in `{line}`"));
        let int = |i: usize| -> Result<Option<u64>, LogError> {
            vals.get(i)
                .map(|v| v.parse::<u64>().map_err(|_| bad()))
                .transpose()
        };
        let float = |i: usize| -> Result<Option<f64>, LogError> {
            vals.get(i)
                .map(|v| {
                    v.parse::<f64>().map_err(|_| bad()).and_then(|x| {
                        if x.is_finite() {
                            Ok(x)
                        } else {
                            Err(bad())
                        }
                    })
                })
                .transpose()
        };
        match key {
            "Tracing" => {
                sum.tracings = int(0)?;
                sum.tracing = float(1)?;
            }
            "Optimizing" => sum.optimizing = float(0)?,
            "Backend" => {
                sum.backend_count = int(0)?;
                sum.backend = float(1)?;
            }
            "Running" => sum.running = float(0)?,
            "Interpreting" => sum.interpreting = float(0)?,
            "GC" | "gc" | "Gc" => sum.gc = float(0)?,
            "TOTAL" => sum.total = float(0)?,
            "ops" => sum.ops = int(0)?,
            "guards" => sum.guards = int(0)?,
            "opt ops" => sum.opt_ops = int(0)?,
            "opt guards" => sum.opt_guards = int(0)?,
            "guard failures" => sum.guard_failures = int(0)?,
            "invalidated" => sum.invalidated = int(0)?,
            "Total # of loops" => sum.loops = int(0)?,
            "Total # of bridges" => sum.bridges = int(0)?,
            k => {
                if let Some(reason) = k.strip_prefix("abort: ") {
                    sum.aborts.insert(reason.to_string(), int(0)?.unwrap_or(0));
                } else {
                    sum.other.push((k.to_string(), vals.join(" ")));
                }
            }
        }
    }
    Ok(sum)
}

fn read_profile(s: &Section) -> Result<Profile, LogError> {
    let mut p = Profile::default();
    let mut cur: Option<TraceId> = None;
    for &(line_no, raw) in &s.body {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || {
            corrupt(
                line_no,
                format!("jit-profile: `{line}` is not a profile line (`samples N interval_us U dropped D`, `compiled N`, `loop L: N`, `  op I: N`, ...)"),
            )
        };
        let num = |t: &str| t.trim().parse::<u64>().map_err(|_| bad());
        if let Some(rest) = line.strip_prefix("not available") {
            p.unavailable = Some(format!("not available{rest}"));
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["samples", n, "interval_us", u, "dropped", d] => {
                p.samples = num(n)?;
                p.interval_us = num(u)?;
                p.dropped = num(d)?;
            }
            ["compiled", n] => p.compiled = num(n)?,
            ["helpers", n] => p.helpers = num(n)?,
            ["other", n] => p.other = num(n)?,
            ["loop", id, n] | ["bridge", id, n] => {
                let id = num(id.strip_suffix(':').ok_or_else(bad)?)?;
                let id = if words[0] == "loop" {
                    TraceId::Loop(id)
                } else {
                    TraceId::Bridge(id)
                };
                *p.traces.entry(id).or_default() += num(n)?;
                cur = Some(id);
            }
            ["op", i, n] => {
                let t = cur.ok_or_else(bad)?;
                let i = num(i.strip_suffix(':').ok_or_else(bad)?)? as usize;
                *p.ops.entry((t, i)).or_default() += num(n)?;
            }
            ["stubs:", n] => {
                let t = cur.ok_or_else(bad)?;
                *p.stubs.entry(t).or_default() += num(n)?;
            }
            _ => return Err(bad()),
        }
    }
    Ok(p)
}

fn read_counts(s: &Section) -> Result<Counts, LogError> {
    let mut c = Counts::default();
    for &(line_no, line) in &s.body {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || {
            corrupt(
                line_no,
                format!("jit-backend-counts: `{line}` is not `loop N: entered K`, `bridge N: entered K` or `guard N: failed K`"),
            )
        };
        let (what, count) = line.split_once(": ").ok_or_else(bad)?;
        let (kind, id) = what.split_once(' ').ok_or_else(bad)?;
        let id: u64 = id.trim().parse().map_err(|_| bad())?;
        let (verb, n) = count.split_once(' ').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        match (kind, verb) {
            ("loop", "entered") => c.loops.insert(id, n),
            ("bridge", "entered") => c.bridges.insert(id, n),
            ("guard", "failed") => c.guards.insert(id, n),
            _ => return Err(bad()),
        };
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "\
[10] {jit-log-opt-loop
# Loop 3 (f:1 line 2 Load(0)) : loop with 3 ops
[i0]
label(i0, descr=TargetToken(1))
debug_merge_point(0, 'f:1 line 2 Load(0) \\'x\\'')
guard_true(i0, descr=<Guard4>) [i0]
jump(i0, descr=TargetToken(1))
[20] jit-log-opt-loop}
[30] {jit-log-opt-bridge
# bridge out of Guard 4 with 1 ops
[i0]
debug_merge_point(0, 'f:9 line 3 Print')
jump(i0, descr=TargetToken(1))
[40] jit-log-opt-bridge}
[50] {jit-backend-counts
loop 3: entered 7
guard 4: failed 2
[60] jit-backend-counts}
";

    #[test]
    fn reads_loops_bridges_counts() {
        let log = parse(SMALL).unwrap();
        assert_eq!(log.traces.len(), 2);
        let l = &log.traces[0];
        assert_eq!(l.location.as_deref(), Some("f:1 line 2 Load(0)"));
        assert_eq!(
            l.blocks[1].location.as_deref(),
            Some("f:1 line 2 Load(0) 'x'")
        );
        assert_eq!(log.children(l).len(), 1);
        assert_eq!(
            log.root_loop(&log.traces[1]).map(|t| t.id),
            Some(TraceId::Loop(3))
        );
        assert_eq!(log.counts.as_ref().unwrap().guards[&4], 2);
    }

    #[test]
    fn errors() {
        assert_eq!(parse(""), Err(LogError::Empty));
        assert_eq!(parse("hello\nworld\n"), Err(LogError::NoSections));
        assert_eq!(
            parse_bytes(b"\xff\xfe"),
            Err(LogError::NotUtf8 { offset: 0 })
        );
        // Cut inside the bridge: the loop is read, the cut is reported.
        let cut = &SMALL[..SMALL.find("jump(i0, descr=TargetToken(1))\n[40]").unwrap()];
        let log = parse(cut).unwrap();
        assert_eq!(log.traces.len(), 1);
        let open = log.cut.unwrap().in_section.unwrap();
        assert_eq!(
            (open.category.as_str(), open.line),
            ("jit-log-opt-bridge", 9)
        );
        // Cut before the first section closes: nothing to show, but read.
        let log = parse(&SMALL[..30]).unwrap();
        assert!(log.traces.is_empty() && log.cut.is_some());
        let wrong = SMALL.replace("with 3 ops", "with 4 ops");
        assert!(matches!(
            parse(&wrong),
            Err(LogError::Corrupt { line: 2, .. })
        ));
        assert!(matches!(
            parse("[1] jit-summary}\n"),
            Err(LogError::Corrupt { .. })
        ));
    }
}
