//! Deoptimization into the interpreter: what a failing guard does when
//! no bridge is wanted (the job of PyPy's `blackhole.py`).
//!
//! Owns: `resume_in_interpreter`. PyPy finishes the failing
//! instruction in a blackhole interpreter over its jitcodes; we have no
//! jitcodes, but we have the interpreter itself, generic over the
//! context. So each frame of the guard's chain is rebuilt from the dead
//! frame, and its instruction is re-run from its start with the recorder
//! in `Discard` mode and the instruction's effect log as the replay
//! queue: logged reads, allocations and calls hand back their recorded
//! results and logged writes are skipped, up to the failing guard; from
//! there the instruction runs for real. Nothing the compiled code did
//! before the guard happens twice (DESIGN §4).
//!
//! Uses only the resume data (`resume`), the recorder (`record`) and the
//! driver's narrow interface (`hooks`).

use super::hooks::Hooks;
use super::record::{Mode, Recorder};
use super::resume::{replay_queue, split, Forced, GuardResume, Replayed};
use crate::ctx::{Concrete, Interp, Lift, Plain, Rebuild, Step, Traced};
use crate::heap::roots::Rooted;
use crate::ir::Operand;

/// Rebuilds the frame chain of a failed guard and finishes the failing
/// instruction of each frame by replay, innermost first; inner frames
/// then run to their return. Leaves the outermost frame just after its
/// instruction and returns what that instruction's `step` said.
/// `forced` is the real result of the `call_assembler` whose
/// `guard_not_forced` failed: it replaces the innermost frame's last
/// logged call result.
pub(crate) fn resume_in_interpreter<I: Interp>(
    jit: &mut dyn Hooks<I>,
    interp: &mut I,
    resume: &GuardResume<I>,
    words: &[u64],
    greens: &mut I::Greens,
    frame: &mut I::Frame<Plain>,
    mut forced: Option<Forced<I>>,
) -> Step<I::Ret<Plain>> {
    let parts = split(resume, words);
    let mut inner: Option<I::Ret<Traced>> = None;
    for i in (0..resume.frames.len()).rev() {
        let fr = &resume.frames[i];
        let (reds, effs) = parts[i];
        let mut g = fr.greens.clone();
        let mut tframe = I::map_frame(
            &fr.shape,
            &mut Rebuild {
                words: reds.iter(),
                mk: Operand::from_bits,
            },
        );
        let mut tframe = Rooted::new(&mut tframe, crate::ctx::visit_frame::<I, Traced>);
        let tframe: &mut I::Frame<Traced> = &mut tframe;
        let step = {
            let mut rec = Recorder::new(&mut *jit, Mode::Discard);
            let mut rec = Rooted::new(&mut rec, Recorder::<I>::visit_roots);
            rec.replay = replay_queue(&fr.effects, effs, Operand::from_bits, &mut inner);
            if let Some(f) = forced.take() {
                let last = rec.replay.pop_back();
                assert!(
                    matches!(last, Some(Replayed::Ret(_))),
                    "guard_not_forced must follow its call_assembler"
                );
                let f = I::map_ret(&f.result(), &mut Lift(Operand::from_bits));
                rec.replay.push_back(Replayed::Ret(f));
            }
            let step = interp.step(&mut *rec, &mut g, tframe);
            assert!(rec.replay.is_empty(), "resume: the instruction did not replay its effect log (the VM's step is not deterministic)");
            step
        };
        let pframe = I::map_frame(&*tframe, &mut Concrete);
        let step = match step {
            Step::Next => Step::Next,
            Step::CanEnterJit => Step::CanEnterJit,
            Step::Return(r) => Step::Return(I::map_ret(&r, &mut Concrete)),
        };
        if i == 0 {
            *greens = g;
            *frame = pframe;
            return step;
        }
        let ret = match step {
            Step::Return(r) => r,
            _ => jit.portal(interp, g, pframe),
        };
        inner = Some(I::map_ret(&ret, &mut Lift(Operand::from_bits)));
    }
    unreachable!("a guard has at least one frame")
}
