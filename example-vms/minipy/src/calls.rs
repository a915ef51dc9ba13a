//! Calls and attribute access, generic over the context.
//!
//! Owns: calling any callable (Python functions through `call_portal` with
//! argument binding, bound methods, builtins with their guest-level
//! fallbacks, classes), dunder dispatch, attribute reads/writes with maps
//! and the elidable class lookup, class creation, and `import`.

use crate::builtins::{self, Builtin};
use crate::dict;
use crate::interp::{module_cell, Frame, Res, Ret, Thrown, Vm};
use crate::objects::*;
use crate::types::{self, CLASS_LOOKUP, GROW_SLOTS, MAP_ADD, MAP_SLOT};
use metatrace::heap::{self, GcRef, REF_ARRAY};
use metatrace::ir::EffectInfo;
use metatrace::{Jit, Val};

extern "C" fn mp_kwdict(names: GcRef, vals: GcRef) -> GcRef {
    let d = dict::new_dict();
    for (k, v) in tuple_items(names).into_iter().zip(tuple_items(vals)) {
        let _ = dict::set(d, k, v);
    }
    d
}
metatrace::residual!(
    /// Builds a kwargs dict from a names tuple and a values tuple.
    pub static KWDICT = fn mp_kwdict(names: GcRef, vals: GcRef) -> GcRef, EffectInfo::RESIDUAL
);
extern "C" fn mp_kwdefault(d: GcRef, name: GcRef) -> GcRef {
    if d.is_null() {
        return GcRef::NULL;
    }
    dict::get(d, name).ok().flatten().unwrap_or(GcRef::NULL)
}
metatrace::residual!(
    /// Keyword-only default lookup (null if none).
    pub static KWDEFAULT = fn mp_kwdefault(d: GcRef, name: GcRef) -> GcRef, EffectInfo::RESIDUAL
);
extern "C" fn mp_set_exc_args(e: GcRef, args: GcRef) {
    types::inst_set(e, "args", args);
}
metatrace::residual!(
    /// Stores the constructor arguments of an exception instance.
    pub static SET_EXC_ARGS = fn mp_set_exc_args(e: GcRef, args: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_class_setattr(cls: GcRef, name: GcRef, v: GcRef) {
    let d = getr(cls, &type_obj::dict);
    let _ = dict::set(d, name, v);
}
metatrace::residual!(
    /// Writes a class attribute (the caller bumps the class versions).
    pub static CLASS_SETATTR = fn mp_class_setattr(cls: GcRef, name: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_module_setattr(m: GcRef, name: GcRef, v: GcRef) {
    let c = module_cell(m, &str_of(name));
    setr(c, &cell_obj::value, v);
}
metatrace::residual!(
    /// Writes a module attribute.
    pub static MODULE_SETATTR = fn mp_module_setattr(m: GcRef, name: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
/// Shape ids by key sequence, and key sequences by shape id.
type KwShapes = (hashbrown::HashMap<Vec<String>, i64>, Vec<Vec<String>>);

thread_local! {
    /// Key sequences of `**kwargs` dicts seen by `call_ex`, by shape id.
    static KW_SHAPES: std::cell::RefCell<KwShapes> = std::cell::RefCell::new(Default::default());
}

/// The key names of shape `sid` (from `KW_SHAPE`).
fn kw_shape_names(sid: i64) -> Vec<String> {
    KW_SHAPES.with(|t| t.borrow().1[sid as usize].clone())
}

extern "C" fn mp_kw_shape(kw: GcRef) -> i64 {
    let mut names = Vec::new();
    for (k, _) in dict::items(kw) {
        if k.tid() != tid::STR {
            return -1;
        }
        names.push(str_of(k));
    }
    KW_SHAPES.with(|t| {
        let mut t = t.borrow_mut();
        if let Some(&id) = t.0.get(&names) {
            return id;
        }
        let id = t.1.len() as i64;
        t.1.push(names.clone());
        t.0.insert(names, id);
        id
    })
}
metatrace::residual!(
    /// The shape id of a `**kwargs` dict's key sequence (-1: a non-str key).
    pub static KW_SHAPE = fn mp_kw_shape(kw: GcRef) -> i64, EffectInfo::RESIDUAL
);
extern "C" fn mp_func_setattr(f: GcRef, name: GcRef, v: GcRef) {
    crate::builtins::func_attr_set(f, name, v);
}
metatrace::residual!(
    /// Writes a function attribute (`f.__wrapped__ = g`).
    pub static FUNC_SETATTR = fn mp_func_setattr(f: GcRef, name: GcRef, v: GcRef), EffectInfo::RESIDUAL
);
extern "C" fn mp_super_lookup(sup: GcRef, name: GcRef) -> GcRef {
    let start = getr(sup, &super_obj::cls);
    let slf = getr(sup, &super_obj::slf);
    let n = str_of(name);
    // Continue along the MRO of the instance's class after `start`.
    let owner = if slf.tid() == tid::TYPE {
        slf
    } else {
        types::type_of(slf)
    };
    let mro = types::mro_of(owner);
    let after = mro
        .iter()
        .position(|c| *c == start)
        .map_or(mro.len(), |i| i + 1);
    let v = types::lookup_in(&mro[after..], &n);
    if v.is_null() {
        // Builtin classes further along the MRO (`object`, `int`, ...)
        // keep their methods in the builtin table, not in a namespace.
        if let Some(id) = mro[after..]
            .iter()
            .find_map(|c| builtins::type_method(*c, &n))
        {
            return new_builtin(id, slf);
        }
        return crate::ops::deliver(types::err(
            ExcKind::AttributeError,
            format!("'super' object has no attribute '{n}'"),
        ));
    }
    match v.tid() {
        tid::FUNC => new_method(v, slf),
        tid::BUILTIN => new_builtin(geti(v, &builtin_obj::id), slf),
        tid::WRAP => {
            let f = getr(v, &wrap_obj::a);
            if geti(v, &wrap_obj::kind) == 1 {
                // A classmethod binds the class (`slf` is one already in
                // a classmethod's own `super()`).
                new_method(f, owner)
            } else {
                f
            }
        }
        _ => v,
    }
}
metatrace::residual!(
    /// Attribute lookup through a super() proxy.
    pub static SUPER_LOOKUP = fn mp_super_lookup(sup: GcRef, name: GcRef) -> GcRef, crate::ops::RAISES
);
extern "C" fn mp_make_super(code: i64, slf: GcRef) -> GcRef {
    // The class whose namespace holds a function with this code.
    let owner = if slf.tid() == tid::TYPE {
        slf
    } else {
        types::type_of(slf)
    };
    for t in types::mro_of(owner) {
        let d = getr(t, &type_obj::dict);
        for (_, v) in dict::items(d) {
            let f = if v.tid() == tid::WRAP {
                getr(v, &wrap_obj::a)
            } else {
                v
            };
            if f.tid() == tid::FUNC && geti(f, &func_obj::code) == code {
                let s = metatrace::heap::new_struct(&super_obj::SIZE);
                setr(s, &super_obj::cls, t);
                setr(s, &super_obj::slf, slf);
                return s;
            }
        }
    }
    crate::ops::deliver(types::err(ExcKind::RuntimeError, "super(): no arguments"))
}
metatrace::residual!(
    /// Zero-argument super(): finds the defining class by code id.
    pub static MAKE_SUPER = fn mp_make_super(code: i64, slf: GcRef) -> GcRef, crate::ops::RAISES
);

/// `intern($s)`, looked up once per thread (interned strs live forever).
macro_rules! interned {
    ($s:literal) => {{
        thread_local! {
            static NAME: GcRef = intern($s);
        }
        NAME.with(|n| *n)
    }};
}

impl Vm {
    /// Calls the dunder `name` of instance `o` (looked up on its class);
    /// None if the class does not define it.
    pub fn call_dunder<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        name: &str,
        args: &[C::Ref],
    ) -> Res<C, Option<C::Ref>> {
        let cls = ctx.getfield_r(o, &inst_obj::cls);
        let cls = ctx.promote_ref(cls);
        let f = self.class_attr(ctx, cls, intern(name));
        if ctx.is_null(f) {
            return Ok(None);
        }
        let mut a = Vec::with_capacity(args.len() + 1);
        a.push(o);
        a.extend_from_slice(args);
        Ok(Some(self.call_value(ctx, f, a, &[], Vec::new(), None)?))
    }

    /// Attribute slot `slot` of instance `o` (null if unset; the slot
    /// number is a trace constant).
    fn slot_read<C: Jit<Self>>(ctx: &mut C, o: C::Ref, slot: usize) -> C::Ref {
        if slot < INLINE_SLOTS {
            return ctx.getfield_r(o, inline_slot(slot));
        }
        let slots = ctx.getfield_r(o, &inst_obj::slots);
        let k = ctx.const_int((slot - INLINE_SLOTS) as i64);
        ctx.getarrayitem_r(slots, &REF_ARRAY, k)
    }

    /// Writes attribute slot `slot` of `o`, which has room for it.
    fn slot_write<C: Jit<Self>>(ctx: &mut C, o: C::Ref, slot: usize, v: C::Ref) {
        if slot < INLINE_SLOTS {
            ctx.setfield_r(o, inline_slot(slot), v);
            return;
        }
        let slots = ctx.getfield_r(o, &inst_obj::slots);
        let k = ctx.const_int((slot - INLINE_SLOTS) as i64);
        ctx.setarrayitem_r(slots, &REF_ARRAY, k, v);
    }

    /// Elidable class attribute lookup (constant in traces).
    fn class_attr<C: Jit<Self>>(&mut self, ctx: &mut C, cls: GcRef, name: GcRef) -> C::Ref {
        let c = ctx.const_ref(cls);
        let ver = ctx.getfield_i(c, &type_obj::version);
        let n = ctx.const_ref(name);
        ctx.call(&CLASS_LOOKUP, &[Val::Ref(c), Val::Ref(n), Val::Int(ver)])
            .gcref()
    }

    /// Calls a prelude function `name` (Python-level fallbacks).
    pub fn call_prelude<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        name: &str,
        args: Vec<C::Ref>,
    ) -> Res<C, C::Ref> {
        self.call_prelude_kw(ctx, name, args, &[], Vec::new())
    }

    fn call_prelude_kw<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        name: &str,
        args: Vec<C::Ref>,
        kwnames: &[String],
        kwvals: Vec<C::Ref>,
    ) -> Res<C, C::Ref> {
        let cell = self.builtin_cell(name);
        let c = ctx.const_ref(cell);
        let f = ctx.getfield_r(c, &cell_obj::value);
        if ctx.is_null(f) {
            return Err(self.exc(
                ctx,
                ExcKind::TypeError,
                &format!("operation not supported ({name})"),
            ));
        }
        self.call_value(ctx, f, args, kwnames, kwvals, None)
    }

    /// Calls any callable.
    pub fn call_value<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        callee: C::Ref,
        mut args: Vec<C::Ref>,
        kwnames: &[String],
        kwvals: Vec<C::Ref>,
        frame: Option<&Frame<C::R>>,
    ) -> Res<C, C::Ref> {
        match ctx.class_of(callee) {
            tid::FUNC => self.call_function(ctx, callee, args, kwnames, kwvals),
            tid::METHOD => {
                let func = ctx.getfield_r(callee, &method_obj::func);
                let slf = ctx.getfield_r(callee, &method_obj::slf);
                args.insert(0, slf);
                self.call_value(ctx, func, args, kwnames, kwvals, frame)
            }
            tid::BUILTIN => {
                let id = ctx.getfield_i(callee, &builtin_obj::id);
                let id = ctx.promote_int(id);
                let slf = ctx.getfield_r(callee, &builtin_obj::slf);
                self.call_builtin(ctx, id, slf, args, kwnames, kwvals, frame)
            }
            tid::TYPE => {
                let cls = ctx.promote_ref(callee);
                self.instantiate(ctx, cls, args, kwnames, kwvals, frame)
            }
            tid::INST => {
                let cls = ctx.getfield_r(callee, &inst_obj::cls);
                let cls = ctx.promote_ref(cls);
                let f = self.class_attr(ctx, cls, interned!("__call__"));
                if ctx.is_null(f) {
                    return Err(self.not_callable(ctx, callee));
                }
                args.insert(0, callee);
                self.call_value(ctx, f, args, kwnames, kwvals, frame)
            }
            _ => Err(self.not_callable(ctx, callee)),
        }
    }

    fn not_callable<C: Jit<Self>>(&self, ctx: &mut C, o: C::Ref) -> Thrown<C::Ref> {
        let oc = ctx.peek_ref(o);
        self.exc(
            ctx,
            ExcKind::TypeError,
            &format!("'{}' object is not callable", types::tname(oc)),
        )
    }

    /// Binds arguments to a Python function's locals and runs it.
    /// How much room the argument vector of a call to `callee` with `n`
    /// positional arguments should reserve: a Python function binds its
    /// arguments in place as its locals (`call_function`), a bound method
    /// prepends `self`. Only a capacity: no effect on what runs or traces.
    pub fn call_capacity(&self, callee: GcRef, n: usize) -> usize {
        let (func, extra) = match callee.tid() {
            tid::FUNC => (callee, 0),
            tid::METHOD => (getr(callee, &method_obj::func), 1),
            _ => return n + 1,
        };
        if func.tid() != tid::FUNC {
            return n + 1 + extra;
        }
        let cid = geti(func, &func_obj::code) as usize;
        let nlocals = self.codes.get(cid).map_or(0, |c| c.nlocals);
        nlocals.max(n + extra)
    }

    pub fn call_function<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        func: C::Ref,
        args: Vec<C::Ref>,
        kwnames: &[String],
        kwvals: Vec<C::Ref>,
    ) -> Res<C, C::Ref> {
        let cid = ctx.getfield_i(func, &func_obj::code);
        let cid = ctx.promote_int(cid) as usize;
        let code = self.code(cid);
        let null = ctx.const_ref(GcRef::NULL);
        let npos = code.argcount;
        let fname = &code.name;
        let nargs = args.len();
        if nargs > npos && !code.has_varargs {
            let given = nargs;
            return Err(self.exc(
                ctx,
                ExcKind::TypeError,
                &format!(
                    "{fname}() takes {npos} positional argument{} but {given} {} given",
                    if npos == 1 { "" } else { "s" },
                    if given == 1 { "was" } else { "were" }
                ),
            ));
        }
        // The arguments become the first locals in place (the caller
        // reserved room for all of them, see `call_capacity`).
        let mut locals = args;
        let extra: Vec<C::Ref> = if nargs > npos {
            locals.split_off(npos)
        } else {
            Vec::new()
        };
        locals.resize(code.nlocals, null);
        let nkw = npos + code.kwonlycount;
        let mut kw_extra_names = Vec::new();
        let mut kw_extra_vals = Vec::new();
        for (n, v) in kwnames.iter().zip(kwvals) {
            match code.local_names[..nkw].iter().position(|x| x == n) {
                Some(i) => {
                    if i < nargs.min(npos) {
                        return Err(self.exc(
                            ctx,
                            ExcKind::TypeError,
                            &format!("{fname}() got multiple values for argument '{n}'"),
                        ));
                    }
                    locals[i] = v;
                }
                None if code.has_varkw => {
                    kw_extra_names.push(ctx.const_ref(intern(n)));
                    kw_extra_vals.push(v);
                }
                None => {
                    return Err(self.exc(
                        ctx,
                        ExcKind::TypeError,
                        &format!("{fname}() got an unexpected keyword argument '{n}'"),
                    ))
                }
            }
        }
        // Defaults for missing positionals.
        let first_default = npos - code.ndefaults;
        let mut missing = Vec::new();
        for (i, slot) in locals.iter_mut().enumerate().take(npos) {
            if ctx.peek_ref(*slot).is_null() {
                if i >= first_default {
                    let defs = ctx.getfield_r(func, &func_obj::defaults);
                    let items = ctx.getfield_r(defs, &tuple_obj::items);
                    let k = ctx.const_int((i - first_default) as i64);
                    *slot = ctx.getarrayitem_r(items, &REF_ARRAY, k);
                } else {
                    missing.push(code.local_names[i].clone());
                }
            }
        }
        for (i, slot) in locals.iter_mut().enumerate().take(nkw).skip(npos) {
            if ctx.peek_ref(*slot).is_null() {
                let kd = ctx.getfield_r(func, &func_obj::kwdefaults);
                let n = ctx.const_ref(intern(&code.local_names[i]));
                let v = ctx.call(&KWDEFAULT, &[Val::Ref(kd), Val::Ref(n)]).gcref();
                if ctx.is_null(v) {
                    let n = &code.local_names[i];
                    return Err(self.exc(
                        ctx,
                        ExcKind::TypeError,
                        &format!("{fname}() missing 1 required keyword-only argument: '{n}'"),
                    ));
                }
                *slot = v;
            }
        }
        if !missing.is_empty() {
            let names: Vec<String> = missing.iter().map(|n| format!("'{n}'")).collect();
            let list = match names.len() {
                1 => names[0].clone(),
                2 => format!("{} and {}", names[0], names[1]),
                _ => format!(
                    "{}, and {}",
                    names[..names.len() - 1].join(", "),
                    names[names.len() - 1]
                ),
            };
            return Err(self.exc(
                ctx,
                ExcKind::TypeError,
                &format!(
                    "{fname}() missing {} required positional argument{}: {list}",
                    missing.len(),
                    if missing.len() == 1 { "" } else { "s" }
                ),
            ));
        }
        let mut slot = nkw;
        if code.has_varargs {
            locals[slot] = self.new_tuple(ctx, &extra);
            slot += 1;
        }
        if code.has_varkw {
            let nt = self.new_tuple(ctx, &kw_extra_names);
            let vt = self.new_tuple(ctx, &kw_extra_vals);
            locals[slot] = ctx.call(&KWDICT, &[Val::Ref(nt), Val::Ref(vt)]).gcref();
        }
        for &s in &code.cell_slots {
            let c = ctx.new(&cell_obj::SIZE);
            ctx.setfield_r(c, &cell_obj::value, locals[s as usize]);
            locals[s as usize] = c;
        }
        if !code.free_slots.is_empty() {
            let clo = ctx.getfield_r(func, &func_obj::closure);
            let items = ctx.getfield_r(clo, &tuple_obj::items);
            for (i, &s) in code.free_slots.iter().enumerate() {
                let k = ctx.const_int(i as i64);
                locals[s as usize] = ctx.getarrayitem_r(items, &REF_ARRAY, k);
            }
        }
        if code.is_generator {
            let g = ctx.new(&gen_obj::SIZE);
            ctx.setfield_r(g, &gen_obj::func, func);
            let lt = self.new_tuple(ctx, &locals);
            ctx.setfield_r(g, &gen_obj::locals, lt);
            return Ok(g);
        }
        let depth = self.enter_call(ctx)?;
        heap::gc::no_collect_exit(); // the callee's steps may collect
        let r = ctx.call_portal(
            self,
            (cid, 0),
            Frame {
                func,
                locals,
                stack: Vec::with_capacity(code.max_depth),
            },
        );
        heap::gc::no_collect_enter();
        self.leave_call(ctx, depth);
        match r {
            Ret::Value(v) => Ok(v),
            Ret::Raise(e) => Err(Thrown { exc: e, tb: true }),
            Ret::Yield(v) => Ok(v),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn call_builtin<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        id: i64,
        slf: C::Ref,
        args: Vec<C::Ref>,
        kwnames: &[String],
        kwvals: Vec<C::Ref>,
        frame: Option<&Frame<C::R>>,
    ) -> Res<C, C::Ref> {
        let bi = Builtin::from_id(id);
        let name = builtins::name_of(id);
        let _ = frame;
        // Fast paths and builtins that need the interpreter.
        match (bi, args.len(), kwnames.len()) {
            (Some(Builtin::Len), 1, 0) => {
                let o = args[0];
                match ctx.class_of(o) {
                    tid::LIST => {
                        let n = ctx.getfield_i(o, &list_obj::len);
                        return Ok(self.box_int(ctx, n));
                    }
                    tid::INST => {
                        return match self.call_dunder(ctx, o, "__len__", &[])? {
                            Some(v) => Ok(v),
                            None => {
                                let oc = ctx.peek_ref(o);
                                Err(self.exc(
                                    ctx,
                                    ExcKind::TypeError,
                                    &format!("object of type '{}' has no len()", types::tname(oc)),
                                ))
                            }
                        }
                    }
                    _ => {}
                }
            }
            (Some(Builtin::DictGet), 1 | 2, 0)
                if !ctx.peek_ref(slf).is_null() && ctx.class_of(slf) == tid::DICT =>
            {
                let dflt = match args.get(1) {
                    Some(d) => *d,
                    None => self.none_c(ctx),
                };
                let call = [Val::Ref(slf), Val::Ref(args[0]), Val::Ref(dflt)];
                if let Some(v) = self.call_keyed(ctx, args[0], &dict::DICT_GET, &call)? {
                    return Ok(v);
                }
            }
            (Some(Builtin::ListAppend), 1, 0)
                if !ctx.peek_ref(slf).is_null() && ctx.class_of(slf) == tid::LIST =>
            {
                self.list_append(ctx, slf, args[0]);
                return Ok(self.none_c(ctx));
            }
            (Some(Builtin::Import), 1, 0) => {
                if ctx.class_of(args[0]) != tid::STR {
                    return Err(self.exc(
                        ctx,
                        ExcKind::TypeError,
                        "__import__() argument 1 must be str",
                    ));
                }
                let name = str_of(ctx.promote_ref(args[0]));
                return self.import(ctx, &name, 0, false, 0);
            }
            (Some(Builtin::Isinstance), 2, 0) => {
                let o = args[0];
                let t = args[1];
                if ctx.class_of(t) == tid::TYPE {
                    let tc = ctx.promote_ref(t);
                    let oc = ctx.class_of(o);
                    let cls = if oc == tid::INST {
                        let c = ctx.getfield_r(o, &inst_obj::cls);
                        ctx.promote_ref(c)
                    } else if oc == tid::TYPE {
                        // A class's own class depends on the class
                        // (`abc.ABCMeta` or `type`), not only on its tid.
                        let p = ctx.promote_ref(o);
                        types::type_of(p)
                    } else {
                        types::type_of(ctx.peek_ref(o))
                    };
                    return Ok(self.bool_c(ctx, types::is_subclass(cls, tc)));
                }
            }
            (Some(Builtin::Next), n, 0) if n >= 1 => {
                if matches!(ctx.class_of(args[0]), tid::GEN | tid::INST) {
                    return match self.for_iter(ctx, args[0])? {
                        Some(v) => Ok(v),
                        None if n == 2 => Ok(args[1]),
                        None => {
                            let cls = ctx.const_ref(rt().exc(ExcKind::StopIteration));
                            let e = self.call_value(ctx, cls, vec![], &[], vec![], None)?;
                            Err(Thrown { exc: e, tb: true })
                        }
                    };
                }
            }
            (Some(Builtin::Iter), 1, 0) => return self.get_iter(ctx, args[0]),
            (Some(Builtin::Str), 1, 0) => return self.to_str(ctx, args[0], false),
            (Some(Builtin::Repr), 1, 0) => return self.to_str(ctx, args[0], true),
            (Some(Builtin::Super), 2, 0) => {
                let code = ctx.peek_ref(args[0]);
                if code.tid() == tid::INT && geti(code, &int_obj::v) == -1 {
                    // Zero-argument form: the compiler passed -1; find the
                    // method's code id from the caller's frame greens.
                    let cid = self.current_code.unwrap_or(0) as i64;
                    let c = ctx.const_int(cid);
                    let r = ctx
                        .call(&MAKE_SUPER, &[Val::Int(c), Val::Ref(args[1])])
                        .gcref();
                    return self.checked(ctx, r);
                }
                let s = ctx.new(&super_obj::SIZE);
                ctx.setfield_r(s, &super_obj::cls, args[0]);
                ctx.setfield_r(s, &super_obj::slf, args[1]);
                return Ok(s);
            }
            (Some(Builtin::Setattr), 3, 0) if ctx.class_of(args[1]) == tid::STR => {
                // The name decides which attribute the trace reads: it is
                // promoted (a guard on the str), never just peeked, or a
                // computed name would be baked in.
                let n = ctx.promote_ref(args[1]);
                let n = intern(&str_of(n));
                self.setattr(ctx, args[0], n, args[2])?;
                return Ok(self.none_c(ctx));
            }
            (Some(Builtin::Getattr), 2 | 3, 0) | (Some(Builtin::Hasattr), 2, 0)
                if ctx.class_of(args[1]) == tid::STR =>
            {
                // Promoted, as in `setattr`.
                let n = ctx.promote_ref(args[1]);
                let n = intern(&str_of(n));
                return match self.getattr(ctx, args[0], n) {
                    Ok(v) => Ok(if bi == Some(Builtin::Hasattr) {
                        self.bool_c(ctx, true)
                    } else {
                        v
                    }),
                    Err(t) => {
                        let e = ctx.peek_ref(t.exc);
                        if types::isinstance(e, rt().exc(ExcKind::AttributeError)) {
                            if bi == Some(Builtin::Hasattr) {
                                Ok(self.bool_c(ctx, false))
                            } else if args.len() == 3 {
                                Ok(args[2])
                            } else {
                                Err(t)
                            }
                        } else {
                            Err(t)
                        }
                    }
                };
            }
            _ => {}
        }
        let t = self.new_tuple(ctx, &args);
        let kw = if kwnames.is_empty() {
            ctx.const_ref(GcRef::NULL)
        } else {
            let names: Vec<C::Ref> = kwnames.iter().map(|n| ctx.const_ref(intern(n))).collect();
            let nt = self.new_tuple(ctx, &names);
            let vt = self.new_tuple(ctx, &kwvals);
            ctx.call(&KWDICT, &[Val::Ref(nt), Val::Ref(vt)]).gcref()
        };
        let idc = ctx.const_int(id);
        let call = [Val::Int(idc), Val::Ref(slf), Val::Ref(t), Val::Ref(kw)];
        if let Some(v) = self.call_maybe_guest(ctx, &builtins::CALL_BUILTIN, &call)? {
            return Ok(v);
        }
        // Needs guest code: the prelude's Python version.
        let short = name.replace('.', "_");
        let mut a = Vec::new();
        if !ctx.peek_ref(slf).is_null() {
            a.push(slf);
        }
        a.extend(args);
        self.call_prelude_kw(ctx, &format!("_slow_{short}"), a, kwnames, kwvals)
    }

    fn instantiate<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        cls: GcRef,
        args: Vec<C::Ref>,
        kwnames: &[String],
        kwvals: Vec<C::Ref>,
        frame: Option<&Frame<C::R>>,
    ) -> Res<C, C::Ref> {
        let t = geti(cls, &type_obj::tag);
        if t != tag::USER && t != tag::EXC && t != tag::OBJECT {
            let name = types::type_name(cls);
            let Some(b) = Builtin::by_name(&name) else {
                return Err(self.exc(
                    ctx,
                    ExcKind::TypeError,
                    &format!("cannot create '{name}' instances"),
                ));
            };
            let id = b.id();
            let null = ctx.const_ref(GcRef::NULL);
            return self.call_builtin(ctx, id, null, args, kwnames, kwvals, frame);
        }
        // `cls` is a constant of the trace: these checks cost nothing there.
        // In direct mode they run on every instantiation: first ask the
        // cached class lookup whether the names they test exist at all.
        let abstract_ = types::class_lookup_cached(cls, interned!("__abstractmethods__"));
        if !abstract_.is_null() {
            if let Some(msg) = crate::modules::abstract_error(cls) {
                return Err(self.exc(ctx, ExcKind::TypeError, &msg));
            }
        }
        let enum_ = !types::class_lookup_cached(cls, interned!("__enum__")).is_null();
        if enum_ && crate::enums::is_enum_class(cls) && args.len() == 1 && kwnames.is_empty() {
            let c = ctx.const_ref(cls);
            let r = ctx
                .call(
                    &crate::enums::ENUM_LOOKUP,
                    &[Val::Ref(c), Val::Ref(args[0])],
                )
                .gcref();
            return self.checked(ctx, r);
        }
        let (btag, is_exc) = types::class_kind_cached(cls);
        if btag != tag::OBJECT && btag != tag::EXC {
            return Err(self.exc(
                ctx,
                ExcKind::TypeError,
                "subclassing builtin types other than object and exceptions is not supported",
            ));
        }
        let o = ctx.new(&inst_obj::SIZE);
        let c = ctx.const_ref(cls);
        ctx.setfield_r(o, &inst_obj::cls, c);
        let m = ctx.const_ref(getr(cls, &type_obj::root_map));
        ctx.setfield_r(o, &inst_obj::map, m);
        if is_exc {
            let a = self.new_tuple(ctx, &args);
            ctx.call(&SET_EXC_ARGS, &[Val::Ref(o), Val::Ref(a)]);
        }
        let init = self.class_attr(ctx, cls, interned!("__init__"));
        if !ctx.is_null(init) && ctx.class_of(init) == tid::FUNC {
            let mut a = Vec::with_capacity(self.call_capacity(ctx.peek_ref(init), args.len() + 1));
            a.push(o);
            a.extend(args);
            let r = self.call_function(ctx, init, a, kwnames, kwvals)?;
            if ctx.class_of(r) != tid::NONE {
                return Err(self.exc(ctx, ExcKind::TypeError, "__init__() should return None"));
            }
        } else if !is_exc && (!args.is_empty() || !kwnames.is_empty()) {
            return Err(self.exc(
                ctx,
                ExcKind::TypeError,
                &format!("{}() takes no arguments", types::type_name(cls)),
            ));
        }
        Ok(o)
    }

    /// `f(*args, **kwargs)`.
    pub fn call_ex<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        callee: C::Ref,
        args: C::Ref,
        kw: C::Ref,
    ) -> Res<C, C::Ref> {
        let l = self.to_list(ctx, args)?;
        let n = ctx.getfield_i(l, &list_obj::len);
        let n = ctx.promote_int(n);
        let items = ctx.getfield_r(l, &list_obj::items);
        let mut a = Vec::with_capacity(n as usize);
        for i in 0..n {
            let k = ctx.const_int(i);
            a.push(ctx.getarrayitem_r(items, &REF_ARRAY, k));
        }
        let mut names = Vec::new();
        let mut vals = Vec::new();
        if ctx.class_of(kw) == tid::DICT {
            // Keyword names become green: the dict's key sequence is
            // promoted as a shape id (a trace made for `{'a': ..}` must not
            // run for `{'a': .., 'b': ..}`).
            let sid = ctx.call(&KW_SHAPE, &[Val::Ref(kw)]).int();
            let sid = ctx.promote_int(sid);
            if sid < 0 {
                return Err(self.exc(ctx, ExcKind::TypeError, "keywords must be strings"));
            }
            names = kw_shape_names(sid);
            let keys: Vec<GcRef> = names.iter().map(|n| intern(n)).collect();
            for k in keys {
                let kc = ctx.const_ref(k);
                let r = ctx
                    .call(&crate::ops::GETITEM, &[Val::Ref(kw), Val::Ref(kc)])
                    .gcref();
                vals.push(self.checked(ctx, r)?);
            }
        }
        self.call_value(ctx, callee, a, &names, vals, None)
    }

    /// `o.name`.
    pub fn getattr<C: Jit<Self>>(&mut self, ctx: &mut C, o: C::Ref, name: GcRef) -> Res<C, C::Ref> {
        match ctx.class_of(o) {
            tid::INST => {
                let map = ctx.getfield_r(o, &inst_obj::map);
                let mapc = ctx.promote_ref(map);
                let cls = getr(mapc, &map_obj::cls);
                let ca = self.class_attr(ctx, cls, name);
                let is_prop = !ctx.is_null(ca)
                    && ctx.class_of(ca) == tid::WRAP
                    && geti(ctx.peek_ref(ca), &wrap_obj::kind) == 2;
                if is_prop {
                    let fget = ctx.getfield_r(ca, &wrap_obj::a);
                    return self.call_value(ctx, fget, vec![o], &[], vec![], None);
                }
                let m = ctx.const_ref(mapc);
                let n = ctx.const_ref(name);
                let slot = ctx.call(&MAP_SLOT, &[Val::Ref(m), Val::Ref(n)]).int();
                let slot = ctx.promote_int(slot);
                if slot >= 0 {
                    let v = Self::slot_read(ctx, o, slot as usize);
                    if !ctx.is_null(v) {
                        return Ok(v);
                    }
                }
                if !ctx.is_null(ca) {
                    return Ok(match ctx.class_of(ca) {
                        tid::FUNC => {
                            let bm = ctx.new(&method_obj::SIZE);
                            ctx.setfield_r(bm, &method_obj::func, ca);
                            ctx.setfield_r(bm, &method_obj::slf, o);
                            bm
                        }
                        tid::WRAP => {
                            let f = ctx.getfield_r(ca, &wrap_obj::a);
                            if geti(ctx.peek_ref(ca), &wrap_obj::kind) == 1 {
                                let bm = ctx.new(&method_obj::SIZE);
                                ctx.setfield_r(bm, &method_obj::func, f);
                                let c = ctx.const_ref(cls);
                                ctx.setfield_r(bm, &method_obj::slf, c);
                                bm
                            } else {
                                f
                            }
                        }
                        tid::BUILTIN => {
                            let id = ctx.getfield_i(ca, &builtin_obj::id);
                            let b = ctx.new(&builtin_obj::SIZE);
                            ctx.setfield_i(b, &builtin_obj::id, id);
                            ctx.setfield_r(b, &builtin_obj::slf, o);
                            b
                        }
                        _ => ca,
                    });
                }
                let ga = self.class_attr(ctx, cls, intern("__getattr__"));
                if !ctx.is_null(ga) {
                    let n = ctx.const_ref(name);
                    return self.call_value(ctx, ga, vec![o, n], &[], vec![], None);
                }
                let n = ctx.const_ref(name);
                let r = ctx
                    .call(&builtins::GETATTR, &[Val::Ref(o), Val::Ref(n)])
                    .gcref();
                self.checked(ctx, r)
            }
            tid::SUPER => {
                let n = ctx.const_ref(name);
                let r = ctx.call(&SUPER_LOOKUP, &[Val::Ref(o), Val::Ref(n)]).gcref();
                self.checked(ctx, r)
            }
            tid::TYPE => {
                let oc = ctx.promote_ref(o);
                let v = self.class_attr(ctx, oc, name);
                if !ctx.is_null(v) && ctx.class_of(v) != tid::WRAP {
                    return Ok(v);
                }
                let n = ctx.const_ref(name);
                let r = ctx
                    .call(&builtins::GETATTR, &[Val::Ref(o), Val::Ref(n)])
                    .gcref();
                self.checked(ctx, r)
            }
            t @ (tid::LIST | tid::DICT | tid::STR | tid::SET | tid::TUPLE)
                if builtins::method_id_interned(t, name).is_some() =>
            {
                if t == tid::SET && crate::sets::is_mutator(&str_of(name)) {
                    // A frozenset has no mutating methods: its flag is
                    // guarded and the generic lookup raises.
                    let f = ctx.getfield_i(o, &set_obj::frozen);
                    let zero = ctx.const_int(0);
                    let frozen = ctx.int_ne(f, zero);
                    if ctx.is_true(frozen) {
                        let n = ctx.const_ref(name);
                        let r = ctx
                            .call(&builtins::GETATTR, &[Val::Ref(o), Val::Ref(n)])
                            .gcref();
                        return self.checked(ctx, r);
                    }
                }
                // The class is guarded and the name constant: the method id
                // folds at trace time and the bound builtin can stay virtual.
                let id = builtins::method_id_interned(t, name).unwrap_or(-1);
                let b = ctx.new(&builtin_obj::SIZE);
                let idc = ctx.const_int(id);
                ctx.setfield_i(b, &builtin_obj::id, idc);
                ctx.setfield_r(b, &builtin_obj::slf, o);
                Ok(b)
            }
            _ => {
                let n = ctx.const_ref(name);
                let r = ctx
                    .call(&builtins::GETATTR, &[Val::Ref(o), Val::Ref(n)])
                    .gcref();
                match self.check(ctx, r)? {
                    Some(v) => Ok(v),
                    None => Err(self.exc(ctx, ExcKind::AttributeError, "attribute lookup failed")),
                }
            }
        }
    }

    /// `o.name = v`.
    pub fn setattr<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        name: GcRef,
        v: C::Ref,
    ) -> Res<C, ()> {
        match ctx.class_of(o) {
            tid::INST => {
                let map = ctx.getfield_r(o, &inst_obj::map);
                let mapc = ctx.promote_ref(map);
                let cls = getr(mapc, &map_obj::cls);
                let ca = self.class_attr(ctx, cls, name);
                if !ctx.is_null(ca)
                    && ctx.class_of(ca) == tid::WRAP
                    && geti(ctx.peek_ref(ca), &wrap_obj::kind) == 2
                {
                    let fset = ctx.getfield_r(ca, &wrap_obj::b);
                    if ctx.class_of(fset) == tid::NONE {
                        return Err(self.exc(ctx, ExcKind::AttributeError, "can't set attribute"));
                    }
                    self.call_value(ctx, fset, vec![o, v], &[], vec![], None)?;
                    return Ok(());
                }
                let m = ctx.const_ref(mapc);
                let n = ctx.const_ref(name);
                let slot = ctx.call(&MAP_SLOT, &[Val::Ref(m), Val::Ref(n)]).int();
                let slot = ctx.promote_int(slot);
                if slot >= 0 {
                    Self::slot_write(ctx, o, slot as usize, v);
                    return Ok(());
                }
                let nm = ctx.call(&MAP_ADD, &[Val::Ref(m), Val::Ref(n)]).gcref();
                let nmc = ctx.promote_ref(nm);
                let slot = types::map_slot_interned(nmc, name) as usize;
                if slot >= INLINE_SLOTS {
                    // Room in the overflow array (null until the first).
                    let slots = ctx.getfield_r(o, &inst_obj::slots);
                    let need = ctx.const_int((slot + 1) as i64);
                    let small = ctx.is_null(slots) || {
                        let len = ctx.arraylen(slots, &REF_ARRAY);
                        let room = ctx.const_int((slot - INLINE_SLOTS + 1) as i64);
                        let lt = ctx.int_lt(len, room);
                        ctx.is_true(lt)
                    };
                    if small {
                        ctx.call(&GROW_SLOTS, &[Val::Ref(o), Val::Int(need)]);
                    }
                }
                let nmr = ctx.const_ref(nmc);
                ctx.setfield_r(o, &inst_obj::map, nmr);
                Self::slot_write(ctx, o, slot, v);
                Ok(())
            }
            tid::TYPE => {
                let n = ctx.const_ref(name);
                ctx.call(&CLASS_SETATTR, &[Val::Ref(o), Val::Ref(n), Val::Ref(v)]);
                ctx.call_may_force(self, &crate::guestcall::BUMP_VERSIONS, &[Val::Ref(o)]);
                Ok(())
            }
            tid::FUNC => {
                let n = ctx.const_ref(name);
                ctx.call(&FUNC_SETATTR, &[Val::Ref(o), Val::Ref(n), Val::Ref(v)]);
                Ok(())
            }
            tid::MODULE => {
                let n = ctx.const_ref(name);
                ctx.call(&MODULE_SETATTR, &[Val::Ref(o), Val::Ref(n), Val::Ref(v)]);
                Ok(())
            }
            _ => {
                let oc = ctx.peek_ref(o);
                Err(self.exc(
                    ctx,
                    ExcKind::AttributeError,
                    &format!(
                        "'{}' object has no attribute '{}'",
                        types::tname(oc),
                        str_of(name)
                    ),
                ))
            }
        }
    }

    /// Runs a class body and creates the class.
    pub fn build_class<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        body: C::Ref,
        bases: C::Ref,
        name: GcRef,
        meta: Option<C::Ref>,
    ) -> Res<C, C::Ref> {
        // Everything that depends on the bases, the metaclass or the
        // namespace happens in residual calls: a class statement inside a
        // hot function makes a new class (and namespace) every time, so
        // none of them may become a trace constant.
        let nullr = ctx.const_ref(GcRef::NULL);
        let meta = meta.unwrap_or(nullr);
        let nm = ctx.const_ref(name);
        let args = [Val::Ref(nm), Val::Ref(bases), Val::Ref(meta)];
        let r = ctx.call(&CLASS_CHECK, &args).gcref();
        self.check(ctx, r)?;
        let nsr = ctx.call(&CLASS_NS, &[]).gcref();
        self.call_function(ctx, body, vec![nsr], &[], vec![])?;
        let args = [Val::Ref(nm), Val::Ref(bases), Val::Ref(nsr), Val::Ref(meta)];
        let r = ctx.call(&MAKE_CLASS, &args).gcref();
        match self.check(ctx, r)? {
            Some(c) => Ok(c),
            None => Err(self.exc(ctx, ExcKind::TypeError, "class creation failed")),
        }
    }
}

/// The checks a class statement makes before its body runs: the
/// metaclass, the bases, enum extension. `None`, or null with the
/// exception pending.
extern "C" fn mp_class_check(name: GcRef, bases: GcRef, meta: GcRef) -> GcRef {
    crate::ops::deliver(class_check(name, bases, meta).map(|_| none()))
}
metatrace::residual!(
    /// A class statement's checks before its body runs.
    pub static CLASS_CHECK = fn mp_class_check(name: GcRef, bases: GcRef, meta: GcRef) -> GcRef, crate::ops::RAISES
);
extern "C" fn mp_class_ns() -> GcRef {
    dict::new_dict()
}
metatrace::residual!(
    /// A fresh class-body namespace.
    pub static CLASS_NS = fn mp_class_ns() -> GcRef, metatrace::ir::EffectInfo::RESIDUAL
);
extern "C" fn mp_make_class(name: GcRef, bases: GcRef, ns: GcRef, meta: GcRef) -> GcRef {
    crate::ops::deliver(make_class(name, bases, ns, meta))
}
metatrace::residual!(
    /// The class object from its name, bases tuple, namespace, metaclass.
    pub static MAKE_CLASS = fn mp_make_class(name: GcRef, bases: GcRef, ns: GcRef, meta: GcRef) -> GcRef, crate::ops::RAISES
);

/// `metaclass=`: `type` changes nothing, `abc.ABCMeta` makes an abstract
/// base class like deriving from `abc.ABC`; minipy cannot run any other
/// metaclass, and says so rather than ignore it. Returns "is ABCMeta".
fn check_meta(name: GcRef, meta: GcRef) -> types::PyResult<bool> {
    if meta.is_null() || meta == rt().ty(tag::TYPE) {
        return Ok(false);
    }
    if Some(meta) == crate::modules::abc_meta() {
        return Ok(true);
    }
    let what = if meta.tid() == tid::TYPE {
        format!("'{}'", types::type_name(meta))
    } else {
        format!("of type '{}'", types::tname(meta))
    };
    let msg = format!(
        "minipy does not support metaclass {what} (class {}): only type and abc.ABCMeta",
        str_of(name)
    );
    Err(types::exc_new(ExcKind::TypeError, &msg))
}

fn class_bases(bases: GcRef) -> Vec<GcRef> {
    let bl = tuple_items(bases);
    if bl.is_empty() {
        vec![rt().ty(tag::OBJECT)]
    } else {
        bl
    }
}

fn class_check(name: GcRef, bases: GcRef, meta: GcRef) -> types::PyResult<()> {
    check_meta(name, meta)?;
    let bases = class_bases(bases);
    if bases.iter().any(|b| b.tid() != tid::TYPE) {
        return Err(types::exc_new(ExcKind::TypeError, "bases must be types"));
    }
    for (i, b) in bases.iter().enumerate() {
        if bases[..i].contains(b) {
            let msg = format!("duplicate base class {}", types::type_name(*b));
            return Err(types::exc_new(ExcKind::TypeError, &msg));
        }
    }
    crate::enums::check_extend(name, &bases)
}

fn make_class(name: GcRef, bases: GcRef, ns: GcRef, meta: GcRef) -> types::PyResult<GcRef> {
    if check_meta(name, meta)? {
        crate::modules::mark_abc(ns);
    }
    let bases = class_bases(bases);
    let c = types::new_class(name, &bases, ns)?;
    crate::modules::record_abstract(c);
    crate::enums::make_members(c)?;
    // A new class changes no existing class's lookups: nothing to bump.
    Ok(c)
}
