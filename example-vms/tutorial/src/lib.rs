//! The code of `docs/tutorial.md`: `calc`, a tiny register language, from
//! a plain interpreter to a JIT-compiled one, one module per step.
//!
//! Owns: the language ([`parse`]), the steps ([`step1`]: plain Rust;
//! [`step2`]: the same loop written against Metatrace's context, with
//! greens, reds and `can_enter_jit`; [`step3`]: a heap object described
//! with `gc_struct!`, `promote`, an elidable call and a quasi-immutable
//! field) and [`run_source`], which the `calc` binary and the tests use.
//! The tests in `tests/steps.rs` check each step's output and that the
//! JIT really compiles the loops, so the tutorial cannot rot.
#![forbid(unsafe_code)]

pub mod parse;
pub mod step1;
pub mod step2;
pub mod step3;

use metatrace::{Backend, JitDriver, JitParams, Stats};

/// The backends the `calc` binary links (`--jit backend=...`).
pub static BACKENDS: &[&metatrace::backend::BackendInfo] =
    &[&metatrace_x86::BACKEND, &metatrace_aarch64::BACKEND];

/// What a run printed, and the JIT's counters (none for step 1).
pub struct Outcome {
    pub output: String,
    pub stats: Option<Stats>,
    /// The driver's `jit-summary` text (empty for step 1).
    pub summary: String,
}

/// Parses `src` and runs it with the interpreter of `step` (1, 2 or 3).
/// Errors (a bad program, an instruction the step lacks, no such step)
/// are messages, never panics.
pub fn run_source(
    src: &str,
    step: u32,
    params: JitParams,
    backend: Box<dyn Backend>,
) -> Result<Outcome, String> {
    let program = parse::Program::parse(src).map_err(|e| e.to_string())?;
    if step < 3 {
        program.check_before_step3().map_err(|e| e.to_string())?;
    }
    match step {
        1 => Ok(Outcome {
            output: step1::run(&program),
            stats: None,
            summary: String::new(),
        }),
        2 => {
            let mut driver = JitDriver::new(params, backend);
            let output = step2::run(&mut driver, program);
            let summary = driver.summary();
            Ok(Outcome {
                output,
                stats: Some(driver.stats.clone()),
                summary,
            })
        }
        3 => {
            let mut driver = JitDriver::new(params, backend);
            let output = step3::run(&mut driver, program);
            let summary = driver.summary();
            Ok(Outcome {
                output,
                stats: Some(driver.stats.clone()),
                summary,
            })
        }
        n => Err(format!("there is no step {n} (steps are 1, 2 and 3)")),
    }
}
