//! The dispatch loop's body: `exec` runs one instruction (`Op`) on the
//! frame — literals, variables and environments, sends, jumps (a
//! backward jump is `can_enter_jit`), class bodies, non-local exits and
//! raises; `step` (in `mod.rs`) calls it after `jit_merge_point`.
//!
//! May touch: the frame (stack, locals, env), the greens (pc), and
//! everything the ops reach through `call`, `fastpath` and residuals.

use super::*;

impl Vm {
    /// One instruction; `Err` is an exception raised by it.
    pub(super) fn exec<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
    ) -> Result<Step<Ret<C::R>>, C::Ref> {
        let pc = g.1;
        g.1 += 1;
        let op = code.ops[pc];
        let pop = |f: &mut Frame<C::R>| f.stack.pop().expect("stack depth is static");
        match op {
            Op::Nil => f.stack.push(ctx.const_ref(self.nil)),
            Op::True => f.stack.push(ctx.const_ref(self.t)),
            Op::False => f.stack.push(ctx.const_ref(self.f)),
            Op::SelfV => f.stack.push(f.self_),
            Op::Lit(i) => f.stack.push(ctx.const_ref(code.consts[i])),
            Op::Str(i) => {
                let s = ctx.const_ref(code.consts[i]);
                let r = ctx.call(&STR_DUP, &[Val::Ref(s)]).gcref();
                f.stack.push(r)
            }
            Op::GetLocal(i) => f.stack.push(f.locals[i]),
            Op::SetLocal(i) => f.locals[i] = pop(f),
            Op::GetEnv(d, i) => {
                let mut e = f.env;
                for _ in 0..d {
                    let z = ctx.const_int(0);
                    e = ctx.getarrayitem_r(e, &REF_ARRAY, z);
                }
                let k = ctx.const_int(i as i64);
                let v = ctx.getarrayitem_r(e, &REF_ARRAY, k);
                f.stack.push(v)
            }
            Op::SetEnv(d, i) => {
                let v = pop(f);
                let mut e = f.env;
                for _ in 0..d {
                    let z = ctx.const_int(0);
                    e = ctx.getarrayitem_r(e, &REF_ARRAY, z);
                }
                let k = ctx.const_int(i as i64);
                ctx.setarrayitem_r(e, &REF_ARRAY, k, v);
            }
            Op::GetIvar(s) => {
                let v = self.ivar_get(ctx, f.self_, s);
                f.stack.push(v)
            }
            Op::SetIvar(s) => {
                let v = pop(f);
                let me = f.self_;
                self.ivar_set(ctx, me, s, v)?;
            }
            Op::GetGlobal(s) => {
                let k = ctx.const_int(s as i64);
                let v = ctx.call(&GLOBAL_GET, &[Val::Int(k)]).gcref();
                f.stack.push(v)
            }
            Op::SetGlobal(s) => {
                let v = pop(f);
                let k = ctx.const_int(s as i64);
                ctx.call(&GLOBAL_SET, &[Val::Int(k), Val::Ref(v)]);
            }
            Op::GetCvar(s) | Op::SetCvar(s) => {
                let c = ctx.const_int(g.0 as i64);
                let k = ctx.const_int(s as i64);
                let me = f.self_;
                if let Op::SetCvar(_) = op {
                    let v = pop(f);
                    ctx.call(
                        &CVAR_SET,
                        &[Val::Int(c), Val::Ref(me), Val::Int(k), Val::Ref(v)],
                    );
                } else {
                    let r = ctx
                        .call(&CVAR_GET, &[Val::Int(c), Val::Ref(me), Val::Int(k)])
                        .gcref();
                    let r = Self::checked(ctx, r)?;
                    f.stack.push(r)
                }
            }
            Op::GetConst(s) => {
                self.read_version(ctx);
                let cref = bytecode::cref(g.0);
                match objects::lookup_const(cref, s) {
                    Some(v) => f.stack.push(ctx.const_ref(v)),
                    None => {
                        let c = ctx.const_int(cref as i64);
                        let k = ctx.const_int(s as i64);
                        let r = ctx
                            .call_may_force(self, &CONST_MISSING, &[Val::Int(c), Val::Int(k)])
                            .gcref();
                        let r = Self::checked(ctx, r)?;
                        f.stack.push(r)
                    }
                }
            }
            Op::GetConstFrom(s) => {
                let scope = pop(f);
                self.read_version(ctx);
                if ctx.class_of(scope) == tid::CLASS {
                    let c = ctx.getfield_i(scope, &class_obj::id);
                    let c = ctx.promote_int(c) as usize;
                    if let Some(v) = objects::get_const(c, s) {
                        f.stack.push(ctx.const_ref(v));
                        return Ok(Step::Next);
                    }
                    let mut found = None;
                    for a in objects::ancestors(c) {
                        if let Some(v) = objects::get_const(a, s) {
                            found = Some(v);
                            break;
                        }
                    }
                    if let Some(v) = found {
                        f.stack.push(ctx.const_ref(v));
                        return Ok(Step::Next);
                    }
                    let c = ctx.const_int(c as i64);
                    let k = ctx.const_int(s as i64);
                    let r = ctx
                        .call_may_force(self, &CONST_MISSING, &[Val::Int(c), Val::Int(k)])
                        .gcref();
                    let r = Self::checked(ctx, r)?;
                    f.stack.push(r);
                } else {
                    let msg = format!("{} is not a class/module", "value");
                    return Err(self.exc(ctx, "TypeError", &msg));
                }
            }
            Op::SetConst(s) | Op::SetConstFrom(s) => {
                let scope = if let Op::SetConstFrom(_) = op {
                    pop(f)
                } else {
                    let c = bytecode::cref(g.0);
                    ctx.const_ref(objects::class_obj_of(c))
                };
                let v = pop(f);
                let k = ctx.const_int(s as i64);
                ctx.call(&SET_CONST, &[Val::Ref(scope), Val::Int(k), Val::Ref(v)]);
                self.sync_version(ctx);
            }
            Op::Pop => {
                pop(f);
            }
            Op::Dup => {
                let v = *f.stack.last().expect("stack depth is static");
                f.stack.push(v)
            }
            Op::Swap => {
                let a = pop(f);
                let b = pop(f);
                f.stack.push(a);
                f.stack.push(b);
            }
            Op::Over(n) => {
                let v = f.stack[f.stack.len() - 1 - n];
                f.stack.push(v)
            }
            Op::Send(i) => {
                let site = &code.sites[i];
                let blkv = if site.blk_arg { Some(pop(f)) } else { None };
                let args = f.stack.split_off(f.stack.len() - site.argc);
                let recv = pop(f);
                let args = Self::spread_args(ctx, args, site.splat);
                let (blk, lit) = match (site.blk, blkv) {
                    (Some(cid), _) => {
                        let p = self.make_proc(ctx, f, cid, false);
                        (p, Some(p))
                    }
                    (None, Some(v)) => (self.block_of(ctx, v)?, None),
                    (None, None) => (ctx.const_ref(self.nil), None),
                };
                let r = self.call(ctx, recv, site.sym, args, blk, site.fcall, site.kw);
                let r = match (r, lit) {
                    (Err(e), Some(p)) => self.catch_break(ctx, e, p)?,
                    (r, _) => r?,
                };
                f.stack.push(r)
            }
            Op::Super(i) => {
                let site = &code.sites[i];
                let blkv = if site.blk_arg { Some(pop(f)) } else { None };
                let args = f.stack.split_off(f.stack.len() - site.argc);
                let args = Self::spread_args(ctx, args, site.splat);
                let (blk, lit) = match (site.blk, blkv) {
                    (Some(cid), _) => {
                        let p = self.make_proc(ctx, f, cid, false);
                        (p, Some(p))
                    }
                    (None, Some(v)) => (self.block_of(ctx, v)?, None),
                    (None, None) => (f.blk, None),
                };
                let kw = site.kw;
                let r = self.super_call(ctx, g.0, f, args, blk, kw);
                let r = match (r, lit) {
                    (Err(e), Some(p)) => self.catch_break(ctx, e, p)?,
                    (r, _) => r?,
                };
                f.stack.push(r)
            }
            Op::Yield(n, splat) => {
                let args = f.stack.split_off(f.stack.len() - n);
                let args = Self::spread_args(ctx, args, splat);
                let b = f.blk;
                let nil = ctx.const_ref(self.nil);
                let r = self.call_block(ctx, b, args, None, nil)?;
                f.stack.push(r)
            }
            Op::Jump(t) => {
                g.1 = t;
                if t <= pc {
                    return Ok(Step::CanEnterJit);
                }
            }
            Op::JumpIf(t) | Op::JumpIfNot(t) => {
                let v = pop(f);
                if Self::truthy(ctx, v) == matches!(op, Op::JumpIf(_)) {
                    g.1 = t;
                    if t <= pc {
                        return Ok(Step::CanEnterJit);
                    }
                }
            }
            Op::JumpIfNil(t) => {
                let v = *f.stack.last().expect("stack depth is static");
                if ctx.class_of(v) == tid::NIL {
                    g.1 = t;
                }
            }
            Op::IsUndef => {
                let v = pop(f);
                let u = ctx.class_of(v) == tid::UNDEF;
                f.stack.push(ctx.const_ref(if u { self.t } else { self.f }))
            }
            Op::MakeArray(n) => {
                let items = f.stack.split_off(f.stack.len() - n);
                let a = Self::array(ctx, &items);
                f.stack.push(a)
            }
            Op::ArrayPush | Op::ArrayConcat => {
                let v = pop(f);
                let a = *f.stack.last().expect("stack depth is static");
                let d = if op == Op::ArrayPush {
                    &ARRAY_PUSH
                } else {
                    &ARRAY_CONCAT
                };
                ctx.call(d, &[Val::Ref(a), Val::Ref(v)]);
            }
            Op::ToArray => {
                let v = pop(f);
                let r = ctx.call(&TO_ARRAY, &[Val::Ref(v)]).gcref();
                f.stack.push(r)
            }
            Op::Expand(pre, rest, post) => {
                let a = pop(f);
                let items = Self::items_of(ctx, a);
                let nil = ctx.const_ref(self.nil);
                let n = items.len();
                let mut vals: Vec<C::Ref> = Vec::new();
                for i in 0..pre {
                    vals.push(items.get(i).copied().unwrap_or(nil));
                }
                if rest {
                    let lo = pre.min(n);
                    let hi = n.saturating_sub(post).max(lo);
                    let r = Self::array(ctx, &items[lo..hi]);
                    vals.push(r);
                    for i in 0..post {
                        vals.push(items.get(hi + i).copied().unwrap_or(nil));
                    }
                }
                for v in vals.into_iter().rev() {
                    f.stack.push(v);
                }
            }
            Op::MakeHash(n) => {
                let items = f.stack.split_off(f.stack.len() - 2 * n);
                let a = Self::array(ctx, &items);
                let h = ctx.call(&NEW_HASH, &[Val::Ref(a)]).gcref();
                f.stack.push(h)
            }
            Op::MakeRange(excl) => {
                let hi = pop(f);
                let lo = pop(f);
                let r = ctx.new(&range_obj::SIZE);
                ctx.setfield_r(r, &range_obj::lo, lo);
                ctx.setfield_r(r, &range_obj::hi, hi);
                let e = ctx.const_int(excl as i64);
                ctx.setfield_i(r, &range_obj::excl, e);
                f.stack.push(r)
            }
            Op::ToS => {
                let v = pop(f);
                if ctx.class_of(v) == tid::STR {
                    f.stack.push(v);
                } else {
                    let nil = ctx.const_ref(self.nil);
                    let r = self.call(
                        ctx,
                        v,
                        objects::sym_id("to_s"),
                        Vec::new(),
                        nil,
                        true,
                        false,
                    )?;
                    let r = if ctx.class_of(r) == tid::STR {
                        r
                    } else {
                        ctx.call(&ANY_TO_S, &[Val::Ref(v)]).gcref()
                    };
                    f.stack.push(r)
                }
            }
            Op::Concat(n) => {
                let items = f.stack.split_off(f.stack.len() - n);
                let a = Self::array(ctx, &items);
                let s = ctx.call(&CONCAT, &[Val::Ref(a)]).gcref();
                f.stack.push(s)
            }
            Op::Def(s, cid) | Op::DefS(s, cid) => {
                let target = if let Op::DefS(..) = op {
                    pop(f)
                } else {
                    ctx.const_ref(self.undef)
                };
                let k = ctx.const_int(s as i64);
                let c = ctx.const_int(cid as i64);
                let here = ctx.const_int(g.0 as i64);
                let me = f.self_;
                let r = ctx
                    .call(
                        &DEFINE,
                        &[
                            Val::Ref(me),
                            Val::Ref(target),
                            Val::Int(k),
                            Val::Int(c),
                            Val::Int(here),
                        ],
                    )
                    .gcref();
                self.sync_version(ctx);
                let r = Self::checked(ctx, r)?;
                f.stack.push(r)
            }
            Op::Class(s, body) | Op::Module(s, body) => {
                let sup = if let Op::Class(..) = op {
                    pop(f)
                } else {
                    ctx.const_ref(self.undef)
                };
                let scope = pop(f);
                let k = ctx.const_int(s as i64);
                let b = ctx.const_int(body as i64);
                let m = ctx.const_int(matches!(op, Op::Module(..)) as i64);
                let here = ctx.const_int(g.0 as i64);
                let c = ctx
                    .call(
                        &OPEN_CLASS,
                        &[
                            Val::Ref(scope),
                            Val::Ref(sup),
                            Val::Int(k),
                            Val::Int(b),
                            Val::Int(m),
                            Val::Int(here),
                        ],
                    )
                    .gcref();
                self.sync_version(ctx);
                let c = Self::checked(ctx, c)?;
                let r = self.run_body(ctx, body, c)?;
                f.stack.push(r)
            }
            Op::SClass(body) => {
                let o = pop(f);
                let b = ctx.const_int(body as i64);
                let here = ctx.const_int(g.0 as i64);
                let c = ctx
                    .call(&SINGLETON, &[Val::Ref(o), Val::Int(b), Val::Int(here)])
                    .gcref();
                self.sync_version(ctx);
                let c = Self::checked(ctx, c)?;
                let r = self.run_body(ctx, body, c)?;
                f.stack.push(r)
            }
            Op::Lambda(cid) => {
                let p = self.make_proc(ctx, f, cid, true);
                f.stack.push(p)
            }
            Op::Return => return Ok(Step::Return(Ret::Value(pop(f)))),
            Op::ReturnNonLocal => {
                let v = pop(f);
                if self.in_lambda(ctx, f) {
                    return Ok(Step::Return(Ret::Value(v)));
                }
                let k = ctx.const_int(1);
                let e = ctx
                    .call(&MAKE_CTL, &[Val::Int(k), Val::Ref(f.home), Val::Ref(v)])
                    .gcref();
                return Err(e);
            }
            Op::Break => {
                let v = pop(f);
                if self.in_lambda(ctx, f) {
                    return Ok(Step::Return(Ret::Value(v)));
                }
                let k = ctx.const_int(0);
                let e = ctx
                    .call(&MAKE_CTL, &[Val::Int(k), Val::Ref(f.cur), Val::Ref(v)])
                    .gcref();
                return Err(e);
            }
            Op::Raise => {
                let e = pop(f);
                return Err(e);
            }
            Op::ExcMatch(n) => {
                let classes = f.stack.split_off(f.stack.len() - n);
                let e = *f.stack.last().expect("stack depth is static");
                let a = Self::array(ctx, &classes);
                let r = ctx
                    .call_may_force(self, &EXC_MATCH, &[Val::Ref(e), Val::Ref(a)])
                    .gcref();
                let r = Self::checked(ctx, r)?;
                f.stack.push(r)
            }
            Op::BlockGiven => {
                let b = ctx.class_of(f.blk) != tid::NIL;
                f.stack.push(ctx.const_ref(if b { self.t } else { self.f }))
            }
            Op::BlockArg => f.stack.push(f.blk),
            Op::Defined(i) => {
                let v = pop(f);
                if ctx.class_of(v) == tid::UNDEF {
                    f.stack.push(ctx.const_ref(self.nil))
                } else {
                    f.stack.push(ctx.const_ref(code.consts[i]))
                }
            }
        }
        Ok(Step::Next)
    }
}
