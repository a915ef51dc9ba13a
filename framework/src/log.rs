//! `METATRACE_LOG`: PYPYLOG-style logging.
//!
//! Owns: parsing `METATRACE_LOG=cat1,cat2:FILE` (`-` = stderr; a category
//! selects every category it is a prefix of, as in PYPYLOG; a value without
//! `:` is a file name and selects everything) and writing sections:
//!
//! ```text
//! [1a2b3c] {jit-log-opt-loop
//! ...
//! [1a2b4f] jit-log-opt-loop}
//! ```
//!
//! When no category is enabled, `enabled()` is one branch and nothing is
//! formatted: logging off costs nothing measurable.

use std::cell::RefCell;
use std::io::Write;
use std::time::Instant;

/// Categories the framework writes.
pub mod cat {
    pub const TRACING: &str = "jit-tracing";
    pub const OPT_LOOP: &str = "jit-log-opt-loop";
    pub const OPT_BRIDGE: &str = "jit-log-opt-bridge";
    pub const ABORT: &str = "jit-abort";
    pub const BACKEND: &str = "jit-backend";
    pub const BACKEND_COUNTS: &str = "jit-backend-counts";
    pub const SUMMARY: &str = "jit-summary";
    pub const GC: &str = "gc";
}

/// A log sink with its enabled categories.
pub struct Log {
    prefixes: Vec<String>,
    all: bool,
    out: RefCell<Option<Box<dyn Write>>>,
    start: Instant,
}

impl Log {
    /// Logging off.
    pub fn off() -> Log {
        Log {
            prefixes: Vec::new(),
            all: false,
            out: RefCell::new(None),
            start: Instant::now(),
        }
    }

    /// From the `METATRACE_LOG` environment variable (off when unset).
    pub fn from_env() -> Log {
        match std::env::var("METATRACE_LOG") {
            Ok(spec) if !spec.is_empty() => Log::from_spec(&spec),
            _ => Log::off(),
        }
    }

    /// Parses `cats:FILE`. A file that cannot be created gives one warning
    /// on stderr and logging off (the program itself runs unchanged).
    pub fn from_spec(spec: &str) -> Log {
        let (cats, file) = match spec.rsplit_once(':') {
            Some((c, f)) => (Some(c), f),
            None => (None, spec),
        };
        let out: Box<dyn Write> = if file == "-" {
            Box::new(std::io::stderr())
        } else {
            match std::fs::File::create(file) {
                Ok(f) => Box::new(std::io::BufWriter::new(f)),
                Err(e) => {
                    eprintln!("metatrace: cannot open log file '{file}': {e}; logging is off");
                    return Log::off();
                }
            }
        };
        let prefixes: Vec<String> = cats
            .map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Log {
            all: cats.is_none(),
            prefixes,
            out: RefCell::new(Some(out)),
            start: Instant::now(),
        }
    }

    /// Is `category` selected?
    #[inline]
    pub fn enabled(&self, category: &str) -> bool {
        (self.all || !self.prefixes.is_empty()) && self.selects(category)
    }

    fn selects(&self, category: &str) -> bool {
        self.all
            || self
                .prefixes
                .iter()
                .any(|p| category.starts_with(p.as_str()))
    }

    fn stamp(&self) -> String {
        format!("[{:x}]", self.start.elapsed().as_nanos())
    }

    /// Writes one `{category ... category}` section; `body` is only called
    /// when the category is enabled.
    pub fn section(&self, category: &str, body: impl FnOnce() -> String) {
        if !self.enabled(category) {
            return;
        }
        let text = body();
        let mut out = self.out.borrow_mut();
        if let Some(w) = out.as_mut() {
            let _ = write!(w, "{} {{{}\n{}", self.stamp(), category, text);
            if !text.is_empty() && !text.ends_with('\n') {
                let _ = writeln!(w);
            }
            let _ = writeln!(w, "{} {}}}", self.stamp(), category);
        }
    }

    pub fn flush(&self) {
        if let Some(w) = self.out.borrow_mut().as_mut() {
            let _ = w.flush();
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_select_subcategories() {
        let dir = std::env::temp_dir().join(format!("mtlog-test-{}", std::process::id()));
        let path = dir.with_extension("log");
        let log = Log::from_spec(&format!("jit-log-opt,jit-abort:{}", path.display()));
        assert!(log.enabled("jit-log-opt-loop") && log.enabled("jit-log-opt-bridge"));
        assert!(log.enabled("jit-abort") && !log.enabled("jit-summary"));
        log.section("jit-log-opt-loop", || "[i0]\njump(i0)".into());
        log.section("jit-summary", || panic!("must not be formatted"));
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with("{jit-log-opt-loop"), "{text}");
        assert_eq!(lines[1..3], ["[i0]", "jump(i0)"]);
        assert!(lines[3].ends_with("jit-log-opt-loop}"), "{text}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn off_and_unopenable() {
        assert!(!Log::off().enabled("jit-summary"));
        let log = Log::from_spec("jit:/nonexistent-dir/x/y.log");
        assert!(!log.enabled("jit-summary"));
    }
}
