//! Classes, hidden classes (maps) and exceptions.
//!
//! Owns: runtime initialisation (builtin type objects, the exception
//! hierarchy, singletons), `type_of`, MRO walks and the elidable class
//! attribute lookup keyed by per-class versions, the map table (attribute
//! name → slot, transitions) with its elidable lookups, and constructing
//! exception instances from Rust (`exc_new`).

use crate::dict;
use crate::objects::{self, *};
use hashbrown::HashMap;
use metatrace::heap::{self, GcRef};
use metatrace::ir::EffectInfo;
use std::cell::{Cell, RefCell};

/// `Err(exception)`, or `Err(NULL)`: "this needs guest code (a dunder
/// method)", the caller falls back to a guest-level path.
pub type PyResult<T> = Result<T, GcRef>;
pub const NEED_GUEST: GcRef = GcRef::NULL;

/// Effects of a residual helper that may raise a guest exception.
pub const RAISES: EffectInfo = EffectInfo {
    elidable: false,
    can_raise: true,
    may_force: false,
    may_invalidate: false,
    writes_heap: true,
};

/// Turns a helper result into the residual-call convention: the value, or
/// null with the exception pending (or null and nothing pending: the
/// caller must run guest code).
pub fn deliver(r: PyResult<GcRef>) -> GcRef {
    match r {
        Ok(v) => v,
        Err(e) => {
            if !e.is_null() {
                metatrace::exc::raise(e);
            }
            GcRef::NULL
        }
    }
}

const TYPE_NAMES: &[(i64, &str)] = &[
    (tag::OBJECT, "object"),
    (tag::INT, "int"),
    (tag::FLOAT, "float"),
    (tag::BOOL, "bool"),
    (tag::STR, "str"),
    (tag::LIST, "list"),
    (tag::TUPLE, "tuple"),
    (tag::DICT, "dict"),
    (tag::SET, "set"),
    (tag::FROZENSET, "frozenset"),
    (tag::NONE, "NoneType"),
    (tag::RANGE, "range"),
    (tag::FUNC, "function"),
    (tag::TYPE, "type"),
    (tag::BUILTIN, "builtin_function_or_method"),
    (tag::METHOD, "method"),
    (tag::ITER, "iterator"),
    (tag::MODULE, "module"),
    (tag::SLICE, "slice"),
    (tag::GEN, "generator"),
    (tag::CELL, "cell"),
    (tag::WRAP, "staticmethod"),
    (tag::SUPER, "super"),
    (tag::DICT_KEYS, "dict_keys"),
    (tag::DICT_VALUES, "dict_values"),
    (tag::DICT_ITEMS, "dict_items"),
    (tag::DICT_KEYITER, "dict_keyiterator"),
    (tag::DICT_VALUEITER, "dict_valueiterator"),
    (tag::DICT_ITEMITER, "dict_itemiterator"),
];

fn new_type(name: &str, base: GcRef, t: i64) -> GcRef {
    let o = heap::new_struct(&type_obj::SIZE);
    setr(o, &type_obj::name, intern(name));
    setr(o, &type_obj::base, base);
    let bases: Vec<GcRef> = if base.is_null() { vec![] } else { vec![base] };
    setr(o, &type_obj::bases, new_tuple(&bases));
    let mut mro = vec![o];
    if !base.is_null() {
        mro.extend(mro_of(base));
    }
    setr(o, &type_obj::mro, new_tuple(&mro));
    setr(o, &type_obj::dict, dict::new_dict());
    seti(o, &type_obj::tag, t);
    let m = new_map_obj(o, 0);
    setr(o, &type_obj::root_map, m);
    o
}

/// Creates the runtime: singletons, builtin types, exceptions.
pub fn init_runtime() {
    let mut r = Runtime::empty();
    let none = heap::new_struct(&none_obj::SIZE);
    r.none = r.root(none);
    let t = heap::new_struct(&bool_obj::SIZE);
    seti(t, &bool_obj::v, 1);
    r.true_ = r.root(t);
    let f = heap::new_struct(&bool_obj::SIZE);
    r.false_ = r.root(f);
    objects::set_runtime(r);
    // Types need the runtime for dicts (None); build them in a second phase.
    let mut r = Runtime::empty();
    let old = rt();
    r.none = old.none;
    r.true_ = old.true_;
    r.false_ = old.false_;
    r.root(r.none);
    r.root(r.true_);
    r.root(r.false_);
    let et = new_tuple(&[]);
    r.empty_tuple = r.root(et);
    r.types = vec![GcRef::NULL; tag::COUNT as usize];
    let object = new_type("object", GcRef::NULL, tag::OBJECT);
    r.types[tag::OBJECT as usize] = r.root(object);
    for &(t, name) in TYPE_NAMES {
        if t == tag::OBJECT {
            continue;
        }
        let base = if t == tag::BOOL {
            r.types[tag::INT as usize]
        } else {
            object
        };
        let ty = new_type(name, base, t);
        r.types[t as usize] = r.root(ty);
    }
    for &k in ExcKind::ALL {
        let b = k.base().map_or(object, |b| r.exc(b));
        let ty = new_type(k.name(), b, tag::EXC);
        r.root(ty);
        r.excs.push(ty);
    }
    objects::set_runtime(r);
}

/// The class of any value.
pub fn type_of(o: GcRef) -> GcRef {
    let r = rt();
    let t = match o.tid() {
        tid::INT | tid::BIG => tag::INT,
        tid::FLOAT => tag::FLOAT,
        tid::BOOL => tag::BOOL,
        tid::NONE => tag::NONE,
        tid::STR => tag::STR,
        tid::LIST => tag::LIST,
        tid::TUPLE => tag::TUPLE,
        tid::DICT => tag::DICT,
        tid::SET if crate::sets::is_frozen(o) => tag::FROZENSET,
        tid::SET => tag::SET,
        tid::RANGE => tag::RANGE,
        tid::RANGE_ITER | tid::SEQ_ITER => tag::ITER,
        tid::FUNC => tag::FUNC,
        tid::BUILTIN => tag::BUILTIN,
        tid::METHOD => tag::METHOD,
        tid::TYPE => match metaclass_of(o) {
            Some(m) => return m,
            None => tag::TYPE,
        },
        tid::INST => return getr(o, &inst_obj::cls),
        tid::MODULE => tag::MODULE,
        tid::SLICE => tag::SLICE,
        tid::GEN => tag::GEN,
        tid::CELL => tag::CELL,
        tid::WRAP => tag::WRAP,
        tid::SUPER => tag::SUPER,
        tid::DICT_VIEW => tag::DICT_KEYS + geti(o, &dict_view::kind),
        tid::DICT_ITER => tag::DICT_KEYITER + geti(o, &dict_iter::kind),
        _ => tag::OBJECT,
    };
    r.ty(t)
}

pub fn type_name(t: GcRef) -> String {
    str_of(getr(t, &type_obj::name))
}

/// The type name of a value, as CPython prints it in messages.
pub fn tname(o: GcRef) -> String {
    type_name(type_of(o))
}

/// A class's method resolution order (itself first).
pub fn mro_of(t: GcRef) -> Vec<GcRef> {
    tuple_items(getr(t, &type_obj::mro))
}

/// The `i`th class of `t`'s MRO (no allocation: hot in helpers).
#[inline]
fn mro_at(t: GcRef, i: usize) -> Option<GcRef> {
    let a = getr(getr(t, &type_obj::mro), &tuple_obj::items);
    (i < alen(a)).then(|| aget(a, i))
}

pub fn is_subclass(t: GcRef, base: GcRef) -> bool {
    t == base || (0..).map_while(|i| mro_at(t, i)).any(|c| c == base)
}

pub fn isinstance(o: GcRef, cls: GcRef) -> bool {
    is_subclass(type_of(o), cls)
}

/// Looks `name` up along the MRO (no binding); null if absent.
pub fn class_lookup(t: GcRef, name: &str) -> GcRef {
    for c in (0..).map_while(|i| mro_at(t, i)) {
        if let Some(v) = dict::get_str(getr(c, &type_obj::dict), name) {
            return v;
        }
    }
    GcRef::NULL
}

/// Looks `name` up in the namespaces of `classes`, in order.
pub fn lookup_in(classes: &[GcRef], name: &str) -> GcRef {
    for t in classes {
        if let Some(v) = dict::get_str(getr(*t, &type_obj::dict), name) {
            return v;
        }
    }
    GcRef::NULL
}

/// C3 linearisation of a new class over `bases`, or CPython's TypeError.
pub fn c3_mro(cls: GcRef, bases: &[GcRef]) -> PyResult<Vec<GcRef>> {
    let mut seqs: Vec<Vec<GcRef>> = bases.iter().map(|b| mro_of(*b)).collect();
    seqs.push(bases.to_vec());
    let mut out = vec![cls];
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Ok(out);
        }
        // The first head that is in no other sequence's tail.
        let head = seqs
            .iter()
            .map(|s| s[0])
            .find(|h| !seqs.iter().any(|s| s[1..].contains(h)));
        let Some(h) = head else {
            // CPython names the heads still waiting to merge.
            let mut names: Vec<String> = Vec::new();
            for s in &seqs {
                let n = type_name(s[0]);
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            return err(
                ExcKind::TypeError,
                format!(
                    "Cannot create a consistent method resolution\norder (MRO) for bases {}",
                    names.join(", ")
                ),
            );
        };
        out.push(h);
        for s in seqs.iter_mut() {
            if s[0] == h {
                s.remove(0);
            }
        }
    }
}

thread_local! {
    /// (class, name) → (class version, attribute). Classes and names are
    /// never freed (both are kept alive), so keys cannot be reused; an
    /// entry of an older version is simply overwritten.
    static LOOKUP_CACHE: RefCell<HashMap<(usize, usize), (i64, GcRef)>> =
        RefCell::new(HashMap::new());
    static SLOT_CACHE: RefCell<HashMap<(i64, usize), i64>> = RefCell::new(HashMap::new());
    /// (map id, interned name) → the map after adding the name (maps and
    /// their transitions never change).
    static ADD_CACHE: RefCell<HashMap<(i64, usize), GcRef>> = RefCell::new(HashMap::new());
    /// Every user class (kept alive by `keep`), to find subclasses.
    static USER_CLASSES: RefCell<Vec<GcRef>> = const { RefCell::new(Vec::new()) };
}

/// Entries of the direct-mapped caches in front of `LOOKUP_CACHE` and
/// `SLOT_CACHE` (the interpreter asks them on every attribute access).
const FRONT: usize = 1024;

thread_local! {
    /// (class, name, version, attribute), indexed by `front_index`.
    static LOOKUP_FRONT: [Cell<(usize, usize, i64, GcRef)>; FRONT] =
        const { [const { Cell::new((0, 0, 0, GcRef::NULL)) }; FRONT] };
    /// (map id, name, slot), indexed by `front_index` (no map has id -1).
    static SLOT_FRONT: [Cell<(i64, usize, i64)>; FRONT] =
        const { [const { Cell::new((-1, 0, 0)) }; FRONT] };
}

#[inline]
fn front_index(a: usize, b: usize) -> usize {
    ((a >> 3) ^ (a >> 13) ^ (b >> 3).wrapping_mul(0x9e37)) & (FRONT - 1)
}

extern "C" fn mp_class_lookup(t: GcRef, name: GcRef, version: i64) -> GcRef {
    let key = (t.addr(), name.addr());
    let i = front_index(key.0, key.1);
    let e = LOOKUP_FRONT.with(|f| f[i].get());
    if (e.0, e.1, e.2) == (key.0, key.1, version) {
        return e.3;
    }
    let hit = LOOKUP_CACHE.with(|c| c.borrow().get(&key).copied());
    if let Some((ver, v)) = hit {
        if ver == version {
            LOOKUP_FRONT.with(|f| f[i].set((key.0, key.1, version, v)));
            return v;
        }
    }
    let v = class_lookup(t, &str_of(name));
    LOOKUP_CACHE.with(|c| c.borrow_mut().insert(key, (version, v)));
    LOOKUP_FRONT.with(|f| f[i].set((key.0, key.1, version, v)));
    v
}
/// `(base_tag(t), is_exception_class(t))` of user class `t`, cached by
/// (class, version) like class lookups (asked at every instantiation).
pub fn class_kind_cached(t: GcRef) -> (i64, bool) {
    thread_local! {
        static KIND: [Cell<(usize, i64, i64, bool)>; 64] =
            const { [const { Cell::new((0, 0, 0, false)) }; 64] };
    }
    let ver = geti(t, &type_obj::version);
    let i = (t.addr() >> 4) & 63;
    let e = KIND.with(|k| k[i].get());
    if (e.0, e.1) == (t.addr(), ver) {
        return (e.2, e.3);
    }
    let (b, x) = (base_tag(t), is_exception_class(t));
    KIND.with(|k| k[i].set((t.addr(), ver, b, x)));
    (b, x)
}

/// `class_lookup(t, name)` through the version-keyed cache of
/// [`CLASS_LOOKUP`] (`name` interned).
pub fn class_lookup_cached(t: GcRef, name: GcRef) -> GcRef {
    mp_class_lookup(t, name, geti(t, &type_obj::version))
}
metatrace::residual!(
    /// Class attribute lookup: elidable, keyed by the class's
    /// (quasi-immutable) version so traces fold it and are invalidated
    /// when the class or one of its bases changes.
    pub static CLASS_LOOKUP = fn mp_class_lookup(t: GcRef, name: GcRef, version: i64) -> GcRef,
    EffectInfo::ELIDABLE
);

/// `cls` and every user class with `cls` in its MRO: whose lookups a write
/// to `cls`'s namespace may change.
pub fn affected_by(cls: GcRef) -> Vec<GcRef> {
    let mut v = vec![cls];
    USER_CLASSES.with(|c| {
        for k in c.borrow().iter() {
            if *k != cls && mro_of(*k).contains(&cls) {
                v.push(*k);
            }
        }
    });
    v
}

// ---- maps -----------------------------------------------------------------

struct MapInfo {
    names: Vec<String>,
    index: HashMap<String, usize>,
    trans: HashMap<String, GcRef>,
    cls: GcRef,
}

thread_local! {
    static MAPS: RefCell<Vec<MapInfo>> = const { RefCell::new(Vec::new()) };
}

fn new_map_obj(cls: GcRef, from: usize) -> GcRef {
    let _ = from;
    let id = MAPS.with(|m| {
        let mut m = m.borrow_mut();
        m.push(MapInfo {
            names: vec![],
            index: HashMap::new(),
            trans: HashMap::new(),
            cls,
        });
        m.len() - 1
    });
    let o = heap::new_struct(&map_obj::SIZE);
    seti(o, &map_obj::id, id as i64);
    setr(o, &map_obj::cls, cls);
    keep(o)
}

/// Slot of `name` in `map`, or -1.
pub fn map_slot(map: GcRef, name: &str) -> i64 {
    let id = geti(map, &map_obj::id) as usize;
    MAPS.with(|m| {
        m.borrow()[id]
            .index
            .get(name)
            .map(|i| *i as i64)
            .unwrap_or(-1)
    })
}

/// The map after adding `name` (cached transition).
pub fn map_add(map: GcRef, name: &str) -> GcRef {
    let id = geti(map, &map_obj::id) as usize;
    if let Some(t) = MAPS.with(|m| m.borrow()[id].trans.get(name).copied()) {
        return t;
    }
    let (cls, mut names) = MAPS.with(|m| {
        let m = m.borrow();
        (m[id].cls, m[id].names.clone())
    });
    let nm = new_map_obj(cls, id);
    let nid = geti(nm, &map_obj::id) as usize;
    names.push(name.to_string());
    MAPS.with(|m| {
        let mut m = m.borrow_mut();
        m[nid].index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        m[nid].names = names;
        m[id].trans.insert(name.to_string(), nm);
    });
    nm
}

pub fn map_names(map: GcRef) -> Vec<String> {
    let id = geti(map, &map_obj::id) as usize;
    MAPS.with(|m| m.borrow()[id].names.clone())
}

extern "C" fn mp_map_slot(map: GcRef, name: GcRef) -> i64 {
    // Names passed here are interned (rooted) strs: their address is a key.
    let key = (geti(map, &map_obj::id), name.addr());
    let i = front_index(key.0 as usize * 8, key.1);
    let e = SLOT_FRONT.with(|f| f[i].get());
    if (e.0, e.1) == key {
        return e.2;
    }
    if let Some(s) = SLOT_CACHE.with(|c| c.borrow().get(&key).copied()) {
        SLOT_FRONT.with(|f| f[i].set((key.0, key.1, s)));
        return s;
    }
    let s = map_slot(map, &str_of(name));
    SLOT_CACHE.with(|c| c.borrow_mut().insert(key, s));
    SLOT_FRONT.with(|f| f[i].set((key.0, key.1, s)));
    s
}

/// `map_slot(map, name)` through the cache of [`MAP_SLOT`] (`name`
/// interned).
pub fn map_slot_interned(map: GcRef, name: GcRef) -> i64 {
    mp_map_slot(map, name)
}
extern "C" fn mp_map_add(map: GcRef, name: GcRef) -> GcRef {
    // Names passed here are interned (rooted) strs, as for `mp_map_slot`.
    let key = (geti(map, &map_obj::id), name.addr());
    if let Some(m) = ADD_CACHE.with(|c| c.borrow().get(&key).copied()) {
        return m;
    }
    let m = map_add(map, &str_of(name));
    ADD_CACHE.with(|c| c.borrow_mut().insert(key, m));
    m
}
metatrace::residual!(
    /// Attribute slot in a map (elidable: maps never change).
    pub static MAP_SLOT = fn mp_map_slot(map: GcRef, name: GcRef) -> i64, EffectInfo::ELIDABLE
);
metatrace::residual!(
    /// Map transition (elidable: the same transition every time).
    pub static MAP_ADD = fn mp_map_add(map: GcRef, name: GcRef) -> GcRef, EffectInfo::ELIDABLE
);

/// Plain attribute read of an instance's own slot.
pub fn inst_get(o: GcRef, name: &str) -> Option<GcRef> {
    let m = getr(o, &inst_obj::map);
    let s = map_slot(m, name);
    if s < 0 {
        return None;
    }
    let v = slot_get(o, s as usize);
    (!v.is_null()).then_some(v)
}

/// Plain attribute write of an instance slot (adds it if new).
pub fn inst_set(o: GcRef, name: &str, v: GcRef) {
    let m = getr(o, &inst_obj::map);
    let mut s = map_slot(m, name);
    if s < 0 {
        let nm = map_add(m, name);
        s = map_slot(nm, name);
        grow_slots(o, s as usize + 1);
        setr(o, &inst_obj::map, nm);
    }
    let s = s as usize;
    if s < INLINE_SLOTS {
        setr(o, inline_slot(s), v);
    } else {
        aset(getr(o, &inst_obj::slots), s - INLINE_SLOTS, v);
    }
}

/// Makes room for `need` attribute slots (the overflow array beyond the
/// inline ones).
pub fn grow_slots(o: GcRef, need: usize) {
    let Some(need) = need.checked_sub(INLINE_SLOTS).filter(|n| *n > 0) else {
        return;
    };
    let sl = getr(o, &inst_obj::slots);
    let have = if sl.is_null() { 0 } else { alen(sl) };
    if have >= need {
        return;
    }
    let n = new_refs((need * 2).max(INST_SLOTS));
    for i in 0..have {
        aset(n, i, aget(sl, i));
    }
    setr(o, &inst_obj::slots, n);
}

extern "C" fn mp_grow_slots(o: GcRef, need: i64) {
    grow_slots(o, need as usize)
}
metatrace::residual!(
    /// Grows an instance's slot array.
    pub static GROW_SLOTS = fn mp_grow_slots(o: GcRef, need: i64), EffectInfo::RESIDUAL
);

pub fn new_instance(cls: GcRef) -> GcRef {
    let o = heap::new_struct(&inst_obj::SIZE);
    setr(o, &inst_obj::cls, cls);
    setr(o, &inst_obj::map, getr(cls, &type_obj::root_map));
    o
}

// ---- exceptions ----------------------------------------------------------

/// A new exception instance of builtin class `name` with `args`.
pub fn exc_with_args(cls: GcRef, args: &[GcRef]) -> GcRef {
    let e = new_instance(cls);
    inst_set(e, "args", new_tuple(args));
    e
}

/// `Err(NameOfClass(msg))`.
pub fn exc_new(k: ExcKind, msg: &str) -> GcRef {
    let cls = rt().exc(k);
    exc_with_args(cls, &[new_str(msg)])
}

pub fn err<T>(k: ExcKind, msg: impl AsRef<str>) -> PyResult<T> {
    Err(exc_new(k, msg.as_ref()))
}

pub fn is_exception_class(t: GcRef) -> bool {
    t.tid() == tid::TYPE && is_subclass(t, rt().exc(ExcKind::BaseException))
}

/// Creates a class from a namespace dict and its bases (at least one).
pub fn new_class(name: GcRef, bases: &[GcRef], ns: GcRef) -> PyResult<GcRef> {
    let o = heap::new_struct(&type_obj::SIZE);
    setr(o, &type_obj::name, name);
    setr(o, &type_obj::base, bases[0]);
    setr(o, &type_obj::bases, new_tuple(bases));
    let mro = c3_mro(o, bases)?;
    setr(o, &type_obj::mro, new_tuple(&mro));
    setr(o, &type_obj::dict, ns);
    seti(o, &type_obj::tag, tag::USER);
    let m = new_map_obj(o, 0);
    setr(o, &type_obj::root_map, m);
    let o = keep(o);
    USER_CLASSES.with(|c| c.borrow_mut().push(o));
    Ok(o)
}

/// Nearest builtin tag of a class (for subclasses of builtins).
pub fn base_tag(t: GcRef) -> i64 {
    (0..)
        .map_while(|i| mro_at(t, i))
        .map(|c| geti(c, &type_obj::tag))
        .find(|g| *g != tag::USER)
        .unwrap_or(tag::OBJECT)
}

// ---- enums and dunders -----------------------------------------------

/// Is `cls` a subclass of `enum.Enum` (not Enum itself)?
pub fn is_enum_class(cls: GcRef) -> bool {
    cls.tid() == tid::TYPE
        && !class_lookup(cls, "__enum__").is_null()
        && dict::get_str(getr(cls, &type_obj::dict), "__enum__").is_none()
}

/// The int an `IntEnum` member stands for (its `_value_`), for builtins
/// that want an integer (`range`, `hex`, indexing a str, ...).
pub fn int_value(o: GcRef) -> Option<GcRef> {
    let cls = getr(o, &inst_obj::cls);
    if !is_enum_class(cls) || !is_subclass(cls, rt().ty(tag::INT)) {
        return None;
    }
    inst_get(o, "_value_").filter(|v| crate::numbers::is_intlike(*v))
}

/// Whether a dunder named `name` is defined by the class of instance `o`.
pub fn has_dunder(o: GcRef, name: &str) -> bool {
    o.tid() == tid::INST && !class_lookup(getr(o, &inst_obj::cls), name).is_null()
}

// ---- abc.ABCMeta (the one metaclass) -----------------------------------

thread_local! {
    /// `abc.ABCMeta` once `abc` was imported (compared by identity).
    static ABC_META: std::cell::Cell<GcRef> = const { std::cell::Cell::new(GcRef::NULL) };
}

/// Records `abc.ABCMeta` (when the `abc` module is made).
pub fn set_abc_meta(meta: GcRef) {
    ABC_META.with(|c| c.set(meta));
}

/// `abc.ABCMeta`, if the `abc` module was imported.
pub fn abc_meta() -> Option<GcRef> {
    Some(ABC_META.with(|c| c.get())).filter(|m| !m.is_null())
}

/// The metaclass of class `cls` when it is not `type`: `abc.ABCMeta` for
/// every class below `abc.ABC` or declared with `metaclass=ABCMeta` (both
/// carry the `__abc__` marker).
pub fn metaclass_of(cls: GcRef) -> Option<GcRef> {
    let meta = abc_meta()?;
    (cls != meta && !class_lookup(cls, "__abc__").is_null()).then_some(meta)
}

// ---- upcalls -------------------------------------------------------------

/// What lower-layer code needs from higher layers: guest code (a user
/// `__hash__` / `__eq__` met inside dict and set operations, a user
/// `__repr__` / `__str__` met while formatting), dict-view
/// equality and generic iteration. The interpreter installs them
/// (`guestcall::install_upcalls`, called by `run`), so this layer does not
/// import the modules that implement them.
pub struct Upcalls {
    /// `hash(o)` for an instance whose class defines `__hash__`.
    pub user_hash: fn(GcRef) -> PyResult<i64>,
    /// `a == b` when one of them defines `__eq__`.
    pub user_eq: fn(GcRef, GcRef) -> PyResult<bool>,
    /// `o.__repr__()` / `o.__str__()` of an instance (the dunder's name).
    pub user_text: fn(GcRef, &str) -> PyResult<String>,
    /// `a == b` when one of them is a dict view.
    pub view_eq: fn(GcRef, GcRef) -> PyResult<bool>,
    /// The items of any iterable builtin value (`ops::iterate`).
    pub iterate: fn(GcRef) -> PyResult<Vec<GcRef>>,
}

static UPCALLS: std::sync::OnceLock<Upcalls> = std::sync::OnceLock::new();

/// Installs the upcalls (the first installation wins: there is only one
/// set of implementations).
pub fn install_upcalls(u: Upcalls) {
    let _ = UPCALLS.set(u);
}

/// The installed upcalls.
pub fn upcalls() -> &'static Upcalls {
    UPCALLS.get().expect("minipy::run installs the upcalls")
}
