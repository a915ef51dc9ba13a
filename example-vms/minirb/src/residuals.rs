//! The residual calls the interpreter makes outside builtins: object
//! construction, class definition, constants, globals, instance
//! variables off the fast path, exceptions and backtraces.
//!
//! Protocol: a helper returning `GcRef` answers null for "an exception
//! was raised"; the exception waits in `builtins::fail`'s slot for
//! `TAKE_ERROR`.

use crate::builtins::{self, fail, to_s_plain};
use crate::bytecode;
use crate::hash;
use crate::objects::{self, cls, *};
use hashbrown::HashMap;
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::ir::EffectInfo;
use std::cell::RefCell;

thread_local! {
    /// Default visibility of `def`s in a class body (`private` alone).
    pub static DEFAULT_VIS: RefCell<HashMap<usize, Vis>> = RefCell::new(HashMap::new());
    /// Classes whose body does `module_function` with no arguments.
    pub static MODULE_FUNCTION: RefCell<HashMap<usize, bool>> = RefCell::new(HashMap::new());
}

fn err_exc(cls_name: &str, msg: &str) -> GcRef {
    fail(new_exc_named(cls_name, msg))
}

extern "C" fn rb_make_exc(c: GcRef, m: GcRef) -> GcRef {
    new_exc_named(&str_of(c), &str_of(m))
}
metatrace::residual!(pub static MAKE_EXC = fn rb_make_exc(c: GcRef, m: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_make_ctl(kind: i64, tag: GcRef, v: GcRef) -> GcRef {
    let o = heap::new_struct(&ctl_obj::SIZE);
    seti(o, &ctl_obj::kind, kind);
    setr(o, &ctl_obj::tag, tag);
    setr(o, &ctl_obj::val, v);
    o
}
metatrace::residual!(pub static MAKE_CTL = fn rb_make_ctl(kind: i64, tag: GcRef, v: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_bt_push(e: GcRef, loc: GcRef, depth: i64) {
    if e.tid() != tid::OBJ {
        return;
    }
    let bs = sym_id("@__bt");
    let ds = sym_id("@__btdepth");
    let mut bt = ivar_get(e, bs);
    if bt.tid() != tid::ARR {
        bt = new_array(&[]);
        ivar_set(e, bs, bt);
    } else {
        let last = ivar_get(e, ds);
        if last.tid() == tid::INT && geti(last, &int_obj::v) <= depth {
            return;
        }
    }
    array_push(bt, loc);
    ivar_set(e, ds, new_int(depth));
}
metatrace::residual!(pub static BT_PUSH = fn rb_bt_push(e: GcRef, loc: GcRef, depth: i64), EffectInfo::RESIDUAL);

extern "C" fn rb_ivar_get(o: GcRef, s: i64) -> GcRef {
    let s = s as usize;
    match o.tid() {
        tid::OBJ => ivar_get(o, s),
        tid::CLASS => {
            let c = class_id(o);
            class_mut(c, |k| k.cvars.get(&s).copied()).unwrap_or_else(nil)
        }
        _ => nil(),
    }
}
metatrace::residual!(pub static IVAR_GET = fn rb_ivar_get(o: GcRef, s: i64) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_ivar_set(o: GcRef, s: i64, v: GcRef) -> GcRef {
    let s = s as usize;
    match o.tid() {
        tid::OBJ => {
            if geti(o, &obj_obj::frozen) != 0 {
                return fail(builtins::frozen_error(o));
            }
            ivar_set(o, s, v)
        }
        tid::CLASS => {
            keep(v);
            let c = class_id(o);
            class_mut(c, |k| k.cvars.insert(s, v));
        }
        _ => {}
    }
    v
}
metatrace::residual!(pub static IVAR_SET = fn rb_ivar_set(o: GcRef, s: i64, v: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_to_proc(v: GcRef) -> GcRef {
    match v.tid() {
        tid::SYM => {
            let p = heap::new_struct(&proc_obj::SIZE);
            seti(p, &proc_obj::code, -1);
            seti(p, &proc_obj::sym, geti(v, &sym_obj::id));
            seti(p, &proc_obj::lambda, 1);
            setr(p, &proc_obj::self_, nil());
            setr(p, &proc_obj::env, nil());
            setr(p, &proc_obj::blk, nil());
            setr(p, &proc_obj::home, nil());
            p
        }
        tid::METH => builtins::method_to_proc(v),
        _ => err_exc(
            "TypeError",
            &format!(
                "wrong argument type {} (expected Proc)",
                builtins::class_name(v)
            ),
        ),
    }
}
metatrace::residual!(pub static TO_PROC = fn rb_to_proc(v: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_no_method(recv: GcRef, s: i64, what: GcRef) -> GcRef {
    let name = sym_name(s as usize);
    let what = str_of(what);
    let desc = builtins::no_method_desc(recv);
    let cls_name = if what.starts_with("undefined local") {
        "NameError"
    } else {
        "NoMethodError"
    };
    let e = new_exc_named(cls_name, &format!("{what} `{name}' for {desc}"));
    ivar_set(e, sym_id("@name"), sym_obj(s as usize));
    ivar_set(e, sym_id("@receiver"), recv);
    e
}
metatrace::residual!(pub static NO_METHOD = fn rb_no_method(recv: GcRef, s: i64, what: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_kw_fetch(h: GcRef, s: i64) -> GcRef {
    if h.tid() != tid::HASH {
        return undef();
    }
    hash::get(h, sym_obj(s as usize)).unwrap_or_else(undef)
}
metatrace::residual!(pub static KW_FETCH = fn rb_kw_fetch(h: GcRef, s: i64) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_kw_rest(h: GcRef) -> GcRef {
    let r = hash::new_hash();
    if h.tid() == tid::HASH {
        let (k, v) = hash::entries(h);
        for (k, v) in k.into_iter().zip(v) {
            hash::set(r, k, v);
        }
    }
    r
}
metatrace::residual!(pub static KW_REST = fn rb_kw_rest(h: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_kw_delete(h: GcRef, s: i64) {
    hash::delete(h, sym_obj(s as usize));
}
metatrace::residual!(pub static KW_DELETE = fn rb_kw_delete(h: GcRef, s: i64), EffectInfo::RESIDUAL);

extern "C" fn rb_str_dup(s: GcRef) -> GcRef {
    let o = heap::new_struct(&str_obj::SIZE);
    setr(o, &str_obj::bytes, getr(s, &str_obj::bytes));
    o
}
metatrace::residual!(pub static STR_DUP = fn rb_str_dup(s: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_global_get(s: i64) -> GcRef {
    global_get(&sym_name(s as usize))
}
metatrace::residual!(pub static GLOBAL_GET = fn rb_global_get(s: i64) -> GcRef, EffectInfo::RESIDUAL);
extern "C" fn rb_global_set(s: i64, v: GcRef) {
    global_set(&sym_name(s as usize), v)
}
metatrace::residual!(pub static GLOBAL_SET = fn rb_global_set(s: i64, v: GcRef), EffectInfo::RESIDUAL);

fn cvar_class(code: usize, me: GcRef) -> usize {
    let c = bytecode::cref(code);
    if c != cls::OBJECT {
        return c;
    }
    match me.tid() {
        tid::CLASS => class_id(me),
        _ => real_class_of(me),
    }
}
extern "C" fn rb_cvar_get(code: i64, me: GcRef, s: i64) -> GcRef {
    let c = cvar_class(code as usize, me);
    match cvar_get(c, s as usize) {
        Some(v) => v,
        None => err_exc(
            "NameError",
            &format!(
                "uninitialized class variable {} in {}",
                sym_name(s as usize),
                class_name_of(c)
            ),
        ),
    }
}
metatrace::residual!(pub static CVAR_GET = fn rb_cvar_get(code: i64, me: GcRef, s: i64) -> GcRef, EffectInfo::RESIDUAL);
extern "C" fn rb_cvar_set(code: i64, me: GcRef, s: i64, v: GcRef) {
    let c = cvar_class(code as usize, me);
    cvar_set(c, s as usize, v)
}
metatrace::residual!(pub static CVAR_SET = fn rb_cvar_set(code: i64, me: GcRef, s: i64, v: GcRef), EffectInfo::RESIDUAL);

extern "C" fn rb_const_missing(c: i64, s: i64) -> GcRef {
    let c = c as usize;
    let name = sym_name(s as usize);
    let full = if c == cls::OBJECT {
        name
    } else {
        format!("{}::{name}", class_name_of(c))
    };
    let e = new_exc_named("NameError", &format!("uninitialized constant {full}"));
    fail(e)
}
metatrace::residual!(pub static CONST_MISSING = fn rb_const_missing(c: i64, s: i64) -> GcRef, EffectInfo::MAY_FORCE);

extern "C" fn rb_set_const(scope: GcRef, s: i64, v: GcRef) {
    let c = if scope.tid() == tid::CLASS {
        class_id(scope)
    } else {
        cls::OBJECT
    };
    set_const(c, s as usize, v);
}
metatrace::residual!(pub static SET_CONST = fn rb_set_const(scope: GcRef, s: i64, v: GcRef), EffectInfo::RESIDUAL);

extern "C" fn rb_array_push(a: GcRef, v: GcRef) {
    array_push(a, v)
}
metatrace::residual!(pub static ARRAY_PUSH = fn rb_array_push(a: GcRef, v: GcRef), EffectInfo::RESIDUAL);
extern "C" fn rb_array_concat(a: GcRef, v: GcRef) {
    for x in builtins::splat_items(v) {
        array_push(a, x);
    }
}
metatrace::residual!(pub static ARRAY_CONCAT = fn rb_array_concat(a: GcRef, v: GcRef), EffectInfo::RESIDUAL);
extern "C" fn rb_to_array(v: GcRef) -> GcRef {
    match v.tid() {
        tid::ARR => v,
        _ => new_array(&builtins::splat_items(v)),
    }
}
metatrace::residual!(pub static TO_ARRAY = fn rb_to_array(v: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_new_hash(pairs: GcRef) -> GcRef {
    let items = array_items(pairs);
    let h = hash::new_hash();
    for kv in items.chunks(2) {
        hash::set(h, kv[0], kv[1]);
    }
    h
}
metatrace::residual!(pub static NEW_HASH = fn rb_new_hash(pairs: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_any_to_s(v: GcRef) -> GcRef {
    new_str(&builtins::default_to_s(v))
}
metatrace::residual!(pub static ANY_TO_S = fn rb_any_to_s(v: GcRef) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_concat(parts: GcRef) -> GcRef {
    let mut out = Vec::new();
    for p in array_items(parts) {
        if p.tid() == tid::STR {
            out.extend(str_bytes(p));
        } else {
            out.extend(to_s_plain(p).into_bytes());
        }
    }
    new_str(&String::from_utf8_lossy(&out))
}
metatrace::residual!(pub static CONCAT = fn rb_concat(parts: GcRef) -> GcRef, EffectInfo::RESIDUAL);

/// The class a `def` in a frame with this `self` defines into.
pub fn definee(me: GcRef) -> usize {
    match me.tid() {
        tid::CLASS => class_id(me),
        _ => real_class_of(me),
    }
}

extern "C" fn rb_define(me: GcRef, target: GcRef, s: i64, cid: i64, here: i64) -> GcRef {
    let s = s as usize;
    let cid = cid as usize;
    bytecode::set_cref(cid, bytecode::cref(here as usize));
    if target.tid() != tid::UNDEF {
        // def obj.name
        let c = builtins::singleton_class_of(target);
        bytecode::set_owner(cid, c);
        define_method(c, s, Meth::Code(cid), Vis::Public);
        return sym_obj(s);
    }
    let c = definee(me);
    bytecode::set_owner(cid, c);
    let vis = DEFAULT_VIS
        .with(|m| m.borrow().get(&c).copied())
        .unwrap_or(Vis::Public);
    let name = sym_name(s);
    let vis = if name == "initialize" || name == "initialize_copy" || name == "respond_to_missing?"
    {
        Vis::Private
    } else {
        vis
    };
    define_method(c, s, Meth::Code(cid), vis);
    if MODULE_FUNCTION.with(|m| m.borrow().get(&c).copied().unwrap_or(false)) {
        let meta = meta_of(c);
        define_method(meta, s, Meth::Code(cid), Vis::Public);
    }
    sym_obj(s)
}
metatrace::residual!(pub static DEFINE = fn rb_define(me: GcRef, target: GcRef, s: i64, cid: i64, here: i64) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_open_class(
    scope: GcRef,
    sup: GcRef,
    s: i64,
    body: i64,
    is_mod: i64,
    here: i64,
) -> GcRef {
    let s = s as usize;
    let parent = if scope.tid() == tid::CLASS {
        class_id(scope)
    } else {
        bytecode::cref(here as usize)
    };
    let existing = get_const(parent, s);
    let c = match existing {
        Some(v) if v.tid() == tid::CLASS => {
            let id = class_id(v);
            if is_mod != 0 && !is_module(id) {
                return err_exc("TypeError", &format!("{} is not a module", sym_name(s)));
            }
            if is_mod == 0 && is_module(id) {
                return err_exc("TypeError", &format!("{} is not a class", sym_name(s)));
            }
            if sup.tid() == tid::CLASS && class_sup(id) != Some(class_id(sup)) {
                return err_exc(
                    "TypeError",
                    &format!("superclass mismatch for class {}", sym_name(s)),
                );
            }
            id
        }
        Some(_) => {
            return err_exc("TypeError", &format!("{} is not a class", sym_name(s)));
        }
        None => {
            let sc = match sup.tid() {
                tid::UNDEF => Some(cls::OBJECT),
                tid::CLASS => Some(class_id(sup)),
                _ => {
                    return err_exc("TypeError", "superclass must be a Class");
                }
            };
            let sc = if is_mod != 0 { None } else { sc };
            let lp = if parent == cls::OBJECT {
                None
            } else {
                Some(parent)
            };
            let id = new_class(&sym_name(s), sc, is_mod != 0, lp);
            if lp.is_none() {
                class_mut(id, |k| k.lexical_parent = None);
            }
            // inherited hook
            if let Some(p) = sc {
                let hs = sym_id("inherited");
                if lookup(meta_of(p), hs).is_some() {
                    let _ = crate::interp::guest_call(
                        class_obj_of(p),
                        hs,
                        vec![class_obj_of(id)],
                        nil(),
                    );
                }
            }
            id
        }
    };
    if parent != cls::OBJECT {
        class_mut(c, |k| {
            if k.lexical_parent.is_none() {
                k.lexical_parent = Some(parent)
            }
        });
    }
    bytecode::set_cref(body as usize, c);
    DEFAULT_VIS.with(|m| m.borrow_mut().remove(&c));
    class_obj_of(c)
}
metatrace::residual!(pub static OPEN_CLASS = fn rb_open_class(scope: GcRef, sup: GcRef, s: i64, body: i64, is_mod: i64, here: i64) -> GcRef, EffectInfo::MAY_FORCE);

extern "C" fn rb_singleton(o: GcRef, body: i64, here: i64) -> GcRef {
    let c = builtins::singleton_class_of(o);
    let _ = here;
    bytecode::set_cref(body as usize, c);
    class_mut(c, |k| {
        if k.lexical_parent.is_none() {
            k.lexical_parent = Some(bytecode::cref(here as usize))
        }
    });
    class_obj_of(c)
}
metatrace::residual!(pub static SINGLETON = fn rb_singleton(o: GcRef, body: i64, here: i64) -> GcRef, EffectInfo::RESIDUAL);

extern "C" fn rb_end_class_body(c: GcRef) {
    if c.tid() == tid::CLASS {
        let id = class_id(c);
        DEFAULT_VIS.with(|m| m.borrow_mut().remove(&id));
        MODULE_FUNCTION.with(|m| m.borrow_mut().remove(&id));
    }
}
metatrace::residual!(pub static END_CLASS_BODY = fn rb_end_class_body(c: GcRef), EffectInfo::RESIDUAL);

extern "C" fn rb_exc_match(e: GcRef, classes: GcRef) -> GcRef {
    if e.tid() == tid::CTL {
        return boolean(false);
    }
    for c in array_items(classes) {
        let cs = if c.tid() == tid::ARR {
            array_items(c)
        } else {
            vec![c]
        };
        for c in cs {
            if c.tid() != tid::CLASS {
                return err_exc("TypeError", "class or module required for rescue clause");
            }
            // A user `===` on the class is not consulted.
            if is_a(e, class_id(c)) {
                return boolean(true);
            }
        }
    }
    boolean(false)
}
metatrace::residual!(pub static EXC_MATCH = fn rb_exc_match(e: GcRef, classes: GcRef) -> GcRef, EffectInfo::MAY_FORCE);

pub fn _unused() {
    let _ = objects::nil;
}

/// Reads the heap, writes nothing the traces read (may allocate, may fill
/// a string's ASCII cache, which compiled code never reads), never
/// raises: heap caches survive the call.
const READS: EffectInfo = EffectInfo {
    writes_heap: false,
    ..EffectInfo::RESIDUAL
};

extern "C" fn rb_str_eq(a: GcRef, b: GcRef) -> i64 {
    let n = str_byte_len(a);
    if n != str_byte_len(b) {
        return 0;
    }
    // In stack-sized chunks: most compared strings are short, and the
    // helper should not allocate.
    let (ba, bb) = (getr(a, &str_obj::bytes), getr(b, &str_obj::bytes));
    let (mut x, mut y) = ([0u8; 64], [0u8; 64]);
    let mut i = 0;
    while i < n {
        let k = (n - i).min(64);
        metatrace::heap::read_bytes(ba, &metatrace::heap::BYTE_ARRAY, i, &mut x[..k]);
        metatrace::heap::read_bytes(bb, &metatrace::heap::BYTE_ARRAY, i, &mut y[..k]);
        if x[..k] != y[..k] {
            return 0;
        }
        i += k;
    }
    1
}
metatrace::residual!(
    /// `String#==` of two Strings: 1 when their bytes are equal.
    pub static STR_EQ = fn rb_str_eq(a: GcRef, b: GcRef) -> i64, READS);

extern "C" fn rb_array_filled(n: i64, fill: GcRef) -> GcRef {
    // `fill` is an argument (a root for the conservative stack scan) and
    // live across both allocations.
    let n = n.max(0);
    let items = metatrace::heap::new_array(&REF_ARRAY, n.max(4)).expect("array size");
    for i in 0..n {
        metatrace::heap::setarrayitem_ref(items, &REF_ARRAY, i, fill);
    }
    let o = metatrace::heap::new_struct(&arr_obj::SIZE);
    setr(o, &arr_obj::items, items);
    seti(o, &arr_obj::len, n);
    o
}
metatrace::residual!(
    /// `Array.new(n, fill)` for `n >= 0` (the caller checks): a new Array
    /// of `n` times `fill`. It only allocates, so heap facts survive it.
    pub static ARRAY_FILLED = fn rb_array_filled(n: i64, fill: GcRef) -> GcRef, READS);

extern "C" fn rb_str_len(s: GcRef) -> i64 {
    if str_is_ascii(s) {
        return str_byte_len(s) as i64;
    }
    String::from_utf8_lossy(&str_bytes(s)).chars().count() as i64
}
metatrace::residual!(
    /// `String#length`: the number of characters.
    pub static STR_LEN = fn rb_str_len(s: GcRef) -> i64, READS);

/// `s[i]` (`single`) or `s[i, len]` of an ASCII string, as CRuby answers
/// them: nil out of range; `s[len, k]` is "" (the end is a valid start).
pub fn str_slice_ascii(s: GcRef, i: i64, len: i64, single: bool) -> GcRef {
    let n = str_byte_len(s) as i64;
    let k = if i < 0 { i + n } else { i };
    if single {
        if k < 0 || k >= n {
            return nil();
        }
        let c = [str_byte_at(s, k as usize)];
        return new_str(std::str::from_utf8(&c).unwrap_or(""));
    }
    if k < 0 || k > n || len < 0 {
        return nil();
    }
    let end = (k + len).min(n) as usize;
    let mut out = vec![0u8; end - k as usize];
    metatrace::heap::read_bytes(
        getr(s, &str_obj::bytes),
        &metatrace::heap::BYTE_ARRAY,
        k as usize,
        &mut out,
    );
    new_str(std::str::from_utf8(&out).unwrap_or(""))
}

extern "C" fn rb_str_at(s: GcRef, i: i64) -> GcRef {
    if str_is_ascii(s) {
        return str_slice_ascii(s, i, 1, true);
    }
    let b = str_bytes(s);
    let chars: Vec<char> = String::from_utf8_lossy(&b).chars().collect();
    let n = chars.len() as i64;
    let k = if i < 0 { i + n } else { i };
    if k < 0 || k >= n {
        return nil();
    }
    new_str(&chars[k as usize].to_string())
}
metatrace::residual!(
    /// `String#[]` with an Integer index: a one-character String or nil.
    pub static STR_AT = fn rb_str_at(s: GcRef, i: i64) -> GcRef, READS);
