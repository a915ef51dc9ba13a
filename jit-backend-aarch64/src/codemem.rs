//! Code and data memory for compiled traces.
//!
//! Owns: `CodeBlock` (one immutable executable mapping per loop or bridge)
//! and `DataArea` (the read-write guard slots compiled code jumps through;
//! the per-loop invalidation flag is an `Rc<AtomicU64>` in `lib.rs`, shared
//! with `Invalidator`s).
//!
//! Why one mapping per trace: dynasmrt's growing `Assembler` may move its
//! buffer on `commit` and `alter` re-protects the whole buffer, but a
//! compiled trace is jumped into from guard slots and other traces by
//! absolute address, so it must never move and never become writable
//! again. Code is assembled position-independently into a `Vec`, copied
//! into a fresh `MutableBuffer` of exactly its size and flipped to
//! read+execute once (`make_exec`); it is never written afterwards. Every
//! later change of behaviour (bridges, invalidation) goes through a
//! `DataArea` word instead. Freeing a loop drops its mappings.
//!
//! The instruction cache: AArch64 does not keep it coherent with data
//! writes. After copying the code in, `install` cleans the written lines
//! to the point of unification and invalidates them in the instruction
//! cache (`dc cvau` / `ic ivau` / `dsb ish`, through dynasmrt's
//! `cache_control`), and after `make_exec` issues an `isb` on the thread
//! that will run the code. No code is ever patched afterwards — bridges
//! attach through data words — so this is the only flush a trace needs.
//! qemu-user does not model the incoherence; real hardware does.
//!
//! A page per bridge wastes memory for tiny bridges; a bump allocator over
//! large mappings with per-page protection is the later improvement.

use dynasmrt::mmap::{ExecutableBuffer, MutableBuffer};
use std::sync::atomic::{AtomicU64, Ordering};

/// An installed, immutable piece of machine code.
pub struct CodeBlock {
    buf: ExecutableBuffer,
}

impl CodeBlock {
    /// Copies `bytes` into a fresh mapping and makes it read+execute.
    pub fn install(bytes: &[u8]) -> std::io::Result<CodeBlock> {
        let mut m = MutableBuffer::new(bytes.len().max(1))?;
        m.set_len(bytes.len());
        m[..bytes.len()].copy_from_slice(bytes);
        dynasmrt::cache_control::synchronize_icache(&m[..]);
        let buf = m.make_exec()?;
        dynasmrt::cache_control::prepare_for_execution(&buf[..]);
        Ok(CodeBlock { buf })
    }

    /// Address of the first byte of the installed code.
    pub fn addr(&self) -> usize {
        self.buf.as_ptr() as usize
    }

    /// The installed code, for disassembly.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..]
    }
}

/// Words read by compiled code at fixed addresses (the boxed slice never
/// moves). Atomics because code reads them while Rust may write them.
pub struct DataArea {
    words: Box<[AtomicU64]>,
}

impl DataArea {
    /// `n` zeroed words (at least one).
    pub fn new(n: usize) -> DataArea {
        DataArea {
            words: (0..n.max(1)).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Address of word 0.
    pub fn addr(&self) -> usize {
        self.words.as_ptr() as usize
    }

    /// Address of word `i` (`addr() + 8 * i`; not bounds-checked).
    pub fn addr_of(&self, i: usize) -> usize {
        self.addr() + 8 * i
    }

    /// A single aligned 8-byte store: code running concurrently on this
    /// thread's stack (re-entrantly) sees either the old or the new word.
    pub fn set(&self, i: usize, v: u64) {
        self.words[i].store(v, Ordering::Release);
    }
}
