//! The bytecode compiler: rustpython-parser's AST → `Code` objects.
//!
//! Owns: parsing (and turning parse errors into CPython-style SyntaxError
//! reports), name resolution (fast locals, cells, free variables, globals,
//! class-body names), control flow (loops, try/except/finally with the
//! finally body duplicated on every exit path, like CPython), and the static
//! stack-depth pass that gives every pc its value-stack depth.

use crate::bytecode::{self, BinOp, CmpOp, Code, Handler, Instr, UnOp};
use crate::objects::{self, intern, keep};
use crate::scope::{self, Names};
use metatrace::heap::GcRef;
use rustpython_parser::ast::{self, Constant, Expr, Ranged, Stmt};
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

mod expr;

/// A syntax error, located.
#[derive(Debug)]
pub struct SyntaxError {
    pub msg: String,
    pub line: usize,
    pub col: usize,
}

/// Source text with a line index.
pub struct Source {
    pub filename: Rc<str>,
    pub lines: Rc<Vec<String>>,
    starts: Vec<usize>,
}

impl Source {
    pub fn new(filename: &str, text: &str) -> Source {
        let mut starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        Source {
            filename: filename.into(),
            lines: Rc::new(text.lines().map(|l| l.to_string()).collect()),
            starts,
        }
    }
    /// 1-based line and 0-based column of a byte offset.
    pub fn locate(&self, off: usize) -> (usize, usize) {
        let line = match self.starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (line + 1, off - self.starts[line])
    }
}

/// Compiles a module; returns the module body's code id.
pub fn compile_module(src: &Source, text: &str, module: usize) -> Result<usize, SyntaxError> {
    let parsed = rustpython_parser::parse(text, rustpython_parser::Mode::Module, &src.filename)
        .map_err(|e| {
            let (line, col) = src.locate(u32::from(e.offset) as usize);
            let msg = match &e.error {
                rustpython_parser::ParseErrorType::Lexical(l) => {
                    let s = l.to_string();
                    if s.contains("indent") {
                        s
                    } else {
                        "invalid syntax".to_string()
                    }
                }
                rustpython_parser::ParseErrorType::Eof => {
                    "unexpected EOF while parsing".to_string()
                }
                rustpython_parser::ParseErrorType::UnrecognizedToken(_, exp) => {
                    let s = e.error.to_string();
                    match exp.as_deref() {
                        _ if s.starts_with("unexpected indent") => s,
                        _ if s.starts_with("expected an indented block") => s,
                        Some(x) if x.len() <= 5 => format!("expected {}", x.replace('"', "'")),
                        _ => "invalid syntax".to_string(),
                    }
                }
                _ => "invalid syntax".to_string(),
            };
            SyntaxError { msg, line, col }
        })?;
    let ast::Mod::Module(m) = parsed else {
        unreachable!("parsed in module mode")
    };
    let mut c = Compiler {
        src,
        fns: Vec::new(),
        module,
    };
    let id = bytecode::add_code(Code::default());
    c.fns
        .push(FnState::new("<module>", Kind::Module, src, module));
    c.stmts(&m.body)?;
    let k = c.const_obj(objects::none());
    c.emit(Instr::LoadConst(k));
    c.emit(Instr::Return);
    let st = c.fns.pop().expect("module state");
    bytecode::set_code(id, st.finish()?);
    Ok(id)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    Class,
    Function,
}

enum Block<'a> {
    Loop {
        is_for: bool,
        cont: u32,
        breaks: Vec<usize>,
    },
    Finally {
        body: &'a [Stmt],
        handler: usize,
    },
    /// Inside an except clause (or a finally handler): the caught exception
    /// is in `slot` and on the VM's handled-exception stack (popped by
    /// every exit, `return`/`break`/`continue` included).
    Except {
        slot: u32,
    },
    /// Inside a `with` body: `exit` holds the bound `__exit__`; leaving by
    /// `return`/`break`/`continue` calls it with three Nones.
    With {
        exit: u32,
        handler: usize,
        line: u32,
    },
}

struct OpenHandler {
    start: Option<u32>,
    ranges: Vec<(u32, u32)>,
    depth_pc: u32,
    handler_pc: u32,
}

struct FnState<'a> {
    code: Code,
    kind: Kind,
    locals: HashMap<String, u32>,
    cells: BTreeSet<String>,
    globals: BTreeSet<String>,
    blocks: Vec<Block<'a>>,
    handlers: Vec<OpenHandler>,
    line: u32,
    tmp_count: u32,
    /// A class body's own assignments (they shadow its free names).
    class_assigned: BTreeSet<String>,
}

impl<'a> FnState<'a> {
    fn new(name: &str, kind: Kind, src: &Source, module: usize) -> FnState<'a> {
        let code = Code {
            name: name.to_string(),
            module,
            filename: src.filename.clone(),
            source: src.lines.clone(),
            is_module: kind != Kind::Function,
            ..Code::default()
        };
        FnState {
            code,
            kind,
            locals: HashMap::new(),
            cells: BTreeSet::new(),
            globals: BTreeSet::new(),
            blocks: Vec::new(),
            handlers: Vec::new(),
            line: 1,
            tmp_count: 0,
            class_assigned: BTreeSet::new(),
        }
    }
    fn slot(&mut self, name: &str) -> u32 {
        if let Some(s) = self.locals.get(name) {
            return *s;
        }
        let s = self.code.nlocals as u32;
        self.code.nlocals += 1;
        self.code.local_names.push(name.to_string());
        self.locals.insert(name.to_string(), s);
        s
    }
    fn finish(mut self) -> Result<Code, SyntaxError> {
        let mut hs = Vec::new();
        for h in &self.handlers {
            for &(s, e) in &h.ranges {
                if s < e {
                    hs.push((s, e, h.handler_pc, h.depth_pc));
                }
            }
        }
        let n = self.code.instrs.len();
        let mut depth: Vec<i64> = vec![-1; n + 1];
        let mut work = vec![(0usize, 0i64)];
        loop {
            while let Some((pc, d)) = work.pop() {
                if pc >= n || depth[pc] >= 0 {
                    continue;
                }
                depth[pc] = d;
                let ins = self.code.instrs[pc];
                let (fall, jump) = effect(&ins, &self.code);
                if let Some(f) = fall {
                    work.push((pc + 1, d + f));
                }
                if let Some((t, j)) = jump {
                    work.push((t as usize, d + j));
                }
            }
            let mut more = false;
            for &(_, _, hpc, dpc) in &hs {
                if depth[dpc as usize] >= 0 && depth[hpc as usize] < 0 {
                    work.push((hpc as usize, depth[dpc as usize] + 1));
                    more = true;
                }
            }
            if !more {
                break;
            }
        }
        self.code.handlers = hs
            .iter()
            .map(|&(s, e, h, d)| Handler {
                start: s,
                end: e,
                handler: h,
                depth: depth[d as usize].max(0) as u32,
            })
            .collect();
        self.code.depth = depth.iter().map(|d| (*d).max(0) as u32).collect();
        self.code.max_depth = self.code.depth.iter().copied().max().unwrap_or(0) as usize + 4;
        Ok(self.code)
    }
}

/// (fall-through effect, (jump target, jump effect)).
fn effect(i: &Instr, code: &Code) -> (Option<i64>, Option<(u32, i64)>) {
    use Instr::*;
    let f = |x: i64| (Some(x), None);
    match *i {
        LoadConst(_) | LoadFast(_) | LoadDeref(_) | LoadCell(_) | LoadGlobal(_) | LoadName(_) => {
            f(1)
        }
        StoreFast(_) | StoreDeref(_) | StoreGlobal(_) | StoreName(_) => f(-1),
        DeleteFast(_) | DeleteGlobal(_) | Nop | Yield | PopExc | TypeOf => f(0),
        PushExc => f(-1),
        WithEnter => f(1),
        LoadAttr(_) | Unary(_) | GetIter | Rot2 | Rot3 => f(0),
        StoreAttr(_) => f(-2),
        DeleteAttr(_) => f(-1),
        Subscr | Binary(_) | Inplace(_) | Compare(_) | Pop | ExcMatch | ImportStar => f(-1),
        StoreSubscr => f(-3),
        DeleteSubscr => f(-2),
        Jump(t) => (None, Some((t, 0))),
        PopJumpIfFalse(t) | PopJumpIfTrue(t) => (Some(-1), Some((t, -1))),
        JumpIfFalseOrPop(t) | JumpIfTrueOrPop(t) => (Some(-1), Some((t, 0))),
        ForIter(t) => (Some(1), Some((t, -1))),
        BuildList(n) | BuildTuple(n) | BuildSet(n) | BuildConstSet(n) | BuildSlice(n)
        | BuildString(n) => f(1 - n as i64),
        BuildDict(n) => f(1 - 2 * n as i64),
        ListAppend(_) | SetAdd(_) => f(-1),
        MapAdd(_) => f(-2),
        FormatValue(_, spec) => f(if spec { -1 } else { 0 }),
        UnpackSequence(n) => f(n as i64 - 1),
        UnpackEx(a, b) => f(a as i64 + b as i64),
        Call(n) => f(-(n as i64)),
        CallKw(n, k, _) => f(-(n as i64) - k as i64),
        CallEx => f(-2),
        MakeFunction(_, fl) => f(-(fl.count_ones() as i64) + 1),
        BuildClass(_, meta) => f(-1 - meta as i64),
        Return | Raise(_) | AssertFail(_) => (None, None),
        Dup => f(1),
        Dup2 => f(2),
        Import(_) | ImportFrom(_) => f(1),
    }
    .clone_with(code)
}

trait CloneWith {
    fn clone_with(self, code: &Code) -> Self;
}
impl CloneWith for (Option<i64>, Option<(u32, i64)>) {
    fn clone_with(self, _code: &Code) -> Self {
        self
    }
}

struct Compiler<'a> {
    src: &'a Source,
    fns: Vec<FnState<'a>>,
    module: usize,
}

type R = Result<(), SyntaxError>;

impl<'a> Compiler<'a> {
    fn st(&mut self) -> &mut FnState<'a> {
        self.fns.last_mut().expect("a function state")
    }
    fn pc(&mut self) -> u32 {
        self.st().code.instrs.len() as u32
    }
    fn emit(&mut self, i: Instr) -> usize {
        let st = self.st();
        st.code.instrs.push(i);
        let l = st.line;
        st.code.lines.push(l);
        st.code.instrs.len() - 1
    }
    fn patch(&mut self, at: usize, target: u32) {
        let i = &mut self.st().code.instrs[at];
        *i = match *i {
            Instr::Jump(_) => Instr::Jump(target),
            Instr::PopJumpIfFalse(_) => Instr::PopJumpIfFalse(target),
            Instr::PopJumpIfTrue(_) => Instr::PopJumpIfTrue(target),
            Instr::JumpIfFalseOrPop(_) => Instr::JumpIfFalseOrPop(target),
            Instr::JumpIfTrueOrPop(_) => Instr::JumpIfTrueOrPop(target),
            Instr::ForIter(_) => Instr::ForIter(target),
            other => other,
        };
    }
    fn patch_here(&mut self, at: usize) {
        let pc = self.pc();
        self.patch(at, pc)
    }
    fn const_obj(&mut self, r: GcRef) -> u32 {
        keep(r);
        let c = &mut self.st().code;
        c.consts.push(r);
        (c.consts.len() - 1) as u32
    }
    fn name(&mut self, n: &str) -> u32 {
        let c = &mut self.st().code;
        if let Some(i) = c.name_strs.iter().position(|x| x == n) {
            return i as u32;
        }
        c.names.push(intern(n));
        c.name_strs.push(n.to_string());
        (c.names.len() - 1) as u32
    }
    fn err(&self, msg: &str, r: rustpython_parser::text_size::TextRange) -> SyntaxError {
        let (line, col) = self.src.locate(u32::from(r.start()) as usize);
        SyntaxError {
            msg: msg.to_string(),
            line,
            col,
        }
    }
    fn set_line(&mut self, r: rustpython_parser::text_size::TextRange) -> u32 {
        let (l, _) = self.src.locate(u32::from(r.start()) as usize);
        let st = self.st();
        let old = st.line;
        st.line = l as u32;
        old
    }
    fn tmp(&mut self) -> u32 {
        let st = self.st();
        st.tmp_count += 1;
        let n = format!(".t{}", st.tmp_count);
        st.slot(&n)
    }

    // ---- names -------------------------------------------------------

    fn load_name(&mut self, n: &str) {
        let st = self.st();
        match st.kind {
            Kind::Module => {
                let i = self.name(n);
                self.emit(Instr::LoadGlobal(i));
            }
            Kind::Class => {
                if st.cells.contains(n) && !st.class_assigned.contains(n) {
                    let s = st.locals[n];
                    self.emit(Instr::LoadDeref(s));
                } else {
                    let i = self.name(n);
                    self.emit(Instr::LoadName(i));
                }
            }
            Kind::Function => {
                if st.globals.contains(n) {
                    let i = self.name(n);
                    self.emit(Instr::LoadGlobal(i));
                } else if let Some(&s) = st.locals.get(n) {
                    if st.cells.contains(n) {
                        self.emit(Instr::LoadDeref(s));
                    } else {
                        self.emit(Instr::LoadFast(s));
                    }
                } else {
                    let i = self.name(n);
                    self.emit(Instr::LoadGlobal(i));
                }
            }
        }
    }
    fn store_name(&mut self, n: &str) {
        let st = self.st();
        match st.kind {
            Kind::Module => {
                let i = self.name(n);
                self.emit(Instr::StoreGlobal(i));
            }
            Kind::Class => {
                let i = self.name(n);
                self.emit(Instr::StoreName(i));
            }
            Kind::Function => {
                if st.globals.contains(n) {
                    let i = self.name(n);
                    self.emit(Instr::StoreGlobal(i));
                } else {
                    let cell = st.cells.contains(n);
                    let s = st.slot(n);
                    self.emit(if cell {
                        Instr::StoreDeref(s)
                    } else {
                        Instr::StoreFast(s)
                    });
                }
            }
        }
    }

    // ---- statements --------------------------------------------------

    fn stmts(&mut self, b: &'a [Stmt]) -> R {
        for s in b {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &'a Stmt) -> R {
        self.set_line(s.range());
        match s {
            Stmt::Expr(e) => {
                self.expr(&e.value)?;
                self.emit(Instr::Pop);
            }
            Stmt::Pass(_) => {}
            Stmt::Assign(a) => {
                self.expr(&a.value)?;
                for (i, t) in a.targets.iter().enumerate() {
                    if i + 1 < a.targets.len() {
                        self.emit(Instr::Dup);
                    }
                    self.assign(t)?;
                }
            }
            Stmt::AnnAssign(a) => {
                if let Some(v) = &a.value {
                    self.expr(v)?;
                    self.assign(&a.target)?;
                }
            }
            Stmt::AugAssign(a) => self.augassign(a)?,
            Stmt::If(i) => {
                self.expr(&i.test)?;
                let j = self.emit(Instr::PopJumpIfFalse(0));
                self.stmts(&i.body)?;
                if i.orelse.is_empty() {
                    self.patch_here(j);
                } else {
                    let end = self.emit(Instr::Jump(0));
                    self.patch_here(j);
                    self.stmts(&i.orelse)?;
                    self.patch_here(end);
                }
            }
            Stmt::While(w) => {
                let top = self.pc();
                self.expr(&w.test)?;
                let exit = self.emit(Instr::PopJumpIfFalse(0));
                self.st().blocks.push(Block::Loop {
                    is_for: false,
                    cont: top,
                    breaks: vec![],
                });
                self.stmts(&w.body)?;
                self.emit(Instr::Jump(top));
                let Some(Block::Loop { breaks, .. }) = self.st().blocks.pop() else {
                    unreachable!()
                };
                self.patch_here(exit);
                self.stmts(&w.orelse)?;
                for b in breaks {
                    self.patch_here(b);
                }
            }
            Stmt::For(f) => {
                self.expr(&f.iter)?;
                self.emit(Instr::GetIter);
                let top = self.pc();
                let fi = self.emit(Instr::ForIter(0));
                self.assign(&f.target)?;
                self.st().blocks.push(Block::Loop {
                    is_for: true,
                    cont: top,
                    breaks: vec![],
                });
                self.stmts(&f.body)?;
                self.emit(Instr::Jump(top));
                let Some(Block::Loop { breaks, .. }) = self.st().blocks.pop() else {
                    unreachable!()
                };
                self.patch_here(fi);
                self.stmts(&f.orelse)?;
                for b in breaks {
                    self.patch_here(b);
                }
            }
            Stmt::Break(b) => self.break_continue(true, b.range)?,
            Stmt::Continue(b) => self.break_continue(false, b.range)?,
            Stmt::Return(r) => {
                if self.st().kind != Kind::Function {
                    return Err(self.err("'return' outside function", r.range));
                }
                match &r.value {
                    Some(v) => self.expr(v)?,
                    None => {
                        let k = self.const_obj(objects::none());
                        self.emit(Instr::LoadConst(k));
                    }
                }
                if self
                    .st()
                    .blocks
                    .iter()
                    .any(|b| !matches!(b, Block::Loop { .. }))
                {
                    let t = self.tmp();
                    self.emit(Instr::StoreFast(t));
                    self.unwind_finally(0)?;
                    self.emit(Instr::LoadFast(t));
                }
                self.emit(Instr::Return);
            }
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.expr(d)?;
                }
                self.function(&f.name, &f.args, FnBody::Stmts(&f.body), f.range)?;
                for _ in &f.decorator_list {
                    self.emit(Instr::Call(1));
                }
                self.store_name(&f.name);
            }
            Stmt::ClassDef(c) => self.class(c)?,
            Stmt::Global(g) => {
                for n in &g.names {
                    let n = n.to_string();
                    self.st().globals.insert(n);
                }
            }
            Stmt::Nonlocal(_) => {}
            Stmt::Raise(r) => match (&r.exc, &r.cause) {
                (None, _) => {
                    let slot = self.st().blocks.iter().rev().find_map(|b| match b {
                        Block::Except { slot } => Some(*slot),
                        _ => None,
                    });
                    match slot {
                        Some(s) => {
                            self.emit(Instr::LoadFast(s));
                        }
                        None => {
                            let k = self.const_obj(objects::none());
                            self.emit(Instr::LoadConst(k));
                        }
                    }
                    self.emit(Instr::Raise(0));
                }
                (Some(e), None) => {
                    self.expr(e)?;
                    self.emit(Instr::Raise(1));
                }
                (Some(e), Some(c)) => {
                    self.expr(e)?;
                    self.expr(c)?;
                    self.emit(Instr::Raise(2));
                }
            },
            Stmt::Try(t) => self.try_stmt(&t.body, &t.handlers, &t.orelse, &t.finalbody)?,
            Stmt::With(w) => self.with_stmt(&w.items, &w.body)?,
            Stmt::TryStar(t) => self.try_stmt(&t.body, &t.handlers, &t.orelse, &t.finalbody)?,
            Stmt::Assert(a) => {
                self.expr(&a.test)?;
                let j = self.emit(Instr::PopJumpIfTrue(0));
                if let Some(m) = &a.msg {
                    self.expr(m)?;
                    self.emit(Instr::AssertFail(1));
                } else {
                    self.emit(Instr::AssertFail(0));
                }
                self.patch_here(j);
            }
            Stmt::Delete(d) => {
                for t in &d.targets {
                    match t {
                        Expr::Name(n) => {
                            let st = self.st();
                            if st.kind == Kind::Function && !st.globals.contains(n.id.as_str()) {
                                let s = st.slot(&n.id);
                                self.emit(Instr::DeleteFast(s));
                            } else {
                                let i = self.name(&n.id);
                                self.emit(Instr::DeleteGlobal(i));
                            }
                        }
                        Expr::Subscript(sub) => {
                            self.expr(&sub.value)?;
                            self.expr(&sub.slice)?;
                            self.emit(Instr::DeleteSubscr);
                        }
                        Expr::Attribute(a) => {
                            self.expr(&a.value)?;
                            let i = self.name(&a.attr);
                            self.emit(Instr::DeleteAttr(i));
                        }
                        other => return Err(self.err("cannot delete expression", other.range())),
                    }
                }
            }
            Stmt::Import(i) => {
                for a in &i.names {
                    // `import a.b` binds `a`; `import a.b as x` binds `a.b`.
                    let k = self.import_spec(&a.name, 0, a.asname.is_some());
                    self.emit(Instr::Import(k));
                    let bind = match &a.asname {
                        Some(n) => n.to_string(),
                        None => a.name.split('.').next().unwrap_or("").to_string(),
                    };
                    self.store_name(&bind);
                }
            }
            Stmt::ImportFrom(i) => {
                let m = i.module.as_ref().map(|m| m.to_string()).unwrap_or_default();
                let level = i.level.map_or(0, |l| l.to_u32());
                let k = self.import_spec(&m, level, true);
                self.emit(Instr::Import(k));
                for a in &i.names {
                    if a.name.as_str() == "*" {
                        self.emit(Instr::Dup);
                        self.emit(Instr::ImportStar);
                        continue;
                    }
                    let n = self.name(&a.name);
                    self.emit(Instr::ImportFrom(n));
                    let bind = a.asname.as_ref().unwrap_or(&a.name).to_string();
                    self.store_name(&bind);
                }
                self.emit(Instr::Pop);
            }
            other => {
                return Err(self.err("unsupported statement", other.range()));
            }
        }
        Ok(())
    }

    /// The constant an `Import` instruction reads: (name, level, leaf).
    fn import_spec(&mut self, name: &str, level: u32, leaf: bool) -> u32 {
        let spec = objects::new_tuple(&[
            intern(name),
            objects::new_int(level as i64),
            objects::bool_obj(leaf),
        ]);
        self.const_obj(spec)
    }

    fn break_continue(&mut self, brk: bool, r: rustpython_parser::text_size::TextRange) -> R {
        let st = self.st();
        let Some(li) = st
            .blocks
            .iter()
            .rposition(|b| matches!(b, Block::Loop { .. }))
        else {
            return Err(self.err(
                if brk {
                    "'break' outside loop"
                } else {
                    "'continue' not properly in loop"
                },
                r,
            ));
        };
        self.unwind_finally(li + 1)?;
        let st = self.st();
        let (is_for, cont) = match &st.blocks[li] {
            Block::Loop { is_for, cont, .. } => (*is_for, *cont),
            _ => unreachable!(),
        };
        if brk {
            if is_for {
                self.emit(Instr::Pop);
            }
            let j = self.emit(Instr::Jump(0));
            if let Block::Loop { breaks, .. } = &mut self.st().blocks[li] {
                breaks.push(j);
            }
        } else {
            self.emit(Instr::Jump(cont));
        }
        Ok(())
    }

    /// Emits the exit actions of blocks above `down_to` (innermost first):
    /// finally bodies and `with` exits, each outside the protection of its
    /// own handler, and the handled-exception pops of except clauses.
    fn unwind_finally(&mut self, down_to: usize) -> R {
        let n = self.st().blocks.len();
        for bi in (down_to..n).rev() {
            let handler = match self.st().blocks[bi] {
                Block::Finally { handler, .. } | Block::With { handler, .. } => handler,
                Block::Except { .. } => {
                    self.emit(Instr::PopExc);
                    continue;
                }
                Block::Loop { .. } => continue,
            };
            // Suspend this handler (and inner ones) while the copy runs.
            let pc = self.pc();
            let saved: Vec<usize> = (handler..self.st().handlers.len()).collect();
            for &h in &saved {
                let oh = &mut self.st().handlers[h];
                if let Some(s) = oh.start.take() {
                    oh.ranges.push((s, pc));
                }
            }
            let blocks = self.st().blocks.split_off(bi);
            match blocks[0] {
                Block::Finally { body, .. } => self.stmts(body)?,
                Block::With { exit, line, .. } => {
                    let old = std::mem::replace(&mut self.st().line, line);
                    self.call_exit_none(exit);
                    self.st().line = old;
                }
                _ => unreachable!("matched above"),
            }
            self.st().blocks.extend(blocks);
            let pc = self.pc();
            for &h in &saved {
                let oh = &mut self.st().handlers[h];
                if oh.handler_pc == u32::MAX {
                    oh.start = Some(pc);
                }
            }
        }
        Ok(())
    }

    /// `exit(None, None, None)`, result discarded.
    fn call_exit_none(&mut self, exit: u32) {
        self.emit(Instr::LoadFast(exit));
        let k = self.const_obj(objects::none());
        for _ in 0..3 {
            self.emit(Instr::LoadConst(k));
        }
        self.emit(Instr::Call(3));
        self.emit(Instr::Pop);
    }

    /// The body of an exception handler whose exception is in `t`: it runs
    /// with the exception on the handled stack (so exceptions raised in it
    /// get it as `__context__`), popped on every way out.
    fn handling(&mut self, t: u32, body: impl FnOnce(&mut Self) -> R) -> R {
        self.emit(Instr::LoadFast(t));
        self.emit(Instr::PushExc);
        let h = self.open_handler();
        self.st().blocks.push(Block::Except { slot: t });
        body(self)?;
        self.st().blocks.pop();
        self.close_handler(h);
        self.emit(Instr::PopExc);
        let end = self.emit(Instr::Jump(0));
        let hpc = self.pc();
        self.st().handlers[h].handler_pc = hpc;
        self.emit(Instr::PopExc);
        self.emit(Instr::Raise(0));
        self.patch_here(end);
        Ok(())
    }

    /// `with a as x, b as y: body` (items nest like CPython's).
    fn with_stmt(&mut self, items: &'a [ast::WithItem], body: &'a [Stmt]) -> R {
        let Some((item, rest)) = items.split_first() else {
            return self.stmts(body);
        };
        self.expr(&item.context_expr)?;
        self.emit(Instr::WithEnter);
        // Stack: exit, enter-result.
        let exit = self.tmp();
        self.emit(Instr::Rot2);
        self.emit(Instr::StoreFast(exit));
        match &item.optional_vars {
            Some(v) => self.assign(v)?,
            None => {
                self.emit(Instr::Pop);
            }
        }
        let h = self.open_handler();
        // CPython reports `__exit__` calls at the `with` line.
        let line = self.st().line;
        self.st().blocks.push(Block::With {
            exit,
            handler: h,
            line,
        });
        self.with_stmt(rest, body)?;
        self.st().blocks.pop();
        self.close_handler(h);
        self.st().line = line;
        self.call_exit_none(exit);
        let end = self.emit(Instr::Jump(0));
        let hpc = self.pc();
        self.st().handlers[h].handler_pc = hpc;
        let t = self.tmp();
        self.emit(Instr::StoreFast(t));
        self.handling(t, |c| {
            c.emit(Instr::LoadFast(exit));
            c.emit(Instr::LoadFast(t));
            c.emit(Instr::TypeOf);
            c.emit(Instr::LoadFast(t));
            c.emit(Instr::LoadFast(t));
            let tb = c.name("__traceback__");
            c.emit(Instr::LoadAttr(tb));
            c.emit(Instr::Call(3));
            let j = c.emit(Instr::PopJumpIfTrue(0));
            c.emit(Instr::LoadFast(t));
            c.emit(Instr::Raise(0));
            c.patch_here(j);
            Ok(())
        })?;
        self.patch_here(end);
        Ok(())
    }

    fn open_handler(&mut self) -> usize {
        let pc = self.pc();
        let st = self.st();
        st.handlers.push(OpenHandler {
            start: Some(pc),
            ranges: vec![],
            depth_pc: pc,
            handler_pc: u32::MAX,
        });
        st.handlers.len() - 1
    }
    fn close_handler(&mut self, h: usize) {
        let pc = self.pc();
        let oh = &mut self.st().handlers[h];
        if let Some(s) = oh.start.take() {
            oh.ranges.push((s, pc));
        }
    }

    fn try_stmt(
        &mut self,
        body: &'a [Stmt],
        handlers: &'a [ast::ExceptHandler],
        orelse: &'a [Stmt],
        finalbody: &'a [Stmt],
    ) -> R {
        if !finalbody.is_empty() {
            let h = self.open_handler();
            self.st().blocks.push(Block::Finally {
                body: finalbody,
                handler: h,
            });
            if handlers.is_empty() {
                self.stmts(body)?;
                self.stmts(orelse)?;
            } else {
                self.try_except(body, handlers, orelse)?;
            }
            self.st().blocks.pop();
            self.close_handler(h);
            self.stmts(finalbody)?;
            let end = self.emit(Instr::Jump(0));
            let hpc = self.pc();
            self.st().handlers[h].handler_pc = hpc;
            let t = self.tmp();
            self.emit(Instr::StoreFast(t));
            self.handling(t, |c| {
                c.stmts(finalbody)?;
                c.emit(Instr::LoadFast(t));
                c.emit(Instr::Raise(0));
                Ok(())
            })?;
            self.patch_here(end);
            Ok(())
        } else {
            self.try_except(body, handlers, orelse)
        }
    }

    fn try_except(
        &mut self,
        body: &'a [Stmt],
        handlers: &'a [ast::ExceptHandler],
        orelse: &'a [Stmt],
    ) -> R {
        let h = self.open_handler();
        self.stmts(body)?;
        self.close_handler(h);
        self.stmts(orelse)?;
        let ends = vec![self.emit(Instr::Jump(0))];
        let hpc = self.pc();
        self.st().handlers[h].handler_pc = hpc;
        let t = self.tmp();
        self.emit(Instr::StoreFast(t));
        self.handling(t, |c| {
            let mut done = vec![];
            for hd in handlers {
                let ast::ExceptHandler::ExceptHandler(hd) = hd;
                c.set_line(hd.range);
                let mut next = None;
                if let Some(ty) = &hd.type_ {
                    c.emit(Instr::LoadFast(t));
                    c.expr(ty)?;
                    c.emit(Instr::ExcMatch);
                    next = Some(c.emit(Instr::PopJumpIfFalse(0)));
                }
                if let Some(n) = &hd.name {
                    c.emit(Instr::LoadFast(t));
                    c.store_name(n);
                }
                c.stmts(&hd.body)?;
                done.push(c.emit(Instr::Jump(0)));
                if let Some(j) = next {
                    c.patch_here(j);
                }
            }
            c.emit(Instr::LoadFast(t));
            c.emit(Instr::Raise(0));
            for e in done {
                c.patch_here(e);
            }
            Ok(())
        })?;
        for e in ends {
            self.patch_here(e);
        }
        Ok(())
    }

    fn augassign(&mut self, a: &'a ast::StmtAugAssign) -> R {
        let op = binop(&a.op);
        match &*a.target {
            Expr::Name(n) => {
                self.load_name(&n.id);
                self.expr(&a.value)?;
                self.emit(Instr::Inplace(op));
                self.store_name(&n.id);
            }
            Expr::Attribute(at) => {
                self.expr(&at.value)?;
                self.emit(Instr::Dup);
                let i = self.name(&at.attr);
                self.emit(Instr::LoadAttr(i));
                self.expr(&a.value)?;
                self.emit(Instr::Inplace(op));
                self.emit(Instr::Rot2);
                self.emit(Instr::StoreAttr(i));
            }
            Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Instr::Dup2);
                self.emit(Instr::Subscr);
                self.expr(&a.value)?;
                self.emit(Instr::Inplace(op));
                self.emit(Instr::Rot3);
                self.emit(Instr::StoreSubscr);
            }
            other => {
                return Err(self.err("illegal expression for augmented assignment", other.range()))
            }
        }
        Ok(())
    }

    /// Stores TOS into a target.
    fn assign(&mut self, t: &'a Expr) -> R {
        match t {
            Expr::Name(n) => self.store_name(&n.id),
            Expr::Attribute(a) => {
                self.expr(&a.value)?;
                let i = self.name(&a.attr);
                self.emit(Instr::StoreAttr(i));
            }
            Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Instr::StoreSubscr);
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                if let Some(star) = elts.iter().position(|e| matches!(e, Expr::Starred(_))) {
                    self.emit(Instr::UnpackEx(star as u16, (elts.len() - star - 1) as u16));
                } else {
                    self.emit(Instr::UnpackSequence(elts.len() as u32));
                }
                for e in elts {
                    match e {
                        Expr::Starred(s) => self.assign(&s.value)?,
                        e => self.assign(e)?,
                    }
                }
            }
            other => return Err(self.err("cannot assign to expression", other.range())),
        }
        Ok(())
    }

    // ---- functions and classes ------------------------------------------

    fn function(
        &mut self,
        name: &str,
        args: &'a ast::Arguments,
        body: FnBody<'a>,
        range: rustpython_parser::text_size::TextRange,
    ) -> R {
        // Defaults are evaluated here, in the enclosing scope.
        let mut flags = 0u8;
        let pos: Vec<&ast::ArgWithDefault> =
            args.posonlyargs.iter().chain(args.args.iter()).collect();
        let defs: Vec<&Expr> = pos.iter().filter_map(|a| a.default.as_deref()).collect();
        if !defs.is_empty() {
            for d in &defs {
                self.expr(d)?;
            }
            self.emit(Instr::BuildTuple(defs.len() as u32));
            flags |= 1;
        }
        let kwd: Vec<&ast::ArgWithDefault> = args
            .kwonlyargs
            .iter()
            .filter(|a| a.default.is_some())
            .collect();
        if !kwd.is_empty() {
            for a in &kwd {
                let k = self.const_obj(intern(&a.def.arg));
                self.emit(Instr::LoadConst(k));
                self.expr(a.default.as_deref().expect("filtered"))?;
            }
            self.emit(Instr::BuildDict(kwd.len() as u32));
            flags |= 2;
        }
        let names = match body {
            FnBody::Stmts(b) => scope::analyze_function(args, b),
            FnBody::Expr(e) => {
                let mut params: Vec<String> = pos.iter().map(|a| a.def.arg.to_string()).collect();
                params.extend(args.kwonlyargs.iter().map(|a| a.def.arg.to_string()));
                if let Some(a) = &args.vararg {
                    params.push(a.arg.to_string());
                }
                if let Some(a) = &args.kwarg {
                    params.push(a.arg.to_string());
                }
                scope::analyze_expr_scope(&params, e)
            }
        };
        let mut st = FnState::new(name, Kind::Function, self.src, self.module);
        st.line = self.st().line;
        for a in &pos {
            st.slot(&a.def.arg);
        }
        st.code.argcount = pos.len();
        st.code.ndefaults = defs.len();
        for a in &args.kwonlyargs {
            st.slot(&a.def.arg);
        }
        st.code.kwonlycount = args.kwonlyargs.len();
        if let Some(a) = &args.vararg {
            st.slot(&a.arg);
            st.code.has_varargs = true;
        }
        if let Some(a) = &args.kwarg {
            st.slot(&a.arg);
            st.code.has_varkw = true;
        }
        st.code.is_generator = names.has_yield;
        let frees = self.setup_scope(&mut st, &names);
        if !frees.is_empty() {
            for n in &frees {
                self.load_cell(n, range)?;
            }
            self.emit(Instr::BuildTuple(frees.len() as u32));
            flags |= 4;
        }
        let id = bytecode::add_code(Code::default());
        self.fns.push(st);
        match body {
            FnBody::Stmts(b) => {
                self.stmts(b)?;
                let k = self.const_obj(objects::none());
                self.emit(Instr::LoadConst(k));
                self.emit(Instr::Return);
            }
            FnBody::Expr(e) => {
                self.expr(e)?;
                self.emit(Instr::Return);
            }
        }
        let st = self.fns.pop().expect("function state");
        bytecode::set_code(id, st.finish()?);
        self.emit(Instr::MakeFunction(id as u32, flags));
        Ok(())
    }

    /// Decides cells and free variables of a new function scope; returns
    /// the free names (in closure order).
    fn setup_scope(&mut self, st: &mut FnState<'a>, names: &Names) -> Vec<String> {
        st.globals = names.globals.clone();
        for n in &names.assigned {
            st.slot(n);
        }
        for n in &names.child_free {
            if names.assigned.contains(n) {
                st.cells.insert(n.clone());
            }
        }
        // Free names that an enclosing function provides.
        let mut frees = Vec::new();
        for n in names.free() {
            if self.enclosing_has(&n) {
                frees.push(n);
            }
        }
        for n in &frees {
            let s = st.slot(n);
            st.cells.insert(n.clone());
            st.code.free_slots.push(s);
        }
        let cells: Vec<u32> = st
            .cells
            .iter()
            .filter(|n| !frees.contains(n))
            .map(|n| st.locals[n])
            .collect();
        st.code.cell_slots = cells;
        frees
    }

    fn enclosing_has(&self, n: &str) -> bool {
        self.fns
            .iter()
            .rev()
            .any(|f| f.kind == Kind::Function && f.locals.contains_key(n) && f.cells.contains(n))
    }

    fn load_cell(&mut self, n: &str, r: rustpython_parser::text_size::TextRange) -> R {
        // The nearest function scope (skipping classes) holds the cell.
        let top = self.st();
        if top.cells.contains(n) {
            if let Some(&s) = top.locals.get(n) {
                self.emit(Instr::LoadCell(s));
                return Ok(());
            }
        }
        let idx = self.fns.iter().rposition(|f| f.kind == Kind::Function);
        match idx {
            Some(i) if i == self.fns.len() - 1 => {
                let s = self.fns[i].locals[n];
                self.emit(Instr::LoadCell(s));
                Ok(())
            }
            Some(i) => {
                // Inside a class body: the class body itself needs it as free.
                let _ = i;
                Err(self.err("closures over class-body scopes are not supported", r))
            }
            None => Err(self.err("no enclosing function for a closure", r)),
        }
    }

    fn class(&mut self, c: &'a ast::StmtClassDef) -> R {
        for d in &c.decorator_list {
            self.expr(d)?;
        }
        let mut st = FnState::new(&c.name, Kind::Class, self.src, self.module);
        st.line = self.st().line;
        st.slot(".ns");
        st.code.argcount = 1;
        // Names the body or its methods take from enclosing functions: the
        // class body receives their cells as a closure (like a function)
        // and passes them on to the methods that use them.
        let names = scope::analyze_class(&c.body);
        let mut wanted: BTreeSet<String> = names.child_free.clone();
        for n in names.used.iter() {
            if !names.assigned.contains(n) && !names.globals.contains(n) {
                wanted.insert(n.clone());
            }
        }
        let frees: Vec<String> = wanted
            .into_iter()
            .filter(|n| self.enclosing_has(n) || self.st().cells.contains(n))
            .collect();
        for n in &frees {
            let s = st.slot(n);
            st.cells.insert(n.clone());
            st.code.free_slots.push(s);
        }
        st.class_assigned = names.assigned.clone();
        let mut flags = 0;
        if !frees.is_empty() {
            for n in &frees {
                self.load_cell(n, c.range)?;
            }
            self.emit(Instr::BuildTuple(frees.len() as u32));
            flags |= 4;
        }
        let id = bytecode::add_code(Code::default());
        self.fns.push(st);
        self.stmts(&c.body)?;
        let k = self.const_obj(objects::none());
        self.emit(Instr::LoadConst(k));
        self.emit(Instr::Return);
        let st = self.fns.pop().expect("class state");
        bytecode::set_code(id, st.finish()?);
        self.emit(Instr::MakeFunction(id as u32, flags));
        for b in &c.bases {
            self.expr(b)?;
        }
        self.emit(Instr::BuildTuple(c.bases.len() as u32));
        let mut meta = false;
        for kw in &c.keywords {
            match kw.arg.as_deref() {
                Some("metaclass") if !meta => {
                    self.expr(&kw.value)?;
                    meta = true;
                }
                _ => {
                    let msg = "class keyword arguments other than one metaclass= are not supported";
                    return Err(self.err(msg, kw.range));
                }
            }
        }
        let k = self.const_obj(intern(&c.name));
        self.emit(Instr::BuildClass(k, meta));
        for _ in &c.decorator_list {
            self.emit(Instr::Call(1));
        }
        self.store_name(&c.name);
        Ok(())
    }
}

fn collect_targets(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::Name(n) => {
            out.insert(n.id.to_string());
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| collect_targets(e, out)),
        Expr::List(t) => t.elts.iter().for_each(|e| collect_targets(e, out)),
        Expr::Starred(s) => collect_targets(&s.value, out),
        _ => {}
    }
}

#[derive(Clone, Copy)]
enum FnBody<'a> {
    Stmts(&'a [Stmt]),
    Expr(&'a Expr),
}

fn binop(o: &ast::Operator) -> BinOp {
    use ast::Operator::*;
    match o {
        Add => BinOp::Add,
        Sub => BinOp::Sub,
        Mult => BinOp::Mul,
        MatMult => BinOp::MatMul,
        Div => BinOp::TrueDiv,
        Mod => BinOp::Mod,
        Pow => BinOp::Pow,
        LShift => BinOp::LShift,
        RShift => BinOp::RShift,
        BitOr => BinOp::Or,
        BitXor => BinOp::Xor,
        BitAnd => BinOp::And,
        FloorDiv => BinOp::FloorDiv,
    }
}

fn cmpop(o: &ast::CmpOp) -> CmpOp {
    use ast::CmpOp::*;
    match o {
        Eq => CmpOp::Eq,
        NotEq => CmpOp::Ne,
        Lt => CmpOp::Lt,
        LtE => CmpOp::Le,
        Gt => CmpOp::Gt,
        GtE => CmpOp::Ge,
        Is => CmpOp::Is,
        IsNot => CmpOp::IsNot,
        In => CmpOp::In,
        NotIn => CmpOp::NotIn,
    }
}
