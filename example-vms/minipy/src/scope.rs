//! Scope analysis for the compiler: which names a function body assigns
//! (its locals), declares global / nonlocal, and which names its nested
//! scopes use freely (so the compiler knows cells and free variables).
//!
//! Owns: `Names` and the AST walk that fills it.

use rustpython_parser::ast::{self, Expr, Stmt};
use std::collections::BTreeSet;

/// What one scope does with names.
#[derive(Default, Debug, Clone)]
pub struct Names {
    pub assigned: BTreeSet<String>,
    pub used: BTreeSet<String>,
    pub globals: BTreeSet<String>,
    pub nonlocals: BTreeSet<String>,
    /// Free names of nested scopes (not resolved inside them).
    pub child_free: BTreeSet<String>,
    pub has_yield: bool,
}

impl Names {
    /// Names this scope needs from outside (free in it or in its children).
    pub fn free(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for n in self.used.iter().chain(self.child_free.iter()) {
            if self.nonlocals.contains(n)
                || (!self.assigned.contains(n) && !self.globals.contains(n))
            {
                out.insert(n.clone());
            }
        }
        out
    }
}

/// Analyses a function: parameters plus body.
pub fn analyze_function(args: &ast::Arguments, body: &[Stmt]) -> Names {
    let mut n = Names::default();
    for a in args
        .posonlyargs
        .iter()
        .chain(args.args.iter())
        .chain(args.kwonlyargs.iter())
    {
        n.assigned.insert(a.def.arg.to_string());
    }
    if let Some(a) = &args.vararg {
        n.assigned.insert(a.arg.to_string());
    }
    if let Some(a) = &args.kwarg {
        n.assigned.insert(a.arg.to_string());
    }
    for s in body {
        stmt(&mut n, s);
    }
    for g in n.globals.clone() {
        n.assigned.remove(&g);
    }
    for g in n.nonlocals.clone() {
        n.assigned.remove(&g);
    }
    n
}

/// Analyses a lambda or comprehension-like body given its parameter names.
pub fn analyze_expr_scope(params: &[String], body: &Expr) -> Names {
    let mut n = Names::default();
    for p in params {
        n.assigned.insert(p.clone());
    }
    expr(&mut n, body);
    n
}

/// Analyses a class body (its free names propagate outward).
pub fn analyze_class(body: &[Stmt]) -> Names {
    let mut n = Names::default();
    for s in body {
        stmt(&mut n, s);
    }
    n
}

fn target(n: &mut Names, e: &Expr) {
    match e {
        Expr::Name(x) => {
            n.assigned.insert(x.id.to_string());
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| target(n, e)),
        Expr::List(t) => t.elts.iter().for_each(|e| target(n, e)),
        Expr::Starred(s) => target(n, &s.value),
        other => expr(n, other),
    }
}

fn stmts(n: &mut Names, b: &[Stmt]) {
    b.iter().for_each(|s| stmt(n, s))
}

fn stmt(n: &mut Names, s: &Stmt) {
    match s {
        Stmt::FunctionDef(f) => {
            n.assigned.insert(f.name.to_string());
            f.decorator_list.iter().for_each(|e| expr(n, e));
            defaults(n, &f.args);
            let inner = analyze_function(&f.args, &f.body);
            n.child_free.extend(inner.free());
        }
        Stmt::ClassDef(c) => {
            n.assigned.insert(c.name.to_string());
            c.bases.iter().for_each(|e| expr(n, e));
            c.decorator_list.iter().for_each(|e| expr(n, e));
            let inner = analyze_class(&c.body);
            for x in inner.used.iter() {
                if !inner.assigned.contains(x) {
                    n.child_free.insert(x.clone());
                }
            }
            n.child_free.extend(inner.child_free.iter().cloned());
        }
        Stmt::Return(r) => {
            if let Some(v) = &r.value {
                expr(n, v)
            }
        }
        Stmt::Delete(d) => d.targets.iter().for_each(|e| target(n, e)),
        Stmt::Assign(a) => {
            a.targets.iter().for_each(|e| target(n, e));
            expr(n, &a.value);
        }
        Stmt::AugAssign(a) => {
            target(n, &a.target);
            expr(n, &a.target);
            expr(n, &a.value);
        }
        Stmt::AnnAssign(a) => {
            target(n, &a.target);
            if let Some(v) = &a.value {
                expr(n, v)
            }
        }
        Stmt::For(f) => {
            target(n, &f.target);
            expr(n, &f.iter);
            stmts(n, &f.body);
            stmts(n, &f.orelse);
        }
        Stmt::While(w) => {
            expr(n, &w.test);
            stmts(n, &w.body);
            stmts(n, &w.orelse);
        }
        Stmt::If(i) => {
            expr(n, &i.test);
            stmts(n, &i.body);
            stmts(n, &i.orelse);
        }
        Stmt::With(w) => {
            for it in &w.items {
                expr(n, &it.context_expr);
                if let Some(v) = &it.optional_vars {
                    target(n, v)
                }
            }
            stmts(n, &w.body);
        }
        Stmt::Raise(r) => {
            if let Some(e) = &r.exc {
                expr(n, e)
            }
            if let Some(e) = &r.cause {
                expr(n, e)
            }
        }
        Stmt::Try(t) => {
            stmts(n, &t.body);
            for h in &t.handlers {
                let ast::ExceptHandler::ExceptHandler(h) = h;
                if let Some(e) = &h.type_ {
                    expr(n, e)
                }
                if let Some(nm) = &h.name {
                    n.assigned.insert(nm.to_string());
                }
                stmts(n, &h.body);
            }
            stmts(n, &t.orelse);
            stmts(n, &t.finalbody);
        }
        Stmt::Assert(a) => {
            expr(n, &a.test);
            if let Some(m) = &a.msg {
                expr(n, m)
            }
        }
        Stmt::Import(i) => {
            for a in &i.names {
                let nm = a.asname.as_ref().unwrap_or(&a.name).to_string();
                let first = nm.split('.').next().unwrap_or("").to_string();
                n.assigned.insert(first);
            }
        }
        Stmt::ImportFrom(i) => {
            for a in &i.names {
                n.assigned
                    .insert(a.asname.as_ref().unwrap_or(&a.name).to_string());
            }
        }
        Stmt::Global(g) => g.names.iter().for_each(|x| {
            n.globals.insert(x.to_string());
        }),
        Stmt::Nonlocal(g) => g.names.iter().for_each(|x| {
            n.nonlocals.insert(x.to_string());
        }),
        Stmt::Expr(e) => expr(n, &e.value),
        _ => {}
    }
}

fn defaults(n: &mut Names, a: &ast::Arguments) {
    for d in a
        .posonlyargs
        .iter()
        .chain(a.args.iter())
        .chain(a.kwonlyargs.iter())
    {
        if let Some(e) = &d.default {
            expr(n, e)
        }
    }
}

fn comp(n: &mut Names, gens: &[ast::Comprehension], elts: &[&Expr]) {
    // The first iterable is evaluated in the enclosing scope.
    if let Some(g) = gens.first() {
        expr(n, &g.iter);
    }
    let mut inner = Names::default();
    for (i, g) in gens.iter().enumerate() {
        target(&mut inner, &g.target);
        if i > 0 {
            expr(&mut inner, &g.iter);
        }
        g.ifs.iter().for_each(|e| expr(&mut inner, e));
    }
    elts.iter().for_each(|e| expr(&mut inner, e));
    n.child_free.extend(inner.free());
}

fn expr(n: &mut Names, e: &Expr) {
    match e {
        Expr::Name(x) => {
            n.used.insert(x.id.to_string());
        }
        Expr::BoolOp(b) => b.values.iter().for_each(|e| expr(n, e)),
        Expr::NamedExpr(x) => {
            target(n, &x.target);
            expr(n, &x.value)
        }
        Expr::BinOp(b) => {
            expr(n, &b.left);
            expr(n, &b.right)
        }
        Expr::UnaryOp(u) => expr(n, &u.operand),
        Expr::Lambda(l) => {
            defaults(n, &l.args);
            let mut params = Vec::new();
            for a in l
                .args
                .posonlyargs
                .iter()
                .chain(l.args.args.iter())
                .chain(l.args.kwonlyargs.iter())
            {
                params.push(a.def.arg.to_string());
            }
            if let Some(a) = &l.args.vararg {
                params.push(a.arg.to_string());
            }
            if let Some(a) = &l.args.kwarg {
                params.push(a.arg.to_string());
            }
            let inner = analyze_expr_scope(&params, &l.body);
            n.child_free.extend(inner.free());
        }
        Expr::IfExp(i) => {
            expr(n, &i.test);
            expr(n, &i.body);
            expr(n, &i.orelse)
        }
        Expr::Dict(d) => {
            d.keys.iter().flatten().for_each(|e| expr(n, e));
            d.values.iter().for_each(|e| expr(n, e));
        }
        Expr::Set(s) => s.elts.iter().for_each(|e| expr(n, e)),
        Expr::ListComp(c) => comp(n, &c.generators, &[&c.elt]),
        Expr::SetComp(c) => comp(n, &c.generators, &[&c.elt]),
        Expr::GeneratorExp(c) => comp(n, &c.generators, &[&c.elt]),
        Expr::DictComp(c) => comp(n, &c.generators, &[&c.key, &c.value]),
        Expr::Yield(y) => {
            n.has_yield = true;
            if let Some(v) = &y.value {
                expr(n, v)
            }
        }
        Expr::YieldFrom(y) => {
            n.has_yield = true;
            expr(n, &y.value)
        }
        Expr::Await(a) => expr(n, &a.value),
        Expr::Compare(c) => {
            expr(n, &c.left);
            c.comparators.iter().for_each(|e| expr(n, e))
        }
        Expr::Call(c) => {
            expr(n, &c.func);
            c.args.iter().for_each(|e| expr(n, e));
            c.keywords.iter().for_each(|k| expr(n, &k.value));
        }
        Expr::FormattedValue(f) => {
            expr(n, &f.value);
            if let Some(s) = &f.format_spec {
                expr(n, s)
            }
        }
        Expr::JoinedStr(j) => j.values.iter().for_each(|e| expr(n, e)),
        Expr::Attribute(a) => expr(n, &a.value),
        Expr::Subscript(s) => {
            expr(n, &s.value);
            expr(n, &s.slice)
        }
        Expr::Starred(s) => expr(n, &s.value),
        Expr::List(l) => l.elts.iter().for_each(|e| expr(n, e)),
        Expr::Tuple(l) => l.elts.iter().for_each(|e| expr(n, e)),
        Expr::Slice(s) => {
            for x in [&s.lower, &s.upper, &s.step].into_iter().flatten() {
                expr(n, x)
            }
        }
        Expr::Constant(_) => {}
    }
}
