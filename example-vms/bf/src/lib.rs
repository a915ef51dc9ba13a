//! Brainfuck on Metatrace — the tutorial VM (see README.md).
//!
//! Owns: parsing bf source into a program with matched brackets
//! ([`Program`]), and the interpreter ([`Bf`]), whose `step` is generic over
//! the JIT context. The JIT hints are the `Interp` impl below: greens are
//! the pc, reds are the tape position and the tape, `]` jumping back is
//! `can_enter_jit`. Everything else is an ordinary interpreter.
//!
//! Semantics: 8-bit wrapping cells; the tape starts with 30,000 cells and
//! grows on demand to the right; moving left of cell 0 is an error; `,`
//! stores 0 at end of input; `.` writes the raw byte.
#![forbid(unsafe_code)]

/// The backends this VM links (`--jit backend=...` chooses among them).
pub static BACKENDS: &[&metatrace::backend::BackendInfo] =
    &[&metatrace_x86::BACKEND, &metatrace_aarch64::BACKEND];

use metatrace::heap::{GcRef, BYTE_ARRAY};
use metatrace::ir::EffectInfo;
use metatrace::{Interp, Jit, MapReds, Repr, Step, Val};
use std::cell::RefCell;
use std::fmt;
use std::io::{Read, Write};

/// A parsed program: the bf commands (other bytes dropped) and, for each
/// bracket, the index of its partner.
pub struct Program {
    pub code: Vec<u8>,
    pub partner: Vec<usize>,
    /// Byte offset of each command in the source, for messages and logs.
    pub source_pos: Vec<usize>,
}

/// A bf error: parse-time or run-time, with a message naming the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BfError {
    UnmatchedOpen { pos: usize },
    UnmatchedClose { pos: usize },
    LeftOfCellZero { pos: usize },
    TapeTooLong { pos: usize },
}

impl fmt::Display for BfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BfError::UnmatchedOpen { pos } => write!(f, "unmatched '[' at byte {pos}"),
            BfError::UnmatchedClose { pos } => write!(f, "unmatched ']' at byte {pos}"),
            BfError::LeftOfCellZero { pos } => {
                write!(f, "moved left of cell 0 by the '<' at byte {pos}")
            }
            BfError::TapeTooLong { pos } => {
                write!(f, "tape grew past 1 GiB at the '>' at byte {pos}")
            }
        }
    }
}
impl std::error::Error for BfError {}

impl Program {
    pub fn parse(src: &[u8]) -> Result<Program, BfError> {
        let mut code = Vec::new();
        let mut source_pos = Vec::new();
        for (i, &b) in src.iter().enumerate() {
            if b"+-<>[].,".contains(&b) {
                code.push(b);
                source_pos.push(i);
            }
        }
        let mut partner = vec![usize::MAX; code.len()];
        let mut stack = Vec::new();
        for (i, &b) in code.iter().enumerate() {
            match b {
                b'[' => stack.push(i),
                b']' => {
                    let open = stack
                        .pop()
                        .ok_or(BfError::UnmatchedClose { pos: source_pos[i] })?;
                    partner[open] = i;
                    partner[i] = open;
                }
                _ => {}
            }
        }
        if let Some(open) = stack.pop() {
            return Err(BfError::UnmatchedOpen {
                pos: source_pos[open],
            });
        }
        Ok(Program {
            code,
            partner,
            source_pos,
        })
    }
}

/// The reds: where we are on the tape, and the tape.
pub struct Frame<R: Repr> {
    pub pos: R::Int,
    pub tape: R::Ref,
}

/// Initial tape size; the tape doubles when `>` runs off its end.
pub const INITIAL_TAPE: i64 = 30_000;
const MAX_TAPE: i64 = 1 << 30;

// ---- residual calls: I/O and tape growth stay calls in traces ----------

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// When set, output stays in `OUT` (tests) instead of going to stdout.
    static CAPTURE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static IN: RefCell<Option<Box<dyn Read>>> = const { RefCell::new(None) };
}

/// Makes this thread's program read `input` and keep its output for
/// [`take_output`] instead of using stdin/stdout (tests).
pub fn capture_io(input: &[u8]) {
    CAPTURE.with(|c| c.set(true));
    let input = input.to_vec();
    IN.with(|i| *i.borrow_mut() = Some(Box::new(std::io::Cursor::new(input))));
}

extern "C" fn bf_putchar(c: i64) {
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        o.push(c as u8);
        if o.len() >= 1 << 16 && !CAPTURE.with(|c| c.get()) {
            let _ = std::io::stdout().write_all(&o);
            o.clear();
        }
    })
}

extern "C" fn bf_getchar() -> i64 {
    flush_output();
    IN.with(|i| {
        let mut i = i.borrow_mut();
        let r = i.get_or_insert_with(|| Box::new(std::io::BufReader::new(std::io::stdin())));
        let mut b = [0u8; 1];
        match r.read(&mut b) {
            Ok(1) => b[0] as i64,
            _ => 0,
        }
    })
}

/// A copy of `tape` with room for `pos` (doubling); null if too large.
extern "C" fn bf_grow(tape: GcRef, pos: i64) -> GcRef {
    let old = metatrace::heap::arraylen(tape, &BYTE_ARRAY);
    let mut len = old.max(1);
    while len <= pos {
        len *= 2;
    }
    if len > MAX_TAPE {
        return GcRef::NULL;
    }
    let new = metatrace::heap::new_array(&BYTE_ARRAY, len).expect("length checked");
    for i in 0..old {
        let b = metatrace::heap::getarrayitem(tape, &BYTE_ARRAY, i);
        metatrace::heap::setarrayitem(new, &BYTE_ARRAY, i, b);
    }
    new
}

metatrace::residual!(static PUTCHAR = fn bf_putchar(c: i64), EffectInfo::RESIDUAL);
metatrace::residual!(static GETCHAR = fn bf_getchar() -> i64, EffectInfo::RESIDUAL);
metatrace::residual!(static GROW = fn bf_grow(tape: GcRef, pos: i64) -> GcRef, EffectInfo::RESIDUAL);

/// Writes buffered output to stdout (unless capturing).
pub fn flush_output() {
    if CAPTURE.with(|c| c.get()) {
        return;
    }
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(&o);
        let _ = stdout.flush();
        o.clear();
    })
}

/// Takes the buffered output (tests).
pub fn take_output() -> Vec<u8> {
    OUT.with(|o| std::mem::take(&mut *o.borrow_mut()))
}

/// The interpreter.
pub struct Bf {
    pub program: Program,
}

impl Interp for Bf {
    /// The pc is the only green: the program is fixed.
    type Greens = usize;
    type Frame<R: Repr> = Frame<R>;
    type Ret<R: Repr> = Result<(), BfError>;

    fn map_frame<A: Repr, B: Repr>(f: &Frame<A>, m: &mut impl MapReds<A, B>) -> Frame<B> {
        Frame {
            pos: m.int(f.pos),
            tape: m.gcref(f.tape),
        }
    }
    fn map_ret<A: Repr, B: Repr>(
        r: &Result<(), BfError>,
        _: &mut impl MapReds<A, B>,
    ) -> Result<(), BfError> {
        r.clone()
    }

    fn printable_location(&self, pc: &usize) -> String {
        match self.program.code.get(*pc) {
            Some(&c) => format!(
                "bf pc={pc} '{}' @{}",
                c as char, self.program.source_pos[*pc]
            ),
            None => format!("bf pc={pc} end"),
        }
    }

    fn step<C: Jit<Self>>(
        &mut self,
        ctx: &mut C,
        pc: &mut usize,
        f: &mut Frame<C::R>,
    ) -> Step<Result<(), BfError>> {
        let Some(&op) = self.program.code.get(*pc) else {
            return Step::Return(Ok(()));
        };
        // Source position, only needed for error messages.
        let here = |pc: &usize| self.program.source_pos[*pc - 1];
        *pc += 1;
        match op {
            b'>' => {
                let one = ctx.const_int(1);
                f.pos = ctx.int_add(f.pos, one);
                let len = ctx.arraylen(f.tape, &BYTE_ARRAY);
                let past_end = ctx.int_ge(f.pos, len);
                if ctx.is_true(past_end) {
                    let grown = ctx
                        .call(&GROW, &[Val::Ref(f.tape), Val::Int(f.pos)])
                        .gcref();
                    if ctx.is_null(grown) {
                        return Step::Return(Err(BfError::TapeTooLong { pos: here(pc) }));
                    }
                    f.tape = grown;
                }
            }
            b'<' => {
                let zero = ctx.const_int(0);
                let at_zero = ctx.int_eq(f.pos, zero);
                if ctx.is_true(at_zero) {
                    return Step::Return(Err(BfError::LeftOfCellZero { pos: here(pc) }));
                }
                let one = ctx.const_int(1);
                f.pos = ctx.int_sub(f.pos, one);
            }
            b'+' | b'-' => {
                let v = ctx.getarrayitem_i(f.tape, &BYTE_ARRAY, f.pos);
                let d = ctx.const_int(if op == b'+' { 1 } else { -1 });
                let v = ctx.int_add(v, d);
                let mask = ctx.const_int(255);
                let v = ctx.int_and(v, mask);
                ctx.setarrayitem_i(f.tape, &BYTE_ARRAY, f.pos, v);
            }
            b'.' => {
                let v = ctx.getarrayitem_i(f.tape, &BYTE_ARRAY, f.pos);
                ctx.call(&PUTCHAR, &[Val::Int(v)]);
            }
            b',' => {
                let v = ctx.call(&GETCHAR, &[]).int();
                ctx.setarrayitem_i(f.tape, &BYTE_ARRAY, f.pos, v);
            }
            b'[' => {
                let v = ctx.getarrayitem_i(f.tape, &BYTE_ARRAY, f.pos);
                if !ctx.is_true(v) {
                    *pc = self.program.partner[*pc - 1] + 1;
                }
            }
            b']' => {
                let v = ctx.getarrayitem_i(f.tape, &BYTE_ARRAY, f.pos);
                if ctx.is_true(v) {
                    *pc = self.program.partner[*pc - 1] + 1;
                    return Step::CanEnterJit;
                }
            }
            _ => unreachable!("parser keeps only commands"),
        }
        Step::Next
    }
}

/// Runs `program` on a fresh tape with the given driver.
pub fn run(driver: &mut metatrace::JitDriver<Bf>, bf: &mut Bf) -> Result<(), BfError> {
    let tape = metatrace::heap::new_array(&BYTE_ARRAY, INITIAL_TAPE).expect("small tape");
    let r = driver.run(bf, 0, Frame { pos: 0, tape });
    flush_output();
    r
}
