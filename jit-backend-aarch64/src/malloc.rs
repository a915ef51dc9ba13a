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
//! register the allocator uses (x0-x14 and the float registers) on the
//! native stack, calls the `runtime`
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
//!
//! Register use: x17 holds the nursery's address, x16 the new free
//! pointer, x15 the limit; none of them is ever allocated.

use crate::emit::{self, Asm, Loc, Mem};
use crate::frame::{X15, X16, X17};
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

/// Caller-saved general registers the allocator hands out, saved in pairs.
const SAVED: [u8; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
/// Bytes for the saved general registers (16 words: pairs).
const GP_AREA: u32 = 8 * 16;
/// Float registers saved: every allocatable one (d0-d29).
const FP_SAVED: u8 = 30;
/// The whole save area, 16-byte aligned.
const AREA: u32 = GP_AREA + 8 * FP_SAVED as u32;

const FREE: i64 = NURSERY_FREE as i64;
const TOP: i64 = NURSERY_TOP as i64;

/// `d <- s + v` for a non-negative constant (x15 carries large ones).
fn add_imm(a: &mut Asm, d: u8, s: u8, v: u64) {
    if v < 4096 {
        let v = v as u32;
        dynasm!(a ; .arch aarch64 ; add XSP(d), XSP(s), v);
    } else {
        emit::mov_imm(a, X15, v);
        dynasm!(a ; .arch aarch64 ; add X(d), X(s), X(X15));
    }
}

/// Compares the new free pointer (x16) with `nursery_top`, branches to
/// `slow` when the region is exhausted, else publishes it.
fn check_and_publish(a: &mut Asm, slow: DynamicLabel) {
    emit::ldst(a, Mem::LdX, X15, X17, TOP);
    dynasm!(a
        ; .arch aarch64
        ; cmp X(X16), X(X15)
        ; b.hi =>slow
    );
    emit::ldst(a, Mem::StX, X16, X17, FREE);
}

/// Bumps `nursery_free` by `size` bytes (already rounded): the old value
/// in `res`; branches to `slow` when the region is exhausted.
pub fn bump(a: &mut Asm, nursery: usize, res: u8, size: usize, slow: DynamicLabel) {
    emit::mov_imm(a, X17, nursery as u64);
    emit::ldst(a, Mem::LdX, res, X17, FREE);
    add_imm(a, X16, res, size as u64);
    check_and_publish(a, slow);
}

/// Writes the 32-bit type id at offset 0 of the object in `res`.
fn write_tid(a: &mut Asm, res: u8, off: i64, tid: u32) {
    emit::mov_imm(a, X16, u64::from(tid));
    emit::ldst(a, Mem::StW, X16, res, off);
}

/// Fast path of `new(descr)` of `size` bytes (already rounded): result in
/// `res`, branches to `slow` when the region is exhausted.
pub fn fast_struct(
    a: &mut Asm,
    nursery: usize,
    res: u8,
    size: usize,
    tid: u32,
    slow: DynamicLabel,
) {
    bump(a, nursery, res, size, slow);
    write_tid(a, res, 0, tid);
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
        write_tid(a, base, m.offset as i64, m.tid);
        if let Some((len_off, n)) = m.len {
            emit::mov_imm(a, X16, n as u64);
            emit::ldst(a, Mem::StX, X16, base, (m.offset + len_off) as i64);
        }
    }
}

/// A later member of a merged allocation: nothing has bumped the region
/// since the block was taken (the fast path and `runtime::new_group` both
/// leave `nursery_free` at its end), so the member is at
/// `nursery_free - (total - offset)`.
pub fn member(a: &mut Asm, nursery: usize, res: u8, back: usize) {
    emit::mov_imm(a, X17, nursery as u64);
    emit::ldst(a, Mem::LdX, res, X17, FREE);
    emit::mov_imm(a, X16, back as u64);
    dynasm!(a ; .arch aarch64 ; sub X(res), X(res), X(X16));
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
    let item = shape.item_size;
    match len {
        Loc::Imm(n) => {
            // A constant length: the size is known now.
            let n = n as i64;
            let size = shape.base_offset as u64 + (n as u64).wrapping_mul(item as u64);
            if n < 0 || size >= LARGE_OBJECT as u64 {
                dynasm!(a ; .arch aarch64 ; b =>slow);
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
            emit::mov_imm(a, X16, n as u64);
        }
        _ => {
            let max_len = ((LARGE_OBJECT - shape.base_offset - 8) / item) as u64;
            emit::mov(a, Loc::Gp(X16), len);
            // Unsigned compare: negative lengths are huge.
            emit::mov_imm(a, X15, max_len);
            dynasm!(a
                ; .arch aarch64
                ; cmp X(X16), X(X15)
                ; b.hi =>slow
            );
            if item.is_power_of_two() {
                let sh = item.trailing_zeros();
                if sh > 0 {
                    dynasm!(a ; .arch aarch64 ; lsl X(X16), X(X16), sh);
                }
            } else {
                emit::mov_imm(a, X15, item as u64);
                dynasm!(a ; .arch aarch64 ; mul X(X16), X(X16), X(X15));
            }
            add_imm(a, X16, X16, shape.base_offset as u64 + 7);
            emit::mov_imm(a, X17, nursery as u64);
            dynasm!(a ; .arch aarch64 ; and XSP(X16), X(X16), 0xffff_ffff_ffff_fff8u64);
            emit::ldst(a, Mem::LdX, res, X17, FREE);
            dynasm!(a ; .arch aarch64 ; add X(X16), X(X16), X(res));
            check_and_publish(a, slow);
            write_tid(a, res, 0, shape.tid);
            emit::mov(a, Loc::Gp(X16), len);
        }
    }
    emit::ldst(a, Mem::StX, X16, res, shape.len_offset as i64);
}

/// The out-of-line slow path (see the module docs).
pub fn emit_slow(a: &mut Asm, s: &SlowAlloc) {
    dynasm!(a ; .arch aarch64 ; =>s.entry ; sub sp, sp, AREA);
    for (i, pair) in SAVED.chunks(2).enumerate() {
        let off = 16 * i as i32;
        let r0 = pair[0];
        let r1 = *pair.get(1).unwrap_or(&pair[0]);
        dynasm!(a ; .arch aarch64 ; stp X(r0), X(r1), [sp, off]);
    }
    for i in (0..FP_SAVED).step_by(2) {
        let off = (GP_AREA + 8 * u32::from(i)) as i32;
        let (f0, f1) = (i, i + 1);
        dynasm!(a ; .arch aarch64 ; stp D(f0), D(f1), [sp, off]);
    }
    // Arguments: x1 first, in case the length lives in x0.
    if let Some(len) = s.len {
        emit::mov(a, Loc::Gp(1), len);
    }
    emit::mov_imm(a, 0, s.descr as u64);
    emit::mov_imm(a, X16, s.func as u64);
    dynasm!(a ; .arch aarch64 ; blr X(X16));
    for i in (0..FP_SAVED).step_by(2) {
        let off = (GP_AREA + 8 * u32::from(i)) as i32;
        let (f0, f1) = (i, i + 1);
        dynasm!(a ; .arch aarch64 ; ldp D(f0), D(f1), [sp, off]);
    }
    match SAVED.iter().position(|&r| r == s.res) {
        // Overwrite the saved copy: the reload below restores the result.
        Some(i) => {
            let off = 8 * i as u32;
            dynasm!(a ; .arch aarch64 ; str x0, [sp, off]);
        }
        None => dynasm!(a ; .arch aarch64 ; mov X(s.res), x0),
    }
    for (i, pair) in SAVED.chunks(2).enumerate() {
        let off = 16 * i as i32;
        if pair.len() == 2 {
            let (r0, r1) = (pair[0], pair[1]);
            dynasm!(a ; .arch aarch64 ; ldp X(r0), X(r1), [sp, off]);
        } else {
            let r0 = pair[0];
            dynasm!(a ; .arch aarch64 ; ldr X(r0), [sp, off as u32]);
        }
    }
    dynasm!(a ; .arch aarch64 ; add sp, sp, AREA ; b =>s.back);
}
