//! minirb's bytecode: a stack machine whose depth at each pc is fixed at
//! compile time, so the frame's shape is a function of the green key
//! `(code, pc)`.
//!
//! Owns: [`Op`], [`Code`] (instructions, constants, line table, locals)
//! and the process-wide code table.

use metatrace::heap::roots::Handle;
use metatrace::heap::GcRef;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Nil,
    True,
    False,
    SelfV,
    /// Push constant `consts[i]` (ints, floats, symbols).
    Lit(usize),
    /// Push a new String copied from `consts[i]`.
    Str(usize),
    GetLocal(usize),
    /// Pops into a local.
    SetLocal(usize),
    Pop,
    Dup,
    /// `recv.sym(args)`: pops argc args and the receiver.
    Send(usize, usize),
    /// `sym(args)` on self (functional call): pops argc args and self.
    FCall(usize, usize),
    Jump(usize),
    JumpIf(usize),
    JumpIfNot(usize),
    /// Pops n items into an Array.
    MakeArray(usize),
    /// Pops 2n items into a Hash.
    MakeHash(usize),
    /// Pops lo, hi into a Range (exclusive if true).
    MakeRange(bool),
    /// Pops n pieces, pushes the String of their `to_s`.
    Interp(usize),
    /// Defines method `sym` with code `c` (pops nothing, pushes the symbol).
    Def(usize, usize),
    Return,
}

/// One compiled scope (the main program or a method body).
pub struct Code {
    pub name: String,
    pub filename: String,
    pub ops: Vec<Op>,
    pub lines: Vec<usize>,
    pub consts: Vec<GcRef>,
    pub nlocals: usize,
    /// Required / optional parameter counts; optional defaults start at
    /// `opt_entry[k]` when `k` optional arguments were given.
    pub nreq: usize,
    pub nopt: usize,
    pub opt_entry: Vec<usize>,
    pub rest: Option<usize>,
    pub _keep: Vec<Handle>,
}

thread_local! {
    static CODES: RefCell<Vec<Rc<Code>>> = const { RefCell::new(Vec::new()) };
}

pub fn add_code(c: Code) -> usize {
    CODES.with(|t| {
        let mut t = t.borrow_mut();
        t.push(Rc::new(c));
        t.len() - 1
    })
}
pub fn code(i: usize) -> Rc<Code> {
    CODES.with(|t| t.borrow()[i].clone())
}
