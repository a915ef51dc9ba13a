//! `Method` (from `obj.method(:name)`): `call`/`()`/`[]`/`===`,
//! `to_proc`, `name`, `receiver`, `owner`, `arity`, `unbind`.
//!
//! May touch: `meth_obj` and `proc_obj` fields (building the lambda of
//! `to_proc`), method lookup, and guest code (the call itself).

use super::*;

pub fn method_to_proc(m: GcRef) -> GcRef {
    // A lambda calling the method: `method(:x).to_proc` via a prelude helper.
    let recv = getr(m, &meth_obj::recv);
    let s = geti(m, &meth_obj::sym);
    let p = heap::new_struct(&proc_obj::SIZE);
    seti(p, &proc_obj::code, -2);
    seti(p, &proc_obj::sym, s);
    setr(p, &proc_obj::self_, recv);
    setr(p, &proc_obj::env, nil());
    setr(p, &proc_obj::blk, nil());
    setr(p, &proc_obj::home, nil());
    seti(p, &proc_obj::lambda, 1);
    p
}

pub(super) fn meth_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let r = getr(recv, &meth_obj::recv);
    let s = sym_name(geti(recv, &meth_obj::sym) as usize);
    Ok(match name {
        "call" | "()" | "[]" | "===" => return gcall_blk(r, &s, args.to_vec(), blk),
        "to_proc" => method_to_proc(recv),
        "name" => sym(&s),
        "receiver" => r,
        "owner" => match lookup(class_of(r), sym_id(&s)) {
            Some((_, _, o)) => class_obj_of(o),
            None => class_obj_of(real_class_of(r)),
        },
        "arity" => match lookup(class_of(r), sym_id(&s)) {
            Some((Meth::Code(c), _, _)) => {
                let p = &crate::bytecode::code(c).params;
                let req = (p.req.len() + p.post.len()) as i64;
                if p.rest.is_some() || !p.opt.is_empty() {
                    new_int(-req - 1)
                } else {
                    new_int(req)
                }
            }
            _ => new_int(-1),
        },
        "unbind" => recv,
        _ => undef(),
    })
}
