//! Arithmetic, comparisons, subscripts and `str()` in the interpreter:
//! the inlined fast paths (small ints with overflow checks, floats, list
//! indexing) with dunder dispatch for user objects and residual calls for
//! everything else.
//!
//! Owns: `Vm::binop`, `unary`, `compare`, `getitem`, `setitem`, `to_str`.

use crate::builtins;
use crate::bytecode::{BinOp, CmpOp, UnOp};
use crate::fast;
use crate::interp::{module_cell, Res, Vm};
use crate::objects::*;
use crate::ops;
use crate::types;
use metatrace::heap::GcRef;
use metatrace::heap::REF_ARRAY;
use metatrace::ir::OpNum;
use metatrace::{Jit, Val};

impl Vm {
    // ---- arithmetic ----------------------------------------------------------

    /// `a op b`. The commonest cases (int +/- int, float +-* float) are
    /// inlined into the interpreter loop; they record exactly what the
    /// general path would.
    #[inline(always)]
    pub(crate) fn binop<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: BinOp,
        a: C::Ref,
        b: C::Ref,
        inplace: bool,
    ) -> Res<C, C::Ref> {
        let ta = ctx.class_of(a);
        let tb = ctx.class_of(b);
        if ta == tid::INT && tb == tid::INT && matches!(op, BinOp::Add | BinOp::Sub) {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = if op == BinOp::Add {
                ctx.int_add_ovf(x, y)
            } else {
                ctx.int_sub_ovf(x, y)
            };
            return match r {
                Some(r) => Ok(self.box_int(ctx, r)),
                None => self.binop_generic(ctx, op, a, b, inplace),
            };
        }
        if ta == tid::FLOAT
            && tb == tid::FLOAT
            && matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul)
        {
            let x = ctx.getfield_f(a, &float_obj::v);
            let y = ctx.getfield_f(b, &float_obj::v);
            let r = match op {
                BinOp::Add => ctx.float_add(x, y),
                BinOp::Sub => ctx.float_sub(x, y),
                _ => ctx.float_mul(x, y),
            };
            return Ok(self.box_float(ctx, r));
        }
        self.binop_typed(ctx, op, a, b, inplace, ta, tb)
    }

    /// `binop` for operands of classes `ta` and `tb`.
    #[allow(clippy::too_many_arguments)]
    fn binop_typed<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: BinOp,
        a: C::Ref,
        b: C::Ref,
        inplace: bool,
        ta: u32,
        tb: u32,
    ) -> Res<C, C::Ref> {
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = match op {
                BinOp::Add => ctx.int_add_ovf(x, y),
                BinOp::Sub => ctx.int_sub_ovf(x, y),
                BinOp::Mul => ctx.int_mul_ovf(x, y),
                BinOp::And => Some(ctx.int_and(x, y)),
                BinOp::Or => Some(ctx.int_binop(OpNum::IntOr, x, y)),
                BinOp::Xor => Some(ctx.int_binop(OpNum::IntXor, x, y)),
                BinOp::FloorDiv | BinOp::Mod => {
                    let zero = ctx.const_int(0);
                    let pos = ctx.int_gt(y, zero);
                    let nonneg = ctx.int_ge(x, zero);
                    if ctx.is_true(pos) && ctx.is_true(nonneg) {
                        Some(if op == BinOp::FloorDiv {
                            ctx.int_binop(OpNum::IntFloorDiv, x, y)
                        } else {
                            ctx.int_binop(OpNum::IntMod, x, y)
                        })
                    } else {
                        None
                    }
                }
                BinOp::RShift => {
                    let zero = ctx.const_int(0);
                    let sixty = ctx.const_int(63);
                    let ok1 = ctx.int_ge(y, zero);
                    let ok2 = ctx.int_le(y, sixty);
                    if ctx.is_true(ok1) && ctx.is_true(ok2) {
                        Some(ctx.int_binop(OpNum::IntRshift, x, y))
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(r) = r {
                return Ok(self.box_int(ctx, r));
            }
        } else if (ta == tid::FLOAT || ta == tid::INT) && (tb == tid::FLOAT || tb == tid::INT) {
            let x = if ta == tid::FLOAT {
                ctx.getfield_f(a, &float_obj::v)
            } else {
                let i = ctx.getfield_i(a, &int_obj::v);
                ctx.cast_int_to_float(i)
            };
            let y = if tb == tid::FLOAT {
                ctx.getfield_f(b, &float_obj::v)
            } else {
                let i = ctx.getfield_i(b, &int_obj::v);
                ctx.cast_int_to_float(i)
            };
            let r = match op {
                BinOp::Add => Some(ctx.float_add(x, y)),
                BinOp::Sub => Some(ctx.float_sub(x, y)),
                BinOp::Mul => Some(ctx.float_mul(x, y)),
                BinOp::TrueDiv => {
                    let z = ctx.const_float(0.0);
                    let isz = ctx.float_cmp(OpNum::FloatEq, y, z);
                    if ctx.is_true(isz) {
                        None
                    } else {
                        Some(ctx.float_truediv(x, y))
                    }
                }
                _ => None,
            };
            if let Some(r) = r {
                return Ok(self.box_float(ctx, r));
            }
        } else if ta == tid::INST || tb == tid::INST {
            return self.binop_dunder(ctx, op, a, b, inplace, ta == tid::INST);
        } else if op == BinOp::Add && ta == tid::STR && tb == tid::STR {
            let r = ctx.call(&fast::STR_CONCAT, &[Val::Ref(a), Val::Ref(b)]);
            return Ok(r.gcref());
        }
        self.binop_generic(ctx, op, a, b, inplace)
    }

    /// `binop` through the generic helper (big ints, mixed types, ...).
    fn binop_generic<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: BinOp,
        a: C::Ref,
        b: C::Ref,
        inplace: bool,
    ) -> Res<C, C::Ref> {
        let k = ctx.const_int(ops::binop_index(op));
        let d: &'static metatrace::ir::CallDescr =
            if inplace { &ops::INPLACE } else { &ops::BINOP };
        let r = ctx
            .call(d, &[Val::Int(k), Val::Ref(a), Val::Ref(b)])
            .gcref();
        match self.check(ctx, r)? {
            Some(v) => Ok(v),
            None => {
                let (ac, bc) = (ctx.peek_ref(a), ctx.peek_ref(b));
                Err(self.exc(
                    ctx,
                    ExcKind::TypeError,
                    &format!(
                        "unsupported operand type(s) for {:?}: '{}' and '{}'",
                        op,
                        types::tname(ac),
                        types::tname(bc)
                    ),
                ))
            }
        }
    }

    pub(crate) fn binop_dunder<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: BinOp,
        a: C::Ref,
        b: C::Ref,
        inplace: bool,
        left_inst: bool,
    ) -> Res<C, C::Ref> {
        let name = dunder_name(op);
        if inplace && left_inst {
            let iname = format!("__i{}", &name[2..]);
            if let Some(v) = self.call_dunder_ni(ctx, a, &iname, &[b])? {
                return Ok(v);
            }
        }
        if left_inst {
            if let Some(v) = self.call_dunder_ni(ctx, a, name, &[b])? {
                return Ok(v);
            }
        }
        if ctx.class_of(b) == tid::INST {
            let rname = format!("__r{}", &name[2..]);
            if let Some(v) = self.call_dunder_ni(ctx, b, &rname, &[a])? {
                return Ok(v);
            }
        }
        let (ac, bc) = (ctx.peek_ref(a), ctx.peek_ref(b));
        let sym = match op {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::TrueDiv => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "** or pow()",
            _ => "op",
        };
        Err(self.exc(
            ctx,
            ExcKind::TypeError,
            &format!(
                "unsupported operand type(s) for {sym}: '{}' and '{}'",
                types::tname(ac),
                types::tname(bc)
            ),
        ))
    }

    /// Calls a dunder; None if absent or it returned NotImplemented.
    pub(crate) fn call_dunder_ni<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        name: &str,
        args: &[C::Ref],
    ) -> Res<C, Option<C::Ref>> {
        let r = self.call_dunder(ctx, o, name, args)?;
        match r {
            Some(v) => {
                let ni = ctx.const_ref(self.not_implemented());
                let same = ctx.ptr_eq(v, ni);
                if ctx.is_true(same) {
                    Ok(None)
                } else {
                    Ok(Some(v))
                }
            }
            None => Ok(None),
        }
    }

    pub fn not_implemented(&self) -> GcRef {
        let c = module_cell(self.builtins, "NotImplemented");
        getr(c, &cell_obj::value)
    }

    pub(crate) fn unary<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: UnOp,
        a: C::Ref,
    ) -> Res<C, C::Ref> {
        if op == UnOp::Not {
            let b = self.truthy(ctx, a)?;
            return Ok(self.bool_c(ctx, !b));
        }
        let t = ctx.class_of(a);
        if t == tid::INT && op == UnOp::Neg {
            let x = ctx.getfield_i(a, &int_obj::v);
            let z = ctx.const_int(0);
            if let Some(r) = ctx.int_sub_ovf(z, x) {
                return Ok(self.box_int(ctx, r));
            }
        }
        if t == tid::FLOAT && op == UnOp::Neg {
            let x = ctx.getfield_f(a, &float_obj::v);
            let r = ctx.float_unop(OpNum::FloatNeg, x);
            return Ok(self.box_float(ctx, r));
        }
        if t == tid::INST {
            let name = match op {
                UnOp::Neg => "__neg__",
                UnOp::Pos => "__pos__",
                _ => "__invert__",
            };
            if let Some(v) = self.call_dunder(ctx, a, name, &[])? {
                return Ok(v);
            }
        }
        let k = ctx.const_int(match op {
            UnOp::Neg => 0,
            UnOp::Pos => 1,
            _ => 2,
        });
        let r = ctx.call(&ops::UNARY, &[Val::Int(k), Val::Ref(a)]).gcref();
        Ok(self.check(ctx, r)?.expect("unary result"))
    }

    /// `a op b` for a comparison; int against int is inlined into the
    /// interpreter loop (recording what the general path would).
    #[inline(always)]
    pub(crate) fn compare<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: CmpOp,
        a: C::Ref,
        b: C::Ref,
    ) -> Res<C, C::Ref> {
        if matches!(op, CmpOp::Is | CmpOp::IsNot) {
            let e = ctx.ptr_eq(a, b);
            let r = ctx.is_true(e);
            return Ok(self.bool_c(ctx, r == (op == CmpOp::Is)));
        }
        let ta = ctx.class_of(a);
        let tb = ctx.class_of(b);
        if ta == tid::INT
            && tb == tid::INT
            && matches!(
                op,
                CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge | CmpOp::Eq | CmpOp::Ne
            )
        {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = match op {
                CmpOp::Lt => ctx.int_lt(x, y),
                CmpOp::Le => ctx.int_le(x, y),
                CmpOp::Gt => ctx.int_gt(x, y),
                CmpOp::Ge => ctx.int_ge(x, y),
                CmpOp::Eq => ctx.int_eq(x, y),
                _ => ctx.int_ne(x, y),
            };
            let b = ctx.is_true(r);
            return Ok(self.bool_c(ctx, b));
        }
        self.compare_typed(ctx, op, a, b, ta, tb)
    }

    /// `compare` (not `is`) for operands of classes `ta` and `tb`.
    fn compare_typed<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: CmpOp,
        a: C::Ref,
        b: C::Ref,
        ta: u32,
        tb: u32,
    ) -> Res<C, C::Ref> {
        if ta == tid::INT && tb == tid::INT {
            let x = ctx.getfield_i(a, &int_obj::v);
            let y = ctx.getfield_i(b, &int_obj::v);
            let r = match op {
                CmpOp::Lt => Some(ctx.int_lt(x, y)),
                CmpOp::Le => Some(ctx.int_le(x, y)),
                CmpOp::Gt => Some(ctx.int_gt(x, y)),
                CmpOp::Ge => Some(ctx.int_ge(x, y)),
                CmpOp::Eq => Some(ctx.int_eq(x, y)),
                CmpOp::Ne => Some(ctx.int_ne(x, y)),
                _ => None,
            };
            if let Some(r) = r {
                let b = ctx.is_true(r);
                return Ok(self.bool_c(ctx, b));
            }
        }
        if ta == tid::FLOAT && tb == tid::FLOAT {
            let x = ctx.getfield_f(a, &float_obj::v);
            let y = ctx.getfield_f(b, &float_obj::v);
            let o = match op {
                CmpOp::Lt => Some(OpNum::FloatLt),
                CmpOp::Le => Some(OpNum::FloatLe),
                CmpOp::Gt => Some(OpNum::FloatGt),
                CmpOp::Ge => Some(OpNum::FloatGe),
                CmpOp::Eq => Some(OpNum::FloatEq),
                CmpOp::Ne => Some(OpNum::FloatNe),
                _ => None,
            };
            if let Some(o) = o {
                let r = ctx.float_cmp(o, x, y);
                let b = ctx.is_true(r);
                return Ok(self.bool_c(ctx, b));
            }
        }
        if ta == tid::INST || tb == tid::INST {
            return self.compare_dunder(ctx, op, a, b, ta == tid::INST, tb == tid::INST);
        }
        let k = ctx.const_int(ops::CMPOPS.iter().position(|o| *o == op).unwrap_or(0) as i64);
        let args = [Val::Int(k), Val::Ref(a), Val::Ref(b)];
        match self.call_maybe_guest(ctx, &ops::COMPARE, &args)? {
            Some(v) => Ok(v),
            None => {
                // A container holding objects with dunders: guest fallback.
                let name = match op {
                    CmpOp::Eq => "_slow_eq",
                    CmpOp::Ne => "_slow_ne",
                    CmpOp::In => "_slow_in",
                    CmpOp::NotIn => "_slow_notin",
                    CmpOp::Lt => "_slow_lt",
                    CmpOp::Le => "_slow_le",
                    CmpOp::Gt => "_slow_gt",
                    _ => "_slow_ge",
                };
                self.call_prelude(ctx, name, vec![a, b])
            }
        }
    }

    pub(crate) fn compare_dunder<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        op: CmpOp,
        a: C::Ref,
        b: C::Ref,
        ai: bool,
        bi: bool,
    ) -> Res<C, C::Ref> {
        let (name, rname) = match op {
            CmpOp::Lt => ("__lt__", "__gt__"),
            CmpOp::Le => ("__le__", "__ge__"),
            CmpOp::Gt => ("__gt__", "__lt__"),
            CmpOp::Ge => ("__ge__", "__le__"),
            CmpOp::Eq => ("__eq__", "__eq__"),
            CmpOp::Ne => ("__ne__", "__ne__"),
            CmpOp::In | CmpOp::NotIn => {
                if bi {
                    if let Some(v) = self.call_dunder(ctx, b, "__contains__", &[a])? {
                        let t = self.truthy(ctx, v)?;
                        return Ok(self.bool_c(ctx, t == (op == CmpOp::In)));
                    }
                    let l = self.to_list(ctx, b)?;
                    return self.compare(ctx, op, a, l);
                }
                let k =
                    ctx.const_int(ops::CMPOPS.iter().position(|o| *o == op).unwrap_or(0) as i64);
                let args = [Val::Int(k), Val::Ref(a), Val::Ref(b)];
                return match self.call_keyed(ctx, a, &ops::COMPARE, &args)? {
                    Some(v) => Ok(v),
                    None => self.call_prelude(
                        ctx,
                        if op == CmpOp::In {
                            "_slow_in"
                        } else {
                            "_slow_notin"
                        },
                        vec![a, b],
                    ),
                };
            }
            _ => unreachable!("is / is not handled by the caller"),
        };
        if ai {
            if let Some(v) = self.call_dunder_ni(ctx, a, name, &[b])? {
                return Ok(v);
            }
        }
        if bi {
            if let Some(v) = self.call_dunder_ni(ctx, b, rname, &[a])? {
                return Ok(v);
            }
        }
        match op {
            CmpOp::Eq | CmpOp::Ne => {
                if op == CmpOp::Ne && ai {
                    if let Some(v) = self.call_dunder_ni(ctx, a, "__eq__", &[b])? {
                        let t = self.truthy(ctx, v)?;
                        return Ok(self.bool_c(ctx, !t));
                    }
                }
                let e = ctx.ptr_eq(a, b);
                let r = ctx.is_true(e);
                Ok(self.bool_c(ctx, r == (op == CmpOp::Eq)))
            }
            _ => {
                let (ac, bc) = (ctx.peek_ref(a), ctx.peek_ref(b));
                let sym = match op {
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    _ => ">=",
                };
                Err(self.exc(
                    ctx,
                    ExcKind::TypeError,
                    &format!(
                        "'{sym}' not supported between instances of '{}' and '{}'",
                        types::tname(ac),
                        types::tname(bc)
                    ),
                ))
            }
        }
    }

    pub(crate) fn getitem<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        i: C::Ref,
    ) -> Res<C, C::Ref> {
        let t = ctx.class_of(o);
        if t == tid::LIST || t == tid::TUPLE {
            let ti = ctx.class_of(i);
            if ti == tid::INT {
                let (items, len) = if t == tid::LIST {
                    let a = ctx.getfield_r(o, &list_obj::items);
                    let l = ctx.getfield_i(o, &list_obj::len);
                    (a, l)
                } else {
                    let a = ctx.getfield_r(o, &tuple_obj::items);
                    let l = ctx.arraylen(a, &REF_ARRAY);
                    (a, l)
                };
                let k = ctx.getfield_i(i, &int_obj::v);
                let zero = ctx.const_int(0);
                let neg = ctx.int_lt(k, zero);
                let k = if ctx.is_true(neg) {
                    ctx.int_add(k, len)
                } else {
                    k
                };
                let lo = ctx.int_ge(k, zero);
                let hi = ctx.int_lt(k, len);
                if ctx.is_true(lo) && ctx.is_true(hi) {
                    return Ok(ctx.getarrayitem_r(items, &REF_ARRAY, k));
                }
            } else if ti == tid::INST {
                // An index object (`__index__`, e.g. an IntEnum member).
                if let Some(k) = self.call_dunder(ctx, i, "__index__", &[])? {
                    return self.getitem(ctx, o, k);
                }
            }
        } else if t == tid::INST {
            if let Some(v) = crate::numpy::fast::getitem(ctx, o, i) {
                return Ok(v);
            }
            return match self.call_dunder(ctx, o, "__getitem__", &[i])? {
                Some(v) => Ok(v),
                None => {
                    let oc = ctx.peek_ref(o);
                    Err(self.exc(
                        ctx,
                        ExcKind::TypeError,
                        &format!("'{}' object is not subscriptable", types::tname(oc)),
                    ))
                }
            };
        }
        if t == tid::DICT && ctx.class_of(i) == tid::INST {
            if let Some(v) = self.dict_getitem_user(ctx, o, i)? {
                return Ok(v);
            }
        }
        match self.call_keyed(ctx, i, &ops::GETITEM, &[Val::Ref(o), Val::Ref(i)])? {
            Some(v) => Ok(v),
            None => Err(self.exc(ctx, ExcKind::TypeError, "unhashable key")),
        }
    }

    pub(crate) fn setitem<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        o: C::Ref,
        i: C::Ref,
        v: C::Ref,
    ) -> Res<C, ()> {
        let t = ctx.class_of(o);
        if t == tid::LIST && ctx.class_of(i) == tid::INT {
            let items = ctx.getfield_r(o, &list_obj::items);
            let len = ctx.getfield_i(o, &list_obj::len);
            let k = ctx.getfield_i(i, &int_obj::v);
            let zero = ctx.const_int(0);
            let neg = ctx.int_lt(k, zero);
            let k = if ctx.is_true(neg) {
                ctx.int_add(k, len)
            } else {
                k
            };
            let lo = ctx.int_ge(k, zero);
            let hi = ctx.int_lt(k, len);
            if ctx.is_true(lo) && ctx.is_true(hi) {
                ctx.setarrayitem_r(items, &REF_ARRAY, k, v);
                return Ok(());
            }
        } else if t == tid::LIST && ctx.class_of(i) == tid::INST {
            // An index object (`__index__`, e.g. an IntEnum member).
            if let Some(k) = self.call_dunder(ctx, i, "__index__", &[])? {
                return self.setitem(ctx, o, k, v);
            }
        } else if t == tid::INST {
            if crate::numpy::fast::setitem(ctx, o, i, v) {
                return Ok(());
            }
            return match self.call_dunder(ctx, o, "__setitem__", &[i, v])? {
                Some(_) => Ok(()),
                None => {
                    let oc = ctx.peek_ref(o);
                    Err(self.exc(
                        ctx,
                        ExcKind::TypeError,
                        &format!(
                            "'{}' object does not support item assignment",
                            types::tname(oc)
                        ),
                    ))
                }
            };
        }
        match self.call_keyed(
            ctx,
            i,
            &ops::SETITEM,
            &[Val::Ref(o), Val::Ref(i), Val::Ref(v)],
        )? {
            Some(_) => Ok(()),
            None => Err(self.exc(ctx, ExcKind::TypeError, "unhashable key")),
        }
    }

    /// str(v) (or repr), calling `__str__` / `__repr__` when needed.
    pub fn to_str<C: Jit<Self>>(&mut self, ctx: &mut C, v: C::Ref, repr: bool) -> Res<C, C::Ref> {
        match ctx.class_of(v) {
            tid::STR if !repr => return Ok(v),
            tid::INT => {
                let i = ctx.getfield_i(v, &int_obj::v);
                return Ok(ctx.call(&fast::INT_STR, &[Val::Int(i)]).gcref());
            }
            _ => {}
        }
        let k = ctx.const_int(if repr { 2 } else { 1 });
        if let Some(s) =
            self.call_maybe_guest(ctx, &builtins::TO_STR, &[Val::Ref(v), Val::Int(k)])?
        {
            return Ok(s);
        }
        self.call_prelude(ctx, if repr { "_slow_repr" } else { "_slow_str" }, vec![v])
    }
}

pub fn dunder_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "__add__",
        BinOp::Sub => "__sub__",
        BinOp::Mul => "__mul__",
        BinOp::TrueDiv => "__truediv__",
        BinOp::FloorDiv => "__floordiv__",
        BinOp::Mod => "__mod__",
        BinOp::Pow => "__pow__",
        BinOp::LShift => "__lshift__",
        BinOp::RShift => "__rshift__",
        BinOp::And => "__and__",
        BinOp::Or => "__or__",
        BinOp::Xor => "__xor__",
        BinOp::MatMul => "__matmul__",
    }
}
