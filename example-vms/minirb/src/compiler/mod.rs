//! From `lib-ruby-parser`'s AST to minirb bytecode.
//!
//! Owns: parsing (syntax errors reported as CRuby words them:
//! `file:line: message`), scopes of local variables (red locals, or
//! environment slots when a nested block can see them), loops, blocks,
//! parameters, exception regions, and the lowering of operators to sends.
//! Constructs minirb does not support compile to a runtime
//! `NotImplementedError`, so the rest of a program still runs.

use crate::bytecode::{self, Code, Handler, Op, Params, Site, Slot};
use crate::objects::{self, keep};
use lib_ruby_parser::nodes;
use lib_ruby_parser::traverse::visitor::{self as visit, Visitor};
use lib_ruby_parser::{Node, Parser, ParserOptions};
use metatrace::heap::GcRef;
use std::collections::HashMap;

/// A syntax error, rendered as CRuby prints it.
pub struct SyntaxError(pub String);

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Main,
    Method,
    Block,
    Class,
}

struct Loop {
    cond: usize,
    breaks: Vec<usize>,
    depth: usize,
    ensures: usize,
}

struct Scope {
    cid: usize,
    kind: Kind,
    name: String,
    ops: Vec<Op>,
    lines: Vec<usize>,
    consts: Vec<GcRef>,
    sites: Vec<Site>,
    handlers: Vec<Handler>,
    vars: HashMap<String, Slot>,
    nlocals: usize,
    nenv: usize,
    env_mode: bool,
    loops: Vec<Loop>,
    ensures: Vec<Option<Box<Node>>>,
    retry: Vec<(usize, usize)>,
    line: usize,
    depth: usize,
    params: Params,
    /// zsuper: the parameter slots (req+opt, rest).
    method_params: Vec<Slot>,
    method_rest: Option<Slot>,
    needs_home: bool,
}

struct Compiler<'a> {
    filename: String,
    line_starts: &'a [usize],
    scopes: Vec<Scope>,
    tmp: usize,
}

type R<T> = Result<T, SyntaxError>;

/// Finds nested blocks (not crossing def/class) and `return`s in them.
#[derive(Default)]
struct BlockFinder {
    blocks: bool,
    in_block: usize,
    returns_in_block: bool,
}
impl Visitor for BlockFinder {
    fn on_block(&mut self, n: &nodes::Block) {
        self.blocks = true;
        self.visit(&n.call);
        self.in_block += 1;
        if let Some(a) = &n.args {
            self.visit(a);
        }
        if let Some(b) = &n.body {
            self.visit(b);
        }
        self.in_block -= 1;
    }
    fn on_numblock(&mut self, n: &nodes::Numblock) {
        self.blocks = true;
        self.visit(&n.call);
        self.in_block += 1;
        self.visit(&n.body);
        self.in_block -= 1;
    }
    fn on_return(&mut self, n: &nodes::Return) {
        if self.in_block > 0 {
            self.returns_in_block = true;
        }
        visit::visit_return(self, n);
    }
    fn on_def(&mut self, _: &nodes::Def) {}
    fn on_defs(&mut self, _: &nodes::Defs) {}
    fn on_class(&mut self, _: &nodes::Class) {}
    fn on_module(&mut self, _: &nodes::Module) {}
    fn on_s_class(&mut self, _: &nodes::SClass) {}
}

fn scan(body: Option<&Node>) -> BlockFinder {
    let mut f = BlockFinder::default();
    if let Some(b) = body {
        f.visit(b);
    }
    f
}

/// Parses `src`; the program's AST or a syntax error.
fn parse(filename: &str, src: &str) -> Result<(Option<Box<Node>>, Vec<usize>), SyntaxError> {
    let opts = ParserOptions {
        buffer_name: filename.to_string(),
        record_tokens: false,
        ..Default::default()
    };
    let res = Parser::new(src.as_bytes().to_vec(), opts).do_parse();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |off: usize| line_starts.partition_point(|s| *s <= off);
    let errors: Vec<_> = res
        .diagnostics
        .iter()
        .filter(|d| matches!(d.level, lib_ruby_parser::ErrorLevel::Error))
        .collect();
    if !errors.is_empty() {
        let msg = errors
            .iter()
            .map(|d| {
                format!(
                    "{filename}:{}: syntax error, {}",
                    line_of(d.loc.begin),
                    d.render_message()
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Err(SyntaxError(msg));
    }
    Ok((res.ast, line_starts))
}

/// Compiles a program (or a required file); returns its main code id.
pub fn compile_program(filename: &str, src: &str) -> Result<usize, SyntaxError> {
    let (ast, line_starts) = parse(filename, src)?;
    let mut c = Compiler {
        filename: filename.to_string(),
        line_starts: &line_starts,
        scopes: Vec::new(),
        tmp: 0,
    };
    let f = scan(ast.as_deref());
    c.push_scope(Kind::Main, "<main>", f.blocks, None);
    c.body(ast.as_deref())?;
    c.emit(Op::Return);
    Ok(c.finish())
}

fn sym(name: &str) -> usize {
    objects::sym_id(name)
}

fn op_effect(op: &Op, sites: &[Site]) -> (usize, usize) {
    use Op::*;
    match *op {
        Nil | True | False | SelfV | Lit(_) | Str(_) | GetLocal(_) | GetEnv(..) | GetIvar(_)
        | GetGlobal(_) | GetCvar(_) | GetConst(_) | BlockGiven | BlockArg | Lambda(_) => (0, 1),
        Over(_) | Dup => (0, 1),
        SetLocal(_) | SetEnv(..) | SetIvar(_) | SetGlobal(_) | SetCvar(_) | SetConst(_) | Pop => {
            (1, 0)
        }
        SetConstFrom(_) => (2, 0),
        GetConstFrom(_) | IsUndef | ToArray | ToS | Defined(_) => (1, 1),
        Swap => (2, 2),
        Send(i) => {
            let s = &sites[i];
            (1 + s.argc + s.blk_arg as usize, 1)
        }
        Super(i) => {
            let s = &sites[i];
            (s.argc + s.blk_arg as usize, 1)
        }
        Yield(n, _) => (n, 1),
        Jump(_) => (0, 0),
        JumpIf(_) | JumpIfNot(_) => (1, 0),
        JumpIfNil(_) => (0, 0),
        MakeArray(n) => (n, 1),
        ArrayPush | ArrayConcat => (2, 1),
        Expand(a, r, b) => (1, a + r as usize + b),
        MakeHash(n) => (2 * n, 1),
        MakeRange(_) => (2, 1),
        Concat(n) => (n, 1),
        Def(..) => (0, 1),
        DefS(..) => (1, 1),
        Class(..) => (2, 1),
        Module(..) => (1, 1),
        SClass(_) => (1, 1),
        Return | ReturnNonLocal | Break | Raise => (1, 0),
        ExcMatch(n) => (n, 1),
    }
}

impl Compiler<'_> {
    fn push_scope(&mut self, kind: Kind, name: &str, env_mode: bool, _parent: Option<usize>) {
        let cid = bytecode::reserve_code();
        let line = self.scopes.last().map_or(1, |s| s.line);
        self.scopes.push(Scope {
            cid,
            kind,
            name: name.to_string(),
            ops: Vec::new(),
            lines: Vec::new(),
            consts: Vec::new(),
            sites: Vec::new(),
            handlers: Vec::new(),
            vars: HashMap::new(),
            nlocals: 0,
            nenv: if env_mode { 1 } else { 0 },
            env_mode,
            loops: Vec::new(),
            ensures: Vec::new(),
            retry: Vec::new(),
            line,
            depth: 0,
            params: Params::default(),
            method_params: Vec::new(),
            method_rest: None,
            needs_home: false,
        });
    }

    fn finish(&mut self) -> usize {
        let s = self.scopes.pop().expect("a scope");
        let parent = self.scopes.last().map(|p| p.cid);
        let method_name = self.method_name_of(&s);
        let cid = s.cid;
        bytecode::set_code(
            cid,
            Code {
                name: s.name,
                filename: self.filename.clone(),
                ops: s.ops,
                lines: s.lines,
                consts: s.consts,
                sites: s.sites,
                handlers: s.handlers,
                nlocals: s.nlocals,
                nenv: s.nenv,
                params: s.params,
                is_block: s.kind == Kind::Block,
                parent,
                needs_home: s.needs_home,
                method_name,
            },
        );
        cid
    }

    fn method_name_of(&self, s: &Scope) -> String {
        if s.kind != Kind::Block {
            return s.name.clone();
        }
        for p in self.scopes.iter().rev() {
            if p.kind != Kind::Block {
                return p.name.clone();
            }
        }
        String::new()
    }

    fn sc(&mut self) -> &mut Scope {
        self.scopes.last_mut().expect("a scope")
    }
    fn emit(&mut self, op: Op) {
        let s = self.scopes.last_mut().expect("a scope");
        let (p, q) = op_effect(&op, &s.sites);
        s.depth = s.depth.saturating_sub(p) + q;
        let l = s.line;
        s.ops.push(op);
        s.lines.push(l);
    }
    fn depth(&self) -> usize {
        self.scopes.last().expect("a scope").depth
    }
    fn set_depth(&mut self, d: usize) {
        self.sc().depth = d;
    }
    fn pc(&mut self) -> usize {
        self.sc().ops.len()
    }
    fn patch(&mut self, at: usize, target: usize) {
        let op = &mut self.sc().ops[at];
        *op = match *op {
            Op::Jump(_) => Op::Jump(target),
            Op::JumpIf(_) => Op::JumpIf(target),
            Op::JumpIfNot(_) => Op::JumpIfNot(target),
            Op::JumpIfNil(_) => Op::JumpIfNil(target),
            o => o,
        };
    }
    fn patch_here(&mut self, at: usize) {
        let here = self.pc();
        self.patch(at, here);
    }
    fn konst(&mut self, r: GcRef) -> usize {
        // Rooted now, not when the scope is finished: the scope's constant
        // table is a plain Vec the collector cannot see, and the next
        // literal's allocation may collect.
        keep(r);
        let s = self.sc();
        s.consts.push(r);
        s.consts.len() - 1
    }
    fn lit(&mut self, r: GcRef) {
        let i = self.konst(r);
        self.emit(Op::Lit(i));
    }
    fn lit_sym(&mut self, name: &str) {
        let r = objects::sym(name);
        self.lit(r);
    }
    fn str_lit(&mut self, s: &str) {
        let r = objects::new_str(s);
        let i = self.konst(r);
        self.emit(Op::Str(i));
    }
    fn line(&self, n: &Node) -> usize {
        self.line_starts
            .partition_point(|s| *s <= n.expression().begin)
    }
    fn at(&mut self, n: &Node) {
        let l = self.line(n);
        self.sc().line = l;
    }

    // ---- variables -------------------------------------------------------

    fn new_slot(&mut self) -> Slot {
        let s = self.sc();
        if s.env_mode {
            s.nenv += 1;
            Slot::Env(s.nenv - 1)
        } else {
            s.nlocals += 1;
            Slot::Local(s.nlocals - 1)
        }
    }
    fn declare(&mut self, name: &str) -> Slot {
        let sl = self.new_slot();
        self.sc().vars.insert(name.to_string(), sl);
        sl
    }
    fn temp(&mut self) -> Slot {
        self.tmp += 1;
        let n = format!("%t{}", self.tmp);
        self.declare(&n)
    }
    /// (depth, slot) of a visible variable.
    fn resolve(&self, name: &str) -> Option<(usize, Slot)> {
        let mut d = 0;
        for s in self.scopes.iter().rev() {
            if let Some(sl) = s.vars.get(name) {
                return Some((d, *sl));
            }
            if s.kind != Kind::Block {
                return None;
            }
            if s.env_mode {
                d += 1;
            }
        }
        None
    }
    fn get_var(&mut self, name: &str) {
        match self.resolve(name) {
            Some((0, Slot::Local(i))) => self.emit(Op::GetLocal(i)),
            Some((d, Slot::Env(i))) => self.emit(Op::GetEnv(d, i)),
            Some((_, Slot::Local(_))) => self.emit(Op::Nil),
            None => self.emit(Op::Nil),
        }
    }
    fn get_slot(&mut self, s: Slot) {
        match s {
            Slot::Local(i) => self.emit(Op::GetLocal(i)),
            Slot::Env(i) => self.emit(Op::GetEnv(0, i)),
        }
    }
    fn set_slot(&mut self, s: Slot) {
        match s {
            Slot::Local(i) => self.emit(Op::SetLocal(i)),
            Slot::Env(i) => self.emit(Op::SetEnv(0, i)),
        }
    }
    /// Pops into local variable `name` (declared here if new).
    fn set_var(&mut self, name: &str) {
        match self.resolve(name) {
            Some((0, Slot::Local(i))) => self.emit(Op::SetLocal(i)),
            Some((d, Slot::Env(i))) => self.emit(Op::SetEnv(d, i)),
            _ => {
                let s = self.declare(name);
                self.set_slot(s);
            }
        }
    }

    fn runtime_error(&mut self, what: &str, n: &Node) {
        self.at(n);
        self.emit(Op::SelfV);
        let c = objects::new_str("NotImplementedError");
        let _ = c;
        self.emit(Op::GetConst(sym("NotImplementedError")));
        self.str_lit(&format!("minirb does not support {what}"));
        self.send_site(sym("raise"), 2, true);
    }

    fn send_site(&mut self, s: usize, argc: usize, fcall: bool) {
        let site = Site {
            sym: s,
            argc,
            splat: false,
            kw: false,
            blk: None,
            blk_arg: false,
            fcall,
            safe: false,
            zsuper: false,
        };
        self.emit_site(site, false);
    }
    fn emit_site(&mut self, site: Site, sup: bool) {
        let sc = self.sc();
        sc.sites.push(site);
        let i = sc.sites.len() - 1;
        self.emit(if sup { Op::Super(i) } else { Op::Send(i) });
    }

    // ---- expressions -------------------------------------------------------

    fn body(&mut self, n: Option<&Node>) -> R<()> {
        match n {
            Some(n) => self.expr(n),
            None => {
                self.emit(Op::Nil);
                Ok(())
            }
        }
    }

    fn stmts(&mut self, v: &[Node]) -> R<()> {
        if v.is_empty() {
            self.emit(Op::Nil);
        }
        for (i, s) in v.iter().enumerate() {
            self.expr(s)?;
            if i + 1 < v.len() {
                self.emit(Op::Pop);
            }
        }
        Ok(())
    }

    fn expr(&mut self, n: &Node) -> R<()> {
        let start_depth = self.depth();
        self.expr_inner(n)?;
        debug_assert_eq!(self.depth(), start_depth + 1, "{:?}", n.str_type());
        Ok(())
    }

    fn expr_inner(&mut self, n: &Node) -> R<()> {
        match n {
            Node::Nil(_) => self.emit(Op::Nil),
            Node::True(_) => self.emit(Op::True),
            Node::False(_) => self.emit(Op::False),
            Node::Self_(_) => self.emit(Op::SelfV),
            Node::Int(i) => {
                let v = parse_int(&i.value);
                let r = objects::new_bigint(&v);
                self.lit(r)
            }
            Node::Float(f) => {
                let v: f64 = f.value.replace('_', "").parse().unwrap_or(0.0);
                self.lit(objects::new_float(v))
            }
            Node::Str(s) => {
                let t = s.value.to_string_lossy();
                self.str_lit(&t)
            }
            Node::Dstr(d) => self.dstr(&d.parts)?,
            Node::Heredoc(d) => self.dstr(&d.parts)?,
            Node::Sym(s) => {
                let t = s.name.to_string_lossy();
                self.lit_sym(&t)
            }
            Node::Dsym(d) => {
                self.dstr(&d.parts)?;
                self.send_site(sym("to_sym"), 0, false);
            }
            Node::Lvar(l) => self.get_var(&l.name),
            Node::Lvasgn(l) => {
                if self.resolve(&l.name).is_none() {
                    // Visible (as nil) inside its own value: `f = -> { f.() }`.
                    self.declare(&l.name);
                }
                self.body(l.value.as_deref())?;
                self.emit(Op::Dup);
                self.set_var(&l.name);
            }
            Node::Ivar(v) => self.emit(Op::GetIvar(sym(&v.name))),
            Node::Ivasgn(v) => {
                self.body(v.value.as_deref())?;
                self.emit(Op::Dup);
                self.emit(Op::SetIvar(sym(&v.name)));
            }
            Node::Gvar(v) => self.emit(Op::GetGlobal(sym(&v.name))),
            Node::Gvasgn(v) => {
                self.body(v.value.as_deref())?;
                self.emit(Op::Dup);
                self.emit(Op::SetGlobal(sym(&v.name)));
            }
            Node::Cvar(v) => self.emit(Op::GetCvar(sym(&v.name))),
            Node::Cvasgn(v) => {
                self.body(v.value.as_deref())?;
                self.emit(Op::Dup);
                self.emit(Op::SetCvar(sym(&v.name)));
            }
            Node::BackRef(_) | Node::NthRef(_) => self.emit(Op::Nil),
            Node::Const(c) => self.constant(c)?,
            Node::Casgn(c) => match &c.scope {
                None => {
                    self.body(c.value.as_deref())?;
                    self.emit(Op::Dup);
                    self.emit(Op::SetConst(sym(&c.name)));
                }
                Some(s) => {
                    self.body(c.value.as_deref())?;
                    self.emit(Op::Dup);
                    self.scope_expr(s)?;
                    self.emit(Op::SetConstFrom(sym(&c.name)));
                }
            },
            Node::Begin(b) => self.stmts(&b.statements)?,
            Node::KwBegin(b) => self.stmts(&b.statements)?,
            Node::Array(a) => self.array(&a.elements)?,
            Node::Hash(h) => self.hash(&h.pairs)?,
            Node::Kwargs(h) => self.hash(&h.pairs)?,
            Node::Irange(r) => {
                self.body(r.left.as_deref())?;
                self.body(r.right.as_deref())?;
                self.emit(Op::MakeRange(false));
            }
            Node::Erange(r) => {
                self.body(r.left.as_deref())?;
                self.body(r.right.as_deref())?;
                self.emit(Op::MakeRange(true));
            }
            Node::File(_) => {
                let f = self.filename.clone();
                self.str_lit(&f)
            }
            Node::Line(l) => {
                let line = self
                    .line_starts
                    .partition_point(|s| *s <= l.expression_l.begin);
                self.lit(objects::new_int(line as i64))
            }
            Node::Encoding(_) => self.str_lit("UTF-8"),
            Node::Send(s) => {
                self.at(n);
                self.send(s.recv.as_deref(), &s.method_name, &s.args, None, false)?
            }
            Node::CSend(s) => {
                self.at(n);
                self.send(Some(&s.recv), &s.method_name, &s.args, None, true)?
            }
            Node::Index(i) => {
                self.at(n);
                self.send(Some(&i.recv), "[]", &i.indexes, None, false)?
            }
            Node::IndexAsgn(i) => {
                self.at(n);
                let mut args = i.indexes.clone();
                if let Some(v) = &i.value {
                    args.push((**v).clone());
                }
                self.send(Some(&i.recv), "[]=", &args, None, false)?
            }
            Node::Block(b) => self.block_call(b, None)?,
            Node::Numblock(b) => self.block_call_num(b)?,
            Node::Super(s) => {
                self.at(n);
                self.super_call(Some(&s.args), None)?
            }
            Node::ZSuper(_) => {
                self.at(n);
                self.super_call(None, None)?
            }
            Node::Yield(y) => {
                self.at(n);
                if y.args.iter().any(|a| matches!(a, Node::Splat(_))) {
                    self.array(&y.args)?;
                    self.emit(Op::Yield(1, true));
                } else {
                    for a in &y.args {
                        self.expr(a)?;
                    }
                    self.emit(Op::Yield(y.args.len(), false));
                }
            }
            Node::If(i) => self.if_(&i.cond, i.if_true.as_deref(), i.if_false.as_deref())?,
            Node::IfMod(i) => self.if_(&i.cond, i.if_true.as_deref(), i.if_false.as_deref())?,
            Node::IfTernary(i) => self.if_(&i.cond, Some(&i.if_true), Some(&i.if_false))?,
            Node::And(a) => {
                self.expr(&a.lhs)?;
                self.emit(Op::Dup);
                let j = self.pc();
                self.emit(Op::JumpIfNot(0));
                self.emit(Op::Pop);
                self.expr(&a.rhs)?;
                self.patch_here(j);
            }
            Node::Or(a) => {
                self.expr(&a.lhs)?;
                self.emit(Op::Dup);
                let j = self.pc();
                self.emit(Op::JumpIf(0));
                self.emit(Op::Pop);
                self.expr(&a.rhs)?;
                self.patch_here(j);
            }
            Node::While(w) => self.while_(&w.cond, w.body.as_deref(), false, false)?,
            Node::Until(w) => self.while_(&w.cond, w.body.as_deref(), true, false)?,
            Node::WhilePost(w) => self.while_(&w.cond, Some(&w.body), false, true)?,
            Node::UntilPost(w) => self.while_(&w.cond, Some(&w.body), true, true)?,
            Node::Case(c) => self.case(c)?,
            Node::Def(d) => {
                self.at(n);
                let cid = self.def(&d.name, d.args.as_deref(), d.body.as_deref())?;
                self.emit(Op::Def(sym(&d.name), cid));
            }
            Node::Defs(d) => {
                self.at(n);
                self.expr(&d.definee)?;
                let cid = self.def(&d.name, d.args.as_deref(), d.body.as_deref())?;
                self.emit(Op::DefS(sym(&d.name), cid));
            }
            Node::Class(c) => {
                self.at(n);
                let (scope, name) = self.class_name(&c.name)?;
                match scope {
                    Some(s) => self.scope_expr(s)?,
                    None => self.emit(Op::Nil),
                }
                match &c.superclass {
                    Some(s) => self.expr(s)?,
                    None => self.lit(objects::undef()),
                }
                let cid = self.class_body(&name, c.body.as_deref(), Kind::Class)?;
                self.emit(Op::Class(sym(&name), cid));
            }
            Node::Module(c) => {
                self.at(n);
                let (scope, name) = self.class_name(&c.name)?;
                match scope {
                    Some(s) => self.scope_expr(s)?,
                    None => self.emit(Op::Nil),
                }
                let cid = self.class_body(&name, c.body.as_deref(), Kind::Class)?;
                self.emit(Op::Module(sym(&name), cid));
            }
            Node::SClass(c) => {
                self.at(n);
                self.expr(&c.expr)?;
                let cid = self.class_body("singleton class", c.body.as_deref(), Kind::Class)?;
                self.emit(Op::SClass(cid));
            }
            Node::Return(r) => {
                self.at(n);
                self.args_value(&r.args)?;
                self.return_(false)?;
            }
            Node::Break(b) => {
                self.at(n);
                self.args_value(&b.args)?;
                self.break_()?;
            }
            Node::Next(b) => {
                self.at(n);
                self.args_value(&b.args)?;
                self.next_()?;
            }
            Node::Retry(_) => {
                let t = self.sc().retry.last().copied();
                match t {
                    Some((t, d)) => {
                        let now = self.depth();
                        for _ in d..now {
                            self.emit(Op::Pop);
                        }
                        self.emit(Op::Jump(t));
                        self.set_depth(now);
                        self.emit(Op::Nil);
                    }
                    None => self.runtime_error("retry outside rescue", n),
                }
            }
            Node::Redo(_) => self.runtime_error("redo", n),
            Node::Rescue(r) => self.rescue(r, None)?,
            Node::Ensure(e) => self.ensure(e)?,
            Node::OpAsgn(o) => self.op_asgn(&o.recv, Some(&o.operator), &o.value, n)?,
            Node::OrAsgn(o) => self.op_asgn(&o.recv, Some("||"), &o.value, n)?,
            Node::AndAsgn(o) => self.op_asgn(&o.recv, Some("&&"), &o.value, n)?,
            Node::Masgn(m) => {
                self.at(n);
                match &*m.rhs {
                    Node::Array(a) if !a.elements.iter().any(|e| matches!(e, Node::Splat(_))) => {
                        self.array(&a.elements)?
                    }
                    rhs => {
                        self.expr(rhs)?;
                        self.emit(Op::ToArray);
                    }
                }
                self.emit(Op::Dup);
                let Node::Mlhs(l) = &*m.lhs else {
                    return Err(self.err("this assignment", n));
                };
                self.destructure(&l.items)?;
            }
            Node::Alias(a) => {
                self.at(n);
                self.emit(Op::SelfV);
                for x in [&a.to, &a.from] {
                    match &**x {
                        Node::Sym(s) => {
                            let t = s.name.to_string_lossy();
                            self.lit_sym(&t)
                        }
                        _ => self.emit(Op::Nil),
                    }
                }
                self.send_site(sym("alias_method"), 2, true);
            }
            Node::Defined(d) => self.defined(&d.value)?,
            Node::Lambda(_) => self.runtime_error("a bare lambda", n),
            Node::Splat(s) => {
                self.body(s.value.as_deref())?;
                self.emit(Op::ToArray);
            }
            Node::BlockPass(_) => self.runtime_error("this block pass", n),
            Node::Regexp(_) => self.runtime_error("regular expressions", n),
            Node::MatchWithLvasgn(_) => self.runtime_error("regular expressions", n),
            Node::Undef(_) => self.emit(Op::Nil),
            Node::For(f) => self.for_(f)?,
            Node::Preexe(_) | Node::Postexe(_) => self.emit(Op::Nil),
            Node::Cbase(_) => self.lit(objects::class_obj_of(objects::cls::OBJECT)),
            _ => self.runtime_error(&format!("{} nodes", n.str_type()), n),
        }
        Ok(())
    }

    fn err(&self, what: &str, n: &Node) -> SyntaxError {
        SyntaxError(format!(
            "{}:{}: minirb does not support {what}",
            self.filename,
            self.line(n)
        ))
    }

    fn dstr(&mut self, parts: &[Node]) -> R<()> {
        let mut k = 0;
        for p in parts {
            match p {
                Node::Str(s) => {
                    let t = s.value.to_string_lossy();
                    self.str_lit(&t)
                }
                Node::Begin(b) => {
                    self.stmts(&b.statements)?;
                    self.emit(Op::ToS);
                }
                other => {
                    self.expr(other)?;
                    self.emit(Op::ToS);
                }
            }
            k += 1;
        }
        self.emit(Op::Concat(k));
        Ok(())
    }

    fn constant(&mut self, c: &nodes::Const) -> R<()> {
        match &c.scope {
            None => self.emit(Op::GetConst(sym(&c.name))),
            Some(s) => {
                self.scope_expr(s)?;
                self.emit(Op::GetConstFrom(sym(&c.name)));
            }
        }
        Ok(())
    }
    fn scope_expr(&mut self, s: &Node) -> R<()> {
        match s {
            Node::Cbase(_) => {
                self.lit(objects::class_obj_of(objects::cls::OBJECT));
                Ok(())
            }
            _ => self.expr(s),
        }
    }
    fn class_name<'n>(&self, n: &'n Node) -> R<(Option<&'n Node>, String)> {
        match n {
            Node::Const(c) => Ok((c.scope.as_deref(), c.name.clone())),
            _ => Err(self.err("this class name", n)),
        }
    }

    fn array(&mut self, elems: &[Node]) -> R<()> {
        if elems.iter().any(|e| matches!(e, Node::Splat(_))) {
            self.emit(Op::MakeArray(0));
            for e in elems {
                match e {
                    Node::Splat(s) => {
                        self.body(s.value.as_deref())?;
                        self.emit(Op::ArrayConcat);
                    }
                    e => {
                        self.expr(e)?;
                        self.emit(Op::ArrayPush);
                    }
                }
            }
        } else {
            for e in elems {
                self.expr(e)?;
            }
            self.emit(Op::MakeArray(elems.len()));
        }
        Ok(())
    }

    fn hash(&mut self, pairs: &[Node]) -> R<()> {
        let mut n = 0;
        let mut merges = Vec::new();
        for p in pairs {
            match p {
                Node::Pair(p) => {
                    self.expr(&p.key)?;
                    self.expr(&p.value)?;
                    n += 1;
                }
                Node::Kwsplat(k) => merges.push(&*k.value),
                _ => return Err(self.err("this hash element", p)),
            }
        }
        self.emit(Op::MakeHash(n));
        for m in merges {
            self.expr(m)?;
            self.send_site(sym("merge"), 1, false);
        }
        Ok(())
    }

    fn args_value(&mut self, args: &[Node]) -> R<()> {
        match args.len() {
            0 => self.emit(Op::Nil),
            1 if !matches!(args[0], Node::Splat(_)) => self.expr(&args[0])?,
            _ => self.array(args)?,
        }
        Ok(())
    }

    /// Pushes the arguments of a call; fills the site's argc/splat/kw/blk_arg.
    fn call_args(&mut self, args: &[Node], site: &mut Site) -> R<()> {
        let (blockpass, args) = match args.last() {
            Some(Node::BlockPass(b)) => (Some(b), &args[..args.len() - 1]),
            _ => (None, args),
        };
        site.kw = matches!(args.last(), Some(Node::Kwargs(_)));
        if args.iter().any(|a| matches!(a, Node::Splat(_))) {
            self.array(args)?;
            site.argc = 1;
            site.splat = true;
        } else {
            for a in args {
                self.expr(a)?;
            }
            site.argc = args.len();
        }
        if let Some(b) = blockpass {
            match &b.value {
                Some(v) => self.expr(v)?,
                None => self.emit(Op::BlockArg),
            }
            site.blk_arg = true;
        }
        Ok(())
    }

    fn send(
        &mut self,
        recv: Option<&Node>,
        name: &str,
        args: &[Node],
        blk: Option<usize>,
        safe: bool,
    ) -> R<()> {
        if recv.is_none() && blk.is_none() {
            match (name, args.len()) {
                ("block_given?", 0) | ("iterator?", 0) => {
                    self.emit(Op::BlockGiven);
                    return Ok(());
                }
                ("__method__", 0) => {
                    let m = self.method_name_of(self.scopes.last().expect("scope"));
                    if m.starts_with('<') {
                        self.emit(Op::Nil)
                    } else {
                        self.lit_sym(&m)
                    }
                    return Ok(());
                }
                ("binding", 0) => {
                    self.emit(Op::Nil);
                    return Ok(());
                }
                _ => {}
            }
        }
        // Operators with a literal receiver and argument could be folded;
        // they are sends like everything else.
        match recv {
            Some(r) => self.expr(r)?,
            None => self.emit(Op::SelfV),
        }
        let mut jnil = None;
        if safe {
            jnil = Some(self.pc());
            self.emit(Op::JumpIfNil(0));
        }
        let mut site = Site {
            sym: sym(name),
            argc: 0,
            splat: false,
            kw: false,
            blk,
            blk_arg: false,
            fcall: recv.is_none() || matches!(recv, Some(Node::Self_(_))),
            safe,
            zsuper: false,
        };
        self.call_args(args, &mut site)?;
        self.emit_site(site, false);
        if let Some(j) = jnil {
            self.patch_here(j);
        }
        Ok(())
    }

    fn super_call(&mut self, args: Option<&[Node]>, blk: Option<usize>) -> R<()> {
        let mut site = Site {
            sym: 0,
            argc: 0,
            splat: false,
            kw: false,
            blk,
            blk_arg: false,
            fcall: true,
            safe: false,
            zsuper: args.is_none(),
        };
        match args {
            Some(a) => self.call_args(a, &mut site)?,
            None => {
                // The method's parameters, as they are now.
                let (ps, rest) = self.method_params();
                let Some((d0, ps, rest)) = ps.map(|(d, p)| (d, p, rest)) else {
                    site.argc = 0;
                    self.emit_site(site, true);
                    return Ok(());
                };
                if let Some(r) = rest {
                    self.emit(Op::MakeArray(0));
                    for p in ps {
                        self.get_outer(d0, p);
                        self.emit(Op::ArrayPush);
                    }
                    self.get_outer(d0, r);
                    self.emit(Op::ArrayConcat);
                    site.argc = 1;
                    site.splat = true;
                } else {
                    site.argc = ps.len();
                    for p in ps {
                        self.get_outer(d0, p);
                    }
                }
            }
        }
        self.emit_site(site, true);
        Ok(())
    }
    fn get_outer(&mut self, d: usize, s: Slot) {
        match (d, s) {
            (0, s) => self.get_slot(s),
            (d, Slot::Env(i)) => self.emit(Op::GetEnv(d, i)),
            _ => self.emit(Op::Nil),
        }
    }
    #[allow(clippy::type_complexity)]
    fn method_params(&self) -> (Option<(usize, Vec<Slot>)>, Option<Slot>) {
        let mut d = 0;
        for s in self.scopes.iter().rev() {
            if s.kind == Kind::Method {
                return (Some((d, s.method_params.clone())), s.method_rest);
            }
            if s.kind != Kind::Block {
                break;
            }
            if s.env_mode {
                d += 1;
            }
        }
        (None, None)
    }

    fn block_call(&mut self, b: &nodes::Block, _x: Option<()>) -> R<()> {
        let call = &*b.call;
        self.at(call);
        if let Node::Lambda(_) = call {
            let cid = self.block_code(b.args.as_deref(), b.body.as_deref(), None)?;
            self.emit(Op::Lambda(cid));
            return Ok(());
        }
        let cid = self.block_code(b.args.as_deref(), b.body.as_deref(), None)?;
        self.at(call);
        match call {
            Node::Send(s) => {
                self.send(s.recv.as_deref(), &s.method_name, &s.args, Some(cid), false)
            }
            Node::CSend(s) => self.send(Some(&s.recv), &s.method_name, &s.args, Some(cid), true),
            Node::Super(s) => self.super_call(Some(&s.args), Some(cid)),
            Node::ZSuper(_) => self.super_call(None, Some(cid)),
            _ => Err(self.err("this block call", call)),
        }
    }
    fn block_call_num(&mut self, b: &nodes::Numblock) -> R<()> {
        let call = &*b.call;
        let cid = self.block_code(None, Some(&b.body), Some(b.numargs as usize))?;
        self.at(call);
        match call {
            Node::Lambda(_) => {
                self.emit(Op::Lambda(cid));
                Ok(())
            }
            Node::Send(s) => {
                self.send(s.recv.as_deref(), &s.method_name, &s.args, Some(cid), false)
            }
            Node::CSend(s) => self.send(Some(&s.recv), &s.method_name, &s.args, Some(cid), true),
            _ => Err(self.err("this block call", call)),
        }
    }

    fn block_code(
        &mut self,
        args: Option<&Node>,
        body: Option<&Node>,
        numargs: Option<usize>,
    ) -> R<usize> {
        let f = scan(body);
        let name = {
            let m = self.method_name_of(self.scopes.last().expect("scope"));
            format!("block in {m}")
        };
        self.push_scope(Kind::Block, &name, f.blocks, None);
        if f.returns_in_block {
            self.mark_home();
        }
        match numargs {
            Some(k) => {
                for i in 1..=k {
                    let s = self.declare(&format!("_{i}"));
                    self.sc().params.req.push(s);
                }
                if k == 1 {
                    self.sc().params.arity_one = true;
                }
            }
            None => {
                if let Some(a) = args {
                    self.params(a, true)?;
                }
            }
        }
        let sd = self.depth();
        let _ = sd;
        self.body(body)?;
        self.emit(Op::Return);
        Ok(self.finish())
    }

    /// A `return` in a block of this scope: the enclosing method needs a home.
    fn mark_home(&mut self) {
        for s in self.scopes.iter_mut().rev() {
            if s.kind != Kind::Block {
                s.needs_home = true;
                return;
            }
        }
    }

    fn def(&mut self, name: &str, args: Option<&Node>, body: Option<&Node>) -> R<usize> {
        let f = scan(body);
        self.push_scope(Kind::Method, name, f.blocks, None);
        if f.returns_in_block {
            self.sc().needs_home = true;
        }
        if let Some(a) = args {
            self.params(a, false)?;
        }
        let s = self.sc();
        let mut mp = s.params.req.clone();
        mp.extend(s.params.opt.iter().copied());
        s.method_params = mp;
        s.method_rest = s.params.rest;
        self.body(body)?;
        self.emit(Op::Return);
        Ok(self.finish())
    }

    fn class_body(&mut self, name: &str, body: Option<&Node>, kind: Kind) -> R<usize> {
        let f = scan(body);
        let label = if name == "singleton class" {
            "singleton class".to_string()
        } else {
            format!("<class:{name}>")
        };
        self.push_scope(kind, &label, f.blocks, None);
        self.body(body)?;
        self.emit(Op::Return);
        Ok(self.finish())
    }

    /// Binds the parameter list `a` of the current scope; emits the
    /// prologue (defaults, destructuring).
    fn params(&mut self, a: &Node, is_block: bool) -> R<()> {
        let list: Vec<Node> = match a {
            Node::Args(x) => x.args.clone(),
            Node::Procarg0(p) => vec![Node::Procarg0(p.clone())],
            other => vec![other.clone()],
        };
        let mut prologue: Vec<(Slot, Node, bool)> = Vec::new(); // (slot, default, is_kw)
        let mut destr: Vec<(Slot, Vec<Node>)> = Vec::new();
        let single = list.len() == 1;
        for p in &list {
            match p {
                Node::Arg(x) => {
                    let s = self.declare(&x.name);
                    let ps = &mut self.sc().params;
                    if ps.rest.is_some() || !ps.opt.is_empty() {
                        ps.post.push(s)
                    } else {
                        ps.req.push(s)
                    }
                }
                Node::Procarg0(p0) => {
                    if p0.args.len() == 1 {
                        if let Node::Arg(x) = &p0.args[0] {
                            let s = self.declare(&x.name);
                            self.sc().params.req.push(s);
                            if single {
                                self.sc().params.arity_one = true;
                            }
                            continue;
                        }
                    }
                    let s = self.temp();
                    self.sc().params.req.push(s);
                    if single {
                        self.sc().params.arity_one = true;
                    }
                    destr.push((s, p0.args.clone()));
                }
                Node::Mlhs(m) => {
                    let s = self.temp();
                    self.sc().params.req.push(s);
                    destr.push((s, m.items.clone()));
                }
                Node::Optarg(o) => {
                    let s = self.declare(&o.name);
                    self.sc().params.opt.push(s);
                    prologue.push((s, (*o.default).clone(), false));
                }
                Node::Restarg(r) => {
                    let s = match &r.name {
                        Some(n) => self.declare(n),
                        None => self.temp(),
                    };
                    self.sc().params.rest = Some(s);
                }
                Node::Kwarg(k) => {
                    let s = self.declare(&k.name);
                    self.sc().params.kw.push((sym(&k.name), s, true));
                }
                Node::Kwoptarg(k) => {
                    let s = self.declare(&k.name);
                    self.sc().params.kw.push((sym(&k.name), s, false));
                    prologue.push((s, (*k.default).clone(), true));
                }
                Node::Kwrestarg(k) => {
                    let s = match &k.name {
                        Some(n) => self.declare(n),
                        None => self.temp(),
                    };
                    self.sc().params.kwrest = Some(s);
                }
                Node::Blockarg(b) => {
                    let s = match &b.name {
                        Some(n) => self.declare(n),
                        None => self.temp(),
                    };
                    self.sc().params.block = Some(s);
                }
                Node::Shadowarg(s) => {
                    self.declare(&s.name);
                }
                Node::ForwardArg(_) | Node::ForwardedArgs(_) => {
                    return Err(self.err("argument forwarding", p));
                }
                other => return Err(self.err("this kind of parameter", other)),
            }
        }
        if is_block && list.len() == 1 && matches!(list[0], Node::Arg(_)) {
            self.sc().params.arity_one = true;
        }
        for (s, default, _) in prologue {
            self.get_slot(s);
            self.emit(Op::IsUndef);
            let j = self.pc();
            self.emit(Op::JumpIfNot(0));
            self.expr(&default)?;
            self.set_slot(s);
            self.patch_here(j);
        }
        for (s, items) in destr {
            self.get_slot(s);
            self.emit(Op::ToArray);
            self.destructure(&items)?;
            self.emit(Op::Nil);
            self.emit(Op::Pop);
        }
        Ok(())
    }

    /// Pops an Array and assigns its items to `targets`.
    fn destructure(&mut self, targets: &[Node]) -> R<()> {
        let rest = targets.iter().position(|t| matches!(t, Node::Splat(_)));
        let pre = rest.unwrap_or(targets.len());
        let post = rest.map_or(0, |r| targets.len() - r - 1);
        self.emit(Op::Expand(pre, rest.is_some(), post));
        for t in targets {
            self.assign_popped(t)?;
        }
        Ok(())
    }

    /// Pops the value into target `t` (an assignment node without value).
    fn assign_popped(&mut self, t: &Node) -> R<()> {
        match t {
            Node::Lvasgn(l) => self.set_var(&l.name),
            Node::Arg(l) => self.set_var(&l.name),
            Node::Ivasgn(v) => self.emit(Op::SetIvar(sym(&v.name))),
            Node::Gvasgn(v) => self.emit(Op::SetGlobal(sym(&v.name))),
            Node::Cvasgn(v) => self.emit(Op::SetCvar(sym(&v.name))),
            Node::Casgn(c) if c.scope.is_none() => self.emit(Op::SetConst(sym(&c.name))),
            Node::Splat(s) => match &s.value {
                Some(v) => self.assign_popped(v)?,
                None => self.emit(Op::Pop),
            },
            Node::Mlhs(m) => {
                self.emit(Op::ToArray);
                self.destructure(&m.items)?;
            }
            Node::Procarg0(m) => {
                self.emit(Op::ToArray);
                self.destructure(&m.args)?;
            }
            Node::IndexAsgn(i) => {
                let tmp = self.temp();
                self.set_slot(tmp);
                self.expr(&i.recv)?;
                for x in &i.indexes {
                    self.expr(x)?;
                }
                self.get_slot(tmp);
                let site = Site {
                    sym: sym("[]="),
                    argc: i.indexes.len() + 1,
                    splat: false,
                    kw: false,
                    blk: None,
                    blk_arg: false,
                    fcall: false,
                    safe: false,
                    zsuper: false,
                };
                self.emit_site(site, false);
                self.emit(Op::Pop);
            }
            Node::Send(s) => {
                let tmp = self.temp();
                self.set_slot(tmp);
                self.body(s.recv.as_deref())?;
                self.get_slot(tmp);
                let fc = s.recv.is_none() || matches!(s.recv.as_deref(), Some(Node::Self_(_)));
                self.send_site(sym(&s.method_name), 1, fc);
                self.emit(Op::Pop);
            }
            other => return Err(self.err("this assignment target", other)),
        }
        Ok(())
    }

    fn if_(&mut self, cond: &Node, t: Option<&Node>, f: Option<&Node>) -> R<()> {
        self.expr(cond)?;
        let j = self.pc();
        self.emit(Op::JumpIfNot(0));
        let d = self.depth();
        self.body(t)?;
        let end = self.pc();
        self.emit(Op::Jump(0));
        self.set_depth(d);
        self.patch_here(j);
        self.body(f)?;
        self.patch_here(end);
        Ok(())
    }

    fn while_(&mut self, cond: &Node, body: Option<&Node>, until: bool, post: bool) -> R<()> {
        let mut first_jump = None;
        if post {
            first_jump = Some(self.pc());
            self.emit(Op::Jump(0));
        }
        let cond_pc = self.pc();
        self.expr(cond)?;
        let exit = self.pc();
        self.emit(if until {
            Op::JumpIf(0)
        } else {
            Op::JumpIfNot(0)
        });
        if let Some(j) = first_jump {
            self.patch_here(j);
        }
        let depth = self.depth();
        let ensures = self.sc().ensures.len();
        self.sc().loops.push(Loop {
            cond: cond_pc,
            breaks: Vec::new(),
            depth,
            ensures,
        });
        self.body(body)?;
        self.emit(Op::Pop);
        self.emit(Op::Jump(cond_pc));
        let lp = self.sc().loops.pop().expect("loop");
        self.patch_here(exit);
        self.emit(Op::Nil);
        let after = self.pc();
        for b in lp.breaks {
            self.patch(b, after);
        }
        Ok(())
    }

    fn for_(&mut self, f: &nodes::For) -> R<()> {
        // `for x in e` : e.each { |%v| x = %v } with x in this scope.
        let var = match &*f.iterator {
            Node::Lvasgn(l) => l.name.clone(),
            other => return Err(self.err("this for variable", other)),
        };
        if self.resolve(&var).is_none() {
            // It must be visible to the block: force an env slot.
            let s = self.sc();
            if !s.env_mode {
                return Err(self.err("for loops here", &f.iterator));
            }
            self.declare(&var);
        }
        self.push_scope(Kind::Block, "block", scan(f.body.as_deref()).blocks, None);
        let tmp = self.declare("%for");
        self.sc().params.req.push(tmp);
        self.sc().params.arity_one = true;
        self.get_slot(tmp);
        self.set_var(&var);
        self.body(f.body.as_deref())?;
        self.emit(Op::Return);
        let cid = self.finish();
        self.expr(&f.iteratee)?;
        let site = Site {
            sym: sym("each"),
            argc: 0,
            splat: false,
            kw: false,
            blk: Some(cid),
            blk_arg: false,
            fcall: false,
            safe: false,
            zsuper: false,
        };
        self.emit_site(site, false);
        Ok(())
    }

    /// Pops extra stack values above `depth` (jumps out of expressions).
    fn unwind_to(&mut self, depth: usize) {
        // The value to carry is on top.
        let d = self.depth();
        if d > depth + 1 {
            let tmp = self.temp();
            self.set_slot(tmp);
            for _ in 0..(d - 1 - depth) {
                self.emit(Op::Pop);
            }
            self.get_slot(tmp);
        }
    }

    fn inline_ensures(&mut self, from: usize) -> R<()> {
        let ens: Vec<Option<Box<Node>>> = self.sc().ensures[from..].to_vec();
        for e in ens.iter().rev().flatten() {
            self.expr(e)?;
            self.emit(Op::Pop);
        }
        Ok(())
    }

    fn return_(&mut self, _x: bool) -> R<()> {
        let kind = self.sc().kind;
        self.inline_ensures(0)?;
        if kind == Kind::Block {
            self.mark_home();
            self.emit(Op::ReturnNonLocal);
        } else {
            self.emit(Op::Return);
        }
        self.emit(Op::Nil);
        Ok(())
    }

    fn break_(&mut self) -> R<()> {
        if let Some(lp) = self.sc().loops.last() {
            let (depth, ens) = (lp.depth, lp.ensures);
            self.inline_ensures(ens)?;
            self.unwind_to(depth);
            let j = self.pc();
            self.emit(Op::Jump(0));
            self.sc().loops.last_mut().expect("loop").breaks.push(j);
            self.set_depth(depth);
            self.emit(Op::Nil);
            return Ok(());
        }
        if self.sc().kind == Kind::Block {
            self.inline_ensures(0)?;
            self.emit(Op::Break);
            self.emit(Op::Nil);
            return Ok(());
        }
        self.emit(Op::Pop);
        self.emit(Op::SelfV);
        self.emit(Op::GetConst(sym("LocalJumpError")));
        self.str_lit("break from proc-closure");
        self.send_site(sym("raise"), 2, true);
        Ok(())
    }

    fn next_(&mut self) -> R<()> {
        if let Some(lp) = self.sc().loops.last() {
            let (depth, cond, ens) = (lp.depth, lp.cond, lp.ensures);
            self.inline_ensures(ens)?;
            self.emit(Op::Pop);
            let d = self.depth();
            for _ in depth..d {
                self.emit(Op::Pop);
            }
            self.emit(Op::Jump(cond));
            self.set_depth(d + 1);
            return Ok(());
        }
        self.inline_ensures(0)?;
        self.emit(Op::Return);
        self.emit(Op::Nil);
        Ok(())
    }

    fn case(&mut self, c: &nodes::Case) -> R<()> {
        let tmp = match &c.expr {
            Some(e) => {
                self.expr(e)?;
                let t = self.temp();
                self.set_slot(t);
                Some(t)
            }
            None => None,
        };
        let mut ends = Vec::new();
        let d = self.depth();
        for w in &c.when_bodies {
            let Node::When(w) = w else {
                return Err(self.err("this case", w));
            };
            let mut to_body = Vec::new();
            for p in &w.patterns {
                self.at(p);
                match (p, tmp) {
                    (Node::Splat(s), Some(t)) => {
                        self.body(s.value.as_deref())?;
                        self.get_slot(t);
                        self.send_site(sym("include?"), 1, false);
                    }
                    (p, Some(t)) => {
                        self.expr(p)?;
                        self.get_slot(t);
                        self.send_site(sym("==="), 1, false);
                    }
                    (p, None) => self.expr(p)?,
                }
                to_body.push(self.pc());
                self.emit(Op::JumpIf(0));
            }
            let skip = self.pc();
            self.emit(Op::Jump(0));
            for j in to_body {
                self.patch_here(j);
            }
            self.body(w.body.as_deref())?;
            ends.push(self.pc());
            self.emit(Op::Jump(0));
            self.set_depth(d);
            self.patch_here(skip);
        }
        self.body(c.else_body.as_deref())?;
        for e in ends {
            self.patch_here(e);
        }
        Ok(())
    }

    fn rescue(&mut self, r: &nodes::Rescue, _x: Option<()>) -> R<()> {
        let depth = self.depth();
        let start = self.pc();
        self.sc().retry.push((start, depth));
        // The retry target must be the region start with the same depth.
        self.body(r.body.as_deref())?;
        let end = self.pc();
        self.sc().retry.pop();
        if let Some(e) = &r.else_ {
            self.emit(Op::Pop);
            self.expr(e)?;
        }
        let jend = self.pc();
        self.emit(Op::Jump(0));
        // The handler: the exception on the stack.
        let target = self.pc();
        self.set_depth(depth + 1);
        let mut ends = vec![jend];
        for rb in &r.rescue_bodies {
            let Node::RescueBody(rb) = rb else {
                return Err(self.err("this rescue", rb));
            };
            let n = match rb.exc_list.as_deref() {
                None => {
                    self.emit(Op::GetConst(sym("StandardError")));
                    1
                }
                Some(Node::Array(a)) => {
                    for e in &a.elements {
                        self.expr(e)?;
                    }
                    a.elements.len()
                }
                Some(e) => {
                    self.expr(e)?;
                    1
                }
            };
            self.emit(Op::ExcMatch(n));
            let skip = self.pc();
            self.emit(Op::JumpIfNot(0));
            match rb.exc_var.as_deref() {
                Some(v) => {
                    self.emit(Op::Dup);
                    self.emit(Op::SetGlobal(sym("$!")));
                    self.emit(Op::Dup);
                    self.assign_popped(v)?
                }
                None => {
                    self.emit(Op::Dup);
                    self.emit(Op::SetGlobal(sym("$!")));
                }
            }
            self.sc().retry.push((start, depth));
            self.body(rb.body.as_deref())?;
            self.sc().retry.pop();
            self.emit(Op::Swap);
            self.emit(Op::Pop);
            ends.push(self.pc());
            self.emit(Op::Jump(0));
            self.set_depth(depth + 1);
            self.patch_here(skip);
        }
        self.emit(Op::Raise);
        self.set_depth(depth + 1);
        for e in ends {
            self.patch_here(e);
        }
        self.sc().handlers.push(Handler {
            start,
            end,
            target,
            depth,
        });
        Ok(())
    }

    fn ensure(&mut self, e: &nodes::Ensure) -> R<()> {
        let depth = self.depth();
        let start = self.pc();
        self.sc().ensures.push(e.ensure.clone());
        self.body(e.body.as_deref())?;
        self.sc().ensures.pop();
        let end = self.pc();
        if let Some(en) = &e.ensure {
            self.expr(en)?;
            self.emit(Op::Pop);
        }
        let j = self.pc();
        self.emit(Op::Jump(0));
        let target = self.pc();
        self.set_depth(depth + 1);
        if let Some(en) = &e.ensure {
            self.expr(en)?;
            self.emit(Op::Pop);
        }
        self.emit(Op::Raise);
        self.set_depth(depth + 1);
        self.patch_here(j);
        self.sc().handlers.push(Handler {
            start,
            end,
            target,
            depth,
        });
        Ok(())
    }

    fn op_asgn(&mut self, target: &Node, op: Option<&str>, value: &Node, n: &Node) -> R<()> {
        let op = op.unwrap_or("+");
        self.at(n);
        // Read the current value (leaving what the write needs in temps).
        enum W {
            Var(Node),
            Index(Slot, Vec<Slot>),
            Attr(Slot, String),
        }
        let w = match target {
            Node::Lvasgn(l) => {
                self.get_var(&l.name);
                W::Var(target.clone())
            }
            Node::Ivasgn(v) => {
                self.emit(Op::GetIvar(sym(&v.name)));
                W::Var(target.clone())
            }
            Node::Gvasgn(v) => {
                self.emit(Op::GetGlobal(sym(&v.name)));
                W::Var(target.clone())
            }
            Node::Cvasgn(v) => {
                self.emit(Op::GetCvar(sym(&v.name)));
                W::Var(target.clone())
            }
            Node::Casgn(c) if c.scope.is_none() => {
                if op == "||" {
                    self.lit_sym(&c.name);
                    self.emit(Op::SelfV);
                    self.emit(Op::Swap);
                    self.send_site(sym("__const_or_nil"), 1, true);
                } else {
                    self.emit(Op::GetConst(sym(&c.name)));
                }
                W::Var(target.clone())
            }
            Node::IndexAsgn(ia) => {
                let r = self.temp();
                self.expr(&ia.recv)?;
                self.set_slot(r);
                let mut ks = Vec::new();
                for k in &ia.indexes {
                    let t = self.temp();
                    self.expr(k)?;
                    self.set_slot(t);
                    ks.push(t);
                }
                self.get_slot(r);
                for k in &ks {
                    self.get_slot(*k);
                }
                let site = Site {
                    sym: sym("[]"),
                    argc: ks.len(),
                    splat: false,
                    kw: false,
                    blk: None,
                    blk_arg: false,
                    fcall: false,
                    safe: false,
                    zsuper: false,
                };
                self.emit_site(site, false);
                W::Index(r, ks)
            }
            Node::Send(s) => {
                let r = self.temp();
                self.body(s.recv.as_deref())?;
                self.set_slot(r);
                let name = s.method_name.trim_end_matches('=').to_string();
                self.get_slot(r);
                self.send_site(sym(&name), 0, s.recv.is_none());
                W::Attr(r, name)
            }
            Node::CSend(s) => {
                let r = self.temp();
                self.expr(&s.recv)?;
                self.set_slot(r);
                let name = s.method_name.trim_end_matches('=').to_string();
                self.get_slot(r);
                self.send_site(sym(&name), 0, false);
                W::Attr(r, name)
            }
            other => return Err(self.err("this assignment target", other)),
        };
        // Compute the new value.
        let mut skip = None;
        match op {
            "||" | "&&" => {
                self.emit(Op::Dup);
                skip = Some(self.pc());
                self.emit(if op == "||" {
                    Op::JumpIf(0)
                } else {
                    Op::JumpIfNot(0)
                });
                self.emit(Op::Pop);
                self.expr(value)?;
            }
            _ => {
                self.expr(value)?;
                self.at(n);
                self.send_site(sym(op), 1, false);
            }
        }
        // Write it, leaving it on the stack.
        match w {
            W::Var(t) => {
                self.emit(Op::Dup);
                self.assign_popped(&t)?;
            }
            W::Index(r, ks) => {
                let v = self.temp();
                self.set_slot(v);
                self.get_slot(r);
                for k in &ks {
                    self.get_slot(*k);
                }
                self.get_slot(v);
                let site = Site {
                    sym: sym("[]="),
                    argc: ks.len() + 1,
                    splat: false,
                    kw: false,
                    blk: None,
                    blk_arg: false,
                    fcall: false,
                    safe: false,
                    zsuper: false,
                };
                self.emit_site(site, false);
                self.emit(Op::Pop);
                self.get_slot(v);
            }
            W::Attr(r, name) => {
                let v = self.temp();
                self.set_slot(v);
                self.get_slot(r);
                self.get_slot(v);
                self.send_site(sym(&format!("{name}=")), 1, false);
                self.emit(Op::Pop);
                self.get_slot(v);
            }
        }
        if let Some(j) = skip {
            self.patch_here(j);
        }
        Ok(())
    }

    fn defined(&mut self, v: &Node) -> R<()> {
        let answer = |c: &mut Self, s: &str| {
            let r = objects::new_str(s);
            c.konst(r)
        };
        match v {
            Node::Lvar(_) => self.str_lit("local-variable"),
            Node::Ivar(i) => {
                self.emit(Op::SelfV);
                self.lit_sym(&i.name);
                self.send_site(sym("instance_variable_defined?"), 1, true);
                let k = answer(self, "instance-variable");
                self.truthy_to(k);
            }
            Node::Gvar(g) => {
                self.emit(Op::GetGlobal(sym(&g.name)));
                let k = answer(self, "global-variable");
                self.truthy_to(k);
            }
            Node::Const(c) if c.scope.is_none() => {
                self.emit(Op::SelfV);
                self.lit_sym(&c.name);
                self.send_site(sym("__const_defined"), 1, true);
                let k = answer(self, "constant");
                self.truthy_to(k);
            }
            Node::Send(s) => {
                match &s.recv {
                    Some(r) => self.expr(r)?,
                    None => self.emit(Op::SelfV),
                }
                self.lit_sym(&s.method_name);
                self.emit(Op::True);
                self.send_site(sym("respond_to?"), 2, false);
                let k = answer(self, "method");
                self.truthy_to(k);
            }
            Node::Yield(_) => {
                self.emit(Op::BlockGiven);
                let k = answer(self, "yield");
                self.truthy_to(k);
            }
            Node::Self_(_) => self.str_lit("self"),
            Node::Lvasgn(_)
            | Node::Ivasgn(_)
            | Node::Gvasgn(_)
            | Node::Cvasgn(_)
            | Node::Casgn(_)
            | Node::OpAsgn(_)
            | Node::OrAsgn(_)
            | Node::AndAsgn(_)
            | Node::Masgn(_) => self.str_lit("assignment"),
            Node::Nil(_) => self.str_lit("expression"),
            Node::Super(_) | Node::ZSuper(_) => self.emit(Op::Nil),
            _ => self.str_lit("expression"),
        }
        Ok(())
    }
    /// Pops v; pushes `consts[k]` if v is truthy, else nil.
    fn truthy_to(&mut self, k: usize) {
        let j = self.pc();
        self.emit(Op::JumpIfNot(0));
        self.emit(Op::Str(k));
        let e = self.pc();
        self.emit(Op::Jump(0));
        self.set_depth(self.depth() - 1);
        self.patch_here(j);
        self.emit(Op::Nil);
        self.patch_here(e);
    }
}

fn parse_int(s: &str) -> num_bigint::BigInt {
    use num_traits::Num;
    let t = s.replace('_', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, t.trim_start_matches('+').to_string()),
    };
    let lower = t.to_ascii_lowercase();
    let v = if let Some(h) = lower.strip_prefix("0x") {
        num_bigint::BigInt::from_str_radix(h, 16)
    } else if let Some(b) = lower.strip_prefix("0b") {
        num_bigint::BigInt::from_str_radix(b, 2)
    } else if let Some(o) = lower.strip_prefix("0o") {
        num_bigint::BigInt::from_str_radix(o, 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        num_bigint::BigInt::from_str_radix(&lower[1..], 8)
    } else {
        num_bigint::BigInt::from_str_radix(&lower, 10)
    };
    let v = v.unwrap_or_default();
    if neg {
        -v
    } else {
        v
    }
}
