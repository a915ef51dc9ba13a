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
        for jit in ["off", "threshold=7,function_threshold=11", "on"] {
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
