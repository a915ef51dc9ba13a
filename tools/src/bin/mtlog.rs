//! `mtlog`: reads a `METATRACE_LOG` file (see the crate docs for the
//! format) and prints a summary, the optimized traces, the guards that
//! failed most, or writes a static HTML trace viewer.
//!
//! Owns: the command line only; the work is in the library.

use clap::{Parser, Subcommand};
use metatrace_tools::{cut_note, html, logfile, report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "mtlog",
    about = "Read Metatrace JIT logs (METATRACE_LOG=jit-log-opt,jit-abort,jit-summary,jit-backend:FILE)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Loops, bridges, aborts by reason, guard failures and where the time went.
    Summary {
        /// The log file.
        log: PathBuf,
    },
    /// The optimized traces, grouped by their printable locations.
    Traces {
        /// The log file.
        log: PathBuf,
        /// Only Loop N.
        #[arg(long = "loop", value_name = "N")]
        loop_: Option<u64>,
        /// Only the bridge out of Guard N.
        #[arg(long, value_name = "N")]
        bridge: Option<u64>,
    },
    /// The guards that failed most, with their traces and locations.
    Guards {
        /// The log file.
        log: PathBuf,
        /// How many guards to show.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Writes one self-contained HTML page: loop/bridge tree, source, IR and machine code.
    Html {
        /// The log file.
        log: PathBuf,
        /// The HTML file to write.
        #[arg(short, long, value_name = "OUT.html")]
        output: PathBuf,
        /// The guest program, to show the source lines locations name
        /// (`line N` or `@byte-offset` in a location).
        #[arg(long, value_name = "FILE")]
        source: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.cmd) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mtlog: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a log; a log cut short gets a note on stderr and is shown as far
/// as it goes.
fn read_log(path: &Path) -> Result<logfile::Log, String> {
    let log = metatrace_tools::read_log(path)?;
    if let Some(note) = cut_note(path, &log) {
        eprintln!("{note}");
    }
    Ok(log)
}

fn run(cmd: Cmd) -> Result<String, String> {
    match cmd {
        Cmd::Summary { log } => Ok(report::summary(&read_log(&log)?)),
        Cmd::Traces { log, loop_, bridge } => report::traces(&read_log(&log)?, loop_, bridge),
        Cmd::Guards { log, limit } => Ok(report::guards(&read_log(&log)?, limit)),
        Cmd::Html {
            log: path,
            output,
            source,
        } => {
            let log = read_log(&path)?;
            let mut sources = match &source {
                Some(s) => {
                    let text = std::fs::read(s)
                        .map_err(|e| format!("cannot read {}: {e}", s.display()))?;
                    html::Sources::with_main(
                        &s.display().to_string(),
                        String::from_utf8_lossy(&text).into_owned(),
                    )
                }
                None => html::Sources::none(),
            };
            sources.read_files = true;
            let title = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let page = html::render(&log, &title, &sources);
            std::fs::write(&output, page)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            Ok(format!(
                "wrote {} ({} loops, {} bridges)\n",
                output.display(),
                log.loops().count(),
                log.bridges().count()
            ))
        }
    }
}
