//! The `bf` binary: exit codes and messages for good and bad input.

use std::process::Command;

/// The binary under test; when cross-testing AArch64 under qemu-user the
/// child process needs the emulator too.
fn command() -> Command {
    let bin = env!("CARGO_BIN_EXE_bf");
    if cfg!(target_arch = "aarch64")
        && std::path::Path::new("/usr/bin/qemu-aarch64-static").exists()
    {
        let mut c = Command::new("qemu-aarch64-static");
        c.args(["-L", "/usr/aarch64-linux-gnu", bin]);
        return c;
    }
    Command::new(bin)
}

fn bf(args: &[&str]) -> (i32, String, String) {
    let out = command().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn program(name: &str, src: &str) -> String {
    let dir = std::env::temp_dir().join(format!("bf-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, src).unwrap();
    p.to_string_lossy().into_owned()
}

fn example(name: &str) -> String {
    format!("{}/examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn hello_with_and_without_jit() {
    for jit in ["off", "default", "threshold=2,trace_eagerness=1"] {
        let (code, out, err) = bf(&["--jit", jit, &example("hello.b")]);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (0, "Hello World!\n", ""),
            "--jit {jit}"
        );
    }
}

#[test]
fn unbalanced_brackets_name_the_position() {
    let (code, out, err) = bf(&[&program("open.b", "++[>+<-")]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("unmatched '[' at byte 2"), "{err}");
    let (code, _, err) = bf(&[&program("close.b", "+]")]);
    assert_eq!(code, 1);
    assert!(err.contains("unmatched ']' at byte 1"), "{err}");
}

#[test]
fn moving_left_of_cell_zero_is_an_error() {
    for jit in ["off", "threshold=2"] {
        let (code, _, err) = bf(&["--jit", jit, &program("left.b", "+++[>+<-]<<")]);
        assert_eq!(code, 1, "--jit {jit}");
        assert!(
            err.contains("moved left of cell 0 by the '<' at byte 9"),
            "{err}"
        );
    }
}

#[test]
fn missing_file_and_bad_flags() {
    let (code, _, err) = bf(&["/nonexistent/prog.b"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/prog.b"), "{err}");
    let (code, _, err) = bf(&["--jit", "treshold=3", &example("hello.b")]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown JIT parameter 'treshold'"), "{err}");
    let (code, _, _) = bf(&["--frobnicate"]);
    assert_eq!(code, 2);
}

#[test]
fn input_is_read_and_eof_stores_zero() {
    use std::io::Write;
    let p = program("rev.b", ">,[>,]<[.<]");
    let mut child = command()
        .arg(&p)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"abc").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"cba");
}

#[test]
fn binary_garbage_is_just_comments() {
    let p = program("junk.b", "\u{0}\u{ff}héllo wörld +++.");
    let (code, out, _) = bf(&[&p]);
    assert_eq!(code, 0);
    assert_eq!(out.as_bytes(), [3u8]);
}
