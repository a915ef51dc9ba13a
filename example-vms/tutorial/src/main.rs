//! `calc [--step 1|2|3] [--jit off | --jit key=value,...] FILE`: runs a
//! `calc` program with the interpreter of one tutorial step (default: the
//! last). Owns the command line only.
#![forbid(unsafe_code)]
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "calc",
    about = "The tutorial's register language (docs/tutorial.md)"
)]
struct Cli {
    #[command(flatten)]
    jit: metatrace::cli::JitArgs,
    /// Which step's interpreter runs the program.
    #[arg(long, default_value_t = 3)]
    step: u32,
    /// The calc program.
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (params, backend) = match cli.jit.setup("calc", tutorial::BACKENDS) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let src = match std::fs::read_to_string(&cli.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("calc: cannot read {}: {e}", cli.file.display());
            return ExitCode::from(1);
        }
    };
    match tutorial::run_source(&src, cli.step, params, backend) {
        Ok(out) => {
            let _ = std::io::stdout().write_all(out.output.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("calc: {}: {e}", cli.file.display());
            ExitCode::from(1)
        }
    }
}
