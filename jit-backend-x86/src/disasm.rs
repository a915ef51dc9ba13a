//! Disassembly for `jit-backend` logs (iced-x86, Intel syntax).
//!
//! Owns: turning installed code plus the code generator's notes (which IR
//! op, stub or label starts where) into an address-annotated listing.

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};
use std::fmt::Write;

/// Lists `code` (installed at `addr`), inserting `notes` (code offset →
/// text, sorted by offset) as `;` comment lines.
pub fn listing(title: &str, code: &[u8], addr: u64, notes: &[(usize, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "; {title} at {addr:#x}, {} bytes", code.len());
    let mut decoder = Decoder::with_ip(64, code, addr, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut insn = Instruction::default();
    let mut text = String::new();
    let mut next_note = 0;
    while decoder.can_decode() {
        decoder.decode_out(&mut insn);
        let off = (insn.ip() - addr) as usize;
        while next_note < notes.len() && notes[next_note].0 <= off {
            let _ = writeln!(out, "; {}", notes[next_note].1);
            next_note += 1;
        }
        text.clear();
        fmt.format(&insn, &mut text);
        let bytes: String = code[off..off + insn.len()]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let _ = writeln!(out, "{:016x}  {bytes:<24} {text}", insn.ip());
    }
    out
}
