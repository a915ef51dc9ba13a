//! Methods of builtin types (str, list, dict, set, int, float, tuple) and
//! the functions of the builtin modules `math`, `time` and `sys`.
//!
//! Owns: `call_method`, dispatched on the `Builtin` from `builtins`.

use crate::builtins::{sort_values, Builtin};
use crate::dict;
use crate::numbers::{self, to_big};
use crate::objects::*;
use crate::ops;
use crate::sets;
use crate::strings;
use crate::types::{self, err, PyResult, NEED_GUEST};
use metatrace::heap::GcRef;
use num_traits::ToPrimitive;

fn a(args: &[GcRef], i: usize) -> Option<GcRef> {
    args.get(i).copied()
}

fn s_arg(o: Option<GcRef>, m: &str) -> PyResult<String> {
    match o {
        Some(x) if x.tid() == tid::STR => Ok(str_of(x)),
        Some(x) => err(
            ExcKind::TypeError,
            format!("{m}() argument must be str, not {}", types::tname(x)),
        ),
        None => err(
            ExcKind::TypeError,
            format!("{m}() takes at least 1 argument (0 given)"),
        ),
    }
}

fn f_arg(o: Option<GcRef>) -> PyResult<f64> {
    match o.and_then(dict::to_f64) {
        Some(f) => Ok(f),
        None => err(
            ExcKind::TypeError,
            format!(
                "must be real number, not {}",
                o.map(types::tname).unwrap_or_default()
            ),
        ),
    }
}

fn i_arg(o: Option<GcRef>) -> PyResult<i64> {
    match o.and_then(to_big).and_then(|b| b.to_i64()) {
        Some(i) => Ok(i),
        None => err(
            ExcKind::TypeError,
            format!(
                "'{}' object cannot be interpreted as an integer",
                o.map(types::tname).unwrap_or_default()
            ),
        ),
    }
}

fn strs(v: Vec<String>) -> GcRef {
    new_list(&v.iter().map(|s| new_str(s)).collect::<Vec<_>>())
}

fn char_idx_to_str(s: &str, byte: usize) -> i64 {
    s[..byte].chars().count() as i64
}

/// Nanoseconds since the first clock read of this process (the monotonic
/// clock behind `perf_counter` and `monotonic`).
fn monotonic_ns() -> i64 {
    thread_local! {
        static START: std::time::Instant = std::time::Instant::now();
    }
    START.with(|s| s.elapsed().as_nanos() as i64)
}

/// CPU time of this process in nanoseconds (`process_time`): Linux's
/// `/proc/self/schedstat`, else the monotonic clock.
fn cpu_ns() -> i64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<i64>().ok())
        .unwrap_or_else(monotonic_ns)
}

/// The functions of the `time` module.
fn time_fn(m: Builtin) -> GcRef {
    let wall = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0)
    };
    match m {
        Builtin::TimeTimeNs => new_int(wall()),
        Builtin::TimePerfCounterNs | Builtin::TimeMonotonicNs => new_int(monotonic_ns()),
        Builtin::TimePerfCounter | Builtin::TimeMonotonic => new_float(monotonic_ns() as f64 / 1e9),
        Builtin::TimeProcessTimeNs => new_int(cpu_ns()),
        Builtin::TimeProcessTime => new_float(cpu_ns() as f64 / 1e9),
        _ => new_float(wall() as f64 / 1e9),
    }
}

fn math_dom<T>() -> PyResult<T> {
    err(ExcKind::ValueError, "math domain error")
}

pub fn call_method(m: Builtin, _slf: GcRef, args: &[GcRef], kw: GcRef) -> PyResult<GcRef> {
    let none = rt().none;
    let o = args.first().copied().unwrap_or(none);
    let name = m.name();
    match m {
        Builtin::StrSplit
        | Builtin::StrRsplit
        | Builtin::StrJoin
        | Builtin::StrStrip
        | Builtin::StrLstrip
        | Builtin::StrRstrip
        | Builtin::StrReplace
        | Builtin::StrFind
        | Builtin::StrRfind
        | Builtin::StrIndex
        | Builtin::StrCount
        | Builtin::StrStartswith
        | Builtin::StrEndswith
        | Builtin::StrUpper
        | Builtin::StrLower
        | Builtin::StrTitle
        | Builtin::StrCapitalize
        | Builtin::StrIsdigit
        | Builtin::StrIsalpha
        | Builtin::StrIsspace
        | Builtin::StrIsalnum
        | Builtin::StrIsupper
        | Builtin::StrIslower
        | Builtin::StrFormat
        | Builtin::StrZfill
        | Builtin::StrCenter
        | Builtin::StrLjust
        | Builtin::StrRjust
        | Builtin::StrSplitlines
        | Builtin::StrPartition
        | Builtin::StrSwapcase
        | Builtin::StrRemoveprefix
        | Builtin::StrRemovesuffix => str_method(m, o, &args[1.min(args.len())..], kw),
        Builtin::ListAppend
        | Builtin::ListExtend
        | Builtin::ListPop
        | Builtin::ListInsert
        | Builtin::ListRemove
        | Builtin::ListIndex
        | Builtin::ListCount
        | Builtin::ListSort
        | Builtin::ListReverse
        | Builtin::ListCopy
        | Builtin::ListClear => list_method(m, o, &args[1.min(args.len())..], kw),
        Builtin::TupleIndex | Builtin::TupleCount => {
            let items = tuple_items(o);
            let x = a(args, 1).unwrap_or(none);
            match m {
                Builtin::TupleIndex => {
                    for (i, it) in items.iter().enumerate() {
                        if dict::eq(*it, x)? {
                            return Ok(new_int(i as i64));
                        }
                    }
                    err(ExcKind::ValueError, "tuple.index(x): x not in tuple")
                }
                _ => {
                    let mut n = 0;
                    for it in items {
                        n += dict::eq(it, x)? as i64;
                    }
                    Ok(new_int(n))
                }
            }
        }
        Builtin::DictGet
        | Builtin::DictKeys
        | Builtin::DictValues
        | Builtin::DictItems
        | Builtin::DictPop
        | Builtin::DictSetdefault
        | Builtin::DictUpdate
        | Builtin::DictCopy
        | Builtin::DictClear
        | Builtin::DictPopitem => dict_method(m, o, &args[1.min(args.len())..]),
        Builtin::SetAdd
        | Builtin::SetRemove
        | Builtin::SetDiscard
        | Builtin::SetPop
        | Builtin::SetUnion
        | Builtin::SetIntersection
        | Builtin::SetDifference
        | Builtin::SetIssubset
        | Builtin::SetIssuperset
        | Builtin::SetUpdate
        | Builtin::SetCopy
        | Builtin::SetClear
        | Builtin::SetSymmetricDifference
        | Builtin::SetIntersectionUpdate
        | Builtin::SetDifferenceUpdate
        | Builtin::SetSymmetricDifferenceUpdate
        | Builtin::SetIsdisjoint => {
            let r = set_method(m, o, &args[1.min(args.len())..])?;
            let new_set = matches!(
                m,
                Builtin::SetUnion
                    | Builtin::SetIntersection
                    | Builtin::SetDifference
                    | Builtin::SetSymmetricDifference
                    | Builtin::SetCopy
            );
            // A frozenset's methods give frozensets.
            Ok(if new_set && r.tid() == tid::SET {
                crate::sets::like(r, o, o)
            } else {
                r
            })
        }
        Builtin::IntBitLength => Ok(new_int(to_big(o).map(|b| b.bits() as i64).unwrap_or(0))),
        Builtin::FloatIsInteger => Ok(bool_obj(getf(o, &float_obj::v).fract() == 0.0)),
        Builtin::MathSqrt
        | Builtin::MathFloor
        | Builtin::MathCeil
        | Builtin::MathSin
        | Builtin::MathCos
        | Builtin::MathExp
        | Builtin::MathLog
        | Builtin::MathPow
        | Builtin::MathFabs
        | Builtin::MathGcd
        | Builtin::MathIsqrt
        | Builtin::MathAtan2
        | Builtin::MathTan
        | Builtin::MathAtan
        | Builtin::MathHypot
        | Builtin::MathLog2
        | Builtin::MathLog10
        | Builtin::MathIsnan
        | Builtin::MathIsinf
        | Builtin::MathTrunc
        | Builtin::MathFactorial => math(m, args),
        Builtin::NumpyOp => crate::numpy::call(args),
        Builtin::TimeTime
        | Builtin::TimePerfCounter
        | Builtin::TimeTimeNs
        | Builtin::TimePerfCounterNs
        | Builtin::TimeMonotonic
        | Builtin::TimeMonotonicNs
        | Builtin::TimeProcessTime
        | Builtin::TimeProcessTimeNs => Ok(time_fn(m)),
        Builtin::SysExit
        | Builtin::SysSetrecursionlimit
        | Builtin::SysGetrecursionlimit
        | Builtin::SysExcInfo => match m {
            Builtin::SysExit => {
                let code = a(args, 0).unwrap_or(none);
                Err(types::exc_with_args(rt().exc(ExcKind::SystemExit), &[code]))
            }
            Builtin::SysSetrecursionlimit => {
                crate::modules::set_recursion_limit(i_arg(a(args, 0))?.max(10) as usize);
                Ok(none)
            }
            Builtin::SysExcInfo if !args.is_empty() => err(
                ExcKind::TypeError,
                format!("sys.exc_info() takes no arguments ({} given)", args.len()),
            ),
            Builtin::SysExcInfo => Ok(crate::excinfo::exc_info()),
            _ => Ok(new_int(crate::modules::recursion_limit() as i64)),
        },
        Builtin::AbcAbstractmethod => Ok(crate::modules::abstractmethod(o)),
        Builtin::TypeMro if o.tid() == tid::TYPE => {
            Ok(new_list(&tuple_items(getr(o, &type_obj::mro))))
        }
        Builtin::TypeMro => err(
            ExcKind::TypeError,
            format!(
                "descriptor 'mro' for 'type' objects doesn't apply to a '{}' object",
                types::tname(o)
            ),
        ),
        Builtin::Exit => Err(types::exc_with_args(
            rt().exc(ExcKind::SystemExit),
            &[a(args, 0).unwrap_or(none)],
        )),
        _ => err(ExcKind::TypeError, format!("unsupported builtin {name}")),
    }
}

fn str_method(m: Builtin, o: GcRef, args: &[GcRef], kw: GcRef) -> PyResult<GcRef> {
    let s = str_of(o);
    let none = rt().none;
    let arg_or_none = |i: usize| a(args, i).filter(|x| *x != none);
    Ok(match m {
        Builtin::StrSplit | Builtin::StrRsplit => {
            let maxsplit = a(args, 1)
                .or_else(|| kw_get(kw, "maxsplit"))
                .map(|x| i_arg(Some(x)))
                .transpose()?
                .unwrap_or(-1);
            let sep = arg_or_none(0).or_else(|| kw_get(kw, "sep").filter(|x| *x != none));
            match sep {
                None => {
                    let mut parts: Vec<String> =
                        s.split_whitespace().map(|x| x.to_string()).collect();
                    if maxsplit >= 0 && parts.len() > maxsplit as usize + 1 {
                        if m == Builtin::StrSplit {
                            let mut rest = s.trim_start();
                            let mut out = vec![];
                            for _ in 0..maxsplit {
                                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                                out.push(rest[..end].to_string());
                                rest = rest[end..].trim_start();
                            }
                            out.push(rest.to_string());
                            parts = out;
                        } else {
                            let mut rest = s.trim_end();
                            let mut out = vec![];
                            for _ in 0..maxsplit {
                                let st =
                                    rest.rfind(char::is_whitespace).map(|p| p + 1).unwrap_or(0);
                                out.push(rest[st..].to_string());
                                rest = rest[..st].trim_end();
                            }
                            out.push(rest.to_string());
                            out.reverse();
                            parts = out;
                        }
                    }
                    strs(parts)
                }
                Some(sep) => {
                    let sep = s_arg(Some(sep), "split")?;
                    if sep.is_empty() {
                        return err(ExcKind::ValueError, "empty separator");
                    }
                    let parts: Vec<String> = if maxsplit < 0 {
                        s.split(sep.as_str()).map(|x| x.to_string()).collect()
                    } else if m == Builtin::StrSplit {
                        s.splitn(maxsplit as usize + 1, sep.as_str())
                            .map(|x| x.to_string())
                            .collect()
                    } else {
                        let mut v: Vec<String> = s
                            .rsplitn(maxsplit as usize + 1, sep.as_str())
                            .map(|x| x.to_string())
                            .collect();
                        v.reverse();
                        v
                    };
                    strs(parts)
                }
            }
        }
        Builtin::StrJoin => {
            let items = ops::iterate(a(args, 0).unwrap_or(none))?;
            let sep = crate::fast::str_part(o);
            let mut parts = Vec::with_capacity(items.len() * 2);
            let mut nchars = 0;
            for (i, it) in items.iter().enumerate() {
                if it.tid() != tid::STR {
                    return err(
                        ExcKind::TypeError,
                        format!(
                            "sequence item {i}: expected str instance, {} found",
                            types::tname(*it)
                        ),
                    );
                }
                if i > 0 {
                    parts.push(sep);
                    nchars += geti(o, &str_obj::nchars);
                }
                parts.push(crate::fast::str_part(*it));
                nchars += geti(*it, &str_obj::nchars);
            }
            crate::fast::str_from_parts(&parts, nchars)
        }
        Builtin::StrStrip | Builtin::StrLstrip | Builtin::StrRstrip => {
            let chars: Option<Vec<char>> = arg_or_none(0).map(|c| str_of(c).chars().collect());
            let f = |c: char| match &chars {
                Some(cs) => cs.contains(&c),
                None => c.is_whitespace(),
            };
            new_str(match m {
                Builtin::StrStrip => s.trim_matches(f),
                Builtin::StrLstrip => s.trim_start_matches(f),
                _ => s.trim_end_matches(f),
            })
        }
        Builtin::StrReplace => {
            let from = s_arg(a(args, 0), "replace")?;
            let to = s_arg(a(args, 1), "replace")?;
            match a(args, 2) {
                Some(n) if i_arg(Some(n))? >= 0 => {
                    new_str(&s.replacen(&from, &to, i_arg(Some(n))? as usize))
                }
                _ => new_str(&s.replace(&from, &to)),
            }
        }
        Builtin::StrFind | Builtin::StrRfind | Builtin::StrIndex => {
            let sub = s_arg(a(args, 0), m.short_name())?;
            let start = arg_or_none(1)
                .map(|x| i_arg(Some(x)))
                .transpose()?
                .unwrap_or(0);
            let n = s.chars().count() as i64;
            let start = if start < 0 {
                (start + n).max(0)
            } else {
                start.min(n)
            } as usize;
            let bstart = s.char_indices().nth(start).map(|p| p.0).unwrap_or(s.len());
            let r = if m == Builtin::StrRfind {
                s[bstart..]
                    .rfind(&sub)
                    .map(|b| char_idx_to_str(&s, b + bstart))
            } else {
                s[bstart..]
                    .find(&sub)
                    .map(|b| char_idx_to_str(&s, b + bstart))
            };
            match r {
                Some(i) => new_int(i),
                None if m == Builtin::StrIndex => {
                    return err(ExcKind::ValueError, "substring not found")
                }
                None => new_int(-1),
            }
        }
        Builtin::StrCount => {
            let sub = s_arg(a(args, 0), "count")?;
            if sub.is_empty() {
                new_int(s.chars().count() as i64 + 1)
            } else {
                new_int(s.matches(&sub).count() as i64)
            }
        }
        Builtin::StrStartswith | Builtin::StrEndswith => {
            let p = a(args, 0).unwrap_or(none);
            let pats = if p.tid() == tid::TUPLE {
                tuple_items(p)
            } else {
                vec![p]
            };
            let mut r = false;
            for p in pats {
                let p = s_arg(Some(p), m.short_name())?;
                r |= if m == Builtin::StrStartswith {
                    s.starts_with(&p)
                } else {
                    s.ends_with(&p)
                };
            }
            bool_obj(r)
        }
        Builtin::StrUpper => new_str(&s.to_uppercase()),
        Builtin::StrLower => new_str(&s.to_lowercase()),
        Builtin::StrSwapcase => new_str(
            &s.chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().to_string()
                    } else {
                        c.to_uppercase().to_string()
                    }
                })
                .collect::<String>(),
        ),
        Builtin::StrTitle => {
            let mut out = String::new();
            let mut prev = false;
            for c in s.chars() {
                if c.is_alphabetic() {
                    if prev {
                        out.extend(c.to_lowercase());
                    } else {
                        out.extend(c.to_uppercase());
                    }
                    prev = true;
                } else {
                    out.push(c);
                    prev = false;
                }
            }
            new_str(&out)
        }
        Builtin::StrCapitalize => {
            let mut c = s.chars();
            new_str(&match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
                None => String::new(),
            })
        }
        Builtin::StrIsdigit => bool_obj(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        Builtin::StrIsalpha => bool_obj(!s.is_empty() && s.chars().all(|c| c.is_alphabetic())),
        Builtin::StrIsspace => bool_obj(!s.is_empty() && s.chars().all(|c| c.is_whitespace())),
        Builtin::StrIsalnum => bool_obj(!s.is_empty() && s.chars().all(|c| c.is_alphanumeric())),
        Builtin::StrIsupper => {
            bool_obj(s.chars().any(|c| c.is_alphabetic()) && !s.chars().any(|c| c.is_lowercase()))
        }
        Builtin::StrIslower => {
            bool_obj(s.chars().any(|c| c.is_alphabetic()) && !s.chars().any(|c| c.is_uppercase()))
        }
        Builtin::StrFormat => {
            for x in args {
                if x.tid() == tid::INST {
                    return Err(NEED_GUEST);
                }
            }
            new_str(&strings::str_format(&s, args, kw)?)
        }
        Builtin::StrZfill => {
            let w = i_arg(a(args, 0))?.max(0) as usize;
            crate::ops::check_size(w as u128)?;
            let n = s.chars().count();
            if n >= w {
                o
            } else {
                let (sign, rest) = if s.starts_with('-') || s.starts_with('+') {
                    s.split_at(1)
                } else {
                    ("", s.as_str())
                };
                new_str(&format!("{sign}{}{rest}", "0".repeat(w - n)))
            }
        }
        Builtin::StrCenter | Builtin::StrLjust | Builtin::StrRjust => {
            let w = i_arg(a(args, 0))?.max(0) as usize;
            crate::ops::check_size(w as u128)?;
            let fill = a(args, 1).map(str_of).unwrap_or_else(|| " ".into());
            let n = s.chars().count();
            if n >= w {
                o
            } else {
                let k = w - n;
                new_str(&match m {
                    Builtin::StrLjust => format!("{s}{}", fill.repeat(k)),
                    Builtin::StrRjust => format!("{}{s}", fill.repeat(k)),
                    _ => {
                        let left = k / 2 + (k & w & 1);
                        format!("{}{s}{}", fill.repeat(left), fill.repeat(k - left))
                    }
                })
            }
        }
        Builtin::StrSplitlines => strs(s.lines().map(|x| x.to_string()).collect()),
        Builtin::StrPartition => {
            let sep = s_arg(a(args, 0), "partition")?;
            match s.split_once(&sep) {
                Some((x, y)) => new_tuple(&[new_str(x), new_str(&sep), new_str(y)]),
                None => new_tuple(&[o, new_str(""), new_str("")]),
            }
        }
        Builtin::StrRemoveprefix => {
            let p = s_arg(a(args, 0), m.short_name())?;
            new_str(s.strip_prefix(&p).unwrap_or(&s))
        }
        Builtin::StrRemovesuffix => {
            let p = s_arg(a(args, 0), m.short_name())?;
            new_str(s.strip_suffix(&p).unwrap_or(&s))
        }
        _ => {
            return err(
                ExcKind::AttributeError,
                format!("'str' object has no attribute '{}'", m.short_name()),
            )
        }
    })
}

fn kw_get(kw: GcRef, name: &str) -> Option<GcRef> {
    if kw.is_null() || kw.tid() != tid::DICT {
        None
    } else {
        dict::get_str(kw, name)
    }
}

fn list_method(m: Builtin, o: GcRef, args: &[GcRef], kw: GcRef) -> PyResult<GcRef> {
    let none = rt().none;
    Ok(match m {
        Builtin::ListAppend => {
            list_append(o, a(args, 0).unwrap_or(none));
            none
        }
        Builtin::ListExtend => {
            for x in ops::iterate(a(args, 0).unwrap_or(none))? {
                list_append(o, x);
            }
            none
        }
        Builtin::ListPop => {
            let mut items = list_items(o);
            if items.is_empty() {
                return err(ExcKind::IndexError, "pop from empty list");
            }
            let n = items.len() as i64;
            let i = a(args, 0)
                .map(|x| i_arg(Some(x)))
                .transpose()?
                .unwrap_or(-1);
            let i = if i < 0 { i + n } else { i };
            if i < 0 || i >= n {
                return err(ExcKind::IndexError, "pop index out of range");
            }
            let v = items.remove(i as usize);
            list_set_items(o, &items);
            v
        }
        Builtin::ListInsert => {
            let mut items = list_items(o);
            let n = items.len() as i64;
            let i = i_arg(a(args, 0))?;
            let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
            items.insert(i as usize, a(args, 1).unwrap_or(none));
            list_set_items(o, &items);
            none
        }
        Builtin::ListRemove | Builtin::ListIndex => {
            let mut items = list_items(o);
            let x = a(args, 0).unwrap_or(none);
            for (i, it) in items.iter().enumerate() {
                if dict::eq(*it, x)? {
                    if m == Builtin::ListIndex {
                        return Ok(new_int(i as i64));
                    }
                    items.remove(i);
                    list_set_items(o, &items);
                    return Ok(none);
                }
            }
            if m == Builtin::ListIndex {
                return err(
                    ExcKind::ValueError,
                    format!("{} is not in list", strings::repr(x)?),
                );
            }
            return err(ExcKind::ValueError, "list.remove(x): x not in list");
        }
        Builtin::ListCount => {
            let x = a(args, 0).unwrap_or(none);
            let mut n = 0;
            for it in list_items(o) {
                n += dict::eq(it, x)? as i64;
            }
            new_int(n)
        }
        Builtin::ListSort => {
            if kw_get(kw, "key").is_some_and(|k| k != none) {
                return Err(NEED_GUEST);
            }
            let rev = kw_get(kw, "reverse")
                .map(ops::truthy)
                .transpose()?
                .unwrap_or(false);
            let mut items = list_items(o);
            sort_values(&mut items, rev)?;
            list_set_items(o, &items);
            none
        }
        Builtin::ListReverse => {
            let mut items = list_items(o);
            items.reverse();
            list_set_items(o, &items);
            none
        }
        Builtin::ListCopy => new_list(&list_items(o)),
        Builtin::ListClear => {
            list_set_items(o, &[]);
            none
        }
        _ => {
            return err(
                ExcKind::AttributeError,
                format!("'list' object has no attribute '{}'", m.short_name()),
            )
        }
    })
}

fn dict_method(m: Builtin, o: GcRef, args: &[GcRef]) -> PyResult<GcRef> {
    let none = rt().none;
    Ok(match m {
        Builtin::DictGet => {
            dict::get(o, a(args, 0).unwrap_or(none))?.unwrap_or(a(args, 1).unwrap_or(none))
        }
        Builtin::DictKeys => crate::views::new_view(o, crate::views::KEYS),
        Builtin::DictValues => crate::views::new_view(o, crate::views::VALUES),
        Builtin::DictItems => crate::views::new_view(o, crate::views::ITEMS),
        Builtin::DictPop => {
            let k = a(args, 0).unwrap_or(none);
            match dict::del(o, k)? {
                Some(v) => v,
                None => match a(args, 1) {
                    Some(d) => d,
                    None => return Err(types::exc_with_args(rt().exc(ExcKind::KeyError), &[k])),
                },
            }
        }
        Builtin::DictPopitem => {
            let items = dict::items(o);
            match items.last() {
                Some(&(k, v)) => {
                    dict::del(o, k)?;
                    new_tuple(&[k, v])
                }
                None => return err(ExcKind::KeyError, "popitem(): dictionary is empty"),
            }
        }
        Builtin::DictSetdefault => {
            let k = a(args, 0).unwrap_or(none);
            match dict::get(o, k)? {
                Some(v) => v,
                None => {
                    let v = a(args, 1).unwrap_or(none);
                    dict::set(o, k, v)?;
                    v
                }
            }
        }
        Builtin::DictUpdate => {
            let src = a(args, 0).unwrap_or(none);
            if src.tid() == tid::DICT {
                for (k, v) in dict::items(src) {
                    dict::set(o, k, v)?;
                }
            } else if src != none {
                for p in ops::iterate(src)? {
                    let kv = ops::unpack(p, 2)?;
                    dict::set(o, kv[0], kv[1])?;
                }
            }
            none
        }
        Builtin::DictCopy => dict::copy(o),
        Builtin::DictClear => {
            dict::clear(o);
            none
        }
        _ => {
            return err(
                ExcKind::AttributeError,
                format!("'dict' object has no attribute '{}'", m.short_name()),
            )
        }
    })
}

fn set_method(m: Builtin, o: GcRef, args: &[GcRef]) -> PyResult<GcRef> {
    let none = rt().none;
    let x = a(args, 0).unwrap_or(none);
    Ok(match m {
        Builtin::SetAdd => {
            sets::add(o, x)?;
            none
        }
        Builtin::SetRemove => {
            if !sets::discard(o, x)? {
                return Err(types::exc_with_args(rt().exc(ExcKind::KeyError), &[x]));
            }
            none
        }
        Builtin::SetDiscard => {
            sets::discard(o, x)?;
            none
        }
        Builtin::SetPop => sets::pop(o)?,
        Builtin::SetUnion => {
            let r = sets::copy(o);
            for a in args {
                if *a != o {
                    sets::update(r, *a)?;
                }
            }
            r
        }
        Builtin::SetUpdate => {
            for a in args {
                sets::update(o, *a)?;
            }
            none
        }
        Builtin::SetIntersection => {
            let mut r = o;
            for a in args {
                r = sets::intersection(r, *a)?;
            }
            if args.is_empty() {
                r = sets::copy(o);
            }
            r
        }
        Builtin::SetIntersectionUpdate => {
            for a in args {
                sets::intersection_update(o, *a)?;
            }
            none
        }
        Builtin::SetDifference => {
            if args.is_empty() {
                return Ok(sets::copy(o));
            }
            let r = sets::difference(o, args[0])?;
            for a in &args[1..] {
                sets::difference_update(r, *a)?;
            }
            r
        }
        Builtin::SetDifferenceUpdate => {
            for a in args {
                sets::difference_update(o, *a)?;
            }
            none
        }
        Builtin::SetSymmetricDifference => sets::symmetric_difference(o, x)?,
        Builtin::SetSymmetricDifferenceUpdate => {
            sets::symmetric_difference_update(o, x)?;
            none
        }
        Builtin::SetIssubset | Builtin::SetIssuperset | Builtin::SetIsdisjoint => {
            let other = if x.tid() == tid::SET {
                x
            } else {
                sets::from_iterable(x)?
            };
            bool_obj(match m {
                Builtin::SetIssubset => sets::is_subset(o, other)?,
                Builtin::SetIssuperset => sets::is_subset(other, o)?,
                _ => sets::len(sets::intersection(o, other)?) == 0,
            })
        }
        Builtin::SetCopy => sets::copy(o),
        Builtin::SetClear => {
            sets::clear(o);
            none
        }
        _ => {
            return err(
                ExcKind::AttributeError,
                format!("'set' object has no attribute '{}'", m.short_name()),
            )
        }
    })
}

fn math(m: Builtin, args: &[GcRef]) -> PyResult<GcRef> {
    let x = || f_arg(a(args, 0));
    let y = || f_arg(a(args, 1));
    Ok(new_float(match m {
        Builtin::MathSqrt => {
            let v = x()?;
            if v < 0.0 {
                return math_dom();
            }
            v.sqrt()
        }
        Builtin::MathFloor | Builtin::MathCeil | Builtin::MathTrunc => {
            let v = a(args, 0).unwrap_or(rt().none);
            if numbers::is_intlike(v) {
                return Ok(v);
            }
            let f = x()?;
            let r = match m {
                Builtin::MathFloor => f.floor(),
                Builtin::MathCeil => f.ceil(),
                _ => f.trunc(),
            };
            if !r.is_finite() {
                return err(
                    ExcKind::OverflowError,
                    "cannot convert float infinity to integer",
                );
            }
            return Ok(numbers::int_from_big(
                format!("{r:.0}").parse().unwrap_or_default(),
            ));
        }
        Builtin::MathSin => x()?.sin(),
        Builtin::MathCos => x()?.cos(),
        Builtin::MathTan => x()?.tan(),
        Builtin::MathAtan => x()?.atan(),
        Builtin::MathAtan2 => x()?.atan2(y()?),
        Builtin::MathHypot => x()?.hypot(y()?),
        Builtin::MathExp => {
            let r = x()?.exp();
            if r.is_infinite() {
                return err(ExcKind::OverflowError, "math range error");
            }
            r
        }
        Builtin::MathLog | Builtin::MathLog2 | Builtin::MathLog10 => {
            let v = x()?;
            if v <= 0.0 {
                return math_dom();
            }
            match (m, a(args, 1)) {
                (Builtin::MathLog, Some(b)) => v.ln() / f_arg(Some(b))?.ln(),
                (Builtin::MathLog, None) => v.ln(),
                (Builtin::MathLog2, _) => v.log2(),
                _ => v.log10(),
            }
        }
        Builtin::MathPow => x()?.powf(y()?),
        Builtin::MathFabs => x()?.abs(),
        Builtin::MathIsnan => return Ok(bool_obj(x()?.is_nan())),
        Builtin::MathIsinf => return Ok(bool_obj(x()?.is_infinite())),
        Builtin::MathGcd => {
            use num_integer::Integer;
            let p = to_big(a(args, 0).unwrap_or(rt().none)).unwrap_or_default();
            let q = to_big(a(args, 1).unwrap_or(rt().none)).unwrap_or_default();
            return Ok(numbers::int_from_big(p.gcd(&q)));
        }
        Builtin::MathIsqrt => {
            let v = to_big(a(args, 0).unwrap_or(rt().none)).unwrap_or_default();
            if v.sign() == num_bigint::Sign::Minus {
                return err(ExcKind::ValueError, "isqrt() argument must be nonnegative");
            }
            return Ok(numbers::int_from_big(v.sqrt()));
        }
        Builtin::MathFactorial => {
            let n = i_arg(a(args, 0))?;
            if n < 0 {
                return err(
                    ExcKind::ValueError,
                    "factorial() not defined for negative values",
                );
            }
            let mut r = num_bigint::BigInt::from(1);
            for k in 2..=n {
                r *= k;
            }
            return Ok(numbers::int_from_big(r));
        }
        _ => {
            return err(
                ExcKind::AttributeError,
                format!("module 'math' has no attribute '{}'", m.short_name()),
            )
        }
    }))
}
