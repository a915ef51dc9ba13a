//! `Kernel` (and so `Object`/`BasicObject`): the methods every receiver
//! answers once its own class's builtins say "no such method" — output
//! (`puts`/`print`/`p`/`pp`/`printf`/`format`), `raise`, `catch`/`throw`,
//! `lambda`/`proc`, `rand`/`srand` (`rand_next`), `exit`/`abort`/
//! `at_exit`/`sleep`/`gets`, `require`/`require_relative`/`load`,
//! `Integer()`/`Float()`/`String()`/`Array()`/`Hash()`, identity and
//! equality, `dup`/`clone`/`freeze`, reflection (`send`, `respond_to?`
//! with `prim_has` — which builtin class answers which name natively —,
//! `instance_variable_*`, `method`, `methods`, `is_a?`, `extend`,
//! `instance_eval`, ...), and the top-level `def`-time helpers
//! (`attr_*`, `private`, `include`, `define_method` on main).
//!
//! May touch: everything a guest program can reach: the output buffer,
//! the class table, ivars, `LOADED` (compiling and running other files),
//! and guest code.

use super::*;

pub(super) fn rand_next() -> u64 {
    RNG.with(|r| {
        let mut x = r.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.set(x);
        x
    })
}

/// Whether builtin class `c` answers `name` natively (for respond_to?).
pub(super) fn prim_has(c: usize, name: &str) -> bool {
    let common = [
        "to_s",
        "inspect",
        "==",
        "!=",
        "hash",
        "class",
        "is_a?",
        "respond_to?",
        "send",
        "object_id",
        "dup",
        "freeze",
        "frozen?",
        "nil?",
        "instance_variable_get",
        "instance_variable_set",
        "method",
        "tap",
        "then",
        "equal?",
        "eql?",
        "kind_of?",
        "instance_of?",
        "!",
        "===",
        "display",
        "extend",
        "itself",
    ];
    if common.contains(&name) {
        return true;
    }
    let list: &[&str] = match c {
        cls::INTEGER | cls::FLOAT => &[
            "+", "-", "*", "/", "%", "**", "<", "<=", ">", ">=", "<=>", "abs", "to_i", "to_f",
            "to_s", "times", "upto", "downto", "step", "divmod", "round", "floor", "ceil", "zero?",
            "even?", "odd?", "succ", "pred", "chr", "coerce", "integer?", "nan?", "&", "|", "^",
            "<<", ">>",
        ],
        cls::STRING => &[
            "+",
            "*",
            "%",
            "<<",
            "[]",
            "size",
            "length",
            "upcase",
            "downcase",
            "split",
            "strip",
            "chars",
            "bytes",
            "each_char",
            "include?",
            "start_with?",
            "end_with?",
            "sub",
            "gsub",
            "to_i",
            "to_f",
            "to_sym",
            "ljust",
            "rjust",
            "center",
            "ord",
            "reverse",
            "empty?",
            "<=>",
            "capitalize",
            "chomp",
        ],
        cls::ARRAY => &[
            "[]",
            "[]=",
            "<<",
            "push",
            "pop",
            "shift",
            "unshift",
            "each",
            "map",
            "select",
            "size",
            "length",
            "first",
            "last",
            "include?",
            "join",
            "sort",
            "reverse",
            "empty?",
            "inject",
            "reduce",
            "sum",
            "min",
            "max",
            "each_with_index",
            "index",
            "flatten",
            "uniq",
            "zip",
            "take",
            "drop",
            "any?",
            "all?",
            "count",
        ],
        cls::HASH => &[
            "[]",
            "[]=",
            "fetch",
            "key?",
            "keys",
            "values",
            "each",
            "each_pair",
            "size",
            "length",
            "delete",
            "to_a",
            "map",
            "select",
            "include?",
            "has_key?",
            "merge",
            "empty?",
        ],
        cls::PROC => &["call", "arity", "lambda?", "to_proc", "yield", "[]"],
        cls::RANGE => &[
            "each", "map", "to_a", "first", "last", "include?", "step", "size", "min", "max", "sum",
        ],
        cls::SYMBOL => &["to_proc", "to_s", "to_sym", "length", "size", "<=>"],
        cls::NIL => &["to_a", "to_s", "to_i", "inspect"],
        _ => &[],
    };
    if list.contains(&name) {
        return true;
    }
    if c == cls::PROC || c == cls::METHOD {
        return false;
    }
    // Exceptions and Structs.
    if ancestors(c).contains(&cls::EXCEPTION) {
        return ["message", "backtrace", "full_message"].contains(&name);
    }
    if let Some(m) = class_mut(c, |k| k.struct_members.clone()) {
        return m.iter().any(|s| sym_name(*s) == name.trim_end_matches('='))
            || ["to_a", "members", "to_h", "[]"].contains(&name);
    }
    false
}

/// `Kernel` methods (every object).
pub(super) fn kernel(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef, fcall: bool) -> RbRes {
    let a1 = args.first().copied();
    Ok(match (name, args.len()) {
        ("puts", _) => {
            let mut out = String::new();
            if args.is_empty() {
                out.push('\n');
            }
            fn one(v: GcRef, out: &mut String, depth: usize) {
                if v.tid() == tid::ARR && depth < 64 {
                    let items = array_items(v);
                    if items.is_empty() && depth == 0 {
                        out.push('\n');
                    }
                    for x in items {
                        one(x, out, depth + 1);
                    }
                    return;
                }
                let s = if v.tid() == tid::NIL && depth > 0 {
                    String::new()
                } else {
                    to_s(v)
                };
                out.push_str(&s);
                if !s.ends_with('\n') {
                    out.push('\n');
                }
            }
            for a in args {
                one(*a, &mut out, 0);
            }
            write_out(out.as_bytes());
            nil()
        }
        ("print", _) => {
            for a in args {
                write_out(to_s(*a).as_bytes());
            }
            nil()
        }
        ("p", _) => {
            for a in args {
                write_out(format!("{}\n", inspect(*a)).as_bytes());
            }
            match args.len() {
                0 => nil(),
                1 => args[0],
                _ => new_array(args),
            }
        }
        ("pp", _) => return kernel("p", recv, args, blk, fcall),
        ("printf", _) if !args.is_empty() => {
            write_out(format(&to_s(args[0]), &args[1..])?.as_bytes());
            nil()
        }
        ("format" | "sprintf", _) if !args.is_empty() => {
            new_str(&format(&to_s(args[0]), &args[1..])?)
        }
        ("raise" | "fail", _) => {
            let e = make_exception(args)?;
            return Err(e);
        }
        ("Integer", _) if !args.is_empty() => {
            let exc = !(args.len() > 1
                && args[1].tid() == tid::HASH
                && hash::get(args[1], sym("exception")).is_some_and(|v| !truthy(v)));
            match args[0].tid() {
                tid::INT | tid::BIG => args[0],
                tid::FLOAT => {
                    let f = float_of(args[0]);
                    if !f.is_finite() {
                        return err("FloatDomainError", fmt_float(f));
                    }
                    new_bigint(&BigInt::from(f.trunc() as i128))
                }
                tid::STR => {
                    let s = str_of(args[0]);
                    let t = s.trim().replace('_', "");
                    let (neg, body) = match t.strip_prefix('-') {
                        Some(b) => (true, b.to_string()),
                        None => (false, t.trim_start_matches('+').to_string()),
                    };
                    let base = if args.len() > 1 && args[1].tid() == tid::INT {
                        prim::int_arg(args[1])? as u32
                    } else {
                        10
                    };
                    let (radix, digits) =
                        if let Some(h) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
                            (16, h.to_string())
                        } else if let Some(b) = body.strip_prefix("0b") {
                            (2, b.to_string())
                        } else if body.len() > 1 && body.starts_with('0') && base == 10 {
                            (8, body[1..].trim_start_matches('o').to_string())
                        } else {
                            (base, body.clone())
                        };
                    match BigInt::parse_bytes(digits.as_bytes(), radix) {
                        Some(v) if !digits.is_empty() => new_bigint(&if neg { -v } else { v }),
                        _ if !exc => nil(),
                        _ => {
                            return err(
                                "ArgumentError",
                                format!("invalid value for Integer(): {}", inspect(args[0])),
                            )
                        }
                    }
                }
                tid::NIL => return err("TypeError", "can't convert nil into Integer"),
                _ => gcall(args[0], "to_i", vec![])?,
            }
        }
        ("Float", _) if !args.is_empty() => match args[0].tid() {
            tid::INT | tid::BIG | tid::FLOAT => new_float(prim::to_f(args[0])),
            tid::STR => match str_of(args[0]).trim().replace('_', "").parse::<f64>() {
                Ok(v) => new_float(v),
                Err(_) => {
                    return err(
                        "ArgumentError",
                        format!("invalid value for Float(): {}", inspect(args[0])),
                    )
                }
            },
            tid::NIL => return err("TypeError", "can't convert nil into Float"),
            _ => gcall(args[0], "to_f", vec![])?,
        },
        ("String", 1) => new_str(&to_s(args[0])),
        ("Array", 1) => new_array(&splat_items(args[0])),
        ("Hash", 1) => args[0],
        ("rand", _) => {
            let x = rand_next();
            match a1 {
                None => new_float((x >> 11) as f64 / (1u64 << 53) as f64),
                Some(n) if n.tid() == tid::FLOAT => {
                    new_float((x >> 11) as f64 / (1u64 << 53) as f64 * float_of(n))
                }
                Some(n) if n.tid() == tid::RANGE => {
                    let (lo, hi, ex) = range_parts(n);
                    let (lo, hi) = (prim::int_arg(lo)?, prim::int_arg(hi)?);
                    let span = (hi - lo + if ex { 0 } else { 1 }).max(1) as u64;
                    new_int(lo + (x % span) as i64)
                }
                Some(n) => {
                    let n = prim::int_arg(n)?;
                    if n <= 0 {
                        new_float((x >> 11) as f64 / (1u64 << 53) as f64)
                    } else {
                        new_int((x % n as u64) as i64)
                    }
                }
            }
        }
        ("srand", _) => {
            let seed = match a1 {
                Some(s) => prim::int_arg(s)? as u64,
                None => 0,
            };
            RNG.with(|r| {
                r.set(
                    seed.wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407)
                        | 1,
                )
            });
            new_int(0)
        }
        ("sleep", _) => new_int(0),
        ("exit" | "exit!", _) => {
            let code = match a1 {
                Some(v) if v.tid() == tid::INT => geti(v, &int_obj::v),
                Some(v) if v.tid() == tid::FALSE => 1,
                _ => 0,
            };
            let e = new_exc_named("SystemExit", "exit");
            ivar_set(e, sym_id("@status"), new_int(code));
            return Err(e);
        }
        ("abort", _) => {
            if let Some(m) = a1 {
                flush_out();
                write_err(&format!("{}\n", to_s(m)));
            }
            let e = new_exc_named("SystemExit", "exit");
            ivar_set(e, sym_id("@status"), new_int(1));
            return Err(e);
        }
        ("at_exit", _) => blk,
        ("gets", _) => {
            let mut s = String::new();
            match std::io::stdin().read_line(&mut s) {
                Ok(0) | Err(_) => nil(),
                Ok(_) => new_str(&s),
            }
        }
        ("require", _) => boolean(false),
        ("require_relative" | "load", 1) => return require_relative(&to_s(args[0])),
        ("lambda", 0) if blk.tid() == tid::PROC => {
            seti(blk, &proc_obj::lambda, 1);
            blk
        }
        ("proc", 0) if blk.tid() == tid::PROC => blk,
        ("catch", _) => {
            let tag = a1.unwrap_or_else(|| new_object(cls::OBJECT));
            match gyield(blk, vec![tag]) {
                Ok(v) => v,
                Err(e)
                    if e.tid() == tid::CTL
                        && geti(e, &ctl_obj::kind) == 2
                        && (getr(e, &ctl_obj::tag) == tag
                            || equal(getr(e, &ctl_obj::tag), tag)) =>
                {
                    getr(e, &ctl_obj::val)
                }
                Err(e) => return Err(e),
            }
        }
        ("throw", _) if !args.is_empty() => {
            let o = heap::new_struct(&ctl_obj::SIZE);
            seti(o, &ctl_obj::kind, 2);
            setr(o, &ctl_obj::tag, args[0]);
            setr(o, &ctl_obj::val, args.get(1).copied().unwrap_or_else(nil));
            return Err(o);
        }
        ("caller", _) => new_array(&[]),
        ("binding", 0) => nil(),
        ("class", 0) => class_obj_of(real_class_of(recv)),
        ("singleton_class", 0) => class_obj_of(singleton_class_of(recv)),
        ("frozen?", 0) => boolean(match recv.tid() {
            tid::OBJ => geti(recv, &obj_obj::frozen) != 0,
            tid::STR => geti(recv, &str_obj::frozen) != 0,
            _ => true,
        }),
        ("freeze", 0) => {
            if recv.tid() == tid::OBJ {
                seti(recv, &obj_obj::frozen, 1);
            }
            recv
        }
        ("object_id" | "__id__", 0) => new_int(match recv.tid() {
            tid::INT => geti(recv, &int_obj::v) * 2 + 1,
            tid::NIL => 8,
            tid::TRUE => 20,
            tid::FALSE => 0,
            _ => (recv.addr() / 8) as i64,
        }),
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("==" | "equal?" | "eql?", 1) => boolean(recv == args[0]),
        ("!=", 1) => {
            let eq = gcall(recv, "==", vec![args[0]])?;
            boolean(!truthy(eq))
        }
        ("===", 1) => {
            if recv == args[0] {
                boolean(true)
            } else {
                gcall(recv, "==", vec![args[0]])?
            }
        }
        ("=~", 1) => nil(),
        ("!", 0) => boolean(!truthy(recv)),
        ("nil?", 0) => boolean(recv.tid() == tid::NIL),
        ("to_s", 0) => new_str(&default_to_s(recv)),
        ("inspect", 0) => new_str(&inspect(recv)),
        ("itself" | "then_self", 0) => recv,
        ("dup" | "clone", _) => match recv.tid() {
            tid::OBJ => {
                let o = new_object(real_class_of(recv));
                if name == "clone" && is_singleton(class_of(recv)) {
                    seti(o, &obj_obj::cls, geti(recv, &obj_obj::cls));
                }
                for s in ivar_names(recv) {
                    ivar_set(o, s, ivar_get(recv, s));
                }
                if name == "clone" {
                    seti(o, &obj_obj::frozen, geti(recv, &obj_obj::frozen));
                }
                if user_defined(o, "initialize_copy") {
                    gcall(o, "initialize_copy", vec![recv])?;
                }
                o
            }
            _ => recv,
        },
        ("instance_variable_get", 1) => ivar_get(recv, sym_arg(args[0])?),
        ("instance_variable_set", 2) => {
            if recv.tid() == tid::OBJ && geti(recv, &obj_obj::frozen) != 0 {
                return Err(frozen_error(recv));
            }
            ivar_set(recv, sym_arg(args[0])?, args[1]);
            args[1]
        }
        ("instance_variable_defined?", 1) => boolean(ivar_defined(recv, sym_arg(args[0])?)),
        ("instance_variables", 0) => new_array(
            &ivar_names(recv)
                .into_iter()
                .filter(|s| !sym_name(*s).starts_with("@__"))
                .map(sym_obj)
                .collect::<Vec<_>>(),
        ),
        ("is_a?" | "kind_of?", 1) => match args[0].tid() {
            tid::CLASS => boolean(is_a(recv, class_id(args[0]))),
            _ => return err("TypeError", "class or module required"),
        },
        ("instance_of?", 1) => {
            boolean(args[0].tid() == tid::CLASS && real_class_of(recv) == class_id(args[0]))
        }
        ("respond_to?", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let priv_ok = args.get(1).is_some_and(|v| truthy(*v));
            let c = class_of(recv);
            let kernel_private = [
                "puts",
                "print",
                "p",
                "pp",
                "require",
                "require_relative",
                "raise",
                "format",
                "sprintf",
                "printf",
                "loop",
                "lambda",
                "proc",
                "rand",
                "srand",
                "sleep",
                "exit",
                "abort",
                "catch",
                "throw",
                "Integer",
                "Float",
                "String",
                "Array",
                "gets",
                "binding",
                "block_given?",
                "at_exit",
            ];
            let r = match lookup(c, s) {
                Some((_, v, _)) => v != Vis::Private || priv_ok,
                None if priv_ok && kernel_private.contains(&sym_name(s).as_str()) => true,
                None => {
                    let n = sym_name(s);
                    if recv.tid() == tid::CLASS {
                        [
                            "new",
                            "name",
                            "ancestors",
                            "superclass",
                            "instance_methods",
                            "class",
                        ]
                        .contains(&n.as_str())
                            || prim_has(real_class_of(recv), &n)
                    } else {
                        prim_has(real_class_of(recv), &n)
                    }
                }
            };
            if !r {
                let rm = sym_id("respond_to_missing?");
                if lookup(c, rm).is_some() {
                    return Ok(boolean(truthy(gcall(
                        recv,
                        "respond_to_missing?",
                        vec![args[0], boolean(priv_ok)],
                    )?)));
                }
            }
            boolean(r)
        }
        ("send" | "__send__" | "public_send", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            match guest_call(recv, s, args[1..].to_vec(), blk) {
                Some(r) => r?,
                None => return err("RuntimeError", "minirb: guest call from a plain builtin"),
            }
        }
        ("method" | "public_method", 1) => {
            let s = sym_arg(args[0])?;
            if lookup(class_of(recv), s).is_none()
                && !prim_has(real_class_of(recv), &sym_name(s))
                && !fcall
            {
                return err(
                    "NameError",
                    format!(
                        "undefined method `{}' for {}",
                        sym_name(s),
                        no_method_desc(recv)
                    ),
                );
            }
            let m = heap::new_struct(&meth_obj::SIZE);
            setr(m, &meth_obj::recv, recv);
            seti(m, &meth_obj::sym, s as i64);
            m
        }
        ("methods" | "public_methods", _) => {
            let c = class_of(recv);
            let mut out = Vec::new();
            for a in ancestors(c) {
                if a == cls::OBJECT || a == cls::KERNEL {
                    continue;
                }
                let ms: Vec<usize> = class_mut(a, |k| k.methods.keys().copied().collect());
                for s in ms {
                    let o = sym_obj(s);
                    if !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
            new_array(&out)
        }
        ("singleton_methods", 0) => {
            let c = class_of(recv);
            if is_singleton(c) {
                new_array(
                    &class_mut(c, |k| k.methods.keys().copied().collect::<Vec<_>>())
                        .into_iter()
                        .map(sym_obj)
                        .collect::<Vec<_>>(),
                )
            } else {
                new_array(&[])
            }
        }
        ("extend", _) => {
            let s = singleton_class_of(recv);
            for m in args {
                if m.tid() != tid::CLASS {
                    return err("TypeError", "wrong argument type (expected Module)");
                }
                let mid = class_id(*m);
                class_mut(s, |k| k.includes.push(mid));
                bump();
                let hs = sym_id("extended");
                if lookup(meta_of(mid), hs).is_some() {
                    gcall(*m, "extended", vec![recv])?;
                }
            }
            recv
        }
        ("define_singleton_method", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let body = if blk.tid() == tid::PROC {
                blk
            } else {
                args.get(1).copied().unwrap_or_else(nil)
            };
            let c = singleton_class_of(recv);
            define_method(c, s, Meth::Proc(body), Vis::Public);
            sym_obj(s)
        }
        ("instance_eval" | "instance_exec", _) if blk.tid() == tid::PROC => {
            let a = if name == "instance_eval" {
                vec![recv]
            } else {
                args.to_vec()
            };
            match guest_yield_self(blk, recv, a) {
                Some(r) => r?,
                None => return err("RuntimeError", "minirb: guest call from a plain builtin"),
            }
        }
        ("display", 0) => {
            write_out(to_s(recv).as_bytes());
            nil()
        }
        ("__const_or_nil", 1) => {
            let s = sym_arg(args[0])?;
            lookup_const(
                if recv.tid() == tid::CLASS {
                    class_id(recv)
                } else {
                    cls::OBJECT
                },
                s,
            )
            .unwrap_or_else(nil)
        }
        ("__const_defined", 1) => {
            let s = sym_arg(args[0])?;
            boolean(
                lookup_const(
                    if recv.tid() == tid::CLASS {
                        class_id(recv)
                    } else {
                        cls::OBJECT
                    },
                    s,
                )
                .is_some(),
            )
        }
        ("alias_method", 2) if recv.tid() == tid::OBJ => {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("private" | "public" | "protected" | "module_function", _) if recv.tid() == tid::OBJ => {
            // At the top level: visibility of Object's methods.
            if args.is_empty() {
                nil()
            } else {
                args[0]
            }
        }
        ("include", _) if recv.tid() == tid::OBJ => {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("define_method", _) if recv.tid() == tid::OBJ => {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("attr_accessor" | "attr_reader" | "attr_writer", _)
            if recv.tid() == tid::OBJ && recv == main_obj() =>
        {
            return module_m(name, class_obj_of(cls::OBJECT), args, blk);
        }
        ("initialize", _) => nil(),
        ("method_missing", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let _ = fcall;
            return err(
                "NoMethodError",
                format!(
                    "undefined method `{}' for {}",
                    sym_name(s),
                    no_method_desc(recv)
                ),
            );
        }
        ("respond_to_missing?", _) => boolean(false),
        ("instance_variables_hash", _) => nil(),
        _ => undef(),
    })
}

fn require_relative(path: &str) -> RbRes {
    let base = crate::CURRENT_FILE.with(|f| f.borrow().clone());
    let dir = match base.rfind('/') {
        Some(i) => base[..i].to_string(),
        None => ".".to_string(),
    };
    let mut full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    };
    if !full.ends_with(".rb") {
        full.push_str(".rb");
    }
    let canon = std::fs::canonicalize(&full)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or(full.clone());
    if LOADED.with(|l| l.borrow().contains(&canon)) {
        return Ok(boolean(false));
    }
    let text = match std::fs::read_to_string(&full) {
        Ok(t) => t,
        Err(_) => {
            return err(
                "LoadError",
                format!("cannot load such file -- {}", full.trim_end_matches(".rb")),
            )
        }
    };
    LOADED.with(|l| l.borrow_mut().push(canon));
    let cid = match crate::compiler::compile_program(&full, &text) {
        Ok(c) => c,
        Err(e) => return err("SyntaxError", e.0),
    };
    let prev = crate::CURRENT_FILE.with(|f| std::mem::replace(&mut *f.borrow_mut(), full.clone()));
    let r = crate::interp::guest_run_main(cid);
    crate::CURRENT_FILE.with(|f| *f.borrow_mut() = prev);
    match r {
        Some(Ok(_)) => Ok(boolean(true)),
        Some(Err(e)) => Err(e),
        None => err("RuntimeError", "minirb: guest call from a plain builtin"),
    }
}
