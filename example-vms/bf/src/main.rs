//! `bf [--jit off | --jit key=value,...] FILE`
#![forbid(unsafe_code)]
use clap::Parser;
use metatrace::JitDriver;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bf",
    about = "Brainfuck with a tracing JIT (Metatrace's tutorial VM)"
)]
struct Cli {
    #[command(flatten)]
    jit: metatrace::cli::JitArgs,
    /// The brainfuck program.
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (params, backend) = match cli.jit.setup("bf", bf::BACKENDS) {
        Ok(x) => x,
        Err(code) => return code,
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
