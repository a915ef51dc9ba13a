//! From `lib-ruby-parser`'s AST to minirb bytecode.
//!
//! Owns: parsing (syntax errors reported as CRuby words them:
//! `file:line: message`), scopes of local variables, loops (`break` /
//! `next` in `while`), method bodies with required, optional and splat
//! parameters, and the lowering of operators to method sends.

use crate::bytecode::{add_code, Code, Op};
use crate::objects::{self, keep};
use lib_ruby_parser::{Node, Parser, ParserOptions};
use std::collections::HashMap;

/// A syntax error, rendered as CRuby prints it.
pub struct SyntaxError(pub String);

struct Loop {
    cond: usize,
    breaks: Vec<usize>,
}

struct Scope {
    name: String,
    ops: Vec<Op>,
    lines: Vec<usize>,
    consts: Vec<metatrace::heap::GcRef>,
    locals: HashMap<String, usize>,
    loops: Vec<Loop>,
    line: usize,
}

struct Compiler<'a> {
    filename: String,
    line_starts: &'a [usize],
    scopes: Vec<Scope>,
}

type R<T> = Result<T, SyntaxError>;

fn unsupported(what: &str, line: usize, file: &str) -> SyntaxError {
    SyntaxError(format!("{file}:{line}: minirb does not support {what}"))
}

/// Compiles a program; returns the code id of its main scope.
pub fn compile_program(filename: &str, src: &str) -> Result<usize, SyntaxError> {
    let opts = ParserOptions {
        buffer_name: filename.to_string(),
        record_tokens: false,
        ..Default::default()
    };
    let res = Parser::new(src.as_bytes().to_vec(), opts).do_parse();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(src.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1))
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
    let mut c = Compiler {
        filename: filename.to_string(),
        line_starts: &line_starts,
        scopes: vec![new_scope("<main>")],
    };
    match &res.ast {
        Some(n) => c.expr(n)?,
        None => c.emit(Op::Nil),
    }
    c.emit(Op::Return);
    let s = c.scopes.pop().expect("main scope");
    Ok(c.finish(s, 0, 0, vec![0], None))
}

fn new_scope(name: &str) -> Scope {
    Scope {
        name: name.to_string(),
        ops: Vec::new(),
        lines: Vec::new(),
        consts: Vec::new(),
        locals: HashMap::new(),
        loops: Vec::new(),
        line: 1,
    }
}

fn loc_begin(n: &Node) -> usize {
    n.expression().begin
}

impl Compiler<'_> {
    fn finish(
        &mut self,
        s: Scope,
        nreq: usize,
        nopt: usize,
        opt_entry: Vec<usize>,
        rest: Option<usize>,
    ) -> usize {
        let keep_h = s
            .consts
            .iter()
            .map(|r| metatrace::heap::roots::Handle::new(*r))
            .collect();
        add_code(Code {
            name: s.name,
            filename: self.filename.clone(),
            ops: s.ops,
            lines: s.lines,
            consts: s.consts,
            nlocals: s.locals.len(),
            nreq,
            nopt,
            opt_entry,
            rest,
            _keep: keep_h,
        })
    }
    fn sc(&mut self) -> &mut Scope {
        self.scopes.last_mut().expect("a scope")
    }
    fn emit(&mut self, op: Op) {
        let s = self.sc();
        let l = s.line;
        s.ops.push(op);
        s.lines.push(l);
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
            o => o,
        };
    }
    fn konst(&mut self, r: metatrace::heap::GcRef) -> usize {
        let s = self.sc();
        s.consts.push(r);
        s.consts.len() - 1
    }
    fn local(&mut self, name: &str) -> usize {
        let s = self.sc();
        let n = s.locals.len();
        *s.locals.entry(name.to_string()).or_insert(n)
    }
    fn line(&self, n: &Node) -> usize {
        self.line_starts.partition_point(|s| *s <= loc_begin(n))
    }
    fn err(&self, what: &str, n: &Node) -> SyntaxError {
        unsupported(what, self.line(n), &self.filename)
    }

    fn body(&mut self, n: &Option<Box<Node>>) -> R<()> {
        match n {
            Some(n) => self.expr(n),
            None => {
                self.emit(Op::Nil);
                Ok(())
            }
        }
    }

    fn send(&mut self, recv: Option<&Node>, name: &str, args: &[Node], n: &Node) -> R<()> {
        for a in args {
            if matches!(a, Node::Splat(_) | Node::BlockPass(_) | Node::Kwargs(_)) {
                return Err(self.err("this kind of argument", a));
            }
        }
        match recv {
            Some(r) => self.expr(r)?,
            None => self.emit(Op::SelfV),
        }
        for a in args {
            self.expr(a)?;
        }
        let l = self.line(n);
        self.sc().line = l;
        let sym = objects::sym_id(name);
        if recv.is_some() {
            self.emit(Op::Send(sym, args.len()));
        } else {
            self.emit(Op::FCall(sym, args.len()));
        }
        Ok(())
    }

    fn cond_jump(&mut self, cond: &Node, jump_if_true: bool) -> R<usize> {
        self.expr(cond)?;
        let at = self.pc();
        self.emit(if jump_if_true { Op::JumpIf(0) } else { Op::JumpIfNot(0) });
        Ok(at)
    }

    fn if_(&mut self, cond: &Node, t: &Option<Box<Node>>, f: &Option<Box<Node>>) -> R<()> {
        let j = self.cond_jump(cond, false)?;
        self.body(t)?;
        let end = self.pc();
        self.emit(Op::Jump(0));
        let here = self.pc();
        self.patch(j, here);
        self.body(f)?;
        let here = self.pc();
        self.patch(end, here);
        Ok(())
    }

    fn while_(&mut self, cond: &Node, body: Option<&Node>, until: bool, post: bool) -> R<()> {
        let start = self.pc();
        let mut first_jump = None;
        if post {
            // `begin ... end while c`: the body runs first.
            first_jump = Some(self.pc());
            self.emit(Op::Jump(0));
        }
        let cond_pc = self.pc();
        let exit = self.cond_jump(cond, until)?;
        let body_pc = self.pc();
        if let Some(j) = first_jump {
            self.patch(j, body_pc);
        }
        self.sc().loops.push(Loop {
            cond: cond_pc,
            breaks: Vec::new(),
        });
        if let Some(b) = body {
            self.expr(b)?;
            self.emit(Op::Pop);
        }
        self.emit(Op::Jump(cond_pc));
        let lp = self.sc().loops.pop().expect("loop");
        let end = self.pc();
        self.patch(exit, end);
        self.emit(Op::Nil);
        let after = self.pc();
        for b in lp.breaks {
            self.patch(b, after);
        }
        let _ = start;
        Ok(())
    }

    fn assign_local(&mut self, name: &str) {
        let i = self.local(name);
        self.emit(Op::Dup);
        self.emit(Op::SetLocal(i));
    }

    fn op_asgn(&mut self, target: &Node, op: Option<&str>, value: &Node, n: &Node) -> R<()> {
        // op: Some("+") for `+=`, None for `||=` / `&&=` (handled by callers)
        let Some(op) = op else { unreachable!() };
        match target {
            Node::Lvasgn(l) => {
                let i = self.local(&l.name);
                self.emit(Op::GetLocal(i));
                self.expr(value)?;
                self.sc().line = self.line(n);
                self.emit(Op::Send(objects::sym_id(op), 1));
                self.assign_local(&l.name);
                Ok(())
            }
            Node::IndexAsgn(ia) if ia.indexes.len() == 1 => {
                // a[i] op= v  ==>  t = a; k = i; t[k] = t[k] op v
                let at = self.pc();
                let ta = self.local(&format!("%t{at}"));
                let tk = self.local(&format!("%k{at}"));
                self.expr(&ia.recv)?;
                self.emit(Op::SetLocal(ta));
                self.expr(&ia.indexes[0])?;
                self.emit(Op::SetLocal(tk));
                self.emit(Op::GetLocal(ta));
                self.emit(Op::GetLocal(tk));
                self.emit(Op::GetLocal(ta));
                self.emit(Op::GetLocal(tk));
                self.emit(Op::Send(objects::sym_id("[]"), 1));
                self.expr(value)?;
                self.emit(Op::Send(objects::sym_id(op), 1));
                self.emit(Op::Send(objects::sym_id("[]="), 2));
                Ok(())
            }
            _ => Err(self.err("this assignment target", target)),
        }
    }

    fn def(&mut self, d: &lib_ruby_parser::nodes::Def) -> R<()> {
        let mut s = new_scope(&d.name);
        s.line = self.sc().line;
        self.scopes.push(s);
        let (mut nreq, mut nopt, mut rest) = (0, 0, None);
        let mut opts = Vec::new();
        if let Some(a) = &d.args {
            let Node::Args(args) = &**a else {
                return Err(self.err("these parameters", a));
            };
            for p in &args.args {
                match p {
                    Node::Arg(a) if nopt == 0 && rest.is_none() => {
                        self.local(&a.name);
                        nreq += 1;
                    }
                    Node::Optarg(o) if rest.is_none() => {
                        let i = self.local(&o.name);
                        nopt += 1;
                        opts.push((i, o.default.clone()));
                    }
                    Node::Restarg(r) => {
                        let nm = r.name.clone().unwrap_or_else(|| "%rest".into());
                        rest = Some(self.local(&nm));
                    }
                    _ => return Err(self.err("this kind of parameter", p)),
                }
            }
        }
        let mut entry = Vec::new();
        for (i, default) in opts {
            entry.push(self.pc());
            self.expr(&default)?;
            self.emit(Op::SetLocal(i));
        }
        entry.push(self.pc());
        self.body(&d.body)?;
        self.emit(Op::Return);
        let s = self.scopes.pop().expect("def scope");
        let cid = self.finish(s, nreq, nopt, entry, rest);
        self.emit(Op::Def(objects::sym_id(&d.name), cid));
        Ok(())
    }

    fn lit(&mut self, r: metatrace::heap::GcRef) {
        let i = self.konst(keep(r));
        self.emit(Op::Lit(i));
    }

    fn expr(&mut self, n: &Node) -> R<()> {
        let l = self.line(n);
        self.sc().line = l;
        match n {
            Node::Begin(b) => self.stmts(&b.statements)?,
            Node::KwBegin(b) => self.stmts(&b.statements)?,
            Node::Nil(_) => self.emit(Op::Nil),
            Node::True(_) => self.emit(Op::True),
            Node::False(_) => self.emit(Op::False),
            Node::Self_(_) => self.emit(Op::SelfV),
            Node::Int(i) => {
                let t = i.value.replace('_', "");
                let v: num_bigint::BigInt = if let Some(h) = t.strip_prefix("0x") {
                    num_bigint::BigInt::parse_bytes(h.as_bytes(), 16).unwrap_or_default()
                } else if let Some(b) = t.strip_prefix("0b") {
                    num_bigint::BigInt::parse_bytes(b.as_bytes(), 2).unwrap_or_default()
                } else if let Some(h) = t.strip_prefix("-0x") {
                    -num_bigint::BigInt::parse_bytes(h.as_bytes(), 16).unwrap_or_default()
                } else {
                    t.parse().unwrap_or_default()
                };
                self.lit(objects::new_bigint(&v));
            }
            Node::Float(f) => {
                let v: f64 = f.value.replace('_', "").parse().unwrap_or(0.0);
                self.lit(objects::new_float(v));
            }
            Node::Str(s) => {
                let i = self.konst(keep(objects::new_str(&s.value.to_string_lossy())));
                self.emit(Op::Str(i));
            }
            Node::Heredoc(h) => self.interp(&h.parts)?,
            Node::Dstr(d) => self.interp(&d.parts)?,
            Node::Sym(s) => {
                let id = objects::sym_id(&s.name.to_string_lossy());
                self.lit(objects::sym_obj(id));
            }
            Node::Dsym(d) => {
                self.interp(&d.parts)?;
                self.emit(Op::Send(objects::sym_id("to_sym"), 0));
            }
            Node::Lvar(v) => {
                let i = self.local(&v.name);
                self.emit(Op::GetLocal(i));
            }
            Node::Lvasgn(a) => {
                match &a.value {
                    Some(v) => self.expr(v)?,
                    None => self.emit(Op::Nil),
                }
                self.assign_local(&a.name);
            }
            Node::Array(a) => {
                for e in &a.elements {
                    if matches!(e, Node::Splat(_)) {
                        return Err(self.err("splat in array literals", e));
                    }
                    self.expr(e)?;
                }
                self.emit(Op::MakeArray(a.elements.len()));
            }
            Node::Hash(h) => {
                for p in &h.pairs {
                    let Node::Pair(p) = p else {
                        return Err(self.err("this hash element", p));
                    };
                    self.expr(&p.key)?;
                    self.expr(&p.value)?;
                }
                self.emit(Op::MakeHash(h.pairs.len()));
            }
            Node::Irange(r) => self.range(&r.left, &r.right, false)?,
            Node::Erange(r) => self.range(&r.left, &r.right, true)?,
            Node::If(i) => self.if_(&i.cond, &i.if_true, &i.if_false)?,
            Node::IfMod(i) => self.if_(&i.cond, &i.if_true, &i.if_false)?,
            Node::IfTernary(i) => {
                self.if_(&i.cond, &Some(i.if_true.clone()), &Some(i.if_false.clone()))?
            }
            Node::While(w) => self.while_(&w.cond, w.body.as_deref(), false, false)?,
            Node::Until(w) => self.while_(&w.cond, w.body.as_deref(), true, false)?,
            Node::WhilePost(w) => self.while_(&w.cond, Some(&w.body), false, true)?,
            Node::UntilPost(w) => self.while_(&w.cond, Some(&w.body), true, true)?,
            Node::Break(b) => {
                if self.sc().loops.is_empty() {
                    return Err(self.err("break outside a while loop", n));
                }
                let _ = &b.args;
                let at = self.pc();
                self.emit(Op::Jump(0));
                self.sc().loops.last_mut().expect("loop").breaks.push(at);
                self.emit(Op::Nil);
            }
            Node::Next(_) => {
                let Some(c) = self.sc().loops.last().map(|l| l.cond) else {
                    return Err(self.err("next outside a while loop", n));
                };
                self.emit(Op::Jump(c));
                self.emit(Op::Nil);
            }
            Node::And(a) => {
                self.expr(&a.lhs)?;
                self.emit(Op::Dup);
                let j = self.pc();
                self.emit(Op::JumpIfNot(0));
                self.emit(Op::Pop);
                self.expr(&a.rhs)?;
                let here = self.pc();
                self.patch(j, here);
            }
            Node::Or(a) => {
                self.expr(&a.lhs)?;
                self.emit(Op::Dup);
                let j = self.pc();
                self.emit(Op::JumpIf(0));
                self.emit(Op::Pop);
                self.expr(&a.rhs)?;
                let here = self.pc();
                self.patch(j, here);
            }
            Node::OrAsgn(o) => self.logic_asgn(&o.recv, &o.value, true)?,
            Node::AndAsgn(o) => self.logic_asgn(&o.recv, &o.value, false)?,
            Node::OpAsgn(o) => self.op_asgn(&o.recv, Some(&o.operator), &o.value, n)?,
            Node::Send(s) => {
                if s.method_name == "!" && s.args.is_empty() {
                    if let Some(r) = &s.recv {
                        self.expr(r)?;
                        let j = self.pc();
                        self.emit(Op::JumpIf(0));
                        self.emit(Op::True);
                        let e = self.pc();
                        self.emit(Op::Jump(0));
                        let f = self.pc();
                        self.patch(j, f);
                        self.emit(Op::False);
                        let end = self.pc();
                        self.patch(e, end);
                        return Ok(());
                    }
                }
                self.send(s.recv.as_deref(), &s.method_name, &s.args, n)?
            }
            Node::Index(i) => self.send(Some(&i.recv), "[]", &i.indexes, n)?,
            Node::IndexAsgn(i) => {
                let mut args = i.indexes.clone();
                if let Some(v) = &i.value {
                    args.push((**v).clone());
                }
                // The value of `a[i] = v` is v.
                let at = self.pc();
                let t = self.local(&format!("%v{at}"));
                self.expr(&i.recv)?;
                for a in &args {
                    self.expr(a)?;
                }
                self.emit(Op::Dup);
                self.emit(Op::SetLocal(t));
                self.emit(Op::Send(objects::sym_id("[]="), args.len()));
                self.emit(Op::Pop);
                self.emit(Op::GetLocal(t));
            }
            Node::Def(d) => self.def(d)?,
            Node::Return(r) => {
                match r.args.len() {
                    0 => self.emit(Op::Nil),
                    1 => self.expr(&r.args[0])?,
                    _ => {
                        for a in &r.args {
                            self.expr(a)?;
                        }
                        self.emit(Op::MakeArray(r.args.len()));
                    }
                }
                self.emit(Op::Return);
                self.emit(Op::Nil);
            }
            Node::Case(c) => self.case(c)?,
            _ => return Err(self.err(&format!("{} nodes", n.str_type()), n)),
        }
        Ok(())
    }

    fn case(&mut self, c: &lib_ruby_parser::nodes::Case) -> R<()> {
        let Some(subject) = &c.expr else {
            let line = self.sc().line;
            return Err(unsupported("case without a subject", line, &self.filename));
        };
        let at = self.pc();
        let t = self.local(&format!("%case{at}"));
        self.expr(subject)?;
        self.emit(Op::SetLocal(t));
        let mut ends = Vec::new();
        for w in &c.when_bodies {
            let Node::When(w) = w else { continue };
            let mut hits = Vec::new();
            for p in &w.patterns {
                self.expr(p)?;
                self.emit(Op::GetLocal(t));
                self.emit(Op::Send(objects::sym_id("==="), 1));
                hits.push(self.pc());
                self.emit(Op::JumpIf(0));
            }
            let skip = self.pc();
            self.emit(Op::Jump(0));
            let here = self.pc();
            for h in hits {
                self.patch(h, here);
            }
            self.body(&w.body)?;
            ends.push(self.pc());
            self.emit(Op::Jump(0));
            let here = self.pc();
            self.patch(skip, here);
        }
        self.body(&c.else_body)?;
        let end = self.pc();
        for e in ends {
            self.patch(e, end);
        }
        Ok(())
    }

    fn logic_asgn(&mut self, target: &Node, value: &Node, or: bool) -> R<()> {
        let Node::Lvasgn(l) = target else {
            return Err(self.err("this ||= / &&= target", target));
        };
        let i = self.local(&l.name);
        self.emit(Op::GetLocal(i));
        self.emit(Op::Dup);
        let j = self.pc();
        self.emit(if or { Op::JumpIf(0) } else { Op::JumpIfNot(0) });
        self.emit(Op::Pop);
        self.expr(value)?;
        self.assign_local(&l.name);
        let here = self.pc();
        self.patch(j, here);
        Ok(())
    }

    fn range(&mut self, lo: &Option<Box<Node>>, hi: &Option<Box<Node>>, excl: bool) -> R<()> {
        self.body(lo)?;
        self.body(hi)?;
        self.emit(Op::MakeRange(excl));
        Ok(())
    }

    fn interp(&mut self, parts: &[Node]) -> R<()> {
        for p in parts {
            match p {
                Node::Begin(b) if b.statements.len() == 1 => self.expr(&b.statements[0])?,
                _ => self.expr(p)?,
            }
        }
        self.emit(Op::Interp(parts.len()));
        Ok(())
    }

    fn stmts(&mut self, s: &[Node]) -> R<()> {
        if s.is_empty() {
            self.emit(Op::Nil);
        }
        for (i, n) in s.iter().enumerate() {
            self.expr(n)?;
            if i + 1 < s.len() {
                self.emit(Op::Pop);
            }
        }
        Ok(())
    }
}
