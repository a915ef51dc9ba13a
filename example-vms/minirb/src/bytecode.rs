//! minirb's bytecode: a stack machine whose depth at each pc is fixed at
//! compile time, so the frame's shape is a function of the green key
//! `(code, pc)`.
//!
//! Owns: [`Op`], [`Site`] (call sites), [`Code`] (instructions, constants,
//! line table, parameters, exception handlers) and the process-wide code
//! table, plus each code's lexical class (`cref`), set when it runs.

use hashbrown::HashMap;
use metatrace::heap::GcRef;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Nil,
    True,
    False,
    SelfV,
    /// Push constant `consts[i]` (ints, floats, symbols, frozen strings).
    Lit(usize),
    /// Push a new String copied from `consts[i]`.
    Str(usize),
    GetLocal(usize),
    /// Pops into a local.
    SetLocal(usize),
    /// A variable in the environment `depth` levels out.
    GetEnv(usize, usize),
    SetEnv(usize, usize),
    GetIvar(usize),
    SetIvar(usize),
    GetGlobal(usize),
    SetGlobal(usize),
    GetCvar(usize),
    SetCvar(usize),
    /// Lexical constant lookup.
    GetConst(usize),
    /// `scope::NAME`: pops the scope.
    GetConstFrom(usize),
    /// Pops the value into constant `sym` of the lexical class.
    SetConst(usize),
    /// Pops scope, value: `scope::NAME = value`.
    SetConstFrom(usize),
    Pop,
    Dup,
    /// Swaps the two top values.
    Swap,
    /// Pushes a copy of the value `n` below the top.
    Over(usize),
    /// A call through `sites[i]`.
    Send(usize),
    /// `super` through `sites[i]` (`zsuper` sites carry the parameters).
    Super(usize),
    /// `yield` with n arguments (the last one splatted if true).
    Yield(usize, bool),
    Jump(usize),
    JumpIf(usize),
    JumpIfNot(usize),
    /// Jumps if the top is nil (not popping it).
    JumpIfNil(usize),
    /// Pops; pushes true when it is the "no argument" marker.
    IsUndef,
    /// Pops n items into an Array.
    MakeArray(usize),
    /// Pops v and appends it to the Array below.
    ArrayPush,
    /// Pops v (splatted) and appends its items to the Array below.
    ArrayConcat,
    /// Pops v; pushes `Array(v)` (a copy when it is already an Array).
    ToArray,
    /// Pops an Array; pushes `pre` items, then (if `rest`) the rest as an
    /// Array, then `post` items — the first item ends on top.
    Expand(usize, bool, usize),
    /// Pops 2n items into a Hash.
    MakeHash(usize),
    /// Pops lo, hi into a Range (exclusive if true).
    MakeRange(bool),
    /// Pops n pieces (already strings), pushes their concatenation.
    Concat(usize),
    /// Pops v; pushes `v.to_s` as a string (interpolation).
    ToS,
    /// Defines method `sym` with code `c` on the current definee; pushes the symbol.
    Def(usize, usize),
    /// Pops the object; defines a singleton method on it.
    DefS(usize, usize),
    /// `class NAME [< sup]`: pops the scope (or nil) and the superclass
    /// (or undef), runs body code `c` with self = the class.
    Class(usize, usize),
    /// `module NAME`: pops the scope (or nil); runs body code `c`.
    Module(usize, usize),
    /// `class << obj`: pops obj; runs body code `c` with its singleton.
    SClass(usize),
    /// A lambda literal `->(..) {..}` of block code `c`.
    Lambda(usize),
    /// Return from this frame.
    Return,
    /// `return` inside a block: leaves the method the block belongs to.
    ReturnNonLocal,
    /// `break` inside a block.
    Break,
    /// Pops an exception and raises it (re-raise after ensure).
    Raise,
    /// Pops n class values; the exception below them stays: pushes
    /// whether it is an instance of any of them (splatted arrays too).
    ExcMatch(usize),
    /// Pushes `block_given?`.
    BlockGiven,
    /// Pushes the frame's block as a Proc (or nil): `&blk` parameters.
    BlockArg,
    /// `defined?(...)`: pushes the string `consts[i]` if the value on top
    /// (popped) is not undef, else nil.
    Defined(usize),
}

/// What a call site passes.
#[derive(Clone, Debug)]
pub struct Site {
    pub sym: usize,
    pub argc: usize,
    /// The arguments are one Array on the stack to spread.
    pub splat: bool,
    /// The last argument is a keywords Hash.
    pub kw: bool,
    /// A block literal (code id).
    pub blk: Option<usize>,
    /// A `&expr` value is on top of the arguments.
    pub blk_arg: bool,
    /// No explicit receiver (private methods allowed).
    pub fcall: bool,
    /// `recv&.m`.
    pub safe: bool,
    /// `super` without arguments: pass the current block as well.
    pub zsuper: bool,
}

/// Where a variable lives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Slot {
    Local(usize),
    Env(usize),
}

/// An exception handler: raises at pc in `[start, end)` jump to `target`
/// with the stack cut to `depth` and the exception pushed.
#[derive(Clone, Copy, Debug)]
pub struct Handler {
    pub start: usize,
    pub end: usize,
    pub target: usize,
    pub depth: usize,
}

/// A parameter list.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub req: Vec<Slot>,
    pub opt: Vec<Slot>,
    pub rest: Option<Slot>,
    pub post: Vec<Slot>,
    /// Keyword parameters: (name symbol, slot, required).
    pub kw: Vec<(usize, Slot, bool)>,
    pub kwrest: Option<Slot>,
    pub block: Option<Slot>,
    /// A block with a single `|a|` parameter (no auto-splat) or `|a,|`.
    pub arity_one: bool,
}

/// One compiled scope (the main program, a method, a block, a class body).
pub struct Code {
    pub name: String,
    pub filename: String,
    pub ops: Vec<Op>,
    pub lines: Vec<usize>,
    pub consts: Vec<GcRef>,
    pub sites: Vec<Site>,
    pub handlers: Vec<Handler>,
    pub nlocals: usize,
    /// Environment slots (0 = none); slot 0 of an env is its parent.
    pub nenv: usize,
    pub params: Params,
    pub is_block: bool,
    /// The enclosing code (blocks: for `cref` and the method name).
    pub parent: Option<usize>,
    /// A nested block says `return`: method frames make a home tag.
    pub needs_home: bool,
    /// Names of the method's own parameters, for `zsuper`.
    pub method_name: String,
}

thread_local! {
    static CODES: RefCell<Vec<Rc<Code>>> = const { RefCell::new(Vec::new()) };
    static CREF: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
    static OWNER: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
}

pub fn add_code(c: Code) -> usize {
    CODES.with(|t| {
        let mut t = t.borrow_mut();
        t.push(Rc::new(c));
        t.len() - 1
    })
}
/// Reserves a code id (for a scope whose nested codes need its id).
pub fn reserve_code() -> usize {
    add_code(Code {
        name: String::new(),
        filename: String::new(),
        ops: Vec::new(),
        lines: Vec::new(),
        consts: Vec::new(),
        sites: Vec::new(),
        handlers: Vec::new(),
        nlocals: 0,
        nenv: 0,
        params: Params::default(),
        is_block: false,
        parent: None,
        needs_home: false,
        method_name: String::new(),
    })
}
pub fn set_code(i: usize, c: Code) {
    CODES.with(|t| t.borrow_mut()[i] = Rc::new(c));
}
pub fn code(i: usize) -> Rc<Code> {
    CODES.with(|t| t.borrow()[i].clone())
}
pub fn shutdown() {
    let c = CODES.with(|t| std::mem::take(&mut *t.borrow_mut()));
    std::mem::forget(c);
}

/// The lexical class of code `c`.
pub fn cref(c: usize) -> usize {
    let mut k = c;
    loop {
        if let Some(v) = CREF.with(|m| m.borrow().get(&k).copied()) {
            return v;
        }
        match code(k).parent {
            Some(p) => k = p,
            None => return crate::objects::cls::OBJECT,
        }
    }
}
pub fn set_cref(c: usize, cls: usize) {
    CREF.with(|m| m.borrow_mut().insert(c, cls));
}
/// The class a method code was defined in (for `super`).
pub fn owner(c: usize) -> Option<usize> {
    let mut k = c;
    loop {
        if let Some(v) = OWNER.with(|m| m.borrow().get(&k).copied()) {
            return Some(v);
        }
        let cd = code(k);
        if !cd.is_block {
            return None;
        }
        k = cd.parent?;
    }
}
pub fn set_owner(c: usize, cls: usize) {
    OWNER.with(|m| m.borrow_mut().insert(c, cls));
}
/// The method code a (block) code belongs to.
pub fn method_code(c: usize) -> usize {
    let mut k = c;
    loop {
        let cd = code(k);
        if !cd.is_block {
            return k;
        }
        match cd.parent {
            Some(p) => k = p,
            None => return k,
        }
    }
}
