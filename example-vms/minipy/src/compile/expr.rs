//! Expression compilation: operators, calls (positional, keyword, star
//! arguments), attribute and subscript access, literals and displays,
//! f-strings, lambdas and comprehensions (compiled as nested functions).
//!
//! Owns: `Compiler::expr` and its helpers.

use super::*;

impl<'a> Compiler<'a> {
    // ---- expressions -----------------------------------------------------

    pub(super) fn expr(&mut self, e: &'a Expr) -> R {
        match e {
            Expr::Constant(c) => {
                let r = self.constant(&c.value, c.range)?;
                let k = self.const_obj(r);
                self.emit(Instr::LoadConst(k));
            }
            Expr::Name(n) => self.load_name(&n.id),
            Expr::BinOp(b) => {
                self.expr(&b.left)?;
                self.expr(&b.right)?;
                self.emit(Instr::Binary(binop(&b.op)));
            }
            Expr::UnaryOp(u) => {
                self.expr(&u.operand)?;
                self.emit(Instr::Unary(match u.op {
                    ast::UnaryOp::Not => UnOp::Not,
                    ast::UnaryOp::USub => UnOp::Neg,
                    ast::UnaryOp::UAdd => UnOp::Pos,
                    ast::UnaryOp::Invert => UnOp::Invert,
                }));
            }
            Expr::BoolOp(b) => {
                let mut ends = vec![];
                for (i, v) in b.values.iter().enumerate() {
                    self.expr(v)?;
                    if i + 1 < b.values.len() {
                        ends.push(self.emit(match b.op {
                            ast::BoolOp::And => Instr::JumpIfFalseOrPop(0),
                            ast::BoolOp::Or => Instr::JumpIfTrueOrPop(0),
                        }));
                    }
                }
                for j in ends {
                    self.patch_here(j);
                }
            }
            Expr::Compare(c) => {
                self.expr(&c.left)?;
                let n = c.ops.len();
                if n == 1 {
                    self.expr(&c.comparators[0])?;
                    self.emit(Instr::Compare(cmpop(&c.ops[0])));
                } else {
                    let mut fails = vec![];
                    for (i, (op, rhs)) in c.ops.iter().zip(c.comparators.iter()).enumerate() {
                        self.expr(rhs)?;
                        if i + 1 < n {
                            self.emit(Instr::Dup);
                            self.emit(Instr::Rot3);
                            self.emit(Instr::Compare(cmpop(op)));
                            fails.push(self.emit(Instr::JumpIfFalseOrPop(0)));
                        } else {
                            self.emit(Instr::Compare(cmpop(op)));
                        }
                    }
                    let end = self.emit(Instr::Jump(0));
                    for f in fails {
                        self.patch_here(f);
                    }
                    // Failure: stack is [rhs, False]: drop the rhs.
                    self.emit(Instr::Rot2);
                    self.emit(Instr::Pop);
                    self.patch_here(end);
                }
            }
            Expr::IfExp(i) => {
                self.expr(&i.test)?;
                let j = self.emit(Instr::PopJumpIfFalse(0));
                self.expr(&i.body)?;
                let end = self.emit(Instr::Jump(0));
                self.patch_here(j);
                self.expr(&i.orelse)?;
                self.patch_here(end);
            }
            Expr::Call(c) => self.call(c)?,
            Expr::Attribute(a) => {
                self.expr(&a.value)?;
                let old = self.set_line(a.range);
                let i = self.name(&a.attr);
                self.emit(Instr::LoadAttr(i));
                self.st().line = old;
            }
            Expr::Subscript(s) => {
                self.expr(&s.value)?;
                self.expr(&s.slice)?;
                self.emit(Instr::Subscr);
            }
            Expr::Slice(s) => {
                for x in [&s.lower, &s.upper] {
                    match x {
                        Some(v) => self.expr(v)?,
                        None => {
                            let k = self.const_obj(objects::none());
                            self.emit(Instr::LoadConst(k));
                        }
                    }
                }
                if let Some(st) = &s.step {
                    self.expr(st)?;
                    self.emit(Instr::BuildSlice(3));
                } else {
                    self.emit(Instr::BuildSlice(2));
                }
            }
            Expr::List(l) => self.sequence(&l.elts, Instr::BuildList(0))?,
            Expr::Tuple(t) => self.sequence(&t.elts, Instr::BuildTuple(0))?,
            Expr::Set(s) => self.sequence(&s.elts, Instr::BuildSet(0))?,
            Expr::Dict(d) => {
                if d.keys.iter().any(|k| k.is_none()) {
                    // {**a, k: v}: build incrementally.
                    self.emit(Instr::BuildDict(0));
                    for (k, v) in d.keys.iter().zip(d.values.iter()) {
                        match k {
                            Some(k) => {
                                self.expr(k)?;
                                self.expr(v)?;
                                self.emit(Instr::MapAdd(1));
                            }
                            None => {
                                self.emit(Instr::Dup);
                                let i = self.name("update");
                                self.emit(Instr::LoadAttr(i));
                                self.expr(v)?;
                                self.emit(Instr::Call(1));
                                self.emit(Instr::Pop);
                            }
                        }
                    }
                } else {
                    for (k, v) in d.keys.iter().zip(d.values.iter()) {
                        self.expr(k.as_ref().expect("checked"))?;
                        self.expr(v)?;
                    }
                    self.emit(Instr::BuildDict(d.keys.len() as u32));
                }
            }
            Expr::Lambda(l) => {
                self.function("<lambda>", &l.args, FnBody::Expr(&l.body), l.range)?;
            }
            Expr::ListComp(c) => self.comprehension(0, &c.generators, &c.elt, None, c.range)?,
            Expr::GeneratorExp(c) => self.comprehension(3, &c.generators, &c.elt, None, c.range)?,
            Expr::SetComp(c) => self.comprehension(1, &c.generators, &c.elt, None, c.range)?,
            Expr::DictComp(c) => {
                self.comprehension(2, &c.generators, &c.key, Some(&c.value), c.range)?
            }
            Expr::JoinedStr(j) => {
                for v in &j.values {
                    self.expr(v)?;
                }
                self.emit(Instr::BuildString(j.values.len() as u32));
            }
            Expr::FormattedValue(f) => {
                self.expr(&f.value)?;
                let conv = match f.conversion {
                    ast::ConversionFlag::Str => 1,
                    ast::ConversionFlag::Repr | ast::ConversionFlag::Ascii => 2,
                    ast::ConversionFlag::None => 0,
                };
                if let Some(s) = &f.format_spec {
                    self.expr(s)?;
                    self.emit(Instr::FormatValue(conv, true));
                } else {
                    self.emit(Instr::FormatValue(conv, false));
                }
            }
            Expr::NamedExpr(n) => {
                self.expr(&n.value)?;
                self.emit(Instr::Dup);
                self.assign(&n.target)?;
            }
            Expr::Yield(y) => {
                if self.st().kind != Kind::Function {
                    return Err(self.err("'yield' outside function", y.range));
                }
                match &y.value {
                    Some(v) => self.expr(v)?,
                    None => {
                        let k = self.const_obj(objects::none());
                        self.emit(Instr::LoadConst(k));
                    }
                }
                self.emit(Instr::Yield);
            }
            Expr::YieldFrom(y) => {
                // for x in it: yield x  (send() is not supported).
                self.expr(&y.value)?;
                self.emit(Instr::GetIter);
                let top = self.pc();
                let fi = self.emit(Instr::ForIter(0));
                self.emit(Instr::Yield);
                self.emit(Instr::Pop);
                self.emit(Instr::Jump(top));
                self.patch_here(fi);
                let k = self.const_obj(objects::none());
                self.emit(Instr::LoadConst(k));
            }
            Expr::Starred(s) => return Err(self.err("can't use starred expression here", s.range)),
            Expr::Await(a) => return Err(self.err("'await' is not supported", a.range)),
        }
        Ok(())
    }

    pub(super) fn sequence(&mut self, elts: &'a [Expr], kind: Instr) -> R {
        if elts.iter().any(|e| matches!(e, Expr::Starred(_))) {
            // Build a list piecewise, then convert.
            self.emit(Instr::BuildList(0));
            for e in elts {
                match e {
                    Expr::Starred(s) => {
                        self.emit(Instr::Dup);
                        let i = self.name("extend");
                        self.emit(Instr::LoadAttr(i));
                        self.expr(&s.value)?;
                        self.emit(Instr::Call(1));
                        self.emit(Instr::Pop);
                    }
                    e => {
                        self.expr(e)?;
                        self.emit(Instr::ListAppend(1));
                    }
                }
            }
            match kind {
                Instr::BuildTuple(_) | Instr::BuildSet(_) => {
                    let name = if matches!(kind, Instr::BuildTuple(_)) {
                        "tuple"
                    } else {
                        "set"
                    };
                    let i = self.name(name);
                    self.emit(Instr::LoadGlobal(i));
                    self.emit(Instr::Rot2);
                    self.emit(Instr::Call(1));
                }
                _ => {}
            }
            return Ok(());
        }
        for e in elts {
            self.expr(e)?;
        }
        let n = elts.len() as u32;
        self.emit(match kind {
            Instr::BuildList(_) => Instr::BuildList(n),
            Instr::BuildTuple(_) => Instr::BuildTuple(n),
            _ if n > 2 && elts.iter().all(is_folded_const) => Instr::BuildConstSet(n),
            _ => Instr::BuildSet(n),
        });
        Ok(())
    }

    pub(super) fn call(&mut self, c: &'a ast::ExprCall) -> R {
        // super() without arguments: super(<code id>, <first argument>).
        if let Expr::Name(n) = &*c.func {
            if n.id.as_str() == "super" && c.args.is_empty() && self.st().kind == Kind::Function {
                self.load_name("super");
                let st = self.st();
                let first = if st.code.argcount > 0 { 0 } else { u32::MAX };
                let cid = self.fns.len() as i64; // marker only; resolved at run time
                let _ = cid;
                let k = self.const_obj(objects::new_int(-1));
                self.emit(Instr::LoadConst(k));
                if first == u32::MAX {
                    let k = self.const_obj(objects::none());
                    self.emit(Instr::LoadConst(k));
                } else {
                    let st = self.st();
                    let cell = st.cells.contains(&st.code.local_names[0]);
                    self.emit(if cell {
                        Instr::LoadDeref(0)
                    } else {
                        Instr::LoadFast(0)
                    });
                }
                let old = self.set_line(c.range);
                self.emit(Instr::Call(2));
                self.st().line = old;
                return Ok(());
            }
        }
        self.expr(&c.func)?;
        let star = c.args.iter().any(|a| matches!(a, Expr::Starred(_)))
            || c.keywords.iter().any(|k| k.arg.is_none());
        if star {
            self.sequence(&c.args, Instr::BuildTuple(0))?;
            if !c.args.iter().any(|a| matches!(a, Expr::Starred(_))) {
                // sequence() built a tuple already
            }
            if c.keywords.is_empty() {
                let k = self.const_obj(objects::none());
                self.emit(Instr::LoadConst(k));
            } else {
                self.emit(Instr::BuildDict(0));
                for kw in &c.keywords {
                    match &kw.arg {
                        Some(n) => {
                            let k = self.const_obj(intern(n));
                            self.emit(Instr::LoadConst(k));
                            self.expr(&kw.value)?;
                            self.emit(Instr::MapAdd(1));
                        }
                        None => {
                            self.emit(Instr::Dup);
                            let i = self.name("update");
                            self.emit(Instr::LoadAttr(i));
                            self.expr(&kw.value)?;
                            self.emit(Instr::Call(1));
                            self.emit(Instr::Pop);
                        }
                    }
                }
            }
            let old = self.set_line(c.range);
            self.emit(Instr::CallEx);
            self.st().line = old;
            return Ok(());
        }
        for a in &c.args {
            self.expr(a)?;
        }
        for k in &c.keywords {
            self.expr(&k.value)?;
        }
        let old = self.set_line(c.range);
        if c.keywords.is_empty() {
            self.emit(Instr::Call(c.args.len() as u32));
        } else {
            let names: Vec<GcRef> = c
                .keywords
                .iter()
                .map(|k| intern(k.arg.as_ref().expect("checked")))
                .collect();
            let k = self.const_obj(objects::new_tuple(&names));
            self.emit(Instr::CallKw(
                c.args.len() as u16,
                c.keywords.len() as u16,
                k,
            ));
        }
        self.st().line = old;
        Ok(())
    }

    /// kind: 0 list, 1 set, 2 dict, 3 generator expression. Compiled as a
    /// nested function called with the first iterator (a generator
    /// function for kind 3, so the expression is lazy like CPython's).
    pub(super) fn comprehension(
        &mut self,
        kind: u8,
        gens: &'a [ast::Comprehension],
        elt: &'a Expr,
        value: Option<&'a Expr>,
        range: rustpython_parser::text_size::TextRange,
    ) -> R {
        let mut names = Names::default();
        names.assigned.insert(".0".to_string());
        {
            // Reuse the scope walker on a synthetic view of the parts.
            let mut inner = Names::default();
            for (i, g) in gens.iter().enumerate() {
                let t = scope::analyze_expr_scope(&[], &g.target);
                inner.used.extend(t.used.iter().cloned());
                collect_targets(&g.target, &mut inner.assigned);
                if i > 0 {
                    let x = scope::analyze_expr_scope(&[], &g.iter);
                    inner.used.extend(x.used);
                    inner.child_free.extend(x.child_free);
                }
                for c in &g.ifs {
                    let x = scope::analyze_expr_scope(&[], c);
                    inner.used.extend(x.used);
                    inner.child_free.extend(x.child_free);
                }
            }
            for e in [Some(elt), value].into_iter().flatten() {
                let x = scope::analyze_expr_scope(&[], e);
                inner.used.extend(x.used);
                inner.child_free.extend(x.child_free);
            }
            names.assigned.extend(inner.assigned);
            names.used = inner.used;
            names.child_free = inner.child_free;
        }
        let name = ["<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"][kind as usize];
        let mut st = FnState::new(name, Kind::Function, self.src, self.module);
        st.code.is_generator = kind == 3;
        st.line = self.st().line;
        st.slot(".0");
        st.code.argcount = 1;
        let frees = self.setup_scope(&mut st, &names);
        let mut flags = 0;
        if !frees.is_empty() {
            for n in &frees {
                self.load_cell(n, range)?;
            }
            self.emit(Instr::BuildTuple(frees.len() as u32));
            flags |= 4;
        }
        let id = bytecode::add_code(Code::default());
        self.fns.push(st);
        match kind {
            0 => self.emit(Instr::BuildList(0)),
            1 => self.emit(Instr::BuildSet(0)),
            2 => self.emit(Instr::BuildDict(0)),
            _ => 0,
        };
        let mut loops = vec![];
        for (i, g) in gens.iter().enumerate() {
            if i == 0 {
                self.emit(Instr::LoadFast(0));
            } else {
                self.expr(&g.iter)?;
                self.emit(Instr::GetIter);
            }
            let top = self.pc();
            let fi = self.emit(Instr::ForIter(0));
            self.assign(&g.target)?;
            for c in &g.ifs {
                self.expr(c)?;
                self.emit(Instr::PopJumpIfFalse(top));
            }
            loops.push((top, fi));
        }
        // Below the element: one iterator per loop (plus the result).
        let depth = gens.len() as u32 + 1;
        match kind {
            0 => {
                self.expr(elt)?;
                self.emit(Instr::ListAppend(depth));
            }
            1 => {
                self.expr(elt)?;
                self.emit(Instr::SetAdd(depth));
            }
            2 => {
                self.expr(elt)?;
                self.expr(value.expect("dict comprehension value"))?;
                self.emit(Instr::MapAdd(depth));
            }
            _ => {
                self.expr(elt)?;
                self.emit(Instr::Yield);
                self.emit(Instr::Pop);
            }
        }
        for (top, fi) in loops.into_iter().rev() {
            self.emit(Instr::Jump(top));
            self.patch_here(fi);
        }
        if kind == 3 {
            let k = self.const_obj(objects::none());
            self.emit(Instr::LoadConst(k));
        }
        self.emit(Instr::Return);
        let st = self.fns.pop().expect("comprehension state");
        bytecode::set_code(id, st.finish()?);
        self.emit(Instr::MakeFunction(id as u32, flags));
        self.expr(&gens[0].iter)?;
        self.emit(Instr::GetIter);
        self.emit(Instr::Call(1));
        Ok(())
    }

    pub(super) fn constant(
        &mut self,
        c: &Constant,
        r: rustpython_parser::text_size::TextRange,
    ) -> Result<GcRef, SyntaxError> {
        Ok(match c {
            Constant::None => objects::none(),
            Constant::Bool(b) => objects::bool_obj(*b),
            Constant::Str(s) => objects::new_str(s),
            Constant::Int(i) => crate::numbers::int_from_big(i.clone()),
            Constant::Float(f) => objects::new_float(*f),
            Constant::Tuple(t) => {
                let items: Result<Vec<GcRef>, _> = t.iter().map(|c| self.constant(c, r)).collect();
                objects::new_tuple(&items?)
            }
            Constant::Ellipsis => objects::none(),
            Constant::Bytes(_) | Constant::Complex { .. } => {
                return Err(self.err("bytes and complex literals are not supported", r))
            }
        })
    }
}

/// Whether CPython's AST optimizer turns `e` into a constant (literals,
/// signed numbers, arithmetic on them, tuples of constants).
fn is_folded_const(e: &Expr) -> bool {
    match e {
        Expr::Constant(_) => true,
        Expr::UnaryOp(u) => !matches!(u.op, ast::UnaryOp::Not) && is_folded_const(&u.operand),
        Expr::BinOp(b) => is_folded_const(&b.left) && is_folded_const(&b.right),
        Expr::Tuple(t) => t.elts.iter().all(is_folded_const),
        _ => false,
    }
}
