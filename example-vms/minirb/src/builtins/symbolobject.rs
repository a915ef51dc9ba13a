//! `Symbol`: `to_s`/`name`, `inspect`, `to_proc` (a `&:sym` proc),
//! `length`, `upcase`/`downcase`, `<=>`, `hash`, and the string-like
//! readers that delegate to `prim::str_method`.
//!
//! May touch: the symbol table (read and intern), `proc_obj` fields.

use super::*;

pub(super) fn symbol(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let s = sym_name(geti(recv, &sym_obj::id) as usize);
    Ok(match (name, args.len()) {
        ("to_sym", 0) => recv,
        ("to_s" | "id2name" | "name", 0) => new_str(&s),
        ("inspect", 0) => new_str(&inspect(recv)),
        ("to_proc", 0) => {
            let p = heap::new_struct(&proc_obj::SIZE);
            seti(p, &proc_obj::code, -1);
            seti(p, &proc_obj::sym, geti(recv, &sym_obj::id));
            seti(p, &proc_obj::lambda, 1);
            setr(p, &proc_obj::self_, nil());
            setr(p, &proc_obj::env, nil());
            setr(p, &proc_obj::blk, nil());
            setr(p, &proc_obj::home, nil());
            p
        }
        ("length" | "size", 0) => new_int(s.chars().count() as i64),
        ("upcase", 0) => sym(&s.to_uppercase()),
        ("downcase", 0) => sym(&s.to_lowercase()),
        ("<=>", 1) if args[0].tid() == tid::SYM => {
            let o = sym_name(geti(args[0], &sym_obj::id) as usize);
            new_int(s.cmp(&o) as i64)
        }
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("[]", _) => return prim::str_method("[]", new_str(&s), args),
        ("start_with?" | "end_with?", _) => return prim::str_method(name, new_str(&s), args),
        ("empty?", 0) => boolean(s.is_empty()),
        _ => undef(),
    })
}
