//! `Exception` and its subclasses: `initialize`/`message`/`to_s`,
//! `full_message`, `backtrace`, `exception`, `cause`, the readers
//! `result`/`key`/`receiver`/`name` (StopIteration, KeyError,
//! NameError), `==`; and `make_exception` (what `raise`'s arguments
//! make: none re-raises `$!`, a message makes a RuntimeError, a class is
//! sent `new`, an instance is taken (with a new message if given), any
//! other object is sent `exception`).
//!
//! May touch: the exception's ivars (`@message`, `@__bt`, ...), `$!`,
//! and guest code (`message` calls `to_s`; `raise Cls` calls `Cls.new`).

use super::*;

/// Exception instances (`recv` is_a Exception).
pub(super) fn exception_m(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let ms = sym_id("@message");
    Ok(match (name, args.len()) {
        ("initialize", _) => {
            ivar_set(recv, ms, args.first().copied().unwrap_or_else(nil));
            nil()
        }
        ("message", 0) => gcall(recv, "to_s", vec![])?,
        ("to_s", 0) => {
            let m = ivar_get(recv, ms);
            if m.tid() == tid::NIL {
                new_str(&class_name(recv))
            } else {
                new_str(&to_s(m))
            }
        }
        ("full_message", _) => new_str(&format!(
            "{} ({})",
            to_s(ivar_get(recv, ms)),
            class_name(recv)
        )),
        ("backtrace", 0) => {
            let bt = ivar_get(recv, sym_id("@__bt"));
            if bt.tid() == tid::ARR {
                new_array(&array_items(bt))
            } else {
                nil()
            }
        }
        ("set_backtrace", 1) => nil(),
        ("exception", 0) => recv,
        ("exception", 1) => {
            let e = new_object(real_class_of(recv));
            ivar_set(e, ms, args[0]);
            e
        }
        ("cause", 0) => nil(),
        ("result", 0) => ivar_get(recv, sym_id("@result")),
        ("key", 0) => ivar_get(recv, sym_id("@key")),
        ("receiver", 0) => ivar_get(recv, sym_id("@receiver")),
        ("name", 0) => ivar_get(recv, sym_id("@name")),
        ("==", 1) => boolean(
            recv == args[0]
                || (args[0].tid() == tid::OBJ
                    && real_class_of(args[0]) == real_class_of(recv)
                    && equal(ivar_get(recv, ms), ivar_get(args[0], ms))),
        ),
        _ => undef(),
    })
}

pub(super) fn make_exception(args: &[GcRef]) -> RbRes {
    match args {
        [] => {
            let cur = global_get("$!");
            if cur.tid() == tid::OBJ {
                return Ok(cur);
            }
            Ok(new_exc_named("RuntimeError", "unhandled exception"))
        }
        [m] if m.tid() == tid::STR => Ok(new_exc_named("RuntimeError", &str_of(*m))),
        [c, rest @ ..] if c.tid() == tid::CLASS => {
            let id = class_id(*c);
            if !ancestors(id).contains(&cls::EXCEPTION) {
                return err("TypeError", "exception class/object expected");
            }
            let a: Vec<GcRef> = rest.iter().take(1).copied().collect();
            let e = gcall(*c, "new", a)?;
            Ok(e)
        }
        [e, rest @ ..] if e.tid() == tid::OBJ && is_a(*e, cls::EXCEPTION) => {
            if let Some(m) = rest.first() {
                ivar_set(*e, sym_id("@message"), *m);
            }
            Ok(*e)
        }
        [o, ..] if o.tid() == tid::OBJ && user_defined(*o, "exception") => {
            gcall(*o, "exception", vec![])
        }
        _ => err("TypeError", "exception class/object expected"),
    }
}
