//! `bf [--jit off | --jit key=value,...] FILE`
use clap::Parser;
use metatrace::{JitDriver, JitParams};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bf",
    about = "Brainfuck with a tracing JIT (Metatrace's tutorial VM)"
)]
struct Cli {
    /// JIT parameters: `off`, `default`, or key=value,... (threshold=N, trace_eagerness=N, backend=llgraph, ...)
    #[arg(long, value_name = "PARAMS")]
    jit: Option<String>,
    /// The brainfuck program.
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let params = match JitParams::parse(cli.jit.as_deref().unwrap_or("default")) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bf: --jit: {e}");
            return ExitCode::from(2);
        }
    };
    let src = match std::fs::read(&cli.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bf: cannot read {}: {e}", cli.file.display());
            return ExitCode::from(1);
        }
    };
    let program = match bf::Program::parse(&src) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bf: {}: {e}", cli.file.display());
            return ExitCode::from(1);
        }
    };
    let backend = metatrace_x86::backend_for(&params);
    let mut driver = JitDriver::new(params, backend);
    let mut vm = bf::Bf { program };
    match bf::run(&mut driver, &mut vm) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bf: {}: {e}", cli.file.display());
            ExitCode::from(1)
        }
    }
}
