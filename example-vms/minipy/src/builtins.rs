//! Builtin functions and methods of builtin types, implemented in Rust and
//! called residually. Anything that needs guest code (key functions,
//! dunder methods of user objects) answers `NEED_GUEST`, and the
//! interpreter calls the Python version `_slow_<name>` from the prelude.
//!
//! Owns: `call` (dispatch on `builtin_table::Builtin`), attribute lookup on
//! builtin objects (`getattr_builtin`), and the residual descriptors.

use crate::dict;
use crate::numbers::{self, to_big};
use crate::objects::*;
use crate::ops::{self, deliver, RAISES};
use crate::sets;
use crate::strings::{self, repr, to_str};
use crate::types::{self, err, PyResult, NEED_GUEST};
use metatrace::heap::GcRef;
use num_traits::{Signed, ToPrimitive};
use std::cmp::Ordering;
use std::io::Write;

pub use crate::builtin_table::{name_of, Builtin};

thread_local! {
    static NOT_IMPL: std::cell::Cell<GcRef> = const { std::cell::Cell::new(GcRef::NULL) };
}

/// Records the prelude's `NotImplemented` (for `object.__eq__` & co.).
pub fn set_not_implemented(v: GcRef) {
    NOT_IMPL.with(|c| c.set(keep(v)));
}

fn not_implemented() -> GcRef {
    NOT_IMPL.with(|c| c.get())
}

thread_local! {
    static OUT: std::cell::RefCell<std::io::BufWriter<std::io::Stdout>> =
        std::cell::RefCell::new(std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()));
}

pub fn write_out(s: &str) {
    OUT.with(|o| {
        let _ = o.borrow_mut().write_all(s.as_bytes());
    });
}
pub fn flush_out() {
    OUT.with(|o| {
        let _ = o.borrow_mut().flush();
    });
}

fn arg(args: &[GcRef], i: usize) -> GcRef {
    args.get(i).copied().unwrap_or(GcRef::NULL)
}

fn kwarg(kw: GcRef, name: &str) -> Option<GcRef> {
    if kw.is_null() || kw.tid() != tid::DICT {
        return None;
    }
    dict::get_str(kw, name)
}

fn nargs(name: &str, args: &[GcRef], lo: usize, hi: usize) -> PyResult<()> {
    if args.len() < lo || args.len() > hi {
        let short = name.rsplit('.').next().unwrap_or(name);
        if lo == hi {
            return err(
                ExcKind::TypeError,
                format!(
                    "{short}() takes exactly {lo} argument{} ({} given)",
                    if lo == 1 { "" } else { "s" },
                    args.len()
                ),
            );
        }
        return err(
            ExcKind::TypeError,
            format!(
                "{short} expected at most {hi} argument{}, got {}",
                if hi == 1 { "" } else { "s" },
                args.len()
            ),
        );
    }
    Ok(())
}

fn int_arg(o: GcRef) -> PyResult<i64> {
    match to_big(o).and_then(|b| b.to_i64()) {
        Some(i) => Ok(i),
        None => err(
            ExcKind::TypeError,
            format!(
                "'{}' object cannot be interpreted as an integer",
                types::tname(o)
            ),
        ),
    }
}

fn float_arg(o: GcRef) -> PyResult<f64> {
    match dict::to_f64(o) {
        Some(f) => Ok(f),
        None => err(
            ExcKind::TypeError,
            format!("must be real number, not {}", types::tname(o)),
        ),
    }
}

fn str_arg(o: GcRef, what: &str) -> PyResult<String> {
    if o.tid() == tid::STR {
        Ok(str_of(o))
    } else {
        err(
            ExcKind::TypeError,
            format!("{what} must be str, not {}", types::tname(o)),
        )
    }
}

/// Sorts builtin values (no guest code); `reverse` keeps stability.
pub fn sort_values(v: &mut [GcRef], reverse: bool) -> PyResult<()> {
    let mut e: Option<GcRef> = None;
    v.sort_by(|a, b| {
        if e.is_some() {
            return Ordering::Equal;
        }
        let r = if reverse {
            ops::order(*b, *a, crate::bytecode::CmpOp::Lt)
        } else {
            ops::order(*a, *b, crate::bytecode::CmpOp::Lt)
        };
        r.unwrap_or_else(|x| {
            e = Some(x);
            Ordering::Equal
        })
    });
    match e {
        Some(x) => Err(x),
        None => Ok(()),
    }
}

fn min_max(args: &[GcRef], kw: GcRef, want: Ordering, name: &str) -> PyResult<GcRef> {
    if kwarg(kw, "key").is_some() {
        return Err(NEED_GUEST);
    }
    let items = if args.len() == 1 {
        ops::iterate(args[0])?
    } else {
        args.to_vec()
    };
    if items.is_empty() {
        if let Some(d) = kwarg(kw, "default") {
            return Ok(d);
        }
        return err(
            ExcKind::ValueError,
            format!("{name}() arg is an empty sequence"),
        );
    }
    let mut best = items[0];
    for &x in &items[1..] {
        if ops::order(x, best, crate::bytecode::CmpOp::Lt)? == want {
            best = x;
        }
    }
    Ok(best)
}

fn to_int(v: GcRef, base: Option<GcRef>) -> PyResult<GcRef> {
    match v.tid() {
        tid::INT | tid::BIG => Ok(v),
        tid::BOOL => Ok(new_int(geti(v, &bool_obj::v))),
        tid::FLOAT => {
            let f = getf(v, &float_obj::v);
            if f.is_nan() {
                return err(ExcKind::ValueError, "cannot convert float NaN to integer");
            }
            if f.is_infinite() {
                return err(
                    ExcKind::OverflowError,
                    "cannot convert float infinity to integer",
                );
            }
            if f.abs() < 9.0e18 {
                return Ok(new_int(f.trunc() as i64));
            }
            let s = format!("{:.0}", f.trunc());
            Ok(numbers::int_from_big(s.parse().unwrap_or_default()))
        }
        tid::STR => {
            let s = str_of(v);
            let b = match base {
                Some(b) => int_arg(b)? as u32,
                None => 10,
            };
            let t = s.trim().replace('_', "");
            let (neg, digits) = match t.strip_prefix('-') {
                Some(r) => (true, r.to_string()),
                None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
            };
            let digits = if b == 16 {
                digits
                    .trim_start_matches("0x")
                    .trim_start_matches("0X")
                    .to_string()
            } else if b == 2 {
                digits.trim_start_matches("0b").to_string()
            } else if b == 8 {
                digits.trim_start_matches("0o").to_string()
            } else {
                digits
            };
            match num_bigint::BigInt::parse_bytes(digits.as_bytes(), b) {
                Some(n) if !digits.is_empty() => {
                    Ok(numbers::int_from_big(if neg { -n } else { n }))
                }
                _ => err(
                    ExcKind::ValueError,
                    format!(
                        "invalid literal for int() with base {b}: {}",
                        strings::str_repr(&s)
                    ),
                ),
            }
        }
        tid::INST => Err(NEED_GUEST),
        _ => err(
            ExcKind::TypeError,
            format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                types::tname(v)
            ),
        ),
    }
}

fn to_float(v: GcRef) -> PyResult<GcRef> {
    match v.tid() {
        tid::FLOAT => Ok(v),
        tid::STR => {
            let s = str_of(v);
            let t = s.trim().to_lowercase();
            let f = match t.as_str() {
                "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
                "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                "nan" | "+nan" | "-nan" => Some(f64::NAN),
                _ => t.parse::<f64>().ok(),
            };
            match f {
                Some(f) => Ok(new_float(f)),
                None => err(
                    ExcKind::ValueError,
                    format!(
                        "could not convert string to float: {}",
                        strings::str_repr(&s)
                    ),
                ),
            }
        }
        tid::INST => Err(NEED_GUEST),
        _ => match dict::to_f64(v) {
            Some(f) => Ok(new_float(f)),
            None => err(
                ExcKind::TypeError,
                format!(
                    "float() argument must be a string or a real number, not '{}'",
                    types::tname(v)
                ),
            ),
        },
    }
}

/// An IntEnum member as its int value; anything else unchanged.
fn as_int(o: GcRef) -> GcRef {
    if o.tid() == tid::INST {
        crate::enums::int_value(o).unwrap_or(o)
    } else {
        o
    }
}

fn round(args: &[GcRef]) -> PyResult<GcRef> {
    let v = as_int(arg(args, 0));
    let nd = args.get(1).copied().filter(|x| *x != rt().none);
    if numbers::is_intlike(v) {
        return Ok(v);
    }
    let f = float_arg(v)?;
    match nd {
        None => {
            let r = f.round();
            let r = if (f - f.trunc()).abs() == 0.5 {
                2.0 * (f / 2.0).round()
            } else {
                r
            };
            if !r.is_finite() {
                return err(
                    ExcKind::OverflowError,
                    "cannot convert float infinity to integer",
                );
            }
            Ok(new_int(r as i64))
        }
        Some(n) => {
            let n = int_arg(n)?;
            let s = format!("{:.*}", n.max(0) as usize, f);
            Ok(new_float(s.parse().unwrap_or(f)))
        }
    }
}

/// Calls builtin `id` bound to `slf` with positional `args` and keyword
/// dict `kw` (null if none).
pub fn call(id: i64, slf: GcRef, args: &[GcRef], kw: GcRef) -> PyResult<GcRef> {
    let Some(bi) = Builtin::from_id(id) else {
        return err(ExcKind::TypeError, "unsupported builtin ?");
    };
    let name = bi.name();
    let none = rt().none;
    let a0 = arg(args, 0);
    Ok(match bi {
        Builtin::Print => {
            let sep = kwarg(kw, "sep").filter(|s| *s != none).map(str_of);
            let end = kwarg(kw, "end").filter(|s| *s != none).map(str_of);
            let mut out = String::new();
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep.as_deref().unwrap_or(" "));
                }
                out.push_str(&to_str(*a)?);
            }
            out.push_str(end.as_deref().unwrap_or("\n"));
            write_out(&out);
            if kwarg(kw, "flush").is_some() {
                flush_out();
            }
            none
        }
        Builtin::Len => {
            nargs(name, args, 1, 1)?;
            new_int(ops::len(a0)?)
        }
        Builtin::Range => {
            nargs(name, args, 1, 3)?;
            let (a, b, s) = match args.len() {
                1 => (0, int_arg(a0)?, 1),
                2 => (int_arg(a0)?, int_arg(args[1])?, 1),
                _ => (int_arg(a0)?, int_arg(args[1])?, int_arg(args[2])?),
            };
            if s == 0 {
                return err(ExcKind::ValueError, "range() arg 3 must not be zero");
            }
            let o = metatrace::heap::new_struct(&range_obj::SIZE);
            seti(o, &range_obj::start, a);
            seti(o, &range_obj::stop, b);
            seti(o, &range_obj::step, s);
            o
        }
        Builtin::Enumerate => {
            let start = match (args.get(1).copied(), kwarg(kw, "start")) {
                (Some(s), _) | (None, Some(s)) => int_arg(s)?,
                _ => 0,
            };
            let items = ops::iterate(a0)?;
            let v: Vec<GcRef> = items
                .into_iter()
                .enumerate()
                .map(|(i, x)| new_tuple(&[new_int(start + i as i64), x]))
                .collect();
            new_seq_iter(new_tuple(&v), 1)
        }
        Builtin::Zip => {
            let lists: PyResult<Vec<Vec<GcRef>>> = args.iter().map(|a| ops::iterate(*a)).collect();
            let lists = lists?;
            let n = lists.iter().map(|l| l.len()).min().unwrap_or(0);
            let v: Vec<GcRef> = (0..n)
                .map(|i| new_tuple(&lists.iter().map(|l| l[i]).collect::<Vec<_>>()))
                .collect();
            new_seq_iter(new_tuple(&v), 1)
        }
        Builtin::Reversed => {
            let mut v = ops::iterate(a0)?;
            v.reverse();
            new_seq_iter(new_tuple(&v), 1)
        }
        Builtin::Sorted => {
            if kwarg(kw, "key").is_some_and(|k| k != none) {
                return Err(NEED_GUEST);
            }
            let mut v = ops::iterate(a0)?;
            let rev = kwarg(kw, "reverse")
                .map(ops::truthy)
                .transpose()?
                .unwrap_or(false);
            sort_values(&mut v, rev)?;
            new_list(&v)
        }
        Builtin::Min => min_max(args, kw, Ordering::Less, "min")?,
        Builtin::Max => min_max(args, kw, Ordering::Greater, "max")?,
        Builtin::Sum => {
            let mut acc = args.get(1).copied().unwrap_or_else(|| new_int(0));
            let items = ops::iterate(a0)?;
            let reiterable = matches!(a0.tid(), tid::LIST | tid::TUPLE | tid::SET | tid::DICT);
            if reiterable
                && std::iter::once(&acc)
                    .chain(&items)
                    .any(|x| x.tid() == tid::INST)
            {
                // User `__add__`/`__radd__`: the prelude's `_slow_sum`.
                return Err(NEED_GUEST);
            }
            for x in items {
                acc = ops::binop(crate::bytecode::BinOp::Add, acc, x)?;
            }
            acc
        }
        Builtin::Abs => match a0.tid() {
            tid::FLOAT => new_float(getf(a0, &float_obj::v).abs()),
            tid::INST => return Err(NEED_GUEST),
            _ => match to_big(a0) {
                Some(b) => numbers::int_from_big(b.abs()),
                None => {
                    return err(
                        ExcKind::TypeError,
                        format!("bad operand type for abs(): '{}'", types::tname(a0)),
                    )
                }
            },
        },
        Builtin::Int => {
            if args.is_empty() {
                new_int(0)
            } else {
                to_int(a0, args.get(1).copied())?
            }
        }
        Builtin::Float => {
            if args.is_empty() {
                new_float(0.0)
            } else {
                to_float(a0)?
            }
        }
        Builtin::Str => {
            if args.is_empty() {
                new_str("")
            } else {
                new_str(&to_str(a0)?)
            }
        }
        Builtin::Repr => new_str(&repr(a0)?),
        Builtin::Format => {
            let spec = args.get(1).map(|s| str_of(*s)).unwrap_or_default();
            new_str(&strings::format_value(a0, &spec)?)
        }
        Builtin::Bool => bool_obj(!args.is_empty() && ops::truthy(a0)?),
        Builtin::List => {
            if args.is_empty() {
                new_list(&[])
            } else {
                new_list(&ops::iterate(a0)?)
            }
        }
        Builtin::Tuple => {
            if args.is_empty() {
                rt().empty_tuple
            } else if a0.tid() == tid::TUPLE {
                a0
            } else {
                new_tuple(&ops::iterate(a0)?)
            }
        }
        Builtin::Set | Builtin::Frozenset => {
            let s = if args.is_empty() {
                sets::new_set()
            } else {
                sets::from_iterable(a0)?
            };
            if bi == Builtin::Frozenset {
                sets::freeze(s)
            } else {
                s
            }
        }
        Builtin::Dict => {
            let d = dict::new_dict();
            if !args.is_empty() {
                if a0.tid() == tid::DICT {
                    for (k, v) in dict::items(a0) {
                        dict::set(d, k, v)?;
                    }
                } else {
                    for p in ops::iterate(a0)? {
                        let kv = ops::unpack(p, 2)?;
                        dict::set(d, kv[0], kv[1])?;
                    }
                }
            }
            if !kw.is_null() && kw.tid() == tid::DICT {
                for (k, v) in dict::items(kw) {
                    dict::set(d, k, v)?;
                }
            }
            d
        }
        Builtin::DictFromkeys => {
            let d = dict::new_dict();
            let v = args.get(1).copied().unwrap_or(none);
            for k in ops::iterate(a0)? {
                dict::set(d, k, v)?;
            }
            d
        }
        Builtin::Chr => {
            let i = int_arg(a0)?;
            match char::from_u32(i as u32).filter(|_| (0..0x110000).contains(&i)) {
                Some(c) => new_str(&c.to_string()),
                None => return err(ExcKind::ValueError, "chr() arg not in range(0x110000)"),
            }
        }
        Builtin::Ord => {
            let s = str_arg(a0, "ord() argument")?;
            let mut it = s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => new_int(c as i64),
                _ => {
                    return err(
                        ExcKind::TypeError,
                        format!(
                            "ord() expected a character, but string of length {} found",
                            s.chars().count()
                        ),
                    )
                }
            }
        }
        Builtin::Isinstance | Builtin::Issubclass => {
            nargs(name, args, 2, 2)?;
            let t = if bi == Builtin::Isinstance {
                types::type_of(a0)
            } else {
                a0
            };
            let classes = if args[1].tid() == tid::TUPLE {
                tuple_items(args[1])
            } else {
                vec![args[1]]
            };
            let mut r = false;
            for c in classes {
                if c.tid() != tid::TYPE {
                    return err(
                        ExcKind::TypeError,
                        format!("{name}() arg 2 must be a type, a tuple of types, or a union"),
                    );
                }
                r |= types::is_subclass(t, c);
            }
            bool_obj(r)
        }
        Builtin::Type if args.len() == 3 => {
            // type(name, bases, dict)
            if a0.tid() != tid::STR || args[1].tid() != tid::TUPLE || args[2].tid() != tid::DICT {
                return err(
                    ExcKind::TypeError,
                    "type.__new__() argument 1 must be str, 2 tuple, 3 dict",
                );
            }
            let mut bases = tuple_items(args[1]);
            if bases.iter().any(|b| b.tid() != tid::TYPE) {
                return err(ExcKind::TypeError, "bases must be types");
            }
            if bases.is_empty() {
                bases.push(rt().ty(tag::OBJECT));
            }
            let ns = dict::copy(args[2]);
            if dict::get_str(ns, "__module__").is_none() {
                dict::set_str(ns, "__module__", intern("__main__"));
            }
            types::new_class(intern(&str_of(a0)), &bases, ns)?
        }
        Builtin::Type => {
            nargs(name, args, 1, 1)?;
            types::type_of(a0)
        }
        Builtin::Id => new_int(a0.addr() as i64),
        Builtin::Hash => new_int(dict::hash(a0)?),
        Builtin::Callable => bool_obj(
            matches!(a0.tid(), tid::FUNC | tid::BUILTIN | tid::METHOD | tid::TYPE)
                || (a0.tid() == tid::INST
                    && !types::class_lookup(getr(a0, &inst_obj::cls), "__call__").is_null()),
        ),
        Builtin::Iter => ops::get_iter(a0)?,
        Builtin::Next => match ops::iter_next(a0)? {
            Some(v) => v,
            None => match args.get(1) {
                Some(d) => *d,
                None => return Err(types::exc_with_args(rt().exc(ExcKind::StopIteration), &[])),
            },
        },
        Builtin::Any => {
            for x in ops::iterate(a0)? {
                if ops::truthy(x)? {
                    return Ok(rt().true_);
                }
            }
            rt().false_
        }
        Builtin::All => {
            for x in ops::iterate(a0)? {
                if !ops::truthy(x)? {
                    return Ok(rt().false_);
                }
            }
            rt().true_
        }
        Builtin::Round => round(args)?,
        Builtin::Hex | Builtin::Bin | Builtin::Oct => {
            let b = to_big(a0).ok_or(()).or_else(|_| {
                err(
                    ExcKind::TypeError,
                    format!(
                        "'{}' object cannot be interpreted as an integer",
                        types::tname(a0)
                    ),
                )
            })?;
            let m = b.magnitude();
            let s = match bi {
                Builtin::Hex => format!("0x{:x}", m),
                Builtin::Bin => format!("0b{:b}", m),
                _ => format!("0o{:o}", m),
            };
            new_str(&if b.is_negative() { format!("-{s}") } else { s })
        }
        Builtin::Divmod => {
            let (a0, a1) = (as_int(a0), as_int(arg(args, 1)));
            let q = ops::binop(crate::bytecode::BinOp::FloorDiv, a0, a1)?;
            let r = ops::binop(crate::bytecode::BinOp::Mod, a0, a1)?;
            new_tuple(&[q, r])
        }
        Builtin::Pow => {
            if args.len() == 3 {
                let (b, e, m) = (to_big(a0), to_big(args[1]), to_big(args[2]));
                match (b, e, m) {
                    (Some(b), Some(e), Some(m)) if !e.is_negative() => {
                        numbers::int_from_big(numbers::big_mod(&b.modpow(&e, &m), &m))
                    }
                    _ => {
                        return err(
                            ExcKind::TypeError,
                            "pow() 3rd argument not allowed unless all arguments are integers",
                        )
                    }
                }
            } else {
                ops::binop(crate::bytecode::BinOp::Pow, a0, arg(args, 1))?
            }
        }
        Builtin::Hasattr | Builtin::Getattr => {
            let n = str_arg(arg(args, 1), "attribute name")?;
            match getattr_plain(a0, &n) {
                Ok(v) => {
                    if bi == Builtin::Hasattr {
                        rt().true_
                    } else {
                        v
                    }
                }
                Err(e) if e.is_null() => return Err(NEED_GUEST),
                Err(e) => {
                    if !types::isinstance(e, rt().exc(ExcKind::AttributeError)) {
                        return Err(e);
                    }
                    if bi == Builtin::Hasattr {
                        rt().false_
                    } else if let Some(d) = args.get(2) {
                        *d
                    } else {
                        return Err(e);
                    }
                }
            }
        }
        Builtin::Super if args.is_empty() => {
            return err(ExcKind::RuntimeError, "super(): no arguments")
        }
        Builtin::Object => types::new_instance(rt().ty(tag::OBJECT)),
        Builtin::Staticmethod | Builtin::Classmethod | Builtin::Property => {
            let o = metatrace::heap::new_struct(&wrap_obj::SIZE);
            seti(
                o,
                &wrap_obj::kind,
                match bi {
                    Builtin::Staticmethod => 0,
                    Builtin::Classmethod => 1,
                    _ => 2,
                },
            );
            setr(o, &wrap_obj::a, a0);
            setr(o, &wrap_obj::b, args.get(1).copied().unwrap_or(none));
            o
        }
        Builtin::Slice => {
            let o = metatrace::heap::new_struct(&slice_obj::SIZE);
            let (a, b, c) = match args.len() {
                1 => (none, a0, none),
                2 => (a0, args[1], none),
                _ => (a0, arg(args, 1), arg(args, 2)),
            };
            setr(o, &slice_obj::start, a);
            setr(o, &slice_obj::stop, b);
            setr(o, &slice_obj::step, c);
            o
        }
        Builtin::BaseExceptionInit => {
            types::inst_set(a0, "args", new_tuple(&args[1..]));
            none
        }
        Builtin::ObjectInit => {
            if args.len() > 1 {
                return err(
                    ExcKind::TypeError,
                    "object.__init__() takes exactly one argument (the instance to initialize)",
                );
            }
            none
        }
        Builtin::ObjectNew => {
            if args.is_empty() {
                return err(ExcKind::TypeError, "object.__new__(): not enough arguments");
            }
            if a0.tid() != tid::TYPE {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "object.__new__(X): X is not a type object ({})",
                        types::tname(a0)
                    ),
                );
            }
            let t = geti(a0, &type_obj::tag);
            if t != tag::USER && t != tag::OBJECT && t != tag::EXC {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "object.__new__({}) is not safe, use {}.__new__()",
                        types::type_name(a0),
                        types::type_name(a0)
                    ),
                );
            }
            types::new_instance(a0)
        }
        Builtin::ObjectRepr => new_str(&if a0.tid() == tid::INST {
            format!(
                "<__main__.{} object at 0x{:x}>",
                types::type_name(getr(a0, &inst_obj::cls)),
                a0.addr()
            )
        } else {
            repr(a0)?
        }),
        Builtin::ObjectStr => new_str(&repr(a0)?),
        Builtin::ObjectEq => {
            nargs(name, args, 2, 2)?;
            if a0 == args[1] {
                bool_obj(true)
            } else {
                not_implemented()
            }
        }
        Builtin::ObjectNe => {
            nargs(name, args, 2, 2)?;
            if a0 == args[1] {
                bool_obj(false)
            } else {
                not_implemented()
            }
        }
        Builtin::ObjectLt | Builtin::ObjectLe | Builtin::ObjectGt | Builtin::ObjectGe => {
            nargs(name, args, 2, 2)?;
            not_implemented()
        }
        Builtin::ObjectHash => new_int(if a0.tid() == tid::INST {
            crate::hashing::pointer(a0)
        } else {
            crate::dict::hash(a0)?
        }),
        Builtin::ObjectSetattr => {
            nargs(name, args, 3, 3)?;
            let n = str_arg(args[1], "attribute name")?;
            if a0.tid() != tid::INST {
                return err(
                    ExcKind::AttributeError,
                    format!("'{}' object has no attribute '{n}'", types::tname(a0)),
                );
            }
            types::inst_set(a0, &n, args[2]);
            none
        }
        Builtin::ObjectGetattribute => {
            nargs(name, args, 2, 2)?;
            let n = str_arg(args[1], "attribute name")?;
            getattr_plain(a0, &n)?
        }
        Builtin::ObjectDelattr => {
            nargs(name, args, 2, 2)?;
            let n = str_arg(args[1], "attribute name")?;
            if a0.tid() != tid::INST || types::inst_get(a0, &n).is_none() {
                return err(
                    ExcKind::AttributeError,
                    format!("'{}' object has no attribute '{n}'", types::tname(a0)),
                );
            }
            types::inst_set(a0, &n, GcRef::NULL);
            none
        }
        Builtin::ObjectFormat => {
            nargs(name, args, 2, 2)?;
            let spec = str_arg(args[1], "format spec")?;
            if !spec.is_empty() {
                return err(
                    ExcKind::TypeError,
                    format!(
                        "unsupported format string passed to {}.__format__",
                        types::tname(a0)
                    ),
                );
            }
            new_str(&crate::strings::to_str(a0)?)
        }
        Builtin::PropertySetter | Builtin::PropertyGetter => {
            let o = metatrace::heap::new_struct(&wrap_obj::SIZE);
            seti(o, &wrap_obj::kind, 2);
            let (g, st) = if bi == Builtin::PropertySetter {
                (getr(a0, &wrap_obj::a), arg(args, 1))
            } else {
                (arg(args, 1), getr(a0, &wrap_obj::b))
            };
            setr(o, &wrap_obj::a, g);
            setr(o, &wrap_obj::b, st);
            o
        }
        Builtin::Write => {
            write_out(&str_of(a0));
            none
        }
        Builtin::Argsort => {
            let keys = ops::iterate(a0)?;
            let rev = ops::truthy(arg(args, 1))?;
            let mut idx: Vec<usize> = (0..keys.len()).collect();
            let mut e: Option<GcRef> = None;
            idx.sort_by(|&x, &y| {
                if e.is_some() {
                    return Ordering::Equal;
                }
                let (p, q) = if rev {
                    (keys[y], keys[x])
                } else {
                    (keys[x], keys[y])
                };
                ops::order(p, q, crate::bytecode::CmpOp::Lt).unwrap_or_else(|err| {
                    e = Some(err);
                    Ordering::Equal
                })
            });
            if let Some(x) = e {
                return Err(x);
            }
            new_list(&idx.iter().map(|i| new_int(*i as i64)).collect::<Vec<_>>())
        }
        _ => return crate::methods::call_method(bi, slf, args, kw),
    })
}

/// Attribute lookup that needs no guest code (builtin objects, modules,
/// plain instance/class attributes).
pub fn getattr_plain(o: GcRef, name: &str) -> PyResult<GcRef> {
    match o.tid() {
        tid::INST => {
            if let Some(v) = types::inst_get(o, name) {
                return Ok(v);
            }
            let cls = getr(o, &inst_obj::cls);
            let v = types::class_lookup(cls, name);
            if !v.is_null() {
                return match v.tid() {
                    tid::FUNC => Ok(new_method(v, o)),
                    tid::WRAP => Err(NEED_GUEST),
                    tid::BUILTIN => Ok(new_builtin(geti(v, &builtin_obj::id), o)),
                    _ => Ok(v),
                };
            }
            if name == "__class__" {
                return Ok(cls);
            }
            if name == "__traceback__" && types::isinstance(o, rt().exc(ExcKind::BaseException)) {
                return Ok(crate::excinfo::traceback_of(o));
            }
            if name == "__dict__" {
                let d = dict::new_dict();
                for (i, n) in types::map_names(getr(o, &inst_obj::map)).iter().enumerate() {
                    let v = slot_get(o, i);
                    if !v.is_null() {
                        dict::set(d, intern(n), v)?;
                    }
                }
                return Ok(d);
            }
            err(
                ExcKind::AttributeError,
                format!(
                    "'{}' object has no attribute '{name}'",
                    types::type_name(cls)
                ),
            )
        }
        tid::TYPE => {
            if name == "__name__" {
                return Ok(getr(o, &type_obj::name));
            }
            let v = types::class_lookup(o, name);
            if !v.is_null() {
                if v.tid() == tid::WRAP {
                    let k = geti(v, &wrap_obj::kind);
                    let f = getr(v, &wrap_obj::a);
                    return Ok(if k == 1 { new_method(f, o) } else { f });
                }
                return Ok(v);
            }
            if let Some(m) = builtin_method(rt().types.iter().position(|t| *t == o), name) {
                return Ok(new_builtin(m, GcRef::NULL));
            }
            match name {
                "__base__" => {
                    let b = getr(o, &type_obj::base);
                    return Ok(if b.is_null() { none() } else { b });
                }
                "__bases__" => return Ok(getr(o, &type_obj::bases)),
                // A snapshot (CPython's is a read-only live mappingproxy).
                "__dict__" => return Ok(dict::copy(getr(o, &type_obj::dict))),
                "__mro__" => return Ok(getr(o, &type_obj::mro)),
                "mro" => {
                    // `type.mro(C)` is unbound; `C.mro()` binds C.
                    let slf = if o == rt().ty(tag::TYPE) {
                        GcRef::NULL
                    } else {
                        o
                    };
                    return Ok(Builtin::TypeMro.new_obj(slf));
                }
                _ => {}
            }
            err(
                ExcKind::AttributeError,
                format!(
                    "type object '{}' has no attribute '{name}'",
                    types::type_name(o)
                ),
            )
        }
        tid::MODULE => {
            let d = getr(o, &module_obj::dict);
            match dict::get_str(d, name) {
                Some(c) if c.tid() == tid::CELL && !getr(c, &cell_obj::value).is_null() => {
                    Ok(getr(c, &cell_obj::value))
                }
                _ => err(
                    ExcKind::AttributeError,
                    format!(
                        "module '{}' has no attribute '{name}'",
                        str_of(getr(o, &module_obj::name))
                    ),
                ),
            }
        }
        tid::FUNC => {
            if let Some(d) = func_attrs(o) {
                if let Some(v) = dict::get_str(d, name) {
                    return Ok(v);
                }
                if name == "__dict__" {
                    return Ok(d);
                }
            }
            match name {
                "__name__" | "__qualname__" => Ok(getr(o, &func_obj::name)),
                "__doc__" => Ok(none()),
                "__module__" => {
                    let m = getr(o, &func_obj::module);
                    Ok(if m.tid() == tid::MODULE {
                        getr(m, &module_obj::name)
                    } else if m.tid() == tid::DICT {
                        match dict::get_str(m, "__name__") {
                            Some(c) if c.tid() == tid::CELL => getr(c, &cell_obj::value),
                            Some(v) => v,
                            None => none(),
                        }
                    } else {
                        none()
                    })
                }
                "__dict__" => {
                    let d = dict::new_dict();
                    func_attr_table(o, d);
                    Ok(d)
                }
                _ => err(
                    ExcKind::AttributeError,
                    format!("'function' object has no attribute '{name}'"),
                ),
            }
        }
        tid::BUILTIN if name == "__name__" => Ok(new_str(
            name_of(geti(o, &builtin_obj::id))
                .rsplit('.')
                .next()
                .unwrap_or(""),
        )),
        tid::RANGE if matches!(name, "start" | "stop" | "step") => Ok(new_int(match name {
            "start" => geti(o, &range_obj::start),
            "stop" => geti(o, &range_obj::stop),
            _ => geti(o, &range_obj::step),
        })),
        tid::METHOD if name == "__self__" => Ok(getr(o, &method_obj::slf)),
        tid::WRAP if name == "setter" || name == "getter" => {
            let b = if name == "setter" {
                Builtin::PropertySetter
            } else {
                Builtin::PropertyGetter
            };
            Ok(b.new_obj(o))
        }
        tid::WRAP if name == "__func__" => Ok(getr(o, &wrap_obj::a)),
        tid::METHOD if name == "__func__" => Ok(getr(o, &method_obj::func)),
        _ => {
            if name == "__class__" {
                return Ok(types::type_of(o));
            }
            let t = types::type_of(o);
            let tagv = geti(t, &type_obj::tag) as usize;
            if let Some(m) = builtin_method(Some(tagv), name) {
                return Ok(new_builtin(m, o));
            }
            err(
                ExcKind::AttributeError,
                format!("'{}' object has no attribute '{name}'", types::tname(o)),
            )
        }
    }
}

/// The builtin method `name` of values with type id `t` (list, dict, str,
/// set, tuple), if there is one.
pub fn method_id(t: u32, name: &str) -> Option<i64> {
    let tagv = match t {
        tid::LIST => tag::LIST,
        tid::DICT => tag::DICT,
        tid::STR => tag::STR,
        tid::SET => tag::SET,
        tid::TUPLE => tag::TUPLE,
        _ => return None,
    };
    builtin_method(Some(tagv as usize), name)
}

/// [`method_id`] for an interned (never freed) name: memoized by the
/// name's address (the attribute names of `getattr` are all interned).
pub fn method_id_interned(t: u32, name: GcRef) -> Option<i64> {
    thread_local! {
        static CACHE: std::cell::RefCell<hashbrown::HashMap<(u32, GcRef), Option<i64>>> =
            std::cell::RefCell::new(hashbrown::HashMap::new());
    }
    if let Some(r) = CACHE.with(|c| c.borrow().get(&(t, name)).copied()) {
        return r;
    }
    let r = method_id(t, &str_of(name));
    CACHE.with(|c| c.borrow_mut().insert((t, name), r));
    r
}

/// The builtin method `name` of the builtin class `cls` (`object`, `int`,
/// ...), if `cls` is one and has it.
pub fn type_method(cls: GcRef, name: &str) -> Option<i64> {
    let tagv = geti(cls, &type_obj::tag);
    if tagv == tag::USER || tagv == tag::EXC {
        return None;
    }
    builtin_method(rt().types.iter().position(|t| *t == cls), name)
}

fn builtin_method(tagv: Option<usize>, name: &str) -> Option<i64> {
    let prefix = match tagv? as i64 {
        tag::STR => "str",
        tag::LIST => "list",
        tag::DICT => "dict",
        tag::SET => "set",
        tag::FROZENSET if crate::sets::is_mutator(name) => return None,
        tag::FROZENSET => "set",
        tag::INT | tag::BOOL => "int",
        tag::FLOAT => "float",
        tag::TUPLE => "tuple",
        tag::EXC => "BaseException",
        tag::OBJECT => "object",
        _ => return None,
    };
    Builtin::by_name(&format!("{prefix}.{name}")).map(Builtin::id)
}

extern "C" fn mp_call_builtin(id: i64, slf: GcRef, args: GcRef, kw: GcRef) -> GcRef {
    let mut v = Vec::with_capacity(4);
    if !slf.is_null() {
        v.push(slf);
    }
    v.extend(tuple_items(args));
    deliver(call(id, slf, &v, kw))
}
metatrace::residual!(
    /// Calls a builtin: (id, bound self or null, args tuple, kwargs dict or null).
    pub static CALL_BUILTIN = fn mp_call_builtin(id: i64, slf: GcRef, args: GcRef, kw: GcRef) -> GcRef, RAISES
);

extern "C" fn mp_getattr(o: GcRef, name: GcRef) -> GcRef {
    deliver(getattr_plain(o, &str_of(name)))
}
metatrace::residual!(
    /// Attribute lookup without guest code.
    pub static GETATTR = fn mp_getattr(o: GcRef, name: GcRef) -> GcRef, RAISES
);

extern "C" fn mp_write(s: GcRef) {
    write_out(&str_of(s));
}
metatrace::residual!(
    /// Writes a str to stdout.
    pub static WRITE = fn mp_write(s: GcRef), ops::RAISES
);

extern "C" fn mp_to_str(o: GcRef, conv: i64) -> GcRef {
    deliver(ops::s(if conv == 2 { repr(o) } else { to_str(o) }))
}
metatrace::residual!(
    /// str(o) (conv 1) or repr(o) (conv 2); null without exception = needs guest.
    pub static TO_STR = fn mp_to_str(o: GcRef, conv: i64) -> GcRef, RAISES
);

extern "C" fn mp_format(o: GcRef, spec: GcRef) -> GcRef {
    deliver(ops::s(strings::format_value(o, &str_of(spec))))
}
metatrace::residual!(
    /// format(o, spec).
    pub static FORMAT = fn mp_format(o: GcRef, spec: GcRef) -> GcRef, RAISES
);

extern "C" fn mp_concat(parts: GcRef) -> GcRef {
    let mut s = String::new();
    for p in tuple_items(parts) {
        s.push_str(&str_of(p));
    }
    new_str(&s)
}
metatrace::residual!(
    /// Joins a tuple of strs.
    pub static CONCAT = fn mp_concat(parts: GcRef) -> GcRef, EffectInfo_RESIDUAL
);
#[allow(non_upper_case_globals)]
const EffectInfo_RESIDUAL: metatrace::ir::EffectInfo = metatrace::ir::EffectInfo::RESIDUAL;

pub const _UNUSED: fn() = || {
    let _ = RAISES;
};

thread_local! {
    /// Attributes set on function objects (`f.__wrapped__ = g`), by the
    /// function's address; both are kept alive (`keep`).
    static FUNC_ATTRS: std::cell::RefCell<hashbrown::HashMap<usize, GcRef>> =
        std::cell::RefCell::new(Default::default());
}

/// The attribute dict of function `f`, if anything was set on it.
pub fn func_attrs(f: GcRef) -> Option<GcRef> {
    FUNC_ATTRS.with(|t| t.borrow().get(&f.addr()).copied())
}

fn func_attr_table(f: GcRef, d: GcRef) {
    keep(f);
    keep(d);
    FUNC_ATTRS.with(|t| t.borrow_mut().insert(f.addr(), d));
}

/// `f.name = v` for a function `f`.
pub fn func_attr_set(f: GcRef, name: GcRef, v: GcRef) {
    let d = match func_attrs(f) {
        Some(d) => d,
        None => {
            let d = dict::new_dict();
            func_attr_table(f, d);
            d
        }
    };
    let _ = dict::set(d, name, v);
}
