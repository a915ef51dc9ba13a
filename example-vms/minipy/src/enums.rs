//! `enum.Enum` classes: what CPython does in `EnumType` (the metaclass),
//! done when the class is built since minipy has no metaclasses.
//!
//! Owns: turning the plain class attributes of an Enum subclass into
//! member instances (`_name_`/`_value_`, `name`/`value`, aliases for
//! repeated values, `auto()`), the member tables CPython also keeps
//! (`_member_names_`, `_value2member_map_`), and the class-level
//! operations: `Color(value)`, iteration in definition order, `len`,
//! `Color['NAME']` and `in`.

use crate::dict;
use crate::objects::*;
use crate::types::{self, err, PyResult};
use metatrace::heap::GcRef;

pub use crate::types::{int_value, is_enum_class};

fn is_member_candidate(name: &str, v: GcRef) -> bool {
    let private = name.starts_with("__") || (name.starts_with('_') && name.ends_with('_'));
    let callable = matches!(v.tid(), tid::FUNC | tid::WRAP | tid::BUILTIN | tid::TYPE);
    !private && !callable
}

/// Creates the members of a freshly built Enum subclass.
pub fn make_members(cls: GcRef) -> PyResult<()> {
    if !is_enum_class(cls) {
        return Ok(());
    }
    let ns = getr(cls, &type_obj::dict);
    let by_value = dict::new_dict();
    let mut names = Vec::new();
    let mut last: i64 = 0;
    for (k, v) in dict::items(ns) {
        let name = str_of(k);
        if !is_member_candidate(&name, v) {
            continue;
        }
        let mut v = v;
        if v.tid() == tid::INST && types::type_name(types::type_of(v)) == "auto" {
            v = new_int(last + 1);
        }
        if v.tid() == tid::INT {
            last = geti(v, &int_obj::v);
        }
        if let Some(m) = dict::get(by_value, v)? {
            // A repeated value names an alias of the first member.
            dict::set_str(ns, &name, m);
            continue;
        }
        let m = types::new_instance(cls);
        for (a, x) in [("_name_", k), ("_value_", v), ("name", k), ("value", v)] {
            types::inst_set(m, a, x);
        }
        keep(m);
        dict::set_str(ns, &name, m);
        dict::set(by_value, v, m)?;
        names.push(k);
    }
    dict::set_str(ns, "_member_names_", new_list(&names));
    dict::set_str(ns, "_value2member_map_", by_value);
    Ok(())
}

/// CPython 3.11's `EnumType._check_for_existing_members_`, run before the
/// class body: an enum that has members is final; one without members
/// (only methods) may be a base.
pub fn check_extend(class_name: GcRef, bases: &[GcRef]) -> PyResult<()> {
    for chain in bases {
        for base in types::mro_of(*chain) {
            let own = dict::get_str(getr(base, &type_obj::dict), "_member_names_");
            let has_members = own.is_some_and(|l| l.tid() == tid::LIST && list_len(l) > 0);
            if is_enum_class(base) && has_members {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "<enum '{}'> cannot extend <enum '{}'>",
                        str_of(class_name),
                        types::type_name(base)
                    ),
                );
            }
        }
    }
    Ok(())
}

fn members(cls: GcRef) -> Vec<GcRef> {
    let names = types::class_lookup(cls, "_member_names_");
    if names.is_null() {
        return Vec::new();
    }
    list_items(names)
        .into_iter()
        .map(|n| types::class_lookup(cls, &str_of(n)))
        .collect()
}

/// `Color(value)`: the member with that value.
pub fn lookup(cls: GcRef, v: GcRef) -> PyResult<GcRef> {
    let map = types::class_lookup(cls, "_value2member_map_");
    if map.tid() == tid::DICT {
        if let Some(m) = dict::get(map, v)? {
            return Ok(m);
        }
    }
    if v.tid() == tid::INST && types::type_of(v) == cls {
        return Ok(v);
    }
    let r = crate::strings::repr(v)?;
    err(
        ExcKind::ValueError,
        format!("{r} is not a valid {}", types::type_name(cls)),
    )
}
extern "C" fn mp_enum_lookup(cls: GcRef, v: GcRef) -> GcRef {
    types::deliver(lookup(cls, v))
}
metatrace::residual!(
    /// `EnumClass(value)`.
    pub static ENUM_LOOKUP = fn mp_enum_lookup(cls: GcRef, v: GcRef) -> GcRef, types::RAISES
);

/// The members in definition order (iteration over the class).
pub fn iter(cls: GcRef) -> Option<GcRef> {
    is_enum_class(cls).then(|| new_seq_iter(new_tuple(&members(cls)), 1))
}

pub fn len(cls: GcRef) -> Option<i64> {
    is_enum_class(cls).then(|| members(cls).len() as i64)
}

/// `Color['RED']`.
pub fn getitem(cls: GcRef, k: GcRef) -> Option<PyResult<GcRef>> {
    if !is_enum_class(cls) {
        return None;
    }
    let found = members(cls)
        .into_iter()
        .find(|m| {
            k.tid() == tid::STR && types::inst_get(*m, "_name_").map(str_of) == Some(str_of(k))
        })
        .or_else(|| {
            // Aliases resolve through the namespace.
            let v = if k.tid() == tid::STR {
                dict::get_str(getr(cls, &type_obj::dict), &str_of(k))
            } else {
                None
            };
            v.filter(|v| v.tid() == tid::INST && types::type_of(*v) == cls)
        });
    Some(match found {
        Some(m) => Ok(m),
        None => Err(types::exc_with_args(rt().exc(ExcKind::KeyError), &[k])),
    })
}

/// `member in Color`.
pub fn contains(cls: GcRef, x: GcRef) -> Option<bool> {
    is_enum_class(cls).then(|| members(cls).contains(&x))
}
