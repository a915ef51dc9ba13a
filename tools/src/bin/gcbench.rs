//! `gcbench`: measurements of the garbage collector (not timed tests).
//!
//! - `gcbench rss [--rounds N] [--jit PARAMS]`: runs
//!   `example-vms/tvm/examples/garbage.tvm` (linked lists and
//!   variable-length arrays that die every round) for N rounds — the
//!   default allocates well over 10 GB — and prints the bytes allocated,
//!   collections, GC time, the heap's peak and the process's peak RSS
//!   (`VmHWM`). Bounded memory means the peak stays flat as N grows.
//! - `gcbench alloc [--n N]`: allocation throughput of compiled x86 code:
//!   a loop whose objects escape (each goes into a 1024-slot ring array)
//!   run with the inline bump fast path and with every allocation calling
//!   the runtime, in objects per second.
//!
//! Owns: nothing the framework uses; it only drives the heap and backends.

use clap::{Parser, Subcommand};
use metatrace::backend::{Backend, LoopId};
use metatrace::heap::{self, roots::Handle, GcRef, REF_ARRAY};
use metatrace::ir::{Descr, GuardId, Kind, OpNum, Operand, TargetToken, Trace};
use metatrace::{JitDriver, JitParams};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "gcbench", about = "Measure Metatrace's garbage collector")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Peak memory of a program that allocates garbage forever.
    Rss {
        /// Rounds of garbage.tvm (about 8.9 KB allocated per round).
        #[arg(long, default_value_t = 2_000_000)]
        rounds: u64,
        /// JIT parameters (`off`, `default`, key=value,...).
        #[arg(long, default_value = "default")]
        jit: String,
    },
    /// Objects per second allocated by compiled code, fast path on and off.
    Alloc {
        /// Objects per run.
        #[arg(long, default_value_t = 200_000_000)]
        n: i64,
    },
}

/// `VmHWM` of this process in KiB (peak resident set), if readable.
fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const GARBAGE: &str = include_str!("../../../example-vms/tvm/examples/garbage.tvm");

fn rss(rounds: u64, jit: &str) -> Result<(), String> {
    let src: String = GARBAGE
        .lines()
        .map(|l| {
            if l.contains("# ROUNDS") {
                format!("    push {rounds}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let program = tvm::asm::parse(&src).map_err(|e| e.to_string())?;
    let params = JitParams::parse(jit).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let (out, stats) = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let backend = metatrace::backend::select(&params.backend, &[&metatrace_x86::BACKEND])
                .expect("backend");
            let mut driver = JitDriver::new(params, backend);
            let out = tvm::run(&mut driver, program);
            (out, heap::stats())
        })
        .map_err(|e| e.to_string())?
        .join()
        .map_err(|_| "the run panicked".to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    if let Some(e) = out.error {
        return Err(e);
    }
    println!("garbage.tvm, {rounds} rounds, --jit {jit}: {secs:.2} s");
    println!(
        "  output            {:?}",
        String::from_utf8_lossy(&out.output)
    );
    println!(
        "  allocated         {:.2} GB",
        stats.bytes_allocated as f64 / 1e9
    );
    println!("  collections       {}", stats.collections);
    println!(
        "  gc time           {:.3} s (max pause {:.2} ms)",
        stats.gc_time.as_secs_f64(),
        stats.max_pause.as_secs_f64() * 1e3
    );
    println!(
        "  peak heap         {:.1} MB",
        stats.peak_heap_bytes as f64 / 1e6
    );
    match peak_rss_kib() {
        Some(k) => println!("  peak RSS (VmHWM)  {:.1} MB", k as f64 / 1024.0),
        None => println!("  peak RSS (VmHWM)  unavailable"),
    }
    Ok(())
}

metatrace::gc_struct! {
    /// The benchmark's object.
    pub struct Cell as cell {
        value: i64,
        next: GcRef,
    }
}

/// `[i0, p1] label; p2 = new(Cell); p2.value = i0; p2.next = p1;
/// p1.next = null; ring[i0 & 1023] = p2; i0 += 1; guard i0 < n;
/// jump(i0, p2)`: every object escapes (into the ring and its successor).
fn alloc_loop(ring: GcRef, n: i64) -> (Trace, GuardId) {
    let mut t = Trace::new();
    let i0 = t.new_inputarg(Kind::Int);
    let p1 = t.new_inputarg(Kind::Ref);
    let tok = TargetToken(1);
    t.push(
        OpNum::Label,
        &[Operand::Var(i0), Operand::Var(p1)],
        Some(Descr::Target(tok)),
    );
    let p2 = t
        .push(OpNum::New, &[], Some(Descr::Size(&cell::SIZE)))
        .expect("new has a result");
    t.push(
        OpNum::SetfieldGc,
        &[Operand::Var(p2), Operand::Var(i0)],
        Some(Descr::Field(&cell::value)),
    );
    // The previous object, kept by this one: a chain two objects long
    // (the ring slot overwrite below breaks older links).
    t.push(
        OpNum::SetfieldGc,
        &[Operand::Var(p2), Operand::Var(p1)],
        Some(Descr::Field(&cell::next)),
    );
    t.push(
        OpNum::SetfieldGc,
        &[Operand::Var(p1), Operand::ConstPtr(0)],
        Some(Descr::Field(&cell::next)),
    );
    let slot = t
        .push(
            OpNum::IntAnd,
            &[Operand::Var(i0), Operand::ConstInt(1023)],
            None,
        )
        .expect("int_and has a result");
    t.push(
        OpNum::SetarrayitemGc,
        &[
            Operand::ConstPtr(ring.addr()),
            Operand::Var(slot),
            Operand::Var(p2),
        ],
        Some(Descr::Array(&REF_ARRAY)),
    );
    let i1 = t
        .push(
            OpNum::IntAdd,
            &[Operand::Var(i0), Operand::ConstInt(1)],
            None,
        )
        .expect("int_add has a result");
    let more = t
        .push(
            OpNum::IntLt,
            &[Operand::Var(i1), Operand::ConstInt(n)],
            None,
        )
        .expect("int_lt has a result");
    let g = GuardId(2);
    t.push(
        OpNum::GuardTrue,
        &[Operand::Var(more)],
        Some(Descr::Guard(g)),
    );
    t.ops.last_mut().expect("just pushed").fail_args = Some(vec![Operand::Var(i1)]);
    t.push(
        OpNum::Jump,
        &[Operand::Var(i1), Operand::Var(p2)],
        Some(Descr::Target(tok)),
    );
    (t, g)
}

fn alloc(n: i64) -> Result<(), String> {
    if !cfg!(target_arch = "x86_64") {
        return Err("gcbench alloc measures the x86-64 backend".into());
    }
    let ring = heap::new_array(&REF_ARRAY, 1024).expect("small array");
    let _keep = Handle::new(ring);
    for inline in [true, false] {
        let (trace, _) = alloc_loop(ring, n);
        let mut b = metatrace_x86::X86Backend::new();
        b.set_inline_alloc(inline);
        b.compile_loop(LoopId(1), &trace)
            .map_err(|e| e.to_string())?;
        let s0 = heap::stats();
        let t0 = Instant::now();
        let first = heap::new_struct(&cell::SIZE);
        let dead = b.execute(LoopId(1), &[0, first.addr() as u64]);
        let secs = t0.elapsed().as_secs_f64();
        let s1 = heap::stats();
        if dead.values != [n as u64] {
            return Err(format!("the loop exited early: {dead:?}"));
        }
        let gc = (s1.gc_time - s0.gc_time).as_secs_f64();
        println!(
            "fast path {:3}: {n} objects in {secs:.3} s = {:.1} M objects/s; \
             outside the collector ({:.3} s) {:.1} M objects/s; {} collections",
            if inline { "on" } else { "off" },
            n as f64 / secs / 1e6,
            secs - gc,
            n as f64 / (secs - gc) / 1e6,
            s1.collections - s0.collections,
        );
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let r = match cli.what {
        What::Rss { rounds, jit } => rss(rounds, &jit),
        What::Alloc { n } => alloc(n),
    };
    match r {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gcbench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
