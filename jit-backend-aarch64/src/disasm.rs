//! Disassembly for `jit-backend` logs (yaxpeax-arm, ARM syntax).
//!
//! Owns: turning installed code plus the code generator's notes (which IR
//! op, stub or label starts where) into an address-annotated listing.
//!
//! Why yaxpeax-arm: pure Rust (no C toolchain for CI's cross builds, unlike
//! capstone), maintained, decodes all of ARMv8-A including the SIMD&FP
//! forms we emit, and is independent of the encoder we emit with — a
//! listing written by our own decoder would share our encoder's mistakes.
//! Words it cannot decode are listed as `.word`.

use std::fmt::Write;
use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// Lists `code` (installed at `addr`), inserting `notes` (code offset →
/// text, sorted by offset) as `;` comment lines.
pub fn listing(title: &str, code: &[u8], addr: u64, notes: &[(usize, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "; {title} at {addr:#x}, {} bytes", code.len());
    let decoder = InstDecoder::default();
    let mut next_note = 0;
    for (i, word) in code.chunks(4).enumerate() {
        let off = 4 * i;
        while next_note < notes.len() && notes[next_note].0 <= off {
            let _ = writeln!(out, "; {}", notes[next_note].1);
            next_note += 1;
        }
        let mut reader = U8Reader::new(word);
        let text = match decoder.decode(&mut reader) {
            Ok(insn) => insn.to_string(),
            Err(_) => {
                let mut w = [0u8; 4];
                w[..word.len()].copy_from_slice(word);
                format!(".word {:#010x}", u32::from_le_bytes(w))
            }
        };
        let bytes: String = word.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(out, "{:016x}  {bytes:<10} {text}", addr + off as u64);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_instructions_with_notes() {
        // movz x0, #1 ; ret
        let code = [0x20, 0x00, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6];
        let s = listing("loop 1", &code, 0x1000, &[(0, "Loop entry".into())]);
        assert!(
            s.starts_with("; loop 1 at 0x1000, 8 bytes\n; Loop entry\n"),
            "{s}"
        );
        assert!(s.contains("mov x0, #0x1"), "{s}");
        assert!(s.contains("ret"), "{s}");
    }
}
