//! `minipy [--jit off | --jit key=value,...] FILE [ARGS...]` or
//! `minipy [--jit ...] -c CODE [ARGS...]`.
//!
//! Owns: argument parsing (usage errors exit 2), reading the program, and
//! running it on a thread with a large stack (guest calls recurse in Rust).
#![forbid(unsafe_code)]

use std::process::ExitCode;

const USAGE: &str = "usage: minipy [--jit off | --jit key=value,...] (FILE | -c CODE) [ARGS...]";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut jit = None;
    let mut prog: Option<(String, String)> = None;
    while !args.is_empty() {
        let a = args.remove(0);
        if a == "--jit" {
            if args.is_empty() {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
            jit = Some(args.remove(0));
        } else if let Some(v) = a.strip_prefix("--jit=") {
            jit = Some(v.to_string());
        } else if a == "-c" {
            if args.is_empty() {
                eprintln!("Argument expected for the -c option\n{USAGE}");
                return ExitCode::from(2);
            }
            let code = args.remove(0);
            args.insert(0, "-c".to_string());
            prog = Some(("<string>".to_string(), code));
            break;
        } else if a == "-h" || a == "--help" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        } else if a.starts_with('-') && a != "-" {
            eprintln!("minipy: unknown option {a}\n{USAGE}");
            return ExitCode::from(2);
        } else {
            let text = match std::fs::read_to_string(&a) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("minipy: can't open file '{a}': {e}");
                    return ExitCode::from(2);
                }
            };
            args.insert(0, a.clone());
            // CPython reports the script by its absolute path.
            let shown = std::path::absolute(&a)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or(a);
            prog = Some((shown, text));
            break;
        }
    }
    let Some((file, text)) = prog else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // The `--jit` value goes through the framework's shared parser (the
    // rest of the command line follows CPython's rules: everything after
    // FILE or `-c CODE` belongs to the program).
    let params = match (metatrace::cli::JitArgs { jit }).checked_params("minipy", minipy::BACKENDS)
    {
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
