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
//! - A guard's `Op::pending` follow its virtuals in the printer's form
//!   (`pending=[setfield_gc(@0, @3, x)]`).
//! - A guard's `Op::virtuals` follow its fail args in the printer's form
//!   (`virtuals=[@1 = new(Node) {Node.x=@0}]`); whether slots and indices
//!   make sense is `verify`'s job.
//! - It never panics: any input gives a `Trace` or a `ParseError`.

use super::print::CANONICAL_NAN;
use super::{
    Descr, DescrTable, GuardId, Kind, Op, OpNum, Operand, PendingWrite, TargetToken, Trace, Var,
    VirtualAlloc, VirtualField, VirtualInfo,
};
use hashbrown::{HashMap, HashSet};
use smallvec::SmallVec;
use std::fmt;

/// A parse failure at a 1-based line and column of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub col: usize,
    /// What was expected or found there.
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
    pending: Option<Vec<PendingWrite>>,
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
        Descr::Assembler(_) => "assembler",
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
        let pending = self.try_pending()?;
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
            pending,
        })
    }

    /// ` pending=[setfield_gc(@0, @3, x), setarrayitem_gc(@1, @2, @4, ints)]`
    /// if that is what comes next (see `print.rs`).
    fn try_pending(&mut self) -> Result<Option<Vec<PendingWrite>>, ParseError> {
        self.skip_ws();
        let save = self.pos;
        let (w, _) = self.word();
        self.skip_ws();
        if w != "pending" || self.peek() != Some('=') {
            self.pos = save;
            return Ok(None);
        }
        self.pos += 1;
        self.expect('[', "to open the pending writes")?;
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(Some(out));
        }
        loop {
            let (what, wpos) = self.vtoken();
            let array = match what.as_str() {
                "setfield_gc" => false,
                "setarrayitem_gc" => true,
                _ => {
                    return self.err(
                        wpos,
                        format!("expected setfield_gc or setarrayitem_gc, found '{what}'"),
                    )
                }
            };
            self.expect('(', &format!("after '{what}'"))?;
            let target = self.fail_arg_ref()?;
            self.expect(',', "after the object")?;
            let index = if array {
                let i = self.fail_arg_ref()?;
                self.expect(',', "after the index")?;
                Some(i)
            } else {
                None
            };
            let value = self.fail_arg_ref()?;
            self.expect(',', "after the value")?;
            let (name, npos) = self.vtoken();
            let descr = match (array, self.descrs.get(&name)) {
                (false, Some(d @ Descr::Field(_))) | (true, Some(d @ Descr::Array(_))) => d,
                _ => return self.err(npos, format!("'{name}' is not a descr for {what}")),
            };
            self.expect(')', "to close the pending write")?;
            out.push(PendingWrite {
                target,
                index,
                descr,
                value,
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
                        format!("expected ',' or ']' in pending, found {}", self.found()),
                    )
                }
            }
        }
    }

    /// ` virtuals=[@1 @2 = new(Node) {Node.x=@0}, @3 = new_array(ints, 2) {1=@4}]`
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
            let mut also = Vec::new();
            self.skip_ws();
            while self.peek() == Some('@') {
                also.push(self.fail_arg_ref()?);
                self.skip_ws();
            }
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
                also,
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
        } else if tag.starts_with("Assembler") {
            "assembler"
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
            pending: r.pending.clone().map(Vec::into_boxed_slice),
        });
    }
    t.kinds = kinds;
    Ok(t)
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
