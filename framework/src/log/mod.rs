//! `METATRACE_LOG`: PYPYLOG-style logging.
//!
//! Owns: parsing `METATRACE_LOG=cat1,cat2:FILE` (`-` = stderr; a category
//! selects every category it is a prefix of, as in PYPYLOG; a value without
//! `:` is a file name and selects everything), the log format (the
//! [`format`](mod@format) constants and grammar, written here and read back by
//! [`reader`]) and writing sections:
//!
//! ```text
//! [1a2b3c] {jit-log-opt-loop
//! ...
//! [1a2b4f] jit-log-opt-loop}
//! ...
//! [1a2c00] end of log
//! ```
//!
//! Stamps are nanoseconds since the log was opened, in hex. Sections do
//! not nest. Each section is formatted whole and written and flushed in
//! one go, so a program that is killed or crashes loses at most the
//! section it was writing; the `end of log` line, written when the log is
//! dropped, tells a complete log from one cut between two sections.
//!
//! When no category is enabled, `enabled()` is one branch and nothing is
//! formatted: logging off costs nothing measurable.

pub mod reader;

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::time::Instant;

/// Categories the framework writes.
pub mod cat {
    /// Every recorded trace as the tracer produced it, before optimization
    /// (headed by the printable location where tracing started).
    pub const TRACING: &str = "jit-tracing";
    /// Every optimized loop (and entry trace), headed by a [`TraceHeader`](super::TraceHeader).
    pub const OPT_LOOP: &str = "jit-log-opt-loop";
    /// Every optimized bridge, headed by a [`TraceHeader`](super::TraceHeader).
    pub const OPT_BRIDGE: &str = "jit-log-opt-bridge";
    /// Why tracing or compiling a trace was given up, one section each.
    pub const ABORT: &str = "jit-abort";
    /// The backend's listing of each compiled loop and bridge, and loops
    /// freed, headed by a [`BackendHeader`](super::BackendHeader).
    pub const BACKEND: &str = "jit-backend";
    /// How often each loop was entered from the interpreter and each guard
    /// failed, written when the driver is dropped.
    pub const BACKEND_COUNTS: &str = "jit-backend-counts";
    /// The driver's [`Stats`](crate::Stats) summary, written when it is dropped.
    pub const SUMMARY: &str = "jit-summary";
    /// The heap's collection events, one section each.
    pub const GC: &str = "gc";
    /// The sampling profiler's results (`backend::profile`). It runs a
    /// timer, so it is on only where named exactly (not by a prefix, not
    /// by a log without categories).
    pub const PROFILE: &str = "jit-profile";
    /// `--jit verify`: each checked trip (verified, skipped and why, or
    /// the mismatch report that also goes to stderr).
    pub const VERIFY: &str = "jit-verify";

    /// Every category above.
    pub const ALL: &[&str] = &[
        TRACING,
        OPT_LOOP,
        OPT_BRIDGE,
        ABORT,
        BACKEND,
        BACKEND_COUNTS,
        SUMMARY,
        GC,
        PROFILE,
        VERIFY,
    ];
}

/// The log's grammar, one definition for the writer ([`Log`]) and the
/// reader ([`reader`]).
///
/// ```text
/// log     := (section | other)* [end]
/// section := "[" stamp "] {" category "\n" body "[" stamp "] " category "}\n"
/// end     := "[" stamp "] end of log\n"
/// stamp   := hex digits (nanoseconds since the log was opened)
/// category:= [A-Za-z0-9_-]+
/// ```
///
/// `other` is any line that is not a marker (program output interleaved
/// on stderr), ignored. Only whole lines (ending in `\n`) are markers. The
/// first line of an optimized trace's body is a [`TraceHeader`].
pub mod format {
    /// Opens a section: `[stamp] {category`.
    pub const OPEN: char = '{';
    /// Closes a section: `[stamp] category}`.
    pub const CLOSE: char = '}';
    /// The last line of a log that was closed normally, after the stamp.
    pub const END: &str = "end of log";

    /// `[stamp]`.
    pub fn stamp(nanos: u64) -> String {
        format!("[{nanos:x}]")
    }
    /// `[stamp] {category`, without the newline.
    pub fn open(nanos: u64, category: &str) -> String {
        format!("{} {OPEN}{category}", stamp(nanos))
    }
    /// `[stamp] category}`, without the newline.
    pub fn close(nanos: u64, category: &str) -> String {
        format!("{} {category}{CLOSE}", stamp(nanos))
    }
    /// `[stamp] end of log`, without the newline.
    pub fn end(nanos: u64) -> String {
        format!("{} {END}", stamp(nanos))
    }

    /// Can `s` be a category name?
    pub fn is_category(s: &str) -> bool {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// A marker line (without its newline).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Marker<'a> {
        /// `[stamp] {category`: a section starts.
        Open {
            /// Nanoseconds since the log was opened.
            stamp: u64,
            /// The section's category.
            category: &'a str,
        },
        /// `[stamp] category}`: a section ends.
        Close {
            /// Nanoseconds since the log was opened.
            stamp: u64,
            /// The section's category.
            category: &'a str,
        },
        /// `[stamp] end of log`: the log was closed normally.
        End {
            /// Nanoseconds since the log was opened.
            stamp: u64,
        },
    }

    /// Reads a marker line (without its newline; a trailing `\r` is
    /// allowed); `None` for any other line.
    pub fn marker(line: &str) -> Option<Marker<'_>> {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let rest = line.strip_prefix('[')?;
        let (hex, rest) = rest.split_once("] ")?;
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        // More than 16 hex digits: not a stamp this writer wrote, but
        // still a marker (saturated) rather than silently body text.
        let stamp = u64::from_str_radix(hex, 16).unwrap_or(u64::MAX);
        if rest == END {
            return Some(Marker::End { stamp });
        }
        if let Some(category) = rest.strip_prefix(OPEN) {
            return is_category(category).then_some(Marker::Open { stamp, category });
        }
        if let Some(category) = rest.strip_suffix(CLOSE) {
            return is_category(category).then_some(Marker::Close { stamp, category });
        }
        None
    }
}

/// The first body line of a `jit-log-opt-loop` / `jit-log-opt-bridge`
/// section:
///
/// ```text
/// # Loop N (<printable location>) : <kind> with K ops
/// # bridge out of Guard N with K ops
/// ```
///
/// `<kind>` is `loop`, or `entry bridge` for a loop entered at a
/// function's start; `K` counts every op but `debug_merge_point`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceHeader {
    /// `# Loop N (<printable location>) : <kind> with K ops`.
    Loop {
        /// The loop's number `N`.
        id: u64,
        /// The interpreter's printable location of the loop's start.
        location: String,
        /// `loop` or `entry bridge`.
        kind: String,
        /// `K`: ops other than `debug_merge_point`.
        ops: usize,
    },
    /// `# bridge out of Guard N with K ops`.
    Bridge {
        /// The number `N` of the guard the bridge leaves from.
        guard: u64,
        /// `K`: ops other than `debug_merge_point`.
        ops: usize,
    },
}

impl fmt::Display for TraceHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceHeader::Loop {
                id,
                location,
                kind,
                ops,
            } => write!(f, "# Loop {id} ({location}) : {kind} with {ops} ops"),
            TraceHeader::Bridge { guard, ops } => {
                write!(f, "# bridge out of Guard {guard} with {ops} ops")
            }
        }
    }
}

impl TraceHeader {
    /// What the header of a section of `category` must look like, for
    /// error messages.
    pub const EXPECTED: &'static str =
        "`# Loop N (<location>) : <kind> with K ops` or `# bridge out of Guard N with K ops`";

    /// Reads a loop header (`bridge == false`) or a bridge header.
    pub fn parse(line: &str, bridge: bool) -> Option<TraceHeader> {
        let line = line.trim_end();
        if bridge {
            let rest = line.strip_prefix("# bridge out of Guard ")?;
            let (num, count) = rest.split_once(" with ")?;
            let count = count.strip_suffix(" ops")?;
            Some(TraceHeader::Bridge {
                guard: num.parse().ok()?,
                ops: count.parse().ok()?,
            })
        } else {
            let rest = line.strip_prefix("# Loop ")?;
            let (num, rest) = rest.split_once(" (")?;
            let (loc, rest) = rest.rsplit_once(") : ")?;
            let (kind, count) = rest.rsplit_once(" with ")?;
            let count = count.strip_suffix(" ops")?;
            Some(TraceHeader::Loop {
                id: num.parse().ok()?,
                location: loc.to_string(),
                kind: kind.to_string(),
                ops: count.parse().ok()?,
            })
        }
    }
}

/// The first body line of a `jit-backend` section:
///
/// ```text
/// # Loop N (<printable location>)
/// # bridge out of Guard N
/// # freed loop N and K bridges
/// ```
///
/// followed (for the first two) by the backend's listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendHeader {
    /// `# Loop N (<printable location>)`: a loop's machine code follows.
    Loop {
        /// The loop's number `N`.
        id: u64,
        /// The interpreter's printable location of the loop's start.
        location: String,
    },
    /// `# bridge out of Guard N`: a bridge's machine code follows.
    Bridge {
        /// The number `N` of the guard the bridge leaves from.
        guard: u64,
    },
    /// `# freed loop N and K bridges`: the memory manager freed a loop.
    Freed {
        /// The loop's number `N`.
        id: u64,
        /// `K`: how many of its bridges were freed with it.
        bridges: usize,
    },
}

impl fmt::Display for BackendHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendHeader::Loop { id, location } => write!(f, "# Loop {id} ({location})"),
            BackendHeader::Bridge { guard } => write!(f, "# bridge out of Guard {guard}"),
            BackendHeader::Freed { id, bridges } => {
                write!(f, "# freed loop {id} and {bridges} bridges")
            }
        }
    }
}

impl BackendHeader {
    /// Reads a header line (`None` if it is none of the three forms).
    pub fn parse(line: &str) -> Option<BackendHeader> {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("# Loop ") {
            let (num, loc) = rest.split_once(" (")?;
            let loc = loc.strip_suffix(')')?;
            return Some(BackendHeader::Loop {
                id: num.parse().ok()?,
                location: loc.to_string(),
            });
        }
        if let Some(num) = line.strip_prefix("# bridge out of Guard ") {
            return Some(BackendHeader::Bridge {
                guard: num.parse().ok()?,
            });
        }
        let rest = line.strip_prefix("# freed loop ")?;
        let (num, rest) = rest.split_once(" and ")?;
        Some(BackendHeader::Freed {
            id: num.parse().ok()?,
            bridges: rest.strip_suffix(" bridges")?.parse().ok()?,
        })
    }
}

/// The warning for a `METATRACE_LOG` value that has no `:FILE` but looks
/// like a list of categories (every comma-separated piece is a category
/// the framework writes, or a `-`-bounded prefix of one such as
/// `jit-log-opt`): such a value is taken as a file name, as PYPYLOG does,
/// which is rarely what was meant. `None` for any other value.
pub fn file_name_warning(spec: &str) -> Option<String> {
    if spec.contains(':') || spec == "-" {
        return None;
    }
    let known = |p: &str| {
        cat::ALL
            .iter()
            .any(|c| *c == p || c.strip_prefix(p).is_some_and(|r| r.starts_with('-')))
    };
    let pieces: Vec<&str> = spec.split(',').map(str::trim).collect();
    if pieces.iter().any(|p| !known(p)) {
        return None;
    }
    Some(format!(
        "metatrace: METATRACE_LOG='{spec}' has no ':FILE', so it is taken as a file name \
         (logging every category to './{spec}'); to log these categories write \
         METATRACE_LOG={spec}:FILE (or {spec}:- for stderr)"
    ))
}

/// A log sink with its enabled categories.
pub struct Log {
    prefixes: Vec<String>,
    all: bool,
    out: RefCell<Option<Box<dyn Write>>>,
    start: Instant,
}

impl Log {
    /// Logging off.
    pub fn off() -> Log {
        Log {
            prefixes: Vec::new(),
            all: false,
            out: RefCell::new(None),
            start: Instant::now(),
        }
    }

    /// From the `METATRACE_LOG` environment variable (off when unset).
    pub fn from_env() -> Log {
        match std::env::var("METATRACE_LOG") {
            Ok(spec) if !spec.is_empty() => Log::from_spec(&spec),
            _ => Log::off(),
        }
    }

    /// Parses `cats:FILE`. A file that cannot be created gives one warning
    /// on stderr and logging off (the program itself runs unchanged); a
    /// value that looks like categories without `:FILE` gets the
    /// [`file_name_warning`].
    pub fn from_spec(spec: &str) -> Log {
        if let Some(w) = file_name_warning(spec) {
            eprintln!("{w}");
        }
        let (cats, file) = match spec.rsplit_once(':') {
            Some((c, f)) => (Some(c), f),
            None => (None, spec),
        };
        let out: Box<dyn Write> = if file == "-" {
            Box::new(std::io::stderr())
        } else {
            match std::fs::File::create(file) {
                Ok(f) => Box::new(std::io::BufWriter::new(f)),
                Err(e) => {
                    eprintln!("metatrace: cannot open log file '{file}': {e}; logging is off");
                    return Log::off();
                }
            }
        };
        let prefixes: Vec<String> = cats
            .map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Log {
            all: cats.is_none(),
            prefixes,
            out: RefCell::new(Some(out)),
            start: Instant::now(),
        }
    }

    /// Is `category` selected?
    #[inline]
    pub fn enabled(&self, category: &str) -> bool {
        (self.all || !self.prefixes.is_empty()) && self.selects(category)
    }

    /// Is `category` named exactly in the spec (for categories that cost
    /// something to collect, such as [`cat::PROFILE`])?
    pub fn named(&self, category: &str) -> bool {
        self.prefixes.iter().any(|p| p == category)
    }

    fn selects(&self, category: &str) -> bool {
        self.all
            || self
                .prefixes
                .iter()
                .any(|p| category.starts_with(p.as_str()))
    }

    fn nanos(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Writes one `{category ... category}` section; `body` is only called
    /// when the category is enabled. The section is formatted whole, then
    /// written and flushed at once: a crash loses at most this section.
    pub fn section(&self, category: &str, body: impl FnOnce() -> String) {
        if !self.enabled(category) {
            return;
        }
        let opened = self.nanos();
        let text = body();
        let mut s = String::with_capacity(text.len() + 2 * category.len() + 40);
        s += &format::open(opened, category);
        s.push('\n');
        s += &text;
        if !text.is_empty() && !text.ends_with('\n') {
            s.push('\n');
        }
        s += &format::close(self.nanos(), category);
        s.push('\n');
        let mut out = self.out.borrow_mut();
        if let Some(w) = out.as_mut() {
            let _ = w.write_all(s.as_bytes());
            let _ = w.flush();
        }
    }

    /// Flushes the sink (sections are flushed as they are written; this is
    /// for the driver's drop).
    pub fn flush(&self) {
        if let Some(w) = self.out.borrow_mut().as_mut() {
            let _ = w.flush();
        }
    }
}

impl Drop for Log {
    /// Writes the `end of log` line: the log was closed normally.
    fn drop(&mut self) {
        let end = format::end(self.nanos());
        if let Some(w) = self.out.get_mut().as_mut() {
            let _ = writeln!(w, "{end}");
            let _ = w.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp_log(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("mtlog-test-{}-{name}.log", std::process::id()))
    }

    #[test]
    fn the_profile_is_on_only_where_named() {
        let path = tmp_log("named");
        let log = Log::from_spec(&format!("jit,jit-profile-x:{}", path.display()));
        assert!(log.enabled(cat::PROFILE), "a prefix selects it for writing");
        assert!(!log.named(cat::PROFILE), "but does not start the profiler");
        let log = Log::from_spec(&format!("jit-summary, jit-profile:{}", path.display()));
        assert!(log.named(cat::PROFILE));
        let log = Log::from_spec(&path.display().to_string());
        assert!(
            log.enabled(cat::PROFILE) && !log.named(cat::PROFILE),
            "all categories, no timer"
        );
        drop(log);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn prefixes_select_subcategories() {
        let path = tmp_log("prefixes");
        let log = Log::from_spec(&format!("jit-log-opt,jit-abort:{}", path.display()));
        assert!(log.enabled("jit-log-opt-loop") && log.enabled("jit-log-opt-bridge"));
        assert!(log.enabled("jit-abort") && !log.enabled("jit-summary"));
        log.section("jit-log-opt-loop", || "[i0]\njump(i0)".into());
        log.section("jit-summary", || panic!("must not be formatted"));
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with("{jit-log-opt-loop"), "{text}");
        assert_eq!(lines[1..3], ["[i0]", "jump(i0)"]);
        assert!(lines[3].ends_with("jit-log-opt-loop}"), "{text}");
        assert!(lines[4].ends_with("] end of log"), "{text}");
        assert_eq!(lines.len(), 5, "{text}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn each_section_is_on_disk_when_written() {
        let path = tmp_log("flushed");
        let log = Log::from_spec(&format!("jit:{}", path.display()));
        log.section(cat::ABORT, || "too long: here".into());
        // Not dropped, not flushed by hand: a crash now keeps the section.
        let text = std::fs::read_to_string(&path).unwrap();
        let r = reader::read(&text).unwrap();
        assert_eq!(r.sections.len(), 1, "{text}");
        assert_eq!(r.sections[0].body, "too long: here\n");
        assert!(!r.ended && r.cut.is_some());
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let r = reader::read(&text).unwrap();
        assert!(r.ended && r.cut.is_none(), "{text}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn off_and_unopenable() {
        assert!(!Log::off().enabled("jit-summary"));
        let log = Log::from_spec("jit:/nonexistent-dir/x/y.log");
        assert!(!log.enabled("jit-summary"));
    }

    #[test]
    fn category_lists_without_a_file_are_warned_about() {
        let w = file_name_warning("jit-summary,jit-backend-counts").unwrap();
        assert!(w.contains("taken as a file name"), "{w}");
        assert!(w.contains("jit-summary,jit-backend-counts:FILE"), "{w}");
        assert!(file_name_warning("jit-log-opt, jit-abort").is_some());
        assert!(file_name_warning("gc").is_some());
        assert!(file_name_warning("jit").is_some());
        // Real file names and complete specs are left alone.
        for ok in [
            "jit-summary:out.log",
            "jit-summary,jit-backend-counts:-",
            "run.log",
            "jit-summary.log",
            "jit-sum",
            "jit-summary,notes",
            "-",
            "",
        ] {
            assert_eq!(file_name_warning(ok), None, "{ok}");
        }
    }

    #[test]
    fn trace_headers_round_trip() {
        let l = TraceHeader::Loop {
            id: 5,
            location: "bf pc=472 '-' @532 (x)".into(),
            kind: "entry bridge".into(),
            ops: 13,
        };
        let b = TraceHeader::Bridge { guard: 4, ops: 1 };
        // The spelling `metainterp::compile` writes.
        assert_eq!(
            l.to_string(),
            format!(
                "# Loop {} ({}) : {} with {} ops",
                5, "bf pc=472 '-' @532 (x)", "entry bridge", 13
            )
        );
        for h in [
            BackendHeader::Loop {
                id: 3,
                location: "f:1 (a) b".into(),
            },
            BackendHeader::Bridge { guard: 12 },
            BackendHeader::Freed { id: 2, bridges: 5 },
        ] {
            assert_eq!(BackendHeader::parse(&h.to_string()), Some(h));
        }
        assert_eq!(BackendHeader::parse("# Loop x (y)"), None);
        assert_eq!(b.to_string(), "# bridge out of Guard 4 with 1 ops");
        assert_eq!(TraceHeader::parse(&l.to_string(), false), Some(l.clone()));
        assert_eq!(TraceHeader::parse(&b.to_string(), true), Some(b.clone()));
        assert_eq!(TraceHeader::parse(&l.to_string(), true), None);
        assert_eq!(
            TraceHeader::parse("# Loop x (y) : loop with 1 ops", false),
            None
        );
    }
}
