//! Inline allocation: the bump-pointer fast path for `new`,
//! `new_with_vtable` and `new_array(_clear)`, and its out-of-line slow path.
//!
//! Owns: the instruction sequences and the slow-path stubs (`SlowAlloc`).
//!
//! The fast path is PyPy's `malloc_nursery`: load `nursery_free` from the
//! thread's `heap::gc::Nursery` (its address is baked into the code, which
//! is why a backend belongs to one thread), add the size, compare with
//! `nursery_top`, store the new free pointer and the header's type id.
//! Regions are zeroed by the heap before they are published, so nothing
//! else needs writing (arrays also get their length). No write barrier is
//! ever needed: the collector is non-moving, non-generational and
//! stop-the-world (see `metatrace::heap::gc`).
//!
//! The slow path sits after the trace body. It saves every caller-saved
//! register (general and xmm) on the native stack, calls the `runtime`
//! helper (which may collect), puts the result into the op's register and
//! restores the rest — so the register allocator's state is the same on
//! both paths and the fast path spills nothing. Saved registers are on the
//! native stack, where the collector's conservative scan finds the
//! references among them; values the allocator keeps in callee-saved
//! registers are spilled by the collector itself before it scans.
//!
//! Merged allocations (PyPy merges `malloc_nursery`s the same way): a
//! run of allocations of sizes known at compile time, with only field and
//! item stores between them, takes one block of the summed size with one
//! bump; the first op writes every member's header, later ops just compute
//! their member's address from `nursery_free`. Its slow path is
//! `runtime::new_group`.
//!
//! The stack pointer is 16-byte aligned at every op of a trace body
//! (`frame::frame_size`), and the stub keeps it so for the call.

use crate::emit::{self, Asm, Loc};
use crate::frame::{R10, R11, RAX};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use metatrace::heap::gc::{NURSERY_FREE, NURSERY_TOP};
use metatrace::heap::LARGE_OBJECT;

/// One allocation's slow path, emitted after the body.
pub struct SlowAlloc {
    /// The slow path's first instruction, where the fast path jumps when the region is full.
    pub entry: DynamicLabel,
    /// Where the slow path returns to, after the allocation op.
    pub back: DynamicLabel,
    /// Register of the op's result.
    pub res: u8,
    /// `runtime::new_struct`, `runtime::new_array` or `runtime::new_group`.
    pub func: usize,
    /// The first argument: the descriptor's address (or the group's size).
    pub descr: usize,
    /// The array length's location at the op (second argument).
    pub len: Option<Loc>,
}

/// Caller-saved general registers, in push order.
const SAVED: [u8; 9] = [0, 1, 2, 6, 7, 8, 9, 10, 11];
/// 16 xmm registers plus 8 bytes so that 9 pushes + this keep alignment.
const XMM_AREA: i32 = 16 * 16 + 8;

const FREE: i32 = NURSERY_FREE as i32;
const TOP: i32 = NURSERY_TOP as i32;

/// Bumps `nursery_free` by `size` bytes (already rounded): the old value
/// in `res`; jumps to `slow` when the region is exhausted.
pub fn bump(a: &mut Asm, nursery: usize, res: u8, size: usize, slow: DynamicLabel) {
    emit::mov_imm(a, R11, nursery as u64);
    let size = size as i32;
    dynasm!(a
        ; .arch x64
        ; mov Rq(res), QWORD [Rq(R11) + FREE]
        ; lea Rq(R10), [Rq(res) + size]
        ; cmp Rq(R10), QWORD [Rq(R11) + TOP]
        ; ja =>slow
        ; mov QWORD [Rq(R11) + FREE], Rq(R10)
    );
}

/// Fast path of `new(descr)` of `size` bytes (already rounded): result in
/// `res`, jumps to `slow` when the region is exhausted.
pub fn fast_struct(
    a: &mut Asm,
    nursery: usize,
    res: u8,
    size: usize,
    tid: u32,
    slow: DynamicLabel,
) {
    bump(a, nursery, res, size, slow);
    dynasm!(a ; .arch x64 ; mov DWORD [Rq(res)], tid as i32);
}

/// One object of a merged allocation: where it sits in the block and
/// what its header (and, for arrays, length word) says.
pub struct Member {
    /// Byte offset of the member from the block's start.
    pub offset: usize,
    /// Type id written into the member's header.
    pub tid: u32,
    /// (length offset, length) for arrays.
    pub len: Option<(usize, i64)>,
}

/// Writes the headers of a merged allocation's members, the block's
/// start in `base` (after the join of fast and slow path).
pub fn write_headers(a: &mut Asm, base: u8, members: &[Member]) {
    for m in members {
        let off = m.offset as i32;
        dynasm!(a ; .arch x64 ; mov DWORD [Rq(base) + off], m.tid as i32);
        if let Some((len_off, n)) = m.len {
            let d = off + len_off as i32;
            dynasm!(a ; .arch x64 ; mov QWORD [Rq(base) + d], n as i32);
        }
    }
}

/// A later member of a merged allocation: nothing has bumped the region
/// since the block was taken (the fast path and `runtime::new_group` both
/// leave `nursery_free` at its end), so the member is at
/// `nursery_free - (total - offset)`.
pub fn member(a: &mut Asm, nursery: usize, res: u8, back: usize) {
    emit::mov_imm(a, R11, nursery as u64);
    let back = back as i32;
    dynasm!(a
        ; .arch x64
        ; mov Rq(res), QWORD [Rq(R11) + FREE]
        ; sub Rq(res), back
    );
}

/// What the fast path needs to know about an array type.
pub struct ArrayShape {
    /// Type id written into the header.
    pub tid: u32,
    /// Byte offset of the length word.
    pub len_offset: usize,
    /// Byte offset of item 0.
    pub base_offset: usize,
    /// Size of one item in bytes.
    pub item_size: usize,
}

/// Fast path of `new_array(len, descr)`. Lengths that are negative or
/// would make a large object go to the slow path (the heap decides).
pub fn fast_array(
    a: &mut Asm,
    nursery: usize,
    res: u8,
    len: Loc,
    shape: &ArrayShape,
    slow: DynamicLabel,
) {
    let base = shape.base_offset as i32;
    let item = shape.item_size;
    match len {
        Loc::Imm(n) => {
            // A constant length: the size is known now.
            let n = n as i64;
            let size = shape.base_offset as u64 + (n as u64).wrapping_mul(item as u64);
            if n < 0 || size >= LARGE_OBJECT as u64 {
                dynasm!(a ; .arch x64 ; jmp =>slow);
                return;
            }
            fast_struct(
                a,
                nursery,
                res,
                (size as usize).next_multiple_of(8),
                shape.tid,
                slow,
            );
            emit::mov_imm(a, R10, n as u64);
        }
        _ => {
            let max_len = ((LARGE_OBJECT - shape.base_offset - 8) / item) as i32;
            emit::mov(a, Loc::Gp(R10), len);
            // Unsigned compare: negative lengths are huge.
            dynasm!(a ; .arch x64 ; cmp Rq(R10), max_len ; ja =>slow);
            match item {
                1 => dynasm!(a ; .arch x64 ; lea Rq(R10), [Rq(R10) + base + 7]),
                2 => dynasm!(a ; .arch x64 ; lea Rq(R10), [Rq(R10) * 2 + base + 7]),
                4 => dynasm!(a ; .arch x64 ; lea Rq(R10), [Rq(R10) * 4 + base + 7]),
                8 => dynasm!(a ; .arch x64 ; lea Rq(R10), [Rq(R10) * 8 + base + 7]),
                _ => dynasm!(a
                    ; .arch x64
                    ; imul Rq(R10), Rq(R10), item as i32
                    ; add Rq(R10), base + 7
                ),
            }
            emit::mov_imm(a, R11, nursery as u64);
            dynasm!(a
                ; .arch x64
                ; and Rq(R10), -8
                ; mov Rq(res), QWORD [Rq(R11) + FREE]
                ; add Rq(R10), Rq(res)
                ; cmp Rq(R10), QWORD [Rq(R11) + TOP]
                ; ja =>slow
                ; mov QWORD [Rq(R11) + FREE], Rq(R10)
                ; mov DWORD [Rq(res)], shape.tid as i32
            );
            emit::mov(a, Loc::Gp(R10), len);
        }
    }
    let off = shape.len_offset as i32;
    dynasm!(a ; .arch x64 ; mov QWORD [Rq(res) + off], Rq(R10));
}

/// The out-of-line slow path (see the module docs).
pub fn emit_slow(a: &mut Asm, s: &SlowAlloc) {
    dynasm!(a ; .arch x64 ; =>s.entry);
    for r in SAVED {
        dynasm!(a ; .arch x64 ; push Rq(r));
    }
    dynasm!(a ; .arch x64 ; sub rsp, XMM_AREA);
    for x in 0..16u8 {
        let d = 8 + 16 * x as i32;
        dynasm!(a ; .arch x64 ; movdqu [rsp + d], Rx(x));
    }
    // Arguments: rsi first, in case the length lives in rdi.
    if let Some(len) = s.len {
        emit::mov(a, Loc::Gp(6), len);
    }
    emit::mov_imm(a, 7, s.descr as u64);
    emit::mov_imm(a, R11, s.func as u64);
    dynasm!(a ; .arch x64 ; call Rq(R11));
    for x in 0..16u8 {
        let d = 8 + 16 * x as i32;
        dynasm!(a ; .arch x64 ; movdqu Rx(x), [rsp + d]);
    }
    dynasm!(a ; .arch x64 ; add rsp, XMM_AREA);
    match SAVED.iter().position(|&r| r == s.res) {
        // Overwrite the saved copy: the pop below restores the result.
        Some(i) => {
            let d = 8 * (SAVED.len() - 1 - i) as i32;
            dynasm!(a ; .arch x64 ; mov QWORD [rsp + d], Rq(RAX));
        }
        None => dynasm!(a ; .arch x64 ; mov Rq(s.res), Rq(RAX)),
    }
    for &r in SAVED.iter().rev() {
        dynasm!(a ; .arch x64 ; pop Rq(r));
    }
    dynasm!(a ; .arch x64 ; jmp =>s.back);
}
