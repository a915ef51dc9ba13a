//! Parser for PyPy's jit-log-opt text form (DESIGN §5).
//!
//! Owns: turning trace text back into a `Trace` — what `print.rs` writes
//! (so `print(parse(s)) == s` for printed traces) and hand-written test
//! traces in the style of PyPy's optimizer tests:
//!
//! ```text
//! # comments and blank lines are ignored, so is leading whitespace
//! [i0, p0]
//! i1 = int_add(i0, 1)
//! i2 = getfield_gc_i(p0, descr=xdescr)   # bare descr names work too
//! guard_true(i1, descr=<Guard1>) [i0, p0]
//! jump(i1, p0, descr=TargetToken(1))
//! ```
//!
//! Rules, and why:
//! - The first significant line is the inputargs list `[...]`.
//! - A variable's kind comes from its first letter: `i` Int, `f` Float,
//!   `p` or `r` Ref. A name is the whole token, so `i0` and `p0` are two
//!   variables. The first definition of each number keeps it as its `Var`
//!   index (that is what makes printed traces round-trip); later clashes
//!   and non-numeric names get fresh indices above all kept ones. Unused
//!   indices in `Trace::kinds` are `Kind::Void`.
//! - Named descrs are looked up by name in the caller's `DescrTable`, both
//!   `descr=<FieldS Point.x 8>` (only the tag family and the name are read;
//!   offsets and sizes are for humans and may go stale) and bare
//!   `descr=xdescr`. `<GuardN>` and `TargetToken(N)` are built from N.
//! - The parser checks what it needs to build a well-formed `Op` and what
//!   only it can report with a line number: known op names, arity, a result
//!   name iff the op has a result (with the matching kind prefix), every
//!   variable defined once and before use, strings only in
//!   `debug_merge_point`. Everything else (operand kinds, descr families,
//!   guard descrs, ...) is `verify`'s job, so tests can parse malformed
//!   traces to feed the verifier. Guards without a descr are kept as such.
//! - A guard's `Op::virtuals` follow its fail args in the printer's form
//!   (`virtuals=[@1 = new(Node) {Node.x=@0}]`); whether slots and indices
//!   make sense is `verify`'s job.
//! - It never panics: any input gives a `Trace` or a `ParseError`.

use super::print::CANONICAL_NAN;
use super::{
    Descr, DescrTable, GuardId, Kind, Op, OpNum, Operand, TargetToken, Trace, Var, VirtualAlloc,
    VirtualField, VirtualInfo,
};
use hashbrown::{HashMap, HashSet};
use smallvec::SmallVec;
use std::fmt;

/// A parse failure at a 1-based line and column of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub col: usize,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for ParseError {}

/// Variable numbers above this get fresh indices instead of being kept:
/// `i4000000000` must not make us allocate a four-billion-entry kind table.
/// Real traces are bounded by `trace_limit`, far below this.
const MAX_KEPT_INDEX: u32 = 1 << 20;

/// Parses a whole trace. Named descrs are resolved through `descrs`.
pub fn parse_trace(text: &str, descrs: &DescrTable) -> Result<Trace, ParseError> {
    let mut inputargs: Option<Vec<Name>> = None;
    let mut ops: Vec<RawOp> = Vec::new();
    let mut last_line = 0;
    for (i, line) in text.lines().enumerate() {
        last_line = i + 1;
        let mut cur = Cursor {
            chars: line.chars().collect(),
            pos: 0,
            line: i + 1,
            descrs,
        };
        if cur.at_end() {
            continue;
        }
        if inputargs.is_none() {
            inputargs = Some(cur.inputargs_line()?);
        } else {
            ops.push(cur.op_line()?);
        }
    }
    let Some(inputargs) = inputargs else {
        return Err(ParseError {
            line: last_line.max(1),
            col: 1,
            msg: "expected the inputargs line `[i0, p1, ...]` before anything else".into(),
        });
    };
    build(inputargs, ops)
}

/// A variable name as written, with where it was written.
struct Name {
    text: String,
    kind: Kind,
    line: usize,
    col: usize,
}

enum ArgKind {
    Var(Name),
    Const(Operand),
    Str(String),
}

struct Arg {
    arg: ArgKind,
    col: usize,
}

/// An op line after syntax, before variable names are resolved.
struct RawOp {
    line: usize,
    res: Option<Name>,
    opnum: OpNum,
    args: Vec<Arg>,
    comment: Option<String>,
    descr: Option<Descr>,
    fail_args: Option<Vec<Arg>>,
    virtuals: Option<Vec<VirtualInfo>>,
}

/// Kind given by a variable name's first letter, if `s` is a variable name.
fn var_kind(s: &str) -> Option<Kind> {
    let mut it = s.chars();
    let kind = match it.next()? {
        'i' => Kind::Int,
        'f' => Kind::Float,
        'p' | 'r' => Kind::Ref,
        _ => return None,
    };
    let rest = it.as_str();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some(kind)
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Int => "an int",
        Kind::Float => "a float",
        Kind::Ref => "a ref",
        Kind::Void => "no",
    }
}

fn descr_family(d: &Descr) -> &'static str {
    match d {
        Descr::Field(_) => "field",
        Descr::Array(_) => "array",
        Descr::Size(_) => "size",
        Descr::Call(_) => "call",
        Descr::Guard(_) => "guard",
        Descr::Target(_) => "target",
    }
}

/// Unsigned number in decimal or `0x` hex.
fn parse_uint(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Signed number in decimal or `0x` hex; hex is read as the 64-bit pattern
/// (`ConstClass(0xffffffffffffffff)` is -1), as the printer writes it.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if body.starts_with("0x") || body.starts_with("0X") {
        let u = parse_uint(body)? as i64;
        Some(if neg { u.wrapping_neg() } else { u })
    } else {
        s.parse().ok()
    }
}

/// Characters that end a bare token.
fn is_delim(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ',' | '(' | ')' | '[' | ']' | '<' | '>' | '=' | '#' | '\'' | '"'
        )
}

/// One line being parsed. Works on chars so that columns and slicing can
/// never split a UTF-8 sequence.
struct Cursor<'a> {
    chars: Vec<char>,
    pos: usize,
    line: usize,
    descrs: &'a DescrTable,
}

impl Cursor<'_> {
    fn err<T>(&self, pos: usize, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            line: self.line,
            col: pos + 1,
            msg: msg.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Nothing but whitespace and maybe a `#` comment is left.
    fn at_end(&mut self) -> bool {
        self.skip_ws();
        matches!(self.peek(), None | Some('#'))
    }

    /// What the next thing is, for error messages.
    fn found(&self) -> String {
        match self.peek() {
            None => "end of line".into(),
            Some(_) => {
                let s: String = self.chars[self.pos..].iter().take(20).collect();
                format!("'{s}'")
            }
        }
    }

    fn expect(&mut self, c: char, context: &str) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(
                self.pos,
                format!("expected '{c}' {context}, found {}", self.found()),
            )
        }
    }

    fn expect_end(&mut self) -> Result<(), ParseError> {
        if self.at_end() {
            Ok(())
        } else {
            self.err(
                self.pos,
                format!("unexpected {} at end of line", self.found()),
            )
        }
    }

    /// A bare token (possibly empty) and its start position.
    fn word(&mut self) -> (String, usize) {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(|c| !is_delim(c)) {
            self.pos += 1;
        }
        (self.chars[start..self.pos].iter().collect(), start)
    }

    /// `[a, b, c]` after the `[`, as parsed by `item`; may be empty.
    fn list<T>(
        &mut self,
        what: &str,
        mut item: impl FnMut(&mut Self) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => {
                    return self.err(
                        self.pos,
                        format!("expected ',' or ']' in {what}, found {}", self.found()),
                    )
                }
            }
        }
    }

    fn var_name(&mut self, context: &str) -> Result<Name, ParseError> {
        let (text, col) = self.word();
        match var_kind(&text) {
            Some(kind) => Ok(Name {
                text,
                kind,
                line: self.line,
                col: col + 1,
            }),
            None if text.is_empty() => self.err(
                col,
                format!("expected a variable name {context}, found {}", self.found()),
            ),
            None => self.err(
                col,
                format!("'{text}' is not a variable name (i.., f.., p.. or r..)"),
            ),
        }
    }

    fn inputargs_line(&mut self) -> Result<Vec<Name>, ParseError> {
        self.skip_ws();
        if self.peek() != Some('[') {
            return self.err(
                self.pos,
                format!(
                    "expected the inputargs line `[i0, p1, ...]` first, found {}",
                    self.found()
                ),
            );
        }
        self.pos += 1;
        let names = self.list("the inputargs", |c| c.var_name("in the inputargs"))?;
        self.expect_end()?;
        Ok(names)
    }

    fn op_line(&mut self) -> Result<RawOp, ParseError> {
        let (first, first_pos) = self.word();
        self.skip_ws();
        let (res, name, name_pos) = if self.peek() == Some('=') {
            let Some(kind) = var_kind(&first) else {
                return self.err(
                    first_pos,
                    format!("expected a result variable before '=', found '{first}'"),
                );
            };
            self.pos += 1;
            let res = Name {
                text: first,
                kind,
                line: self.line,
                col: first_pos + 1,
            };
            let (name, pos) = self.word();
            (Some(res), name, pos)
        } else {
            (None, first, first_pos)
        };
        if name.is_empty() {
            return self.err(
                name_pos,
                format!("expected an operation name, found {}", self.found()),
            );
        }
        let Some(opnum) = OpNum::from_name(&name) else {
            return self.err(name_pos, format!("unknown operation '{name}'"));
        };
        self.expect('(', &format!("after '{name}'"))?;

        let mut args = Vec::new();
        let mut descr = None;
        self.skip_ws();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                if descr.is_some() {
                    return self.err(self.pos, "descr= must be the last argument");
                }
                if let Some(d) = self.try_descr()? {
                    descr = Some(d);
                } else {
                    args.push(self.arg()?);
                }
                self.skip_ws();
                match self.peek() {
                    Some(',') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        return self.err(
                            self.pos,
                            format!(
                                "expected ',' or ')' in the arguments of {name}, found {}",
                                self.found()
                            ),
                        )
                    }
                }
            }
        }

        self.skip_ws();
        let fail_args = if self.peek() == Some('[') {
            self.pos += 1;
            Some(self.list("the fail args", |c| c.arg())?)
        } else {
            None
        };
        let virtuals = self.try_virtuals()?;
        self.expect_end()?;

        // Strings: only debug_merge_point's location.
        let mut comment = None;
        let mut operands = Vec::with_capacity(args.len());
        for a in args {
            match a.arg {
                ArgKind::Str(s) if opnum == OpNum::DebugMergePoint && comment.is_none() => {
                    comment = Some(s)
                }
                ArgKind::Str(_) if opnum == OpNum::DebugMergePoint => {
                    return self.err(a.col - 1, "debug_merge_point takes only one string")
                }
                ArgKind::Str(_) => {
                    return self.err(
                        a.col - 1,
                        format!(
                            "a string argument is only allowed in debug_merge_point, not in {name}"
                        ),
                    )
                }
                _ => operands.push(a),
            }
        }
        if let Some(fa) = &fail_args {
            if let Some(a) = fa.iter().find(|a| matches!(a.arg, ArgKind::Str(_))) {
                return self.err(a.col - 1, "a string cannot be a fail arg");
            }
        }

        if let Some(n) = opnum.arity() {
            if operands.len() != n {
                return self.err(
                    name_pos,
                    format!(
                        "{name} takes {n} argument{}, got {}",
                        if n == 1 { "" } else { "s" },
                        operands.len()
                    ),
                );
            }
        }

        let rk = opnum.result_kind();
        match &res {
            Some(r) if rk == Kind::Void => {
                return self.err(
                    r.col - 1,
                    format!("{name} has no result, but '{}' is assigned", r.text),
                )
            }
            Some(r) if r.kind != rk => {
                return self.err(
                    r.col - 1,
                    format!(
                        "'{}' is {} variable, but {name} produces {}",
                        r.text,
                        kind_name(r.kind),
                        kind_name(rk)
                    ),
                )
            }
            None if rk != Kind::Void => {
                return self.err(
                    name_pos,
                    format!(
                        "{name} produces {} result: write `{}N = {name}(...)`",
                        kind_name(rk),
                        rk.prefix()
                    ),
                )
            }
            _ => {}
        }

        Ok(RawOp {
            line: self.line,
            res,
            opnum,
            args: operands,
            comment,
            descr,
            fail_args,
            virtuals,
        })
    }

    /// ` virtuals=[@1 = new(Node) {Node.x=@0}, @3 = new_array(ints, 2) {1=@4}]`
    /// if that is what comes next (see `print.rs`).
    fn try_virtuals(&mut self) -> Result<Option<Vec<VirtualInfo>>, ParseError> {
        self.skip_ws();
        let save = self.pos;
        let (w, _) = self.word();
        self.skip_ws();
        if w != "virtuals" || self.peek() != Some('=') {
            self.pos = save;
            return Ok(None);
        }
        self.pos += 1;
        self.expect('[', "to open the virtuals")?;
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Some(out));
        }
        loop {
            let slot = self.fail_arg_ref()?;
            self.expect('=', "after a virtual's slot")?;
            let (what, wpos) = self.vtoken();
            self.expect('(', &format!("after '{what}'"))?;
            let (name, npos) = self.vtoken();
            let alloc = match (what.as_str(), self.descrs.get(&name)) {
                ("new", Some(Descr::Size(d))) => VirtualAlloc::Struct(d),
                ("new_array", Some(Descr::Array(d))) => {
                    self.expect(',', "after the array descr")?;
                    let (n, pos) = self.vtoken();
                    match parse_int(&n) {
                        Some(n) => VirtualAlloc::Array(d, n),
                        None => return self.err(pos, format!("bad array length '{n}'")),
                    }
                }
                ("new" | "new_array", _) => {
                    return self.err(npos, format!("'{name}' is not a {what} descr"))
                }
                _ => return self.err(wpos, format!("expected new or new_array, found '{what}'")),
            };
            self.expect(')', "to close the allocation")?;
            self.expect('{', "to open the fields")?;
            let mut fields = Vec::new();
            self.skip_ws();
            if self.peek() == Some('}') {
                self.pos += 1;
            } else {
                loop {
                    let (key, kpos) = self.vtoken();
                    let field = if let Some(i) = parse_int(&key) {
                        VirtualField::Item(i)
                    } else {
                        match self.descrs.get(&key) {
                            Some(Descr::Field(f)) => VirtualField::Field(f),
                            _ => return self.err(kpos, format!("'{key}' is not a field descr")),
                        }
                    };
                    self.expect('=', "after a virtual's field")?;
                    fields.push((field, self.fail_arg_ref()?));
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('}') => {
                            self.pos += 1;
                            break;
                        }
                        _ => {
                            return self.err(
                                self.pos,
                                format!("expected ',' or '}}' in fields, found {}", self.found()),
                            )
                        }
                    }
                }
            }
            out.push(VirtualInfo {
                slot,
                alloc,
                fields,
            });
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(Some(out));
                }
                _ => {
                    return self.err(
                        self.pos,
                        format!("expected ',' or ']' in virtuals, found {}", self.found()),
                    )
                }
            }
        }
    }

    /// `@N`: fail arg N.
    fn fail_arg_ref(&mut self) -> Result<u32, ParseError> {
        self.expect('@', "before a fail arg number")?;
        let (n, pos) = self.vtoken();
        match n.parse::<u32>() {
            Ok(n) => Ok(n),
            Err(_) => self.err(pos, format!("bad fail arg number '{n}'")),
        }
    }

    /// A token inside `virtuals=[...]`.
    fn vtoken(&mut self) -> (String, usize) {
        self.skip_ws();
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| !is_delim(c) && !matches!(c, '@' | '{' | '}'))
        {
            self.pos += 1;
        }
        (self.chars[start..self.pos].iter().collect(), start)
    }

    /// An operand or a string literal.
    fn arg(&mut self) -> Result<Arg, ParseError> {
        self.skip_ws();
        let start = self.pos;
        if let Some(q @ ('\'' | '"')) = self.peek() {
            let s = self.string(q)?;
            return Ok(Arg {
                arg: ArgKind::Str(s),
                col: start + 1,
            });
        }
        let (w, pos) = self.word();
        if w.is_empty() {
            return self.err(
                pos,
                format!("expected a variable or a constant, found {}", self.found()),
            );
        }
        let arg = if self.peek() == Some('(') {
            ArgKind::Const(self.wrapped_const(&w, pos)?)
        } else if let Some(c) = self.number(&w, pos)? {
            ArgKind::Const(c)
        } else if let Some(kind) = var_kind(&w) {
            ArgKind::Var(Name {
                text: w,
                kind,
                line: self.line,
                col: pos + 1,
            })
        } else {
            return self.err(
                pos,
                format!("expected a variable or a constant, found '{w}'"),
            );
        };
        Ok(Arg { arg, col: pos + 1 })
    }

    /// `ConstPtr(..)`, `ConstClass(..)`, `ConstInt(..)`, `float_bits(..)`,
    /// `ConstFloat(..)`; the cursor is at the `(`.
    fn wrapped_const(&mut self, w: &str, pos: usize) -> Result<Operand, ParseError> {
        self.pos += 1;
        let (inner, ipos) = self.word();
        self.expect(')', &format!("to close {w}("))?;
        let bad = |c: &Self, what: &str| c.err(ipos, format!("bad {what} '{inner}' in {w}(...)"));
        match w {
            "ConstPtr" if inner == "null" => Ok(Operand::ConstPtr(0)),
            "ConstPtr" => match parse_uint(&inner).and_then(|u| usize::try_from(u).ok()) {
                Some(p) => Ok(Operand::ConstPtr(p)),
                None => bad(self, "address"),
            },
            // PyPy's ConstClass is an int constant holding an address.
            "ConstClass" | "ConstInt" => match parse_int(&inner) {
                Some(n) => Ok(Operand::ConstInt(n)),
                None => bad(self, "integer"),
            },
            "float_bits" => match parse_uint(&inner) {
                Some(b) => Ok(Operand::ConstFloat(b)),
                None => bad(self, "bit pattern"),
            },
            "ConstFloat" => match self.number(&inner, ipos)? {
                Some(Operand::ConstFloat(b)) => Ok(Operand::ConstFloat(b)),
                Some(Operand::ConstInt(n)) => Ok(Operand::float(n as f64)),
                _ => bad(self, "float"),
            },
            _ => self.err(pos, format!("unknown constant form '{w}(...)'")),
        }
    }

    /// A numeric literal, or `None` if `w` does not look like one.
    fn number(&self, w: &str, pos: usize) -> Result<Option<Operand>, ParseError> {
        let lower = w.to_ascii_lowercase();
        let body = lower.trim_start_matches(['-', '+']);
        let float_word = matches!(body, "inf" | "infinity" | "nan");
        let starts_numeric = w.starts_with(|c: char| c.is_ascii_digit() || "+-.".contains(c));
        if !float_word && !starts_numeric {
            return Ok(None);
        }
        if body.starts_with("0x") || (!body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()))
        {
            return match parse_int(w) {
                Some(n) => Ok(Some(Operand::ConstInt(n))),
                None => self.err(pos, format!("integer constant '{w}' out of range")),
            };
        }
        if lower == "nan" || lower == "+nan" {
            // Fixed bits: `nan` is exactly what the printer writes for them.
            return Ok(Some(Operand::ConstFloat(CANONICAL_NAN)));
        }
        match w.parse::<f64>() {
            Ok(v) => Ok(Some(Operand::float(v))),
            Err(_) => self.err(pos, format!("bad number '{w}'")),
        }
    }

    /// A quoted string with backslash escapes; the cursor is at the quote.
    fn string(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err(start, "unterminated string");
            };
            self.pos += 1;
            if c == quote {
                return Ok(s);
            }
            if c != '\\' {
                s.push(c);
                continue;
            }
            let esc_pos = self.pos - 1;
            let Some(e) = self.peek() else {
                return self.err(start, "unterminated string");
            };
            self.pos += 1;
            match e {
                '\\' | '\'' | '"' => s.push(e),
                'n' => s.push('\n'),
                'r' => s.push('\r'),
                't' => s.push('\t'),
                '0' => s.push('\0'),
                'u' => {
                    if self.peek() != Some('{') {
                        return self.err(esc_pos, "expected '{' after \\u");
                    }
                    self.pos += 1;
                    let digits_start = self.pos;
                    while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                        self.pos += 1;
                    }
                    let hex: String = self.chars[digits_start..self.pos].iter().collect();
                    if self.peek() != Some('}') {
                        return self.err(esc_pos, "expected '}' to close \\u{...}");
                    }
                    self.pos += 1;
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(ch) => s.push(ch),
                        None => {
                            return self.err(esc_pos, format!("bad character code \\u{{{hex}}}"))
                        }
                    }
                }
                _ => return self.err(esc_pos, format!("unknown escape '\\{e}' in string")),
            }
        }
    }

    /// `descr=...` if that is what comes next (otherwise consumes nothing).
    fn try_descr(&mut self) -> Result<Option<Descr>, ParseError> {
        let save = self.pos;
        let (w, _) = self.word();
        self.skip_ws();
        if w != "descr" || self.peek() != Some('=') {
            self.pos = save;
            return Ok(None);
        }
        self.pos += 1;
        self.skip_ws();
        let start = self.pos;
        if self.peek() == Some('<') {
            return self.angle_descr().map(Some);
        }
        let (name, pos) = self.word();
        if name == "TargetToken" && self.peek() == Some('(') {
            self.pos += 1;
            let (n, npos) = self.word();
            self.expect(')', "to close TargetToken(")?;
            return match parse_uint(&n).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Ok(Some(Descr::Target(TargetToken(n)))),
                None => self.err(npos, format!("bad target token number '{n}'")),
            };
        }
        if name.is_empty() {
            return self.err(
                start,
                format!("expected a descr after 'descr=', found {}", self.found()),
            );
        }
        match self.descrs.get(&name) {
            Some(d) => Ok(Some(d)),
            None => self.err(pos, format!("unknown descr '{name}'")),
        }
    }

    /// `<GuardN>`, `<FieldS name ...>`, `<ArrayS name ...>`,
    /// `<SizeDescr name ...>`, `<Calli name>`; the cursor is at the `<`.
    fn angle_descr(&mut self) -> Result<Descr, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let inner_start = self.pos;
        while self.peek().is_some_and(|c| c != '>') {
            self.pos += 1;
        }
        if self.peek().is_none() {
            return self.err(start, "unterminated descr: missing '>'");
        }
        let inner: String = self.chars[inner_start..self.pos].iter().collect();
        self.pos += 1;
        let mut words = inner.split_whitespace();
        let Some(tag) = words.next() else {
            return self.err(start, "empty descr '<>'");
        };
        if let Some(n) = tag.strip_prefix("Guard") {
            return match parse_uint(n).and_then(|n| u32::try_from(n).ok()) {
                Some(n) => Ok(Descr::Guard(GuardId(n))),
                None => self.err(start, format!("bad guard descr '<{inner}>'")),
            };
        }
        let family = if tag.starts_with("Field") {
            "field"
        } else if tag.starts_with("Array") {
            "array"
        } else if tag == "SizeDescr" {
            "size"
        } else if tag.starts_with("Call") {
            "call"
        } else {
            return self.err(start, format!("unknown descr tag '<{tag}'"));
        };
        let Some(name) = words.next() else {
            return self.err(start, format!("descr '<{inner}>' has no name"));
        };
        match self.descrs.get(name) {
            None => self.err(start, format!("unknown descr '{name}'")),
            Some(d) if descr_family(&d) != family => self.err(
                start,
                format!(
                    "descr '{name}' is a {} descr, but is written as a {family} descr",
                    descr_family(&d)
                ),
            ),
            Some(d) => Ok(d),
        }
    }
}

/// Where a variable is defined: its `Var`, and its position in definition
/// order (0 = inputargs, k + 1 = op k).
struct Slot {
    var: Option<Var>,
    at: usize,
    line: usize,
}

fn build(inputargs: Vec<Name>, raw: Vec<RawOp>) -> Result<Trace, ParseError> {
    // Every definition, in text order, with its position.
    let defs: Vec<(&Name, usize)> = inputargs
        .iter()
        .map(|n| (n, 0))
        .chain(
            raw.iter()
                .enumerate()
                .filter_map(|(k, op)| op.res.as_ref().map(|n| (n, k + 1))),
        )
        .collect();

    // Pass 1: reject double definitions; the first definition of each
    // number keeps it.
    let mut slots: HashMap<&str, Slot> = HashMap::with_capacity(defs.len());
    let mut claimed: HashSet<u32> = HashSet::with_capacity(defs.len());
    let mut next = 0u32;
    for &(name, at) in &defs {
        if let Some(prev) = slots.get(name.text.as_str()) {
            return Err(ParseError {
                line: name.line,
                col: name.col,
                msg: format!(
                    "variable '{}' is defined twice (first on line {})",
                    name.text, prev.line
                ),
            });
        }
        let wanted = name.text[1..]
            .parse::<u32>()
            .ok()
            .filter(|&n| n <= MAX_KEPT_INDEX && claimed.insert(n));
        if let Some(n) = wanted {
            next = next.max(n + 1);
        }
        slots.insert(
            name.text.as_str(),
            Slot {
                var: wanted.map(Var),
                at,
                line: name.line,
            },
        );
    }
    // Pass 2: fresh indices above every kept one, in text order.
    let mut kinds = vec![Kind::Void; next as usize];
    for &(name, _) in &defs {
        let Some(slot) = slots.get_mut(name.text.as_str()) else {
            continue;
        };
        let var = *slot.var.get_or_insert_with(|| {
            kinds.push(Kind::Void);
            next += 1;
            Var(next - 1)
        });
        kinds[var.index()] = name.kind;
    }

    // Pass 3: resolve uses, in order.
    let resolve = |a: &Arg, line: usize, at: usize| -> Result<Operand, ParseError> {
        match &a.arg {
            ArgKind::Const(c) => Ok(*c),
            ArgKind::Str(_) => Err(ParseError {
                line,
                col: a.col,
                msg: "unexpected string".into(),
            }),
            ArgKind::Var(n) => match slots.get(n.text.as_str()) {
                Some(Slot {
                    var: Some(v),
                    at: def_at,
                    ..
                }) if *def_at < at => Ok(Operand::Var(*v)),
                Some(slot) => Err(ParseError {
                    line,
                    col: a.col,
                    msg: format!(
                        "variable '{}' is used before its definition on line {}",
                        n.text, slot.line
                    ),
                }),
                None => Err(ParseError {
                    line,
                    col: a.col,
                    msg: format!("undefined variable '{}'", n.text),
                }),
            },
        }
    };
    let var_of = |n: &Name| slots.get(n.text.as_str()).and_then(|s| s.var);

    let mut t = Trace::new();
    t.inputargs = inputargs.iter().filter_map(var_of).collect();
    t.ops.reserve(raw.len());
    for (k, r) in raw.iter().enumerate() {
        let args = r
            .args
            .iter()
            .map(|a| resolve(a, r.line, k + 1))
            .collect::<Result<SmallVec<[Operand; 3]>, _>>()?;
        let fail_args = match &r.fail_args {
            Some(fa) => Some(
                fa.iter()
                    .map(|a| resolve(a, r.line, k + 1))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        t.ops.push(Op {
            opnum: r.opnum,
            args,
            res: r.res.as_ref().and_then(var_of),
            descr: r.descr,
            fail_args,
            comment: r.comment.as_deref().map(Box::from),
            virtuals: r.virtuals.clone().map(Vec::into_boxed_slice),
        });
    }
    t.kinds = kinds;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::print::fixtures::{fx, table};
    use crate::ir::print::{print_op, print_trace};
    use crate::ir::verify::verify;

    fn parse(s: &str) -> Trace {
        match parse_trace(s, &table()) {
            Ok(t) => t,
            Err(e) => panic!("{e} (col {})\n{s}", e.col),
        }
    }

    fn parse_err(s: &str) -> ParseError {
        match parse_trace(s, &table()) {
            Ok(t) => panic!("expected an error, parsed:\n{t}"),
            Err(e) => e,
        }
    }

    /// `print(parse(s)) == s` and `parse(print(t)) == t`.
    fn round_trip(s: &str) -> Trace {
        let t = parse(s);
        assert_eq!(print_trace(&t), s);
        assert_eq!(parse(&print_trace(&t)), t);
        t
    }

    const LOOP: &str = "\
[i0, p1]
label(i0, p1, descr=TargetToken(1))
debug_merge_point(0, 'bf pc=3 +')
i2 = int_add_ovf(i0, 1)
guard_no_overflow(descr=<Guard3>) [i0, p1]
i3 = getfield_gc_i(p1, descr=<FieldS Point.x 8>)
f4 = getfield_gc_f(p1, descr=<FieldF Point.y 16>)
f5 = float_add(f4, 1.5)
p6 = new(descr=<SizeDescr Point 40>)
i7 = call_i(ConstClass(0x55d0), i3, descr=<Calli bf_getchar>)
guard_true(i3, descr=<Guard4>) [i2, p1]
jump(i2, p1, descr=TargetToken(1))
";

    #[test]
    fn printed_loop_round_trips() {
        let t = round_trip(LOOP);
        let f = fx();
        assert_eq!(t.inputargs, vec![Var(0), Var(1)]);
        assert_eq!(t.kinds[..3], [Kind::Int, Kind::Ref, Kind::Int]);
        assert_eq!(t.ops[1].comment.as_deref(), Some("bf pc=3 +"));
        assert_eq!(t.ops[1].args.as_slice(), &[Operand::ConstInt(0)]);
        assert_eq!(t.ops[4].descr, Some(Descr::Field(f.x)));
        assert_eq!(t.ops[8].args[0], Operand::ConstInt(0x55d0));
        assert_eq!(t.ops[8].descr, Some(Descr::Call(f.getchar)));
        assert_eq!(t.ops[3].fail_args, Some(vec![Var(0).into(), Var(1).into()]));
        assert_eq!(t.ops[9].guard_id(), Some(GuardId(4)));
    }

    #[test]
    fn floats_round_trip_bit_exactly() {
        let s = "\
[f0]
f1 = float_add(f0, -0.0)
f2 = float_mul(f1, inf)
f3 = float_sub(f2, -inf)
f4 = float_add(f3, nan)
f5 = float_add(f4, float_bits(0xfff8000000000001))
f6 = float_add(f5, float_bits(0x7ff0000000000001))
f7 = float_truediv(f6, 1e300)
f8 = float_truediv(f7, 5e-324)
f9 = float_add(f8, 0.1)
finish(f9, descr=<Guard1>)
";
        let t = round_trip(s);
        let c = |k: usize| t.ops[k].args[1];
        assert_eq!(c(0), Operand::ConstFloat((-0.0f64).to_bits()));
        assert_eq!(c(1), Operand::float(f64::INFINITY));
        assert_eq!(c(2), Operand::float(f64::NEG_INFINITY));
        assert_eq!(c(3), Operand::ConstFloat(CANONICAL_NAN));
        assert_eq!(c(4), Operand::ConstFloat(0xfff8_0000_0000_0001));
        assert_eq!(c(5), Operand::ConstFloat(0x7ff0_0000_0000_0001));
        assert_eq!(c(7), Operand::ConstFloat(1));
        verify(&t).unwrap();
    }

    #[test]
    fn refs_calls_arrays_round_trip() {
        let s = "\
[p0, i1, f2]
p3 = getfield_gc_r(p0, descr=<FieldP Point.next 24>)
i4 = ptr_eq(p3, ConstPtr(null))
guard_false(i4, descr=<Guard1>) []
setfield_gc(p3, ConstPtr(0xdeadbeef0), descr=<FieldP Point.next 24>)
i5 = getfield_gc_i(p3, descr=<FieldU Point.flags 32>)
p6 = new_array(i1, descr=<ArrayF FloatArray 8>)
setarrayitem_gc(p6, 0, f2, descr=<ArrayF FloatArray 8>)
f7 = getarrayitem_gc_f(p6, 0, descr=<ArrayF FloatArray 8>)
i8 = arraylen_gc(p6, descr=<ArrayF FloatArray 8>)
i9 = call_i(ConstClass(0x55d0), i5, i8, descr=<Calli add2>)
f10 = call_pure_f(ConstClass(0x55d0), f7, descr=<Callf fsqrt>)
p11 = call_r(ConstClass(0x55d0), descr=<Callr mk>)
call_n(ConstClass(0xffffffffffffffff), -7, descr=<Calln putc>)
guard_no_exception(descr=<Guard2>) [p11, f10, -9223372036854775808]
guard_value(i9, 3, descr=<Guard3>) [ConstPtr(null), 2.5]
finish(i9, f10, p11, descr=<Guard4>)
";
        let t = round_trip(s);
        assert_eq!(t.ops[12].args[0], Operand::ConstInt(-1));
        assert_eq!(t.ops[3].args[1], Operand::ConstPtr(0xdeadbeef0));
        verify(&t).unwrap();
    }

    #[test]
    fn hand_written_pypy_style() {
        let s = "
            # a comment line, then a blank one

            [i0, p0, i1]          # trailing comment
            i2 = int_add(i0, i1)
            i3 = getfield_gc_i(p0, descr=Point.x)
              guard_true(i3, descr=<Guard0x10>) [i2, p0]
            f0 = cast_int_to_float(i3)
            f1 = float_add(f0, 1.500000)
            r9 = same_as_r(p0)
            debug_merge_point(0, \"it's #3\")
            jump(i2, r9, i1, descr=TargetToken(7))
        ";
        let t = parse(s);
        let f = fx();
        // i0, i1, i2, i3 keep their numbers; p0 clashes with i0, f0 and f1
        // with i0/i1, so they get fresh indices above the kept ones. r9
        // keeps 9.
        assert_eq!(t.inputargs, vec![Var(0), Var(10), Var(1)]);
        assert_eq!(t.kind(Var(10)), Kind::Ref);
        assert_eq!(t.kind(Var(9)), Kind::Ref);
        assert_eq!(t.kinds[4], Kind::Void);
        assert_eq!(t.ops[1].descr, Some(Descr::Field(f.x)));
        assert_eq!(t.ops[2].guard_id(), Some(GuardId(16)));
        assert_eq!(t.ops[4].args[1], Operand::float(1.5));
        assert_eq!(t.ops[6].comment.as_deref(), Some("it's #3"));
        assert_eq!(print_op(&t, &t.ops[4]), "f12 = float_add(f11, 1.5)");
        // Printing canonicalizes; the canonical text round-trips.
        round_trip(&print_trace(&t));
    }

    #[test]
    fn escapes_in_comments() {
        let s = "[]\ndebug_merge_point(2, 'a\\'b\\\\c\\nd\\u{1}\\té')\nfinish(descr=<Guard0>)\n";
        let t = round_trip(s);
        assert_eq!(t.ops[0].comment.as_deref(), Some("a'b\\c\nd\u{1}\té"));
        let t = parse("[]\ndebug_merge_point(0, '')\nfinish(descr=<Guard0>)\n");
        assert_eq!(t.ops[0].comment.as_deref(), Some(""));
        let t = parse("[]\ndebug_merge_point(0)\nfinish(descr=<Guard0>)\n");
        assert_eq!(t.ops[0].comment, None);
    }

    #[test]
    fn guards_without_descr_or_fail_args_are_kept_as_written() {
        let t = round_trip("[i0]\nguard_true(i0)\nguard_false(i0) []\nfinish(descr=<Guard1>)\n");
        assert_eq!(t.ops[0].descr, None);
        assert_eq!(t.ops[0].fail_args, None);
        assert_eq!(t.ops[1].fail_args, Some(vec![]));
    }

    #[test]
    fn virtuals_round_trip() {
        let s = "[i0, i1]
guard_true(i1, descr=<Guard1>) [i0, ConstPtr(null), ConstPtr(null)] virtuals=[@1 = new(Point) {Point.x=@0, Point.next=@2}, @2 = new_array(IntArray, 2) {1=@0}]
guard_false(i1, descr=<Guard2>) [ConstPtr(null)] virtuals=[@0 = new(Point) {}]
finish(descr=<Guard0>)
";
        let t = round_trip(s);
        verify(&t).unwrap();
        let f = fx();
        let v = t.ops[0].virtuals.as_deref().unwrap();
        assert_eq!(v[0].slot, 1);
        assert_eq!(v[0].alloc, crate::ir::VirtualAlloc::Struct(f.point));
        assert_eq!(v[1].fields, vec![(crate::ir::VirtualField::Item(1), 0)]);
        for bad in [
            "virtuals=[@1 = new(IntArray) {}]",
            "virtuals=[@1 = new_array(Point, 1) {}]",
            "virtuals=[@1 = make(Point) {}]",
            "virtuals=[@x = new(Point) {}]",
            "virtuals=[@1 = new(Point) {Nope=@0}]",
            "virtuals=[@1 = new(Point) {Point.x=@0]",
            "virtuals=[@1 = new(Point) {}",
        ] {
            parse_err(&format!(
                "[i0]\nguard_true(i0, descr=<Guard1>) [i0] {bad}\n"
            ));
        }
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let t = parse("[i0]\r\ni1 = int_neg(i0)\r\nfinish(i1, descr=<Guard1>)");
        assert_eq!(t.ops.len(), 2);
    }

    #[test]
    fn trace_built_in_code_round_trips() {
        let f = fx();
        let mut t = Trace::new();
        let p0 = t.new_inputarg(Kind::Ref);
        let f1 = t.new_inputarg(Kind::Float);
        let tt = Some(Descr::Target(TargetToken(3)));
        t.push(OpNum::Label, &[p0.into(), f1.into()], tt);
        let i2 = t
            .push(OpNum::GetfieldGcI, &[p0.into()], Some(Descr::Field(f.x)))
            .unwrap();
        let i3 = t
            .push(
                OpNum::CallI,
                &[Operand::ConstInt(0x1234), i2.into(), Operand::ConstInt(-1)],
                Some(Descr::Call(f.add2)),
            )
            .unwrap();
        t.push(OpNum::GuardNoException, &[], Some(Descr::Guard(GuardId(9))));
        t.ops.last_mut().unwrap().fail_args = Some(vec![p0.into(), Operand::float(f64::NAN)]);
        let f4 = t
            .push(OpNum::FloatMul, &[f1.into(), Operand::float(-0.0)], None)
            .unwrap();
        t.push(
            OpNum::SetfieldGc,
            &[p0.into(), i3.into()],
            Some(Descr::Field(f.x)),
        );
        t.push(OpNum::Jump, &[p0.into(), f4.into()], tt);
        verify(&t).unwrap();
        let text = print_trace(&t);
        let back = parse_trace(&text, &DescrTable::from_trace(&t)).unwrap();
        assert_eq!(back, t);
        assert_eq!(print_trace(&back), text);
    }

    /// Random straight-line traces: ints, floats with arbitrary bit
    /// patterns (NaN payloads included), refs, guards, calls.
    #[test]
    fn random_traces_round_trip() {
        let f = fx();
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..200 {
            let mut t = Trace::new();
            let mut ints = vec![t.new_inputarg(Kind::Int)];
            let mut floats = vec![t.new_inputarg(Kind::Float)];
            let refs = vec![t.new_inputarg(Kind::Ref)];
            let mut guard = 0;
            for _ in 0..rng.below(30) {
                // Either a constant `k` or one of the variables `v`.
                let pick = |rng: &mut Rng, v: &[Var], k: Operand| -> Operand {
                    if rng.below(3) == 0 {
                        k
                    } else {
                        v[rng.below(v.len() as u64) as usize].into()
                    }
                };
                let (r1, r2) = (rng.next(), rng.next());
                match rng.below(7) {
                    0 => {
                        let a = pick(&mut rng, &ints, Operand::ConstInt(r1 as i64));
                        let b = pick(&mut rng, &ints, Operand::ConstInt(r2 as i64 >> 40));
                        ints.extend(t.push(OpNum::IntSub, &[a, b], None));
                    }
                    1 => {
                        let a = pick(&mut rng, &floats, Operand::ConstFloat(r1));
                        let b = pick(&mut rng, &floats, Operand::ConstFloat(r2));
                        floats.extend(t.push(OpNum::FloatAdd, &[a, b], None));
                    }
                    2 => {
                        let a = pick(&mut rng, &ints, Operand::ConstInt(1));
                        guard += 1;
                        t.push(OpNum::GuardTrue, &[a], Some(Descr::Guard(GuardId(guard))));
                        let mut fa = Vec::new();
                        for _ in 0..rng.below(4) {
                            let k = Operand::ConstPtr(rng.next() as usize);
                            fa.push(pick(&mut rng, &floats, k));
                        }
                        t.ops.last_mut().unwrap().fail_args = Some(fa);
                    }
                    3 => {
                        let p = pick(&mut rng, &refs, Operand::ConstPtr(0));
                        ints.extend(t.push(OpNum::GetfieldGcI, &[p], Some(Descr::Field(f.x))));
                    }
                    4 => {
                        let a = pick(&mut rng, &floats, Operand::ConstFloat(CANONICAL_NAN));
                        let addr = Operand::ConstInt(r1 as i64);
                        let d = Some(Descr::Call(f.fsqrt));
                        floats.extend(t.push(OpNum::CallF, &[addr, a], d));
                    }
                    5 => {
                        t.push(OpNum::DebugMergePoint, &[Operand::ConstInt(0)], None);
                        let c: String = (0..rng.below(8))
                            .map(|_| char::from_u32(rng.below(0x300) as u32).unwrap_or('?'))
                            .collect();
                        t.ops.last_mut().unwrap().comment = Some(c.into());
                    }
                    _ => {
                        let a = pick(&mut rng, &ints, Operand::ConstInt(0));
                        floats.extend(t.push(OpNum::CastIntToFloat, &[a], None));
                    }
                }
            }
            let last = *floats.last().unwrap();
            t.push(
                OpNum::Finish,
                &[last.into()],
                Some(Descr::Guard(GuardId(0))),
            );
            verify(&t).unwrap_or_else(|e| panic!("{e}\n{t}"));
            let text = print_trace(&t);
            let back = parse(&text);
            assert_eq!(back, t, "{text}");
            assert_eq!(print_trace(&back), text);
        }
    }

    #[test]
    fn error_line_numbers_and_messages() {
        let e = parse_err("[i0]\ni1 = int_add(i0, 1)\ni2 = int_frob(i1, 1)\n");
        assert_eq!((e.line, e.col), (3, 6));
        assert_eq!(e.to_string(), "line 3: unknown operation 'int_frob'");

        let e = parse_err("# header\n\n[i0]\ni1 = int_add(i0, i5)\nfinish(descr=<Guard1>)\n");
        assert_eq!((e.line, e.col), (4, 18));
        assert_eq!(e.msg, "undefined variable 'i5'");

        let e = parse_err("[i0]\ni1 = int_add(i0, i2)\ni2 = int_neg(i0)\n");
        assert_eq!(e.line, 2);
        assert_eq!(
            e.msg,
            "variable 'i2' is used before its definition on line 3"
        );

        let e = parse_err("[i0]\nguard_true(i0, descr=<Guard1>) [i0, i1]\ni1 = int_neg(i0)\n");
        assert_eq!(e.line, 2);

        let e = parse_err("[i0]\ni1 = int_neg(i0)\ni1 = int_neg(i0)\n");
        assert_eq!((e.line, e.col), (3, 1));
        assert_eq!(e.msg, "variable 'i1' is defined twice (first on line 2)");

        let e = parse_err("[i0, i0]\n");
        assert_eq!((e.line, e.col), (1, 6));

        let e = parse_err("[i0]\n\ni1 = int_add(i0)\n");
        assert_eq!((e.line, e.col), (3, 6));
        assert_eq!(e.msg, "int_add takes 2 arguments, got 1");

        let e = parse_err("[i0]\nint_add(i0, 1)\n");
        assert_eq!(
            e.msg,
            "int_add produces an int result: write `iN = int_add(...)`"
        );

        let e = parse_err("[i0]\ni1 = setfield_gc(p0, i0, descr=Point.x)\n");
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("has no result"), "{e}");

        let e = parse_err("[i0]\nf1 = int_add(i0, 1)\n");
        assert_eq!(
            e.msg,
            "'f1' is a float variable, but int_add produces an int"
        );

        let e = parse_err("[p0]\ni1 = getfield_gc_i(p0, descr=<FieldS Nope.x 8>)\n");
        assert_eq!((e.line, e.msg.as_str()), (2, "unknown descr 'Nope.x'"));

        let e = parse_err("[p0]\ni1 = getfield_gc_i(p0, descr=nope)\n");
        assert_eq!((e.line, e.col), (2, 30));
        assert_eq!(e.msg, "unknown descr 'nope'");

        let e = parse_err("[p0]\ni1 = getfield_gc_i(p0, descr=<ArrayS Point.x 8>)\n");
        assert!(e.msg.contains("is a field descr"), "{e}");

        let e = parse_err("[i0]\ni1 = int_add(i0, 'x')\n");
        assert!(e.msg.contains("only allowed in debug_merge_point"), "{e}");

        let e = parse_err("[i0]\nguard_true(descr=<Guard1>, i0) []\n");
        assert_eq!(e.msg, "descr= must be the last argument");

        let e = parse_err("[i0]\ni1 = int_add(i0, 99999999999999999999)\n");
        assert!(e.msg.contains("out of range"), "{e}");

        let e = parse_err("[i0]\ndebug_merge_point(0, 'abc)\n");
        assert_eq!(
            (e.line, e.col, e.msg.as_str()),
            (2, 22, "unterminated string")
        );

        let e = parse_err("[i0]\ni1 = int_add(i0, 1) garbage\n");
        assert_eq!((e.line, e.col), (2, 21));

        let e = parse_err("# only comments\n\n");
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("inputargs"));
        assert_eq!(parse_err("").line, 1);

        let e = parse_err("i1 = int_add(i0, 1)\n");
        assert_eq!((e.line, e.col), (1, 1));
        assert!(e.msg.contains("inputargs"));

        let e = parse_err("[i0, 5]\n");
        assert_eq!((e.line, e.col), (1, 6));

        let e = parse_err("[x0]\n");
        assert!(e.msg.contains("not a variable name"), "{e}");

        let e = parse_err("[i0]\ni1 = int_add(i0, ConstPtr(ptr0))\n");
        assert!(e.msg.contains("bad address"), "{e}");

        let e = parse_err("[i0]\ni1 = int_add(i0, xyz)\n");
        assert_eq!(e.msg, "expected a variable or a constant, found 'xyz'");

        // The error type is a std error with the documented Display.
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert!(boxed.to_string().starts_with("line 2: "));
    }

    #[test]
    fn huge_variable_numbers_get_fresh_indices() {
        let t = parse("[i4000000000, i99999999999999999999999]\nfinish(descr=<Guard1>)\n");
        assert_eq!(t.inputargs, vec![Var(0), Var(1)]);
        assert_eq!(t.kinds, vec![Kind::Int, Kind::Int]);
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*: deterministic, good enough to shake the parser.
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            if n == 0 {
                0
            } else {
                self.next() % n
            }
        }
    }

    /// Whatever the input, parse returns; whatever it returns prints and
    /// verifies without panicking.
    fn must_not_panic(s: &str) -> bool {
        match parse_trace(s, &table()) {
            Ok(t) => {
                let _ = print_trace(&t);
                let _ = verify(&t);
                true
            }
            Err(e) => {
                let _ = e.to_string();
                false
            }
        }
    }

    #[test]
    fn fuzz_never_panics() {
        let seeds = [
            LOOP,
            "[p0, i1]\ni2 = call_i(ConstClass(0x10), i1, 2, descr=<Calli add2>)\nguard_value(i2, 3, descr=<Guard1>) [ConstPtr(null), float_bits(0x1), nan, -inf]\ndebug_merge_point(0, 'x\\u{41}\\'')\njump(p0, i2, descr=TargetToken(2))\n",
        ];
        let alphabet: Vec<char> =
            "[](),=<>#'\"\\ \n\tipfr0123456789xX.-+e_abcdnulGuardTargetToken{}é\u{0}"
                .chars()
                .collect();
        let mut rng = Rng(42);
        // Mutants that still parse: they reach print and verify too.
        let mut parsed = 0;
        for seed in seeds {
            let chars: Vec<char> = seed.chars().collect();
            // Every prefix.
            for n in 0..=chars.len() {
                must_not_panic(&chars[..n].iter().collect::<String>());
            }
            // Random edits.
            for _ in 0..5000 {
                let mut c = chars.clone();
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(c.len() as u64 + 1) as usize;
                    let ch = alphabet[rng.below(alphabet.len() as u64) as usize];
                    match rng.below(3) {
                        0 if i < c.len() => {
                            c.remove(i);
                        }
                        1 if i < c.len() => c[i] = ch,
                        _ => c.insert(i, ch),
                    }
                }
                parsed += must_not_panic(&c.iter().collect::<String>()) as usize;
            }
        }
        assert!(parsed > 200, "only {parsed} mutants parsed");
        // Pure noise.
        for _ in 0..3000 {
            let s: String = (0..rng.below(60))
                .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                .collect();
            must_not_panic(&format!("[i0, p1, f2]\n{s}"));
            must_not_panic(&s);
        }
    }
}
