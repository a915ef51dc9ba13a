//! JIT parameters: PyPy's `set_param` names and defaults.
//!
//! Owns: `JitParams` and its parser for `--jit key=value,...` (also `off`
//! and `default`). Unknown keys and bad values are errors that name them.

use std::fmt;

/// The tunables, with PyPy's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct JitParams {
    /// Is the JIT on at all (`--jit off` turns it off).
    pub enabled: bool,
    /// Back-edge count before a loop is traced.
    pub threshold: u32,
    /// Call count before a function entry is traced.
    pub function_threshold: u32,
    /// Guard failures before a bridge is traced.
    pub trace_eagerness: u32,
    /// Per mille taken off every hot counter each time a loop or bridge
    /// is compiled (`memmgr`), so places warm long ago do not get compiled
    /// on the strength of old counts.
    pub decay: u32,
    /// Maximum ops in one trace.
    pub trace_limit: usize,
    /// Inline guest calls while tracing (0 or 1).
    pub inlining: bool,
    /// Generations (loops and bridges compiled) a loop may go without
    /// being entered before it is freed with its bridges (`memmgr`);
    /// 0 keeps every loop.
    pub loop_longevity: u32,
    /// `retrace_limit`: how many times one loop may be retraced (PyPy's name;
    /// parsed and shown in the `--jit` help, default 0).
    pub retrace_limit: u32,
    /// `max_retrace_guards`: how many guards a retraced loop may have (PyPy's
    /// name; parsed and shown in the `--jit` help, default 15).
    pub max_retrace_guards: u32,
    /// Bridges one loop tree (a loop and the bridges grown on it) may
    /// have (LuaJIT's `maxside`); a guard failing past it goes on
    /// resuming in the interpreter, logged in `jit-abort` and counted in
    /// `jit-summary` as `abort: bridge limit`. 0: no limit.
    pub bridge_limit: u32,
    /// How deep inlined portal calls may nest in one trace.
    pub max_unroll_recursion: u32,
    /// Optimizer passes, colon-separated (`all` = every pass).
    pub enable_opts: String,
    /// Which backend runs the traces (`llgraph`, `x86`, `aarch64`, or
    /// `auto` = the native one for this host when the VM links it).
    pub backend: String,
    /// `verify=on`: check compiled code against the interpreter while the
    /// program runs (`metainterp::verify`): sampled entries into compiled
    /// loops run one trip both ways and compare. Off by default.
    pub verify: bool,
    /// Test-only: a deliberately wrong optimization (`test_fault=int_add`
    /// adds 1 to the constant of the first `int_add(x, C)` in each loop
    /// body), so tests can show `verify` catching a miscompile. Empty:
    /// none.
    pub test_fault: String,
}

impl Default for JitParams {
    fn default() -> Self {
        JitParams {
            enabled: true,
            threshold: 1039,
            function_threshold: 1619,
            trace_eagerness: 200,
            decay: 40,
            trace_limit: 6000,
            inlining: true,
            loop_longevity: 1000,
            retrace_limit: 0,
            max_retrace_guards: 15,
            bridge_limit: 100,
            max_unroll_recursion: 7,
            enable_opts: "all".to_string(),
            backend: "auto".to_string(),
            verify: false,
            test_fault: String::new(),
        }
    }
}

/// A bad `--jit` argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError(pub String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ParamError {}

/// The optimizer pass names `enable_opts` accepts, in pipeline order.
pub const ALL_OPTS: &[&str] = &[
    "intbounds",
    "rewrite",
    "virtualize",
    "pure",
    "heap",
    "unroll",
];

impl JitParams {
    /// Parses `off`, `default`, or `key=value,key=value` on top of the defaults.
    pub fn parse(s: &str) -> Result<JitParams, ParamError> {
        let mut p = JitParams::default();
        p.apply(s)?;
        Ok(p)
    }

    /// Applies a `--jit` string to these parameters.
    pub fn apply(&mut self, s: &str) -> Result<(), ParamError> {
        let s = s.trim();
        match s {
            "off" => {
                self.enabled = false;
                return Ok(());
            }
            // `on` is what users type after trying `off`; it means the defaults.
            "default" | "on" | "" => {
                *self = JitParams::default();
                return Ok(());
            }
            _ => {}
        }
        for item in s.split(',') {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            if item == "off" {
                self.enabled = false;
                continue;
            }
            if item == "on" {
                self.enabled = true;
                continue;
            }
            let (key, value) = item.split_once('=').ok_or_else(|| {
                ParamError(format!(
                    "bad JIT parameter '{item}': expected key=value (or 'off', 'on', 'default')"
                ))
            })?;
            self.set(key.trim(), value.trim())?;
        }
        Ok(())
    }

    /// PyPy's `set_param(driver, key, value)`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), ParamError> {
        fn num<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, ParamError> {
            value.parse().map_err(|_| {
                ParamError(format!(
                    "bad value '{value}' for JIT parameter '{key}': expected a non-negative integer"
                ))
            })
        }
        match key {
            "threshold" => self.threshold = num::<u32>(key, value)?.max(1),
            "function_threshold" => self.function_threshold = num::<u32>(key, value)?.max(1),
            "trace_eagerness" => self.trace_eagerness = num(key, value)?,
            "decay" => self.decay = num(key, value)?,
            "trace_limit" => self.trace_limit = num(key, value)?,
            "inlining" => self.inlining = num::<u32>(key, value)? != 0,
            "loop_longevity" => self.loop_longevity = num(key, value)?,
            "retrace_limit" => self.retrace_limit = num(key, value)?,
            "max_retrace_guards" => self.max_retrace_guards = num(key, value)?,
            "bridge_limit" => self.bridge_limit = num(key, value)?,
            "max_unroll_recursion" => self.max_unroll_recursion = num(key, value)?,
            "enable_opts" => {
                if value != "all" && !value.is_empty() {
                    for name in value.split(':') {
                        if !ALL_OPTS.contains(&name) {
                            // PyPy's names for passes Metatrace does not
                            // need (see the `opt` module docs).
                            let why = match name {
                                "string" | "earlyforce" => {
                                    " (PyPy has it; Metatrace's IR needs no such pass)"
                                }
                                _ => "",
                            };
                            return Err(ParamError(format!(
                                "unknown optimization '{name}' in enable_opts{why} (known: {})",
                                ALL_OPTS.join(":")
                            )));
                        }
                    }
                }
                self.enable_opts = value.to_string();
            }
            "backend" => match value {
                "auto" | "native" | "llgraph" | "x86" | "aarch64" => {
                    self.backend = value.to_string()
                }
                _ => {
                    return Err(ParamError(format!(
                        "unknown backend '{value}' (known: auto, native, llgraph, x86, aarch64)"
                    )))
                }
            },
            "verify" => {
                self.verify = match value {
                    "on" | "1" | "yes" | "true" => true,
                    "off" | "0" | "no" | "false" => false,
                    _ => {
                        return Err(ParamError(format!(
                            "bad value '{value}' for JIT parameter 'verify': expected on or off"
                        )))
                    }
                }
            }
            "test_fault" => match value {
                "" | "none" => self.test_fault.clear(),
                "int_add" => self.test_fault = value.to_string(),
                _ => {
                    return Err(ParamError(format!(
                        "unknown test_fault '{value}' (known: int_add, none)"
                    )))
                }
            },
            "off" => self.enabled = false,
            _ => {
                return Err(ParamError(format!(
                    "unknown JIT parameter '{key}' (known: threshold, function_threshold, \
                     trace_eagerness, decay, trace_limit, inlining, loop_longevity, \
                     retrace_limit, max_retrace_guards, bridge_limit, max_unroll_recursion, enable_opts, \
                     backend, verify, test_fault)"
                )))
            }
        }
        Ok(())
    }

    /// The `--jit` help: every parameter with its default (PyPy's names).
    pub fn help_text() -> String {
        let d = JitParams::default();
        let rows: [(&str, String, &str); 16] = [
            (
                "threshold",
                d.threshold.to_string(),
                "back-edges before a loop is traced",
            ),
            (
                "function_threshold",
                d.function_threshold.to_string(),
                "calls before a function entry is traced",
            ),
            (
                "trace_eagerness",
                d.trace_eagerness.to_string(),
                "guard failures before a bridge is traced",
            ),
            (
                "decay",
                d.decay.to_string(),
                "per mille taken off hot counters per compile",
            ),
            (
                "trace_limit",
                d.trace_limit.to_string(),
                "maximum ops in one trace",
            ),
            (
                "inlining",
                (d.inlining as u8).to_string(),
                "inline guest calls while tracing (0 or 1)",
            ),
            (
                "loop_longevity",
                d.loop_longevity.to_string(),
                "generations an unused loop is kept (0: forever)",
            ),
            (
                "retrace_limit",
                d.retrace_limit.to_string(),
                "retraces of one loop",
            ),
            (
                "max_retrace_guards",
                d.max_retrace_guards.to_string(),
                "guards a retraced loop may have",
            ),
            (
                "bridge_limit",
                d.bridge_limit.to_string(),
                "bridges of one loop tree (0: no limit)",
            ),
            (
                "max_unroll_recursion",
                d.max_unroll_recursion.to_string(),
                "depth of inlined recursive calls",
            ),
            (
                "enable_opts",
                d.enable_opts.clone(),
                "optimizer passes, ':'-separated",
            ),
            (
                "backend",
                d.backend.clone(),
                "auto | native | llgraph | x86 | aarch64",
            ),
            (
                "verify",
                "off".to_string(),
                "check compiled loops against the interpreter (on | off)",
            ),
            (
                "test_fault",
                "none".to_string(),
                "test-only miscompile for verify's tests (int_add | none)",
            ),
            ("off", String::new(), "turn the JIT off ('--jit off')"),
        ];
        let mut out = String::from(
            "JIT parameters: 'off', 'on' (= 'default'), or key=value,... (PyPy's set_param names):\n",
        );
        for (k, v, what) in rows {
            if v.is_empty() {
                out += &format!("  {k:<22} {what}\n");
            } else {
                out += &format!("  {k:<22} {what} [default: {v}]\n");
            }
        }
        out += &format!("  (optimizer passes: {})", ALL_OPTS.join(":"));
        out
    }

    /// Is optimizer pass `name` enabled?
    pub fn opt_enabled(&self, name: &str) -> bool {
        self.enable_opts == "all" || self.enable_opts.split(':').any(|n| n == name)
    }

    /// Inline frames allowed below the trace's own frame.
    pub(crate) fn max_inline_depth(&self) -> usize {
        if self.inlining {
            self.max_unroll_recursion as usize
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_pypys() {
        let p = JitParams::default();
        assert_eq!(
            (
                p.threshold,
                p.function_threshold,
                p.trace_eagerness,
                p.decay,
                p.trace_limit
            ),
            (1039, 1619, 200, 40, 6000)
        );
        assert_eq!(
            (p.loop_longevity, p.retrace_limit, p.max_retrace_guards),
            (1000, 0, 15)
        );
        assert_eq!((p.max_unroll_recursion, p.bridge_limit), (7, 100));
        assert!(p.inlining && p.enabled && p.enable_opts == "all");
    }

    #[test]
    fn parses_lists_off_and_default() {
        let p = JitParams::parse("threshold=3,trace_eagerness=5, inlining=0").unwrap();
        assert_eq!((p.threshold, p.trace_eagerness, p.inlining), (3, 5, false));
        assert!(!JitParams::parse("off").unwrap().enabled);
        assert_eq!(JitParams::parse("default").unwrap(), JitParams::default());
        assert_eq!(JitParams::parse("on").unwrap(), JitParams::default());
        assert!(JitParams::parse("on,threshold=5").unwrap().enabled);
        let p = JitParams::parse("enable_opts=intbounds:rewrite").unwrap();
        assert!(p.opt_enabled("rewrite") && !p.opt_enabled("unroll"));
    }

    #[test]
    fn errors_name_the_culprit() {
        let e = JitParams::parse("treshold=3").unwrap_err();
        assert!(e.0.contains("unknown JIT parameter 'treshold'"), "{e}");
        let e = JitParams::parse("threshold=abc").unwrap_err();
        assert!(e.0.contains("'abc'") && e.0.contains("'threshold'"), "{e}");
        let e = JitParams::parse("threshold").unwrap_err();
        assert!(e.0.contains("expected key=value"), "{e}");
        let e = JitParams::parse("enable_opts=rewrite:magic").unwrap_err();
        assert!(e.0.contains("'magic'"), "{e}");
        let e = JitParams::parse("enable_opts=rewrite:string").unwrap_err();
        assert!(
            e.0.contains("'string'") && e.0.contains("needs no such pass"),
            "{e}"
        );
        let e = JitParams::parse("verify=maybe").unwrap_err();
        assert!(e.0.contains("'maybe'") && e.0.contains("'verify'"), "{e}");
        assert!(JitParams::parse("verify=on").unwrap().verify);
        let e = JitParams::parse("backend=sparc").unwrap_err();
        assert!(e.0.contains("'sparc'"), "{e}");
    }
}
