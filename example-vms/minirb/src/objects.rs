//! The guest object layout: every Ruby value is a `GcRef` to one of the
//! `gc_struct!` types below, so traces see field reads and writes and
//! allocation removal can make `Integer` and `Float` boxes virtual.
//!
//! Owns: the struct declarations, plain (non-traced) constructors and
//! accessors used by residual helpers, symbols, the singletons (`nil`,
//! `true`, `false`, the "undefined" marker), the class table (classes,
//! modules, singleton classes, method tables, constants) and the maps
//! (hidden classes) of instance variables.
//!
//! Rust-side tables keep their references alive through
//! `heap::roots::Handle`s. At exit the whole space is leaked on purpose
//! (`shutdown`): the heap's own thread-local may already be gone when
//! thread-local destructors run.

use hashbrown::HashMap;
use metatrace::heap::roots::Handle;
use metatrace::heap::{self, GcRef, BYTE_ARRAY, REF_ARRAY};
use num_bigint::BigInt;
use std::cell::RefCell;

metatrace::gc_struct! {
    /// An `Integer` that fits in i64.
    pub struct IntObj as int_obj { #[immutable] v: i64 }
}
metatrace::gc_struct! {
    /// An `Integer` outside i64: its decimal digits (with sign) in a byte array.
    pub struct BigObj as big_obj { #[immutable] digits: GcRef }
}
metatrace::gc_struct! {
    /// A `Float`.
    pub struct FloatObj as float_obj { #[immutable] v: f64 }
}
metatrace::gc_struct! {
    /// `nil` (one singleton).
    pub struct NilObj as nil_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// `true` (one singleton).
    pub struct TrueObj as true_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// `false` (one singleton).
    pub struct FalseObj as false_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// The marker of a parameter that got no argument (never a guest value).
    pub struct UndefObj as undef_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// A mutable `String`: its UTF-8 bytes, exactly sized (`<<` replaces
    /// them; byte arrays are never written in place once a string holds
    /// them). `ascii` caches whether `ascii_key`'s bytes are all ASCII (1)
    /// or not (2): valid while `ascii_key` is still `bytes`, like CRuby's
    /// code range, so indexing and `length` need not rescan the string.
    pub struct StrObj as str_obj { bytes: GcRef, frozen: i64, ascii_key: GcRef, ascii: i64 }
}
metatrace::gc_struct! {
    /// A `Symbol`: its index in the symbol table (one object per symbol).
    pub struct SymObj as sym_obj { #[immutable] id: i64 }
}
metatrace::gc_struct! {
    /// An `Array`: items in a `REF_ARRAY` with spare capacity, `len` used.
    pub struct ArrObj as arr_obj { items: GcRef, len: i64, frozen: i64 }
}
metatrace::gc_struct! {
    /// A `Hash`: insertion-ordered parallel key/value arrays (`Array`s; a
    /// deleted entry's key is the undef marker), an open-addressing index
    /// of entry numbers (`REF_ARRAY` of Integers, or nil while small),
    /// the default value and default proc.
    pub struct HashObj as hash_obj { keys: GcRef, vals: GcRef, count: i64, index: GcRef, default: GcRef, default_proc: GcRef, frozen: i64 }
}
metatrace::gc_struct! {
    /// A `Range` (`excl` is 1 for `...`).
    pub struct RangeObj as range_obj { #[immutable] lo: GcRef, #[immutable] hi: GcRef, #[immutable] excl: i64 }
}
metatrace::gc_struct! {
    /// An instance of a user class (or of Object, Exception, ...): its class
    /// id, its map (which instance variable is in which slot) and slots.
    pub struct ObjObj as obj_obj { cls: i64, map: i64, slots: GcRef, frozen: i64 }
}
metatrace::gc_struct! {
    /// A class or module: its index in the class table.
    pub struct ClassObj as class_obj { #[immutable] id: i64 }
}
metatrace::gc_struct! {
    /// A block, proc or lambda: its code, the `self` and environment it
    /// closes over, the block visible to `yield` inside it, the `home` tag
    /// of the method a `return` leaves, and flags (1 = lambda). A proc
    /// made by `&:sym` has code -1 and `sym` set.
    pub struct ProcObj as proc_obj {
        #[immutable] code: i64, #[immutable] self_: GcRef, #[immutable] env: GcRef,
        #[immutable] blk: GcRef, #[immutable] home: GcRef, lambda: i64, #[immutable] sym: i64,
    }
}
metatrace::gc_struct! {
    /// A non-local exit travelling as an exception: kind 0 = `break` (tag:
    /// the proc), 1 = `return` (tag: the method's home), 2 = `throw` (tag:
    /// the catch tag), with the value.
    pub struct CtlObj as ctl_obj { #[immutable] kind: i64, #[immutable] tag: GcRef, #[immutable] val: GcRef }
}
metatrace::gc_struct! {
    /// A home tag: one per method activation that has blocks with `return`.
    pub struct HomeObj as home_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// A `Method` object (`obj.method(:name)`).
    pub struct MethObj as meth_obj { #[immutable] recv: GcRef, #[immutable] sym: i64 }
}
metatrace::gc_struct! {
    /// How deep guest calls nest now (`SystemStackError`), in the heap so
    /// compiled code keeps it exact.
    pub struct DepthCell as depth_cell { value: i64 }
}
metatrace::gc_struct! {
    /// The version of the method tables and constants: quasi-immutable,
    /// so traces fold method lookups; any change bumps it.
    pub struct VersionCell as version_cell { #[quasi_immutable] v: i64 }
}

/// Type ids of the structs, for `class_of` matches.
pub mod tid {
    use super::*;
    pub const INT: u32 = int_obj::SIZE.tid;
    pub const BIG: u32 = big_obj::SIZE.tid;
    pub const FLOAT: u32 = float_obj::SIZE.tid;
    pub const NIL: u32 = nil_obj::SIZE.tid;
    pub const TRUE: u32 = true_obj::SIZE.tid;
    pub const FALSE: u32 = false_obj::SIZE.tid;
    pub const UNDEF: u32 = undef_obj::SIZE.tid;
    pub const STR: u32 = str_obj::SIZE.tid;
    pub const SYM: u32 = sym_obj::SIZE.tid;
    pub const ARR: u32 = arr_obj::SIZE.tid;
    pub const HASH: u32 = hash_obj::SIZE.tid;
    pub const RANGE: u32 = range_obj::SIZE.tid;
    pub const OBJ: u32 = obj_obj::SIZE.tid;
    pub const CLASS: u32 = class_obj::SIZE.tid;
    pub const PROC: u32 = proc_obj::SIZE.tid;
    pub const CTL: u32 = ctl_obj::SIZE.tid;
    pub const HOME: u32 = home_obj::SIZE.tid;
    pub const METH: u32 = meth_obj::SIZE.tid;
}

/// Visibility of a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vis {
    Public,
    Private,
    Protected,
}

/// What a method table entry runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Meth {
    /// A `def` (code id).
    Code(usize),
    /// `attr_reader` of this ivar symbol.
    Reader(usize),
    /// `attr_writer` of this ivar symbol.
    Writer(usize),
    /// `define_method` with this proc.
    Proc(GcRef),
    /// A builtin by name (an alias of one: the symbol it stands for).
    Builtin(usize),
    /// `undef_method` / `remove_method` marker.
    Undef,
}

pub struct Class {
    pub name: String,
    pub sup: Option<usize>,
    pub is_module: bool,
    pub methods: HashMap<usize, (Meth, Vis)>,
    pub consts: HashMap<usize, GcRef>,
    pub const_order: Vec<usize>,
    pub includes: Vec<usize>,
    pub extended: Vec<usize>,
    pub meta: Option<usize>,
    pub obj: GcRef,
    pub lexical_parent: Option<usize>,
    /// For singleton classes: the object they belong to.
    pub attached: Option<GcRef>,
    /// Class variables (`@@x`).
    pub cvars: HashMap<usize, GcRef>,
    /// Struct member names, for `Struct.new` classes.
    pub struct_members: Option<Vec<usize>>,
    /// How many instance-variable slots this class's instances have grown
    /// to: traced `new` allocates that many up front, so `initialize`'s
    /// `@x = ...` stores go straight into the slots.
    pub ivar_hint: usize,
}

/// An instance-variable map (hidden class).
pub struct Map {
    pub ivars: Vec<usize>,
    pub index: HashMap<usize, usize>,
    pub next: HashMap<usize, usize>,
}

/// A lookup result: the method, its visibility, the class it is in.
pub type Found = (Meth, Vis, usize);

struct Space {
    nil: GcRef,
    t: GcRef,
    f: GcRef,
    undef: GcRef,
    syms: Vec<String>,
    sym_objs: Vec<GcRef>,
    sym_ids: HashMap<String, usize>,
    handles: Vec<Handle>,
    classes: Vec<Class>,
    maps: Vec<Map>,
    lookup_cache: HashMap<(usize, usize), Option<Found>>,
    globals: HashMap<String, GcRef>,
}

thread_local! {
    static SPACE: RefCell<Option<Space>> = const { RefCell::new(None) };
}

/// Well-known class ids (created in this order by `init`).
pub mod cls {
    pub const BASIC_OBJECT: usize = 0;
    pub const OBJECT: usize = 1;
    pub const MODULE: usize = 2;
    pub const CLASS: usize = 3;
    pub const KERNEL: usize = 4;
    pub const COMPARABLE: usize = 5;
    pub const ENUMERABLE: usize = 6;
    pub const NIL: usize = 7;
    pub const TRUE: usize = 8;
    pub const FALSE: usize = 9;
    pub const NUMERIC: usize = 10;
    pub const INTEGER: usize = 11;
    pub const FLOAT: usize = 12;
    pub const STRING: usize = 13;
    pub const SYMBOL: usize = 14;
    pub const ARRAY: usize = 15;
    pub const HASH: usize = 16;
    pub const RANGE: usize = 17;
    pub const PROC: usize = 18;
    pub const EXCEPTION: usize = 19;
    pub const METHOD: usize = 20;
    pub const STANDARD_ERROR: usize = 21;
}

const BOOT: &[(&str, Option<usize>, bool)] = &[
    ("BasicObject", None, false),
    ("Object", Some(0), false),
    ("Module", Some(1), false),
    ("Class", Some(2), false),
    ("Kernel", None, true),
    ("Comparable", None, true),
    ("Enumerable", None, true),
    ("NilClass", Some(1), false),
    ("TrueClass", Some(1), false),
    ("FalseClass", Some(1), false),
    ("Numeric", Some(1), false),
    ("Integer", Some(10), false),
    ("Float", Some(10), false),
    ("String", Some(1), false),
    ("Symbol", Some(1), false),
    ("Array", Some(1), false),
    ("Hash", Some(1), false),
    ("Range", Some(1), false),
    ("Proc", Some(1), false),
    ("Exception", Some(1), false),
    ("Method", Some(1), false),
    ("StandardError", Some(19), false),
];

/// Exception classes below StandardError (name, superclass name).
const EXCEPTIONS: &[(&str, &str)] = &[
    ("ScriptError", "Exception"),
    ("NotImplementedError", "ScriptError"),
    ("LoadError", "ScriptError"),
    ("NoMemoryError", "Exception"),
    ("SecurityError", "Exception"),
    ("SystemExit", "Exception"),
    ("SystemStackError", "Exception"),
    ("SignalException", "Exception"),
    ("Interrupt", "SignalException"),
    ("ArgumentError", "StandardError"),
    ("UncaughtThrowError", "ArgumentError"),
    ("EncodingError", "StandardError"),
    ("FiberError", "StandardError"),
    ("IOError", "StandardError"),
    ("EOFError", "IOError"),
    ("IndexError", "StandardError"),
    ("KeyError", "IndexError"),
    ("StopIteration", "IndexError"),
    ("ClosedQueueError", "StopIteration"),
    ("LocalJumpError", "StandardError"),
    ("NameError", "StandardError"),
    ("NoMethodError", "NameError"),
    ("RangeError", "StandardError"),
    ("FloatDomainError", "RangeError"),
    ("RegexpError", "StandardError"),
    ("RuntimeError", "StandardError"),
    ("FrozenError", "RuntimeError"),
    ("SystemCallError", "StandardError"),
    ("ThreadError", "StandardError"),
    ("TypeError", "StandardError"),
    ("ZeroDivisionError", "StandardError"),
];

/// Creates the singletons and the core classes (once per thread).
pub fn init() {
    if SPACE.with(|s| s.borrow().is_some()) {
        return;
    }
    let nil = heap::new_struct(&nil_obj::SIZE);
    let t = heap::new_struct(&true_obj::SIZE);
    let f = heap::new_struct(&false_obj::SIZE);
    let undef = heap::new_struct(&undef_obj::SIZE);
    let handles = vec![
        Handle::new(nil),
        Handle::new(t),
        Handle::new(f),
        Handle::new(undef),
    ];
    SPACE.with(|s| {
        *s.borrow_mut() = Some(Space {
            nil,
            t,
            f,
            undef,
            syms: Vec::new(),
            sym_objs: Vec::new(),
            sym_ids: HashMap::new(),
            handles,
            classes: Vec::new(),
            maps: vec![Map {
                ivars: Vec::new(),
                index: HashMap::new(),
                next: HashMap::new(),
            }],
            lookup_cache: HashMap::new(),
            globals: HashMap::new(),
        })
    });
    for (name, sup, m) in BOOT {
        new_class(name, *sup, *m, None);
    }
    with(|s| {
        s.classes[cls::OBJECT].includes.push(cls::KERNEL);
        s.classes[cls::NUMERIC].includes.push(cls::COMPARABLE);
        s.classes[cls::STRING].includes.push(cls::COMPARABLE);
        s.classes[cls::ARRAY].includes.push(cls::ENUMERABLE);
        s.classes[cls::HASH].includes.push(cls::ENUMERABLE);
        s.classes[cls::RANGE].includes.push(cls::ENUMERABLE);
    });
    for (name, sup) in EXCEPTIONS {
        let sup = find_class(sup).expect("superclass booted first");
        new_class(name, Some(sup), false, None);
    }
    for m in ["Math", "Process", "GC", "ObjectSpace", "Signal"] {
        new_class(m, None, true, None);
    }
    for c in ["Struct", "Time", "File", "IO", "Random", "Thread"] {
        new_class(c, Some(cls::OBJECT), false, None);
    }
    let math = find_class("Math").expect("booted");
    new_class(
        "DomainError",
        Some(find_class("ArgumentError").expect("booted")),
        false,
        Some(math),
    );
}

/// Leaks the space: called once at exit, before thread-local destructors.
pub fn shutdown() {
    let s = SPACE.with(|s| s.borrow_mut().take());
    std::mem::forget(s);
}

fn with<T>(f: impl FnOnce(&mut Space) -> T) -> T {
    SPACE.with(|s| f(s.borrow_mut().as_mut().expect("objects::init ran")))
}

/// Keeps `r` alive for the rest of the run.
pub fn keep(r: GcRef) -> GcRef {
    with(|s| s.handles.push(Handle::new(r)));
    r
}
pub fn nil() -> GcRef {
    with(|s| s.nil)
}
pub fn undef() -> GcRef {
    with(|s| s.undef)
}
pub fn boolean(b: bool) -> GcRef {
    with(|s| if b { s.t } else { s.f })
}
/// The symbol id of `name`.
pub fn sym_id(name: &str) -> usize {
    if let Some(i) = with(|s| s.sym_ids.get(name).copied()) {
        return i;
    }
    let o = heap::new_struct(&sym_obj::SIZE);
    let h = Handle::new(o);
    with(|s| {
        let id = s.syms.len();
        heap::setfield(o, &sym_obj::id, id as u64);
        s.syms.push(name.to_string());
        s.sym_objs.push(o);
        s.sym_ids.insert(name.to_string(), id);
        s.handles.push(h);
        id
    })
}
pub fn sym_name(id: usize) -> String {
    with(|s| s.syms[id].clone())
}
pub fn sym_obj(id: usize) -> GcRef {
    with(|s| s.sym_objs[id])
}
pub fn sym(name: &str) -> GcRef {
    sym_obj(sym_id(name))
}

// ---- classes -------------------------------------------------------------

/// Creates a class or module named `name` (under `parent`'s namespace, or
/// Object's) and binds the constant.
pub fn new_class(name: &str, sup: Option<usize>, is_module: bool, parent: Option<usize>) -> usize {
    let o = heap::new_struct(&class_obj::SIZE);
    let h = Handle::new(o);
    let full = match parent {
        Some(p) if p != cls::OBJECT => format!("{}::{name}", class_name_of(p)),
        _ => name.to_string(),
    };
    let id = with(|s| {
        let id = s.classes.len();
        heap::setfield(o, &class_obj::id, id as u64);
        s.handles.push(h);
        let struct_members = sup.and_then(|p| s.classes[p].struct_members.clone());
        s.classes.push(Class {
            name: full,
            sup,
            is_module,
            methods: HashMap::new(),
            consts: HashMap::new(),
            const_order: Vec::new(),
            includes: Vec::new(),
            extended: Vec::new(),
            meta: None,
            obj: o,
            lexical_parent: parent,
            attached: None,
            cvars: HashMap::new(),
            struct_members,
            ivar_hint: 0,
        });
        id
    });
    if !name.is_empty() && id > 0 {
        let p = parent.unwrap_or(cls::OBJECT);
        set_const(p, sym_id(name), o);
    } else if id == 0 {
        // BasicObject's constant is set once Object exists.
    }
    if id == cls::OBJECT {
        let b = class_obj_of(cls::BASIC_OBJECT);
        set_const(cls::OBJECT, sym_id("BasicObject"), b);
        set_const(cls::OBJECT, sym_id("Object"), o);
    }
    bump();
    id
}

/// An anonymous singleton class for `obj` (or a metaclass).
pub fn new_singleton(sup: usize, attached: GcRef) -> usize {
    let o = heap::new_struct(&class_obj::SIZE);
    let h = Handle::new(o);
    let h2 = Handle::new(attached);
    let id = with(|s| {
        let id = s.classes.len();
        heap::setfield(o, &class_obj::id, id as u64);
        s.handles.push(h);
        s.handles.push(h2);
        let name = s.classes[sup].name.clone();
        s.classes.push(Class {
            name,
            sup: Some(sup),
            is_module: false,
            methods: HashMap::new(),
            consts: HashMap::new(),
            const_order: Vec::new(),
            includes: Vec::new(),
            extended: Vec::new(),
            meta: None,
            obj: o,
            lexical_parent: None,
            attached: Some(attached),
            cvars: HashMap::new(),
            struct_members: None,
            ivar_hint: 0,
        });
        id
    });
    bump();
    id
}

/// The metaclass of class `c` (created on first use).
pub fn meta_of(c: usize) -> usize {
    if let Some(m) = with(|s| s.classes[c].meta) {
        return m;
    }
    let (sup, is_module, obj) = with(|s| {
        let k = &s.classes[c];
        (k.sup, k.is_module, k.obj)
    });
    let msup = if is_module {
        cls::MODULE
    } else {
        match sup {
            Some(p) => meta_of(p),
            None => cls::CLASS,
        }
    };
    let m = new_singleton(msup, obj);
    with(|s| s.classes[c].meta = Some(m));
    m
}

/// Runs `f` on class `c`.
pub fn class_mut<T>(c: usize, f: impl FnOnce(&mut Class) -> T) -> T {
    with(|s| f(&mut s.classes[c]))
}
pub fn class_count() -> usize {
    with(|s| s.classes.len())
}
pub fn class_name_of(c: usize) -> String {
    with(|s| s.classes[c].name.clone())
}
pub fn class_obj_of(c: usize) -> GcRef {
    with(|s| s.classes[c].obj)
}
pub fn class_sup(c: usize) -> Option<usize> {
    with(|s| s.classes[c].sup)
}
pub fn is_module(c: usize) -> bool {
    with(|s| s.classes[c].is_module)
}
pub fn is_singleton(c: usize) -> bool {
    with(|s| s.classes[c].attached.is_some())
}
pub fn find_class(name: &str) -> Option<usize> {
    let o = get_const(cls::OBJECT, sym_id(name))?;
    (o.tid() == tid::CLASS).then(|| geti(o, &class_obj::id) as usize)
}
pub fn class_id(o: GcRef) -> usize {
    geti(o, &class_obj::id) as usize
}

/// The method resolution order of `c`.
pub fn ancestors(c: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut k = Some(c);
    while let Some(c) = k {
        out.push(c);
        let (inc, sup) = with(|s| (s.classes[c].includes.clone(), s.classes[c].sup));
        for m in inc.iter().rev() {
            for a in ancestors(*m) {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
        }
        k = sup;
    }
    out
}

/// Method lookup: (method, visibility, owner class).
pub fn lookup(c: usize, sym: usize) -> Option<(Meth, Vis, usize)> {
    if let Some(r) = with(|s| s.lookup_cache.get(&(c, sym)).copied()) {
        return r;
    }
    let mut r = None;
    for a in ancestors(c) {
        if let Some(m) = with(|s| s.classes[a].methods.get(&sym).copied()) {
            r = if m.0 == Meth::Undef {
                None
            } else {
                Some((m.0, m.1, a))
            };
            break;
        }
    }
    with(|s| s.lookup_cache.insert((c, sym), r));
    r
}
/// The next method after `owner` in `c`'s ancestors (for `super`).
pub fn lookup_super(c: usize, owner: usize, sym: usize) -> Option<(Meth, Vis, usize)> {
    let anc = ancestors(c);
    let pos = anc.iter().position(|a| *a == owner)?;
    for a in &anc[pos + 1..] {
        if let Some(m) = with(|s| s.classes[*a].methods.get(&sym).copied()) {
            return if m.0 == Meth::Undef {
                None
            } else {
                Some((m.0, m.1, *a))
            };
        }
    }
    None
}

pub fn define_method(c: usize, sym: usize, m: Meth, vis: Vis) {
    if let Meth::Proc(p) = m {
        keep(p);
    }
    with(|s| {
        s.classes[c].methods.insert(sym, (m, vis));
    });
    bump();
}
pub fn set_visibility(c: usize, sym: usize, vis: Vis) -> bool {
    let found = lookup(c, sym);
    match found {
        Some((m, _, _)) => {
            with(|s| s.classes[c].methods.insert(sym, (m, vis)));
            bump();
            true
        }
        None => false,
    }
}

/// Invalidates the method caches (and the traces through the version cell,
/// which the interpreter bumps itself).
pub fn bump() {
    with(|s| s.lookup_cache.clear());
    VERSION.with(|v| v.set(v.get() + 1));
}
thread_local! {
    static VERSION: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}
/// A counter bumped on every class-table change.
pub fn version() -> i64 {
    VERSION.with(|v| v.get())
}

pub fn set_const(c: usize, sym: usize, v: GcRef) {
    keep(v);
    with(|s| {
        let k = &mut s.classes[c];
        if k.consts.insert(sym, v).is_none() {
            k.const_order.push(sym);
        }
    });
    if v.tid() == tid::CLASS {
        // Naming an anonymous class.
        let id = class_id(v);
        with(|s| {
            if s.classes[id].name.is_empty() {
                s.classes[id].name = if c == cls::OBJECT {
                    s.syms[sym].clone()
                } else {
                    format!("{}::{}", s.classes[c].name, s.syms[sym])
                };
            }
        });
    }
    bump();
}
pub fn get_const(c: usize, sym: usize) -> Option<GcRef> {
    with(|s| s.classes.get(c).and_then(|k| k.consts.get(&sym).copied()))
}
/// Constant lookup from lexical scope `cref`: the lexical chain, then the
/// ancestors of `cref`, then Object.
pub fn lookup_const(cref: usize, sym: usize) -> Option<GcRef> {
    let mut k = Some(cref);
    while let Some(c) = k {
        if let Some(v) = get_const(c, sym) {
            return Some(v);
        }
        k = with(|s| s.classes[c].lexical_parent);
    }
    for a in ancestors(cref) {
        if let Some(v) = get_const(a, sym) {
            return Some(v);
        }
    }
    get_const(cls::OBJECT, sym)
}

pub fn global_get(name: &str) -> GcRef {
    with(|s| s.globals.get(name).copied()).unwrap_or_else(nil)
}
pub fn global_set(name: &str, v: GcRef) {
    keep(v);
    with(|s| s.globals.insert(name.to_string(), v));
}
pub fn cvar_get(c: usize, sym: usize) -> Option<GcRef> {
    for a in ancestors(c) {
        if let Some(v) = with(|s| s.classes[a].cvars.get(&sym).copied()) {
            return Some(v);
        }
    }
    None
}
pub fn cvar_set(c: usize, sym: usize, v: GcRef) {
    keep(v);
    for a in ancestors(c) {
        if with(|s| s.classes[a].cvars.contains_key(&sym)) {
            with(|s| s.classes[a].cvars.insert(sym, v));
            return;
        }
    }
    with(|s| s.classes[c].cvars.insert(sym, v));
}

// ---- maps ------------------------------------------------------------------

/// The slot of ivar `sym` in map `m`.
pub fn map_index(m: usize, sym: usize) -> Option<usize> {
    with(|s| s.maps[m].index.get(&sym).copied())
}
/// The map after adding `sym` to `m`.
pub fn map_add(m: usize, sym: usize) -> usize {
    with(|s| {
        if let Some(n) = s.maps[m].next.get(&sym) {
            return *n;
        }
        let mut ivars = s.maps[m].ivars.clone();
        let mut index = s.maps[m].index.clone();
        index.insert(sym, ivars.len());
        ivars.push(sym);
        let n = s.maps.len();
        s.maps.push(Map {
            ivars,
            index,
            next: HashMap::new(),
        });
        s.maps[m].next.insert(sym, n);
        n
    })
}
pub fn map_ivars(m: usize) -> Vec<usize> {
    with(|s| s.maps[m].ivars.clone())
}

/// The class of a value (singleton classes included).
pub fn class_of(v: GcRef) -> usize {
    match v.tid() {
        tid::INT | tid::BIG => cls::INTEGER,
        tid::FLOAT => cls::FLOAT,
        tid::NIL => cls::NIL,
        tid::TRUE => cls::TRUE,
        tid::FALSE => cls::FALSE,
        tid::STR => cls::STRING,
        tid::SYM => cls::SYMBOL,
        tid::ARR => cls::ARRAY,
        tid::HASH => cls::HASH,
        tid::RANGE => cls::RANGE,
        tid::OBJ => geti(v, &obj_obj::cls) as usize,
        tid::CLASS => meta_of(class_id(v)),
        tid::PROC => cls::PROC,
        tid::METH => cls::METHOD,
        _ => cls::OBJECT,
    }
}
/// The class `obj.class` answers (singletons skipped).
pub fn real_class_of(v: GcRef) -> usize {
    let mut c = class_of(v);
    while is_singleton(c) {
        c = class_sup(c).unwrap_or(cls::OBJECT);
    }
    c
}
pub fn is_a(v: GcRef, c: usize) -> bool {
    ancestors(class_of(v)).contains(&c)
}

// ---- plain accessors ---------------------------------------------------------

#[inline]
pub fn geti(o: GcRef, d: &metatrace::ir::FieldDescr) -> i64 {
    heap::getfield(o, d) as i64
}
#[inline]
pub fn getr(o: GcRef, d: &metatrace::ir::FieldDescr) -> GcRef {
    heap::getfield_ref(o, d)
}
#[inline]
pub fn seti(o: GcRef, d: &metatrace::ir::FieldDescr, v: i64) {
    heap::setfield(o, d, v as u64)
}
#[inline]
pub fn setr(o: GcRef, d: &metatrace::ir::FieldDescr, v: GcRef) {
    heap::setfield_ref(o, d, v)
}

pub fn new_int(v: i64) -> GcRef {
    let o = heap::new_struct(&int_obj::SIZE);
    seti(o, &int_obj::v, v);
    o
}
pub fn int_of(o: GcRef) -> i64 {
    geti(o, &int_obj::v)
}
/// An `Integer` from a big value (a small box when it fits).
pub fn new_bigint(v: &BigInt) -> GcRef {
    use num_traits::ToPrimitive;
    if let Some(i) = v.to_i64() {
        return new_int(i);
    }
    let s = v.to_string();
    let bytes = bytes_arr(s.as_bytes());
    let o = heap::new_struct(&big_obj::SIZE);
    setr(o, &big_obj::digits, bytes);
    o
}
pub fn big_of(o: GcRef) -> BigInt {
    match o.tid() {
        tid::INT => BigInt::from(geti(o, &int_obj::v)),
        _ => {
            let s = read_arr(getr(o, &big_obj::digits));
            s.parse().unwrap_or_default()
        }
    }
}
pub fn new_float(v: f64) -> GcRef {
    let o = heap::new_struct(&float_obj::SIZE);
    heap::setfield(o, &float_obj::v, v.to_bits());
    o
}
pub fn float_of(o: GcRef) -> f64 {
    f64::from_bits(heap::getfield(o, &float_obj::v))
}
fn bytes_arr(b: &[u8]) -> GcRef {
    let a = heap::new_array(&BYTE_ARRAY, b.len() as i64).expect("string size");
    heap::write_bytes(a, &BYTE_ARRAY, 0, b);
    a
}
fn read_arr(a: GcRef) -> String {
    String::from_utf8_lossy(&read_bytes(a)).into_owned()
}
fn read_bytes(a: GcRef) -> Vec<u8> {
    let n = heap::arraylen(a, &BYTE_ARRAY) as usize;
    let mut out = vec![0u8; n];
    heap::read_bytes(a, &BYTE_ARRAY, 0, &mut out);
    out
}
pub fn new_str(s: &str) -> GcRef {
    let a = bytes_arr(s.as_bytes());
    let o = heap::new_struct(&str_obj::SIZE);
    setr(o, &str_obj::bytes, a);
    o
}
pub fn str_of(o: GcRef) -> String {
    read_arr(getr(o, &str_obj::bytes))
}
pub fn str_bytes(o: GcRef) -> Vec<u8> {
    read_bytes(getr(o, &str_obj::bytes))
}
/// Whether string `o` is all ASCII (character index = byte index), from
/// the cache when its bytes have not been replaced since.
pub fn str_is_ascii(o: GcRef) -> bool {
    let b = getr(o, &str_obj::bytes);
    if getr(o, &str_obj::ascii_key) == b {
        return geti(o, &str_obj::ascii) == 1;
    }
    let ascii = read_bytes(b).is_ascii();
    setr(o, &str_obj::ascii_key, b);
    seti(o, &str_obj::ascii, if ascii { 1 } else { 2 });
    ascii
}
/// The byte length of string `o`.
pub fn str_byte_len(o: GcRef) -> usize {
    heap::arraylen(getr(o, &str_obj::bytes), &BYTE_ARRAY) as usize
}
/// Byte `i` of string `o` (`i` < `str_byte_len`).
pub fn str_byte_at(o: GcRef, i: usize) -> u8 {
    let mut b = [0u8];
    heap::read_bytes(getr(o, &str_obj::bytes), &BYTE_ARRAY, i, &mut b);
    b[0]
}
pub fn set_str(o: GcRef, s: &str) {
    let a = bytes_arr(s.as_bytes());
    setr(o, &str_obj::bytes, a);
}
pub fn new_array(items: &[GcRef]) -> GcRef {
    let cap = items.len().max(4);
    let a = heap::new_array(&REF_ARRAY, cap as i64).expect("array size");
    for (i, v) in items.iter().enumerate() {
        heap::setarrayitem_ref(a, &REF_ARRAY, i as i64, *v);
    }
    let o = heap::new_struct(&arr_obj::SIZE);
    setr(o, &arr_obj::items, a);
    seti(o, &arr_obj::len, items.len() as i64);
    o
}
pub fn array_len(o: GcRef) -> usize {
    geti(o, &arr_obj::len) as usize
}
pub fn array_get(o: GcRef, i: usize) -> GcRef {
    heap::getarrayitem_ref(getr(o, &arr_obj::items), &REF_ARRAY, i as i64)
}
pub fn array_items(o: GcRef) -> Vec<GcRef> {
    let a = getr(o, &arr_obj::items);
    (0..geti(o, &arr_obj::len))
        .map(|i| heap::getarrayitem_ref(a, &REF_ARRAY, i))
        .collect()
}
pub fn array_push(o: GcRef, v: GcRef) {
    let a = getr(o, &arr_obj::items);
    let n = geti(o, &arr_obj::len);
    let cap = heap::arraylen(a, &REF_ARRAY);
    let a = if n >= cap {
        let b = heap::new_array(&REF_ARRAY, (cap * 2).max(4)).expect("array size");
        copy_refs(a, b, n as usize);
        setr(o, &arr_obj::items, b);
        b
    } else {
        a
    };
    heap::setarrayitem_ref(a, &REF_ARRAY, n, v);
    seti(o, &arr_obj::len, n + 1);
}
pub fn array_set_items(o: GcRef, items: &[GcRef]) {
    let n = new_array(items);
    setr(o, &arr_obj::items, getr(n, &arr_obj::items));
    seti(o, &arr_obj::len, items.len() as i64);
}
pub fn new_range(lo: GcRef, hi: GcRef, excl: bool) -> GcRef {
    let o = heap::new_struct(&range_obj::SIZE);
    setr(o, &range_obj::lo, lo);
    setr(o, &range_obj::hi, hi);
    seti(o, &range_obj::excl, excl as i64);
    o
}
pub fn truthy(v: GcRef) -> bool {
    !matches!(v.tid(), tid::NIL | tid::FALSE)
}

/// A new instance of class `c` with no instance variables.
pub fn new_object(c: usize) -> GcRef {
    let o = heap::new_struct(&obj_obj::SIZE);
    seti(o, &obj_obj::cls, c as i64);
    seti(o, &obj_obj::map, 0);
    let s = heap::new_array(&REF_ARRAY, 0).expect("slots");
    setr(o, &obj_obj::slots, s);
    o
}
pub fn ivar_get(o: GcRef, sym: usize) -> GcRef {
    if o.tid() != tid::OBJ {
        return nil();
    }
    let m = geti(o, &obj_obj::map) as usize;
    match map_index(m, sym) {
        Some(i) => heap::getarrayitem_ref(getr(o, &obj_obj::slots), &REF_ARRAY, i as i64),
        None => nil(),
    }
}
pub fn ivar_defined(o: GcRef, sym: usize) -> bool {
    o.tid() == tid::OBJ && map_index(geti(o, &obj_obj::map) as usize, sym).is_some()
}
pub fn ivar_set(o: GcRef, sym: usize, v: GcRef) {
    if o.tid() != tid::OBJ {
        return;
    }
    let m = geti(o, &obj_obj::map) as usize;
    let slots = getr(o, &obj_obj::slots);
    let i = match map_index(m, sym) {
        Some(i) => i,
        None => {
            let n = map_add(m, sym);
            seti(o, &obj_obj::map, n as i64);
            map_index(n, sym).expect("just added")
        }
    };
    let cap = heap::arraylen(slots, &REF_ARRAY) as usize;
    let slots = if i >= cap {
        let c = geti(o, &obj_obj::cls) as usize;
        class_mut(c, |k| k.ivar_hint = k.ivar_hint.max(i + 1));
        let b = heap::new_array(&REF_ARRAY, ((cap * 2).max(4)).max(i + 1) as i64).expect("slots");
        copy_refs(slots, b, cap);
        setr(o, &obj_obj::slots, b);
        b
    } else {
        slots
    };
    heap::setarrayitem_ref(slots, &REF_ARRAY, i as i64, v);
}
/// Whether `Class#new` of class `c` is the plain one: allocate an object
/// with slots, call `initialize` (no builtin superclass with its own
/// allocation, no Struct, no exception's backtrace).
pub fn plain_new(c: usize) -> bool {
    if is_module(c) {
        return false;
    }
    let anc = ancestors(c);
    let special = [
        cls::ARRAY,
        cls::HASH,
        cls::STRING,
        cls::PROC,
        cls::EXCEPTION,
        cls::INTEGER,
        cls::FLOAT,
        cls::NUMERIC,
        cls::SYMBOL,
        cls::NIL,
        cls::TRUE,
        cls::FALSE,
        cls::RANGE,
        cls::METHOD,
        cls::CLASS,
        cls::MODULE,
    ];
    let strukt = find_class("Struct");
    anc.contains(&cls::OBJECT)
        && !anc
            .iter()
            .any(|a| special.contains(a) || Some(*a) == strukt)
        && anc
            .iter()
            .all(|a| class_mut(*a, |k| k.struct_members.is_none()))
}
pub fn ivar_names(o: GcRef) -> Vec<usize> {
    if o.tid() != tid::OBJ {
        return Vec::new();
    }
    map_ivars(geti(o, &obj_obj::map) as usize)
}

/// A new exception of class `c` with message `msg`.
pub fn new_exc(c: usize, msg: &str) -> GcRef {
    let o = new_object(c);
    let m = new_str(msg);
    ivar_set(o, sym_id("@message"), m);
    o
}
pub fn new_exc_named(name: &str, msg: &str) -> GcRef {
    let c = find_class(name).unwrap_or(cls::STANDARD_ERROR);
    new_exc(c, msg)
}

/// Copies the first `n` references of `a` into `b`.
pub fn copy_refs(a: GcRef, b: GcRef, n: usize) {
    for i in 0..n as i64 {
        heap::setarrayitem_ref(b, &REF_ARRAY, i, heap::getarrayitem_ref(a, &REF_ARRAY, i));
    }
}
