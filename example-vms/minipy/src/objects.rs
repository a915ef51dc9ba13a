//! The guest object layout: every Python value is a `GcRef` to one of the
//! `gc_struct!` types below (or a framework array), so traces see field
//! reads/writes and allocation removal can make boxes virtual.
//!
//! Owns: the struct declarations, plain (non-traced) constructors and
//! accessors used by residual helpers, the type-tag → Python type name
//! mapping, and the runtime table (`rt()`): singletons and builtin type
//! objects, all rooted through `heap::roots::Handle`s.

use metatrace::heap::roots::Handle;
use metatrace::heap::{self, GcRef, INT_ARRAY, REF_ARRAY};
use std::cell::RefCell;

metatrace::gc_struct! {
    /// A small int (fits in i64).
    pub struct IntObj as int_obj { #[immutable] v: i64 }
}
metatrace::gc_struct! {
    /// A big int: sign (-1, 0, 1) and little-endian u64 magnitude limbs.
    pub struct BigObj as big_obj { #[immutable] sign: i64, #[immutable] limbs: GcRef }
}
metatrace::gc_struct! {
    /// How deep Python calls nest now (RecursionError). A heap cell, not a
    /// `Vm` field, so compiled code keeps it exact: inlined calls and calls
    /// from compiled code (`call_assembler`) update it through traced
    /// reads and writes, which the optimizer folds away where it can.
    pub struct DepthCell as depth_cell { value: i64 }
}
metatrace::gc_struct! {
    /// A float.
    pub struct FloatObj as float_obj { #[immutable] v: f64 }
}
metatrace::gc_struct! {
    /// `True` / `False` (two singletons).
    pub struct BoolObj as bool_obj { #[immutable] v: i64 }
}
metatrace::gc_struct! {
    /// `None` (one singleton).
    pub struct NoneObj as none_obj { #[immutable] unused: i64 }
}
metatrace::gc_struct! {
    /// An immutable str: `nbytes` UTF-8 bytes at the start of a
    /// `BYTE_ARRAY` (which may have spare room a `+=` loop appends into,
    /// shared through `tail`), the char count cached, and a chunk index
    /// of char offsets built on first indexing of a non-ASCII str. See
    /// `strobj`.
    pub struct StrObj as str_obj {
        #[immutable] bytes: GcRef, #[immutable] nbytes: i64, #[immutable] nchars: i64,
        #[immutable] tail: GcRef, index: GcRef,
    }
}
metatrace::gc_struct! {
    /// A list: items in a `REF_ARRAY` with spare capacity, `len` used.
    pub struct ListObj as list_obj { items: GcRef, len: i64 }
}
metatrace::gc_struct! {
    /// A tuple: items in an exactly-sized `REF_ARRAY`.
    pub struct TupleObj as tuple_obj { #[immutable] items: GcRef }
}
metatrace::gc_struct! {
    /// An insertion-ordered dict: entries (keys/values/hashes arrays, `used`
    /// slots of which `count` are live; deleted keys are null) plus an
    /// open-addressing index (`INT_ARRAY` of entry numbers, -1 = empty).
    pub struct DictObj as dict_obj {
        keys: GcRef, vals: GcRef, hashes: GcRef, index: GcRef, used: i64, count: i64,
    }
}
metatrace::gc_struct! {
    /// A set, laid out like CPython's (see `sets`): a table of keys (null
    /// = never used, the dummy = deleted) and their hashes, `fill` slots
    /// not null, `used` live, and `pop`'s search `finger`. `frozen` is 1
    /// for a `frozenset` (same table, no mutating methods, hashable).
    pub struct SetObj as set_obj {
        keys: GcRef, hashes: GcRef, fill: i64, used: i64, finger: i64, #[immutable] frozen: i64,
    }
}
metatrace::gc_struct! {
    /// A live view of a dict: `kind` 0 keys, 1 values, 2 items.
    pub struct DictView as dict_view { #[immutable] dict: GcRef, #[immutable] kind: i64 }
}
metatrace::gc_struct! {
    /// An iterator over a dict or a view (`kind` as in `DictView`): `idx` is
    /// the next entry slot; `size` the dict's length when iteration started
    /// (-1 once a size change was reported: every later `next` raises too).
    pub struct DictIter as dict_iter { #[immutable] dict: GcRef, idx: i64, #[immutable] kind: i64, size: i64 }
}
metatrace::gc_struct! {
    /// `range(start, stop, step)`.
    pub struct RangeObj as range_obj { #[immutable] start: i64, #[immutable] stop: i64, #[immutable] step: i64 }
}
metatrace::gc_struct! {
    /// An iterator over a range.
    pub struct RangeIter as range_iter { cur: i64, #[immutable] stop: i64, #[immutable] step: i64 }
}
metatrace::gc_struct! {
    /// An iterator over a list, tuple, str or dict (by index into `seq`).
    /// `kind`: 0 list, 1 tuple, 2 str, 3 dict keys, 4 dict values, 5 dict items.
    pub struct SeqIter as seq_iter { #[immutable] seq: GcRef, idx: i64, #[immutable] kind: i64 }
}
metatrace::gc_struct! {
    /// A Python function: code id, defaults tuple, closure tuple of cells,
    /// keyword-only defaults dict, and the module namespace it runs in.
    pub struct FuncObj as func_obj {
        #[immutable] code: i64, #[immutable] defaults: GcRef, #[immutable] closure: GcRef,
        #[immutable] kwdefaults: GcRef, #[immutable] name: GcRef, #[immutable] module: GcRef,
    }
}
metatrace::gc_struct! {
    /// A closure cell.
    pub struct CellObj as cell_obj { value: GcRef }
}
metatrace::gc_struct! {
    /// A builtin function or method bound to `slf` (null if unbound).
    pub struct BuiltinObj as builtin_obj { #[immutable] id: i64, #[immutable] slf: GcRef }
}
metatrace::gc_struct! {
    /// A bound method.
    pub struct MethodObj as method_obj { #[immutable] func: GcRef, #[immutable] slf: GcRef }
}
metatrace::gc_struct! {
    /// A class. `tag` is the builtin type tag (0 for user classes); `dict`
    /// is its namespace; `root_map` the empty map of its instances; `base`
    /// the first base (`__base__`), `bases` all of them and `mro` the C3
    /// linearisation (tuples).
    pub struct TypeObj as type_obj {
        #[immutable] name: GcRef, #[immutable] base: GcRef, #[immutable] dict: GcRef,
        #[immutable] tag: i64, #[immutable] root_map: GcRef,
        #[immutable] bases: GcRef, #[immutable] mro: GcRef,
        // What attribute lookups on this class may see: quasi-immutable,
        // so traces fold lookups; bumped when this class's or a base's
        // namespace changes (see `types::bump_versions`).
        #[quasi_immutable] version: i64,
    }
}
metatrace::gc_struct! {
    /// An instance of a user class (or of an exception class): attributes
    /// are laid out by the hidden class `map`, the first `INLINE_SLOTS` in
    /// the object itself (one allocation for a typical instance, as in
    /// PyPy's mapdict), the rest in the `slots` array (null until needed).
    pub struct InstObj as inst_obj {
        #[immutable] cls: GcRef, map: GcRef,
        s0: GcRef, s1: GcRef, s2: GcRef, s3: GcRef,
        slots: GcRef,
    }
}
metatrace::gc_struct! {
    /// A hidden class: its id indexes the Rust-side map table (attribute
    /// names and transitions; no GC references there but `Handle`s).
    pub struct MapObj as map_obj { #[immutable] id: i64, #[immutable] cls: GcRef }
}
metatrace::gc_struct! {
    /// A module: its namespace dict and name.
    pub struct ModuleObj as module_obj { #[immutable] dict: GcRef, #[immutable] name: GcRef }
}
metatrace::gc_struct! {
    /// `staticmethod`, `classmethod` or `property` wrapper (kind 0/1/2);
    /// for property `a` is fget, `b` fset.
    pub struct WrapObj as wrap_obj { #[immutable] kind: i64, #[immutable] a: GcRef, #[immutable] b: GcRef }
}
metatrace::gc_struct! {
    /// A slice object.
    pub struct SliceObj as slice_obj { #[immutable] start: GcRef, #[immutable] stop: GcRef, #[immutable] step: GcRef }
}
metatrace::gc_struct! {
    /// A generator: saved frame (locals + stack as tuples), resume pc,
    /// state (0 new/suspended, 1 running, 2 done), the function, and the
    /// exceptions its frame handled when it yielded (a tuple, or null).
    pub struct GenObj as gen_obj { func: GcRef, locals: GcRef, stack: GcRef, pc: i64, state: i64, exc: GcRef }
}
metatrace::gc_struct! {
    /// A `super()` proxy: start lookup after `cls`, bind to `slf`.
    pub struct SuperObj as super_obj { #[immutable] cls: GcRef, #[immutable] slf: GcRef }
}

/// Type ids of the structs, for `class_of` matches.
pub mod tid {
    use super::*;
    pub const INT: u32 = int_obj::SIZE.tid;
    pub const BIG: u32 = big_obj::SIZE.tid;
    pub const FLOAT: u32 = float_obj::SIZE.tid;
    pub const BOOL: u32 = bool_obj::SIZE.tid;
    pub const NONE: u32 = none_obj::SIZE.tid;
    pub const STR: u32 = str_obj::SIZE.tid;
    pub const LIST: u32 = list_obj::SIZE.tid;
    pub const TUPLE: u32 = tuple_obj::SIZE.tid;
    pub const DICT: u32 = dict_obj::SIZE.tid;
    pub const SET: u32 = set_obj::SIZE.tid;
    pub const RANGE: u32 = range_obj::SIZE.tid;
    pub const RANGE_ITER: u32 = range_iter::SIZE.tid;
    pub const SEQ_ITER: u32 = seq_iter::SIZE.tid;
    pub const FUNC: u32 = func_obj::SIZE.tid;
    pub const CELL: u32 = cell_obj::SIZE.tid;
    pub const BUILTIN: u32 = builtin_obj::SIZE.tid;
    pub const METHOD: u32 = method_obj::SIZE.tid;
    pub const TYPE: u32 = type_obj::SIZE.tid;
    pub const INST: u32 = inst_obj::SIZE.tid;
    pub const MODULE: u32 = module_obj::SIZE.tid;
    pub const WRAP: u32 = wrap_obj::SIZE.tid;
    pub const SLICE: u32 = slice_obj::SIZE.tid;
    pub const GEN: u32 = gen_obj::SIZE.tid;
    pub const SUPER: u32 = super_obj::SIZE.tid;
    pub const DICT_VIEW: u32 = dict_view::SIZE.tid;
    pub const DICT_ITER: u32 = dict_iter::SIZE.tid;
}

// ---- plain field access ----------------------------------------------------

#[inline]
pub fn geti(o: GcRef, d: &metatrace::ir::FieldDescr) -> i64 {
    heap::getfield(o, d) as i64
}
#[inline]
pub fn getr(o: GcRef, d: &metatrace::ir::FieldDescr) -> GcRef {
    heap::getfield_ref(o, d)
}
#[inline]
pub fn getf(o: GcRef, d: &metatrace::ir::FieldDescr) -> f64 {
    f64::from_bits(heap::getfield(o, d))
}
#[inline]
pub fn seti(o: GcRef, d: &metatrace::ir::FieldDescr, v: i64) {
    heap::setfield(o, d, v as u64)
}
#[inline]
pub fn setr(o: GcRef, d: &metatrace::ir::FieldDescr, v: GcRef) {
    heap::setfield_ref(o, d, v)
}
#[inline]
pub fn aget(a: GcRef, i: usize) -> GcRef {
    heap::getarrayitem_ref(a, &REF_ARRAY, i as i64)
}
#[inline]
pub fn aset(a: GcRef, i: usize, v: GcRef) {
    heap::setarrayitem_ref(a, &REF_ARRAY, i as i64, v)
}
#[inline]
pub fn alen(a: GcRef) -> usize {
    heap::arraylen(a, &REF_ARRAY) as usize
}
pub fn new_refs(n: usize) -> GcRef {
    heap::new_array(&REF_ARRAY, n as i64).expect("array length")
}
pub fn new_ints(n: usize) -> GcRef {
    heap::new_array(&INT_ARRAY, n as i64).expect("array length")
}

// ---- constructors ---------------------------------------------------------

pub fn new_int(v: i64) -> GcRef {
    let o = heap::new_struct(&int_obj::SIZE);
    seti(o, &int_obj::v, v);
    o
}
pub fn new_float(v: f64) -> GcRef {
    let o = heap::new_struct(&float_obj::SIZE);
    heap::setfield(o, &float_obj::v, v.to_bits());
    o
}
pub fn new_str(s: &str) -> GcRef {
    crate::strobj::new_text(s)
}
pub fn str_of(o: GcRef) -> String {
    String::from_utf8(crate::strobj::bytes_of(o)).unwrap_or_default()
}
pub fn new_tuple(items: &[GcRef]) -> GcRef {
    let a = new_refs(items.len());
    for (i, v) in items.iter().enumerate() {
        aset(a, i, *v);
    }
    let o = heap::new_struct(&tuple_obj::SIZE);
    setr(o, &tuple_obj::items, a);
    o
}
pub fn tuple_items(o: GcRef) -> Vec<GcRef> {
    let a = getr(o, &tuple_obj::items);
    (0..alen(a)).map(|i| aget(a, i)).collect()
}
pub fn new_list(items: &[GcRef]) -> GcRef {
    let a = new_refs(items.len().max(4));
    for (i, v) in items.iter().enumerate() {
        aset(a, i, *v);
    }
    let o = heap::new_struct(&list_obj::SIZE);
    setr(o, &list_obj::items, a);
    seti(o, &list_obj::len, items.len() as i64);
    o
}
pub fn list_items(o: GcRef) -> Vec<GcRef> {
    let a = getr(o, &list_obj::items);
    let n = geti(o, &list_obj::len) as usize;
    (0..n).map(|i| aget(a, i)).collect()
}
pub fn list_len(o: GcRef) -> usize {
    geti(o, &list_obj::len) as usize
}
pub fn list_append(o: GcRef, v: GcRef) {
    let a = getr(o, &list_obj::items);
    let n = geti(o, &list_obj::len) as usize;
    let a = if n == alen(a) {
        let b = new_refs(n * 2 + 4);
        for i in 0..n {
            aset(b, i, aget(a, i));
        }
        setr(o, &list_obj::items, b);
        b
    } else {
        a
    };
    aset(a, n, v);
    seti(o, &list_obj::len, n as i64 + 1);
}
pub fn list_set_items(o: GcRef, items: &[GcRef]) {
    let a = new_refs(items.len().max(4));
    for (i, v) in items.iter().enumerate() {
        aset(a, i, *v);
    }
    setr(o, &list_obj::items, a);
    seti(o, &list_obj::len, items.len() as i64);
}
pub fn new_cell(v: GcRef) -> GcRef {
    let o = heap::new_struct(&cell_obj::SIZE);
    setr(o, &cell_obj::value, v);
    o
}
pub fn new_builtin(id: i64, slf: GcRef) -> GcRef {
    let o = heap::new_struct(&builtin_obj::SIZE);
    seti(o, &builtin_obj::id, id);
    setr(o, &builtin_obj::slf, slf);
    o
}
pub fn new_method(func: GcRef, slf: GcRef) -> GcRef {
    let o = heap::new_struct(&method_obj::SIZE);
    setr(o, &method_obj::func, func);
    setr(o, &method_obj::slf, slf);
    o
}
pub fn new_range_iter(cur: i64, stop: i64, step: i64) -> GcRef {
    let o = heap::new_struct(&range_iter::SIZE);
    seti(o, &range_iter::cur, cur);
    seti(o, &range_iter::stop, stop);
    seti(o, &range_iter::step, step);
    o
}
pub fn new_seq_iter(seq: GcRef, kind: i64) -> GcRef {
    let o = heap::new_struct(&seq_iter::SIZE);
    setr(o, &seq_iter::seq, seq);
    seti(o, &seq_iter::kind, kind);
    o
}

/// Smallest overflow slot array (attributes beyond the inline ones).
pub const INST_SLOTS: usize = 6;

/// Attribute slots stored in the instance itself.
pub const INLINE_SLOTS: usize = 4;

/// The field of inline slot `s` (< `INLINE_SLOTS`).
pub fn inline_slot(s: usize) -> &'static metatrace::ir::FieldDescr {
    [&inst_obj::s0, &inst_obj::s1, &inst_obj::s2, &inst_obj::s3][s]
}

/// Attribute slot `s` of instance `o` (null if unset).
pub fn slot_get(o: GcRef, s: usize) -> GcRef {
    if s < INLINE_SLOTS {
        return getr(o, inline_slot(s));
    }
    let a = getr(o, &inst_obj::slots);
    if a.is_null() || s - INLINE_SLOTS >= alen(a) {
        return GcRef::NULL;
    }
    aget(a, s - INLINE_SLOTS)
}

// ---- runtime table ---------------------------------------------------------

/// Builtin type tags (`TypeObj.tag`).
pub mod tag {
    pub const USER: i64 = 0;
    pub const OBJECT: i64 = 1;
    pub const INT: i64 = 2;
    pub const FLOAT: i64 = 3;
    pub const BOOL: i64 = 4;
    pub const STR: i64 = 5;
    pub const LIST: i64 = 6;
    pub const TUPLE: i64 = 7;
    pub const DICT: i64 = 8;
    pub const SET: i64 = 9;
    pub const NONE: i64 = 10;
    pub const RANGE: i64 = 11;
    pub const FUNC: i64 = 12;
    pub const TYPE: i64 = 13;
    pub const BUILTIN: i64 = 14;
    pub const METHOD: i64 = 15;
    pub const ITER: i64 = 16;
    pub const MODULE: i64 = 17;
    pub const SLICE: i64 = 18;
    pub const GEN: i64 = 19;
    pub const CELL: i64 = 20;
    pub const WRAP: i64 = 21;
    pub const SUPER: i64 = 22;
    /// Exception classes (builtin ones; user subclasses are USER).
    pub const EXC: i64 = 23;
    /// `dict_keys`, `dict_values`, `dict_items` (DICT_KEYS + view kind).
    pub const DICT_KEYS: i64 = 24;
    pub const DICT_VALUES: i64 = 25;
    pub const DICT_ITEMS: i64 = 26;
    /// `dict_keyiterator`, ... (DICT_KEYITER + iterator kind).
    pub const DICT_KEYITER: i64 = 27;
    pub const DICT_VALUEITER: i64 = 28;
    pub const DICT_ITEMITER: i64 = 29;
    pub const FROZENSET: i64 = 30;
    /// One past the last tag.
    pub const COUNT: i64 = 31;
}

/// Declares the built-in exception classes once: the `ExcKind` enum (so a
/// misspelt class name does not compile), each class's Python name and its
/// base. Bases must be listed before their subclasses (checked at build
/// time below); `_` marks the root, whose base is `object`.
macro_rules! exc_kinds {
    ($($name:ident : $base:tt),* $(,)?) => {
        /// A built-in exception class; `rt().exc(kind)` is its class object.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ExcKind { $($name),* }
        impl ExcKind {
            /// Every kind, in declaration (base-before-subclass) order.
            pub const ALL: &'static [ExcKind] = &[$(ExcKind::$name),*];
            /// The Python class name.
            pub const fn name(self) -> &'static str {
                match self { $(ExcKind::$name => stringify!($name)),* }
            }
            /// The base class (`None`: `object`).
            pub const fn base(self) -> Option<ExcKind> {
                match self { $(ExcKind::$name => exc_kinds!(@base $base)),* }
            }
        }
    };
    (@base _) => { None };
    (@base $b:ident) => { Some(ExcKind::$b) };
}

exc_kinds! {
    BaseException: _,
    Exception: BaseException,
    SystemExit: BaseException,
    KeyboardInterrupt: BaseException,
    ArithmeticError: Exception,
    ZeroDivisionError: ArithmeticError,
    OverflowError: ArithmeticError,
    LookupError: Exception,
    KeyError: LookupError,
    IndexError: LookupError,
    ValueError: Exception,
    TypeError: Exception,
    AttributeError: Exception,
    NameError: Exception,
    UnboundLocalError: NameError,
    StopIteration: Exception,
    RuntimeError: Exception,
    MemoryError: Exception,
    RecursionError: RuntimeError,
    NotImplementedError: RuntimeError,
    AssertionError: Exception,
    ImportError: Exception,
    ModuleNotFoundError: ImportError,
    UnicodeError: ValueError,
    SyntaxError: Exception,
}

// Build-time check: `ALL[i] as usize == i` and every base comes first, so
// the classes can be created in order.
const _: () = {
    let mut i = 0;
    while i < ExcKind::ALL.len() {
        let k = ExcKind::ALL[i];
        assert!(k as usize == i);
        if let Some(b) = k.base() {
            assert!((b as usize) < i, "exception base listed after subclass");
        }
        i += 1;
    }
};

impl ExcKind {
    /// The built-in exception class named `name`, if there is one.
    pub fn by_name(name: &str) -> Option<ExcKind> {
        ExcKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// Singletons and builtin types. Every `GcRef` here is also held by a
/// `Handle` in `handles`, so it is a root.
pub struct Runtime {
    pub none: GcRef,
    pub true_: GcRef,
    pub false_: GcRef,
    pub empty_tuple: GcRef,
    /// Builtin type objects by tag.
    pub types: Vec<GcRef>,
    /// Builtin exception classes, indexed by `ExcKind`.
    pub excs: Vec<GcRef>,
    pub builtins_mod: GcRef,
    handles: Vec<Handle>,
    /// Interned strings (names, messages): rooted.
    pub interned: hashbrown::HashMap<String, GcRef>,
}

thread_local! {
    static RT: RefCell<Option<std::rc::Rc<Runtime>>> = const { RefCell::new(None) };
}

/// The runtime of this thread (created by `init_runtime`).
pub fn rt() -> std::rc::Rc<Runtime> {
    RT.with(|r| r.borrow().clone().expect("runtime initialised"))
}

pub fn set_runtime(r: Runtime) {
    FAST.with(|f| f.set([r.none, r.true_, r.false_]));
    RT.with(|x| *x.borrow_mut() = Some(std::rc::Rc::new(r)));
}

thread_local! {
    /// None, True and False, for cheap access (they are rooted by the
    /// runtime's handles).
    static FAST: std::cell::Cell<[GcRef; 3]> = const { std::cell::Cell::new([GcRef::NULL; 3]) };
}

impl Runtime {
    pub fn root(&mut self, r: GcRef) -> GcRef {
        self.handles.push(Handle::new(r));
        r
    }
    pub fn empty() -> Runtime {
        Runtime {
            none: GcRef::NULL,
            true_: GcRef::NULL,
            false_: GcRef::NULL,
            empty_tuple: GcRef::NULL,
            types: Vec::new(),
            excs: Vec::new(),
            builtins_mod: GcRef::NULL,
            handles: Vec::new(),
            interned: Default::default(),
        }
    }
    pub fn ty(&self, tag: i64) -> GcRef {
        self.types[tag as usize]
    }
    /// The class object of a built-in exception.
    pub fn exc(&self, k: ExcKind) -> GcRef {
        self.excs[k as usize]
    }
    /// The built-in exception class named `name` (a guest string), if any.
    pub fn exc_by_name(&self, name: &str) -> Option<GcRef> {
        ExcKind::by_name(name).map(|k| self.exc(k))
    }
}

thread_local! {
    static INTERN: RefCell<(hashbrown::HashMap<String, GcRef>, Vec<Handle>)> = RefCell::new(Default::default());
}

/// An interned (rooted, shared) str object.
pub fn intern(s: &str) -> GcRef {
    INTERN.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(r) = t.0.get(s) {
            return *r;
        }
        let r = new_str(s);
        t.1.push(Handle::new(r));
        t.0.insert(s.to_string(), r);
        r
    })
}

/// Keeps `r` alive for the rest of the run (code constants, maps, modules).
pub fn keep(r: GcRef) -> GcRef {
    INTERN.with(|t| t.borrow_mut().1.push(Handle::new(r)));
    r
}

#[inline]
pub fn bool_obj(b: bool) -> GcRef {
    FAST.with(|f| f.get()[if b { 1 } else { 2 }])
}
#[inline]
pub fn none() -> GcRef {
    FAST.with(|f| f.get()[0])
}
