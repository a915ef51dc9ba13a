//! The trace IR, in PyPy's vocabulary (DESIGN §5).
//!
//! Owns: value kinds, variables and constants (`Operand`), operations
//! (`Op`), whole traces (`Trace`), and — in submodules — the opcode table,
//! descriptors, the jit-log-opt text printer and parser, and the verifier.
//!
//! A trace is linear: input arguments, then ops; guards leave it, `jump`
//! loops back to a `label` (of this or another loop), `finish` leaves it
//! for good. Every variable is defined once (SSA); its kind is recorded in
//! `Trace::kinds`. Runtime values travel as raw 64-bit words (`u64`): ints
//! as two's complement, floats as IEEE bits, refs as addresses — the form
//! every backend and the dead frame use.

pub mod descr;
pub mod eval;
pub mod opcode;
pub mod parse;
pub mod print;
pub mod verify;

pub use descr::{
    ArrayDescr, ArrayInfo, AsmTarget, AssemblerDescr, CallDescr, Descr, DescrTable, EffectInfo,
    FieldDescr, FieldInfo, GuardId, SizeDescr, TargetToken, Verdict,
};
pub use opcode::{Family, OpNum};

use smallvec::SmallVec;
use std::fmt;

/// The three value kinds of the IR, plus `Void` for ops without a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A machine integer (`i64`, two's complement); variables print as `i0`, `i1`, ...
    Int,
    /// A double (`f64`, carried as its IEEE bits); variables print as `f0`, ...
    Float,
    /// A GC reference (an object address, 0 is null); variables print as `p0`, ...
    Ref,
    /// No value: the result kind of ops such as `setfield_gc` or guards.
    Void,
}

impl Kind {
    /// PyPy's variable prefix: `i`, `f`, `p` (and `v` for void, never printed).
    pub fn prefix(self) -> char {
        match self {
            Kind::Int => 'i',
            Kind::Float => 'f',
            Kind::Ref => 'p',
            Kind::Void => 'v',
        }
    }
}

/// A trace variable (an input argument or an op result).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(pub u32);

impl Var {
    /// The variable's number, as an index into [`Trace::kinds`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An op operand: a variable or a constant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    /// A trace variable (an input argument or an earlier op's result).
    Var(Var),
    /// An integer constant.
    ConstInt(i64),
    /// IEEE bits of the float (so NaN constants compare and hash sanely).
    ConstFloat(u64),
    /// A GC reference (address; 0 is null).
    ConstPtr(usize),
}

impl Operand {
    /// A float constant, stored as its IEEE bits.
    pub fn float(v: f64) -> Operand {
        Operand::ConstFloat(v.to_bits())
    }
    /// Whether this operand is a constant (any kind) rather than a variable.
    pub fn is_const(&self) -> bool {
        !matches!(self, Operand::Var(_))
    }
    /// The variable, if this operand is one.
    pub fn as_var(&self) -> Option<Var> {
        match self {
            Operand::Var(v) => Some(*v),
            _ => None,
        }
    }
    /// The constant's raw bits, if this is a constant.
    pub fn const_bits(&self) -> Option<u64> {
        match *self {
            Operand::Var(_) => None,
            Operand::ConstInt(v) => Some(v as u64),
            Operand::ConstFloat(b) => Some(b),
            Operand::ConstPtr(p) => Some(p as u64),
        }
    }
    /// The value of an integer constant; `None` for variables and other kinds.
    pub fn const_int(&self) -> Option<i64> {
        match *self {
            Operand::ConstInt(v) => Some(v),
            _ => None,
        }
    }
    /// A constant of the given kind from raw bits.
    pub fn from_bits(kind: Kind, bits: u64) -> Operand {
        match kind {
            Kind::Int | Kind::Void => Operand::ConstInt(bits as i64),
            Kind::Float => Operand::ConstFloat(bits),
            Kind::Ref => Operand::ConstPtr(bits as usize),
        }
    }
}

impl From<Var> for Operand {
    fn from(v: Var) -> Operand {
        Operand::Var(v)
    }
}

/// One IR operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Op {
    /// Which operation this is.
    pub opnum: OpNum,
    /// The arguments, in the opcode's order (see `OpNum::arity`).
    pub args: SmallVec<[Operand; 3]>,
    /// The result variable, for ops whose `result_kind` is not `Void`.
    pub res: Option<Var>,
    /// The op's descriptor: field/array/size/call/assembler descr, the guard
    /// id of a guard (and of a `finish`, naming the exit), or the target
    /// token of a `label` / `jump`.
    pub descr: Option<Descr>,
    /// Guards only: values stored into the dead frame when the guard fails,
    /// in the order the resume data expects them.
    pub fail_args: Option<Vec<Operand>>,
    /// Free text: the printable location of a `debug_merge_point`.
    pub comment: Option<Box<str>>,
    /// Guards only: objects the optimizer removed (virtuals) that this
    /// guard's resume data needs; see [`VirtualInfo`].
    pub virtuals: Option<Box<[VirtualInfo]>>,
    /// Guards only: stores the optimizer delayed past this guard (PyPy's
    /// pending fields); see [`PendingWrite`].
    pub pending: Option<Box<[PendingWrite]>>,
}

/// A store the optimizer kept pending across a guard (the heap pass's
/// lazy stores): when the guard fails, resume performs it — in list
/// order, after materializing the guard's virtuals (a value may be one),
/// before the interpreter runs — and a bridge out of the guard performs
/// it at its start. Object, index and value are fail args (by index;
/// constants are appended as constant fail args).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PendingWrite {
    /// The object (or array) written.
    pub target: u32,
    /// Arrays only: the index.
    pub index: Option<u32>,
    /// `Descr::Field` or `Descr::Array`.
    pub descr: Descr,
    /// Index of the fail arg holding the value stored.
    pub value: u32,
}

/// How a guard describes a virtual (an allocation the optimizer removed)
/// so resume can materialize it. The guard's fail arg at `slot` holds a
/// placeholder (`ConstPtr(null)`); each field's value is the fail arg at the
/// given index (fail args may be appended past the recorder's layout for
/// this). Resume allocates every virtual of the guard first, writes the
/// references into their slots, then fills the fields — so virtuals may
/// point to each other, cycles included.
///
/// One object may sit in several places of the recorder's layout (a box
/// in a local and on the value stack): `also` lists the other slots that
/// hold the *same* object, so resume writes one reference into all of
/// them instead of building two objects where there was one.
#[derive(Clone, Debug, PartialEq)]
pub struct VirtualInfo {
    /// Index of the fail arg that holds the placeholder for this virtual.
    pub slot: u32,
    /// Further placeholder slots that receive the same reference.
    pub also: Vec<u32>,
    /// What resume allocates: a struct of a size descr or an array of a constant length.
    pub alloc: VirtualAlloc,
    /// (what is written, index of the fail arg holding the value).
    pub fields: Vec<(VirtualField, u32)>,
}

impl VirtualInfo {
    /// Every fail-arg slot that holds this object: `slot`, then `also`.
    pub fn slots(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.slot).chain(self.also.iter().copied())
    }
}

/// The allocation a [`VirtualInfo`] describes: what resume builds before
/// filling the fields.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VirtualAlloc {
    /// `new` / `new_with_vtable`.
    Struct(&'static SizeDescr),
    /// `new_array` of a constant length.
    Array(&'static ArrayDescr, i64),
}

/// Where one field of a virtual is written when resume fills it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum VirtualField {
    /// A struct field, written as `setfield_gc` would.
    Field(&'static FieldDescr),
    /// An array item at this constant index, written as `setarrayitem_gc` would.
    Item(i64),
}

impl Op {
    /// An op with no fail args, comment, virtuals or pending writes. `res`
    /// must be set exactly when the opcode has a non-void result kind (the
    /// verifier checks it); [`Trace::push`] allocates it for you.
    pub fn new(opnum: OpNum, args: &[Operand], res: Option<Var>, descr: Option<Descr>) -> Op {
        Op {
            opnum,
            args: SmallVec::from_slice(args),
            res,
            descr,
            fail_args: None,
            comment: None,
            virtuals: None,
            pending: None,
        }
    }
    /// The guard's id, if this op's descr is a guard descr.
    pub fn guard_id(&self) -> Option<GuardId> {
        self.descr.and_then(|d| d.as_guard())
    }
}

/// A linear trace: a loop (ends in `jump`), a bridge (starts at a guard), or
/// an entry trace (ends in `finish`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    /// The input arguments: live variables on entry (the reds, for a loop;
    /// the guard's fail args, for a bridge).
    pub inputargs: Vec<Var>,
    /// The operations, in execution order.
    pub ops: Vec<Op>,
    /// Kind of every variable, indexed by `Var`.
    pub kinds: Vec<Kind>,
}

impl Trace {
    /// An empty trace (no input arguments, no ops, no variables).
    pub fn new() -> Trace {
        Trace::default()
    }
    /// A fresh variable of `kind`.
    pub fn new_var(&mut self, kind: Kind) -> Var {
        let v = Var(self.kinds.len() as u32);
        self.kinds.push(kind);
        v
    }
    /// A fresh variable of `kind`, appended to the input arguments.
    pub fn new_inputarg(&mut self, kind: Kind) -> Var {
        let v = self.new_var(kind);
        self.inputargs.push(v);
        v
    }
    /// The kind of `v`. Panics if `v` is past the trace's last variable.
    pub fn kind(&self, v: Var) -> Kind {
        self.kinds[v.index()]
    }
    /// The kind of an operand: the variable's recorded kind, or the constant's own.
    pub fn operand_kind(&self, o: &Operand) -> Kind {
        match o {
            Operand::Var(v) => self.kind(*v),
            Operand::ConstInt(_) => Kind::Int,
            Operand::ConstFloat(_) => Kind::Float,
            Operand::ConstPtr(_) => Kind::Ref,
        }
    }
    /// Appends an op, allocating its result variable; returns the result.
    pub fn push(&mut self, opnum: OpNum, args: &[Operand], descr: Option<Descr>) -> Option<Var> {
        let kind = opnum.result_kind();
        let res = (kind != Kind::Void).then(|| self.new_var(kind));
        self.ops.push(Op::new(opnum, args, res, descr));
        res
    }
    /// Number of ops that are not `debug_merge_point` (what logs call "ops").
    pub fn op_count(&self) -> usize {
        self.ops
            .iter()
            .filter(|o| o.opnum != OpNum::DebugMergePoint)
            .count()
    }
    /// The guard ops of the trace, in order.
    pub fn guards(&self) -> impl Iterator<Item = &Op> {
        self.ops.iter().filter(|o| o.opnum.is_guard())
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print::print_trace(self))
    }
}

/// A runtime value with its kind, for APIs where kinds are not implied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A GC reference (address; 0 is null).
    Ref(usize),
}

impl Value {
    /// The value as a raw 64-bit word (the form the backends and dead frames use).
    pub fn bits(self) -> u64 {
        match self {
            Value::Int(v) => v as u64,
            Value::Float(v) => v.to_bits(),
            Value::Ref(p) => p as u64,
        }
    }
    /// A value of `kind` from a raw word (the inverse of [`Value::bits`]);
    /// `Void` reads as an `Int`.
    pub fn from_bits(kind: Kind, bits: u64) -> Value {
        match kind {
            Kind::Int | Kind::Void => Value::Int(bits as i64),
            Kind::Float => Value::Float(f64::from_bits(bits)),
            Kind::Ref => Value::Ref(bits as usize),
        }
    }
    /// The value's kind (never `Void`).
    pub fn kind(self) -> Kind {
        match self {
            Value::Int(_) => Kind::Int,
            Value::Float(_) => Kind::Float,
            Value::Ref(_) => Kind::Ref,
        }
    }
}
