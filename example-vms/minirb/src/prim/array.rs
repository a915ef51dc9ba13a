//! Guest-free `Array` methods (`arr_method`: `size`, `<<`/`push`/`pop`/
//! `shift`/`unshift`, `[]`/`slice`, `first`/`last`/`take`/`drop`,
//! `reverse`, `include?`, `index`, `join`, `*`, `flatten`, `uniq`,
//! `compact`, `sum`, `min`/`max`, `sort`, `zip`, `count`, `to_a`,
//! `hash`, `clear`, `fill`) and the builtin ordering of values
//! (`sort_cmp`: numbers, strings, symbols, arrays elementwise).
//! `builtins::arrayobject` tries its own names first and falls through
//! to `arr_method`.
//!
//! May touch: the receiver's items (the mutators write them back), and
//! allocates results.

use super::*;

pub fn arr_method(name: &str, recv: GcRef, args: &[GcRef]) -> RbRes {
    let mut items = array_items(recv);
    let a1 = args.first().copied();
    match (name, a1) {
        ("size" | "length", None) => Ok(new_int(items.len() as i64)),
        ("empty?", None) => Ok(boolean(items.is_empty())),
        ("<<" | "push", Some(_)) => {
            for a in args {
                array_push(recv, *a);
            }
            Ok(recv)
        }
        ("push", None) => Ok(recv),
        ("pop", None) => {
            let v = items.pop().unwrap_or_else(nil);
            array_set_items(recv, &items);
            Ok(v)
        }
        ("shift", None) => {
            if items.is_empty() {
                return Ok(nil());
            }
            let v = items.remove(0);
            array_set_items(recv, &items);
            Ok(v)
        }
        ("unshift", _) => {
            let mut v = args.to_vec();
            v.extend(items);
            array_set_items(recv, &v);
            Ok(recv)
        }
        ("[]" | "slice", Some(a)) => {
            if a.tid() == tid::RANGE {
                return Ok(match range_span(a, items.len())? {
                    Some((s, n)) => new_array(&items[s..s + n]),
                    None => nil(),
                });
            }
            let i = int_arg(a)?;
            if let Some(l) = args.get(1) {
                let l = int_arg(*l)?;
                let st = if i < 0 { i + items.len() as i64 } else { i };
                if st < 0 || st > items.len() as i64 || l < 0 {
                    return Ok(nil());
                }
                let e = (st + l).min(items.len() as i64);
                return Ok(new_array(&items[st as usize..e as usize]));
            }
            Ok(norm_index(i, items.len())
                .map(|i| items[i])
                .unwrap_or_else(nil))
        }
        ("[]=", Some(a)) if args.len() == 2 => {
            let i = int_arg(a)?;
            let n = items.len() as i64;
            let i = if i < 0 { i + n } else { i };
            if i < 0 {
                return err(
                    "IndexError",
                    format!("index {} too small for array; minimum: -{n}", i - n),
                );
            }
            let i = i as usize;
            while items.len() <= i {
                items.push(nil());
            }
            items[i] = args[1];
            array_set_items(recv, &items);
            Ok(args[1])
        }
        ("first", None) => Ok(items.first().copied().unwrap_or_else(nil)),
        ("last", None) => Ok(items.last().copied().unwrap_or_else(nil)),
        ("first" | "take", Some(n)) => {
            let n = (int_arg(n)?.max(0) as usize).min(items.len());
            Ok(new_array(&items[..n]))
        }
        ("last", Some(n)) => {
            let n = (int_arg(n)?.max(0) as usize).min(items.len());
            Ok(new_array(&items[items.len() - n..]))
        }
        ("drop", Some(n)) => {
            let n = (int_arg(n)?.max(0) as usize).min(items.len());
            Ok(new_array(&items[n..]))
        }
        ("reverse", None) => {
            items.reverse();
            Ok(new_array(&items))
        }
        ("include?", Some(a)) => Ok(boolean(items.iter().any(|x| equal(*x, a)))),
        ("index", Some(a)) => Ok(items
            .iter()
            .position(|x| equal(*x, a))
            .map(|i| new_int(i as i64))
            .unwrap_or_else(nil)),
        ("join", _) => {
            let sep = match a1 {
                Some(s) => str_arg(s)?,
                None => String::new(),
            };
            fn flat(v: GcRef, out: &mut Vec<String>) {
                if v.tid() == tid::ARR {
                    for x in array_items(v) {
                        flat(x, out);
                    }
                } else {
                    out.push(to_s(v));
                }
            }
            let mut parts = Vec::new();
            for x in items {
                flat(x, &mut parts);
            }
            Ok(new_str(&parts.join(&sep)))
        }
        ("+", Some(a)) if a.tid() == tid::ARR => {
            items.extend(array_items(a));
            Ok(new_array(&items))
        }
        ("-", Some(a)) if a.tid() == tid::ARR => {
            let other = array_items(a);
            items.retain(|x| !other.iter().any(|y| eql(*x, *y)));
            Ok(new_array(&items))
        }
        ("*", Some(a)) if is_int(a) => {
            let n = int_arg(a)?.max(0) as usize;
            let v: Vec<GcRef> = (0..n).flat_map(|_| items.iter().copied()).collect();
            Ok(new_array(&v))
        }
        ("flatten", None) => {
            fn flat(v: GcRef, out: &mut Vec<GcRef>) {
                for x in array_items(v) {
                    if x.tid() == tid::ARR {
                        flat(x, out)
                    } else {
                        out.push(x)
                    }
                }
            }
            let mut out = Vec::new();
            flat(recv, &mut out);
            Ok(new_array(&out))
        }
        ("uniq", None) => {
            let mut out: Vec<GcRef> = Vec::new();
            for x in items {
                if !out.iter().any(|y| eql(x, *y)) {
                    out.push(x);
                }
            }
            Ok(new_array(&out))
        }
        ("compact", None) => {
            items.retain(|x| x.tid() != tid::NIL);
            Ok(new_array(&items))
        }
        ("sum", None) => {
            let mut acc = new_int(0);
            for x in items {
                acc = num_binop("+", acc, x)?;
            }
            Ok(acc)
        }
        ("min" | "max", None) => {
            let mut best: Option<GcRef> = None;
            for x in items {
                best = Some(match best {
                    None => x,
                    Some(b) => {
                        let c = sort_cmp(x, b)?;
                        if (name == "min" && c.is_lt()) || (name == "max" && c.is_gt()) {
                            x
                        } else {
                            b
                        }
                    }
                });
            }
            Ok(best.unwrap_or_else(nil))
        }
        ("sort", None) => {
            let mut e = None;
            items.sort_by(|a, b| match sort_cmp(*a, *b) {
                Ok(o) => o,
                Err(x) => {
                    e = Some(x);
                    std::cmp::Ordering::Equal
                }
            });
            if let Some(x) = e {
                return Err(x);
            }
            Ok(new_array(&items))
        }
        ("zip", Some(_)) => {
            let others: Vec<Vec<GcRef>> = args.iter().map(|a| array_items(*a)).collect();
            let v: Vec<GcRef> = items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    let mut row = vec![*x];
                    for o in &others {
                        row.push(o.get(i).copied().unwrap_or_else(nil));
                    }
                    new_array(&row)
                })
                .collect();
            Ok(new_array(&v))
        }
        ("count", None) => Ok(new_int(items.len() as i64)),
        ("count", Some(a)) => Ok(new_int(
            items.iter().filter(|x| equal(**x, a)).count() as i64
        )),
        ("to_a" | "entries", None) => Ok(recv),
        ("hash", None) => Ok(new_int(items.len() as i64)),
        ("clear", None) => {
            array_set_items(recv, &[]);
            Ok(recv)
        }
        ("fill", Some(a)) => {
            let v = vec![a; items.len()];
            array_set_items(recv, &v);
            Ok(recv)
        }
        _ => no_method(name, recv),
    }
}

pub fn sort_cmp(a: GcRef, b: GcRef) -> Result<std::cmp::Ordering, RbErr> {
    if a.tid() == tid::SYM && b.tid() == tid::SYM {
        return Ok(to_s(a).cmp(&to_s(b)));
    }
    let r = if a.tid() == tid::STR && b.tid() == tid::STR {
        return Ok(str_of(a).cmp(&str_of(b)));
    } else if is_num(a) && is_num(b) {
        num_binop("<=>", a, b)?
    } else if a.tid() == tid::ARR && b.tid() == tid::ARR {
        let (x, y) = (array_items(a), array_items(b));
        for (p, q) in x.iter().zip(y.iter()) {
            let c = sort_cmp(*p, *q)?;
            if c.is_ne() {
                return Ok(c);
            }
        }
        return Ok(x.len().cmp(&y.len()));
    } else {
        nil()
    };
    if r.tid() != tid::INT {
        return err(
            "ArgumentError",
            format!(
                "comparison of {} with {} failed",
                class_name(a),
                inspect_or_class(b)
            ),
        );
    }
    Ok(geti(r, &int_obj::v).cmp(&0))
}
