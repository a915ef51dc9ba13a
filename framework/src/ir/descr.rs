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

/// A field of a `#[repr(C)]` heap struct.
#[derive(Debug)]
pub struct FieldDescr {
    /// `Type.field`, unique in a process; printed in traces.
    pub name: &'static str,
    /// Byte offset from the object start (the header is at offset 0).
    pub offset: usize,
    /// Size in bytes: 1, 2, 4 or 8.
    pub size: u8,
    /// Sign-extend on load (for sizes below 8).
    pub signed: bool,
    pub kind: Kind,
    /// Never written after construction: reads are `getfield_gc_pure_*`.
    pub immutable: bool,
    /// Quasi-immutable (`x?` in RPython): read as a constant under
    /// `guard_not_invalidated`; writing it invalidates dependent loops.
    pub quasi_immutable: bool,
}

/// A heap array type: header, length word, then items.
#[derive(Debug)]
pub struct ArrayDescr {
    pub name: &'static str,
    /// Type id written into the header of new arrays.
    pub tid: u32,
    /// Offset of the length word (an `i64`).
    pub len_offset: usize,
    /// Offset of item 0.
    pub base_offset: usize,
    pub item_size: u8,
    pub signed: bool,
    pub kind: Kind,
}

/// Size and type id of a fixed-size heap struct, for `new` / `new_with_vtable`.
#[derive(Debug)]
pub struct SizeDescr {
    pub name: &'static str,
    pub tid: u32,
    pub size: usize,
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
    pub name: &'static str,
    /// Address of an `extern "C"` function (SysV / AAPCS64 ABI).
    pub addr: usize,
    pub args: &'static [Kind],
    pub result: Kind,
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

/// Identity of a guard inside the JIT (printed `<Guard7>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GuardId(pub u32);

/// Identity of a loop label (printed `TargetToken(3)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetToken(pub u32);

/// The `descr=` of an op.
#[derive(Clone, Copy, Debug)]
pub enum Descr {
    Field(&'static FieldDescr),
    Array(&'static ArrayDescr),
    Size(&'static SizeDescr),
    Call(&'static CallDescr),
    Guard(GuardId),
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
            Descr::Guard(_) | Descr::Target(_) => None,
        }
    }
    pub fn as_field(&self) -> Option<&'static FieldDescr> {
        match self {
            Descr::Field(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&'static ArrayDescr> {
        match self {
            Descr::Array(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_size(&self) -> Option<&'static SizeDescr> {
        match self {
            Descr::Size(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_call(&self) -> Option<&'static CallDescr> {
        match self {
            Descr::Call(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_guard(&self) -> Option<GuardId> {
        match self {
            Descr::Guard(g) => Some(*g),
            _ => None,
        }
    }
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
identity_eq!(FieldDescr, ArrayDescr, SizeDescr, CallDescr);
