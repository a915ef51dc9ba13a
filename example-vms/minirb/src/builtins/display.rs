//! CRuby's printing and comparison of any value: `class_name`, `to_s`
//! (plain and with a user `to_s`), `inspect` (what `p` prints), the
//! default `#<Foo ...>` form, `main`'s identity (`set_main`), and value
//! `==` / `eql?` as builtins use them.
//!
//! May touch: any value's layout read-only (through `objects`), `hash`
//! for entries and key equality, and guest code only through
//! `gcall` when the receiver's class defines the method itself.

use super::*;

/// The class name of a value.
pub fn class_name(v: GcRef) -> String {
    class_name_of(real_class_of(v))
}

pub fn default_to_s(v: GcRef) -> String {
    match v.tid() {
        tid::OBJ => {
            let c = real_class_of(v);
            if v == main_obj() {
                return "main".into();
            }
            if is_a(v, cls::EXCEPTION) {
                return exc_message_plain(v);
            }
            format!("#<{}>", class_name_of(c))
        }
        _ => to_s_plain(v),
    }
}

pub(super) fn main_obj() -> GcRef {
    MAIN.with(|m| m.get())
}
thread_local! {
    static MAIN: std::cell::Cell<GcRef> = const { std::cell::Cell::new(GcRef::NULL) };
}
pub fn set_main(m: GcRef) {
    MAIN.with(|c| c.set(m));
}

fn exc_message_plain(e: GcRef) -> String {
    let m = ivar_get(e, sym_id("@message"));
    if m.tid() == tid::NIL {
        class_name(e)
    } else {
        to_s_plain(m)
    }
}

/// `to_s` without guest code.
pub fn to_s_plain(v: GcRef) -> String {
    match v.tid() {
        tid::INT => geti(v, &int_obj::v).to_string(),
        tid::BIG => big_of(v).to_string(),
        tid::FLOAT => fmt_float(float_of(v)),
        tid::NIL => String::new(),
        tid::TRUE => "true".into(),
        tid::FALSE => "false".into(),
        tid::STR => str_of(v),
        tid::SYM => sym_name(geti(v, &sym_obj::id) as usize),
        tid::ARR | tid::HASH => inspect(v),
        tid::RANGE => {
            let (lo, hi, ex) = range_parts(v);
            format!("{}{}{}", to_s(lo), if ex { "..." } else { ".." }, to_s(hi))
        }
        tid::CLASS => {
            let c = class_id(v);
            if is_singleton(c) {
                return format!("#<Class:{}>", class_name_of(class_sup(c).unwrap_or(0)));
            }
            class_name_of(c)
        }
        tid::PROC => {
            if geti(v, &proc_obj::lambda) != 0 {
                "#<Proc:0x0001 (lambda)>".into()
            } else {
                "#<Proc:0x0001>".into()
            }
        }
        tid::OBJ => default_to_s(v),
        tid::METH => format!("#<Method: {}>", sym_name(geti(v, &meth_obj::sym) as usize)),
        _ => "#<Object>".into(),
    }
}

/// `to_s` (a user `to_s` is called).
pub fn to_s(v: GcRef) -> String {
    if v.tid() == tid::STR {
        return str_of(v);
    }
    if (v.tid() == tid::OBJ || v.tid() == tid::CLASS) && user_defined(v, "to_s") {
        if let Ok(r) = gcall(v, "to_s", vec![]) {
            if r.tid() == tid::STR {
                return str_of(r);
            }
        }
        return default_to_s(v);
    }
    to_s_plain(v)
}

/// `inspect` (what `p` prints).
pub fn inspect(v: GcRef) -> String {
    match v.tid() {
        tid::NIL => "nil".into(),
        tid::STR => inspect_str(&str_of(v)),
        tid::SYM => inspect_sym(&sym_name(geti(v, &sym_obj::id) as usize)),
        tid::ARR => {
            let items: Vec<String> = array_items(v).into_iter().map(inspect).collect();
            format!("[{}]", items.join(", "))
        }
        tid::HASH => {
            let (k, vs) = hash::entries(v);
            if k.is_empty() {
                return "{}".into();
            }
            let items: Vec<String> = k
                .iter()
                .zip(vs.iter())
                .map(|(k, v)| format!("{}=>{}", inspect(*k), inspect(*v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        tid::RANGE => {
            let (lo, hi, ex) = range_parts(v);
            let l = if lo.tid() == tid::NIL {
                String::new()
            } else {
                inspect(lo)
            };
            let h = if hi.tid() == tid::NIL {
                String::new()
            } else {
                inspect(hi)
            };
            format!("{l}{}{h}", if ex { "..." } else { ".." })
        }
        tid::OBJ => {
            if user_defined(v, "inspect") {
                if let Ok(r) = gcall(v, "inspect", vec![]) {
                    return to_s_plain(r);
                }
            }
            if is_a(v, cls::EXCEPTION) {
                let m = to_s(v);
                let c = class_name(v);
                if m.is_empty() {
                    return c;
                }
                return format!("#<{c}: {m}>");
            }
            let c = real_class_of(v);
            if let Some(members) = class_mut(c, |k| k.struct_members.clone()) {
                let parts: Vec<String> = members
                    .iter()
                    .map(|m| {
                        let n = sym_name(*m);
                        format!("{n}={}", inspect(ivar_get(v, sym_id(&format!("@{n}")))))
                    })
                    .collect();
                return format!("#<struct {} {}>", class_name_of(c), parts.join(", "));
            }
            if v == main_obj() {
                return "main".into();
            }
            let ivs = ivar_names(v);
            if ivs.is_empty() {
                return format!("#<{}>", class_name_of(c));
            }
            let parts: Vec<String> = ivs
                .iter()
                .filter(|s| !sym_name(**s).starts_with("@__"))
                .map(|s| format!("{}={}", sym_name(*s), inspect(ivar_get(v, *s))))
                .collect();
            format!("#<{} {}>", class_name_of(c), parts.join(", "))
        }
        tid::CLASS if user_defined(v, "inspect") => match gcall(v, "inspect", vec![]) {
            Ok(r) => to_s_plain(r),
            Err(_) => to_s_plain(v),
        },
        _ => to_s(v),
    }
}

/// `==` (a user `==` is called).
pub fn equal(a: GcRef, b: GcRef) -> bool {
    let num = |v: GcRef| matches!(v.tid(), tid::INT | tid::BIG | tid::FLOAT);
    if num(a) && num(b) {
        if a.tid() == tid::FLOAT || b.tid() == tid::FLOAT {
            return prim::to_f(a) == prim::to_f(b);
        }
        return big_of(a) == big_of(b);
    }
    if a.tid() == tid::OBJ {
        if a == b {
            return true;
        }
        if user_defined(a, "==") {
            return matches!(gcall(a, "==", vec![b]), Ok(v) if truthy(v));
        }
        return false;
    }
    if a.tid() != b.tid() {
        return false;
    }
    match a.tid() {
        tid::STR => str_bytes(a) == str_bytes(b),
        tid::SYM => geti(a, &sym_obj::id) == geti(b, &sym_obj::id),
        tid::ARR => {
            let (x, y) = (array_items(a), array_items(b));
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| equal(*p, *q))
        }
        tid::HASH => {
            let (ka, va) = hash::entries(a);
            ka.len() == hash::len(b)
                && ka
                    .iter()
                    .zip(va.iter())
                    .all(|(k, v)| hash::get(b, *k).is_some_and(|w| equal(*v, w)))
        }
        tid::RANGE => {
            let (l1, h1, e1) = range_parts(a);
            let (l2, h2, e2) = range_parts(b);
            e1 == e2 && equal(l1, l2) && equal(h1, h2)
        }
        _ => a == b,
    }
}

/// `eql?` (hash keys).
pub fn eql(a: GcRef, b: GcRef) -> bool {
    hash::key_eql(a, b)
}
