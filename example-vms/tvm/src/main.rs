//! `tvm [--jit off | --jit key=value,...] FILE`
use clap::Parser;
use metatrace::{JitDriver, JitParams};
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "tvm",
    about = "Metatrace's test VM: a small stack language with objects and calls"
)]
struct Cli {
    /// JIT parameters: `off`, `default`, or key=value,...
    #[arg(long, value_name = "PARAMS")]
    jit: Option<String>,
    /// The program (text form, see example-vms/tvm/src/asm.rs).
    file: std::path::PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let params = match JitParams::parse(cli.jit.as_deref().unwrap_or("default")) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("tvm: --jit: {e}");
            return ExitCode::from(2);
        }
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
            let backend = metatrace_x86::backend_for(&params);
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
