//! `Struct`: `Struct.new` (`struct_new`: a class with member readers and
//! writers, `keyword_init:`, an optional body block) and the instances'
//! methods (`struct_m`: `initialize`, `to_a`/`to_h`/`members`, `==`,
//! `[]`/`[]=`, member accessors, `inspect`).
//!
//! May touch: the class table (the new class, its members and
//! accessors), the instance's ivars, and guest code (the body block).

use super::*;

/// Struct instances (`recv`'s class `c` has struct `members`).
pub(super) fn struct_m(
    name: &str,
    recv: GcRef,
    args: &[GcRef],
    c: usize,
    members: Vec<usize>,
) -> RbRes {
    let ivar = |m: usize| sym_id(&format!("@{}", sym_name(m)));
    Ok(match (name, args.len()) {
        ("initialize", n) => {
            if n > members.len() {
                return err("ArgumentError", "struct size differs");
            }
            let kw = n == 1 && args[0].tid() == tid::HASH && {
                let kws = sym_id("__kw");
                class_mut(c, |k| k.consts.contains_key(&kws))
            };
            for (i, m) in members.iter().enumerate() {
                let v = if kw {
                    hash::get(args[0], sym_obj(*m)).unwrap_or_else(nil)
                } else {
                    args.get(i).copied().unwrap_or_else(nil)
                };
                ivar_set(recv, ivar(*m), v);
            }
            nil()
        }
        ("to_a" | "deconstruct" | "values", 0) => new_array(
            &members
                .iter()
                .map(|m| ivar_get(recv, ivar(*m)))
                .collect::<Vec<_>>(),
        ),
        ("to_h", 0) => {
            let h = hash::new_hash();
            for m in &members {
                hash::set(h, sym_obj(*m), ivar_get(recv, ivar(*m)));
            }
            h
        }
        ("members", 0) => new_array(&members.iter().map(|m| sym_obj(*m)).collect::<Vec<_>>()),
        ("==", 1) => boolean(
            args[0].tid() == tid::OBJ
                && real_class_of(args[0]) == c
                && members
                    .iter()
                    .all(|m| equal(ivar_get(recv, ivar(*m)), ivar_get(args[0], ivar(*m)))),
        ),
        ("[]", 1) => {
            let m = match args[0].tid() {
                tid::INT => members.get(geti(args[0], &int_obj::v) as usize).copied(),
                tid::SYM => Some(geti(args[0], &sym_obj::id) as usize),
                _ => Some(sym_id(&str_of(args[0]))),
            };
            match m {
                Some(m) => ivar_get(recv, ivar(m)),
                None => return err("IndexError", "offset out of struct"),
            }
        }
        ("[]=", 2) => {
            let m = match args[0].tid() {
                tid::INT => members.get(geti(args[0], &int_obj::v) as usize).copied(),
                tid::SYM => Some(geti(args[0], &sym_obj::id) as usize),
                _ => Some(sym_id(&str_of(args[0]))),
            };
            if let Some(m) = m {
                ivar_set(recv, ivar(m), args[1]);
            }
            args[1]
        }
        ("to_s" | "inspect", 0) => new_str(&inspect(recv)),
        _ => {
            for m in &members {
                let n = sym_name(*m);
                if name == n && args.is_empty() {
                    return Ok(ivar_get(recv, ivar(*m)));
                }
                if name.strip_suffix('=') == Some(n.as_str()) && args.len() == 1 {
                    ivar_set(recv, ivar(*m), args[0]);
                    return Ok(args[0]);
                }
            }
            undef()
        }
    })
}

pub(super) fn struct_new(args: &[GcRef], blk: GcRef) -> RbRes {
    let mut members = Vec::new();
    let mut kw = false;
    for a in args {
        match a.tid() {
            tid::SYM => members.push(geti(*a, &sym_obj::id) as usize),
            tid::HASH => kw = truthy(hash::get(*a, sym("keyword_init")).unwrap_or_else(nil)),
            _ => {}
        }
    }
    let sc = find_class("Struct").unwrap_or(cls::OBJECT);
    let id = new_class("", Some(sc), false, None);
    class_mut(id, |k| k.struct_members = Some(members.clone()));
    if kw {
        set_const(id, sym_id("__kw"), boolean(true));
    }
    for m in &members {
        let iv = sym_id(&format!("@{}", sym_name(*m)));
        define_method(id, *m, Meth::Reader(iv), Vis::Public);
        define_method(
            id,
            sym_id(&format!("{}=", sym_name(*m))),
            Meth::Writer(iv),
            Vis::Public,
        );
    }
    let o = class_obj_of(id);
    if blk.tid() == tid::PROC {
        crate::bytecode::set_cref(geti(blk, &proc_obj::code).max(0) as usize, id);
        guest_yield_self(blk, o, vec![]).unwrap_or(Ok(o))?;
    }
    Ok(o)
}
