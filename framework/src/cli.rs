//! The command-line side of the JIT, shared by every VM binary.
//!
//! Owns: [`JitArgs`] — the `--jit` flag as a `clap` argument group a VM
//! flattens into its own parser (`#[command(flatten)] jit: JitArgs`),
//! with a `--help` that lists every parameter and its default — and
//! [`JitArgs::setup`], which turns it into parameters and a backend, or
//! into the one error message and exit status (2) every VM gives for a
//! bad `--jit`.

use crate::backend::{self, Backend, BackendInfo};
use crate::params::JitParams;

/// `--jit off | default | key=value,...`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct JitArgs {
    /// JIT parameters: `off`, `default`, or key=value,... (threshold=N,
    /// trace_eagerness=N, backend=llgraph, ...; `--help` lists them all)
    #[arg(long, value_name = "PARAMS", long_help = JitParams::help_text())]
    pub jit: Option<String>,
}

impl JitArgs {
    /// The parameters, or the message for a bad `--jit`.
    pub fn params(&self) -> Result<JitParams, String> {
        JitParams::parse(self.jit.as_deref().unwrap_or("default")).map_err(|e| e.to_string())
    }

    /// Parameters whose `backend=` names a backend among `linked` that
    /// runs here, or the error already printed as `PROGRAM: --jit: ...`
    /// and the exit status to leave with (2). Make the backend with
    /// [`backend::select`] on the thread that will run the VM.
    pub fn checked_params(
        &self,
        program: &str,
        linked: &[&BackendInfo],
    ) -> Result<JitParams, std::process::ExitCode> {
        let fail = |e: String| {
            eprintln!("{program}: --jit: {e}");
            std::process::ExitCode::from(2)
        };
        let params = self.params().map_err(fail)?;
        backend::choose(&params.backend, linked, std::env::consts::ARCH).map_err(fail)?;
        Ok(params)
    }

    /// [`JitArgs::checked_params`] and the backend, made on this thread.
    pub fn setup(
        &self,
        program: &str,
        linked: &[&BackendInfo],
    ) -> Result<(JitParams, Box<dyn Backend>), std::process::ExitCode> {
        let params = self.checked_params(program, linked)?;
        let backend = backend::select(&params.backend, linked)
            .unwrap_or_else(|_| unreachable!("checked_params checked the backend choice"));
        Ok((params, backend))
    }
}
