//! `Module` (and so `Class` objects): `new`/`allocate`, `name`/`to_s`,
//! `superclass`, `ancestors`, `===`, `<`/`>`/`<=>`, `attr_*`, mixins
//! (`include`/`prepend`/`extend`/`include?`), visibility (`private`/
//! `public`/`protected`/`module_function`/`private_class_method`/
//! `private_constant`), `define_method`, `alias_method`,
//! `remove_method`, `method_defined?` & co., `instance_methods`,
//! constants and class variables, `class_eval` & co.; and the methods of
//! the builtin modules minirb models as module methods (`Math`,
//! `Process`, `Time`, `File`, `GC`, `Random`, `Signal`, `ObjectSpace`).
//! `sym_arg` and `vis_of` are its argument helpers.
//!
//! May touch: the class table (methods, constants, visibility, mixins,
//! `bump` on every change), `DEFAULT_VIS`/`MODULE_FUNCTION`, and guest
//! code (blocks of `define_method`/`class_eval`, `Class#new`).

use super::*;

fn vis_of(name: &str) -> Vis {
    match name {
        "private" => Vis::Private,
        "protected" => Vis::Protected,
        _ => Vis::Public,
    }
}

pub(super) fn sym_arg(v: GcRef) -> Result<usize, GcRef> {
    match v.tid() {
        tid::SYM => Ok(geti(v, &sym_obj::id) as usize),
        tid::STR => Ok(sym_id(&str_of(v))),
        _ => err(
            "TypeError",
            format!("{} is not a symbol nor a string", inspect(v)),
        ),
    }
}

pub(super) fn module_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let c = class_id(recv);
    let cname = class_name_of(c);
    // Class methods of builtin classes.
    match (cname.as_str(), name) {
        ("Math", _) => {
            let f = |i: usize| -> Result<f64, GcRef> {
                match args.get(i) {
                    Some(v) if prim::is_num(*v) => Ok(prim::to_f(*v)),
                    Some(v) => err(
                        "TypeError",
                        format!("can't convert {} into Float", class_name(*v)),
                    ),
                    None => err("ArgumentError", "wrong number of arguments"),
                }
            };
            let r = match name {
                "sqrt" => {
                    let x = f(0)?;
                    if x < 0.0 {
                        return err(
                            "Math::DomainError",
                            "Numerical argument is out of domain - \"sqrt\"",
                        );
                    }
                    x.sqrt()
                }
                "cbrt" => f(0)?.cbrt(),
                "sin" => f(0)?.sin(),
                "cos" => f(0)?.cos(),
                "tan" => f(0)?.tan(),
                "atan" => f(0)?.atan(),
                "asin" => f(0)?.asin(),
                "acos" => f(0)?.acos(),
                "exp" => f(0)?.exp(),
                "log" => {
                    if args.len() > 1 {
                        f(0)?.ln() / f(1)?.ln()
                    } else {
                        f(0)?.ln()
                    }
                }
                "log2" => f(0)?.log2(),
                "log10" => f(0)?.log10(),
                "pow" => f(0)?.powf(f(1)?),
                "atan2" => f(0)?.atan2(f(1)?),
                "hypot" => f(0)?.hypot(f(1)?),
                "floor" => f(0)?.floor(),
                _ => return Ok(undef()),
            };
            return Ok(new_float(r));
        }
        ("Integer", "sqrt") => {
            let v = big_of(args[0]);
            return Ok(new_bigint(&v.sqrt()));
        }
        ("Process", "clock_gettime") => {
            let el = START.with(|s| s.elapsed());
            let unit = args.get(1).map(|u| to_s_plain(*u)).unwrap_or_default();
            return Ok(match unit.as_str() {
                "nanosecond" => new_int(el.as_nanos() as i64),
                "microsecond" => new_int(el.as_micros() as i64),
                "millisecond" => new_int(el.as_millis() as i64),
                "float_millisecond" => new_float(el.as_secs_f64() * 1000.0),
                _ => new_float(el.as_secs_f64()),
            });
        }
        ("Process", "pid") => return Ok(new_int(std::process::id() as i64)),
        ("Time", "now") => {
            let o = new_object(c);
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            ivar_set(o, sym_id("@t"), new_float(t));
            return Ok(o);
        }
        ("File", "exist?" | "file?" | "exists?") => {
            return Ok(boolean(std::path::Path::new(&to_s(args[0])).exists()));
        }
        ("File", "directory?") => {
            return Ok(boolean(std::path::Path::new(&to_s(args[0])).is_dir()))
        }
        ("File", "dirname") => {
            let p = to_s(args[0]);
            let d = match p.rfind('/') {
                Some(0) => "/".to_string(),
                Some(i) => p[..i].to_string(),
                None => ".".to_string(),
            };
            return Ok(new_str(&d));
        }
        ("File", "basename") => {
            let p = to_s(args[0]);
            let mut b = p.rsplit('/').next().unwrap_or("").to_string();
            if let Some(s) = args.get(1) {
                let suf = to_s(*s);
                if suf == ".*" {
                    if let Some(i) = b.rfind('.') {
                        b.truncate(i);
                    }
                } else if let Some(x) = b.strip_suffix(suf.as_str()) {
                    b = x.to_string();
                }
            }
            return Ok(new_str(&b));
        }
        ("File", "join") => {
            let parts: Vec<String> = args.iter().map(|a| to_s(*a)).collect();
            return Ok(new_str(&parts.join("/")));
        }
        ("File", "read") => {
            return match std::fs::read_to_string(to_s(args[0])) {
                Ok(s) => Ok(new_str(&s)),
                Err(_) => err(
                    "Errno::ENOENT",
                    format!("No such file or directory @ rb_sysopen - {}", to_s(args[0])),
                ),
            };
        }
        ("File", "expand_path") => return Ok(args[0]),
        ("GC", _) => return Ok(nil()),
        ("Random", "rand") => return kernel("rand", recv, args, blk, true),
        ("Random", "srand") => return kernel("srand", recv, args, blk, true),
        ("Signal", "trap") => return Ok(nil()),
        ("ObjectSpace", _) => return Ok(nil()),
        _ => {}
    }
    let singleton_of = || singleton_class_of(recv);
    Ok(match (name, args.len()) {
        ("new", _) => return instantiate(c, args, blk),
        ("allocate", 0) => new_object(c),
        ("name" | "to_s" | "inspect", 0) => {
            let n = to_s_plain(recv);
            if n.is_empty() {
                if name == "name" {
                    nil()
                } else {
                    new_str("#<Class:0x0001>")
                }
            } else {
                new_str(&n)
            }
        }
        ("class", 0) => class_obj_of(if is_module(c) {
            cls::MODULE
        } else {
            cls::CLASS
        }),
        ("superclass", 0) => {
            let mut s = class_sup(c);
            while let Some(x) = s {
                if !is_singleton(x) {
                    break;
                }
                s = class_sup(x);
            }
            s.map_or_else(nil, class_obj_of)
        }
        ("ancestors", 0) => new_array(
            &ancestors(c)
                .into_iter()
                .map(class_obj_of)
                .collect::<Vec<_>>(),
        ),
        ("===", 1) => boolean(is_a(args[0], c)),
        ("==" | "equal?" | "eql?", 1) => boolean(recv == args[0]),
        ("<", 1) | ("<=", 1) => {
            if args[0].tid() != tid::CLASS {
                return err("TypeError", "compared with non class/module");
            }
            let o = class_id(args[0]);
            if o == c {
                boolean(name == "<=")
            } else if ancestors(c).contains(&o) {
                boolean(true)
            } else if ancestors(o).contains(&c) {
                boolean(false)
            } else {
                nil()
            }
        }
        (">", 1) | (">=", 1) => {
            let o = class_id(args[0]);
            if o == c {
                boolean(name == ">=")
            } else if ancestors(o).contains(&c) {
                boolean(true)
            } else if ancestors(c).contains(&o) {
                boolean(false)
            } else {
                nil()
            }
        }
        ("<=>", 1) => new_int(if recv == args[0] {
            0
        } else if ancestors(c).contains(&class_id(args[0])) {
            -1
        } else {
            1
        }),
        ("hash", 0) => new_int(c as i64),
        ("attr_reader" | "attr_writer" | "attr_accessor" | "attr", _) => {
            let mut out = Vec::new();
            for a in args {
                let s = sym_arg(*a)?;
                let n = sym_name(s);
                let iv = sym_id(&format!("@{n}"));
                let vis = DEFAULT_VIS
                    .with(|m| m.borrow().get(&c).copied())
                    .unwrap_or(Vis::Public);
                if name != "attr_writer" {
                    define_method(c, s, Meth::Reader(iv), vis);
                    out.push(sym_obj(s));
                }
                if name == "attr_writer" || name == "attr_accessor" {
                    let w = sym_id(&format!("{n}="));
                    define_method(c, w, Meth::Writer(iv), vis);
                    out.push(sym_obj(w));
                }
            }
            new_array(&out)
        }
        ("include" | "prepend", _) => {
            for m in args.iter().rev() {
                if m.tid() != tid::CLASS {
                    return err(
                        "TypeError",
                        format!("wrong argument type {} (expected Module)", class_name(*m)),
                    );
                }
                let mid = class_id(*m);
                if !ancestors(c).contains(&mid) {
                    class_mut(c, |k| k.includes.push(mid));
                    bump();
                    let hs = sym_id("included");
                    if lookup(meta_of(mid), hs).is_some() {
                        gcall(*m, "included", vec![recv])?;
                    }
                }
            }
            recv
        }
        ("include?", 1) => boolean(
            args[0].tid() == tid::CLASS
                && class_id(args[0]) != c
                && ancestors(c).contains(&class_id(args[0])),
        ),
        ("extend", _) => {
            let s = singleton_of();
            for m in args {
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
        ("private" | "public" | "protected", 0) => {
            DEFAULT_VIS.with(|m| m.borrow_mut().insert(c, vis_of(name)));
            nil()
        }
        ("private" | "public" | "protected", _) => {
            let names: Vec<GcRef> = if args.len() == 1 && args[0].tid() == tid::ARR {
                array_items(args[0])
            } else {
                args.to_vec()
            };
            for a in &names {
                let s = sym_arg(*a)?;
                if !set_visibility(c, s, vis_of(name)) {
                    return err(
                        "NameError",
                        format!("undefined method `{}' for class `{}'", sym_name(s), cname),
                    );
                }
            }
            if names.len() == 1 {
                names[0]
            } else {
                new_array(&names)
            }
        }
        ("module_function", 0) => {
            MODULE_FUNCTION.with(|m| m.borrow_mut().insert(c, true));
            nil()
        }
        ("module_function", _) => {
            let meta = meta_of(c);
            for a in args {
                let s = sym_arg(*a)?;
                if let Some((m, _, _)) = lookup(c, s) {
                    define_method(meta, s, m, Vis::Public);
                }
            }
            nil()
        }
        ("private_class_method" | "public_class_method", _) => {
            let meta = meta_of(c);
            for a in args {
                let s = sym_arg(*a)?;
                set_visibility(
                    meta,
                    s,
                    if name.starts_with("private") {
                        Vis::Private
                    } else {
                        Vis::Public
                    },
                );
            }
            nil()
        }
        ("private_constant" | "public_constant" | "module_eval_noop", _) => nil(),
        ("define_method", _) if !args.is_empty() => {
            let s = sym_arg(args[0])?;
            let body = if blk.tid() == tid::PROC {
                blk
            } else {
                args.get(1).copied().unwrap_or_else(nil)
            };
            match body.tid() {
                tid::PROC => {
                    let vis = DEFAULT_VIS
                        .with(|m| m.borrow().get(&c).copied())
                        .unwrap_or(Vis::Public);
                    define_method(c, s, Meth::Proc(body), vis)
                }
                tid::METH => {
                    let ms = geti(body, &meth_obj::sym) as usize;
                    if let Some((m, _, _)) = lookup(class_of(getr(body, &meth_obj::recv)), ms) {
                        define_method(c, s, m, Vis::Public)
                    }
                }
                _ => {
                    return err(
                        "ArgumentError",
                        "tried to create Proc object without a block",
                    )
                }
            }
            sym_obj(s)
        }
        ("alias_method", 2) => {
            let (new, old) = (sym_arg(args[0])?, sym_arg(args[1])?);
            match lookup(c, old) {
                Some((m, v, _)) => define_method(c, new, m, v),
                None => define_method(c, new, Meth::Builtin(old), Vis::Public),
            }
            sym_obj(new)
        }
        ("remove_method" | "undef_method", _) => {
            for a in args {
                let s = sym_arg(*a)?;
                if name == "undef_method" {
                    define_method(c, s, Meth::Undef, Vis::Public);
                } else {
                    class_mut(c, |k| k.methods.remove(&s));
                    bump();
                }
            }
            recv
        }
        ("method_defined?" | "public_method_defined?" | "instance_method", _)
            if !args.is_empty() =>
        {
            let s = sym_arg(args[0])?;
            let r = lookup(c, s);
            if name == "instance_method" {
                return match r {
                    Some(_) => Ok(recv),
                    None => err(
                        "NameError",
                        format!("undefined method `{}' for class `{cname}'", sym_name(s)),
                    ),
                };
            }
            boolean(r.is_some_and(|(_, v, _)| v != Vis::Private) || prim_has(c, &sym_name(s)))
        }
        ("private_method_defined?", 1) => {
            let s = sym_arg(args[0])?;
            boolean(lookup(c, s).is_some_and(|(_, v, _)| v == Vis::Private))
        }
        ("instance_methods" | "public_instance_methods", _) => {
            let own_only = args.first().is_some_and(|a| !truthy(*a));
            let mut out = Vec::new();
            let list = if own_only { vec![c] } else { ancestors(c) };
            for a in list {
                if a == cls::OBJECT || a == cls::KERNEL || a == cls::BASIC_OBJECT {
                    continue;
                }
                let mut ms: Vec<(usize, Vis)> =
                    class_mut(a, |k| k.methods.iter().map(|(s, m)| (*s, m.1)).collect());
                ms.sort();
                for (s, v) in ms {
                    let o = sym_obj(s);
                    if v != Vis::Private && !out.contains(&o) {
                        out.push(o);
                    }
                }
            }
            new_array(&out)
        }
        ("const_get", _) if !args.is_empty() => {
            let n = to_s(args[0]);
            let mut cur = c;
            let mut v = nil();
            for part in n.split("::") {
                match lookup_const(cur, sym_id(part)) {
                    Some(x) => {
                        v = x;
                        if x.tid() == tid::CLASS {
                            cur = class_id(x);
                        }
                    }
                    None => return err("NameError", format!("uninitialized constant {n}")),
                }
            }
            v
        }
        ("const_set", 2) => {
            set_const(c, sym_arg(args[0])?, args[1]);
            args[1]
        }
        ("const_defined?", _) if !args.is_empty() => {
            boolean(lookup_const(c, sym_arg(args[0])?).is_some())
        }
        ("constants", _) => new_array(
            &class_mut(c, |k| k.const_order.clone())
                .into_iter()
                .filter(|s| !sym_name(*s).starts_with("__"))
                .map(sym_obj)
                .collect::<Vec<_>>(),
        ),
        ("class_variable_get", 1) => cvar_get(c, sym_arg(args[0])?).unwrap_or_else(nil),
        ("class_variable_set", 2) => {
            cvar_set(c, sym_arg(args[0])?, args[1]);
            args[1]
        }
        ("class_variable_defined?", 1) => boolean(cvar_get(c, sym_arg(args[0])?).is_some()),
        ("class_variables", 0) => new_array(
            &class_mut(c, |k| k.cvars.keys().copied().collect::<Vec<_>>())
                .into_iter()
                .filter(|s| sym_name(*s).starts_with("@@"))
                .map(sym_obj)
                .collect::<Vec<_>>(),
        ),
        ("instance_variable_get", 1) => {
            let s = sym_id(&to_s(args[0]));
            class_mut(c, |k| k.cvars.get(&s).copied()).unwrap_or_else(nil)
        }
        ("instance_variable_set", 2) => {
            keep(args[1]);
            let s = sym_id(&to_s(args[0]));
            class_mut(c, |k| k.cvars.insert(s, args[1]));
            args[1]
        }
        ("class_eval" | "module_eval" | "class_exec" | "module_exec", _)
            if blk.tid() == tid::PROC =>
        {
            crate::bytecode::set_cref(geti(blk, &proc_obj::code).max(0) as usize, c);
            let _ = DEFAULT_VIS.with(|m| m.borrow_mut().remove(&c));
            match guest_yield_self(blk, recv, args.to_vec()) {
                Some(r) => {
                    // `def` inside class_eval defines into the class.
                    r?
                }
                None => return err("RuntimeError", "minirb: guest call from a plain builtin"),
            }
        }
        ("freeze", 0) => recv,
        ("module_function_p", _) => nil(),
        ("instance_variable_defined?", 1) => {
            let s = sym_id(&to_s(args[0]));
            boolean(class_mut(c, |k| k.cvars.contains_key(&s)))
        }
        ("members", 0) => match class_mut(c, |k| k.struct_members.clone()) {
            Some(m) => new_array(&m.into_iter().map(sym_obj).collect::<Vec<_>>()),
            None => undef(),
        },
        _ => undef(),
    })
}
