//! `Array`: the mutators (`append`/`prepend`/`insert`/`concat`/
//! `replace`/`delete`/`slice!`/bang methods, `<<`: each checks
//! `frozen`), sorting (`compare`: `<=>` with user classes;
//! `sort_values` with or without a block) and `min`/`max`, set
//! operations, `join`, `sample`/`shuffle` (the shared RNG),
//! `product`/`transpose`/`rotate`/`dig`, `sum`, `fill`, `pack`, equality
//! and `hash`; and `Array.new` (`array_new`). Iteration (`each`, `map`,
//! ...) is Ruby, in the prelude; the guest-free methods are in
//! `prim::arr_method`.
//!
//! May touch: `arr_obj` storage (through `objects`' array helpers),
//! `rand_next`, and guest code for blocks and `<=>`/`==`.

use super::*;

fn check_frozen_arr(a: GcRef) -> Result<(), GcRef> {
    if geti(a, &arr_obj::frozen) != 0 {
        return Err(frozen_error(a));
    }
    Ok(())
}

/// `<=>` of two values for sorting (a user `<=>` is called).
pub fn compare(a: GcRef, b: GcRef) -> Result<std::cmp::Ordering, GcRef> {
    if a.tid() == tid::OBJ || b.tid() == tid::OBJ {
        let r = gcall(a, "<=>", vec![b])?;
        if r.tid() != tid::INT {
            return err(
                "ArgumentError",
                format!(
                    "comparison of {} with {} failed",
                    class_name(a),
                    prim::inspect_or_class(b)
                ),
            );
        }
        return Ok(geti(r, &int_obj::v).cmp(&0));
    }
    prim::sort_cmp(a, b)
}

pub(super) fn sort_values(items: &mut [GcRef], blk: GcRef) -> Result<(), GcRef> {
    let mut e = None;
    let mut cmp = |a: &GcRef, b: &GcRef| {
        if e.is_some() {
            return std::cmp::Ordering::Equal;
        }
        let r = if blk.tid() == tid::PROC {
            gyield(blk, vec![*a, *b]).and_then(|r| {
                if r.tid() == tid::INT {
                    Ok(geti(r, &int_obj::v).cmp(&0))
                } else {
                    err(
                        "ArgumentError",
                        format!(
                            "comparison of {} with {} failed",
                            class_name(*a),
                            prim::inspect_or_class(*b)
                        ),
                    )
                }
            })
        } else {
            compare(*a, *b)
        };
        match r {
            Ok(o) => o,
            Err(x) => {
                e = Some(x);
                std::cmp::Ordering::Equal
            }
        }
    };
    // A merge sort that tolerates inconsistent comparisons.
    items.sort_by(&mut cmp);
    match e {
        Some(x) => Err(x),
        None => Ok(()),
    }
}

pub(super) fn array(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let a1 = args.first().copied();
    let mutating = matches!(
        name,
        "<<" | "push"
            | "append"
            | "pop"
            | "shift"
            | "unshift"
            | "prepend"
            | "insert"
            | "[]="
            | "concat"
            | "delete"
            | "delete_at"
            | "clear"
            | "replace"
            | "fill"
            | "sort!"
            | "reverse!"
            | "map!"
            | "uniq!"
            | "compact!"
            | "flatten!"
            | "shuffle!"
            | "slice!"
            | "rotate!"
            | "sort_by!"
            | "select!"
            | "reject!"
            | "keep_if"
            | "delete_if"
            | "collect!"
            | "filter!"
    );
    if mutating {
        check_frozen_arr(recv)?;
    }
    let items = || array_items(recv);
    Ok(match (name, args.len()) {
        ("inspect" | "to_s", 0) => new_str(&inspect(recv)),
        ("==" | "eql?", 1) => boolean(equal(recv, args[0])),
        ("!=", 1) => boolean(!equal(recv, args[0])),
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("freeze", 0) => {
            seti(recv, &arr_obj::frozen, 1);
            recv
        }
        ("frozen?", 0) => boolean(geti(recv, &arr_obj::frozen) != 0),
        ("dup" | "clone" | "to_a" | "entries", 0) if name != "to_a" => new_array(&items()),
        ("to_a" | "entries", 0) => recv,
        ("append", _) => return array("push", recv, args, blk),
        ("prepend", _) => return array("unshift", recv, args, blk),
        ("pop" | "shift", 1) => {
            let mut it = items();
            let n = (prim::int_arg(args[0])?.max(0) as usize).min(it.len());
            let taken: Vec<GcRef> = if name == "pop" {
                it.split_off(it.len() - n)
            } else {
                it.drain(..n).collect()
            };
            array_set_items(recv, &it);
            new_array(&taken)
        }
        ("insert", _) if !args.is_empty() => {
            let mut it = items();
            let i = prim::int_arg(args[0])?;
            let n = it.len() as i64;
            let i = if i < 0 { i + n + 1 } else { i };
            if i < 0 {
                return err(
                    "IndexError",
                    format!("index {} too small for array; minimum: -{}", i - 1, n + 1),
                );
            }
            let i = i as usize;
            while it.len() < i {
                it.push(nil());
            }
            it.splice(i..i, args[1..].iter().copied());
            array_set_items(recv, &it);
            recv
        }
        ("concat", _) => {
            for a in args {
                for x in array_items(*a) {
                    array_push(recv, x);
                }
            }
            recv
        }
        ("replace", 1) => {
            array_set_items(recv, &array_items(args[0]));
            recv
        }
        ("delete", 1) => {
            let it = items();
            let mut found = None;
            let mut keep = Vec::new();
            for x in it {
                if equal(x, args[0]) {
                    found = Some(x);
                } else {
                    keep.push(x);
                }
            }
            array_set_items(recv, &keep);
            match found {
                Some(x) => x,
                None if blk.tid() == tid::PROC => gyield(blk, vec![args[0]])?,
                None => nil(),
            }
        }
        ("delete_at", 1) => {
            let mut it = items();
            let i = prim::int_arg(args[0])?;
            match prim::norm_index(i, it.len()) {
                Some(i) => {
                    let v = it.remove(i);
                    array_set_items(recv, &it);
                    v
                }
                None => nil(),
            }
        }
        ("slice!", _) => {
            let r = prim::arr_method("[]", recv, args)?;
            if r.tid() == tid::NIL {
                return Ok(r);
            }
            let mut it = items();
            if args.len() == 1 && args[0].tid() == tid::INT {
                if let Some(i) = prim::norm_index(prim::int_arg(args[0])?, it.len()) {
                    it.remove(i);
                }
            } else {
                let n = array_len(r);
                let st = if args[0].tid() == tid::RANGE {
                    prim::range_span(args[0], it.len())?.map_or(0, |x| x.0)
                } else {
                    let i = prim::int_arg(args[0])?;
                    (if i < 0 { i + it.len() as i64 } else { i }) as usize
                };
                it.drain(st..st + n);
            }
            array_set_items(recv, &it);
            r
        }
        ("compact!", 0) => {
            let it = items();
            let k: Vec<GcRef> = it.iter().copied().filter(|x| x.tid() != tid::NIL).collect();
            let changed = k.len() != it.len();
            array_set_items(recv, &k);
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("reverse!", 0) => {
            let mut it = items();
            it.reverse();
            array_set_items(recv, &it);
            recv
        }
        ("flatten!" | "uniq!", 0) => {
            let r = array(&name[..name.len() - 1], recv, args, blk)?;
            let changed = array_len(r) != array_len(recv);
            array_set_items(recv, &array_items(r));
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("flatten", 1) => {
            fn flat(v: GcRef, d: i64, out: &mut Vec<GcRef>) {
                for x in array_items(v) {
                    if x.tid() == tid::ARR && d != 0 {
                        flat(x, d - 1, out)
                    } else {
                        out.push(x)
                    }
                }
            }
            let mut out = Vec::new();
            flat(recv, prim::int_arg(args[0])?, &mut out);
            new_array(&out)
        }
        ("sort", 0) => {
            let mut it = items();
            sort_values(&mut it, blk)?;
            new_array(&it)
        }
        ("sort!", 0) => {
            let mut it = items();
            sort_values(&mut it, blk)?;
            array_set_items(recv, &it);
            recv
        }
        ("min" | "max", 0) if blk.tid() != tid::PROC => {
            let it = items();
            let mut best: Option<GcRef> = None;
            for x in it {
                best = Some(match best {
                    None => x,
                    Some(b) => {
                        let c = compare(x, b)?;
                        if (name == "min" && c.is_lt()) || (name == "max" && c.is_gt()) {
                            x
                        } else {
                            b
                        }
                    }
                });
            }
            best.unwrap_or_else(nil)
        }
        ("min" | "max", 1) if blk.tid() != tid::PROC => {
            let mut it = items();
            sort_values(&mut it, nil())?;
            if name == "max" {
                it.reverse();
            }
            let n = (prim::int_arg(args[0])?.max(0) as usize).min(it.len());
            new_array(&it[..n])
        }
        ("include?" | "member?", 1) => boolean(items().iter().any(|x| equal(*x, args[0]))),
        ("index" | "find_index", 1) => items()
            .iter()
            .position(|x| equal(*x, args[0]))
            .map_or_else(nil, |i| new_int(i as i64)),
        ("rindex", 1) => items()
            .iter()
            .rposition(|x| equal(*x, args[0]))
            .map_or_else(nil, |i| new_int(i as i64)),
        ("count", 1) => new_int(items().iter().filter(|x| equal(**x, args[0])).count() as i64),
        ("join", _) => {
            let sep = match a1 {
                Some(s) if s.tid() != tid::NIL => prim::str_arg(s)?,
                _ => String::new(),
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
            for x in items() {
                flat(x, &mut parts);
            }
            new_str(&parts.join(&sep))
        }
        ("-", 1) => {
            let other = array_items(args[0]);
            let mut it = items();
            it.retain(|x| !other.iter().any(|y| eql(*x, *y)));
            new_array(&it)
        }
        ("&", 1) => {
            let other = array_items(args[0]);
            let mut out: Vec<GcRef> = Vec::new();
            for x in items() {
                if other.iter().any(|y| eql(x, *y)) && !out.iter().any(|y| eql(x, *y)) {
                    out.push(x);
                }
            }
            new_array(&out)
        }
        ("|", 1) => {
            let mut out: Vec<GcRef> = Vec::new();
            for x in items().into_iter().chain(array_items(args[0])) {
                if !out.iter().any(|y| eql(x, *y)) {
                    out.push(x);
                }
            }
            new_array(&out)
        }
        ("uniq", 0) if blk.tid() != tid::PROC => {
            let mut out: Vec<GcRef> = Vec::new();
            let seen = hash::new_hash();
            for x in items() {
                if hash::get(seen, x).is_none() {
                    hash::set(seen, x, boolean(true));
                    out.push(x);
                }
            }
            new_array(&out)
        }
        ("<=>", 1) => {
            let (x, y) = (items(), array_items(args[0]));
            for (p, q) in x.iter().zip(y.iter()) {
                let c = compare(*p, *q)?;
                if c.is_ne() {
                    return Ok(new_int(c as i64));
                }
            }
            new_int(x.len().cmp(&y.len()) as i64)
        }
        ("assoc", 1) => items()
            .into_iter()
            .find(|x| x.tid() == tid::ARR && array_len(*x) > 0 && equal(array_get(*x, 0), args[0]))
            .unwrap_or_else(nil),
        ("values_at", _) => {
            let it = items();
            let mut out = Vec::new();
            for a in args {
                let i = prim::int_arg(*a)?;
                out.push(prim::norm_index(i, it.len()).map_or_else(nil, |i| it[i]));
            }
            new_array(&out)
        }
        ("dig", _) if !args.is_empty() => {
            let mut v = prim::arr_method("[]", recv, &args[..1])?;
            for a in &args[1..] {
                if v.tid() == tid::NIL {
                    break;
                }
                v = gcall(v, "[]", vec![*a])?;
            }
            v
        }
        ("rotate", _) => {
            let it = items();
            if it.is_empty() {
                return Ok(new_array(&[]));
            }
            let k = match a1 {
                Some(a) => prim::int_arg(a)?,
                None => 1,
            };
            let n = it.len() as i64;
            let k = ((k % n) + n) % n;
            let mut out = it[k as usize..].to_vec();
            out.extend_from_slice(&it[..k as usize]);
            new_array(&out)
        }
        ("transpose", 0) => {
            let rows: Vec<Vec<GcRef>> = items().into_iter().map(array_items).collect();
            if rows.is_empty() {
                return Ok(new_array(&[]));
            }
            let w = rows[0].len();
            let cols: Vec<GcRef> = (0..w)
                .map(|j| {
                    new_array(
                        &rows
                            .iter()
                            .map(|r| r.get(j).copied().unwrap_or_else(nil))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            new_array(&cols)
        }
        ("product", _) => {
            let mut acc: Vec<Vec<GcRef>> = items().into_iter().map(|x| vec![x]).collect();
            for a in args {
                let other = array_items(*a);
                let mut next = Vec::new();
                for p in &acc {
                    for o in &other {
                        let mut q = p.clone();
                        q.push(*o);
                        next.push(q);
                    }
                }
                acc = next;
            }
            new_array(&acc.iter().map(|r| new_array(r)).collect::<Vec<_>>())
        }
        ("sample", 0) => {
            let it = items();
            if it.is_empty() {
                nil()
            } else {
                it[(rand_next() % it.len() as u64) as usize]
            }
        }
        ("shuffle", 0) => {
            let mut it = items();
            for i in (1..it.len()).rev() {
                let j = (rand_next() % (i as u64 + 1)) as usize;
                it.swap(i, j);
            }
            new_array(&it)
        }
        ("fill", 1) if blk.tid() != tid::PROC => {
            let v = vec![args[0]; array_len(recv)];
            array_set_items(recv, &v);
            recv
        }
        ("fill", 3) => {
            let mut it = items();
            let st = prim::int_arg(args[1])?.max(0) as usize;
            let n = prim::int_arg(args[2])?.max(0) as usize;
            while it.len() < st + n {
                it.push(nil());
            }
            for x in it.iter_mut().skip(st).take(n) {
                *x = args[0];
            }
            array_set_items(recv, &it);
            recv
        }
        ("any?", 0) if blk.tid() != tid::PROC => boolean(items().iter().any(|x| truthy(*x))),
        ("all?", 0) if blk.tid() != tid::PROC => boolean(items().iter().all(|x| truthy(*x))),
        ("none?", 0) if blk.tid() != tid::PROC => boolean(!items().iter().any(|x| truthy(*x))),
        ("sum", 0) if blk.tid() != tid::PROC => {
            let mut acc = new_int(0);
            for x in items() {
                acc = if prim::is_num(acc) && prim::is_num(x) {
                    prim::num_binop("+", acc, x)?
                } else {
                    gcall(acc, "+", vec![x])?
                };
            }
            acc
        }
        ("sum", 1) if blk.tid() != tid::PROC => {
            let mut acc = args[0];
            for x in items() {
                acc = if prim::is_num(acc) && prim::is_num(x) {
                    prim::num_binop("+", acc, x)?
                } else {
                    gcall(acc, "+", vec![x])?
                };
            }
            acc
        }
        ("pack", _) => return err("NotImplementedError", "minirb does not support Array#pack"),
        ("<<", 1) | ("push", _) => {
            for a in args {
                array_push(recv, *a);
            }
            recv
        }
        (
            "first" | "last" | "size" | "length" | "empty?" | "pop" | "shift" | "unshift" | "[]"
            | "slice" | "[]=" | "take" | "drop" | "reverse" | "+" | "*" | "flatten" | "compact"
            | "zip" | "clear" | "count",
            _,
        ) if blk.tid() != tid::PROC || !matches!(name, "count" | "zip") => {
            return prim::arr_method(name, recv, args)
        }
        _ => undef(),
    })
}

pub(super) fn array_new(args: &[GcRef], blk: GcRef) -> RbRes {
    let a = new_array(&[]);
    match args.first() {
        Some(n) if n.tid() == tid::ARR => {
            array_set_items(a, &array_items(*n));
        }
        Some(n) => {
            let n = prim::int_arg(*n)?;
            if n < 0 {
                return err("ArgumentError", "negative array size");
            }
            let fill = args.get(1).copied().unwrap_or_else(nil);
            for i in 0..n {
                let v = if blk.tid() == tid::PROC {
                    gyield(blk, vec![new_int(i)])?
                } else {
                    fill
                };
                array_push(a, v);
            }
        }
        None => {}
    }
    Ok(a)
}
