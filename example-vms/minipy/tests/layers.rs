//! Keeps the module layering of `src` (described in the crate docs of
//! `lib.rs`): a module may use modules of its own layer or of a lower one,
//! never of a higher one. The few upward edges that remain are listed in
//! `ALLOWED`; the test fails on any other upward edge, on an entry of
//! `ALLOWED` that no longer exists (delete it: the list only shrinks), and
//! on a module that is in no layer (place new modules in `LAYERS`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layers, lowest first. `lib` is the crate root (`run`, `new_module`,
/// `ARGV`, ...): a use of a crate-root item counts as a use of `lib`.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "object model",
        &[
            "objects",
            "strobj",
            "bytecode",
            "builtin_table",
            "hashing",
            "numbers",
            "dict",
            "sets",
            "types",
        ],
    ),
    (
        "operations",
        &[
            "ops", "strings", "views", "enums", "excinfo", "fast", "numpy",
        ],
    ),
    ("builtins", &["builtins", "methods", "modules"]),
    (
        "interpreter",
        &[
            "interp",
            "calls",
            "arith",
            "guestcall",
            "residuals",
            "imports",
            "compile",
            "scope",
            "lib",
        ],
    ),
];

/// Upward edges still present, `(user, used)`, each with why. Shrink this
/// list; do not grow it. (Empty: where the object model needs a higher
/// layer it goes through `types::Upcalls`, installed by the interpreter.)
const ALLOWED: &[(&str, &str)] = &[];

fn layer_of(m: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&m))
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The crate-level names a source file uses through `crate::` paths
/// (`crate::a::..`, `crate::{a, b::c}`), comments ignored.
fn crate_uses(src: &str) -> BTreeSet<String> {
    let text: String = src
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("crate::") {
        let prev = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        if prev.is_some_and(|c| is_ident(c) || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut expect, mut cur) = (1, true, String::new());
            for c in group.chars() {
                if depth == 1 && expect && is_ident(c) {
                    cur.push(c);
                    continue;
                }
                if !cur.is_empty() {
                    out.insert(std::mem::take(&mut cur));
                    expect = false;
                }
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => expect = true,
                    _ => {}
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            out.insert(name);
        }
    }
    out
}

/// Module → the modules it uses (crate-root items count as `lib`).
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            // `src/compile/expr.rs` is part of `compile`.
            let m = p.file_name().unwrap().to_string_lossy().into_owned();
            for f in std::fs::read_dir(&p).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|x| x == "rs") {
                    files.push((m.clone(), f));
                }
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            let m = p.file_stem().unwrap().to_string_lossy().into_owned();
            if m != "main" {
                files.push((m, p));
            }
        }
    }
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, f) in &files {
        let used = crate_uses(&std::fs::read_to_string(f).unwrap());
        let set = out.entry(m.clone()).or_default();
        for u in used {
            let u = if modules.contains(&u) {
                u
            } else {
                "lib".to_string()
            };
            if &u != m {
                set.insert(u);
            }
        }
    }
    out
}

#[test]
fn scanner_reads_paths_and_groups() {
    let u = crate_uses(
        "use crate::objects::*;\nuse crate::{dict, types::{self, err}, ops};\n\
         // crate::interp in a comment\nlet x = crate::sets::new(); crate::ARGV;",
    );
    let want: BTreeSet<String> = ["objects", "dict", "types", "ops", "sets", "ARGV"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(u, want);
}

#[test]
fn no_module_uses_a_higher_layer() {
    let edges = edges();
    let mut problems = vec![];
    for m in edges.keys() {
        if layer_of(m).is_none() {
            problems.push(format!("module `{m}` is in no layer (add it to LAYERS)"));
        }
    }
    let mut seen = BTreeSet::new();
    for (m, used) in &edges {
        let Some(lm) = layer_of(m) else { continue };
        for u in used {
            let Some(lu) = layer_of(u) else { continue };
            if lu <= lm {
                continue;
            }
            if ALLOWED.contains(&(m.as_str(), u.as_str())) {
                seen.insert((m.as_str(), u.as_str()));
                continue;
            }
            problems.push(format!(
                "`{m}` ({}) uses `{u}` ({}), a higher layer",
                LAYERS[lm].0, LAYERS[lu].0
            ));
        }
    }
    for e in ALLOWED {
        if !seen.contains(e) {
            problems.push(format!(
                "allowed upward edge {e:?} is gone: remove it from ALLOWED"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
