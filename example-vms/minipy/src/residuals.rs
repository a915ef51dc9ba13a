//! Residual helpers of the interpreter: small Rust functions that traces
//! call (`call_*` ops) for work not worth inlining — building dicts and
//! sets, namespace access, unpacking, exception matching, deletion.
//!
//! Owns: these functions and their call descriptors.

use crate::dict;
use crate::objects::*;
use crate::ops;
use crate::types;
use metatrace::heap::GcRef;
use metatrace::ir::EffectInfo;

// ---- residual helpers used by the interpreter ------------------------------

extern "C" fn mp_truthy_r(o: GcRef) -> i64 {
    match ops::truthy(o) {
        Ok(b) => b as i64,
        Err(_) => 2,
    }
}
metatrace::residual!(
    /// Truthiness of a builtin value: 0, 1, or 2 = ask the guest.
    pub static TRUTHY_R = fn mp_truthy_r(o: GcRef) -> i64, EffectInfo::RESIDUAL
);
extern "C" fn mp_ns_get(ns: GcRef, name: GcRef) -> GcRef {
    dict::get(ns, name).ok().flatten().unwrap_or(GcRef::NULL)
}
metatrace::residual!(
    /// Class-body namespace read (null if absent).
    pub static NS_GET = fn mp_ns_get(ns: GcRef, name: GcRef) -> GcRef, EffectInfo::RESIDUAL
);
extern "C" fn mp_ns_set(ns: GcRef, name: GcRef, v: GcRef) {
    let _ = dict::set(ns, name, v);
}
metatrace::residual!(
    /// Class-body namespace write.
    pub static NS_SET = fn mp_ns_set(ns: GcRef, name: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_build_set(t: GcRef) -> GcRef {
    ops::deliver(crate::sets::from_items(&tuple_items(t)))
}
metatrace::residual!(
    /// A set from a tuple.
    pub static BUILD_SET = fn mp_build_set(t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_build_const_set(t: GcRef) -> GcRef {
    use crate::sets;
    let folded = sets::from_items(&tuple_items(t)).and_then(|f| sets::from_items(&sets::keys(f)));
    ops::deliver(folded.map(sets::copy))
}
metatrace::residual!(
    /// A set display of constants (see `Instr::BuildConstSet`).
    pub static BUILD_CONST_SET = fn mp_build_const_set(t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_build_dict(t: GcRef) -> GcRef {
    let d = dict::new_dict();
    let items = tuple_items(t);
    for p in items.chunks(2) {
        if let Err(e) = dict::set(d, p[0], p[1]) {
            return ops::deliver(Err(e));
        }
    }
    d
}
metatrace::residual!(
    /// A dict from a tuple of alternating keys and values.
    pub static BUILD_DICT = fn mp_build_dict(t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_set_add(s: GcRef, v: GcRef) -> GcRef {
    ops::deliver(crate::sets::add(s, v).map(|_| none()))
}
metatrace::residual!(
    /// set.add for comprehensions.
    pub static SET_ADD = fn mp_set_add(s: GcRef, v: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_list_append_slow(l: GcRef, v: GcRef) {
    list_append(l, v)
}
metatrace::residual!(
    /// list.append when the item array is full.
    pub static LIST_APPEND_SLOW = fn mp_list_append_slow(l: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_unpack(l: GcRef, n: i64) -> GcRef {
    ops::deliver(ops::unpack(l, n as usize).map(|v| new_tuple(&v)))
}
metatrace::residual!(
    /// Unpacks a list into exactly n items (as a tuple).
    pub static UNPACK = fn mp_unpack(l: GcRef, n: i64) -> GcRef, ops::RAISES
);
extern "C" fn mp_unpack_ex(l: GcRef, a: i64, b: i64) -> GcRef {
    let items = list_items(l);
    let (a, b) = (a as usize, b as usize);
    if items.len() < a + b {
        return ops::deliver(types::err(
            ExcKind::ValueError,
            format!(
                "not enough values to unpack (expected at least {}, got {})",
                a + b,
                items.len()
            ),
        ));
    }
    let mut out: Vec<GcRef> = items[..a].to_vec();
    out.push(new_list(&items[a..items.len() - b]));
    out.extend_from_slice(&items[items.len() - b..]);
    new_tuple(&out)
}
metatrace::residual!(
    /// Starred unpacking: (a items, list of the middle, b items).
    pub static UNPACK_EX = fn mp_unpack_ex(l: GcRef, a: i64, b: i64) -> GcRef, ops::RAISES
);
extern "C" fn mp_to_list(o: GcRef) -> GcRef {
    ops::deliver(ops::iterate(o).map(|v| new_list(&v)))
}
metatrace::residual!(
    /// list(o) for builtin iterables (null: needs guest code).
    pub static TO_LIST = fn mp_to_list(o: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_iter_next(it: GcRef) -> GcRef {
    match ops::iter_next(it) {
        Ok(Some(v)) => v,
        Ok(None) => GcRef::NULL,
        Err(e) => ops::deliver(Err(e)),
    }
}
metatrace::residual!(
    /// Next item of a builtin iterator (null when exhausted).
    pub static ITER_NEXT = fn mp_iter_next(it: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_exc_match(e: GcRef, t: GcRef) -> GcRef {
    let classes = if t.tid() == tid::TUPLE {
        tuple_items(t)
    } else {
        vec![t]
    };
    for c in classes {
        if !types::is_exception_class(c) {
            return ops::deliver(types::err(
                ExcKind::TypeError,
                "catching classes that do not inherit from BaseException is not allowed",
            ));
        }
        if types::isinstance(e, c) {
            return rt().true_;
        }
    }
    rt().false_
}
metatrace::residual!(
    /// `except T:` test.
    pub static EXC_MATCH = fn mp_exc_match(e: GcRef, t: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_delitem(o: GcRef, i: GcRef) -> GcRef {
    ops::deliver(ops::delitem(o, i))
}
metatrace::residual!(
    /// `del o[i]`.
    pub static DELITEM = fn mp_delitem(o: GcRef, i: GcRef) -> GcRef, ops::RAISES
);
extern "C" fn mp_delattr(o: GcRef, name: GcRef) -> GcRef {
    let n = str_of(name);
    if o.tid() == tid::INST && types::inst_get(o, &n).is_some() {
        types::inst_set(o, &n, GcRef::NULL);
        return none();
    }
    ops::deliver(types::err(
        ExcKind::AttributeError,
        format!("'{}' object has no attribute '{n}'", types::tname(o)),
    ))
}
metatrace::residual!(
    /// `del o.name` (instances only).
    pub static DELATTR = fn mp_delattr(o: GcRef, name: GcRef) -> GcRef, ops::RAISES
);
