//! `Hash`: lookup with defaults (`[]`, `fetch`, `dig`, `default`, and
//! `hash_default`: the default value or `default_proc`), mutation
//! (`[]=`, `delete`, `merge!`, `shift`, `clear`, `default=`), queries
//! (`key?`, `value?`, `key`, `size`), conversions (`to_a`, `to_h`,
//! `invert`, `sort`), `==` and `hash`. Iteration (`each` & co.) is Ruby,
//! in the prelude; the table itself (insertion order, key hashing and
//! `eql?`) is `crate::hash`.
//!
//! May touch: `hash_obj` fields and the table through `crate::hash`,
//! and guest code for blocks, default procs and user `==`/`to_s`.

use super::*;

fn hash_default(h: GcRef, k: GcRef) -> RbRes {
    let dp = getr(h, &hash_obj::default_proc);
    if dp.tid() == tid::PROC {
        return gyield(dp, vec![h, k]);
    }
    Ok(getr(h, &hash_obj::default))
}

pub(super) fn hash_m(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let a1 = args.first().copied();
    if matches!(
        name,
        "[]=" | "store" | "delete" | "clear" | "merge!" | "update" | "default="
    ) && geti(recv, &hash_obj::frozen) != 0
    {
        return Err(frozen_error(recv));
    }
    Ok(match (name, args.len()) {
        ("[]", 1) => match hash::get(recv, args[0]) {
            Some(v) => v,
            None => hash_default(recv, args[0])?,
        },
        ("[]=" | "store", 2) => {
            hash::set(recv, args[0], args[1]);
            args[1]
        }
        ("fetch", _) if !args.is_empty() => match hash::get(recv, args[0]) {
            Some(v) => v,
            None => match (args.get(1), blk.tid()) {
                (_, tid::PROC) => gyield(blk, vec![args[0]])?,
                (Some(d), _) => *d,
                (None, _) => {
                    let e =
                        new_exc_named("KeyError", &format!("key not found: {}", inspect(args[0])));
                    ivar_set(e, sym_id("@key"), args[0]);
                    ivar_set(e, sym_id("@receiver"), recv);
                    return Err(e);
                }
            },
        },
        ("dig", _) if !args.is_empty() => {
            let mut v = hash::get(recv, args[0]).unwrap_or_else(nil);
            for a in &args[1..] {
                if v.tid() == tid::NIL {
                    break;
                }
                v = gcall(v, "[]", vec![*a])?;
            }
            v
        }
        ("key?" | "has_key?" | "include?" | "member?", 1) => {
            boolean(hash::find(recv, args[0]).is_some())
        }
        ("value?" | "has_value?", 1) => {
            boolean(hash::entries(recv).1.iter().any(|v| equal(*v, args[0])))
        }
        ("key", 1) => {
            let (k, v) = hash::entries(recv);
            v.iter()
                .position(|x| equal(*x, args[0]))
                .map_or_else(nil, |i| k[i])
        }
        ("size" | "length", 0) => new_int(hash::len(recv) as i64),
        ("count", 0) if blk.tid() != tid::PROC => new_int(hash::len(recv) as i64),
        ("empty?", 0) => boolean(hash::len(recv) == 0),
        ("keys", 0) => new_array(&hash::entries(recv).0),
        ("values", 0) => new_array(&hash::entries(recv).1),
        ("values_at", _) => new_array(
            &args
                .iter()
                .map(|k| hash::get(recv, *k).unwrap_or_else(nil))
                .collect::<Vec<_>>(),
        ),
        ("to_a", 0) => new_array(&splat_items(recv)),
        ("to_h", 0) if blk.tid() != tid::PROC => recv,
        ("to_s" | "inspect", 0) => new_str(&inspect(recv)),
        ("==" | "eql?", 1) => boolean(equal(recv, args[0])),
        ("!=", 1) => boolean(!equal(recv, args[0])),
        ("hash", 0) => new_int(hash::len(recv) as i64),
        ("delete", 1) => match hash::delete(recv, args[0]) {
            Some(v) => v,
            None if blk.tid() == tid::PROC => gyield(blk, vec![args[0]])?,
            None => nil(),
        },
        ("clear", 0) => {
            hash::clear(recv);
            recv
        }
        ("dup" | "clone", 0) => {
            let h = hash::new_hash();
            let (k, v) = hash::entries(recv);
            for (k, v) in k.into_iter().zip(v) {
                hash::set(h, k, v);
            }
            setr(h, &hash_obj::default, getr(recv, &hash_obj::default));
            setr(
                h,
                &hash_obj::default_proc,
                getr(recv, &hash_obj::default_proc),
            );
            h
        }
        ("merge" | "merge!" | "update", _) => {
            let h = if name == "merge" {
                hash_m("dup", recv, &[], nil())?
            } else {
                recv
            };
            for o in args {
                let (k, v) = hash::entries(*o);
                for (k, v) in k.into_iter().zip(v) {
                    let v = match hash::get(h, k) {
                        Some(old) if blk.tid() == tid::PROC => gyield(blk, vec![k, old, v])?,
                        _ => v,
                    };
                    hash::set(h, k, v);
                }
            }
            h
        }
        ("default", _) => getr(recv, &hash_obj::default),
        ("default=", 1) => {
            setr(recv, &hash_obj::default, args[0]);
            args[0]
        }
        ("invert", 0) => {
            let h = hash::new_hash();
            let (k, v) = hash::entries(recv);
            for (k, v) in k.into_iter().zip(v) {
                hash::set(h, v, k);
            }
            h
        }
        ("first", 0) => {
            let (k, v) = hash::entries(recv);
            if k.is_empty() {
                nil()
            } else {
                new_array(&[k[0], v[0]])
            }
        }
        ("freeze", 0) => {
            seti(recv, &hash_obj::frozen, 1);
            recv
        }
        ("frozen?", 0) => boolean(geti(recv, &hash_obj::frozen) != 0),
        ("compare_by_identity" | "rehash", 0) => recv,
        ("sort", 0) => {
            let mut it = splat_items(recv);
            sort_values(&mut it, blk)?;
            new_array(&it)
        }
        ("shift", 0) => {
            let (k, v) = hash::entries(recv);
            if k.is_empty() {
                nil()
            } else {
                hash::delete(recv, k[0]);
                new_array(&[k[0], v[0]])
            }
        }
        _ => {
            let _ = a1;
            undef()
        }
    })
}
