//! The traced fast paths: what the interpreter does inline instead of a
//! residual call, so that traces see plain operations — Integer/Float
//! binary operators (`int_add_ovf` & co., overflow into big ints through a
//! residual), `Array#[]` with an Integer index, instance variables read
//! and written through maps (a promoted map id and a slot), `Array.new(n
//! [, fill])`, and the builtins inlined in `builtin_fast_path`
//! (`Class#new` of plain classes, `Integer#succ`/`pred`, Range readers,
//! String equality, length and indexing).
//!
//! May touch: the frame's operands through the context (`Ctx`), object
//! fields and maps; a fast path that does not apply answers `None` and
//! the generic send runs.

use super::*;

impl Vm {
    /// The traced fast paths of binary operators on Integer and Float.
    pub(super) fn binop<C: Ctx>(
        &self,
        ctx: &mut C,
        name: &str,
        a: C::Ref,
        b: C::Ref,
    ) -> Option<C::Ref> {
        use metatrace::ir::OpNum;
        let ta = ctx.class_of(a);
        if ta != tid::INT && ta != tid::FLOAT {
            return None;
        }
        let tb = ctx.class_of(b);
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let cmp = match name {
                "<" => Some(OpNum::IntLt),
                "<=" => Some(OpNum::IntLe),
                ">" => Some(OpNum::IntGt),
                ">=" => Some(OpNum::IntGe),
                "==" => Some(OpNum::IntEq),
                "!=" => Some(OpNum::IntNe),
                _ => None,
            };
            if let Some(op) = cmp {
                let r = ctx.int_binop(op, x, y);
                return Some(self.boolean(ctx, r));
            }
            let r = match name {
                "+" => ctx.int_add_ovf(x, y),
                "-" => ctx.int_sub_ovf(x, y),
                "*" => ctx.int_mul_ovf(x, y),
                "&" => Some(ctx.int_and(x, y)),
                "|" => Some(ctx.int_binop(OpNum::IntOr, x, y)),
                "^" => Some(ctx.int_binop(OpNum::IntXor, x, y)),
                // Ruby floors; the machine truncates. They agree when
                // neither operand is negative, the case traced inline
                // (the residual call handles the rest, and zero).
                "/" | "%" => {
                    let zero = ctx.const_int(0);
                    let pos = ctx.int_gt(y, zero);
                    let nonneg = ctx.int_ge(x, zero);
                    if !(ctx.is_true(pos) && ctx.is_true(nonneg)) {
                        return None;
                    }
                    let op = if name == "/" {
                        OpNum::IntFloorDiv
                    } else {
                        OpNum::IntMod
                    };
                    Some(ctx.int_binop(op, x, y))
                }
                // The machine masks shift counts; Ruby does not.
                ">>" => {
                    let zero = ctx.const_int(0);
                    let max = ctx.const_int(63);
                    let ok = ctx.int_ge(y, zero);
                    let ok2 = ctx.int_le(y, max);
                    if !(ctx.is_true(ok) && ctx.is_true(ok2)) {
                        return None;
                    }
                    Some(ctx.int_binop(OpNum::IntRshift, x, y))
                }
                _ => return None,
            };
            return r.map(|v| Self::box_int(ctx, v));
        }
        let fx = |ctx: &mut C, t: u32, v: C::Ref| -> Option<C::Float> {
            match t {
                tid::FLOAT => Some(ctx.getfield_f(v, &float_obj::v)),
                tid::INT => {
                    let i = ctx.getfield_i(v, &int_obj::v);
                    Some(ctx.cast_int_to_float(i))
                }
                _ => None,
            }
        };
        if ta == tid::FLOAT || tb == tid::FLOAT {
            let x = fx(ctx, ta, a)?;
            let y = fx(ctx, tb, b)?;
            let cmp = |s: &Self, ctx: &mut C, op: OpNum| {
                let r = ctx.float_cmp(op, x, y);
                Some(s.boolean(ctx, r))
            };
            let r = match name {
                "+" => ctx.float_add(x, y),
                "-" => ctx.float_sub(x, y),
                "*" => ctx.float_mul(x, y),
                "/" => ctx.float_truediv(x, y),
                "<" => return cmp(self, ctx, OpNum::FloatLt),
                "<=" => return cmp(self, ctx, OpNum::FloatLe),
                ">" => return cmp(self, ctx, OpNum::FloatGt),
                ">=" => return cmp(self, ctx, OpNum::FloatGe),
                "==" => return cmp(self, ctx, OpNum::FloatEq),
                "!=" => return cmp(self, ctx, OpNum::FloatNe),
                _ => return None,
            };
            return Some(Self::box_float(ctx, r));
        }
        None
    }

    /// `Array#[]` / `Array#[]=` with an Integer index in range, traced.
    pub(super) fn array_index<C: Ctx>(
        ctx: &mut C,
        a: C::Ref,
        i: C::Ref,
        set: Option<C::Ref>,
    ) -> Option<C::Ref> {
        if ctx.class_of(i) != tid::INT {
            return None;
        }
        let k = ctx.getfield_i(i, &int_obj::v);
        let len = ctx.getfield_i(a, &arr_obj::len);
        let zero = ctx.const_int(0);
        let ge = ctx.int_ge(k, zero);
        if !ctx.is_true(ge) {
            return None;
        }
        let lt = ctx.int_lt(k, len);
        if !ctx.is_true(lt) {
            return None;
        }
        if let Some(v) = set {
            let fr = ctx.getfield_i(a, &arr_obj::frozen);
            if ctx.is_true(fr) {
                return None;
            }
            let items = ctx.getfield_r(a, &arr_obj::items);
            ctx.setarrayitem_r(items, &REF_ARRAY, k, v);
            return Some(v);
        }
        let items = ctx.getfield_r(a, &arr_obj::items);
        Some(ctx.getarrayitem_r(items, &REF_ARRAY, k))
    }

    pub(super) fn ivar_get<C: Ctx>(&mut self, ctx: &mut C, o: C::Ref, sym: usize) -> C::Ref {
        if ctx.class_of(o) == tid::OBJ {
            let m = ctx.getfield_i(o, &obj_obj::map);
            let m = ctx.promote_int(m) as usize;
            return match objects::map_index(m, sym) {
                Some(i) => {
                    let slots = ctx.getfield_r(o, &obj_obj::slots);
                    let k = ctx.const_int(i as i64);
                    ctx.getarrayitem_r(slots, &REF_ARRAY, k)
                }
                None => ctx.const_ref(self.nil),
            };
        }
        let s = ctx.const_int(sym as i64);
        ctx.call(&IVAR_GET, &[Val::Ref(o), Val::Int(s)]).gcref()
    }

    pub(super) fn ivar_set<C: Ctx>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        sym: usize,
        v: C::Ref,
    ) -> Result<(), C::Ref> {
        if ctx.class_of(o) == tid::OBJ {
            let fr = ctx.getfield_i(o, &obj_obj::frozen);
            if !ctx.is_true(fr) {
                let m = ctx.getfield_i(o, &obj_obj::map);
                let m = ctx.promote_int(m) as usize;
                let (i, newmap) = match objects::map_index(m, sym) {
                    Some(i) => (i, None),
                    None => {
                        let n = objects::map_add(m, sym);
                        (objects::map_index(n, sym).expect("added"), Some(n))
                    }
                };
                let slots = ctx.getfield_r(o, &obj_obj::slots);
                let len = ctx.arraylen(slots, &REF_ARRAY);
                let k = ctx.const_int(i as i64);
                let ok = ctx.int_lt(k, len);
                if ctx.is_true(ok) {
                    ctx.setarrayitem_r(slots, &REF_ARRAY, k, v);
                    if let Some(n) = newmap {
                        let n = ctx.const_int(n as i64);
                        ctx.setfield_i(o, &obj_obj::map, n);
                    }
                    return Ok(());
                }
            }
        }
        let s = ctx.const_int(sym as i64);
        let r = ctx
            .call(&IVAR_SET, &[Val::Ref(o), Val::Int(s), Val::Ref(v)])
            .gcref();
        Self::checked(ctx, r).map(|_| ())
    }

    /// `Array.new(n)` / `Array.new(n, fill)` with an Integer `n >= 0` and
    /// no block: one allocating helper call instead of the generic send
    /// (the Array-building benchmarks, Storage and Queens, make arrays in
    /// their inner loops). `None`: the generic path (a block, an Array
    /// argument, a negative size and its ArgumentError).
    pub(super) fn array_new_fast<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        args: &[C::Ref],
        blk: C::Ref,
        kw: bool,
    ) -> Option<C::Ref> {
        if kw || args.is_empty() || args.len() > 2 || ctx.class_of(blk) == tid::PROC {
            return None;
        }
        if ctx.class_of(args[0]) != tid::INT {
            return None;
        }
        let n = ctx.getfield_i(args[0], &int_obj::v);
        let zero = ctx.const_int(0);
        let ok = ctx.int_ge(n, zero);
        if !ctx.is_true(ok) {
            return None;
        }
        let fill = match args.get(1) {
            Some(f) => *f,
            None => ctx.const_ref(self.nil),
        };
        Some(
            ctx.call(&ARRAY_FILLED, &[Val::Int(n), Val::Ref(fill)])
                .gcref(),
        )
    }

    /// Builtins traced inline instead of through the generic residual send
    /// (which boxes the arguments into an Array and dispatches on the
    /// method's name): `Class#new` of plain classes (the allocation becomes
    /// visible to allocation removal and `initialize` is inlined),
    /// `Integer#succ`/`pred`, `Range#begin`/`end`/`exclude_end?`, and
    /// String equality, length and indexing through narrow helpers.
    /// `Ok(None)`: not handled here.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn builtin_fast_path<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        c: usize,
        name: &str,
        recv: C::Ref,
        args: &[C::Ref],
        blk: C::Ref,
        kw: bool,
    ) -> Result<Option<C::Ref>, C::Ref> {
        let t = ctx.class_of(recv);
        match (t, name, args.len()) {
            (tid::CLASS, "new", _) => {
                let k = ctx.getfield_i(recv, &class_obj::id);
                let k = ctx.promote_int(k) as usize;
                if k == cls::ARRAY && c == objects::meta_of(k) {
                    return Ok(self.array_new_fast(ctx, args, blk, kw));
                }
                if c != objects::meta_of(k) || !objects::plain_new(k) {
                    return Ok(None);
                }
                let init = objects::sym_id("initialize");
                let found = objects::lookup(k, init);
                if found.is_none() && !args.is_empty() {
                    // BasicObject#initialize takes no arguments.
                    return Err(self.arg_error(ctx, args.len(), "0"));
                }
                let o = ctx.new(&obj_obj::SIZE);
                let kc = ctx.const_int(k as i64);
                ctx.setfield_i(o, &obj_obj::cls, kc);
                let zero = ctx.const_int(0);
                ctx.setfield_i(o, &obj_obj::map, zero);
                ctx.setfield_i(o, &obj_obj::frozen, zero);
                let hint = objects::class_mut(k, |k| k.ivar_hint);
                let n = ctx.const_int(hint as i64);
                let slots = ctx.new_array(&REF_ARRAY, n);
                ctx.setfield_r(o, &obj_obj::slots, slots);
                if let Some((m, _, _)) = found {
                    self.invoke(ctx, m, o, init, args.to_vec(), blk, kw)?;
                }
                Ok(Some(o))
            }
            (tid::INT, "succ" | "pred", 0) => {
                let x = ctx.getfield_i(recv, &int_obj::v);
                let one = ctx.const_int(1);
                let r = if name == "succ" {
                    ctx.int_add_ovf(x, one)
                } else {
                    ctx.int_sub_ovf(x, one)
                };
                Ok(r.map(|v| Self::box_int(ctx, v)))
            }
            (tid::RANGE, "begin", 0) => Ok(Some(ctx.getfield_r(recv, &range_obj::lo))),
            (tid::RANGE, "end", 0) => Ok(Some(ctx.getfield_r(recv, &range_obj::hi))),
            (tid::RANGE, "exclude_end?", 0) => {
                let e = ctx.getfield_i(recv, &range_obj::excl);
                let zero = ctx.const_int(0);
                let r = ctx.int_ne(e, zero);
                Ok(Some(self.boolean(ctx, r)))
            }
            (tid::STR, "==" | "!=" | "===" | "eql?", 1) => {
                if ctx.class_of(args[0]) != tid::STR {
                    return Ok(None);
                }
                let r = ctx
                    .call(&STR_EQ, &[Val::Ref(recv), Val::Ref(args[0])])
                    .int();
                let r = if name == "!=" {
                    let zero = ctx.const_int(0);
                    ctx.int_eq(r, zero)
                } else {
                    r
                };
                Ok(Some(self.boolean(ctx, r)))
            }
            (tid::STR, "length" | "size", 0) => {
                let n = ctx.call(&STR_LEN, &[Val::Ref(recv)]).int();
                Ok(Some(Self::box_int(ctx, n)))
            }
            (tid::STR, "[]", 1) => {
                if ctx.class_of(args[0]) != tid::INT {
                    return Ok(None);
                }
                let i = ctx.getfield_i(args[0], &int_obj::v);
                Ok(Some(
                    ctx.call(&STR_AT, &[Val::Ref(recv), Val::Int(i)]).gcref(),
                ))
            }
            // An Array equals only an Array (or what has `to_ary`, which
            // none of these have).
            (tid::ARR, "==", 1)
                if matches!(
                    ctx.class_of(args[0]),
                    tid::NIL | tid::TRUE | tid::FALSE | tid::INT | tid::FLOAT | tid::SYM | tid::STR
                ) =>
            {
                Ok(Some(ctx.const_ref(self.f)))
            }
            _ => Ok(None),
        }
    }
}
