//! Instruction selection for allocations: `new`, `new_with_vtable` and
//! `new_array(_clear)` with the inline bump fast path, and merged
//! allocations (the sequences themselves are in `crate::malloc`).
//!
//! A child module of `assemble` so it can extend `Gen` without making the
//! generator's state public; split off to keep `assemble.rs` readable.

use super::Gen;
use crate::malloc::{self, SlowAlloc};
use dynasmrt::{dynasm, DynasmLabelApi};
use metatrace::backend::runtime;
use metatrace::backend::CompileError;
use metatrace::ir::{ArrayDescr, Op, OpNum, Operand, SizeDescr};

impl Gen<'_> {
    /// The size and header of an allocation whose size is known now
    /// (`new`, or `new_array` of a constant length), if small; as a merged
    /// allocation member at offset 0.
    pub(super) fn static_alloc(op: &Op) -> Option<(usize, malloc::Member)> {
        match op.opnum {
            OpNum::New | OpNum::NewWithVtable => {
                let d = op.descr?.as_size()?;
                metatrace::heap::register_struct(d);
                let m = malloc::Member {
                    offset: 0,
                    tid: d.tid,
                    len: None,
                };
                Some((d.size.max(8).next_multiple_of(8), m))
            }
            OpNum::NewArray | OpNum::NewArrayClear => {
                let d = op.descr?.as_array()?;
                let Operand::ConstInt(n) = *op.args.first()? else {
                    return None;
                };
                let items = (n as u64).checked_mul(d.item_size as u64)?;
                let size = (d.base_offset as u64).checked_add(items)?;
                if n < 0 || size >= metatrace::heap::LARGE_OBJECT as u64 {
                    return None;
                }
                metatrace::heap::register_array(d);
                let m = malloc::Member {
                    offset: 0,
                    tid: d.tid,
                    len: Some((d.len_offset, n)),
                };
                Some(((size as usize).max(8).next_multiple_of(8), m))
            }
            _ => None,
        }
    }

    /// Merged allocations (`malloc` docs). At the first op of a run of
    /// statically sized allocations separated only by stores, takes one
    /// block for all and writes every header; at a later member, computes
    /// its address. Returns false when `op` is not part of such a run.
    pub(super) fn merged_alloc(&mut self, index: usize, op: &Op) -> Result<bool, CompileError> {
        if let Some(back) = self.group_members.remove(&index) {
            let v = self.res(op)?;
            let res = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
            malloc::member(&mut self.a, self.ctx.nursery, res, back);
            return Ok(true);
        }
        let mut members = Vec::new();
        let mut total = 0usize;
        for (j, o) in self.trace.ops.iter().enumerate().skip(index) {
            if let Some((size, m)) = Self::static_alloc(o) {
                if total + size >= metatrace::heap::LARGE_OBJECT {
                    break;
                }
                members.push((j, malloc::Member { offset: total, ..m }));
                total += size;
            } else if !matches!(o.opnum, OpNum::SetfieldGc | OpNum::SetarrayitemGc) {
                break;
            }
        }
        if members.len() < 2 {
            return Ok(false);
        }
        for (j, m) in &members[1..] {
            self.group_members.insert(*j, total - m.offset);
        }
        let v = self.res(op)?;
        let res = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        let (entry, back) = (self.a.new_dynamic_label(), self.a.new_dynamic_label());
        malloc::bump(&mut self.a, self.ctx.nursery, res, total, entry);
        dynasm!(self.a ; .arch x64 ; =>back);
        let members: Vec<malloc::Member> = members.into_iter().map(|(_, m)| m).collect();
        malloc::write_headers(&mut self.a, res, &members);
        self.slow_allocs.push(SlowAlloc {
            entry,
            back,
            res,
            func: runtime::new_group as *const () as usize,
            descr: total,
            len: None,
        });
        Ok(true)
    }

    /// `new` with the inline fast path (`malloc`).
    pub(super) fn inline_new(
        &mut self,
        op: &Op,
        d: &'static SizeDescr,
    ) -> Result<(), CompileError> {
        metatrace::heap::register_struct(d);
        let v = self.res(op)?;
        let res = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        let (entry, back) = (self.a.new_dynamic_label(), self.a.new_dynamic_label());
        let size = d.size.max(8).next_multiple_of(8);
        malloc::fast_struct(&mut self.a, self.ctx.nursery, res, size, d.tid, entry);
        dynasm!(self.a ; .arch x64 ; =>back);
        self.slow_allocs.push(SlowAlloc {
            entry,
            back,
            res,
            func: runtime::new_struct as *const () as usize,
            descr: d as *const SizeDescr as usize,
            len: None,
        });
        Ok(())
    }

    /// `new_array` with the inline fast path (`malloc`).
    pub(super) fn inline_new_array(
        &mut self,
        op: &Op,
        d: &'static ArrayDescr,
        len: Operand,
    ) -> Result<(), CompileError> {
        metatrace::heap::register_array(d);
        self.ra.lock(&len);
        let len_loc = self.ra.loc(&len);
        let v = self.res(op)?;
        let res = Self::gp_of(self.ra.result_reg(&mut self.a, v, None));
        let (entry, back) = (self.a.new_dynamic_label(), self.a.new_dynamic_label());
        let shape = malloc::ArrayShape {
            tid: d.tid,
            len_offset: d.len_offset,
            base_offset: d.base_offset,
            item_size: d.item_size as usize,
        };
        malloc::fast_array(&mut self.a, self.ctx.nursery, res, len_loc, &shape, entry);
        dynasm!(self.a ; .arch x64 ; =>back);
        self.slow_allocs.push(SlowAlloc {
            entry,
            back,
            res,
            func: runtime::new_array as *const () as usize,
            descr: d as *const ArrayDescr as usize,
            len: Some(len_loc),
        });
        Ok(())
    }
}
