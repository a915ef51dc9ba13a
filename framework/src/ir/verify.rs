//! Trace verifier. (stub, being written)
use super::Trace;
#[derive(Debug)]
pub struct VerifyError(pub String);
impl std::fmt::Display for VerifyError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(&self.0) } }
pub fn verify(_t: &Trace) -> Result<(), VerifyError> { Ok(()) }
