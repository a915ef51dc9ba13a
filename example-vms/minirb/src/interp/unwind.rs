//! Exceptions and non-local exits: where an exception leaving an
//! instruction goes (`handle`: this code's handlers, a `return` arriving
//! at its home, or the frame ends raising it), `break` out of a block
//! literal (`catch_break`), whether a frame is a lambda's (`in_lambda`),
//! and running class bodies (`run_body`).
//!
//! May touch: the frame's stack and pc (unwinding to a handler), the
//! exception's backtrace (`BT_PUSH`), control objects (`CtlObj`), and a
//! class body's frame.

use super::*;

impl Vm {
    pub(super) fn in_lambda<C: Ctx>(&self, ctx: &mut C, f: &Frame<C::R>) -> bool {
        if ctx.class_of(f.cur) != tid::PROC {
            return false;
        }
        let l = ctx.getfield_i(f.cur, &proc_obj::lambda);
        ctx.promote_int(l) != 0
    }

    /// `break` out of the block literal `p`: the call's value.
    pub(super) fn catch_break<C: Ctx>(&mut self, ctx: &mut C, e: C::Ref, p: C::Ref) -> Res<C> {
        if ctx.class_of(e) == tid::CTL {
            let kind = ctx.getfield_i(e, &ctl_obj::kind);
            let zero = ctx.const_int(0);
            let is_break = ctx.int_eq(kind, zero);
            if ctx.is_true(is_break) {
                let tag = ctx.getfield_r(e, &ctl_obj::tag);
                let same = ctx.ptr_eq(tag, p);
                if ctx.is_true(same) {
                    return Ok(ctx.getfield_r(e, &ctl_obj::val));
                }
            }
        }
        Err(e)
    }

    /// Runs a class body with self = the class.
    pub(super) fn run_body<C: Jit<Self>>(&mut self, ctx: &mut C, body: usize, c: C::Ref) -> Res<C> {
        let code = bytecode::code(body);
        let nil = ctx.const_ref(self.nil);
        let frame = self.new_frame(ctx, &code, c, nil, nil);
        let r = self.run_frame(ctx, body, frame);
        ctx.call(&END_CLASS_BODY, &[Val::Ref(c)]);
        r
    }

    /// An exception left instruction `pc`: a handler of this code, a
    /// `return` arriving home, or the frame ends raising it.
    pub(super) fn handle<C: Ctx>(
        &mut self,
        ctx: &mut C,
        code: &Code,
        g: &mut (usize, usize),
        f: &mut Frame<C::R>,
        pc: usize,
        e: C::Ref,
    ) -> Step<Ret<C::R>> {
        let is_ctl = ctx.class_of(e) == tid::CTL;
        if !is_ctl {
            let l = self.loc(code, g.0, pc);
            let l = ctx.const_ref(l);
            let cell = ctx.const_ref(self.depth);
            let d = ctx.getfield_i(cell, &depth_cell::value);
            ctx.call(&BT_PUSH, &[Val::Ref(e), Val::Ref(l), Val::Int(d)]);
        }
        for h in &code.handlers {
            if h.start <= pc && pc < h.end {
                f.stack.truncate(h.depth);
                f.stack.push(e);
                g.1 = h.target;
                return Step::Next;
            }
        }
        if is_ctl {
            let kind = ctx.getfield_i(e, &ctl_obj::kind);
            let one = ctx.const_int(1);
            let is_ret = ctx.int_eq(kind, one);
            if ctx.is_true(is_ret) && ctx.class_of(f.home) == tid::HOME {
                let owns = !code.is_block || self.in_lambda(ctx, f);
                if owns {
                    let tag = ctx.getfield_r(e, &ctl_obj::tag);
                    let same = ctx.ptr_eq(tag, f.home);
                    if ctx.is_true(same) {
                        let v = ctx.getfield_r(e, &ctl_obj::val);
                        return Step::Return(Ret::Value(v));
                    }
                }
            }
        }
        Step::Return(Ret::Raise(e))
    }
}
