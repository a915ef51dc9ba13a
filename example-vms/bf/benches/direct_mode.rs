//! Is direct mode zero-cost? Runs the same brainfuck program with the
//! framework's interpreter (`--jit off`: `step` monomorphized for the
//! direct context, heap tape, residual-call I/O) and with a hand-written,
//! non-generic interpreter over a `Vec<u8>`, side by side, and prints the
//! ratio. Run: `cargo bench -p bf --bench direct_mode`.

use metatrace::{JitDriver, JitParams, LlGraph};
use std::time::{Duration, Instant};

/// Nested counting loops: 4 x 60 x 60 x 60 x 60 inner `-` steps (~52 M).
const PROGRAM: &str = concat!(
    "++++[>",
    "++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++[>",
    "++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++[>",
    "++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++[>",
    "++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++[-]",
    "<-]<-]<-]<-]>>>>>++++++++[<++++++>-]<."
);

fn handwritten(p: &bf::Program) -> Vec<u8> {
    let mut tape = vec![0u8; 30_000];
    let (mut pc, mut pos, mut out) = (0usize, 0usize, Vec::new());
    while pc < p.code.len() {
        match p.code[pc] {
            b'>' => {
                pos += 1;
                if pos >= tape.len() {
                    tape.resize(tape.len() * 2, 0);
                }
            }
            b'<' => pos -= 1,
            b'+' => tape[pos] = tape[pos].wrapping_add(1),
            b'-' => tape[pos] = tape[pos].wrapping_sub(1),
            b'.' => out.push(tape[pos]),
            b'[' if tape[pos] == 0 => pc = p.partner[pc],
            b']' if tape[pos] != 0 => pc = p.partner[pc],
            _ => {}
        }
        pc += 1;
    }
    out
}

fn framework(p: bf::Program) -> Vec<u8> {
    bf::capture_io(b"");
    let mut driver = JitDriver::new(JitParams::parse("off").unwrap(), Box::new(LlGraph::new()));
    let mut vm = bf::Bf { program: p };
    bf::run(&mut driver, &mut vm).unwrap();
    bf::take_output()
}

fn best_of(n: usize, mut f: impl FnMut() -> Vec<u8>) -> (Duration, Vec<u8>) {
    let mut best = Duration::MAX;
    let mut out = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        out = f();
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn main() {
    let (hand, out_h) = best_of(5, || {
        handwritten(&bf::Program::parse(PROGRAM.as_bytes()).unwrap())
    });
    let (fw, out_f) = best_of(5, || {
        framework(bf::Program::parse(PROGRAM.as_bytes()).unwrap())
    });
    assert_eq!(out_h, out_f, "both interpreters must print the same");
    println!(
        "hand-written interpreter : {:>8.1} ms",
        hand.as_secs_f64() * 1e3
    );
    println!(
        "metatrace, --jit off     : {:>8.1} ms",
        fw.as_secs_f64() * 1e3
    );
    println!(
        "ratio (framework / hand) : {:>8.2}",
        fw.as_secs_f64() / hand.as_secs_f64()
    );
}
