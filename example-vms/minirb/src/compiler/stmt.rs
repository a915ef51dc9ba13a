//! Control flow: `if`/`unless`/ternaries, `while`/`until` (and their
//! post forms), `for`, `case`/`when`, `break`/`next`/`return` (with the
//! stack unwinding and the `ensure` bodies they must run first),
//! `begin`/`rescue`/`else`/`retry` and `ensure` (exception regions,
//! `Handler`s), and the truthy-to-constant helper of `defined?`.
//!
//! May touch: jumps and their patching, the loop stack, the scope's
//! exception handlers.

use super::*;

impl Compiler<'_> {
    pub(super) fn if_(&mut self, cond: &Node, t: Option<&Node>, f: Option<&Node>) -> R<()> {
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

    pub(super) fn while_(
        &mut self,
        cond: &Node,
        body: Option<&Node>,
        until: bool,
        post: bool,
    ) -> R<()> {
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

    pub(super) fn for_(&mut self, f: &nodes::For) -> R<()> {
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
    pub(super) fn unwind_to(&mut self, depth: usize) {
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

    pub(super) fn inline_ensures(&mut self, from: usize) -> R<()> {
        let ens: Vec<Option<Box<Node>>> = self.sc().ensures[from..].to_vec();
        for e in ens.iter().rev().flatten() {
            self.expr(e)?;
            self.emit(Op::Pop);
        }
        Ok(())
    }

    pub(super) fn return_(&mut self, _x: bool) -> R<()> {
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

    pub(super) fn break_(&mut self) -> R<()> {
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

    pub(super) fn next_(&mut self) -> R<()> {
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

    pub(super) fn case(&mut self, c: &nodes::Case) -> R<()> {
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

    pub(super) fn rescue(&mut self, r: &nodes::Rescue, _x: Option<()>) -> R<()> {
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

    pub(super) fn ensure(&mut self, e: &nodes::Ensure) -> R<()> {
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

    /// Pops v; pushes `consts[k]` if v is truthy, else nil.
    pub(super) fn truthy_to(&mut self, k: usize) {
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
