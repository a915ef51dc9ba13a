//! `tvm [--jit off | --jit key=value,...] FILE`
#![forbid(unsafe_code)]
use clap::Parser;
use metatrace::JitDriver;
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "tvm",
    about = "Metatrace's test VM: a small stack language with objects and calls"
)]
struct Cli {
    #[command(flatten)]
    jit: metatrace::cli::JitArgs,
    /// The program (text form, see example-vms/tvm/src/asm.rs).
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let params = match cli.jit.checked_params("tvm", tvm::BACKENDS) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let src = match std::fs::read_to_string(&cli.file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tvm: cannot read {}: {e}", cli.file.display());
            return ExitCode::from(1);
        }
    };
    let program = match tvm::asm::parse(&src) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tvm: {}: {e}", cli.file.display());
            return ExitCode::from(1);
        }
    };
    // Deep guest recursion runs deep Rust recursion in direct mode.
    let child = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(move || {
            // The backend belongs to the thread that runs its code.
            let backend = metatrace::backend::select(&params.backend, tvm::BACKENDS)
                .unwrap_or_else(|_| (metatrace::backend::LLGRAPH.new)());
            let mut driver = JitDriver::new(params, backend);
            tvm::run(&mut driver, program)
        });
    let outcome = match child.map(|h| h.join()) {
        Ok(Ok(o)) => o,
        _ => {
            eprintln!("tvm: internal error");
            return ExitCode::from(3);
        }
    };
    let _ = std::io::stdout().write_all(&outcome.output);
    match outcome.error {
        None => ExitCode::SUCCESS,
        Some(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}
