//! `minipy [--jit off | --jit key=value,...] FILE [ARGS...]` or
//! `minipy [--jit ...] -c CODE [ARGS...]`.
//!
//! Owns: argument parsing (`clap`, with the framework's shared `--jit`;
//! usage errors exit 2), reading the program, and running it on a thread
//! with a large stack (guest calls recurse in Rust).
#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

const USAGE: &str = "usage: minipy [--jit off | --jit key=value,...] (FILE | -c CODE) [ARGS...]";

/// The command line. As with CPython, everything after FILE or `-c CODE`
/// belongs to the program (`sys.argv`), options included.
#[derive(Parser)]
#[command(
    name = "minipy",
    about = "A Python 3 subset with a tracing JIT (Metatrace's flagship VM)",
    override_usage = "minipy [--jit off | --jit key=value,...] (FILE | -c CODE) [ARGS...]"
)]
struct Cli {
    #[command(flatten)]
    jit: metatrace::cli::JitArgs,
    /// Program passed in as a string (`sys.argv[0]` is `-c`); the
    /// arguments after it are the program's
    #[arg(
        short = 'c',
        value_name = "CODE",
        num_args = 1..,
        allow_hyphen_values = true
    )]
    code: Vec<String>,
    /// The program file, then its arguments (`sys.argv`)
    #[arg(
        value_name = "FILE [ARGS]",
        trailing_var_arg = true,
        required_unless_present = "code"
    )]
    file_and_args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        // `--help` (which lists the `--jit` parameters) goes to stdout.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // clap's message, with minipy's usage line in place of clap's.
            let text = e.render().to_string();
            for l in text.lines().filter(|l| !l.trim().is_empty()) {
                if l.starts_with("Usage:") {
                    continue;
                }
                if l.starts_with("For more information") {
                    eprintln!("{USAGE}");
                }
                eprintln!("{l}");
            }
            return ExitCode::from(2);
        }
    };
    let (prog, args) = if let Some((code, rest)) = cli.code.split_first() {
        // `-c CODE` wins; anything after it is the program's.
        let mut argv = vec!["-c".to_string()];
        argv.extend(rest.iter().cloned());
        argv.extend(cli.file_and_args);
        (("<string>".to_string(), code.clone()), argv)
    } else {
        let a = cli.file_and_args[0].clone();
        let text = match std::fs::read_to_string(&a) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("minipy: can't open file '{a}': {e}");
                return ExitCode::from(2);
            }
        };
        // CPython reports the script by its absolute path.
        let shown = std::path::absolute(&a)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or(a);
        ((shown, text), cli.file_and_args)
    };
    let (file, text) = prog;
    let params = match cli.jit.checked_params("minipy", minipy::BACKENDS) {
        Ok(p) => p,
        Err(code) => {
            eprintln!("{USAGE}");
            return code;
        }
    };
    let child = std::thread::Builder::new()
        .stack_size(1 << 31)
        .spawn(move || minipy::run(params, &file, &text, args));
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        _ => {
            eprintln!("minipy: internal error");
            ExitCode::from(3)
        }
    }
}
