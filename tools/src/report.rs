//! The text reports of `mtlog`: `summary`, `traces` and `guards`.
//!
//! Owns: rendering a parsed [`Log`] as plain text. Each function returns a
//! `String` (the binary prints it), so the reports are easy to snapshot.

use crate::logfile::{Log, Trace, TraceId};
use std::collections::BTreeMap;
use std::fmt::Write;

/// `mtlog summary`.
pub fn summary(log: &Log) -> String {
    let mut s = String::new();
    let loop_sections = log.loops().count() as u64;
    let bridge_sections = log.bridges().count() as u64;
    let sum = log.summary.as_ref();
    let count_line =
        |s: &mut String, what: &str, from_summary: Option<u64>, sections: u64| match from_summary {
            Some(n) if n != sections => {
                let _ = writeln!(s, "{what:<16}{n}  ({sections} in jit-log-opt sections)");
            }
            Some(n) => {
                let _ = writeln!(s, "{what:<16}{n}");
            }
            None => {
                let _ = writeln!(
                    s,
                    "{what:<16}{sections}  (counted from jit-log-opt sections)"
                );
            }
        };
    count_line(&mut s, "loops:", sum.and_then(|x| x.loops), loop_sections);
    count_line(
        &mut s,
        "bridges:",
        sum.and_then(|x| x.bridges),
        bridge_sections,
    );

    // Aborts: the summary's counters when present, else the jit-abort sections.
    let mut aborts: BTreeMap<String, u64> = BTreeMap::new();
    let from_summary = sum.is_some_and(|x| !x.aborts.is_empty());
    if let Some(x) = sum.filter(|_| from_summary) {
        aborts = x.aborts.clone();
    } else {
        for a in &log.aborts {
            *aborts.entry(a.reason.clone()).or_default() += 1;
        }
    }
    let total: u64 = aborts.values().sum();
    let _ = writeln!(s, "{:<16}{total}", "aborts:");
    let mut by_count: Vec<_> = aborts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (reason, n) in by_count {
        let _ = writeln!(s, "  {reason:<28}{n}");
    }
    match sum.and_then(|x| x.guard_failures) {
        Some(n) => {
            let _ = writeln!(s, "{:<16}{n}", "guard failures:");
        }
        None => match &log.counts {
            Some(c) => {
                let _ = writeln!(
                    s,
                    "{:<16}{}  (from jit-backend-counts)",
                    "guard failures:",
                    c.guards.values().sum::<u64>()
                );
            }
            None => {
                let _ = writeln!(s, "{:<16}unknown (no jit-summary)", "guard failures:");
            }
        },
    }
    if let Some(x) = sum {
        if let Some(n) = x.invalidated {
            let _ = writeln!(s, "{:<16}{n}", "invalidated:");
        }
        if let (Some(a), Some(b)) = (x.ops, x.opt_ops) {
            let _ = writeln!(s, "{:<16}{a} recorded, {b} after optimization", "ops:");
        }
        if let (Some(a), Some(b)) = (x.guards, x.opt_guards) {
            let _ = writeln!(s, "{:<16}{a} recorded, {b} after optimization", "guards:");
        }
        for (k, v) in &x.other {
            let _ = writeln!(s, "{:<16}{v}", format!("{k}:"));
        }
    }
    s.push('\n');
    match sum {
        Some(x) if x.total.is_some() || x.running.is_some() => time_split(&mut s, x),
        Some(_) => s.push_str("time: the jit-summary section has no timings\n"),
        None => s.push_str("time: no jit-summary section in this log (enable it with METATRACE_LOG=jit-summary,...)\n"),
    }
    if let Some(p) = &log.profile {
        profile(&mut s, log, p);
    }
    s
}

/// The `jit-profile` part of the summary: where the samples fell and
/// the hottest traces and ops.
fn profile(s: &mut String, log: &Log, p: &crate::logfile::Profile) {
    s.push('\n');
    if let Some(why) = &p.unavailable {
        let _ = writeln!(s, "profile: {why}");
        return;
    }
    let pct = |n: u64| 100.0 * n as f64 / p.samples.max(1) as f64;
    let _ = writeln!(
        s,
        "profile ({} samples, one per {} µs{}):",
        p.samples,
        p.interval_us,
        if p.dropped > 0 {
            format!(", {} dropped", p.dropped)
        } else {
            String::new()
        }
    );
    for (name, n) in [
        ("compiled code", p.compiled),
        ("helpers", p.helpers),
        ("elsewhere", p.other),
    ] {
        let _ = writeln!(s, "  {name:<16}{:>6.2}%  {n:>8}", pct(n));
    }
    let mut traces: Vec<_> = p.traces.iter().collect();
    traces.sort_by_key(|(id, n)| (std::cmp::Reverse(**n), **id));
    if !traces.is_empty() {
        s.push_str("hottest traces:\n");
    }
    for (id, n) in traces.iter().take(10) {
        let _ = writeln!(s, "  {:>6.2}%  {n:>8}  {id}", pct(**n));
    }
    let mut ops: Vec<_> = p.ops.iter().collect();
    ops.sort_by_key(|((id, i), n)| (std::cmp::Reverse(**n), *id, *i));
    if !ops.is_empty() {
        s.push_str("hottest ops:\n");
    }
    for ((id, i), n) in ops.iter().take(10) {
        let text = log
            .trace(*id)
            .and_then(|t| t.ops().find(|o| o.index == *i))
            .map_or("?", |o| o.text.as_str());
        let text: String = text.chars().take(80).collect();
        let _ = writeln!(s, "  {:>6.2}%  {n:>8}  {id} op {i}: {text}", pct(**n));
    }
}

fn time_split(s: &mut String, x: &crate::logfile::Summary) {
    let parts: Vec<(&str, Option<f64>)> = vec![
        ("interpreter", x.interpreting),
        ("tracing", x.tracing),
        ("optimizer", x.optimizing),
        ("backend", x.backend),
        ("compiled code", x.running),
        ("GC", x.gc),
    ];
    let sum_parts: f64 = parts.iter().filter_map(|p| p.1).sum();
    let total = x.total.filter(|t| *t > 0.0).unwrap_or(sum_parts);
    let _ = writeln!(s, "time split (total {total:.6} s):");
    for (name, v) in parts {
        let Some(v) = v else { continue };
        let pct = if total > 0.0 { 100.0 * v / total } else { 0.0 };
        let _ = writeln!(s, "  {name:<16}{pct:>6.2}%  {v:>12.6} s");
    }
}

/// One trace, ops grouped under their locations.
pub fn write_trace(s: &mut String, log: &Log, t: &Trace) {
    let guards = t.guard_ids().count();
    match t.id {
        TraceId::Loop(_) => {
            let _ = writeln!(
                s,
                "=== {}{} at {} : {} ops, {guards} guards",
                t.id,
                if t.kind == "loop" {
                    String::new()
                } else {
                    format!(" ({})", t.kind)
                },
                t.location.as_deref().unwrap_or("?"),
                t.op_count()
            );
        }
        TraceId::Bridge(g) => {
            let from = match log.guard_owner(g) {
                Some(o) => {
                    let loc = o.guard_location(g).and_then(|(l, _)| l).unwrap_or("?");
                    format!("in {} at {loc}", o.id)
                }
                None => "owner not in this log".to_string(),
            };
            let _ = writeln!(
                s,
                "=== {} ({from}) : {} ops, {guards} guards",
                t.id,
                t.op_count()
            );
        }
    }
    if let Some(c) = &log.counts {
        let n = match t.id {
            TraceId::Loop(n) => c.loops.get(&n),
            TraceId::Bridge(g) => c.bridges.get(&g),
        };
        if let Some(n) = n {
            let _ = writeln!(s, "    entered {n} times");
        }
    }
    let _ = writeln!(s, "    inputs {}", t.inputargs);
    let children = log.children(t);
    if !children.is_empty() {
        let list: Vec<String> = children.iter().map(|c| c.id.to_string()).collect();
        let _ = writeln!(s, "    bridges: {}", list.join(", "));
    }
    for b in &t.blocks {
        match &b.location {
            Some(l) => {
                let _ = writeln!(s, "  -- {l}");
            }
            None => s.push_str("  -- (entry)\n"),
        }
        for op in &b.ops {
            let mut note = String::new();
            if let Some(g) = op.guard {
                if log.trace(TraceId::Bridge(g)).is_some() {
                    note += "   <- bridge";
                }
                if let Some(n) = log.counts.as_ref().and_then(|c| c.guards.get(&g)) {
                    let _ = write!(note, "   <- failed {n}");
                }
            }
            let _ = writeln!(s, "       {}{note}", op.text);
        }
    }
}

/// `mtlog traces`: all traces, or the selected loop / bridge.
pub fn traces(
    log: &Log,
    only_loop: Option<u64>,
    only_bridge: Option<u64>,
) -> Result<String, String> {
    let mut s = String::new();
    let wanted: Vec<&Trace> = log
        .traces
        .iter()
        .filter(|t| match (only_loop, only_bridge, t.id) {
            (None, None, _) => true,
            (Some(n), _, TraceId::Loop(m)) => n == m,
            (_, Some(g), TraceId::Bridge(h)) => g == h,
            _ => false,
        })
        .collect();
    if wanted.is_empty() && log.cut.is_some() && only_loop.is_none() && only_bridge.is_none() {
        // A log cut short may simply stop before its first trace: show
        // that (the cut itself is noted on stderr), not an error.
        return Ok("(no complete optimized loop or bridge before the cut)\n".to_string());
    }
    if wanted.is_empty() {
        return Err(match (only_loop, only_bridge) {
            (Some(n), _) => format!("no Loop {n} in this log{}", available(log)),
            (_, Some(g)) => format!("no bridge out of Guard {g} in this log{}", available(log)),
            _ => "no optimized loops or bridges in this log (enable jit-log-opt)".to_string(),
        });
    }
    for (i, t) in wanted.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        write_trace(&mut s, log, t);
    }
    Ok(s)
}

fn available(log: &Log) -> String {
    let ids: Vec<String> = log.traces.iter().map(|t| t.id.to_string()).collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (it has: {})", ids.join(", "))
    }
}

/// A guard worth looking at.
pub struct GuardRank<'a> {
    pub guard: u64,
    pub owner: Option<&'a Trace>,
    pub failed: Option<u64>,
    pub bridge: Option<&'a Trace>,
}

/// Guards ranked: by failure count when the log has `jit-backend-counts`,
/// else the guards bridges were compiled from (they failed
/// `trace_eagerness` times), the longest bridge first.
pub fn rank_guards(log: &Log) -> Vec<GuardRank<'_>> {
    let mut out: Vec<GuardRank> = Vec::new();
    if let Some(c) = log.counts.as_ref().filter(|c| !c.guards.is_empty()) {
        for (&g, &n) in &c.guards {
            out.push(GuardRank {
                guard: g,
                owner: log.guard_owner(g),
                failed: Some(n),
                bridge: log.trace(TraceId::Bridge(g)),
            });
        }
        out.sort_by(|a, b| b.failed.cmp(&a.failed).then(a.guard.cmp(&b.guard)));
    } else {
        for b in log.bridges() {
            let TraceId::Bridge(g) = b.id else { continue };
            out.push(GuardRank {
                guard: g,
                owner: log.guard_owner(g),
                failed: None,
                bridge: Some(b),
            });
        }
        out.sort_by(|a, b| {
            let n = |r: &GuardRank| r.bridge.map_or(0, |t| t.op_count());
            n(b).cmp(&n(a)).then(a.guard.cmp(&b.guard))
        });
    }
    out
}

/// `mtlog guards`.
pub fn guards(log: &Log, limit: usize) -> String {
    let mut s = String::new();
    let ranked = rank_guards(log);
    let total_guards: usize = log.traces.iter().map(|t| t.guard_ids().count()).sum();
    if log.counts.as_ref().is_some_and(|c| !c.guards.is_empty()) {
        let _ = writeln!(
            s,
            "guards by failure count (jit-backend-counts), {} of {total_guards} guards failed:",
            ranked.len()
        );
    } else {
        let _ = writeln!(
            s,
            "no per-guard failure counts in this log (jit-backend-counts); ranking the {} guards with bridges\n\
             (a bridge is compiled once its guard failed trace_eagerness times), {total_guards} guards in all:",
            ranked.len()
        );
        if let Some(n) = log.summary.as_ref().and_then(|x| x.guard_failures) {
            let _ = writeln!(s, "guard failures in all (jit-summary): {n}");
        }
    }
    if ranked.is_empty() {
        s.push_str("\n(no guard failed often enough to get a bridge)\n");
    }
    for r in ranked.iter().take(limit) {
        s.push('\n');
        let failed = r
            .failed
            .map(|n| format!(", failed {n} times"))
            .unwrap_or_default();
        let _ = writeln!(s, "Guard {}{failed}", r.guard);
        match r.owner {
            Some(o) => {
                let (loc, op) = o
                    .guard_location(r.guard)
                    .map(|(l, op)| (l.unwrap_or("(entry)"), op.text.as_str()))
                    .unwrap_or(("?", "?"));
                let root = log
                    .root_loop(o)
                    .filter(|l| l.id != o.id)
                    .map(|l| format!(" (in {})", l.id))
                    .unwrap_or_default();
                let _ = writeln!(s, "  in {}{root}", o.id);
                let _ = writeln!(s, "  at {loc}");
                let _ = writeln!(s, "  op {op}");
            }
            None => s.push_str("  owner not in this log\n"),
        }
        match r.bridge {
            Some(b) => {
                let locs: Vec<&str> = b
                    .blocks
                    .iter()
                    .filter_map(|bl| bl.location.as_deref())
                    .collect();
                let _ = writeln!(
                    s,
                    "  bridge: {} ops through {} locations",
                    b.op_count(),
                    locs.len()
                );
                let mut t = String::new();
                write_trace(&mut t, log, b);
                for line in t.lines() {
                    let _ = writeln!(s, "  | {line}");
                }
            }
            None => s.push_str("  no bridge compiled\n"),
        }
    }
    if ranked.len() > limit {
        let _ = writeln!(s, "\n... {} more (use --limit)", ranked.len() - limit);
    }
    s
}
