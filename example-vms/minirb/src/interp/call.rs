//! Calls: method dispatch (`call`: the receiver's class promoted, the
//! lookup folded under the quasi-immutable version cell, then user code,
//! attribute readers/writers, or builtins through the residual send
//! `call_builtin`), `method_missing` and NoMethodError, binding arguments
//! to parameters (`bind`: optional, rest, post, keywords, block), new
//! frames and running them (`call_portal` for user methods), blocks and
//! procs (`make_proc`, `block_of`, `call_block`), `super`, and splats.
//!
//! May touch: frames (creating and running them), the call depth limit,
//! method tables read-only; it runs guest code.

use super::*;

impl Vm {
    /// A new Proc for block code `cid` created in frame `f`.
    pub(super) fn make_proc<C: Ctx>(
        &self,
        ctx: &mut C,
        f: &Frame<C::R>,
        cid: usize,
        lambda: bool,
    ) -> C::Ref {
        let p = ctx.new(&proc_obj::SIZE);
        let c = ctx.const_int(cid as i64);
        ctx.setfield_i(p, &proc_obj::code, c);
        ctx.setfield_r(p, &proc_obj::self_, f.self_);
        ctx.setfield_r(p, &proc_obj::env, f.env);
        ctx.setfield_r(p, &proc_obj::blk, f.blk);
        ctx.setfield_r(p, &proc_obj::home, f.home);
        let l = ctx.const_int(lambda as i64);
        ctx.setfield_i(p, &proc_obj::lambda, l);
        let z = ctx.const_int(0);
        ctx.setfield_i(p, &proc_obj::sym, z);
        p
    }

    /// A `&value` argument as a block: nil, a Proc, a Symbol (`&:sym`),
    /// a Method, or anything with `to_proc`.
    pub(super) fn block_of<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref) -> Res<C> {
        match ctx.class_of(v) {
            tid::NIL | tid::PROC => Ok(v),
            _ => {
                let r = ctx.call(&TO_PROC, &[Val::Ref(v)]).gcref();
                Self::checked(ctx, r)
            }
        }
    }

    /// Calls method `sym` on `recv`. `Err` is an exception to raise.
    #[allow(clippy::too_many_arguments)]
    pub fn call<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        recv: C::Ref,
        sym: usize,
        args: Vec<C::Ref>,
        blk: C::Ref,
        fcall: bool,
        kw: bool,
    ) -> Res<C> {
        self.read_version(ctx);
        let c = self.class_id(ctx, recv);
        let found = match objects::lookup(c, sym) {
            Some((_, _, owner))
                if (owner == cls::COMPARABLE || owner == cls::ENUMERABLE)
                    && builtins::native_shadow(c, &objects::sym_name(sym)) =>
            {
                None
            }
            f => f,
        };
        match found {
            Some((m, vis, _owner)) => {
                if vis == Vis::Private && !fcall && !objects::sym_name(sym).ends_with('=') {
                    let r = self.no_method(ctx, recv, sym, "private method")?;
                    return Err(r);
                }
                self.invoke(ctx, m, recv, sym, args, blk, kw)
            }
            None => {
                // Traced fast paths of builtins.
                let name = objects::sym_name(sym);
                if let Some(r) = self.builtin_fast_path(ctx, c, &name, recv, &args, blk, kw)? {
                    return Ok(r);
                }
                if args.len() == 1 && ARITH.contains(&name.as_str()) {
                    if let Some(r) = self.binop(ctx, &name, recv, args[0]) {
                        return Ok(r);
                    }
                }
                if c == cls::ARRAY {
                    match (name.as_str(), args.len()) {
                        ("[]", 1) => {
                            if let Some(r) = Self::array_index(ctx, recv, args[0], None) {
                                return Ok(r);
                            }
                        }
                        ("[]=", 2) => {
                            if let Some(r) = Self::array_index(ctx, recv, args[0], Some(args[1])) {
                                return Ok(r);
                            }
                        }
                        ("size" | "length", 0) => {
                            let n = ctx.getfield_i(recv, &arr_obj::len);
                            return Ok(Self::box_int(ctx, n));
                        }
                        _ => {}
                    }
                }
                if c == cls::PROC
                    && (name == "call" || name == "()" || name == "yield" || name == "[]")
                {
                    return self.call_block(ctx, recv, args, None, blk);
                }
                // Identity equality: user objects without their own `==`
                // (structs and exceptions compare members), and the
                // singletons and symbols (interned). `!=` is `!(a == b)`
                // only when `==` is the builtin too.
                if (name == "==" || name == "!=" || name == "equal?") && args.len() == 1 {
                    let t = ctx.class_of(recv);
                    let identity = match t {
                        tid::NIL | tid::TRUE | tid::FALSE | tid::SYM => true,
                        tid::OBJ => {
                            objects::class_mut(c, |k| k.struct_members.is_none())
                                && !objects::ancestors(c).contains(&cls::EXCEPTION)
                        }
                        // Numbers are values in CRuby (`1.equal?(1)`).
                        tid::INT | tid::BIG | tid::FLOAT => false,
                        _ => name == "equal?",
                    };
                    let eq_is_builtin =
                        name != "!=" || objects::lookup(c, objects::sym_id("==")).is_none();
                    if identity && eq_is_builtin {
                        let r = ctx.ptr_eq(recv, args[0]);
                        if name == "!=" {
                            let zero = ctx.const_int(0);
                            let r = ctx.int_eq(r, zero);
                            return Ok(self.boolean(ctx, r));
                        }
                        return Ok(self.boolean(ctx, r));
                    }
                }
                if name == "!" && args.is_empty() {
                    let t = Self::truthy(ctx, recv);
                    return Ok(ctx.const_ref(if t { self.f } else { self.t }));
                }
                if name == "nil?" && args.is_empty() {
                    let t = ctx.class_of(recv) == tid::NIL;
                    return Ok(ctx.const_ref(if t { self.t } else { self.f }));
                }
                self.call_builtin(ctx, recv, sym, sym, args, blk, fcall)
            }
        }
    }

    /// A builtin method (residual). Unknown names go to `method_missing`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_builtin<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        recv: C::Ref,
        sym: usize,
        orig: usize,
        args: Vec<C::Ref>,
        blk: C::Ref,
        fcall: bool,
    ) -> Res<C> {
        let arr = Self::array(ctx, &args);
        let s = ctx.const_int(sym as i64);
        let f = ctx.const_int(fcall as i64);
        let a = [
            Val::Int(s),
            Val::Ref(recv),
            Val::Ref(arr),
            Val::Ref(blk),
            Val::Int(f),
        ];
        let r = if builtins::is_pure(&objects::sym_name(sym)) {
            ctx.call(&BUILTIN_PURE, &a).gcref()
        } else {
            ctx.call_may_force(self, &BUILTIN, &a).gcref()
        };
        self.sync_version(ctx);
        let r = Self::checked(ctx, r)?;
        let u = ctx.const_ref(self.undef);
        let is_undef = ctx.ptr_eq(r, u);
        if !ctx.is_true(is_undef) {
            return Ok(r);
        }
        // No such method: method_missing, or NoMethodError.
        let c = self.class_id(ctx, recv);
        let mm = objects::sym_id("method_missing");
        if let Some((m, _, _)) = objects::lookup(c, mm) {
            let mut a2 = vec![ctx.const_ref(objects::sym_obj(orig))];
            a2.extend(args);
            return self.invoke(ctx, m, recv, mm, a2, blk, false);
        }
        let what = if fcall && args.is_empty() {
            "undefined local variable or method"
        } else {
            "undefined method"
        };
        let e = self.no_method(ctx, recv, orig, what)?;
        Err(e)
    }

    pub(super) fn no_method<C: Ctx>(
        &mut self,
        ctx: &mut C,
        recv: C::Ref,
        sym: usize,
        what: &str,
    ) -> Res<C> {
        let w = self.cstr(what);
        let w = ctx.const_ref(w);
        let s = ctx.const_int(sym as i64);
        Ok(ctx
            .call(&NO_METHOD, &[Val::Ref(recv), Val::Int(s), Val::Ref(w)])
            .gcref())
    }

    /// Runs method entry `m` found for `sym`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn invoke<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        m: Meth,
        recv: C::Ref,
        sym: usize,
        args: Vec<C::Ref>,
        blk: C::Ref,
        kw: bool,
    ) -> Res<C> {
        match m {
            Meth::Code(cid) => self.call_code(ctx, cid, recv, args, blk, kw, None),
            Meth::Reader(iv) => {
                if !args.is_empty() {
                    return Err(self.arg_error(ctx, args.len(), "0"));
                }
                Ok(self.ivar_get(ctx, recv, iv))
            }
            Meth::Writer(iv) => {
                if args.len() != 1 {
                    return Err(self.arg_error(ctx, args.len(), "1"));
                }
                self.ivar_set(ctx, recv, iv, args[0])?;
                Ok(args[0])
            }
            Meth::Proc(p) => {
                let p = ctx.const_ref(p);
                self.call_block(ctx, p, args, Some(recv), blk)
            }
            Meth::Builtin(b) => self.call_builtin(ctx, recv, b, sym, args, blk, true),
            Meth::Undef => {
                let e = self.no_method(ctx, recv, sym, "undefined method")?;
                Err(e)
            }
        }
    }

    pub(super) fn arg_error<C: Ctx>(
        &mut self,
        ctx: &mut C,
        given: usize,
        expected: &str,
    ) -> C::Ref {
        let msg = format!("wrong number of arguments (given {given}, expected {expected})");
        self.exc(ctx, "ArgumentError", &msg)
    }

    /// Binds `args` to the parameters of `code` in a new frame.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        mut args: Vec<C::Ref>,
        strict: bool,
        kw: bool,
        frame: &mut Frame<C::R>,
        blk: C::Ref,
    ) -> Result<(), C::Ref> {
        let p: &Params = &code.params;
        let nil = ctx.const_ref(self.nil);
        let undef = ctx.const_ref(self.undef);
        // Keyword arguments: the last Hash.
        let mut kwh = None;
        if !p.kw.is_empty() || p.kwrest.is_some() {
            if let Some(last) = args.last().copied() {
                if ctx.class_of(last) == tid::HASH {
                    let npos = p.req.len() + p.post.len();
                    if args.len() > npos || kw {
                        kwh = Some(last);
                        args.pop();
                    }
                }
            }
        }
        // Blocks spread one Array argument over several parameters.
        let nfixed = p.req.len() + p.opt.len() + p.post.len();
        if !strict
            && args.len() == 1
            && !p.arity_one
            && (nfixed > 1 || (p.rest.is_some() && nfixed > 0))
            && ctx.class_of(args[0]) == tid::ARR
        {
            args = Self::items_of(ctx, args[0]);
        }
        let n = args.len();
        let nreq = p.req.len() + p.post.len();
        if strict && (n < nreq || (p.rest.is_none() && n > nreq + p.opt.len())) {
            let expected = if p.rest.is_some() {
                format!("{nreq}+")
            } else if !p.opt.is_empty() {
                format!("{}..{}", nreq, nreq + p.opt.len())
            } else {
                nreq.to_string()
            };
            return Err(self.arg_error(ctx, n, &expected));
        }
        let mut vals: Vec<C::Ref> = args;
        // Pad for blocks.
        while vals.len() < nreq {
            vals.push(nil);
        }
        let navail_opt = (vals.len() - nreq).min(p.opt.len());
        let nrest = vals.len() - nreq - navail_opt;
        let mut it = 0;
        let put = |ctx: &mut C, frame: &mut Frame<C::R>, s: Slot, v: C::Ref| match s {
            Slot::Local(i) => frame.locals[i] = v,
            Slot::Env(i) => {
                let k = ctx.const_int(i as i64);
                ctx.setarrayitem_r(frame.env, &REF_ARRAY, k, v);
            }
        };
        for s in &p.req {
            put(ctx, frame, *s, vals[it]);
            it += 1;
        }
        for (j, s) in p.opt.iter().enumerate() {
            if j < navail_opt {
                put(ctx, frame, *s, vals[it]);
                it += 1;
            } else {
                put(ctx, frame, *s, undef);
            }
        }
        if let Some(r) = p.rest {
            let a = Self::array(ctx, &vals[it..it + nrest]);
            put(ctx, frame, r, a);
        }
        it += nrest;
        for s in &p.post {
            let v = vals.get(it).copied().unwrap_or(nil);
            put(ctx, frame, *s, v);
            it += 1;
        }
        if !p.kw.is_empty() || p.kwrest.is_some() {
            let h = match kwh {
                Some(h) => h,
                None => ctx.const_ref(self.nil),
            };
            for (ksym, s, required) in &p.kw {
                let k = ctx.const_int(*ksym as i64);
                let v = ctx.call(&KW_FETCH, &[Val::Ref(h), Val::Int(k)]).gcref();
                if *required && ctx.class_of(v) == tid::UNDEF {
                    let msg = format!("missing keyword: :{}", objects::sym_name(*ksym));
                    return Err(self.exc(ctx, "ArgumentError", &msg));
                }
                put(ctx, frame, *s, v);
            }
            if let Some(s) = p.kwrest {
                let names: Vec<i64> = p.kw.iter().map(|k| k.0 as i64).collect();
                let r = ctx.call(&KW_REST, &[Val::Ref(h)]).gcref();
                for k in names {
                    let k = ctx.const_int(k);
                    ctx.call(&KW_DELETE, &[Val::Ref(r), Val::Int(k)]);
                }
                put(ctx, frame, s, r);
            }
        }
        if let Some(s) = p.block {
            put(ctx, frame, s, blk);
        }
        Ok(())
    }

    /// A new frame for `code`.
    pub(super) fn new_frame<C: Ctx>(
        &self,
        ctx: &mut C,
        code: &Code,
        self_: C::Ref,
        parent_env: C::Ref,
        blk: C::Ref,
    ) -> Frame<C::R> {
        let nil = ctx.const_ref(self.nil);
        let env = if code.nenv > 0 {
            let n = ctx.const_int(code.nenv as i64);
            let e = ctx.new_array(&REF_ARRAY, n);
            let z = ctx.const_int(0);
            ctx.setarrayitem_r(e, &REF_ARRAY, z, parent_env);
            for i in 1..code.nenv {
                let k = ctx.const_int(i as i64);
                ctx.setarrayitem_r(e, &REF_ARRAY, k, nil);
            }
            e
        } else {
            parent_env
        };
        Frame {
            self_,
            locals: vec![nil; code.nlocals],
            stack: Vec::new(),
            env,
            blk,
            cur: nil,
            home: nil,
        }
    }

    /// Runs a portal call with the depth check.
    pub(super) fn run_frame<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cid: usize,
        frame: Frame<C::R>,
    ) -> Res<C> {
        let cell = ctx.const_ref(self.depth);
        let depth = ctx.getfield_i(cell, &depth_cell::value);
        let max = ctx.const_int(MAX_DEPTH);
        let ok = ctx.int_lt(depth, max);
        if !ctx.is_true(ok) {
            return Err(self.exc(ctx, "SystemStackError", "stack level too deep"));
        }
        let one = ctx.const_int(1);
        let deeper = ctx.int_add(depth, one);
        ctx.setfield_i(cell, &depth_cell::value, deeper);
        heap::gc::no_collect_exit(); // the callee's steps may collect
        let r = ctx.call_portal(self, (cid, 0), frame);
        heap::gc::no_collect_enter();
        ctx.setfield_i(cell, &depth_cell::value, depth);
        match r {
            Ret::Value(v) => Ok(v),
            Ret::Raise(e) => Err(e),
        }
    }

    /// Calls a method body.
    #[allow(clippy::too_many_arguments)]
    pub fn call_code<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cid: usize,
        self_: C::Ref,
        args: Vec<C::Ref>,
        blk: C::Ref,
        kw: bool,
        _x: Option<()>,
    ) -> Res<C> {
        let code = bytecode::code(cid);
        let nil = ctx.const_ref(self.nil);
        let mut frame = self.new_frame(ctx, &code, self_, nil, blk);
        self.bind(ctx, &code, args, true, kw, &mut frame, blk)?;
        if code.needs_home {
            frame.home = ctx.new(&home_obj::SIZE);
        }
        self.run_frame(ctx, cid, frame)
    }

    /// Calls a block / proc with `args` (self replaced for `define_method`
    /// and `instance_eval`).
    pub fn call_block<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        p: C::Ref,
        args: Vec<C::Ref>,
        self_override: Option<C::Ref>,
        blk_arg: C::Ref,
    ) -> Res<C> {
        if ctx.class_of(p) != tid::PROC {
            return Err(self.exc(ctx, "LocalJumpError", "no block given (yield)"));
        }
        let c = ctx.getfield_i(p, &proc_obj::code);
        let cid = ctx.promote_int(c);
        if cid == -2 {
            // `method(:m).to_proc`
            let s = ctx.getfield_i(p, &proc_obj::sym);
            let s = ctx.promote_int(s) as usize;
            let recv = ctx.getfield_r(p, &proc_obj::self_);
            return self.call(ctx, recv, s, args, blk_arg, true, false);
        }
        if cid < 0 {
            // `&:sym`
            let s = ctx.getfield_i(p, &proc_obj::sym);
            let s = ctx.promote_int(s) as usize;
            if args.is_empty() {
                return Err(self.exc(ctx, "ArgumentError", "no receiver given"));
            }
            let recv = args[0];
            let nil = ctx.const_ref(self.nil);
            return self.call(ctx, recv, s, args[1..].to_vec(), nil, false, false);
        }
        let cid = cid as usize;
        let code = bytecode::code(cid);
        let l = ctx.getfield_i(p, &proc_obj::lambda);
        let lambda = ctx.promote_int(l) != 0;
        let self_ = match self_override {
            Some(s) => s,
            None => ctx.getfield_r(p, &proc_obj::self_),
        };
        let penv = ctx.getfield_r(p, &proc_obj::env);
        let outer_blk = ctx.getfield_r(p, &proc_obj::blk);
        let mut frame = self.new_frame(ctx, &code, self_, penv, outer_blk);
        let strict = lambda;
        self.bind(ctx, &code, args, strict, false, &mut frame, blk_arg)?;
        frame.cur = p;
        frame.home = if lambda && code.needs_home {
            ctx.new(&home_obj::SIZE)
        } else {
            ctx.getfield_r(p, &proc_obj::home)
        };
        let r = self.run_frame(ctx, cid, frame);
        if lambda {
            // `break` in a lambda returns from it.
            if let Err(e) = r {
                if ctx.class_of(e) == tid::CTL {
                    let tag = ctx.getfield_r(e, &ctl_obj::tag);
                    let same = ctx.ptr_eq(tag, p);
                    if ctx.is_true(same) {
                        return Ok(ctx.getfield_r(e, &ctl_obj::val));
                    }
                }
            }
        }
        r
    }

    /// `super`.
    pub(super) fn super_call<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cid: usize,
        f: &Frame<C::R>,
        args: Vec<C::Ref>,
        blk: C::Ref,
        kw: bool,
    ) -> Res<C> {
        self.read_version(ctx);
        let mc = bytecode::method_code(cid);
        let mcode = bytecode::code(mc);
        let msym = objects::sym_id(&mcode.method_name);
        let c = self.class_id(ctx, f.self_);
        let owner = bytecode::owner(mc).unwrap_or(c);
        match objects::lookup_super(c, owner, msym) {
            Some((m, _, _)) => self.invoke(ctx, m, f.self_, msym, args, blk, kw),
            None => {
                let r = self.call_builtin(ctx, f.self_, msym, msym, args, blk, true);
                if let Err(e) = r {
                    // Report a missing super method CRuby's way.
                    let _ = e;
                }
                r
            }
        }
    }

    pub(super) fn spread_args<C: Ctx>(ctx: &mut C, args: Vec<C::Ref>, splat: bool) -> Vec<C::Ref> {
        if splat {
            Self::items_of(ctx, args[0])
        } else {
            args
        }
    }
}
