//! minipy's bytecode: a stack machine close to CPython's, with a static
//! exception table (so the value-stack depth at every pc is a function of
//! the green key (code, pc), as the JIT driver requires).
//!
//! Owns: `Instr`, `Code` (instructions, line table, constants, names,
//! local-slot layout, exception table), and the process-wide code table
//! (`code(id)`), which the interpreter indexes with the green code id.

use metatrace::heap::GcRef;
use std::cell::RefCell;
use std::rc::Rc;

/// Binary operators (also used by augmented assignment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    TrueDiv,
    FloorDiv,
    Mod,
    Pow,
    LShift,
    RShift,
    And,
    Or,
    Xor,
    MatMul,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Eq,
    Ne,
    Gt,
    Ge,
    Is,
    IsNot,
    In,
    NotIn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Pos,
    Not,
    Invert,
}

/// One instruction. Jump targets are absolute pcs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instr {
    LoadConst(u32),
    LoadFast(u32),
    StoreFast(u32),
    DeleteFast(u32),
    /// Local slot holds a cell: read / write its content.
    LoadDeref(u32),
    StoreDeref(u32),
    /// Push the cell object in a local slot (to build closures).
    LoadCell(u32),
    LoadGlobal(u32),
    StoreGlobal(u32),
    DeleteGlobal(u32),
    /// Class bodies: namespace dict in local slot 0, fallback to globals.
    LoadName(u32),
    StoreName(u32),
    LoadAttr(u32),
    StoreAttr(u32),
    DeleteAttr(u32),
    Subscr,
    StoreSubscr,
    DeleteSubscr,
    Binary(BinOp),
    Inplace(BinOp),
    Unary(UnOp),
    Compare(CmpOp),
    Jump(u32),
    PopJumpIfFalse(u32),
    PopJumpIfTrue(u32),
    JumpIfFalseOrPop(u32),
    JumpIfTrueOrPop(u32),
    GetIter,
    /// Push the next item, or pop the iterator and jump when exhausted.
    ForIter(u32),
    BuildList(u32),
    BuildTuple(u32),
    BuildSet(u32),
    /// A display of n > 2 constants: CPython folds it into a frozenset
    /// constant (built twice: from the items, then again from that set's
    /// order by the constant merger) that `SET_UPDATE` copies into a new
    /// set; element order follows that path.
    BuildConstSet(u32),
    /// n key/value pairs.
    BuildDict(u32),
    BuildSlice(u32),
    /// Append TOS to the list `n` deep (comprehensions).
    ListAppend(u32),
    SetAdd(u32),
    /// TOS1 key, TOS value; dict `n` deep.
    MapAdd(u32),
    /// Concatenate n strs (f-strings).
    BuildString(u32),
    /// conv: 0 none, 1 str, 2 repr; with spec: TOS is the spec.
    FormatValue(u8, bool),
    UnpackSequence(u32),
    /// before, after a starred target.
    UnpackEx(u16, u16),
    /// Positional argument count.
    Call(u32),
    /// Positional count, keyword count, constant index of the keyword-name tuple.
    CallKw(u16, u16, u32),
    /// Stack: callable, args tuple, kwargs dict (or None).
    CallEx,
    /// Code id; flags: 1 defaults tuple, 2 kw-defaults dict, 4 closure tuple.
    MakeFunction(u32, u8),
    /// name constant: stack has the class-body function and the bases tuple.
    /// Pops bases (a tuple) and the body function, plus the `metaclass=`
    /// value first when the flag says there is one.
    BuildClass(u32, bool),
    Return,
    Pop,
    Dup,
    Dup2,
    Rot2,
    Rot3,
    /// 0: re-raise TOS (bare raise inside a handler); 1: raise TOS;
    /// 2: raise TOS1 from TOS.
    Raise(u8),
    /// TOS exc, TOS1 type: push bool (does the exception match).
    ExcMatch,
    /// Import module named by constant; push module.
    Import(u32),
    /// TOS module: push its attribute (name constant).
    ImportFrom(u32),
    /// `from m import *` for TOS module.
    ImportStar,
    /// Yield TOS; the sent value (None) is pushed on resume.
    Yield,
    /// `assert` failure with (1) or without (0) message on TOS.
    AssertFail(u8),
    /// Pop TOS onto the VM's handled-exception stack (an except or
    /// finally handler starts).
    PushExc,
    /// Pop the handled-exception stack (the handler is left).
    PopExc,
    /// TOS context manager: push its bound `__exit__`, then the result of
    /// calling its `__enter__`.
    WithEnter,
    /// Replace TOS by its type.
    TypeOf,
    Nop,
}

/// An exception-table entry: pcs in [start, end) jump to `handler` with the
/// value stack cut to `depth` and the exception pushed.
#[derive(Clone, Copy, Debug)]
pub struct Handler {
    pub start: u32,
    pub end: u32,
    pub handler: u32,
    pub depth: u32,
}

/// A compiled function, module or class body.
#[derive(Debug, Default)]
pub struct Code {
    pub name: String,
    /// Module id (index into the VM's module table) whose globals it uses.
    pub module: usize,
    /// Number of positional defaults (fixed per `def`).
    pub ndefaults: usize,
    pub filename: Rc<str>,
    pub instrs: Vec<Instr>,
    pub lines: Vec<u32>,
    /// Constants, rooted (see `objects::keep`).
    pub consts: Vec<GcRef>,
    /// Names (attributes, globals) as interned str objects and as text.
    pub names: Vec<GcRef>,
    pub name_strs: Vec<String>,
    /// Number of local slots.
    pub nlocals: usize,
    /// Names of the locals (parameters first).
    pub local_names: Vec<String>,
    /// Positional parameters (incl. positional-only) count.
    pub argcount: usize,
    pub kwonlycount: usize,
    pub has_varargs: bool,
    pub has_varkw: bool,
    /// Slots that hold cells created at entry (captured locals).
    pub cell_slots: Vec<u32>,
    /// Slots filled from the closure tuple at entry, in order.
    pub free_slots: Vec<u32>,
    pub handlers: Vec<Handler>,
    pub is_generator: bool,
    /// Module/class body (no function frame).
    pub is_module: bool,
    /// Static value-stack depth at each pc (computed after compilation).
    pub depth: Vec<u32>,
    /// Room to reserve for the value stack of a frame (the largest static
    /// depth plus what one instruction pushes beyond it).
    pub max_depth: usize,
    /// Filled in by the compiler: source lines for tracebacks.
    pub source: Rc<Vec<String>>,
}

impl Code {
    /// Innermost handler covering `pc`.
    pub fn handler_for(&self, pc: usize) -> Option<Handler> {
        self.handlers
            .iter()
            .filter(|h| (h.start as usize) <= pc && pc < h.end as usize)
            .min_by_key(|h| h.end - h.start)
            .copied()
    }
}

thread_local! {
    static CODES: RefCell<Vec<Rc<Code>>> = const { RefCell::new(Vec::new()) };
}

/// Registers a code object; returns its id (the green).
pub fn add_code(c: Code) -> usize {
    CODES.with(|t| {
        let mut t = t.borrow_mut();
        t.push(Rc::new(c));
        t.len() - 1
    })
}

/// Replaces a code object registered earlier (the compiler reserves ids).
pub fn set_code(id: usize, c: Code) {
    CODES.with(|t| t.borrow_mut()[id] = Rc::new(c));
}

pub fn code(id: usize) -> Rc<Code> {
    CODES.with(|t| t.borrow()[id].clone())
}
