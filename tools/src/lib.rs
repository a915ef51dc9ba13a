//! Metatrace tools: `mtlog` reads `METATRACE_LOG` files, `mtbench` runs
//! benchmarks (DESIGN §9).
//!
//! Owns: the library behind both binaries — [`logfile`] (the log reader),
//! [`report`] (`mtlog summary` / `traces` / `guards` text), [`html`] (the
//! static HTML trace viewer) and [`bench`] (the benchmark runner's
//! statistics, table and SVG chart).
//!
//! # The log format `mtlog` reads
//!
//! Sections as the framework's `metatrace::log` writes them (and its
//! `metatrace::log::reader` reads them), `[hex stamp] {category` …
//! `[hex stamp] category}`, then `[hex stamp] end of log` when the log was
//! closed normally; text outside sections is ignored. A log without the
//! `end of log` line was cut short (the program was killed or crashed):
//! `mtlog` shows every complete section and says on stderr where the log
//! stops. Categories:
//!
//! - `jit-log-opt-loop`: `# Loop N (<printable location>) : <kind> with K ops`
//!   (`<kind>` is `loop`, or `entry bridge` for a loop entered at a function's start),
//!   the inputargs line `[i0, p1]`, then one op per line in the IR printer's
//!   spelling. `debug_merge_point(0, '<location>')` starts a new location;
//!   `K` counts every op but `debug_merge_point`s (checked).
//! - `jit-log-opt-bridge`: `# bridge out of Guard N with K ops`, then as above.
//!   Guards are found by `descr=<GuardN>`; a bridge hangs under the trace
//!   containing its guard.
//! - `jit-abort`: `<reason>: <details>`.
//! - `jit-backend`: `# Loop N (<location>)` or `# bridge out of Guard N`,
//!   then the backend's listing, shown verbatim.
//! - `jit-summary`: PyPy's `key: value` lines (`Tracing: n t`,
//!   `Optimizing: t`, `Backend: n t`, `Running: t`, `Interpreting: t`,
//!   `GC: t` if the VM has one, `TOTAL: t`, `ops`, `guards`, `opt ops`,
//!   `opt guards`, `guard failures`, `invalidated`, `abort: <reason>: n`,
//!   `Total # of loops`, `Total # of bridges`); times in seconds.
//! - `jit-tracing`, `gc` and anything else: counted, not interpreted.
//!
//! ## `jit-backend-counts` (for the framework to write at exit)
//!
//! One counter per line; ids are the ones in the trace headers and
//! `descr=<GuardN>`; lines starting with `#` are comments:
//!
//! ```text
//! [1f00] {jit-backend-counts
//! loop 3: entered 120
//! bridge 7: entered 40
//! guard 7: failed 42
//! guard 12: failed 3
//! [1f08] jit-backend-counts}
//! ```
//!
//! - `loop N: entered K` — Loop N was entered K times from the interpreter
//!   (or from a bridge jumping to it).
//! - `bridge G: entered K` — the bridge out of Guard G ran K times.
//! - `guard G: failed K` — Guard G failed K times (whether or not a bridge
//!   was then attached; with a bridge, count the bridge's entries here too).
//!
//! Guards that never failed may be left out. When this section is present,
//! `mtlog guards` ranks guards by failure count and the HTML viewer shows
//! the counts; without it, `mtlog guards` ranks the guards that got
//! bridges.

pub mod bench;
pub mod html;
pub mod logfile;
pub mod report;

/// Reads and parses a log file, with the error text `mtlog` prints.
pub fn read_log(path: &std::path::Path) -> Result<logfile::Log, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    logfile::parse_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The note `mtlog` prints on stderr for a log that was cut short: where
/// it stops (section, line, byte). `None` for a log closed normally.
pub fn cut_note(path: &std::path::Path, log: &logfile::Log) -> Option<String> {
    log.cut
        .as_ref()
        .map(|c| format!("mtlog: note: {}: {c}", path.display()))
}
