//! `mtbench`: runs every benchmark program in a directory under several
//! commands, with warm-up runs and repetitions, and prints the medians,
//! the ratios to a baseline command and their geometric mean; `--svg`
//! writes a bar chart.
//!
//! Owns: the command line, the default commands per file extension, and
//! the run loop; statistics, table and chart are in the library's `bench`.

use clap::Parser;
use metatrace_tools::bench::{self, BenchCmd, Results};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "mtbench",
    about = "Run a directory of benchmarks under several commands; print medians, ratios and their geometric mean",
    after_help = "Example:\n  mtbench --dir example-vms/bf/bench --ext b \\\n    --cmd \"jit=target/release/bf {file}\" --cmd \"nojit=target/release/bf --jit off {file}\" --runs 5 --warmup 1"
)]
struct Cli {
    /// The directory of benchmark programs.
    #[arg(long, default_value = "example-vms/bf/bench")]
    dir: PathBuf,
    /// The benchmarks' file extension (without the dot).
    #[arg(long, default_value = "b")]
    ext: String,
    /// `name=program args {file}` (repeatable). Default: by extension — for
    /// `b`, the `bf` next to this binary with the JIT and with `--jit off`,
    /// plus `beef` if installed; for `tvm`, the `tvm` next to this binary;
    /// `py`: python3, pypy3; `rb`: ruby; `lua`: luajit, lua.
    #[arg(long = "cmd", value_name = "NAME=CMD")]
    cmds: Vec<String>,
    /// Timed runs per benchmark and command.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Untimed warm-up runs first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// The command ratios are relative to (default: the first).
    #[arg(long, value_name = "NAME")]
    baseline: Option<String>,
    /// Give up on a run after this many seconds.
    #[arg(long, default_value_t = 300.0)]
    timeout: f64,
    /// Only benchmarks whose file name contains this.
    #[arg(long)]
    filter: Option<String>,
    /// Also write a bar chart of the ratios.
    #[arg(long, value_name = "OUT.svg")]
    svg: Option<PathBuf>,
}

fn sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.join(name);
    p.is_file().then_some(p)
}

fn default_cmds(ext: &str) -> Vec<BenchCmd> {
    let mut v = Vec::new();
    let mut add = |name: &str, argv: Vec<String>| {
        v.push(BenchCmd {
            name: name.into(),
            argv,
        })
    };
    let s = |p: &Path| p.display().to_string();
    match ext {
        "b" | "bf" => {
            if let Some(bf) = sibling("bf") {
                add("jit", vec![s(&bf), "{file}".into()]);
                add(
                    "nojit",
                    vec![s(&bf), "--jit".into(), "off".into(), "{file}".into()],
                );
            }
            if let Some(beef) = bench::on_path("beef") {
                add("beef", vec![s(&beef), "{file}".into()]);
            }
        }
        "tvm" => {
            if let Some(tvm) = sibling("tvm") {
                add("jit", vec![s(&tvm), "{file}".into()]);
                add(
                    "nojit",
                    vec![s(&tvm), "--jit".into(), "off".into(), "{file}".into()],
                );
            }
        }
        _ => {
            let refs: &[&str] = match ext {
                "py" => &["python3", "pypy3"],
                "rb" => &["ruby"],
                "lua" => &["luajit", "lua"],
                _ => &[],
            };
            for r in refs {
                if let Some(p) = bench::on_path(r) {
                    add(r, vec![s(&p), "{file}".into()]);
                }
            }
        }
    }
    v
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mtbench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let cmds: Vec<BenchCmd> = if cli.cmds.is_empty() {
        default_cmds(&cli.ext)
    } else {
        cli.cmds
            .iter()
            .map(|c| BenchCmd::parse(c))
            .collect::<Result<_, _>>()?
    };
    if cmds.is_empty() {
        return Err(format!(
            "no commands for .{} files: give some with --cmd NAME=CMD",
            cli.ext
        ));
    }
    let base = match &cli.baseline {
        Some(b) => cmds
            .iter()
            .position(|c| &c.name == b)
            .ok_or_else(|| format!("--baseline {b}: no such command"))?,
        None => 0,
    };
    if cli.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&cli.dir)
        .map_err(|e| format!("cannot read {}: {e}", cli.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == cli.ext.as_str()))
        .filter(|p| {
            cli.filter.as_deref().map_or(true, |f| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains(f))
            })
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no .{} files in {}", cli.ext, cli.dir.display()));
    }
    let timeout = Duration::from_secs_f64(cli.timeout.max(0.001));
    let mut res = Results {
        cmds: cmds.iter().map(|c| c.name.clone()).collect(),
        ..Results::default()
    };
    for f in &files {
        let bench = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut row = Vec::new();
        let mut reference: Option<(String, Vec<u8>)> = None;
        for c in &cmds {
            let argv = c.expand(f);
            eprint!("{bench} / {}: ", c.name);
            let mut times = Vec::new();
            let mut failed = None;
            for i in 0..cli.warmup + cli.runs {
                match bench::run_once(&argv, timeout) {
                    Ok((t, out)) => {
                        match &reference {
                            None => reference = Some((c.name.clone(), out)),
                            Some((rname, rout)) if *rout != out && i == 0 => {
                                res.notes.push(format!(
                                    "{bench}: the output of {} differs from {rname}'s",
                                    c.name
                                ));
                            }
                            _ => {}
                        }
                        if i >= cli.warmup {
                            times.push(t.as_secs_f64());
                            eprint!("{:.3} ", t.as_secs_f64());
                        }
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            match failed {
                Some(e) => {
                    eprintln!("FAILED: {e}");
                    res.notes.push(format!("{bench} / {}: {e}", c.name));
                    row.push(None);
                }
                None => {
                    eprintln!();
                    row.push(bench::median(&times));
                }
            }
        }
        res.benches.push(bench);
        res.medians.push(row);
    }
    println!(
        "{} runs after {} warm-up, medians; ratios are time / time of {}",
        cli.runs, cli.warmup, res.cmds[base]
    );
    print!("{}", res.table(base));
    if let Some(out) = &cli.svg {
        std::fs::write(out, res.svg(base))
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
