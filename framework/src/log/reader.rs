//! Reading a log back: the sections [`Log`](super::Log) wrote, in order.
//!
//! Owns: splitting a log's text into [`Section`]s (category, stamps,
//! where it is, body text) by the `format` grammar, and
//! finding where a log that was cut short (the program was killed or
//! crashed) stops ([`Cut`]). It does not interpret bodies; that is the
//! reader's business (`mtlog`), with [`TraceHeader`](super::TraceHeader)
//! for optimized traces.
//!
//! A cut log is not an error: every section before the cut is returned,
//! and [`Contents::cut`] says where it stops. Only structure the writer
//! never produces is an error (a section opened inside another, a close
//! without its open). Nothing here panics on any input.

use super::format::{self, Marker};
use std::fmt;

/// One complete section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    /// The section's category (`jit-log-opt-loop`, ...).
    pub category: &'a str,
    /// The stamp of the opening marker (nanoseconds since the log was
    /// opened).
    pub opened: u64,
    /// The stamp of the closing marker.
    pub closed: u64,
    /// The 1-based line of the opening marker.
    pub line: usize,
    /// The byte offset of the opening marker in the text.
    pub offset: usize,
    /// The lines between the markers, each with its `\n`.
    pub body: &'a str,
}

impl<'a> Section<'a> {
    /// The 1-based line of the body's first line.
    pub fn body_line(&self) -> usize {
        self.line + 1
    }
    /// The body's lines with their 1-based line numbers (no `\n`, no `\r`).
    pub fn lines(&self) -> impl Iterator<Item = (usize, &'a str)> + 'a {
        let first = self.body_line();
        self.body
            .lines()
            .enumerate()
            .map(move |(i, l)| (first + i, l.strip_suffix('\r').unwrap_or(l)))
    }
}

/// Where a log that does not end with the `end of log` line stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The section the cut falls in, if it falls in one: its category and
    /// the line and byte offset of its opening marker, and how many body
    /// lines (complete or not) made it.
    pub in_section: Option<OpenSection>,
    /// The category and closing line of the last complete section.
    pub after: Option<(String, usize)>,
    /// The 1-based line the text ends on (the last line, complete or not;
    /// 0 for an empty text).
    pub line: usize,
    /// The byte length of the text.
    pub offset: usize,
    /// The last line has no `\n`: the cut falls inside a line.
    pub mid_line: bool,
}

/// A section that was opened and not closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSection {
    /// The section's category.
    pub category: String,
    /// The 1-based line of its opening marker.
    pub line: usize,
    /// The byte offset of its opening marker.
    pub offset: usize,
    /// How many body lines (complete or not) follow the marker.
    pub body_lines: usize,
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the log is cut at line {} (byte {})",
            self.line, self.offset
        )?;
        if self.mid_line {
            write!(f, ", inside a line")?;
        }
        match &self.in_section {
            Some(s) => write!(
                f,
                ", in section `{}` opened at line {} (byte {}) after {} body line{}; that section is left out",
                s.category,
                s.line,
                s.offset,
                s.body_lines,
                if s.body_lines == 1 { "" } else { "s" }
            )?,
            None => match &self.after {
                Some((cat, line)) => write!(
                    f,
                    ", after section `{cat}` closed at line {line} (no `end of log` line)"
                )?,
                None => write!(f, ", before any section (no `end of log` line)")?,
            },
        }
        write!(
            f,
            "; showing what is there (the program was probably killed or crashed)"
        )
    }
}

/// Everything read from a log's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents<'a> {
    /// The complete sections, in order.
    pub sections: Vec<Section<'a>>,
    /// The `end of log` line was found: the log was closed normally.
    pub ended: bool,
    /// Where the log stops when it was not closed normally.
    pub cut: Option<Cut>,
}

/// Structure the writer never produces, with the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The 1-based line of the offending marker.
    pub line: usize,
    /// What is wrong there.
    pub msg: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for ReadError {}

/// Splits a log's text into its sections. Lines outside sections that are
/// not markers (program output on a shared stderr) are skipped; whatever
/// follows the `end of log` line is ignored.
pub fn read(text: &str) -> Result<Contents<'_>, ReadError> {
    let mut out = Contents::default();
    // (category, stamp, line, offset of the marker, offset of the body)
    let mut open: Option<(&str, u64, usize, usize, usize)> = None;
    let mut after: Option<(String, usize)> = None;
    let mut offset = 0usize;
    let mut line_no = 0usize;
    let mut mid_line = false;
    while offset < text.len() {
        line_no += 1;
        let start = offset;
        let (line, next) = match text[start..].find('\n') {
            Some(i) => (&text[start..start + i], start + i + 1),
            None => {
                // No newline: the text was cut inside this line, which is
                // never a marker (a cut `{jit-tracing` could read as
                // `{jit-trac`).
                mid_line = true;
                break;
            }
        };
        offset = next;
        match format::marker(line) {
            Some(Marker::Open { stamp, category }) => {
                if let Some((cat, _, l, _, _)) = open {
                    return Err(ReadError {
                        line: line_no,
                        msg: format!(
                            "section `{category}` opens inside section `{cat}` opened at line {l} (sections do not nest)"
                        ),
                    });
                }
                open = Some((category, stamp, line_no, start, next));
            }
            Some(Marker::Close { stamp, category }) => {
                let Some((cat, opened, l, at, body)) = open.take() else {
                    return Err(ReadError {
                        line: line_no,
                        msg: format!("`{category}}}` closes a section that was never opened"),
                    });
                };
                if cat != category {
                    return Err(ReadError {
                        line: line_no,
                        msg: format!("`{category}}}` closes section `{cat}` opened at line {l}"),
                    });
                }
                out.sections.push(Section {
                    category: cat,
                    opened,
                    closed: stamp,
                    line: l,
                    offset: at,
                    body: &text[body..start],
                });
                after = Some((cat.to_string(), line_no));
            }
            Some(Marker::End { .. }) if open.is_none() => {
                out.ended = true;
                return Ok(out);
            }
            // `end of log` inside a section is body text, as is any other
            // line there.
            Some(Marker::End { .. }) | None => {}
        }
    }
    let in_section = open.map(|(cat, _, l, at, body)| OpenSection {
        category: cat.to_string(),
        line: l,
        offset: at,
        body_lines: text[body..].lines().count(),
    });
    out.cut = Some(Cut {
        in_section,
        after,
        line: line_no,
        offset: text.len(),
        mid_line,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{cat, Log, TraceHeader};
    use super::*;

    /// Writes sections through the real writer; returns the file's text.
    fn written(name: &str, sections: &[(&str, &str)]) -> String {
        let path =
            std::env::temp_dir().join(format!("mtlog-reader-{}-{name}.log", std::process::id()));
        let log = Log::from_spec(&format!("jit,gc:{}", path.display()));
        for (c, body) in sections {
            let body = body.to_string();
            log.section(c, move || body);
        }
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(path);
        text
    }

    const SECTIONS: &[(&str, &str)] = &[
        (
            cat::OPT_LOOP,
            "# Loop 3 (f:1) : loop with 1 ops\n[i0]\njump(i0)\n",
        ),
        (cat::ABORT, "too long: f:1 (started at f:1)"),
        (cat::GC, ""),
        (cat::SUMMARY, "Tracing: 1 0.000001\nend of log\n"),
    ];

    #[test]
    fn round_trip() {
        let text = written("round-trip", SECTIONS);
        let r = read(&text).unwrap();
        assert!(r.ended && r.cut.is_none(), "{text}");
        assert_eq!(r.sections.len(), SECTIONS.len());
        let mut line = 1;
        let mut last = 0;
        for (s, (c, body)) in r.sections.iter().zip(SECTIONS) {
            assert_eq!(s.category, *c);
            let want = if body.is_empty() || body.ends_with('\n') {
                body.to_string()
            } else {
                format!("{body}\n")
            };
            assert_eq!(s.body, want);
            assert_eq!(s.line, line);
            assert!(text[s.offset..].starts_with(&format::open(s.opened, c)));
            assert!(s.opened <= s.closed && last <= s.opened);
            last = s.closed;
            line += 2 + s.body.lines().count();
        }
        let first: Vec<_> = r.sections[0].lines().collect();
        assert_eq!(first[0], (2, "# Loop 3 (f:1) : loop with 1 ops"));
        assert!(matches!(
            TraceHeader::parse(first[0].1, false),
            Some(TraceHeader::Loop { id: 3, ops: 1, .. })
        ));
    }

    #[test]
    fn cuts() {
        let text = written("cuts", SECTIONS);
        let r = read(&text).unwrap();
        let second = &r.sections[1];
        // Between two sections: at the start of the third.
        let cut = &text[..r.sections[2].offset];
        let c = read(cut).unwrap();
        assert_eq!(c.sections, r.sections[..2]);
        let at = c.cut.unwrap();
        assert_eq!(at.in_section, None);
        assert_eq!(at.after, Some((cat::ABORT.to_string(), second.line + 2)));
        assert_eq!(
            (at.line, at.offset, at.mid_line),
            (second.line + 2, cut.len(), false)
        );
        assert!(at.to_string().contains("after section `jit-abort`"), "{at}");
        // In the middle of the first section's second body line.
        let mid = r.sections[0].offset + text[r.sections[0].offset..].find("[i0]").unwrap() + 2;
        let c = read(&text[..mid]).unwrap();
        assert!(c.sections.is_empty() && !c.ended);
        let at = c.cut.unwrap();
        let s = at.in_section.clone().unwrap();
        assert_eq!(
            (s.category.as_str(), s.line, s.offset, s.body_lines),
            (cat::OPT_LOOP, 1, 0, 2)
        );
        assert_eq!((at.line, at.offset, at.mid_line), (3, mid, true));
        assert!(
            at.to_string()
                .contains("in section `jit-log-opt-loop` opened at line 1"),
            "{at}"
        );
        // Inside a closing marker: the section is not complete.
        let close =
            r.sections[1].offset + text[r.sections[1].offset..].find("jit-abort}").unwrap() + 5;
        let c = read(&text[..close]).unwrap();
        assert_eq!(c.sections, r.sections[..1]);
        assert_eq!(c.cut.unwrap().in_section.unwrap().category, cat::ABORT);
        // Every prefix reads without error.
        for n in 0..text.len() {
            let c = read(&text[..n]).unwrap();
            assert!(c.cut.is_some() && !c.ended, "{n}");
        }
        assert_eq!(read("").unwrap().cut.unwrap().line, 0);
    }

    #[test]
    fn structure_errors() {
        let e = read("[1] {gc\n[2] {jit-abort\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = read("[1] gc}\n").unwrap_err();
        assert!(e.msg.contains("never opened"), "{e}");
        let e = read("[1] {gc\n[2] jit-abort}\n").unwrap_err();
        assert!(e.msg.contains("closes section `gc`"), "{e}");
        // Other text outside sections and after the end is ignored.
        let r = read("hello\n[1] {gc\nx\n[2] gc}\nworld\n[3] end of log\n[4] {gc\n").unwrap();
        assert!(r.ended && r.sections.len() == 1 && r.sections[0].body == "x\n");
        assert_eq!(r.sections[0].line, 2);
    }
}
