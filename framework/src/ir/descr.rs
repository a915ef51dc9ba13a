//! Descriptors: what an op needs to know about memory layout and callees.
//!
//! Owns: `FieldDescr`, `ArrayDescr`, `SizeDescr`, `CallDescr` (with
//! `EffectInfo`), the `Descr` handle stored in ops, and `DescrTable`, the
//! name → descriptor namespace the text parser resolves `descr=` against.
//!
//! Descriptors are `'static` and compared by address: they are created once
//! per VM type (by `gc_struct!` / `residual!`, never with hand-written
//! offsets) or leaked by tests, exactly like PyPy's descr singletons.

use super::Kind;
use std::fmt;

/// What a field descriptor says: plain data, read through
/// [`FieldDescr`]'s `Deref` (`d.offset`, `d.kind`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    /// `Type.field`, unique in a process; printed in traces.
    pub name: &'static str,
    /// Byte offset from the object start (the header is at offset 0).
    pub offset: usize,
    /// Size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    /// Sign-extend on load (for sizes below 8).
    pub signed: bool,
    /// The value kind a load of the field produces (`getfield_gc_i/f/r`).
    pub kind: Kind,
    /// Never written after construction: reads are `getfield_gc_pure_*`.
    pub immutable: bool,
    /// Quasi-immutable (`x?` in RPython): read as a constant under
    /// `guard_not_invalidated`; writing it invalidates dependent loops.
    pub quasi_immutable: bool,
    /// Type id of the struct the field belongs to (0: none, e.g. a
    /// descriptor made up by an IR test; the checked heap API refuses it).
    pub owner: u32,
}

/// A field of a `#[repr(C)]` heap struct.
///
/// Immutable once made: its [`FieldInfo`] is readable through `Deref`
/// but not writable, so the heap's verdict on a descriptor (checked once
/// against the owner type's registered layout) stays true for as long as
/// the descriptor lives — the fast path of `heap::getfield` relies on it.
#[derive(Debug)]
pub struct FieldDescr {
    info: FieldInfo,
    /// The verdict key (owner, offset, size, kind), packed at construction.
    pub(crate) key: u64,
    /// Where the heap caches its verdict on this descriptor (see
    /// [`Verdict`]); `None`: checked on every access.
    pub(crate) checked: Option<&'static Verdict>,
}

impl std::ops::Deref for FieldDescr {
    type Target = FieldInfo;
    #[inline(always)]
    fn deref(&self) -> &FieldInfo {
        &self.info
    }
}

/// The heap's cached verdict on a descriptor: the key (type id, offset,
/// size, kind; for arrays the whole layout) of the descriptor it last
/// found valid for its type's registered layout, which the checked
/// accessors' inlined fast path compares with the descriptor's own key.
/// Only the heap writes it (the field is private), so attaching a fresh
/// `Verdict` to any descriptor vouches for nothing, and one verdict shared
/// by two descriptors vouches only for the one whose key it holds.
///
/// It lives outside the descriptor, in its own static: a descriptor that
/// held an atomic would have interior mutability, which Rust places in
/// writable memory and the optimizer may not treat as a constant.
#[derive(Debug)]
pub struct Verdict(pub(crate) std::sync::atomic::AtomicU64);

impl Verdict {
    /// A verdict slot that vouches for nothing yet.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Verdict {
        Verdict(std::sync::atomic::AtomicU64::new(u64::MAX))
    }
}

/// Verdict keys: the facts a check depends on, packed without loss, or
/// `NEVER_CACHED` for descriptors outside the packable range (checked on
/// every access).
pub(crate) const NEVER_CACHED: u64 = u64::MAX - 1;

const fn kind_code(k: Kind) -> u64 {
    match k {
        Kind::Int => 0,
        Kind::Float => 1,
        Kind::Ref => 2,
        Kind::Void => 3,
    }
}

const fn field_key(i: &FieldInfo) -> u64 {
    if i.offset >= 1 << 20 || i.size >= 16 {
        return NEVER_CACHED;
    }
    i.owner as u64 | (i.offset as u64) << 32 | (i.size as u64) << 52 | kind_code(i.kind) << 60
}

const fn array_key(i: &ArrayInfo) -> u64 {
    if i.base_offset >= 1 << 16 || i.len_offset >= 1 << 8 || i.item_size >= 16 {
        return NEVER_CACHED;
    }
    i.tid as u64
        | (i.base_offset as u64) << 32
        | (i.len_offset as u64) << 48
        | (i.item_size as u64) << 56
        | kind_code(i.kind) << 60
}

impl FieldDescr {
    /// A field descriptor. `gc_struct!` makes them from the struct, with
    /// `offset_of!`; the heap checks every descriptor against the layout
    /// its owner type registered before the first access through it.
    #[allow(clippy::too_many_arguments)]
    pub const fn new(
        name: &'static str,
        owner: u32,
        offset: usize,
        size: u8,
        signed: bool,
        kind: Kind,
        immutable: bool,
        quasi_immutable: bool,
    ) -> FieldDescr {
        let info = FieldInfo {
            name,
            offset,
            size,
            signed,
            kind,
            immutable,
            quasi_immutable,
            owner,
        };
        FieldDescr {
            key: field_key(&info),
            info,
            checked: None,
        }
    }

    /// This descriptor with a slot for the heap's verdict, so accesses
    /// after the first are checked by two compares (`gc_struct!` gives
    /// every field its own). Without one, every access is checked in full.
    pub const fn with_verdict(mut self, v: &'static Verdict) -> FieldDescr {
        self.checked = Some(v);
        self
    }
}

/// What an array descriptor says, read through [`ArrayDescr`]'s `Deref`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArrayInfo {
    /// The array type's name (e.g. `IntArray`); printed as the `descr=` in traces.
    pub name: &'static str,
    /// Type id written into the header of new arrays.
    pub tid: u32,
    /// Offset of the length word (an `i64`).
    pub len_offset: usize,
    /// Offset of item 0.
    pub base_offset: usize,
    /// Size of one item in bytes: 1, 2, 4 or 8.
    pub item_size: u8,
    /// Sign-extend items on load (for sizes below 8).
    pub signed: bool,
    /// The value kind an item load produces (`getarrayitem_gc_i/f/r`).
    pub kind: Kind,
}

/// A heap array type: header, length word, then items. Immutable once
/// made, as [`FieldDescr`] is.
#[derive(Debug)]
pub struct ArrayDescr {
    info: ArrayInfo,
    /// The verdict key (the whole layout), packed at construction.
    pub(crate) key: u64,
    /// Where the heap caches its verdict (see [`Verdict`]).
    pub(crate) checked: Option<&'static Verdict>,
}

impl std::ops::Deref for ArrayDescr {
    type Target = ArrayInfo;
    #[inline(always)]
    fn deref(&self) -> &ArrayInfo {
        &self.info
    }
}

impl ArrayDescr {
    /// An array descriptor: header, then the `i64` length at `len_offset`,
    /// then items of `item_size` bytes from `base_offset`.
    pub const fn new(
        name: &'static str,
        tid: u32,
        len_offset: usize,
        base_offset: usize,
        item_size: u8,
        signed: bool,
        kind: Kind,
    ) -> ArrayDescr {
        let info = ArrayInfo {
            name,
            tid,
            len_offset,
            base_offset,
            item_size,
            signed,
            kind,
        };
        ArrayDescr {
            key: array_key(&info),
            info,
            checked: None,
        }
    }

    /// This descriptor with a slot for the heap's verdict (see
    /// [`FieldDescr::with_verdict`]).
    pub const fn with_verdict(mut self, v: &'static Verdict) -> ArrayDescr {
        self.checked = Some(v);
        self
    }
}

/// Size and type id of a fixed-size heap struct, for `new` / `new_with_vtable`.
#[derive(Debug)]
pub struct SizeDescr {
    /// The struct type's name; printed as the `descr=` of `new`.
    pub name: &'static str,
    /// Type id written into the header of new objects.
    pub tid: u32,
    /// Size of the object in bytes, header included.
    pub size: usize,
    /// Offsets of the fields holding GC references: the collector's trace
    /// information (generated by `gc_struct!`).
    pub gc_ptrs: &'static [usize],
}

/// What a call may do; the optimizer and the recorder's replay log read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct EffectInfo {
    /// Pure function of its arguments (RPython `@elidable`): folded when all
    /// arguments are constants, CSE'd otherwise.
    pub elidable: bool,
    /// May set the pending guest exception; followed by `guard_no_exception`.
    pub can_raise: bool,
    /// May force virtuals / re-enter the interpreter (`call_may_force`).
    pub may_force: bool,
    /// May write a quasi-immutable field (invalidates loops).
    pub may_invalidate: bool,
    /// May write GC heap memory (kills heap caches). Elidable calls do not.
    pub writes_heap: bool,
}

impl EffectInfo {
    /// A residual call that may do anything except raise or force.
    pub const RESIDUAL: EffectInfo = EffectInfo {
        elidable: false,
        can_raise: false,
        may_force: false,
        may_invalidate: false,
        writes_heap: true,
    };
    /// A helper that may run guest code (call it with
    /// `Jit::call_may_force`): it may raise, write anything and invalidate
    /// quasi-immutable fields.
    pub const MAY_FORCE: EffectInfo = EffectInfo {
        elidable: false,
        can_raise: true,
        may_force: true,
        may_invalidate: true,
        writes_heap: true,
    };
    /// A pure function of its arguments (RPython's `@elidable`): the
    /// trace records `call_pure_*`, and when every argument is a constant
    /// the call is folded to its result at trace time. For caches and
    /// lookups keyed by promoted values (maps, method caches).
    ///
    /// ```
    /// use metatrace::ir::EffectInfo;
    /// # use metatrace::{Interp, Jit, JitDriver, JitParams, LlGraph, MapReds, Repr, Step, Ctx, Val};
    /// extern "C" fn square(x: i64) -> i64 {
    ///     x * x
    /// }
    /// metatrace::residual!(static SQUARE = fn square(x: i64) -> i64, EffectInfo::ELIDABLE);
    /// extern "C" fn log_value(_x: i64) {}
    /// metatrace::residual!(static LOG = fn log_value(x: i64), EffectInfo::RESIDUAL);
    /// # struct Vm;
    /// # struct Frame<R: Repr> { n: R::Int, k: R::Int, acc: R::Int }
    /// # impl Interp for Vm {
    /// #     type Greens = ();
    /// #     type Frame<R: Repr> = Frame<R>;
    /// #     type Ret<R: Repr> = R::Int;
    /// #     fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
    /// #         Frame { n: m.int(f.n), k: m.int(f.k), acc: m.int(f.acc) }
    /// #     }
    /// #     fn map_ret<A: Repr, B: Repr>(r: &A::Int, m: &mut impl MapReds<A, B>) -> B::Int { m.int(*r) }
    /// #     fn step<C: Jit<Self>>(&mut self, ctx: &mut C, _: &mut (), f: &mut Frame<C::R>)
    /// #         -> Step<<C::R as Repr>::Int> {
    /// #         let zero = ctx.const_int(0);
    /// #         let more = ctx.int_gt(f.n, zero);
    /// #         if !ctx.is_true(more) { return Step::Return(f.acc); }
    /// // in `step`: acc += square(k) with k promoted: folded to a constant
    /// let k = ctx.promote_int(f.k);
    /// let k = ctx.const_int(k);
    /// let sq = ctx.call(&SQUARE, &[Val::Int(k)]).int();
    /// f.acc = ctx.int_add(f.acc, sq);
    /// // an effect stays a call
    /// ctx.call(&LOG, &[Val::Int(f.acc)]);
    /// #         let one = ctx.const_int(1);
    /// #         f.n = ctx.int_sub(f.n, one);
    /// #         Step::CanEnterJit
    /// #     }
    /// # }
    /// # let mut driver = JitDriver::new(JitParams::parse("threshold=10").unwrap(), Box::new(LlGraph::new()));
    /// # driver.keep_traces = true;
    /// let r = driver.run(&mut Vm, (), Frame { n: 100, k: 7, acc: 0 });
    /// assert_eq!(r, 100 * 49);
    /// let trace = driver.traces[0].1.to_string();
    /// assert!(!trace.contains("call_pure"), "square(7) folded: {trace}");
    /// assert!(trace.contains(", 49)"), "{trace}");
    /// assert!(trace.contains("call_n("), "the residual call stays: {trace}");
    /// ```
    pub const ELIDABLE: EffectInfo = EffectInfo {
        elidable: true,
        can_raise: false,
        may_force: false,
        may_invalidate: false,
        writes_heap: false,
    };
}

/// A callee: address for native backends, a safe thunk for the IR interpreter
/// and direct mode, the signature and effect info.
pub struct CallDescr {
    /// The function's name; printed as the `descr=` of the call.
    pub name: &'static str,
    /// Address of an `extern "C"` function (SysV / AAPCS64 ABI).
    pub addr: usize,
    /// Argument kinds, in order (the call op's arguments after the function).
    pub args: &'static [Kind],
    /// Result kind (`Void` for `call_n`).
    pub result: Kind,
    /// What the callee may do, which decides the call opcode and what the
    /// optimizer may assume across it.
    pub effect: EffectInfo,
    /// Calls the same function with arguments as raw 64-bit words (floats as
    /// their bit patterns), returning the result likewise (0 for void).
    pub invoke: fn(&[u64]) -> u64,
}

impl fmt::Debug for CallDescr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallDescr")
            .field("name", &self.name)
            .field("args", &self.args)
            .field("result", &self.result)
            .field("effect", &self.effect)
            .finish()
    }
}

/// The callee of a `call_assembler_*`: a portal invocation made from
/// compiled code (PyPy's call_assembler for recursive or never-inlined
/// guest calls).
///
/// The backend contract is deliberately narrow: `call_assembler_K(a0, ...,
/// an, descr=d)` stores its arguments as raw words into an array and calls
/// `d.helper` (an `extern "C" fn(*const AssemblerDescr, *const u64) -> u64`)
/// with the descr and the array; the result word is the op's value (ignored
/// for `_n`). The IR interpreter calls `d.invoke` the same way. What the
/// helper does — find the driver, run the callee portal, check the result's
/// shape — is the framework's business (`warmstate::assembler`), so
/// backends never see frames or green keys.
pub struct AssemblerDescr {
    /// Printed after `<Assembler{k} `: one word, no spaces.
    pub name: &'static str,
    /// Argument kinds, in order: the callee portal's greens and reds.
    pub args: &'static [Kind],
    /// Result kind: the callee portal's return kind (`Void` for `call_assembler_n`).
    pub result: Kind,
    /// Address of the `extern "C"` helper native code calls.
    pub helper: usize,
    /// The same helper for the IR interpreter.
    pub invoke: fn(&AssemblerDescr, &[u64]) -> u64,
    /// Where a native backend may call the callee's code directly (PyPy's
    /// `call_assembler` fast path); kept up to date by the framework.
    pub target: &'static AsmTarget,
    /// After a direct call left the callee through another exit than
    /// `target.fast`: the exit's guard and dead-frame words; returns the
    /// call's result word (the framework resumes the callee, or stashes a
    /// result of another shape for `guard_not_forced`). Native code
    /// reaches it through `backend::assembler_exit_trampoline`.
    pub exit: fn(&AssemblerDescr, GuardId, &[u64]) -> u64,
    /// Framework-private: which call site this is, and which driver made
    /// it (the helper checks it runs under that driver).
    pub site: usize,
    /// Framework-private: the id of the driver that made the descr.
    pub owner: usize,
}

/// A `call_assembler` site's direct-call target. Native code reads both
/// fields at every call; the framework writes them between calls.
#[derive(Debug)]
pub struct AsmTarget {
    /// Native entry address of the callee's compiled entry trace (0: none
    /// known — call the helper). Cleared whenever compiled code changes.
    pub entry: std::sync::atomic::AtomicUsize,
    /// The callee's `finish`es whose result word goes back to the caller
    /// as it is (`u32::MAX`: none known yet). Two: a function's entry
    /// trace and its first bridge usually return through one each.
    pub fast: [std::sync::atomic::AtomicU32; 2],
}

impl AsmTarget {
    /// A target with no known entry and no known fast exits.
    pub const fn new() -> AsmTarget {
        AsmTarget {
            entry: std::sync::atomic::AtomicUsize::new(0),
            fast: [
                std::sync::atomic::AtomicU32::new(u32::MAX),
                std::sync::atomic::AtomicU32::new(u32::MAX),
            ],
        }
    }

    /// Forgets the target (its code may be freed or replaced).
    pub fn clear(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        self.entry.store(0, Relaxed);
        for f in &self.fast {
            f.store(u32::MAX, Relaxed);
        }
    }
}

impl Default for AsmTarget {
    fn default() -> Self {
        AsmTarget::new()
    }
}

impl fmt::Debug for AssemblerDescr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssemblerDescr")
            .field("name", &self.name)
            .field("args", &self.args)
            .field("result", &self.result)
            .finish()
    }
}

/// Identity of a guard inside the JIT (printed `<Guard7>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuardId(pub u32);

/// Identity of a loop label (printed `TargetToken(3)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetToken(pub u32);

/// The `descr=` of an op.
#[derive(Clone, Copy, Debug)]
pub enum Descr {
    /// A field of a struct: `getfield_gc_*`, `setfield_gc`, quasi-immutable reads.
    Field(&'static FieldDescr),
    /// An array type: `getarrayitem_gc_*`, `setarrayitem_gc`, `arraylen_gc`, `new_array`.
    Array(&'static ArrayDescr),
    /// A struct type: `new`, `new_with_vtable`.
    Size(&'static SizeDescr),
    /// A residual callee: `call_*`, `call_pure_*`, `call_may_force_*`.
    Call(&'static CallDescr),
    /// A portal callee: `call_assembler_*`.
    Assembler(&'static AssemblerDescr),
    /// A guard's identity (every guard carries one).
    Guard(GuardId),
    /// A loop label's identity: the `descr=` of `label` and `jump`.
    Target(TargetToken),
}

impl PartialEq for Descr {
    fn eq(&self, other: &Descr) -> bool {
        use Descr::*;
        match (self, other) {
            (Field(a), Field(b)) => std::ptr::eq(*a, *b),
            (Array(a), Array(b)) => std::ptr::eq(*a, *b),
            (Size(a), Size(b)) => std::ptr::eq(*a, *b),
            (Call(a), Call(b)) => std::ptr::eq(*a, *b),
            (Assembler(a), Assembler(b)) => std::ptr::eq(*a, *b),
            (Guard(a), Guard(b)) => a == b,
            (Target(a), Target(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Descr {}

impl Descr {
    /// The printable name used after `descr=` for named descriptors.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            Descr::Field(d) => Some(d.name),
            Descr::Array(d) => Some(d.name),
            Descr::Size(d) => Some(d.name),
            Descr::Call(d) => Some(d.name),
            Descr::Assembler(d) => Some(d.name),
            Descr::Guard(_) | Descr::Target(_) => None,
        }
    }
    /// The field descr, if this is one.
    pub fn as_field(&self) -> Option<&'static FieldDescr> {
        match self {
            Descr::Field(d) => Some(d),
            _ => None,
        }
    }
    /// The array descr, if this is one.
    pub fn as_array(&self) -> Option<&'static ArrayDescr> {
        match self {
            Descr::Array(d) => Some(d),
            _ => None,
        }
    }
    /// The size descr, if this is one.
    pub fn as_size(&self) -> Option<&'static SizeDescr> {
        match self {
            Descr::Size(d) => Some(d),
            _ => None,
        }
    }
    /// The call descr, if this is one.
    pub fn as_call(&self) -> Option<&'static CallDescr> {
        match self {
            Descr::Call(d) => Some(d),
            _ => None,
        }
    }
    /// The assembler descr, if this is one.
    pub fn as_assembler(&self) -> Option<&'static AssemblerDescr> {
        match self {
            Descr::Assembler(d) => Some(d),
            _ => None,
        }
    }
    /// The guard id, if this is a guard descr.
    pub fn as_guard(&self) -> Option<GuardId> {
        match self {
            Descr::Guard(g) => Some(*g),
            _ => None,
        }
    }
    /// The target token, if this is a label / jump descr.
    pub fn as_target(&self) -> Option<TargetToken> {
        match self {
            Descr::Target(t) => Some(*t),
            _ => None,
        }
    }
}

/// Name → descriptor namespace used by the text parser (PyPy's optimizer
/// tests resolve `descr=xdescr` against a namespace the same way).
#[derive(Default, Clone, Debug)]
pub struct DescrTable {
    map: hashbrown::HashMap<&'static str, Descr>,
}

impl DescrTable {
    /// An empty namespace.
    pub fn new() -> DescrTable {
        DescrTable::default()
    }
    /// Adds a named descriptor; guard and target descrs are ignored (the
    /// parser builds those from their numbers).
    pub fn add(&mut self, d: Descr) -> &mut Self {
        if let Some(name) = d.name() {
            self.map.insert(name, d);
        }
        self
    }
    /// The descriptor registered under `name`, if any.
    pub fn get(&self, name: &str) -> Option<Descr> {
        self.map.get(name).copied()
    }
    /// Every named descriptor used by a trace, so it can be printed and read back.
    pub fn from_trace(trace: &super::Trace) -> DescrTable {
        let mut t = DescrTable::new();
        for op in &trace.ops {
            if let Some(d) = op.descr {
                t.add(d);
            }
        }
        t
    }
}

// Descriptors are singletons: equal means the same descriptor.
macro_rules! identity_eq {
    ($($t:ty),*) => {$(
        impl PartialEq for $t {
            fn eq(&self, other: &$t) -> bool {
                std::ptr::eq(self, other)
            }
        }
    )*};
}
identity_eq!(FieldDescr, ArrayDescr, SizeDescr, CallDescr, AssemblerDescr);
