//! Expressions: the main AST match (`expr_inner`), statement lists,
//! string interpolation, constants and scoped constants, Array and Hash
//! literals, multiple assignment (`destructure`, `assign_popped`),
//! operator assignment (`op_asgn`: `+=`, `||=`, `&&=` on variables,
//! ivars, constants, indexes and attributes) and `defined?`.
//!
//! May touch: the current scope's ops and constants; sends, blocks and
//! control flow are delegated to `call` and `stmt`.

use super::*;

impl Compiler<'_> {
    pub(super) fn body(&mut self, n: Option<&Node>) -> R<()> {
        match n {
            Some(n) => self.expr(n),
            None => {
                self.emit(Op::Nil);
                Ok(())
            }
        }
    }

    pub(super) fn stmts(&mut self, v: &[Node]) -> R<()> {
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

    pub(super) fn expr(&mut self, n: &Node) -> R<()> {
        let start_depth = self.depth();
        self.expr_inner(n)?;
        debug_assert_eq!(self.depth(), start_depth + 1, "{:?}", n.str_type());
        Ok(())
    }

    pub(super) fn expr_inner(&mut self, n: &Node) -> R<()> {
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

    pub(super) fn err(&self, what: &str, n: &Node) -> SyntaxError {
        SyntaxError(format!(
            "{}:{}: minirb does not support {what}",
            self.filename,
            self.line(n)
        ))
    }

    pub(super) fn dstr(&mut self, parts: &[Node]) -> R<()> {
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

    pub(super) fn constant(&mut self, c: &nodes::Const) -> R<()> {
        match &c.scope {
            None => self.emit(Op::GetConst(sym(&c.name))),
            Some(s) => {
                self.scope_expr(s)?;
                self.emit(Op::GetConstFrom(sym(&c.name)));
            }
        }
        Ok(())
    }
    pub(super) fn scope_expr(&mut self, s: &Node) -> R<()> {
        match s {
            Node::Cbase(_) => {
                self.lit(objects::class_obj_of(objects::cls::OBJECT));
                Ok(())
            }
            _ => self.expr(s),
        }
    }
    pub(super) fn class_name<'n>(&self, n: &'n Node) -> R<(Option<&'n Node>, String)> {
        match n {
            Node::Const(c) => Ok((c.scope.as_deref(), c.name.clone())),
            _ => Err(self.err("this class name", n)),
        }
    }

    pub(super) fn array(&mut self, elems: &[Node]) -> R<()> {
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

    pub(super) fn hash(&mut self, pairs: &[Node]) -> R<()> {
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

    /// Pops an Array and assigns its items to `targets`.
    pub(super) fn destructure(&mut self, targets: &[Node]) -> R<()> {
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
    pub(super) fn assign_popped(&mut self, t: &Node) -> R<()> {
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

    pub(super) fn op_asgn(
        &mut self,
        target: &Node,
        op: Option<&str>,
        value: &Node,
        n: &Node,
    ) -> R<()> {
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

    pub(super) fn defined(&mut self, v: &Node) -> R<()> {
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
}
