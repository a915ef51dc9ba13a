//! `String`: mutation (`replace`, `clear`, the bang methods, `[]=`,
//! `insert`, `prepend`: each checks `frozen`), `each_char`/`each_line`/
//! `each_byte`, `sub`/`gsub` (with a block), `tr`/`delete`/`count`/
//! `squeeze` character sets (`expand_tr`), `succ` (`str_succ`), `%`,
//! `split`, `index`/`slice`, encodings (accepted, ignored), comparison,
//! and the rest not in `prim::str_method` (where the guest-free methods
//! are, and where unknown names fall through to).
//!
//! May touch: `str_obj` fields (bytes, frozen flag, ASCII cache through
//! `objects`), and guest code for blocks and user `to_s`.

use super::*;

fn check_frozen_str(s: GcRef) -> Result<(), GcRef> {
    if geti(s, &str_obj::frozen) != 0 {
        return Err(frozen_error(s));
    }
    Ok(())
}

pub(super) fn string(name: &str, recv: GcRef, args: &[GcRef], blk: GcRef) -> RbRes {
    let a1 = args.first().copied();
    if matches!(
        name,
        "<<" | "concat"
            | "replace"
            | "insert"
            | "prepend"
            | "upcase!"
            | "downcase!"
            | "strip!"
            | "chomp!"
            | "[]="
            | "gsub!"
            | "sub!"
            | "reverse!"
            | "squeeze!"
            | "capitalize!"
            | "clear"
    ) {
        check_frozen_str(recv)?;
    }
    // ASCII fast paths (no decoding of the whole string, no copy of it).
    if matches!(name, "[]" | "size" | "length") && str_is_ascii(recv) {
        let n = str_byte_len(recv) as i64;
        let int = |v: &GcRef| (v.tid() == tid::INT).then(|| geti(*v, &int_obj::v));
        match (name, args) {
            ("size" | "length", []) => return Ok(new_int(n)),
            ("[]", [i]) if i.tid() == tid::INT => {
                return Ok(crate::residuals::str_slice_ascii(
                    recv,
                    int(i).unwrap_or(0),
                    1,
                    true,
                ));
            }
            ("[]", [i, l]) if i.tid() == tid::INT && l.tid() == tid::INT => {
                let (i, l) = (int(i).unwrap_or(0), int(l).unwrap_or(0));
                return Ok(crate::residuals::str_slice_ascii(recv, i, l, false));
            }
            ("[]", [r]) if r.tid() == tid::RANGE => {
                let (lo, hi) = (getr(*r, &range_obj::lo), getr(*r, &range_obj::hi));
                let excl = geti(*r, &range_obj::excl) != 0;
                let start = match lo.tid() {
                    tid::INT => Some(geti(lo, &int_obj::v)),
                    tid::NIL => Some(0),
                    _ => None,
                };
                let end = match hi.tid() {
                    tid::INT => Some(geti(hi, &int_obj::v)),
                    tid::NIL => Some(-1),
                    _ => None,
                };
                if let (Some(a), Some(b)) = (start, end) {
                    let a = if a < 0 { a + n } else { a };
                    let b = if b < 0 { b + n } else { b };
                    let excl = excl && hi.tid() != tid::NIL;
                    let len = (b - a + if excl { 0 } else { 1 }).max(0);
                    if a < 0 {
                        return Ok(nil());
                    }
                    return Ok(crate::residuals::str_slice_ascii(recv, a, len, false));
                }
            }
            _ => {}
        }
    }
    Ok(match (name, args.len()) {
        ("to_s" | "to_str", 0) => recv,
        ("inspect", 0) => new_str(&inspect(recv)),
        ("dump", 0) => new_str(&inspect(recv)),
        ("==" | "eql?" | "===", 1) => {
            boolean(a1.is_some_and(|a| a.tid() == tid::STR && str_bytes(a) == str_bytes(recv)))
        }
        ("!=", 1) => {
            boolean(!(a1.is_some_and(|a| a.tid() == tid::STR && str_bytes(a) == str_bytes(recv))))
        }
        ("hash", 0) => new_int(hash::key_hash(recv)),
        ("freeze", 0) => {
            seti(recv, &str_obj::frozen, 1);
            recv
        }
        ("frozen?", 0) => boolean(geti(recv, &str_obj::frozen) != 0),
        ("dup" | "+@" | "clone", 0) => new_str(&str_of(recv)),
        ("-@", 0) => recv,
        ("%", 1) => {
            let a = match a1 {
                Some(a) if a.tid() == tid::ARR => array_items(a),
                Some(a) => vec![a],
                None => vec![],
            };
            new_str(&format(&str_of(recv), &a)?)
        }
        ("each_char", 0) if blk.tid() == tid::PROC => {
            for c in str_of(recv).chars() {
                gyield(blk, vec![new_str(&c.to_string())])?;
            }
            recv
        }
        ("each_line" | "lines", 0) => {
            let s = str_of(recv);
            let lines: Vec<GcRef> = s.split_inclusive('\n').map(new_str).collect();
            if blk.tid() == tid::PROC {
                for l in lines {
                    gyield(blk, vec![l])?;
                }
                recv
            } else {
                new_array(&lines)
            }
        }
        ("replace", 1) => {
            set_str(recv, &prim::str_arg(args[0])?);
            recv
        }
        ("clear", 0) => {
            set_str(recv, "");
            recv
        }
        ("upcase!" | "downcase!" | "strip!" | "chomp!" | "reverse!" | "capitalize!", 0) => {
            let base = &name[..name.len() - 1];
            let r = prim::str_method(base, recv, args)?;
            let changed = str_of(r) != str_of(recv);
            set_str(recv, &str_of(r));
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("gsub!" | "sub!", 2) => {
            let r = prim::str_method(&name[..name.len() - 1], recv, args)?;
            let changed = str_of(r) != str_of(recv);
            set_str(recv, &str_of(r));
            if changed {
                recv
            } else {
                nil()
            }
        }
        ("prepend", 1) => {
            set_str(recv, &(prim::str_arg(args[0])? + &str_of(recv)));
            recv
        }
        ("insert", 2) => {
            let mut chars: Vec<char> = str_of(recv).chars().collect();
            let i = prim::int_arg(args[0])?;
            let n = chars.len() as i64;
            let i = if i < 0 { i + n + 1 } else { i };
            if i < 0 || i > n {
                return err(
                    "IndexError",
                    format!("index {} out of string", prim::int_arg(args[0])?),
                );
            }
            let ins: Vec<char> = prim::str_arg(args[1])?.chars().collect();
            chars.splice(i as usize..i as usize, ins);
            set_str(recv, &chars.into_iter().collect::<String>());
            recv
        }
        ("[]=", 2) => {
            let mut chars: Vec<char> = str_of(recv).chars().collect();
            let v = prim::str_arg(args[1])?;
            if args[0].tid() == tid::STR {
                let s = str_of(recv);
                let pat = str_of(args[0]);
                if !s.contains(&pat) {
                    return err("IndexError", "string not matched");
                }
                set_str(recv, &s.replacen(&pat, &v, 1));
                return Ok(args[1]);
            }
            let i = prim::int_arg(args[0])?;
            let n = chars.len() as i64;
            let i = if i < 0 { i + n } else { i };
            if i < 0 || i >= n {
                return err(
                    "IndexError",
                    format!("index {} out of string", prim::int_arg(args[0])?),
                );
            }
            chars.splice(i as usize..i as usize + 1, v.chars());
            set_str(recv, &chars.into_iter().collect::<String>());
            args[1]
        }
        ("sub" | "gsub", 1) if blk.tid() == tid::PROC => {
            let s = str_of(recv);
            let pat = prim::str_arg(args[0])?;
            if pat.is_empty() {
                return Ok(recv);
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find(&pat) {
                out.push_str(&rest[..i]);
                let r = gyield(blk, vec![new_str(&pat)])?;
                out.push_str(&to_s(r));
                rest = &rest[i + pat.len()..];
                if name == "sub" {
                    break;
                }
            }
            out.push_str(rest);
            new_str(&out)
        }
        ("sub" | "gsub", 2) if args[1].tid() == tid::HASH => {
            let s = str_of(recv);
            let pat = prim::str_arg(args[0])?;
            let rep = hash::get(args[1], new_str(&pat))
                .map(to_s)
                .unwrap_or_default();
            new_str(&if name == "sub" {
                s.replacen(&pat, &rep, 1)
            } else {
                s.replace(&pat, &rep)
            })
        }
        ("tr", 2) => {
            let s = str_of(recv);
            let from = expand_tr(&prim::str_arg(args[0])?);
            let to = expand_tr(&prim::str_arg(args[1])?);
            let out: String = s
                .chars()
                .map(|c| match from.iter().position(|f| *f == c) {
                    Some(i) => *to.get(i).or(to.last()).unwrap_or(&c),
                    None => c,
                })
                .collect();
            new_str(&out)
        }
        ("delete", 1) => {
            let set = expand_tr(&prim::str_arg(args[0])?);
            new_str(
                &str_of(recv)
                    .chars()
                    .filter(|c| !set.contains(c))
                    .collect::<String>(),
            )
        }
        ("count", 1) => {
            let set = expand_tr(&prim::str_arg(args[0])?);
            new_int(str_of(recv).chars().filter(|c| set.contains(c)).count() as i64)
        }
        ("squeeze", 0) => {
            let mut out = String::new();
            for c in str_of(recv).chars() {
                if !out.ends_with(c) {
                    out.push(c);
                }
            }
            new_str(&out)
        }
        ("index" | "rindex", _) if !args.is_empty() => {
            let s = str_of(recv);
            let pat = prim::str_arg(args[0])?;
            let r = if name == "index" {
                let start = match args.get(1) {
                    Some(v) => prim::int_arg(*v)?.max(0) as usize,
                    None => 0,
                };
                let bstart = s.char_indices().nth(start).map_or(s.len(), |(b, _)| b);
                s[bstart..].find(&pat).map(|b| b + bstart)
            } else {
                s.rfind(&pat)
            };
            match r {
                Some(b) => new_int(s[..b].chars().count() as i64),
                None => nil(),
            }
        }
        ("slice", _) => return prim::str_method("[]", recv, args),
        ("lstrip", 0) => new_str(str_of(recv).trim_start()),
        ("rstrip", 0) => new_str(str_of(recv).trim_end()),
        ("chop", 0) => {
            let mut s = str_of(recv);
            s.pop();
            new_str(&s)
        }
        ("chomp", 1) => {
            let s = str_of(recv);
            let suf = prim::str_arg(args[0])?;
            new_str(s.strip_suffix(suf.as_str()).unwrap_or(&s))
        }
        ("swapcase", 0) => new_str(
            &str_of(recv)
                .chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().next().unwrap_or(c)
                    } else {
                        c.to_uppercase().next().unwrap_or(c)
                    }
                })
                .collect::<String>(),
        ),
        ("hex", 0) => new_bigint(
            &BigInt::parse_bytes(str_of(recv).trim_start_matches("0x").as_bytes(), 16)
                .unwrap_or_default(),
        ),
        ("oct", 0) => {
            new_bigint(&BigInt::parse_bytes(str_of(recv).as_bytes(), 8).unwrap_or_default())
        }
        ("succ" | "next", 0) => new_str(&str_succ(&str_of(recv))),
        ("casecmp", 1) => new_int(
            str_of(recv)
                .to_lowercase()
                .cmp(&prim::str_arg(args[0])?.to_lowercase()) as i64,
        ),
        ("casecmp?", 1) => {
            boolean(str_of(recv).to_lowercase() == prim::str_arg(args[0])?.to_lowercase())
        }
        ("encoding", 0) => new_str("UTF-8"),
        ("force_encoding" | "encode" | "unicode_normalize" | "b" | "scrub", _) => recv,
        ("valid_encoding?" | "ascii_only?", 0) => {
            boolean(str_of(recv).is_ascii() || name == "valid_encoding?")
        }
        ("each_byte", 0) if blk.tid() == tid::PROC => {
            for b in str_bytes(recv) {
                gyield(blk, vec![new_int(b as i64)])?;
            }
            recv
        }
        ("getbyte", 1) => {
            let b = str_bytes(recv);
            let i = prim::int_arg(args[0])?;
            let i = if i < 0 { i + b.len() as i64 } else { i };
            b.get(i as usize).map_or_else(nil, |c| new_int(*c as i64))
        }
        ("byteslice", _) => {
            let b = str_bytes(recv);
            let st = prim::int_arg(args[0])?.max(0) as usize;
            let n = match args.get(1) {
                Some(v) => prim::int_arg(*v)?.max(0) as usize,
                None => 1,
            };
            let e = (st + n).min(b.len());
            if st > b.len() {
                nil()
            } else {
                new_str(&String::from_utf8_lossy(&b[st..e]))
            }
        }
        ("unpack" | "unpack1" | "=~" | "match" | "match?" | "scan", _) => {
            return err(
                "NotImplementedError",
                format!("minirb does not support String#{name}"),
            );
        }
        ("split", 2) => {
            let r = prim::str_method("split", recv, &args[..1])?;
            let lim = prim::int_arg(args[1])?;
            if lim > 0 {
                let s = str_of(recv);
                let sep = prim::str_arg(args[0])?;
                let parts: Vec<GcRef> = s.splitn(lim as usize, sep.as_str()).map(new_str).collect();
                new_array(&parts)
            } else {
                r
            }
        }
        ("between?", 2) => {
            let s = str_bytes(recv);
            boolean(s >= str_bytes(args[0]) && s <= str_bytes(args[1]))
        }
        ("start_with?" | "end_with?", n) if n > 1 => {
            for a in args {
                if truthy(prim::str_method(name, recv, &[*a])?) {
                    return Ok(boolean(true));
                }
            }
            boolean(false)
        }
        ("center" | "ljust" | "rjust" | "+" | "*" | "<=>" | "<" | ">" | "<=" | ">=", _) => {
            return prim::str_method(name, recv, args)
        }
        ("to_i", 1) => {
            let base = prim::int_arg(args[0])? as u32;
            let s = str_of(recv);
            let t: String = s
                .trim()
                .chars()
                .take_while(|c| c.is_digit(base) || *c == '-')
                .collect();
            new_bigint(&BigInt::parse_bytes(t.as_bytes(), base).unwrap_or_default())
        }
        ("sum", _) => return Ok(undef()),
        _ => return prim::str_method(name, recv, args),
    })
}

fn expand_tr(s: &str) -> Vec<char> {
    let c: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if i + 2 < c.len() && c[i + 1] == '-' {
            let (a, b) = (c[i] as u32, c[i + 2] as u32);
            for x in a..=b {
                if let Some(ch) = char::from_u32(x) {
                    out.push(ch);
                }
            }
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn str_succ(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut c: Vec<char> = s.chars().collect();
    let mut i = c.len();
    loop {
        if i == 0 {
            let first = c[0];
            let ins = if first == '0' {
                '1'
            } else if first == 'a' {
                'a'
            } else {
                'A'
            };
            c.insert(0, ins);
            break;
        }
        i -= 1;
        match c[i] {
            'z' => c[i] = 'a',
            'Z' => c[i] = 'A',
            '9' => c[i] = '0',
            ch if ch.is_ascii_alphanumeric() => {
                c[i] = (ch as u8 + 1) as char;
                break;
            }
            ch => {
                c[i] = char::from_u32(ch as u32 + 1).unwrap_or(ch);
                break;
            }
        }
    }
    c.into_iter().collect()
}
