//! `minirb [--jit off | --jit key=value,...] FILE`.
//!
//! Owns: argument parsing (usage errors and bad `--jit` exit 2), reading
//! the program, and running it on a thread with a large stack (guest
//! calls recurse in Rust).
#![forbid(unsafe_code)]

use std::process::ExitCode;

const USAGE: &str = "usage: minirb [--jit off | --jit key=value,...] FILE";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut jit = None;
    let mut file = None;
    while !args.is_empty() {
        let a = args.remove(0);
        if a == "--jit" {
            if args.is_empty() {
                eprintln!("minirb: --jit needs a value\n{USAGE}");
                return ExitCode::from(2);
            }
            jit = Some(args.remove(0));
        } else if let Some(v) = a.strip_prefix("--jit=") {
            jit = Some(v.to_string());
        } else if a == "-h" || a == "--help" {
            println!(
                "{USAGE}\n\n--jit parameters:\n{}",
                metatrace::JitParams::help_text()
            );
            return ExitCode::SUCCESS;
        } else if a.starts_with('-') {
            eprintln!("minirb: unknown option {a}\n{USAGE}");
            return ExitCode::from(2);
        } else {
            file = Some(a);
            break;
        }
    }
    let Some(file) = file else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let params = match (metatrace::cli::JitArgs { jit }).checked_params("minirb", minirb::BACKENDS)
    {
        Ok(p) => p,
        Err(code) => {
            eprintln!("{USAGE}");
            return code;
        }
    };
    let text = match std::fs::read(&file) {
        Ok(b) => match String::from_utf8(b) {
            Ok(t) => t,
            Err(e) => {
                let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                    .iter()
                    .filter(|&&c| c == b'\n')
                    .count();
                eprintln!("{file}:{line}: invalid multibyte char (UTF-8)");
                return ExitCode::from(1);
            }
        },
        Err(e) => {
            eprintln!("minirb: No such file or directory -- {file} ({e}) (LoadError)");
            return ExitCode::from(1);
        }
    };
    let argv = args;
    let child = std::thread::Builder::new()
        .stack_size(1 << 31)
        .spawn(move || {
            let code = minirb::run(params, &file, &text, argv);
            // The tables holding heap handles are released without their
            // destructors: the heap's own thread-local may be gone first.
            minirb::shutdown();
            code
        });
    match child.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        _ => {
            eprintln!("minirb: internal error");
            ExitCode::from(3)
        }
    }
}
