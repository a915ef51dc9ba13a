//! The benchmark runner behind `mtbench`.
//!
//! Owns: command templates (`name=program args {file}`), running one
//! benchmark once with a timeout, the statistics (median, geometric
//! mean), the results table and the SVG bar chart. The binary only parses
//! the CLI and drives these.

use std::fmt::Write;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command to run each benchmark under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchCmd {
    pub name: String,
    /// Program and arguments; `{file}` is replaced by the benchmark's path
    /// (appended when no argument contains it).
    pub argv: Vec<String>,
}

impl BenchCmd {
    /// Parses `name=program args...` (or just `program args...`, named
    /// after the program). Arguments split on whitespace; single or double
    /// quotes group.
    pub fn parse(spec: &str) -> Result<BenchCmd, String> {
        let (name, rest) = match spec.split_once('=') {
            Some((n, r))
                if !n.is_empty() && !n.contains(char::is_whitespace) && !n.contains('{') =>
            {
                (Some(n), r)
            }
            _ => (None, spec),
        };
        let argv = split_words(rest)?;
        let Some(first) = argv.first() else {
            return Err(format!("--cmd `{spec}`: no program"));
        };
        let name = name.map(str::to_string).unwrap_or_else(|| {
            Path::new(first)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| first.clone())
        });
        Ok(BenchCmd { name, argv })
    }

    /// The argument vector for one benchmark file.
    pub fn expand(&self, file: &Path) -> Vec<String> {
        let f = file.display().to_string();
        let mut any = false;
        let mut v: Vec<String> = self
            .argv
            .iter()
            .map(|a| {
                if a.contains("{file}") {
                    any = true;
                    a.replace("{file}", &f)
                } else {
                    a.clone()
                }
            })
            .collect();
        if !any {
            v.push(f);
        }
        v
    }
}

/// Splits a command line into words (whitespace; '...' and "..." group).
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(format!("unbalanced quote in `{s}`"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// One run: wall time and stdout, or why it failed.
pub fn run_once(argv: &[String], timeout: Duration) -> Result<(Duration, Vec<u8>), String> {
    let (prog, args) = argv.split_first().ok_or("empty command")?;
    let t0 = Instant::now();
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {prog}: {e}"))?;
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let mut err = child.stderr.take().ok_or("no stderr")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf);
        buf
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if t0.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {:.0} s", timeout.as_secs_f64()));
            }
            Ok(None) => std::thread::sleep(Duration::from_micros(500)),
            Err(e) => return Err(format!("waiting for {prog}: {e}")),
        }
    };
    let elapsed = t0.elapsed();
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        let msg = String::from_utf8_lossy(&stderr);
        let first = msg.lines().next().unwrap_or("").trim();
        return Err(format!(
            "{status}{}{first}",
            if first.is_empty() { "" } else { ": " }
        ));
    }
    Ok((elapsed, stdout))
}

/// The median (the mean of the middle two for an even count).
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The geometric mean of positive values.
pub fn geomean(xs: &[f64]) -> Option<f64> {
    let v: Vec<f64> = xs
        .iter()
        .copied()
        .filter(|x| *x > 0.0 && x.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    Some((v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp())
}

/// Medians per benchmark (rows) and command (columns); `None` = failed.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub benches: Vec<String>,
    pub cmds: Vec<String>,
    pub medians: Vec<Vec<Option<f64>>>,
    /// Notes printed under the table (failures, differing output).
    pub notes: Vec<String>,
}

impl Results {
    /// `time / baseline time` per benchmark for command `c`.
    pub fn ratios(&self, c: usize, base: usize) -> Vec<Option<f64>> {
        self.medians
            .iter()
            .map(|row| {
                match (
                    row.get(c).copied().flatten(),
                    row.get(base).copied().flatten(),
                ) {
                    (Some(t), Some(b)) if b > 0.0 => Some(t / b),
                    _ => None,
                }
            })
            .collect()
    }

    /// The table: medians in seconds, and for every other command its
    /// ratio to the baseline; a last row with the geometric mean of ratios.
    pub fn table(&self, base: usize) -> String {
        let mut head = vec!["benchmark".to_string()];
        for (c, name) in self.cmds.iter().enumerate() {
            head.push(format!("{name} (s)"));
            if c != base {
                head.push(format!("{name}/{}", self.cmds[base]));
            }
        }
        let mut rows = vec![head];
        let ratio_cols: Vec<Vec<Option<f64>>> =
            (0..self.cmds.len()).map(|c| self.ratios(c, base)).collect();
        for (r, bench) in self.benches.iter().enumerate() {
            let mut row = vec![bench.clone()];
            for (c, ratios) in ratio_cols.iter().enumerate() {
                let t = self.medians[r].get(c).copied().flatten();
                row.push(t.map_or("FAIL".into(), |t| format!("{t:.3}")));
                if c != base {
                    row.push(ratios[r].map_or("-".into(), |x| format!("{x:.2}x")));
                }
            }
            rows.push(row);
        }
        let mut geo = vec!["geomean".to_string()];
        for (c, ratios) in ratio_cols.iter().enumerate() {
            geo.push(String::new());
            if c != base {
                let v: Vec<f64> = ratios.iter().flatten().copied().collect();
                geo.push(geomean(&v).map_or("-".into(), |x| format!("{x:.2}x")));
            }
        }
        rows.push(geo);
        let ncols = rows[0].len();
        let widths: Vec<usize> = (0..ncols)
            .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
            .collect();
        let mut s = String::new();
        for (ri, row) in rows.iter().enumerate() {
            if ri == rows.len() - 1 || ri == 1 {
                let total: usize = widths.iter().sum::<usize>() + 2 * (ncols - 1);
                let _ = writeln!(s, "{}", "-".repeat(total));
            }
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    if i == 0 {
                        format!("{cell:<w$}", w = widths[i])
                    } else {
                        format!("{cell:>w$}", w = widths[i])
                    }
                })
                .collect();
            let _ = writeln!(s, "{}", cells.join("  ").trim_end());
        }
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        s
    }

    /// A grouped bar chart of each command's time relative to the baseline
    /// (the baseline is 1.0), one group per benchmark plus the geomean.
    pub fn svg(&self, base: usize) -> String {
        const COLORS: [&str; 6] = [
            "#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377",
        ];
        let mut groups: Vec<(String, Vec<Option<f64>>)> = Vec::new();
        let ratios: Vec<Vec<Option<f64>>> =
            (0..self.cmds.len()).map(|c| self.ratios(c, base)).collect();
        for (r, b) in self.benches.iter().enumerate() {
            groups.push((b.clone(), ratios.iter().map(|col| col[r]).collect()));
        }
        groups.push((
            "geomean".into(),
            ratios
                .iter()
                .map(|col| geomean(&col.iter().flatten().copied().collect::<Vec<_>>()))
                .collect(),
        ));
        let max = groups
            .iter()
            .flat_map(|g| g.1.iter().flatten())
            .fold(1.0f64, |a, &b| a.max(b));
        let (bar_w, gap, left, top, plot_h) = (18.0, 24.0, 60.0, 40.0, 260.0);
        let ncmd = self.cmds.len().max(1) as f64;
        let group_w = bar_w * ncmd + gap;
        let width = (left + group_w * groups.len() as f64 + 20.0).max(left + 120.0 * ncmd + 20.0);
        let height = top + plot_h + 90.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
        );
        let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        let _ = writeln!(
            s,
            "<text x=\"{left}\" y=\"20\" font-size=\"13\">time relative to {} (lower is faster)</text>",
            xml(&self.cmds[base])
        );
        let y_of = |v: f64| top + plot_h - plot_h * v / max;
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let v = max * tick;
            let y = y_of(v);
            let _ = writeln!(
                s,
                "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.0}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{v:.2}</text>",
                width - 10.0,
                left - 4.0,
                y + 4.0
            );
        }
        let y1 = y_of(1.0);
        for (gi, (name, vals)) in groups.iter().enumerate() {
            let x0 = left + gap / 2.0 + gi as f64 * group_w;
            for (c, v) in vals.iter().enumerate() {
                let Some(v) = v else { continue };
                let y = y_of(*v);
                let _ = writeln!(
                    s,
                    "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {}: {v:.3}</title></rect>",
                    x0 + c as f64 * bar_w,
                    bar_w - 2.0,
                    top + plot_h - y,
                    COLORS[c % COLORS.len()],
                    xml(name),
                    xml(&self.cmds[c])
                );
            }
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x0 + bar_w * ncmd / 2.0,
                top + plot_h + 14.0,
                xml(name)
            );
        }
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"{y1:.1}\" x2=\"{:.0}\" y2=\"{y1:.1}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>",
            width - 10.0
        );
        for (c, name) in self.cmds.iter().enumerate() {
            let x = left + c as f64 * 120.0;
            let y = top + plot_h + 40.0;
            let _ = writeln!(
                s,
                "<rect x=\"{x:.0}\" y=\"{:.0}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.0}\" y=\"{y:.0}\">{}</text>",
                y - 9.0,
                COLORS[c % COLORS.len()],
                x + 14.0,
                xml(name)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn xml(s: &str) -> String {
    crate::html::esc(s)
}

/// Is `prog` an executable on `PATH`?
pub fn on_path(prog: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        let c = BenchCmd::parse("jit=target/release/bf --jit 'threshold=3' {file}").unwrap();
        assert_eq!(c.name, "jit");
        assert_eq!(
            c.expand(Path::new("a.b")),
            ["target/release/bf", "--jit", "threshold=3", "a.b"]
        );
        let c = BenchCmd::parse("/usr/bin/python3 -O").unwrap();
        assert_eq!(c.name, "python3");
        assert_eq!(
            c.expand(Path::new("x.py")),
            ["/usr/bin/python3", "-O", "x.py"]
        );
        assert!(BenchCmd::parse("x='unbalanced").is_err());
        assert!(BenchCmd::parse("x=").is_err());
    }

    #[test]
    fn stats_and_table() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert!((geomean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
        let r = Results {
            benches: vec!["a".into(), "b".into()],
            cmds: vec!["jit".into(), "nojit".into()],
            medians: vec![vec![Some(1.0), Some(2.0)], vec![Some(0.5), Some(4.0)]],
            notes: vec![],
        };
        let t = r.table(0);
        assert!(t.contains("nojit/jit"), "{t}");
        assert!(t.lines().last().unwrap().ends_with("4.00x"), "{t}"); // geomean(2, 8)
        let svg = r.svg(0);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 6 + 2); // 3 groups x 2 bars + legend
    }
}
