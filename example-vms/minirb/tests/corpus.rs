//! Runs every `tests/corpus/*.rb` program with the built `minirb`, with
//! the JIT off and on (a low threshold, so loops are traced), and
//! compares stdout with the `*.expected` file produced by CRuby 3.1
//! (`ruby FILE.rb > FILE.expected`). A `*.stderr` file, when present, is
//! compared with stderr too, and the program must then exit with status 1.

use std::path::Path;
use std::process::Command;

fn run(file: &Path, jit: &str) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_minirb"))
        .arg("--jit")
        .arg(jit)
        .arg(file.file_name().expect("file name"))
        .current_dir(file.parent().expect("dir"))
        .output()
        .expect("minirb runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn corpus_matches_cruby() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rb"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus has {} programs", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let expected =
            std::fs::read_to_string(f.with_extension("expected")).expect("expected file");
        let want_err = std::fs::read_to_string(f.with_extension("stderr")).ok();
        for jit in [
            "off",
            "threshold=7,function_threshold=11",
            "on",
            // Unused loops freed right away (memmgr).
            "threshold=3,function_threshold=4,trace_eagerness=2,loop_longevity=1",
        ] {
            let (out, err, code) = run(f, jit);
            let name = f.file_name().expect("name").to_string_lossy().into_owned();
            if out != expected {
                failures.push(format!(
                    "{name} --jit {jit}: stdout differs\n--- got\n{out}\n--- want\n{expected}"
                ));
            }
            match &want_err {
                Some(w) => {
                    if &err != w || code != 1 {
                        failures.push(format!(
                            "{name} --jit {jit}: stderr/exit differ ({code})\n{err}"
                        ));
                    }
                }
                None => {
                    if code != 0 {
                        failures.push(format!("{name} --jit {jit}: exit {code}\n{err}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn run_args(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_minirb"))
        .args(args)
        .output()
        .expect("minirb runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn bad_command_lines_exit_2_with_usage() {
    for args in [
        &[][..],
        &["--bogus"][..],
        &["--jit"][..],
        &["--jit", "treshold=3", "x.rb"][..],
        &["--jit", "threshold=abc", "x.rb"][..],
    ] {
        let (_, err, code) = run_args(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("usage: minirb"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn bad_programs_get_ruby_style_errors() {
    let dir = std::env::temp_dir().join(format!("minirb-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "syntax.rb",
            b"x = [1, 2\nputs x\n",
            "syntax.rb:2: syntax error",
        ),
        ("unclosed.rb", b"def f\n  1\n", "syntax error"),
        (
            "binary.rb",
            b"puts 1\n\xff\xfe\x00\n",
            "binary.rb:2: invalid multibyte char",
        ),
        ("missing.rb", b"", "No such file or directory"),
    ];
    for (name, src, want) in cases {
        let path = dir.join(name);
        if *name != "missing.rb" {
            std::fs::write(&path, src).unwrap();
        }
        let (out, err, code) = run_args(&[path.to_str().unwrap()]);
        assert_eq!(code, 1, "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert!(out.is_empty(), "{name} printed {out}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
