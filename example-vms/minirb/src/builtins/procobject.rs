//! `Proc` (blocks, procs and lambdas): `call`/`()`/`yield`/`[]`/`===`,
//! `to_proc`, `lambda?`, `arity`, `parameters`; `curry` is reported as
//! not implemented.
//!
//! May touch: `proc_obj` fields, the bytecode parameter lists (`arity`),
//! and guest code (running the block).

use super::*;

pub(super) fn proc_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    Ok(match (name, args.len()) {
        ("call" | "()" | "yield" | "[]" | "===", _) => {
            let code = geti(recv, &proc_obj::code);
            if code == -2 {
                let r = getr(recv, &proc_obj::self_);
                let s = sym_name(geti(recv, &proc_obj::sym) as usize);
                return gcall_blk(r, &s, args.to_vec(), blk);
            }
            gyield(recv, args.to_vec())?
        }
        ("to_proc", 0) => recv,
        ("lambda?", 0) => boolean(geti(recv, &proc_obj::lambda) != 0),
        ("arity", 0) => {
            let c = geti(recv, &proc_obj::code);
            if c < 0 {
                return Ok(new_int(-2));
            }
            let p = &crate::bytecode::code(c as usize).params;
            let req = (p.req.len() + p.post.len()) as i64;
            let lambda = geti(recv, &proc_obj::lambda) != 0;
            let _ = lambda;
            if p.rest.is_some() || !p.opt.is_empty() {
                new_int(-req - 1)
            } else {
                new_int(req)
            }
        }
        ("parameters", 0) => new_array(&[]),
        ("curry", _) => return err("NotImplementedError", "minirb does not support Proc#curry"),
        _ => undef(),
    })
}
