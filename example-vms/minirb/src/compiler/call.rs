//! Calls: argument lists (splats, keywords, block-pass), sends and
//! `super`/zsuper sites, blocks and lambdas (each its own `Code`, with
//! numbered parameters), `def` and class/module bodies, and parameter
//! lists with their prologue (defaults, rest, post, keywords,
//! destructuring).
//!
//! May touch: call sites and nested scopes (through `scope`); the
//! current scope's ops.

use super::*;

impl Compiler<'_> {
    pub(super) fn args_value(&mut self, args: &[Node]) -> R<()> {
        match args.len() {
            0 => self.emit(Op::Nil),
            1 if !matches!(args[0], Node::Splat(_)) => self.expr(&args[0])?,
            _ => self.array(args)?,
        }
        Ok(())
    }

    /// Pushes the arguments of a call; fills the site's argc/splat/kw/blk_arg.
    pub(super) fn call_args(&mut self, args: &[Node], site: &mut Site) -> R<()> {
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

    pub(super) fn send(
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

    pub(super) fn super_call(&mut self, args: Option<&[Node]>, blk: Option<usize>) -> R<()> {
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
    pub(super) fn block_call(&mut self, b: &nodes::Block, _x: Option<()>) -> R<()> {
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
    pub(super) fn block_call_num(&mut self, b: &nodes::Numblock) -> R<()> {
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

    pub(super) fn block_code(
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

    pub(super) fn def(&mut self, name: &str, args: Option<&Node>, body: Option<&Node>) -> R<usize> {
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

    pub(super) fn class_body(&mut self, name: &str, body: Option<&Node>, kind: Kind) -> R<usize> {
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
    pub(super) fn params(&mut self, a: &Node, is_block: bool) -> R<()> {
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
}
