//! Heap: caching of field and array-item reads (PyPy's
//! `optimizeopt/heap.py`).
//!
//! Owns: what the trace knows about memory contents. For each field descr
//! a list of (object, value), for each array descr a list of (array,
//! index, value): a read of a cached location is the cached value; a
//! write makes the written value the cached one (after truncation for
//! fields narrower than a word, see `opt::narrowed`) and drops what it may
//! overwrite; a write of the value already cached is dropped. Also: the
//! length of an array allocated in the trace, the zero contents of a fresh
//! object no one else can see yet, and one `guard_not_invalidated` per
//! stretch without a `may_invalidate` call.
//!
//! Alias analysis, deliberately simple:
//! - different descrs never alias (a field descr names one memory slot
//!   per object, like PyPy's descrs);
//! - two different allocations (`new*`) are different objects, and an
//!   allocation is different from every value that existed before it and
//!   — until it escapes (is stored, passed to a call, jumped with) — from
//!   every other value at all; two different constants are different;
//! - anything else may alias.
//!
//! Array items are cached per (array, index operand), constant or
//! variable. Two indices are known to differ when both are constants and
//! differ, or when both are the same base plus different constant offsets
//! (`int_add`/`int_sub` with a constant, wrapping); a write at an index
//! drops the cached items of possibly aliasing arrays whose index may
//! equal it (so a write at a variable index drops every other variable
//! index and every constant one, unless an offset tells them apart).
//!
//! A narrow (sub-word int) store is read back as the stored value itself
//! when the value obviously fits — it was loaded from a location of the
//! same width, or is an `int_and` with a small mask — and forgotten
//! otherwise (reading it back would need ops).
//!
//! Invalidation: calls whose `EffectInfo` says `writes_heap` (and any
//! `call_may_force` / `call_assembler`) empty the caches; elidable calls
//! and `call_pure_*` do not. A `label` empties them too: a loop header is
//! reached from the back edge, where memory may differ.
//!
//! Across the loop's back edge (`unroll`): `Heap::export` lists the
//! cached locations at the end of the preamble, unroll keeps those whose
//! object (and index) are loop-invariant, passes their values through the
//! second label and `Heap::import`s them after it — so the peeled body
//! starts knowing them (PyPy's short preamble, for heap facts). The body's
//! jump passes the values again, re-read if the body lost them.
//!
//! At each guard (`Pass::facts_at`) the cache is exported as facts about
//! the fail args (`opt::Fact::Field` / `Item`: object and index are fail
//! args, the value a fail arg or a constant); a bridge out of the guard
//! starts with them imported, so it does not read again what the loop
//! read before the guard.
//!
//! Lazy stores (PyPy's lazy setfields and pending fields): a store is
//! kept pending instead of emitted; a later store to exactly the same
//! location replaces it (the first one was dead), so a run of `+` in a
//! byte-cell VM stores once. Pending stores are emitted, in their order,
//! before anything that could observe memory: a read of the same descr
//! that the cache cannot answer, calls (and the guards after them),
//! `label`/`jump`/`finish`, and any other op that reads memory or has an
//! effect. A guard reads no memory, so stores stay pending across it: the
//! guard's resume data lists them (`Op::pending`, operands as fail args,
//! appended where missing) and resume performs them before the
//! interpreter runs (`warmstate::materialize`) — the instruction being
//! replayed then finds its writes done, as DESIGN §4 requires. A bridge
//! out of the guard starts with the same stores as ops, which its heap
//! pass may keep pending again; so the guard's facts leave out the
//! locations with a store pending (the bridge's cache would call the
//! store redundant).

use super::pure::{descr_key, Key};
use super::{narrowed, send, Fact, FactVal, Pass, Shared};
use crate::ir::{Descr, Kind, Op, OpNum, Operand, PendingWrite, Var};
use hashbrown::{HashMap, HashSet};

struct Fresh {
    /// Position (count of ops seen) of the allocation.
    born: usize,
    escaped: bool,
    /// Descrs written on it so far (its other fields are still zero).
    touched: HashSet<usize>,
}

/// A cached memory location, for unroll: a field of an object or an item
/// of an array, with the descr a read of it needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Loc {
    Field(Operand, Descr),
    Item(Operand, Operand, Descr),
}

impl Loc {
    /// The operands that must be loop-invariant to carry the location.
    pub fn operands(&self) -> impl Iterator<Item = Operand> {
        let (a, b) = match *self {
            Loc::Field(o, _) => (o, None),
            Loc::Item(a, i, _) => (a, Some(i)),
        };
        std::iter::once(a).chain(b)
    }

    /// An op reading the location into `res`.
    pub fn read(&self, res: Var) -> Op {
        use OpNum::*;
        let (opnum, args) = match (*self, self.kind()) {
            (Loc::Field(o, _), Kind::Ref) => (GetfieldGcR, vec![o]),
            (Loc::Field(o, _), Kind::Float) => (GetfieldGcF, vec![o]),
            (Loc::Field(o, _), _) => (GetfieldGcI, vec![o]),
            (Loc::Item(a, i, _), Kind::Ref) => (GetarrayitemGcR, vec![a, i]),
            (Loc::Item(a, i, _), Kind::Float) => (GetarrayitemGcF, vec![a, i]),
            (Loc::Item(a, i, _), _) => (GetarrayitemGcI, vec![a, i]),
        };
        Op::new(opnum, &args, Some(res), Some(self.descr()))
    }

    fn descr(&self) -> Descr {
        match *self {
            Loc::Field(_, d) | Loc::Item(_, _, d) => d,
        }
    }

    /// The kind of the value stored there.
    pub fn kind(&self) -> Kind {
        match self.descr() {
            Descr::Field(f) => f.kind,
            Descr::Array(a) => a.kind,
            _ => Kind::Int,
        }
    }
}

#[derive(Default)]
pub(crate) struct Heap {
    /// Stores not emitted yet, in program order, with their descr key.
    pending: Vec<(usize, Op)>,
    fields: HashMap<usize, Vec<(Operand, Operand)>>,
    /// The descr behind each key of `fields` and `items`, and the keys in
    /// first-seen order (for `export`: addresses would order them
    /// differently from run to run).
    descrs: HashMap<usize, Descr>,
    order: Vec<usize>,
    items: HashMap<usize, Vec<(Operand, Operand, Operand)>>,
    lengths: HashMap<Key, Operand>,
    fresh: HashMap<Var, Fresh>,
    /// Where each op result was defined (inputargs: 0).
    born: HashMap<Var, usize>,
    pos: usize,
    invalidation_guarded: bool,
    /// Known range of int results whose ops make it obvious (narrow
    /// loads, `int_and` with a mask): lets a narrow store of such a value
    /// be read back as the value itself.
    ranges: HashMap<Var, (i64, i64)>,
    /// `v = base + offset` for `int_add`/`int_sub` with a constant: two
    /// indices with the same base and different offsets differ.
    offsets: HashMap<Var, (Operand, i64)>,
    /// The values `import` put in (unroll's label variables): a read that
    /// finds one is a body relying on the preamble (`Shared::preamble_hit`).
    imported: HashSet<Key>,
}

/// The values a narrow int location of `size` bytes can hold.
fn narrow_range(size: u8, signed: bool) -> (i64, i64) {
    let bits = 8 * size as u32;
    if signed {
        (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
    } else {
        (0, (1i64 << bits) - 1)
    }
}

impl Heap {
    fn born(&self, o: &Operand) -> usize {
        o.as_var()
            .and_then(|v| self.born.get(&v))
            .copied()
            .unwrap_or(0)
    }

    fn fresh_of(&self, o: &Operand) -> Option<&Fresh> {
        o.as_var().and_then(|v| self.fresh.get(&v))
    }

    /// May `a` and `b` be the same object? (See the module docs.)
    fn may_alias(&self, a: &Operand, b: &Operand) -> bool {
        if a == b {
            return true;
        }
        if a.is_const() && b.is_const() {
            return false;
        }
        let distinct = |x: &Operand, y: &Operand| match self.fresh_of(x) {
            Some(f) => self.fresh_of(y).is_some() || self.born(y) < f.born || !f.escaped,
            None => false,
        };
        !(distinct(a, b) || distinct(b, a))
    }

    /// `o` as (base, constant offset).
    fn base_offset(&self, o: &Operand) -> (Operand, i64) {
        o.as_var()
            .and_then(|v| self.offsets.get(&v))
            .copied()
            .unwrap_or((*o, 0))
    }

    /// May indices `a` and `b` be equal? (Constants, or the same base
    /// plus different constant offsets — wrapping, so still different.)
    fn may_equal(&self, a: &Operand, b: &Operand) -> bool {
        if let (Some(x), Some(y)) = (a.const_int(), b.const_int()) {
            return x == y;
        }
        let ((ba, oa), (bb, ob)) = (self.base_offset(a), self.base_offset(b));
        ba != bb || oa == ob
    }

    /// Does a load of a narrow int location holding `v` give `v` back?
    fn fits(&self, v: &Operand, size: u8, signed: bool) -> bool {
        let (lo, hi) = narrow_range(size, signed);
        v.as_var()
            .and_then(|v| self.ranges.get(&v))
            .is_some_and(|&(a, b)| lo <= a && b <= hi)
    }

    /// Records what `op`'s result obviously is (see `ranges`, `offsets`).
    fn learn(&mut self, op: &Op) {
        use OpNum::*;
        let Some(r) = op.res else { return };
        let narrow = |size: u8, signed: bool, kind: Kind| {
            (size < 8 && kind == Kind::Int).then(|| narrow_range(size, signed))
        };
        let range = match op.opnum {
            GetfieldGcI | GetfieldGcPureI => op
                .descr
                .and_then(|d| d.as_field())
                .and_then(|f| narrow(f.size, f.signed, f.kind)),
            GetarrayitemGcI => op
                .descr
                .and_then(|d| d.as_array())
                .and_then(|a| narrow(a.item_size, a.signed, a.kind)),
            IntAnd => match (op.args[0].const_int(), op.args[1].const_int()) {
                (Some(c), _) | (_, Some(c)) if c >= 0 => Some((0, c)),
                _ => None,
            },
            _ => None,
        };
        if let Some(range) = range {
            self.ranges.insert(r, range);
        }
        let offset = match (op.opnum, op.args.first(), op.args.get(1)) {
            (IntAdd, Some(x), Some(c)) | (IntAdd, Some(c), Some(x)) if !x.is_const() => {
                c.const_int().map(|c| (x, c))
            }
            (IntSub, Some(x), Some(c)) if !x.is_const() => {
                c.const_int().map(|c| (x, c.wrapping_neg()))
            }
            _ => None,
        };
        if let Some((x, c)) = offset {
            let (base, o) = self.base_offset(x);
            self.offsets.insert(r, (base, o.wrapping_add(c)));
        }
    }

    fn escape(&mut self, o: &Operand) {
        if let Some(f) = o.as_var().and_then(|v| self.fresh.get_mut(&v)) {
            f.escaped = true;
        }
    }

    /// A fresh object no one else can write, whose `d` was never written.
    fn still_zero(&self, obj: &Operand, d: usize) -> bool {
        self.fresh_of(obj)
            .is_some_and(|f| !f.escaped && !f.touched.contains(&d))
    }

    fn touch(&mut self, obj: &Operand, d: usize) {
        if let Some(f) = obj.as_var().and_then(|v| self.fresh.get_mut(&v)) {
            f.touched.insert(d);
        }
    }

    fn clear(&mut self) {
        self.fields.clear();
        self.items.clear();
    }

    /// Keeps the store `op` pending, dropping a pending store to the very
    /// same location (see the module docs).
    fn delay(&mut self, d: usize, op: Op) {
        let same = |p: &Op| {
            p.opnum == op.opnum && p.args[..p.args.len() - 1] == op.args[..op.args.len() - 1]
        };
        self.pending.retain(|(e, p)| !(*e == d && same(p)));
        self.pending.push((d, op));
    }

    /// Is a store to `loc` pending?
    fn pending_at(&self, loc: &Loc) -> bool {
        self.pending.iter().any(|(_, p)| match *loc {
            Loc::Field(o, d) => p.descr == Some(d) && p.args[0] == o,
            Loc::Item(a, i, d) => p.descr == Some(d) && p.args[0] == a && p.args[1] == i,
        })
    }

    /// Records the pending stores in `guard`'s resume data: object, index
    /// and value are found among its fail args or appended to them
    /// (constants always appended, so that no virtual's `ConstPtr(null)`
    /// placeholder is taken for a null).
    fn describe_pending(&self, guard: &mut Op, sh: &Shared) {
        if self.pending.is_empty() {
            return;
        }
        let mut fa = guard.fail_args.take().unwrap_or_default();
        let mut slot = |o: Operand| -> u32 {
            let o = sh.get(o);
            match fa.iter().position(|a| !o.is_const() && *a == o) {
                Some(i) => i as u32,
                None => {
                    fa.push(o);
                    fa.len() as u32 - 1
                }
            }
        };
        let mut writes = Vec::with_capacity(self.pending.len());
        for (_, p) in &self.pending {
            let n = p.args.len();
            writes.push(PendingWrite {
                target: slot(p.args[0]),
                index: (p.opnum == OpNum::SetarrayitemGc).then(|| slot(p.args[1])),
                descr: p.descr.expect("stores have descrs"),
                value: slot(p.args[n - 1]),
            });
        }
        guard.fail_args = Some(fa);
        guard.pending = Some(writes.into_boxed_slice());
    }

    /// Emits every pending store.
    fn flush(&mut self, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        for (_, op) in std::mem::take(&mut self.pending) {
            send(op, sh, next);
        }
    }

    /// Emits the pending stores if one has descr key `d` (a read of it is
    /// about to be emitted). All of them, to keep their order.
    fn flush_descr(&mut self, d: usize, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        if self.pending.iter().any(|(e, _)| *e == d) {
            self.flush(sh, next);
        }
    }

    /// The cache key of `op`'s descr (remembering the descr itself).
    fn key(&mut self, op: &Op) -> usize {
        let d = descr_key(&op.descr);
        if let Some(descr) = op.descr {
            self.remember(d, descr);
        }
        d
    }

    fn remember(&mut self, d: usize, descr: Descr) {
        if self.descrs.insert(d, descr).is_none() {
            self.order.push(d);
        }
    }

    /// Every cached location and its value, in a deterministic order.
    pub(crate) fn export(&self) -> Vec<(Loc, Operand)> {
        let mut out = Vec::new();
        for d in &self.order {
            let Some(&descr) = self.descrs.get(d) else {
                continue;
            };
            for &(o, v) in self.fields.get(d).into_iter().flatten() {
                out.push((Loc::Field(o, descr), v));
            }
            for &(a, i, v) in self.items.get(d).into_iter().flatten() {
                out.push((Loc::Item(a, i, descr), v));
            }
        }
        out
    }

    /// From now on `loc` is known to hold `value` (after a label).
    pub(crate) fn import(&mut self, loc: Loc, value: Operand) {
        let d = descr_key(&Some(loc.descr()));
        self.remember(d, loc.descr());
        self.imported.insert(Key::of(&value));
        match loc {
            Loc::Field(o, _) => self.fields.entry(d).or_default().push((o, value)),
            Loc::Item(a, i, _) => self.items.entry(d).or_default().push((a, i, value)),
        }
    }

    fn read_field(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        let d = self.key(&op);
        let (obj, res) = (op.args[0], op.res.unwrap());
        if let Some(&(_, v)) = self
            .fields
            .get(&d)
            .and_then(|l| l.iter().find(|(o, _)| *o == obj))
        {
            sh.preamble_hit |= sh.in_body && self.imported.contains(&Key::of(&v));
            return sh.replace(res, v);
        }
        if self.still_zero(&obj, d) {
            return sh.replace(res, Operand::from_bits(sh.out.kind(res), 0));
        }
        self.flush_descr(d, sh, next);
        send(op, sh, next);
        self.fields
            .entry(d)
            .or_default()
            .push((obj, Operand::Var(res)));
    }

    fn write_field(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        let d = self.key(&op);
        let (obj, val) = (op.args[0], op.args[1]);
        let fd = op.descr.and_then(|d| d.as_field()).unwrap();
        let cached = self
            .fields
            .get(&d)
            .and_then(|l| l.iter().find(|(o, _)| *o == obj))
            .map(|&(_, v)| v);
        if cached == Some(val) {
            return; // the field holds this value already
        }
        self.escape(&val);
        self.touch(&obj, d);
        self.delay(d, op);
        let stored = if fd.size >= 8 || fd.kind != Kind::Int || val.is_const() {
            Some(narrowed(val, fd.kind, fd.size, fd.signed, sh, next))
        } else if self.fits(&val, fd.size, fd.signed) {
            Some(val)
        } else {
            None // what a load returns would need ops; just forget
        };
        let mut list = self.fields.remove(&d).unwrap_or_default();
        list.retain(|(o, _)| !self.may_alias(o, &obj));
        if let Some(v) = stored {
            list.push((obj, v));
        }
        self.fields.insert(d, list);
    }

    fn read_item(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        let d = self.key(&op);
        let (arr, idx, res) = (op.args[0], op.args[1], op.res.unwrap());
        if let Some(&(_, _, v)) = self
            .items
            .get(&d)
            .and_then(|l| l.iter().find(|(a, i, _)| *a == arr && *i == idx))
        {
            sh.preamble_hit |= sh.in_body && self.imported.contains(&Key::of(&v));
            return sh.replace(res, v);
        }
        // A fresh array's items are zero, but only at valid indices.
        let in_range = match (
            idx.const_int(),
            self.lengths.get(&Key::of(&arr)).and_then(|l| l.const_int()),
        ) {
            (Some(i), Some(n)) => (0..n).contains(&i),
            _ => false,
        };
        if in_range && self.still_zero(&arr, d) {
            return sh.replace(res, Operand::from_bits(sh.out.kind(res), 0));
        }
        self.flush_descr(d, sh, next);
        send(op, sh, next);
        self.items
            .entry(d)
            .or_default()
            .push((arr, idx, Operand::Var(res)));
    }

    fn write_item(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        let d = self.key(&op);
        let (arr, idx, val) = (op.args[0], op.args[1], op.args[2]);
        let ad = op.descr.and_then(|d| d.as_array()).unwrap();
        let cached = self
            .items
            .get(&d)
            .and_then(|l| l.iter().find(|(a, i, _)| *a == arr && *i == idx))
            .map(|&(_, _, v)| v);
        if cached == Some(val) {
            return;
        }
        self.escape(&val);
        self.touch(&arr, d);
        self.delay(d, op);
        let stored = if ad.item_size >= 8 || ad.kind != Kind::Int || val.is_const() {
            Some(narrowed(val, ad.kind, ad.item_size, ad.signed, sh, next))
        } else if self.fits(&val, ad.item_size, ad.signed) {
            Some(val)
        } else {
            None
        };
        let mut list = self.items.remove(&d).unwrap_or_default();
        list.retain(|(a, i, _)| !(self.may_equal(i, &idx) && self.may_alias(a, &arr)));
        if let Some(v) = stored {
            list.push((arr, idx, v));
        }
        self.items.insert(d, list);
    }
}

impl Pass for Heap {
    fn heap(&mut self) -> Option<&mut Heap> {
        Some(self)
    }

    /// The cached locations whose object (and index) are fail args, with
    /// a value that is a fail arg or a constant: a bridge out of the guard
    /// reads them from its input args instead of memory. The cache holds
    /// at the guard (the guard itself reads no memory), and a location
    /// with a store still pending is left out: the bridge performs that
    /// store itself at its start, and a seeded cache would call it
    /// redundant.
    fn facts_at(&self, fail_args: &[Operand], out: &mut Vec<(u32, Fact)>) {
        let arg = |o: &Operand| match o {
            Operand::Var(_) => fail_args.iter().position(|a| a == o).map(|i| i as u32),
            _ => None,
        };
        let val = |o: &Operand| match o {
            Operand::Var(_) => arg(o).map(FactVal::Arg),
            c => Some(FactVal::Const(*c)),
        };
        for (loc, v) in self.export() {
            if self.pending_at(&loc) {
                continue;
            }
            let fact = match loc {
                Loc::Field(o, d) => arg(&o).zip(val(&v)).map(|(i, v)| (i, Fact::Field(d, v))),
                Loc::Item(a, idx, d) => arg(&a)
                    .zip(val(&idx))
                    .zip(val(&v))
                    .map(|((i, idx), v)| (i, Fact::Item(d, idx, v))),
            };
            out.extend(fact);
        }
    }

    fn propagate(&mut self, op: Op, sh: &mut Shared, next: &mut [Box<dyn Pass>]) {
        use OpNum::*;
        self.pos += 1;
        if let Some(r) = op.res {
            self.born.insert(r, self.pos);
        }
        self.learn(&op);
        // Anything but the ops handled below, pure arithmetic and
        // allocation may observe memory: pending stores happen first.
        let handled = matches!(
            op.opnum,
            GetfieldGcI
                | GetfieldGcR
                | GetfieldGcF
                | GetfieldGcPureI
                | GetfieldGcPureR
                | GetfieldGcPureF
                | SetfieldGc
                | GetarrayitemGcI
                | GetarrayitemGcR
                | GetarrayitemGcF
                | SetarrayitemGc
                | ArraylenGc
                | DebugMergePoint
        );
        let quiet = (op.opnum.is_pure() && !op.opnum.is_call()) || op.opnum.is_alloc();
        // A guard reads no memory: pending stores stay pending across it,
        // described in its resume data (the guards that follow calls,
        // which flushed anyway, are left alone).
        let passes_guard =
            op.opnum.is_guard() && !matches!(op.opnum, GuardNoException | GuardNotForced);
        if !handled && !quiet && !passes_guard && !self.pending.is_empty() {
            self.flush(sh, next);
        }
        match op.opnum {
            opn if opn.is_getfield_gc() => return self.read_field(op, sh, next),
            SetfieldGc => return self.write_field(op, sh, next),
            GetarrayitemGcI | GetarrayitemGcR | GetarrayitemGcF => {
                return self.read_item(op, sh, next)
            }
            SetarrayitemGc => return self.write_item(op, sh, next),
            ArraylenGc => {
                if let Some(&n) = self.lengths.get(&Key::of(&op.args[0])) {
                    return sh.replace(op.res.unwrap(), n);
                }
            }
            opn if opn.is_alloc() => {
                let res = op.res.unwrap();
                self.fresh.insert(
                    res,
                    Fresh {
                        born: self.pos,
                        escaped: false,
                        touched: HashSet::new(),
                    },
                );
                if matches!(op.opnum, NewArray | NewArrayClear) {
                    self.lengths.insert(Key::Var(res.0), op.args[0]);
                }
            }
            GuardNotInvalidated if self.invalidation_guarded => return,
            _ if op.opnum.is_guard() => {
                if op.opnum == GuardNotInvalidated {
                    self.invalidation_guarded = true;
                }
                let mut op = op;
                self.describe_pending(&mut op, sh);
                return send(op, sh, next);
            }
            Label => {
                self.clear();
                self.fresh.clear();
                self.invalidation_guarded = false;
            }
            _ if op.opnum.is_call() => {
                let effect = match op.descr {
                    Some(Descr::Call(c)) => c.effect,
                    _ => crate::ir::EffectInfo::RESIDUAL,
                };
                // `call_assembler` runs a portal and `call_may_force` may
                // (whatever its descr says: the VM chose to let the helper
                // re-enter): guest code can write and invalidate anything.
                let assembler = matches!(
                    op.opnum,
                    CallAssemblerI
                        | CallAssemblerR
                        | CallAssemblerF
                        | CallAssemblerN
                        | CallMayForceI
                        | CallMayForceR
                        | CallMayForceF
                        | CallMayForceN
                );
                if !op.opnum.is_pure() {
                    if effect.writes_heap || effect.may_force || assembler {
                        self.clear();
                    }
                    if effect.may_invalidate || assembler {
                        self.invalidation_guarded = false;
                    }
                }
            }
            _ => {}
        }
        // Operands that leave our sight: stored nowhere we track, but
        // passed on (calls, jumps, escapes, same_as aliases).
        if !op.opnum.is_guard() && !matches!(op.opnum, PtrEq | PtrNe) {
            for a in op.args.iter() {
                self.escape(a);
            }
        }
        send(op, sh, next)
    }
}

#[cfg(test)]
mod tests {
    use crate::opt::testutil::check;

    const P: &str = "heap";

    #[test]
    fn a_store_overwritten_before_anyone_looks_is_dead() {
        check(
            P,
            "[p0, p1, i2]
            setfield_gc(p0, 1, descr=x)
            setfield_gc(p1, 2, descr=x)
            setfield_gc(p0, 3, descr=x)
            guard_true(i2, descr=<Guard1>) [p0]
            setfield_gc(p0, 4, descr=x)
            i9 = call_i(ConstClass(0x1000), p1, descr=rd)
            setfield_gc(p0, 5, descr=x)
            setfield_gc(p0, 6, descr=y)
            i3 = getfield_gc_i(p1, descr=x)
            setfield_gc(p0, 7, descr=x)
            finish(i3, descr=<Guard0>)",
            // The first store to p0.x dies (p1.x may alias p0.x, so the
            // order of the rest stays); the other two stay pending across
            // the guard (its resume does them), where p0.x = 4 kills
            // p0.x = 3 in turn; a call sees memory as the program wrote
            // it; the read of p1.x sees p0.x = 5.
            "[p0, p1, i2]
            guard_true(i2, descr=<Guard1>) [p0, p1, 2, 3] pending=[setfield_gc(@1, @2, x), setfield_gc(@0, @3, x)]
            setfield_gc(p1, 2, descr=x)
            setfield_gc(p0, 4, descr=x)
            i9 = call_i(ConstClass(0x1000), p1, descr=rd)
            setfield_gc(p0, 5, descr=x)
            setfield_gc(p0, 6, descr=y)
            i3 = getfield_gc_i(p1, descr=x)
            setfield_gc(p0, 7, descr=x)
            finish(i3, descr=<Guard0>)",
        );
    }

    #[test]
    fn repeated_reads_are_cached() {
        check(
            P,
            "[p0, p1, i2]
            i3 = getfield_gc_i(p0, descr=x)
            i4 = getfield_gc_i(p0, descr=x)
            i5 = getfield_gc_i(p1, descr=x)
            i6 = getarrayitem_gc_i(p1, 2, descr=ints)
            i7 = getarrayitem_gc_i(p1, 2, descr=ints)
            i8 = getarrayitem_gc_i(p1, i2, descr=ints)
            i9 = getarrayitem_gc_i(p1, i2, descr=ints)
            finish(i3, i4, i5, i6, i7, i8, i9, descr=<Guard0>)",
            "[p0, p1, i2]
            i3 = getfield_gc_i(p0, descr=x)
            i5 = getfield_gc_i(p1, descr=x)
            i6 = getarrayitem_gc_i(p1, 2, descr=ints)
            i8 = getarrayitem_gc_i(p1, i2, descr=ints)
            finish(i3, i3, i5, i6, i6, i8, i8, descr=<Guard0>)",
        );
    }

    #[test]
    fn a_write_is_read_back_and_kills_possible_aliases() {
        check(
            P,
            "[p0, p1, i2]
            i3 = getfield_gc_i(p1, descr=x)
            i4 = getfield_gc_i(p1, descr=y)
            setfield_gc(p0, i2, descr=x)
            i5 = getfield_gc_i(p0, descr=x)
            i6 = getfield_gc_i(p1, descr=x)
            i7 = getfield_gc_i(p1, descr=y)
            setfield_gc(p0, i2, descr=x)
            finish(i5, i6, i7, descr=<Guard0>)",
            "[p0, p1, i2]
            i3 = getfield_gc_i(p1, descr=x)
            i4 = getfield_gc_i(p1, descr=y)
            setfield_gc(p0, i2, descr=x)
            i6 = getfield_gc_i(p1, descr=x)
            finish(i2, i6, i4, descr=<Guard0>)",
        );
    }

    #[test]
    fn fresh_objects_do_not_alias() {
        check(
            P,
            "[p0, i1]
            i2 = getfield_gc_i(p0, descr=x)
            p3 = new(descr=Node)
            p4 = new(descr=Node)
            setfield_gc(p3, i1, descr=x)
            setfield_gc(p4, 7, descr=x)
            i5 = getfield_gc_i(p0, descr=x)
            i6 = getfield_gc_i(p3, descr=x)
            i7 = getfield_gc_i(p4, descr=y)
            setfield_gc(p0, p3, descr=next)
            p8 = getfield_gc_r(p0, descr=next)
            setfield_gc(p8, 1, descr=x)
            i9 = getfield_gc_i(p3, descr=x)
            i10 = getfield_gc_i(p4, descr=x)
            finish(i5, i6, i7, i9, i10, descr=<Guard0>)",
            "[p0, i1]
            i2 = getfield_gc_i(p0, descr=x)
            p3 = new(descr=Node)
            p4 = new(descr=Node)
            setfield_gc(p4, 7, descr=x)
            setfield_gc(p0, p3, descr=next)
            setfield_gc(p3, 1, descr=x)
            finish(i2, i1, 0, 1, 7, descr=<Guard0>)",
        );
    }

    #[test]
    fn an_escaped_allocation_may_alias_later_values() {
        check(
            P,
            "[p0]
            p1 = new(descr=Node)
            setfield_gc(p1, 5, descr=x)
            call_n(ConstClass(0x1000), p1, 3, descr=wr)
            p2 = getfield_gc_r(p0, descr=next)
            setfield_gc(p1, 6, descr=x)
            setfield_gc(p2, 8, descr=x)
            i3 = getfield_gc_i(p1, descr=x)
            finish(i3, descr=<Guard0>)",
            "[p0]
            p1 = new(descr=Node)
            setfield_gc(p1, 5, descr=x)
            call_n(ConstClass(0x1000), p1, 3, descr=wr)
            p2 = getfield_gc_r(p0, descr=next)
            setfield_gc(p1, 6, descr=x)
            setfield_gc(p2, 8, descr=x)
            i3 = getfield_gc_i(p1, descr=x)
            finish(i3, descr=<Guard0>)",
        );
    }

    #[test]
    fn calls_that_may_write_kill_the_cache() {
        check(
            P,
            "[p0, i1]
            i2 = getfield_gc_i(p0, descr=x)
            i3 = call_pure_i(ConstClass(0x1000), i1, i2, descr=elid)
            i4 = getfield_gc_i(p0, descr=x)
            i5 = call_i(ConstClass(0x1000), p0, descr=rd)
            i6 = getfield_gc_i(p0, descr=x)
            call_n(ConstClass(0x1000), p0, i1, descr=wr)
            i7 = getfield_gc_i(p0, descr=x)
            finish(i4, i6, i7, descr=<Guard0>)",
            "[p0, i1]
            i2 = getfield_gc_i(p0, descr=x)
            i3 = call_pure_i(ConstClass(0x1000), i1, i2, descr=elid)
            i5 = call_i(ConstClass(0x1000), p0, descr=rd)
            call_n(ConstClass(0x1000), p0, i1, descr=wr)
            i7 = getfield_gc_i(p0, descr=x)
            finish(i2, i2, i7, descr=<Guard0>)",
        );
    }

    #[test]
    fn different_descrs_do_not_invalidate_each_other() {
        check(
            P,
            "[p0, p1, i2]
            i3 = getfield_gc_i(p0, descr=x)
            i4 = getarrayitem_gc_i(p1, 0, descr=ints)
            setfield_gc(p1, i2, descr=y)
            setarrayitem_gc(p0, 0, i2, descr=bytes)
            i5 = getfield_gc_i(p0, descr=x)
            i6 = getarrayitem_gc_i(p1, 0, descr=ints)
            finish(i5, i6, descr=<Guard0>)",
            "[p0, p1, i2]
            i3 = getfield_gc_i(p0, descr=x)
            i4 = getarrayitem_gc_i(p1, 0, descr=ints)
            setfield_gc(p1, i2, descr=y)
            setarrayitem_gc(p0, 0, i2, descr=bytes)
            finish(i3, i4, descr=<Guard0>)",
        );
    }

    #[test]
    fn array_items_and_indices() {
        check(
            P,
            "[p0, i1, i2]
            setarrayitem_gc(p0, 0, i1, descr=ints)
            setarrayitem_gc(p0, 1, i2, descr=ints)
            i3 = getarrayitem_gc_i(p0, 0, descr=ints)
            setarrayitem_gc(p0, i1, 5, descr=ints)
            i4 = getarrayitem_gc_i(p0, 1, descr=ints)
            i5 = getarrayitem_gc_i(p0, i1, descr=ints)
            p6 = new_array(3, descr=ints)
            i7 = getarrayitem_gc_i(p6, 2, descr=ints)
            i8 = arraylen_gc(p6, descr=ints)
            finish(i3, i4, i5, i7, i8, descr=<Guard0>)",
            "[p0, i1, i2]
            setarrayitem_gc(p0, 0, i1, descr=ints)
            setarrayitem_gc(p0, 1, i2, descr=ints)
            setarrayitem_gc(p0, i1, 5, descr=ints)
            i4 = getarrayitem_gc_i(p0, 1, descr=ints)
            p6 = new_array(3, descr=ints)
            finish(i1, i4, 5, 0, 3, descr=<Guard0>)",
        );
    }

    #[test]
    fn narrow_fields_read_back_truncated() {
        check(
            P,
            "[p0, i1]
            setfield_gc(p0, 300, descr=flags)
            i2 = getfield_gc_i(p0, descr=flags)
            setfield_gc(p0, i1, descr=flags)
            i3 = getfield_gc_i(p0, descr=flags)
            i4 = getfield_gc_i(p0, descr=flags)
            finish(i2, i3, i4, descr=<Guard0>)",
            "[p0, i1]
            setfield_gc(p0, i1, descr=flags)
            i3 = getfield_gc_i(p0, descr=flags)
            finish(44, i3, i3, descr=<Guard0>)",
        );
    }

    #[test]
    fn call_may_force_forgets_the_heap_whatever_its_descr_says() {
        // `rd` writes nothing, but as `call_may_force` it runs guest code.
        check(
            P,
            "[p0]
            guard_not_invalidated(descr=<Guard1>) []
            i1 = getfield_gc_i(p0, descr=flags)
            i2 = call_may_force_i(ConstClass(0x1000), p0, descr=rd)
            guard_no_exception(descr=<Guard2>) []
            guard_not_invalidated(descr=<Guard3>) []
            i3 = getfield_gc_i(p0, descr=flags)
            finish(i1, i2, i3, descr=<Guard0>)",
            "[p0]
            guard_not_invalidated(descr=<Guard1>) []
            i1 = getfield_gc_i(p0, descr=flags)
            i2 = call_may_force_i(ConstClass(0x1000), p0, descr=rd)
            guard_no_exception(descr=<Guard2>) []
            guard_not_invalidated(descr=<Guard3>) []
            i3 = getfield_gc_i(p0, descr=flags)
            finish(i1, i2, i3, descr=<Guard0>)",
        );
    }

    #[test]
    fn guard_not_invalidated_once_until_a_call_may_invalidate() {
        check(
            P,
            "[i0]
            guard_not_invalidated(descr=<Guard1>) []
            guard_not_invalidated(descr=<Guard2>) []
            call_n(ConstClass(0x1000), descr=inv)
            guard_not_invalidated(descr=<Guard3>) []
            guard_not_invalidated(descr=<Guard4>) []
            finish(descr=<Guard0>)",
            "[i0]
            guard_not_invalidated(descr=<Guard1>) []
            call_n(ConstClass(0x1000), descr=inv)
            guard_not_invalidated(descr=<Guard3>) []
            finish(descr=<Guard0>)",
        );
    }

    #[test]
    fn items_at_variable_indices_are_cached() {
        // brainfuck's `+` twice on a byte cell: the second read is the
        // first write (an `int_and` with 255 fits a byte).
        check(
            P,
            "[p0, i1]
            i2 = getarrayitem_gc_i(p0, i1, descr=bytes)
            i3 = int_add(i2, 1)
            i4 = int_and(i3, 255)
            setarrayitem_gc(p0, i1, i4, descr=bytes)
            i5 = getarrayitem_gc_i(p0, i1, descr=bytes)
            i6 = int_add(i5, 1)
            i7 = int_and(i6, 255)
            setarrayitem_gc(p0, i1, i7, descr=bytes)
            i8 = getarrayitem_gc_i(p0, i1, descr=bytes)
            setarrayitem_gc(p0, i1, i8, descr=bytes)
            finish(i8, descr=<Guard0>)",
            "[p0, i1]
            i2 = getarrayitem_gc_i(p0, i1, descr=bytes)
            i3 = int_add(i2, 1)
            i4 = int_and(i3, 255)
            i6 = int_add(i4, 1)
            i7 = int_and(i6, 255)
            setarrayitem_gc(p0, i1, i7, descr=bytes)
            finish(i7, descr=<Guard0>)",
        );
    }

    #[test]
    fn a_narrow_store_of_a_value_that_may_not_fit_is_not_read_back() {
        check(
            P,
            "[p0, i1, i2]
            i3 = int_and(i2, 256)
            setarrayitem_gc(p0, i1, i3, descr=bytes)
            i4 = getarrayitem_gc_i(p0, i1, descr=bytes)
            setarrayitem_gc(p0, i1, i2, descr=bytes)
            i5 = getarrayitem_gc_i(p0, i1, descr=bytes)
            i6 = getarrayitem_gc_i(p0, 0, descr=bytes)
            setfield_gc(p0, i6, descr=flags)
            i7 = getfield_gc_i(p0, descr=flags)
            finish(i4, i5, i7, descr=<Guard0>)",
            "[p0, i1, i2]
            i3 = int_and(i2, 256)
            setarrayitem_gc(p0, i1, i3, descr=bytes)
            i4 = getarrayitem_gc_i(p0, i1, descr=bytes)
            setarrayitem_gc(p0, i1, i2, descr=bytes)
            i5 = getarrayitem_gc_i(p0, i1, descr=bytes)
            i6 = getarrayitem_gc_i(p0, 0, descr=bytes)
            setfield_gc(p0, i6, descr=flags)
            finish(i4, i5, i6, descr=<Guard0>)",
        );
    }

    #[test]
    fn different_index_vars_are_not_confused() {
        check(
            P,
            "[p0, i1, i2, i3]
            i4 = getarrayitem_gc_i(p0, i1, descr=ints)
            i5 = getarrayitem_gc_i(p0, i2, descr=ints)
            setarrayitem_gc(p0, i1, i3, descr=ints)
            i6 = getarrayitem_gc_i(p0, i2, descr=ints)
            i7 = getarrayitem_gc_i(p0, i1, descr=ints)
            finish(i4, i5, i6, i7, descr=<Guard0>)",
            "[p0, i1, i2, i3]
            i4 = getarrayitem_gc_i(p0, i1, descr=ints)
            i5 = getarrayitem_gc_i(p0, i2, descr=ints)
            setarrayitem_gc(p0, i1, i3, descr=ints)
            i6 = getarrayitem_gc_i(p0, i2, descr=ints)
            finish(i4, i5, i6, i3, descr=<Guard0>)",
        );
    }

    #[test]
    fn a_write_through_another_index_kills_the_cached_item() {
        check(
            P,
            "[p0, p1, i1, i2, i3]
            i4 = getarrayitem_gc_i(p0, i1, descr=ints)
            setarrayitem_gc(p0, i2, i3, descr=ints)
            i5 = getarrayitem_gc_i(p0, i1, descr=ints)
            setarrayitem_gc(p0, 2, i3, descr=ints)
            i6 = getarrayitem_gc_i(p0, i1, descr=ints)
            i7 = getarrayitem_gc_i(p1, 3, descr=ints)
            setarrayitem_gc(p0, i1, i3, descr=ints)
            i8 = getarrayitem_gc_i(p1, 3, descr=ints)
            i9 = getarrayitem_gc_i(p0, 2, descr=ints)
            finish(i4, i5, i6, i7, i8, i9, descr=<Guard0>)",
            "[p0, p1, i1, i2, i3]
            i4 = getarrayitem_gc_i(p0, i1, descr=ints)
            setarrayitem_gc(p0, i2, i3, descr=ints)
            i5 = getarrayitem_gc_i(p0, i1, descr=ints)
            setarrayitem_gc(p0, 2, i3, descr=ints)
            i6 = getarrayitem_gc_i(p0, i1, descr=ints)
            i7 = getarrayitem_gc_i(p1, 3, descr=ints)
            setarrayitem_gc(p0, i1, i3, descr=ints)
            i8 = getarrayitem_gc_i(p1, 3, descr=ints)
            i9 = getarrayitem_gc_i(p0, 2, descr=ints)
            finish(i4, i5, i6, i7, i8, i9, descr=<Guard0>)",
        );
    }

    #[test]
    fn indices_with_different_offsets_do_not_alias() {
        check(
            P,
            "[p0, i1, i2]
            i3 = int_add(i1, 1)
            i4 = int_sub(i3, 1)
            i5 = int_sub(i1, 1)
            setarrayitem_gc(p0, i1, i2, descr=ints)
            setarrayitem_gc(p0, i3, 7, descr=ints)
            setarrayitem_gc(p0, i5, 8, descr=ints)
            i6 = getarrayitem_gc_i(p0, i1, descr=ints)
            i7 = getarrayitem_gc_i(p0, i3, descr=ints)
            setarrayitem_gc(p0, i4, 9, descr=ints)
            i8 = getarrayitem_gc_i(p0, i1, descr=ints)
            i9 = getarrayitem_gc_i(p0, i3, descr=ints)
            i10 = getarrayitem_gc_i(p0, i5, descr=ints)
            call_n(ConstClass(0x1000), p0, i1, descr=wr)
            i11 = getarrayitem_gc_i(p0, i4, descr=ints)
            finish(i6, i7, i8, i9, i10, i11, descr=<Guard0>)",
            "[p0, i1, i2]
            i3 = int_add(i1, 1)
            i4 = int_sub(i3, 1)
            i5 = int_sub(i1, 1)
            setarrayitem_gc(p0, i1, i2, descr=ints)
            setarrayitem_gc(p0, i3, 7, descr=ints)
            setarrayitem_gc(p0, i5, 8, descr=ints)
            setarrayitem_gc(p0, i4, 9, descr=ints)
            i8 = getarrayitem_gc_i(p0, i1, descr=ints)
            call_n(ConstClass(0x1000), p0, i1, descr=wr)
            i11 = getarrayitem_gc_i(p0, i4, descr=ints)
            finish(i2, 7, i8, 7, 8, i11, descr=<Guard0>)",
        );
    }

    #[test]
    fn stores_stay_pending_across_guards_in_their_resume_data() {
        check(
            P,
            "[p0, p1, i1, i2]
            setfield_gc(p0, i1, descr=x)
            setarrayitem_gc(p1, i2, 5, descr=ints)
            guard_true(i1, descr=<Guard1>) [i1]
            setfield_gc(p0, i2, descr=x)
            guard_false(i2, descr=<Guard2>) [p0, i1]
            setfield_gc(p0, 9, descr=x)
            setarrayitem_gc(p1, i2, 6, descr=ints)
            finish(descr=<Guard0>)",
            // Operands already among the fail args are named there, the
            // others appended; each guard lists what is pending at it, in
            // program order (p0.x = i2 replaced p0.x = i1, so it is now
            // after the item store). `finish` does the last two.
            "[p0, p1, i1, i2]
            guard_true(i1, descr=<Guard1>) [i1, p0, p1, i2, 5] pending=[setfield_gc(@1, @0, x), setarrayitem_gc(@2, @3, @4, ints)]
            guard_false(i2, descr=<Guard2>) [p0, i1, p1, i2, 5] pending=[setarrayitem_gc(@2, @3, @4, ints), setfield_gc(@0, @3, x)]
            setfield_gc(p0, 9, descr=x)
            setarrayitem_gc(p1, i2, 6, descr=ints)
            finish(descr=<Guard0>)",
        );
    }

    #[test]
    fn what_may_observe_a_pending_store_gets_it_first() {
        check(
            P,
            "[p0, p1, i1]
            setfield_gc(p0, i1, descr=x)
            i2 = getfield_gc_i(p1, descr=x)
            guard_true(i2, descr=<Guard1>) [i2]
            setfield_gc(p0, 3, descr=y)
            i3 = call_i(ConstClass(0x1000), p1, descr=rd)
            guard_true(i3, descr=<Guard2>) [i3]
            setarrayitem_gc(p1, i1, 4, descr=ints)
            i4 = getarrayitem_gc_i(p0, 2, descr=ints)
            setfield_gc(p0, 4, descr=y)
            jump(p0, p1, i4, descr=TargetToken(7))",
            // A read that may alias (p1.x vs p0.x; p0[2] vs p1[i1]), a
            // call and the jump each see the stores done; guards after
            // them have nothing pending.
            "[p0, p1, i1]
            setfield_gc(p0, i1, descr=x)
            i2 = getfield_gc_i(p1, descr=x)
            guard_true(i2, descr=<Guard1>) [i2]
            setfield_gc(p0, 3, descr=y)
            i3 = call_i(ConstClass(0x1000), p1, descr=rd)
            guard_true(i3, descr=<Guard2>) [i3]
            setarrayitem_gc(p1, i1, 4, descr=ints)
            i4 = getarrayitem_gc_i(p0, 2, descr=ints)
            setfield_gc(p0, 4, descr=y)
            jump(p0, p1, i4, descr=TargetToken(7))",
        );
    }

    #[test]
    fn a_pending_null_is_not_confused_with_a_virtual_placeholder() {
        check(
            "virtualize:heap",
            "[p0, i1]
            p2 = new(descr=Node)
            setfield_gc(p0, ConstPtr(null), descr=next)
            guard_true(i1, descr=<Guard1>) [p2]
            finish(descr=<Guard0>)",
            // @0 is the virtual's placeholder; the null stored is @2.
            "[p0, i1]
            guard_true(i1, descr=<Guard1>) [ConstPtr(null), p0, ConstPtr(null)] virtuals=[@0 = new(Node) {}] pending=[setfield_gc(@1, @2, next)]
            setfield_gc(p0, ConstPtr(null), descr=next)
            finish(descr=<Guard0>)",
        );
    }
}
