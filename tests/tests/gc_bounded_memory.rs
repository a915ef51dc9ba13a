//! A program that allocates garbage in a loop (`garbage.tvm`: linked
//! lists and variable-length arrays dying every round) runs in bounded
//! memory with the JIT off and on: ~500 MB allocated in total, peak RSS of
//! the process under 100 MB and the heap's own peak small. The only test
//! in this binary, so `VmHWM` measures just this. (`gcbench rss` runs
//! the same program for 10+ GB.)

use metatrace::{JitDriver, JitParams};

const GARBAGE: &str = include_str!("../../example-vms/tvm/examples/garbage.tvm");

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = s.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn run(rounds: u64, params: &str) -> metatrace::heap::GcStats {
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
    let params = params.to_string();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let program = tvm::asm::parse(&src).unwrap();
            let params = JitParams::parse(&params).unwrap();
            let backend = metatrace::backend::select(&params.backend, metatrace_tests::LINKED)
                .expect("backend");
            let mut driver = JitDriver::new(params, backend);
            let out = tvm::run(&mut driver, program);
            assert_eq!(out.error, None);
            assert_eq!(String::from_utf8(out.output).unwrap(), "99\n50\n");
            metatrace::heap::stats()
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn garbage_forever_runs_in_bounded_memory() {
    for params in ["off", "default"] {
        let s = run(70_000, params);
        assert!(
            s.bytes_allocated > 450_000_000,
            "--jit {params}: only {} bytes allocated",
            s.bytes_allocated
        );
        assert!(s.collections > 50, "--jit {params}: {s:?}");
        assert!(s.peak_heap_bytes < 32 << 20, "--jit {params}: {s:?}");
    }
    let rss = peak_rss_kib();
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB");
}
