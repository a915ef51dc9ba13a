//! Virtualize: allocation removal (PyPy's `optimizeopt/virtualize.py`).
//!
//! Owns: the virtual objects — allocations (`new`, `new_with_vtable`,
//! `new_array` of a constant length) that are not emitted while they do
//! not escape. Field and item writes on a virtual only update what the
//! optimizer knows; reads are replaced by the known value (zero for what
//! was never written, after truncation for narrow fields, see
//! `opt::narrowed`); `arraylen_gc` is the constant length; `guard_class`
//! and `guard_nonnull` on a virtual (or on a struct it forced: a new
//! object of that class) are known to hold; `ptr_eq` involving
//! a virtual is decided (a virtual is no other object).
//!
//! A virtual escapes — is *forced*: its allocation and its non-zero fields
//! are emitted right there, nested virtuals first — when it is passed to
//! anything else: a call, a store into a non-virtual object, an item
//! store at a non-constant index, `jump`, `finish`, a guard that would
//! test it against something it cannot be. (Unroll carries virtuals
//! across the loop's back edge itself: it asks this pass for their shape
//! and fields with `export` / `matching`, passes the fields instead of the
//! object through the body's label and jump, and declares the object
//! virtual again at the start of the body with `import`.)
//!
//! At a guard a virtual stays virtual: its fail-arg slot gets the
//! placeholder `ConstPtr(null)`, the values of its fields are appended as
//! fail args and `Op::virtuals` describes how resume rebuilds it
//! (`ir::VirtualInfo`; a nested virtual gets its own appended placeholder
//! slot and is referenced by that index, so cycles work). A virtual that
//! sits in several places of the recorder's layout (a box in a local and
//! on the value stack) is described once, its other slots listed in
//! `VirtualInfo::also`, so resume builds one object, not two.

use super::{narrowed, send, Pass, Shared};
use crate::ir::{
    ArrayDescr, Descr, FieldDescr, Op, OpNum, Operand, SizeDescr, Var, VirtualAlloc, VirtualField,
    VirtualInfo,
};
use hashbrown::{HashMap, HashSet};

/// Longest array kept virtual: every item may become a fail arg.
const MAX_VIRTUAL_ARRAY: i64 = 128;

#[derive(Clone, Copy)]
enum Shape {
    Struct(OpNum, &'static SizeDescr),
    Array(OpNum, &'static ArrayDescr),
}

struct VObj {
    shape: Shape,
    /// Struct fields written so far, in first-write order.
    fields: Vec<(&'static FieldDescr, Operand)>,
    /// Array items (zero constants until written).
    items: Vec<Operand>,
}

impl VObj {
    fn tid(&self) -> u32 {
        match self.shape {
            Shape::Struct(_, d) => d.tid,
            Shape::Array(_, d) => d.tid,
        }
    }
}

impl Shape {
    fn same(&self, other: &Shape) -> bool {
        match (self, other) {
            (Shape::Struct(a, d), Shape::Struct(b, e)) => a == b && std::ptr::eq(*d, *e),
            (Shape::Array(a, d), Shape::Array(b, e)) => a == b && std::ptr::eq(*d, *e),
            _ => false,
        }
    }
}

/// Longest array carried virtual across the back edge: each item becomes
/// an argument of the loop's label.
const MAX_CARRIED_ARRAY: usize = 16;

/// Most values (leaf fields, over all nesting levels) one carried virtual
/// may add to the loop's label.
const MAX_CARRIED_VALUES: usize = 32;

/// The shape of a virtual carried across the loop's back edge (PyPy's
/// `VirtualState`, for one object): what it is, which fields the loop's
/// label passes (fields outside the list are zero), and which of those
/// values are themselves virtuals carried as their own fields (an object
/// and its field array, a box inside a pair, ...).
#[derive(Clone)]
pub(crate) struct VShape {
    shape: Shape,
    /// Struct fields in label order (arrays: all items, in order).
    fields: Vec<&'static FieldDescr>,
    len: usize,
    /// Per value (struct fields, then array items): the nested shape when
    /// the value is a virtual flattened into the label too.
    nested: Vec<Option<VShape>>,
}

impl VShape {
    /// How many values the label passes for this object.
    pub fn arity(&self) -> usize {
        self.nested
            .iter()
            .map(|n| n.as_ref().map_or(1, |n| n.arity()))
            .sum()
    }
}

fn is_zero(o: &Operand) -> bool {
    o.const_bits() == Some(0)
}

#[derive(Default)]
pub(crate) struct Virtualize {
    virtuals: HashMap<Var, VObj>,
    /// An `*_ovf` op held back until its overflow guard: forcing for that
    /// guard must emit its ops before the pair, which has to stay adjacent.
    held_ovf: Option<Op>,
    /// Type ids of the virtuals forced so far: still non-null objects of
    /// a known class, so guards on them hold.
    forced: HashMap<Var, u32>,
}

impl Virtualize {
    pub(crate) fn is_virtual(&self, o: &Operand) -> bool {
        self.virtual_of(o).is_some()
    }

    /// The shape and flattened field values of `o` if it is a virtual
    /// that can be carried across the back edge, and every virtual the
    /// shape covers (`o` and the nested ones). A nested virtual in `avoid`
    /// (carried by another input) stays a plain value, which the jump
    /// forces; one reached twice (shared or cyclic) cannot be flattened:
    /// `None`.
    pub(crate) fn export(
        &self,
        o: &Operand,
        avoid: &HashSet<Var>,
    ) -> Option<(VShape, Vec<Operand>, Vec<Var>)> {
        let mut values = Vec::new();
        let mut covered = Vec::new();
        let shape = self.export_into(o, avoid, &mut values, &mut covered)?;
        Some((shape, values, covered))
    }

    fn export_into(
        &self,
        o: &Operand,
        avoid: &HashSet<Var>,
        values: &mut Vec<Operand>,
        covered: &mut Vec<Var>,
    ) -> Option<VShape> {
        let v = self.virtual_of(o)?;
        if covered.contains(&v) {
            return None;
        }
        covered.push(v);
        let obj = &self.virtuals[&v];
        if obj.items.len() > MAX_CARRIED_ARRAY {
            return None;
        }
        let own = obj
            .fields
            .iter()
            .map(|&(_, v)| v)
            .chain(obj.items.iter().copied());
        let mut nested = Vec::new();
        for val in own {
            let carried_elsewhere = val.as_var().is_some_and(|w| avoid.contains(&w));
            if self.is_virtual(&val) && !carried_elsewhere {
                nested.push(Some(self.export_into(&val, avoid, values, covered)?));
            } else {
                values.push(val);
                nested.push(None);
            }
            if values.len() > MAX_CARRIED_VALUES {
                return None;
            }
        }
        Some(VShape {
            shape: obj.shape,
            fields: obj.fields.iter().map(|&(f, _)| f).collect(),
            len: obj.items.len(),
            nested,
        })
    }

    /// The values the label passes for `o` and the virtuals they cover,
    /// if `o` is a virtual of shape `s` (same allocation, no non-zero
    /// field outside `s`, nested virtuals of the nested shapes, nothing
    /// reached twice).
    pub(crate) fn matching(&self, o: &Operand, s: &VShape) -> Option<(Vec<Operand>, Vec<Var>)> {
        let mut values = Vec::new();
        let mut covered = Vec::new();
        self.matching_into(o, s, &mut values, &mut covered)?;
        Some((values, covered))
    }

    fn matching_into(
        &self,
        o: &Operand,
        s: &VShape,
        values: &mut Vec<Operand>,
        covered: &mut Vec<Var>,
    ) -> Option<()> {
        let v = self.virtual_of(o)?;
        if covered.contains(&v) {
            return None;
        }
        covered.push(v);
        let obj = &self.virtuals[&v];
        if !obj.shape.same(&s.shape) || obj.items.len() != s.len {
            return None;
        }
        let extra = obj
            .fields
            .iter()
            .any(|(f, v)| !is_zero(v) && !s.fields.iter().any(|g| std::ptr::eq(*f, *g)));
        if extra {
            return None;
        }
        let field = |f: &'static FieldDescr| {
            obj.fields
                .iter()
                .find(|(g, _)| std::ptr::eq(*g, f))
                .map_or(Operand::from_bits(f.kind, 0), |&(_, v)| v)
        };
        let own = s
            .fields
            .iter()
            .map(|f| field(f))
            .chain(obj.items.iter().copied());
        for (val, n) in own.zip(&s.nested) {
            match n {
                Some(n) => self.matching_into(&val, n, values, covered)?,
                // A virtual where the shape has a plain value is forced
                // by the jump, which is correct, just not free.
                None => values.push(val),
            }
        }
        Some(())
    }

    /// From now on `v` is a virtual of shape `s` with these field values
    /// (the label's arguments, in the order `export` gave them); nested
    /// virtuals get fresh variables from `new_var`.
    pub(crate) fn import(
        &mut self,
        v: Var,
        s: &VShape,
        values: &[Operand],
        new_var: &mut dyn FnMut() -> Var,
    ) {
        let mut at = 0;
        self.import_at(v, s, values, &mut at, new_var);
    }

    fn import_at(
        &mut self,
        v: Var,
        s: &VShape,
        values: &[Operand],
        at: &mut usize,
        new_var: &mut dyn FnMut() -> Var,
    ) {
        let mut own = Vec::with_capacity(s.nested.len());
        for n in &s.nested {
            match n {
                Some(n) => {
                    let w = new_var();
                    self.import_at(w, n, values, at, new_var);
                    own.push(Operand::Var(w));
                }
                None => {
                    own.push(values[*at]);
                    *at += 1;
                }
            }
        }
        let n = s.fields.len();
        let obj = VObj {
            shape: s.shape,
            fields: s
                .fields
                .iter()
                .copied()
                .zip(own[..n].iter().copied())
                .collect(),
            items: own[n..].to_vec(),
        };
        self.virtuals.insert(v, obj);
    }

    fn forced_tid(&self, o: &Operand) -> Option<u32> {
        o.as_var().and_then(|v| self.forced.get(&v)).copied()
    }

    fn virtual_of(&self, o: &Operand) -> Option<Var> {
        o.as_var().filter(|v| self.virtuals.contains_key(v))
    }

    /// Emits the allocation of `v` and its fields, if `v` is virtual.
    fn force(&mut self, o: Operand, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        let Some(v) = self.virtual_of(&o) else { return };
        // Not virtual from here on, so a cycle back to it stops.
        let obj = self.virtuals.remove(&v).unwrap();
        if let Shape::Struct(..) = obj.shape {
            self.forced.insert(v, obj.tid());
        }
        let (alloc, descr) = match obj.shape {
            Shape::Struct(opnum, d) => (Op::new(opnum, &[], Some(v), Some(Descr::Size(d))), None),
            Shape::Array(opnum, d) => {
                let len = Operand::ConstInt(obj.items.len() as i64);
                (
                    Op::new(opnum, &[len], Some(v), Some(Descr::Array(d))),
                    Some(d),
                )
            }
        };
        send(alloc, sh, next);
        for (f, val) in obj.fields {
            if is_zero(&val) {
                continue; // allocations are zeroed
            }
            self.force(val, sh, next);
            let st = Op::new(OpNum::SetfieldGc, &[o, val], None, Some(Descr::Field(f)));
            send(st, sh, next);
        }
        if let Some(d) = descr {
            for (i, val) in obj.items.into_iter().enumerate() {
                if is_zero(&val) {
                    continue;
                }
                self.force(val, sh, next);
                let idx = Operand::ConstInt(i as i64);
                let st = Op::new(
                    OpNum::SetarrayitemGc,
                    &[o, idx, val],
                    None,
                    Some(Descr::Array(d)),
                );
                send(st, sh, next);
            }
        }
    }

    fn force_args(&mut self, op: &Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        for a in op.args.clone() {
            self.force(a, sh, next);
        }
    }

    /// Replaces the virtuals among a guard's fail args by placeholders
    /// and describes them (see the module docs).
    fn describe(&mut self, op: &mut Op) {
        let Some(fa) = op.fail_args.as_ref() else {
            return;
        };
        if !fa.iter().any(|a| self.virtual_of(a).is_some()) {
            return;
        }
        let mut fa = op.fail_args.take().unwrap();
        // The first slot of each virtual, and any further slots holding
        // the same object (`VirtualInfo::also`).
        let mut slots: HashMap<Var, u32> = HashMap::new();
        let mut also: HashMap<Var, Vec<u32>> = HashMap::new();
        let mut placeholder = vec![false; fa.len()];
        let mut work = Vec::new();
        for (i, a) in fa.iter_mut().enumerate() {
            if let Some(v) = self.virtual_of(a) {
                if slots.contains_key(&v) {
                    also.entry(v).or_default().push(i as u32);
                } else {
                    slots.insert(v, i as u32);
                    work.push(v);
                }
                placeholder[i] = true;
                *a = Operand::ConstPtr(0);
            }
        }
        let mut infos = Vec::new();
        let mut k = 0;
        while k < work.len() {
            let v = work[k];
            k += 1;
            let obj = &self.virtuals[&v];
            let alloc = match obj.shape {
                Shape::Struct(_, d) => VirtualAlloc::Struct(d),
                Shape::Array(_, d) => VirtualAlloc::Array(d, obj.items.len() as i64),
            };
            let values: Vec<(VirtualField, Operand)> = obj
                .fields
                .iter()
                .map(|&(f, val)| (VirtualField::Field(f), val))
                .chain(
                    obj.items
                        .iter()
                        .enumerate()
                        .map(|(i, &val)| (VirtualField::Item(i as i64), val)),
                )
                .filter(|(_, val)| !is_zero(val))
                .collect();
            let mut fields = Vec::with_capacity(values.len());
            for (f, val) in values {
                let idx = if let Some(w) = self.virtual_of(&val) {
                    *slots.entry(w).or_insert_with(|| {
                        fa.push(Operand::ConstPtr(0));
                        placeholder.push(true);
                        work.push(w);
                        (fa.len() - 1) as u32
                    })
                } else if let Some(i) =
                    (0..fa.len()).find(|&i| !placeholder[i] && fa[i] == val && !val.is_const())
                {
                    i as u32
                } else {
                    fa.push(val);
                    placeholder.push(false);
                    (fa.len() - 1) as u32
                };
                fields.push((f, idx));
            }
            infos.push(VirtualInfo {
                slot: slots[&v],
                also: also.remove(&v).unwrap_or_default(),
                alloc,
                fields,
            });
        }
        op.fail_args = Some(fa);
        if !infos.is_empty() {
            op.virtuals = Some(infos.into_boxed_slice());
        }
    }
}

impl Pass for Virtualize {
    fn virtualize(&mut self) -> Option<&mut Virtualize> {
        Some(self)
    }

    fn propagate(&mut self, mut op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        use OpNum::*;
        if op.opnum.is_ovf() {
            // Its operands are ints, never virtual.
            if let Some(prev) = self.held_ovf.replace(op) {
                send(prev, sh, next);
            }
            return;
        }
        if let Some(ovf) = self.held_ovf.take() {
            if matches!(op.opnum, GuardNoOverflow | GuardOverflow) {
                self.describe(&mut op);
                send(ovf, sh, next);
                return send(op, sh, next);
            }
            send(ovf, sh, next);
        }
        match op.opnum {
            opn if opn.is_new() => {
                if let (Some(res), Some(d)) = (op.res, op.descr.and_then(|d| d.as_size())) {
                    self.virtuals.insert(
                        res,
                        VObj {
                            shape: Shape::Struct(op.opnum, d),
                            fields: Vec::new(),
                            items: Vec::new(),
                        },
                    );
                    return;
                }
            }
            opn if opn.is_new_array() => {
                let len = op.args[0]
                    .const_int()
                    .filter(|n| (0..=MAX_VIRTUAL_ARRAY).contains(n));
                if let (Some(res), Some(d), Some(n)) =
                    (op.res, op.descr.and_then(|d| d.as_array()), len)
                {
                    let zero = Operand::from_bits(d.kind, 0);
                    self.virtuals.insert(
                        res,
                        VObj {
                            shape: Shape::Array(op.opnum, d),
                            fields: Vec::new(),
                            items: vec![zero; n as usize],
                        },
                    );
                    return;
                }
            }
            SetfieldGc => {
                let (obj, val) = (op.args[0], op.args[1]);
                if let Some(v) = self.virtual_of(&obj) {
                    let f = op.descr.and_then(|d| d.as_field()).unwrap();
                    let val = narrowed(val, f.kind, f.size, f.signed, sh, next);
                    let o = self.virtuals.get_mut(&v).unwrap();
                    match o.fields.iter_mut().find(|(g, _)| std::ptr::eq(*g, f)) {
                        Some(slot) => slot.1 = val,
                        None => o.fields.push((f, val)),
                    }
                    return;
                }
            }
            opn if opn.is_getfield_gc() => {
                if let Some(v) = self.virtual_of(&op.args[0]) {
                    let f = op.descr.and_then(|d| d.as_field()).unwrap();
                    let res = op.res.unwrap();
                    let val = self.virtuals[&v]
                        .fields
                        .iter()
                        .find(|(g, _)| std::ptr::eq(*g, f))
                        .map(|&(_, val)| val)
                        .unwrap_or(Operand::from_bits(f.kind, 0));
                    return sh.replace(res, val);
                }
            }
            SetarrayitemGc | GetarrayitemGcI | GetarrayitemGcR | GetarrayitemGcF => {
                if let Some(v) = self.virtual_of(&op.args[0]) {
                    let n = self.virtuals[&v].items.len() as i64;
                    if let Some(i) = op.args[1].const_int().filter(|i| (0..n).contains(i)) {
                        let i = i as usize;
                        if let Some(res) = op.res {
                            return sh.replace(res, self.virtuals[&v].items[i]);
                        }
                        let d = op.descr.and_then(|d| d.as_array()).unwrap();
                        let val = narrowed(op.args[2], d.kind, d.item_size, d.signed, sh, next);
                        self.virtuals.get_mut(&v).unwrap().items[i] = val;
                        return;
                    }
                }
            }
            ArraylenGc => {
                if let Some(v) = self.virtual_of(&op.args[0]) {
                    let n = self.virtuals[&v].items.len() as i64;
                    return sh.replace(op.res.unwrap(), Operand::ConstInt(n));
                }
            }
            GuardNonnull if self.virtual_of(&op.args[0]).is_some() => return,
            GuardNonnull if self.forced_tid(&op.args[0]).is_some() => return,
            GuardClass | GuardNonnullClass => {
                let tid = match self.virtual_of(&op.args[0]) {
                    Some(v) => Some(self.virtuals[&v].tid()),
                    None => self.forced_tid(&op.args[0]),
                };
                if tid.is_some_and(|t| op.args[1].const_int() == Some(t as i64)) {
                    return;
                }
            }
            PtrEq | PtrNe => {
                let (a, b) = (op.args[0], op.args[1]);
                if self.virtual_of(&a).is_some() || self.virtual_of(&b).is_some() {
                    let eq = a == b;
                    let r = if op.opnum == PtrEq { eq } else { !eq };
                    return sh.replace(op.res.unwrap(), Operand::ConstInt(r as i64));
                }
            }
            SameAsR if self.virtual_of(&op.args[0]).is_some() => {
                return sh.replace(op.res.unwrap(), op.args[0]);
            }
            _ => {}
        }
        // Everything else sees real objects (a jump too: unroll passes
        // the fields of the virtuals it carries instead of the objects).
        self.force_args(&op, sh, next);
        if op.opnum.is_guard() {
            self.describe(&mut op);
        }
        send(op, sh, next)
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{VirtualAlloc, VirtualField};
    use crate::opt::testutil::{check, optimize, parse, world};

    const P: &str = "virtualize";

    #[test]
    fn a_virtual_that_does_not_escape_vanishes() {
        check(
            P,
            "[i0]
            p1 = new(descr=Node)
            setfield_gc(p1, i0, descr=x)
            i2 = getfield_gc_i(p1, descr=x)
            i3 = getfield_gc_i(p1, descr=y)
            guard_nonnull_class(p1, 2119630851, descr=<Guard1>) []
            p4 = new_array(2, descr=ints)
            setarrayitem_gc(p4, 1, i2, descr=ints)
            i5 = getarrayitem_gc_i(p4, 1, descr=ints)
            i6 = getarrayitem_gc_i(p4, 0, descr=ints)
            i7 = arraylen_gc(p4, descr=ints)
            i8 = ptr_eq(p1, p4)
            finish(i5, i6, i7, i3, i8, descr=<Guard0>)",
            "[i0]
            finish(i0, 0, 2, 0, 0, descr=<Guard0>)",
        );
    }

    #[test]
    fn an_escaping_virtual_is_forced_at_the_escape() {
        check(
            P,
            "[p0, i1]
            p2 = new(descr=Node)
            setfield_gc(p2, i1, descr=x)
            setfield_gc(p2, 0, descr=y)
            i3 = int_add(i1, 1)
            setfield_gc(p0, p2, descr=next)
            setfield_gc(p2, i3, descr=y)
            finish(descr=<Guard0>)",
            "[p0, i1]
            i3 = int_add(i1, 1)
            p2 = new(descr=Node)
            setfield_gc(p2, i1, descr=x)
            setfield_gc(p0, p2, descr=next)
            setfield_gc(p2, i3, descr=y)
            finish(descr=<Guard0>)",
        );
    }

    #[test]
    fn nested_virtuals_are_forced_inner_first() {
        check(
            P,
            "[i0]
            p1 = new(descr=Node)
            p2 = new(descr=Node)
            setfield_gc(p1, p2, descr=next)
            setfield_gc(p2, p1, descr=next)
            setfield_gc(p2, i0, descr=x)
            call_n(ConstClass(0x1000), p1, 5, descr=wr)
            finish(descr=<Guard0>)",
            "[i0]
            p1 = new(descr=Node)
            p2 = new(descr=Node)
            setfield_gc(p2, p1, descr=next)
            setfield_gc(p2, i0, descr=x)
            setfield_gc(p1, p2, descr=next)
            call_n(ConstClass(0x1000), p1, 5, descr=wr)
            finish(descr=<Guard0>)",
        );
    }

    #[test]
    fn forced_by_jump_and_non_constant_index() {
        check(
            P,
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            p2 = new_array(3, descr=ints)
            setarrayitem_gc(p2, 0, 7, descr=ints)
            setarrayitem_gc(p2, i0, 8, descr=ints)
            p3 = new(descr=Node)
            setfield_gc(p3, i0, descr=x)
            jump(i0, p3, descr=TargetToken(1))",
            "[i0, p1]
            label(i0, p1, descr=TargetToken(1))
            p2 = new_array(3, descr=ints)
            setarrayitem_gc(p2, 0, 7, descr=ints)
            setarrayitem_gc(p2, i0, 8, descr=ints)
            p3 = new(descr=Node)
            setfield_gc(p3, i0, descr=x)
            jump(i0, p3, descr=TargetToken(1))",
        );
    }

    #[test]
    fn narrow_fields_of_virtuals() {
        check(
            P,
            "[i0]
            p1 = new(descr=Node)
            setfield_gc(p1, 258, descr=flags)
            i2 = getfield_gc_i(p1, descr=flags)
            setfield_gc(p1, i0, descr=flags)
            i3 = getfield_gc_i(p1, descr=flags)
            finish(i2, i3, descr=<Guard0>)",
            "[i0]
            i4 = int_and(i0, 255)
            finish(2, i4, descr=<Guard0>)",
        );
    }

    #[test]
    fn virtuals_at_guards_are_described_not_forced() {
        let opt = check(
            P,
            "[i0, i1]
            p2 = new(descr=Node)
            p3 = new_array(2, descr=refs)
            setfield_gc(p2, i0, descr=x)
            setfield_gc(p2, p3, descr=next)
            setarrayitem_gc(p3, 1, p2, descr=refs)
            guard_true(i1, descr=<Guard1>) [i0, p2, 5]
            finish(descr=<Guard0>)",
            "[i0, i1]
            guard_true(i1, descr=<Guard1>) [i0, ConstPtr(null), 5, ConstPtr(null)] \
                virtuals=[@1 = new(Node) {x=@0, next=@3}, @3 = new_array(refs, 2) {1=@1}]
            finish(descr=<Guard0>)",
        );
        let w = world();
        let g = &opt.trace.ops[0];
        let v = g.virtuals.as_deref().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].slot, 1);
        assert_eq!(v[0].alloc, VirtualAlloc::Struct(w.node));
        assert_eq!(
            v[0].fields,
            vec![
                (VirtualField::Field(w.x), 0),
                (VirtualField::Field(w.next), 3)
            ]
        );
        assert_eq!(v[1].alloc, VirtualAlloc::Array(w.refs, 2));
        assert_eq!(v[1].fields, vec![(VirtualField::Item(1), 1)]);
    }

    #[test]
    fn a_virtual_in_two_slots_is_described_once() {
        let opt = check(
            P,
            "[i0, i1]
            p2 = new(descr=Node)
            setfield_gc(p2, i0, descr=x)
            guard_true(i1, descr=<Guard1>) [p2, i1, p2]
            finish(descr=<Guard0>)",
            "[i0, i1]
            guard_true(i1, descr=<Guard1>) [ConstPtr(null), i1, ConstPtr(null), i0] \
                virtuals=[@0 @2 = new(Node) {x=@3}]
            finish(descr=<Guard0>)",
        );
        // Resume builds one object and writes it into both slots.
        let v = opt.trace.ops[0].virtuals.as_deref().unwrap();
        let mut words = vec![0, 1, 0, 42];
        crate::metainterp::resume::materialize(v, &[], &mut words);
        assert_ne!(words[0], 0);
        assert_eq!(words[0], words[2]);
        let obj = crate::backend::word_to_ref(words[0]);
        assert_eq!(crate::heap::getfield(obj, world().x), 42);
    }

    #[test]
    fn virtuals_are_forced_at_finish_and_by_failing_guards() {
        let t = parse(
            "[i0]
            p1 = new(descr=Node)
            guard_class(p1, 4, descr=<Guard1>) []
            finish(p1, descr=<Guard0>)",
        );
        let opt = optimize(P, &t);
        assert_eq!(opt.trace.ops[0].opnum, crate::ir::OpNum::New);
        assert_eq!(opt.trace.ops[1].opnum, crate::ir::OpNum::GuardClass);
    }
}
