//! `call_assembler`: compiled code calling a portal (PyPy's
//! `call_assembler` + `assembler_helper`).
//!
//! Owns: the call-site table (`AsmSite`, one leaked `AssemblerDescr`
//! each), the thread's *current activation* (which driver and interpreter
//! compiled code was entered from), the helper compiled code calls, and
//! the stash of a result that did not fit its trace.
//!
//! How a call runs: the recorder turns a recursive or never-inlined portal
//! call into `call_assembler_K(reds..., descr=<AssemblerK asmN>)` followed
//! by `guard_not_forced`. At run time the backend calls
//! [`crate::backend::assembler_trampoline`], which lands in `invoke`: it
//! rebuilds the callee's frame from the words, runs the portal through the
//! driver — interpreting, tracing or entering the callee's own compiled
//! code, exactly like a call from the interpreter — and hands back the
//! result word. A result of another shape than the traced one (an
//! exception instead of a value, say) is stashed and the forced flag set:
//! the `guard_not_forced` fails, and the driver resumes the caller in the
//! interpreter with the stashed result as the call's outcome.
//!
//! Re-entrancy: while compiled code runs, the driver that entered it is
//! mutably borrowed further up the stack. The helper reaches it through a
//! raw pointer derived from that same borrow just before the code was
//! entered (`enter_code`), so every access is based on it; backends take
//! `&self` and keep their tables in `RefCell`s for the same reason (see
//! `backend`). Code is never freed while an activation runs (`running`).

use super::activation::{activate, with_activation};
use super::driver::JitDriver;
use super::resume::Forced;
use crate::backend::{DeadFrame, LoopId};
use crate::ctx::{Interp, Plain, Shape, Step, Unflatten, Words};
use crate::heap::roots::{Handle, Rooted};
use crate::ir::{AsmTarget, AssemblerDescr, GuardId, Kind};
use std::rc::Rc;
use std::sync::atomic::Ordering;

/// One `call_assembler` call site: whom it calls and what result shape
/// its trace goes on with.
pub(crate) struct AsmSite<I: Interp> {
    pub greens: I::Greens,
    pub frame: Rc<I::Frame<Shape>>,
    pub ret: Rc<I::Ret<Shape>>,
    pub descr: &'static AssemblerDescr,
    /// The call enters the callee at a loop header (`greens` is the
    /// header): the rest of an inlined frame that reached a loop, handed to
    /// that loop's own code (PyPy's `do_recursive_call` from
    /// `opimpl_jit_merge_point` in an inlined frame).
    pub at_loop: bool,
    /// The callee's entry trace, as of `JitDriver::code_epoch`.
    pub code: Option<(u64, Option<LoopId>)>,
    /// The `finish`es of the callee whose result fits this site: their
    /// word goes back to the caller as it is.
    pub fast: Vec<GuardId>,
}

impl<I: Interp> JitDriver<I> {
    /// Runs compiled loop `id` with `args`. Compiled code may call back
    /// into this driver (`call_assembler`) while it runs.
    pub(crate) fn enter_code(&mut self, interp: &mut I, id: LoopId, args: &[u64]) -> DeadFrame {
        let me: *mut Self = self;
        let _restore = activate(me, interp as *mut I, self.driver_id);
        self.running += 1;
        // Time in compiled code is measured at the outermost entry only
        // (nested entries are inside it).
        let t0 = (self.running == 1).then(std::time::Instant::now);
        let profiling = self.profiling;
        if profiling {
            crate::backend::profile::enter();
        }
        // SAFETY: `me` comes from `self`, which stays borrowed (and
        // otherwise untouched) until `execute` returns; the helper's
        // accesses through the copy in CURRENT are based on it.
        let dead = unsafe { (*me).backend.execute(id, args) };
        if profiling {
            crate::backend::profile::leave();
        }
        self.running -= 1;
        if let Some(t0) = t0 {
            self.stats.compiled += t0.elapsed();
        }
        dead
    }

    /// The descr of a call site calling `greens` with frame `frame` and
    /// going on with results shaped like `ret` (shared by equal sites).
    pub(crate) fn assembler_site(
        &mut self,
        greens: I::Greens,
        frame: Rc<I::Frame<Shape>>,
        ret: Rc<I::Ret<Shape>>,
        args: &[Kind],
        result: Kind,
        at_loop: bool,
    ) -> &'static AssemblerDescr {
        for s in &self.sites {
            if s.greens == greens
                && s.at_loop == at_loop
                && s.descr.args == args
                && s.descr.result == result
                && I::ret_shape_eq(&s.ret, &ret) == Some(true)
            {
                return s.descr;
            }
        }
        let site = self.sites.len();
        // Leaked like PyPy's loop tokens: one per distinct call site shape
        // for the life of the process.
        let descr: &'static AssemblerDescr = Box::leak(Box::new(AssemblerDescr {
            name: Box::leak(format!("asm{site}").into_boxed_str()),
            args: Box::leak(args.to_vec().into_boxed_slice()),
            result,
            helper: crate::backend::assembler_trampoline as *const () as usize,
            invoke: invoke::<I>,
            target: Box::leak(Box::new(AsmTarget::new())),
            exit: exit::<I>,
            site,
            owner: self.driver_id,
        }));
        self.sites.push(AsmSite {
            greens,
            frame,
            ret,
            descr,
            at_loop,
            code: None,
            fast: Vec::new(),
        });
        descr
    }

    /// The helper's work: run the portal for site `site` on `words`.
    fn assembler_call(&mut self, interp: &mut I, site: usize, words: &[u64]) -> u64 {
        let r = self.assembler_portal(interp, site, words);
        self.assembler_result(site, r)
    }

    /// The result word of a call at `site`: a word already known to fit,
    /// or the portal's result if its shape is the traced one; otherwise
    /// the result is stashed and the forced flag set (its
    /// `guard_not_forced` fails, and the interpreter takes the result).
    fn assembler_result(&mut self, site: usize, r: Result<u64, I::Ret<Plain>>) -> u64 {
        let r = match r {
            Ok(w) => return w,
            Err(r) => r,
        };
        let mut out = std::mem::take(&mut self.scratch.0);
        let mut kinds = std::mem::take(&mut self.scratch.1);
        out.clear();
        kinds.clear();
        let got = I::map_ret(&r, &mut Words(&mut out, &mut kinds));
        let fits = out.len() <= 1 && I::ret_shape_eq(&got, &self.sites[site].ret) == Some(true);
        if fits {
            let w = out.first().copied().unwrap_or(0);
            self.scratch = (out, kinds);
            return w;
        }
        let roots = out
            .iter()
            .zip(&kinds)
            .filter(|(_, k)| **k == Kind::Ref)
            .map(|(w, _)| Handle::new(crate::backend::word_to_ref(*w)))
            .collect();
        self.forced = Some(Forced {
            shape: got,
            words: out,
            _roots: roots,
        });
        crate::exc::set_forced();
        0
    }

    /// Runs the callee like a portal call from the interpreter would, but
    /// when its entry trace is compiled, enters it straight from the words
    /// (they are the callee frame's reds, flattened the same way), skipping
    /// the frame rebuild and the function-entry bookkeeping. `Ok`: the
    /// result word of a finish known to fit the site — the fast path, with
    /// nothing rebuilt; `Err`: the result, to be checked.
    fn assembler_portal(
        &mut self,
        interp: &mut I,
        site: usize,
        words: &[u64],
    ) -> Result<u64, I::Ret<Plain>> {
        let epoch = self.code_epoch;
        let code = match self.sites[site].code {
            Some((e, code)) if e == epoch => code,
            _ => {
                let s = &self.sites[site];
                let (greens, args, at_loop) = (s.greens.clone(), s.descr.args, s.at_loop);
                let code = self.compiled_code(&greens, args, at_loop);
                self.sites[site].code = Some((epoch, code));
                // Native code may call it directly from now on (until the
                // epoch changes, which clears the target).
                let entry = code.and_then(|id| self.backend.loop_entry(id));
                let target = self.sites[site].descr.target;
                target.clear();
                if let Some(entry) = entry {
                    target.entry.store(entry, Ordering::Relaxed);
                }
                code
            }
        };
        let Some(id) = code else {
            let s = &self.sites[site];
            let frame = I::map_frame(&s.frame, &mut Unflatten(words.iter()));
            let greens = s.greens.clone();
            if s.at_loop {
                return Err(self.portal_at_loop(interp, greens, frame));
            }
            return Err(self.portal(interp, greens, frame));
        };
        let dead = self.enter_code(interp, id, words);
        self.assembler_exit(interp, site, dead)
    }

    /// Goes on after the callee's code left through `dead`: a finish
    /// (fitting the site or not) or a guard, resumed in the interpreter.
    fn assembler_exit(
        &mut self,
        interp: &mut I,
        site: usize,
        dead: DeadFrame,
    ) -> Result<u64, I::Ret<Plain>> {
        if self.sites[site].fast.contains(&dead.guard) {
            return Ok(dead.values.first().copied().unwrap_or(0));
        }
        if let Some((r, _)) = self.finish_result(&dead) {
            // Learn whether this finish fits the site (then next time its
            // word is passed on without a look at the shape, by the helper
            // or by native code calling the callee directly).
            let mut out = Vec::new();
            let mut kinds = Vec::new();
            let got = I::map_ret(&r, &mut Words(&mut out, &mut kinds));
            let s = &mut self.sites[site];
            if out.len() <= 1 && s.fast.len() < 8 && I::ret_shape_eq(&got, &s.ret) == Some(true) {
                s.fast.push(dead.guard);
                if let Some(slot) = s
                    .descr
                    .target
                    .fast
                    .iter()
                    .find(|f| f.load(Ordering::Relaxed) == u32::MAX)
                {
                    slot.store(dead.guard.0, Ordering::Relaxed);
                }
            }
            return Err(r);
        }
        // A guard failed: go on as the portal would. The frame is only
        // written from here on (the guard's frame is rebuilt into it), so
        // its initial contents do not matter: zero words of its shape.
        let s = &self.sites[site];
        let mut greens = s.greens.clone();
        let zeros = vec![0u64; s.descr.args.len()];
        let mut frame = I::map_frame(&s.frame, &mut Unflatten(zeros.iter()));
        let mut frame = Rooted::new(&mut frame, crate::ctx::visit_frame::<I, Plain>);
        let frame: &mut I::Frame<Plain> = &mut frame;
        let first = self.handle_exit(interp, dead, &mut greens, frame);
        Err(self.portal_loop(interp, &mut greens, frame, first))
    }

    /// Runs a portal whose frame stands at the loop header `greens`, as
    /// the interpreter goes on right after that header's `can_enter_jit`:
    /// the loop's code is entered if compiled (or the header counts
    /// towards `threshold`), and the frame runs to its return.
    pub(crate) fn portal_at_loop(
        &mut self,
        interp: &mut I,
        mut greens: I::Greens,
        mut frame: I::Frame<Plain>,
    ) -> I::Ret<Plain> {
        let mut frame = Rooted::new(&mut frame, crate::ctx::visit_frame::<I, Plain>);
        let frame: &mut I::Frame<Plain> = &mut frame;
        let first = if self.params.enabled {
            Step::CanEnterJit
        } else {
            Step::Next
        };
        self.portal_loop(interp, &mut greens, frame, first)
    }

    /// Compiled code changed: no site may call its old callee directly.
    pub(crate) fn bump_code_epoch(&mut self) {
        self.code_epoch += 1;
        for s in &self.sites {
            s.descr.target.clear();
        }
    }

    /// The stashed result of the call whose `guard_not_forced` just failed
    /// (still rooted: it is rebuilt only where it goes to the replay).
    pub(crate) fn take_forced(&mut self) -> Option<Forced<I>> {
        if !crate::exc::take_forced() {
            return None;
        }
        self.forced.take()
    }
}

/// `AssemblerDescr::invoke` for drivers of `I`: finds the running driver
/// and runs the call there.
/// `AssemblerDescr::exit`: a direct call from native code left the
/// callee through exit `guard` with dead frame `words`.
fn exit<I: Interp>(d: &AssemblerDescr, guard: GuardId, words: &[u64]) -> u64 {
    with_activation::<JitDriver<I>, I, _>(|jit, interp, owner| {
        assert_eq!(owner, d.owner, "call_assembler ran in another driver");
        if jit.sites[d.site].fast.contains(&guard) {
            return words.first().copied().unwrap_or(0);
        }
        let dead = DeadFrame {
            guard,
            values: words.to_vec(),
        };
        let r = jit.assembler_exit(interp, d.site, dead);
        jit.assembler_result(d.site, r)
    })
    .expect("call_assembler ran outside compiled code")
}

fn invoke<I: Interp>(d: &AssemblerDescr, words: &[u64]) -> u64 {
    // The activation is `enter_code`'s: the compiled code calling us was
    // entered by driver `d.owner`.
    with_activation::<JitDriver<I>, I, _>(|jit, interp, owner| {
        assert_eq!(owner, d.owner, "call_assembler ran in another driver");
        jit.assembler_call(interp, d.site, words)
    })
    .expect("call_assembler ran outside compiled code")
}
