//! `Class`: `Class#new` for every class (`instantiate`: the builtin
//! classes' allocators, `Class.new`/`Module.new` with a body block,
//! `Struct.new`, and allocate + `initialize` for user classes), and
//! singleton classes of objects (`singleton_class_of`).
//!
//! May touch: the class table (`objects`), an object's class slot (its
//! singleton class replaces it), the builtin allocators of `arrayobject`
//! and `structobject`, bytecode crefs of a class-body block, and guest
//! code (`initialize`, the body block).

use super::*;

/// The singleton class of `o` (created on first use).
pub fn singleton_class_of(o: GcRef) -> usize {
    match o.tid() {
        tid::CLASS => meta_of(class_id(o)),
        tid::OBJ => {
            let c = geti(o, &obj_obj::cls) as usize;
            if is_singleton(c) {
                return c;
            }
            let s = new_singleton(c, o);
            seti(o, &obj_obj::cls, s as i64);
            s
        }
        _ => class_of(o),
    }
}

/// Instantiates class `c` (allocate + initialize).
pub fn instantiate(c: usize, args: &[GcRef], blk: GcRef) -> RbRes {
    let anc = ancestors(c);
    if anc.contains(&cls::ARRAY) {
        return array_new(args, blk);
    }
    if anc.contains(&cls::HASH) {
        let h = hash::new_hash();
        if let Some(d) = args.first() {
            setr(h, &hash_obj::default, *d);
        }
        if blk.tid() == tid::PROC {
            setr(h, &hash_obj::default_proc, blk);
        }
        return Ok(h);
    }
    if anc.contains(&cls::STRING) {
        return Ok(new_str(&match args.first() {
            Some(s) => prim::str_arg(*s)?,
            None => String::new(),
        }));
    }
    if c != cls::OBJECT && !anc.contains(&cls::OBJECT) && c != cls::BASIC_OBJECT && is_module(c) {
        {
            return err(
                "NoMethodError",
                format!("undefined method `new' for {}:Module", class_name_of(c)),
            );
        }
    }
    if anc.contains(&cls::PROC) {
        if blk.tid() == tid::PROC {
            return Ok(blk);
        }
        return err(
            "ArgumentError",
            "tried to create Proc object without a block",
        );
    }
    if [
        cls::INTEGER,
        cls::FLOAT,
        cls::SYMBOL,
        cls::NIL,
        cls::TRUE,
        cls::FALSE,
    ]
    .contains(&c)
    {
        return err(
            "NoMethodError",
            format!("undefined method `new' for {}:Class", class_name_of(c)),
        );
    }
    if c == cls::CLASS || c == cls::MODULE {
        let sup = match args.first() {
            Some(s) if s.tid() == tid::CLASS => Some(class_id(*s)),
            _ => Some(cls::OBJECT),
        };
        let id = new_class(
            "",
            if c == cls::MODULE { None } else { sup },
            c == cls::MODULE,
            None,
        );
        if blk.tid() == tid::PROC {
            let o = class_obj_of(id);
            crate::bytecode::set_cref(geti(blk, &proc_obj::code).max(0) as usize, id);
            guest_yield_self(blk, o, vec![o]).unwrap_or(Ok(o))?;
        }
        return Ok(class_obj_of(id));
    }
    if c == find_class("Struct").unwrap_or(usize::MAX) {
        return struct_new(args, blk);
    }
    let o = new_object(c);
    gcall_blk(o, "initialize", args.to_vec(), blk)?;
    Ok(o)
}
