//! Printer for PyPy's jit-log-opt text form (DESIGN §5).
//!
//! Owns: the one canonical spelling of a trace, used by logs
//! (`jit-log-opt-*`), snapshot tests and error messages. `parse.rs` reads
//! exactly this spelling back: `print(parse(s)) == s` for printed text,
//! and `parse(print(t)) == t` for every trace whose `kinds` has no entries
//! beyond its defined variables (apart from `Void` gaps) and whose only
//! comments are on `debug_merge_point`s — parsing cannot recover what the
//! text does not show. Any change here must be mirrored there.
//!
//! The spelling, one line per item:
//!
//! ```text
//! [i0, p1]                                        inputargs
//! label(i0, p1, descr=TargetToken(1))
//! debug_merge_point(0, 'bf pc=3 +')               comment as a quoted string
//! i2 = int_add_ovf(i0, 1)
//! guard_no_overflow(descr=<Guard3>) [i0, p1]      fail args in brackets
//! i4 = getfield_gc_i(p1, descr=<FieldS Point.x 8>)
//! f5 = float_add(f3, 1.5)
//! i7 = call_i(ConstClass(0x55d0), i4, descr=<Calli bf_getchar>)
//! jump(i2, p1, descr=TargetToken(1))
//! ```
//!
//! - Variables: kind prefix (`i`/`f`/`p`) + variable index, so names are
//!   unique and parsing can keep the index.
//! - Int constants in decimal. The function address (arg 0) of a call op,
//!   when it is an int constant, prints as `ConstClass(0x..)` like PyPy's
//!   logs; the parser turns `ConstClass(..)` back into an int constant.
//! - Float constants with Rust's `{:?}`, which always contains `.` or `e`
//!   (or is `inf`/`-inf`) and parses back to the same bits. NaN is `nan`
//!   for the canonical quiet NaN and `float_bits(0x..)` for any other
//!   payload or sign, so constant NaNs keep their exact bits.
//! - Ref constants `ConstPtr(0x..)`, null `ConstPtr(null)`.
//! - Descrs: `<GuardN>`, `TargetToken(N)`, `<FieldS name offset>` (S/U/F/P
//!   by kind and sign), `<ArrayS name itemsize>`, `<SizeDescr name size>`,
//!   `<Calli name>` (i/r/f/n by result kind). The parser only looks at the
//!   tag family and the name; the numbers are for the reader.
//! - `Op::comment` is printed only for `debug_merge_point` (the log format
//!   has no place for it elsewhere).
//! - `Op::virtuals` follows a guard's fail args as
//!   ` virtuals=[@1 = new(Node) {Node.x=@0, Node.next=@3}, @3 = new_array(IntArray, 2) {1=@4}]`:
//!   `@N` is fail arg N (the slot, or the value of a field); struct fields
//!   are named by their descr, array items by their index.
//! - `Op::pending` follows the virtuals as
//!   ` pending=[setfield_gc(@0, @3, x), setarrayitem_gc(@1, @2, @4, ints)]`:
//!   the stores a guard's resume performs, operands as fail args, then
//!   the descr's name.
//!
//! Printing never panics, not even on a malformed trace (the verifier
//! prints the ops it rejects): an out-of-range variable prints as `v<N>`.

use super::{
    Descr, Kind, Op, OpNum, Operand, PendingWrite, Trace, Var, VirtualAlloc, VirtualField,
    VirtualInfo,
};
use std::fmt::Write;

/// Bits of the one NaN printed as `nan` (the default quiet NaN, positive).
/// Fixed here rather than taken from `f64::NAN`, whose bit pattern Rust
/// does not promise.
pub(crate) const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

/// The whole trace: the inputargs line, then one line per op, each ending
/// in a newline.
pub fn print_trace(t: &Trace) -> String {
    let mut s = String::with_capacity(32 + 40 * t.ops.len());
    s.push('[');
    for (i, v) in t.inputargs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        write_var(&mut s, t, *v);
    }
    s.push_str("]\n");
    for op in &t.ops {
        write_op(&mut s, t, op);
        s.push('\n');
    }
    s
}

/// One op as a single line (no trailing newline).
pub fn print_op(t: &Trace, op: &Op) -> String {
    let mut s = String::with_capacity(48);
    write_op(&mut s, t, op);
    s
}

/// A variable's name, e.g. `i7`.
pub fn var_name(t: &Trace, v: Var) -> String {
    let mut s = String::new();
    write_var(&mut s, t, v);
    s
}

/// An operand as it appears in an argument list (a call's function
/// address excepted, see the module docs).
pub fn print_operand(t: &Trace, o: &Operand) -> String {
    let mut s = String::new();
    write_operand(&mut s, t, o);
    s
}

/// A descr as it appears after `descr=`.
pub fn print_descr(d: &Descr) -> String {
    let mut s = String::new();
    write_descr(&mut s, d);
    s
}

/// The text of a float constant (see the module docs).
pub fn print_float(bits: u64) -> String {
    let v = f64::from_bits(bits);
    if v.is_nan() {
        if bits == CANONICAL_NAN {
            "nan".to_string()
        } else {
            format!("float_bits({bits:#x})")
        }
    } else {
        // `{:?}` is the shortest text that reads back to the same value and
        // always has a `.` or an exponent, so it never looks like an int.
        format!("{v:?}")
    }
}

/// Quotes a `debug_merge_point` location: single quotes, backslash escapes
/// for quotes, backslashes and control characters so the result stays on
/// one line.
pub fn quote_str(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('\'');
    for c in text.chars() {
        match c {
            '\'' => s.push_str("\\'"),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{{{:x}}}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('\'');
    s
}

fn write_var(s: &mut String, t: &Trace, v: Var) {
    let kind = t.kinds.get(v.index()).copied().unwrap_or(Kind::Void);
    s.push(kind.prefix());
    let _ = write!(s, "{}", v.0);
}

fn write_operand(s: &mut String, t: &Trace, o: &Operand) {
    match *o {
        Operand::Var(v) => write_var(s, t, v),
        Operand::ConstInt(n) => {
            let _ = write!(s, "{n}");
        }
        Operand::ConstFloat(bits) => s.push_str(&print_float(bits)),
        Operand::ConstPtr(0) => s.push_str("ConstPtr(null)"),
        Operand::ConstPtr(p) => {
            let _ = write!(s, "ConstPtr({p:#x})");
        }
    }
}

fn write_op(s: &mut String, t: &Trace, op: &Op) {
    if let Some(res) = op.res {
        write_var(s, t, res);
        s.push_str(" = ");
    }
    s.push_str(op.opnum.name());
    s.push('(');
    let mut first = true;
    let mut sep = |s: &mut String| {
        if !first {
            s.push_str(", ");
        }
        first = false;
    };
    for (i, a) in op.args.iter().enumerate() {
        sep(s);
        match *a {
            // PyPy prints a call's target as ConstClass(addr); the parser maps
            // ConstClass back to an int constant, so this round-trips.
            Operand::ConstInt(addr) if i == 0 && op.opnum.is_call() => {
                let _ = write!(s, "ConstClass({:#x})", addr as u64);
            }
            _ => write_operand(s, t, a),
        }
    }
    if op.opnum == OpNum::DebugMergePoint {
        if let Some(c) = &op.comment {
            sep(s);
            s.push_str(&quote_str(c));
        }
    }
    if let Some(d) = &op.descr {
        sep(s);
        s.push_str("descr=");
        write_descr(s, d);
    }
    s.push(')');
    if let Some(fa) = &op.fail_args {
        s.push_str(" [");
        for (i, a) in fa.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            write_operand(s, t, a);
        }
        s.push(']');
    }
    if let Some(vs) = &op.virtuals {
        write_virtuals(s, vs);
    }
    if let Some(ps) = &op.pending {
        write_pending(s, ps);
    }
}

/// ` pending=[setfield_gc(@0, @3, x), setarrayitem_gc(@1, @2, @4, ints)]`:
/// object, (index,) value as fail args, then the descr's name.
fn write_pending(s: &mut String, ps: &[PendingWrite]) {
    s.push_str(" pending=[");
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let name = p.descr.name().unwrap_or("?");
        let _ = match p.index {
            None => write!(s, "setfield_gc(@{}, @{}, {name})", p.target, p.value),
            Some(i) => write!(
                s,
                "setarrayitem_gc(@{}, @{i}, @{}, {name})",
                p.target, p.value
            ),
        };
    }
    s.push(']');
}

/// ` virtuals=[@1 @5 = new(Node) {x=@0, next=@3}, @3 = new_array(refs, 2) {1=@4}]`:
/// `@N` is fail arg N (several before `=` when one object fills several
/// slots); a struct field is named by its descr, an array item by its
/// index.
fn write_virtuals(s: &mut String, vs: &[VirtualInfo]) {
    s.push_str(" virtuals=[");
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        for slot in v.slots() {
            let _ = write!(s, "@{slot} ");
        }
        let _ = match v.alloc {
            VirtualAlloc::Struct(d) => write!(s, "= new({}) {{", d.name),
            VirtualAlloc::Array(d, n) => write!(s, "= new_array({}, {n}) {{", d.name),
        };
        for (j, (f, idx)) in v.fields.iter().enumerate() {
            if j > 0 {
                s.push_str(", ");
            }
            let _ = match f {
                VirtualField::Field(fd) => write!(s, "{}=@{idx}", fd.name),
                VirtualField::Item(k) => write!(s, "{k}=@{idx}"),
            };
        }
        s.push('}');
    }
    s.push(']');
}

/// Field/array letter: PyPy's S(igned)/U(nsigned)/F(loat)/P(ointer).
fn kind_letter(kind: Kind, signed: bool) -> char {
    match kind {
        Kind::Int if signed => 'S',
        Kind::Int => 'U',
        Kind::Float => 'F',
        Kind::Ref => 'P',
        Kind::Void => 'V',
    }
}

/// Call letter: the same suffix as the call op (`call_i` → `Calli`).
fn call_letter(kind: Kind) -> char {
    match kind {
        Kind::Int => 'i',
        Kind::Float => 'f',
        Kind::Ref => 'r',
        Kind::Void => 'n',
    }
}

fn write_descr(s: &mut String, d: &Descr) {
    let _ = match *d {
        Descr::Guard(g) => write!(s, "<Guard{}>", g.0),
        Descr::Target(tt) => write!(s, "TargetToken({})", tt.0),
        Descr::Field(f) => write!(
            s,
            "<Field{} {} {}>",
            kind_letter(f.kind, f.signed),
            f.name,
            f.offset
        ),
        Descr::Array(a) => write!(
            s,
            "<Array{} {} {}>",
            kind_letter(a.kind, a.signed),
            a.name,
            a.item_size
        ),
        Descr::Size(z) => write!(s, "<SizeDescr {} {}>", z.name, z.size),
        Descr::Call(c) => write!(s, "<Call{} {}>", call_letter(c.result), c.name),
        Descr::Assembler(c) => write!(s, "<Assembler{} {}>", call_letter(c.result), c.name),
    };
}

/// Descriptors shared by the IR tests of this module, `parse` and `verify`.
/// Leaked once, like the per-type singletons a VM creates.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::ir::{
        ArrayDescr, CallDescr, Descr, DescrTable, EffectInfo, FieldDescr, Kind, SizeDescr,
    };
    use std::sync::OnceLock;

    pub struct Fx {
        pub x: &'static FieldDescr,
        pub y: &'static FieldDescr,
        pub next: &'static FieldDescr,
        pub flags: &'static FieldDescr,
        pub ints: &'static ArrayDescr,
        pub floats: &'static ArrayDescr,
        pub refs: &'static ArrayDescr,
        pub point: &'static SizeDescr,
        pub getchar: &'static CallDescr,
        pub add2: &'static CallDescr,
        pub fsqrt: &'static CallDescr,
        pub mk: &'static CallDescr,
        pub putc: &'static CallDescr,
    }

    fn field(name: &'static str, offset: usize, kind: Kind, signed: bool) -> &'static FieldDescr {
        Box::leak(Box::new(FieldDescr::new(
            name,
            0,
            offset,
            if kind == Kind::Int && !signed { 1 } else { 8 },
            signed,
            kind,
            false,
            false,
        )))
    }

    fn array(name: &'static str, kind: Kind) -> &'static ArrayDescr {
        // The built-in arrays' ids: same layout, so the collector's type
        // table agrees.
        let tid = match kind {
            Kind::Int => 1,
            Kind::Float => 2,
            _ => 3,
        };
        Box::leak(Box::new(ArrayDescr::new(name, tid, 8, 16, 8, true, kind)))
    }

    fn call(
        name: &'static str,
        args: &'static [Kind],
        result: Kind,
        invoke: fn(&[u64]) -> u64,
    ) -> &'static CallDescr {
        Box::leak(Box::new(CallDescr {
            name,
            addr: 0x55d0,
            args,
            result,
            effect: EffectInfo::RESIDUAL,
            invoke,
        }))
    }

    fn getchar(_: &[u64]) -> u64 {
        b'a' as u64
    }
    fn add2(a: &[u64]) -> u64 {
        a[0].wrapping_add(a[1])
    }
    fn fsqrt(a: &[u64]) -> u64 {
        f64::from_bits(a[0]).sqrt().to_bits()
    }
    fn nothing(_: &[u64]) -> u64 {
        0
    }

    pub fn fx() -> &'static Fx {
        static FX: OnceLock<Fx> = OnceLock::new();
        FX.get_or_init(|| Fx {
            x: field("Point.x", 8, Kind::Int, true),
            y: field("Point.y", 16, Kind::Float, true),
            next: field("Point.next", 24, Kind::Ref, false),
            flags: field("Point.flags", 32, Kind::Int, false),
            ints: array("IntArray", Kind::Int),
            floats: array("FloatArray", Kind::Float),
            refs: array("RefArray", Kind::Ref),
            point: Box::leak(Box::new(SizeDescr {
                name: "Point",
                tid: 103,
                size: 40,
                gc_ptrs: &[24],
            })),
            getchar: call("bf_getchar", &[], Kind::Int, getchar),
            add2: call("add2", &[Kind::Int, Kind::Int], Kind::Int, add2),
            fsqrt: call("fsqrt", &[Kind::Float], Kind::Float, fsqrt),
            mk: call("mk", &[], Kind::Ref, nothing),
            putc: call("putc", &[Kind::Int], Kind::Void, nothing),
        })
    }

    /// Every fixture descr, by name.
    pub fn table() -> DescrTable {
        let f = fx();
        let mut t = DescrTable::new();
        t.add(Descr::Field(f.x))
            .add(Descr::Field(f.y))
            .add(Descr::Field(f.next))
            .add(Descr::Field(f.flags))
            .add(Descr::Array(f.ints))
            .add(Descr::Array(f.floats))
            .add(Descr::Array(f.refs))
            .add(Descr::Size(f.point))
            .add(Descr::Call(f.getchar))
            .add(Descr::Call(f.add2))
            .add(Descr::Call(f.fsqrt))
            .add(Descr::Call(f.mk))
            .add(Descr::Call(f.putc));
        t
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::fx;
    use super::*;
    use crate::ir::{GuardId, TargetToken};

    fn guard(t: &mut Trace, opnum: OpNum, args: &[Operand], id: u32, fail: &[Operand]) {
        t.push(opnum, args, Some(Descr::Guard(GuardId(id))));
        t.ops.last_mut().unwrap().fail_args = Some(fail.to_vec());
    }

    /// The trace of the module docs, built by hand.
    fn sample() -> Trace {
        let f = fx();
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        let p1 = t.new_inputarg(Kind::Ref);
        let tt = Some(Descr::Target(TargetToken(1)));
        t.push(OpNum::Label, &[i0.into(), p1.into()], tt);
        t.push(OpNum::DebugMergePoint, &[Operand::ConstInt(0)], None);
        t.ops.last_mut().unwrap().comment = Some("bf pc=3 +".into());
        let i2 = t
            .push(OpNum::IntAddOvf, &[i0.into(), Operand::ConstInt(1)], None)
            .unwrap();
        guard(
            &mut t,
            OpNum::GuardNoOverflow,
            &[],
            3,
            &[i0.into(), p1.into()],
        );
        let i3 = t
            .push(OpNum::GetfieldGcI, &[p1.into()], Some(Descr::Field(f.x)))
            .unwrap();
        let f4 = t
            .push(OpNum::GetfieldGcF, &[p1.into()], Some(Descr::Field(f.y)))
            .unwrap();
        t.push(OpNum::FloatAdd, &[f4.into(), Operand::float(1.5)], None);
        t.push(OpNum::New, &[], Some(Descr::Size(f.point)));
        t.push(
            OpNum::CallI,
            &[Operand::ConstInt(0x55d0), i3.into()],
            Some(Descr::Call(f.getchar)),
        );
        guard(
            &mut t,
            OpNum::GuardTrue,
            &[i3.into()],
            4,
            &[i2.into(), p1.into()],
        );
        t.push(OpNum::Jump, &[i2.into(), p1.into()], tt);
        t
    }

    #[test]
    fn prints_the_documented_form() {
        let expected = "\
[i0, p1]
label(i0, p1, descr=TargetToken(1))
debug_merge_point(0, 'bf pc=3 +')
i2 = int_add_ovf(i0, 1)
guard_no_overflow(descr=<Guard3>) [i0, p1]
i3 = getfield_gc_i(p1, descr=<FieldS Point.x 8>)
f4 = getfield_gc_f(p1, descr=<FieldF Point.y 16>)
f5 = float_add(f4, 1.5)
p6 = new(descr=<SizeDescr Point 40>)
i7 = call_i(ConstClass(0x55d0), i3, descr=<Calli bf_getchar>)
guard_true(i3, descr=<Guard4>) [i2, p1]
jump(i2, p1, descr=TargetToken(1))
";
        let t = sample();
        assert_eq!(print_trace(&t), expected);
        assert_eq!(t.to_string(), expected);
    }

    #[test]
    fn print_op_is_one_line() {
        let t = sample();
        assert_eq!(print_op(&t, &t.ops[2]), "i2 = int_add_ovf(i0, 1)");
        assert_eq!(
            print_op(&t, &t.ops[3]),
            "guard_no_overflow(descr=<Guard3>) [i0, p1]"
        );
    }

    #[test]
    fn empty_trace() {
        assert_eq!(print_trace(&Trace::new()), "[]\n");
    }

    #[test]
    fn constants() {
        let t = Trace::new();
        let p = |o: Operand| print_operand(&t, &o);
        assert_eq!(p(Operand::ConstInt(-42)), "-42");
        assert_eq!(p(Operand::ConstInt(i64::MIN)), "-9223372036854775808");
        assert_eq!(p(Operand::ConstPtr(0)), "ConstPtr(null)");
        assert_eq!(p(Operand::ConstPtr(0xdead0)), "ConstPtr(0xdead0)");
        assert_eq!(p(Operand::float(1.0)), "1.0");
        assert_eq!(p(Operand::float(-0.0)), "-0.0");
        assert_eq!(p(Operand::float(1e300)), "1e300");
        assert_eq!(p(Operand::float(2.5e-8)), "2.5e-8");
        assert_eq!(p(Operand::float(f64::INFINITY)), "inf");
        assert_eq!(p(Operand::float(f64::NEG_INFINITY)), "-inf");
        assert_eq!(p(Operand::ConstFloat(CANONICAL_NAN)), "nan");
        assert_eq!(
            p(Operand::ConstFloat(0xfff8_0000_0000_0001)),
            "float_bits(0xfff8000000000001)"
        );
    }

    #[test]
    fn finite_floats_always_look_like_floats_and_read_back() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_nan() {
                continue;
            }
            let s = print_float(x);
            assert!(
                s.contains('.') || s.contains('e') || s.contains("inf"),
                "{s}"
            );
            assert_eq!(s.parse::<f64>().unwrap().to_bits(), x, "{s}");
        }
    }

    #[test]
    fn descrs() {
        let f = fx();
        assert_eq!(print_descr(&Descr::Field(f.x)), "<FieldS Point.x 8>");
        assert_eq!(
            print_descr(&Descr::Field(f.flags)),
            "<FieldU Point.flags 32>"
        );
        assert_eq!(print_descr(&Descr::Field(f.next)), "<FieldP Point.next 24>");
        assert_eq!(print_descr(&Descr::Array(f.ints)), "<ArrayS IntArray 8>");
        assert_eq!(
            print_descr(&Descr::Array(f.floats)),
            "<ArrayF FloatArray 8>"
        );
        assert_eq!(print_descr(&Descr::Array(f.refs)), "<ArrayP RefArray 8>");
        assert_eq!(print_descr(&Descr::Size(f.point)), "<SizeDescr Point 40>");
        assert_eq!(print_descr(&Descr::Call(f.add2)), "<Calli add2>");
        assert_eq!(print_descr(&Descr::Call(f.fsqrt)), "<Callf fsqrt>");
        assert_eq!(print_descr(&Descr::Call(f.mk)), "<Callr mk>");
        assert_eq!(print_descr(&Descr::Call(f.putc)), "<Calln putc>");
        assert_eq!(print_descr(&Descr::Guard(GuardId(12))), "<Guard12>");
        assert_eq!(
            print_descr(&Descr::Target(TargetToken(5))),
            "TargetToken(5)"
        );
    }

    #[test]
    fn guards_with_and_without_fail_args() {
        let mut t = Trace::new();
        let i0 = t.new_inputarg(Kind::Int);
        t.push(
            OpNum::GuardTrue,
            &[i0.into()],
            Some(Descr::Guard(GuardId(1))),
        );
        guard(&mut t, OpNum::GuardFalse, &[i0.into()], 2, &[]);
        guard(
            &mut t,
            OpNum::GuardTrue,
            &[i0.into()],
            3,
            &[Operand::ConstInt(5), Operand::ConstPtr(0)],
        );
        assert_eq!(print_op(&t, &t.ops[0]), "guard_true(i0, descr=<Guard1>)");
        assert_eq!(
            print_op(&t, &t.ops[1]),
            "guard_false(i0, descr=<Guard2>) []"
        );
        assert_eq!(
            print_op(&t, &t.ops[2]),
            "guard_true(i0, descr=<Guard3>) [5, ConstPtr(null)]"
        );
    }

    #[test]
    fn comments_are_quoted_and_escaped() {
        assert_eq!(quote_str("a'b\\c\nd\u{1}é"), r"'a\'b\\c\nd\u{1}é'");
        let mut t = Trace::new();
        t.push(OpNum::DebugMergePoint, &[Operand::ConstInt(1)], None);
        assert_eq!(print_op(&t, &t.ops[0]), "debug_merge_point(1)");
        t.ops[0].comment = Some("".into());
        assert_eq!(print_op(&t, &t.ops[0]), "debug_merge_point(1, '')");
        // Comments on other ops have no place in the format.
        t.push(
            OpNum::IntAdd,
            &[Operand::ConstInt(1), Operand::ConstInt(2)],
            None,
        );
        t.ops[1].comment = Some("x".into());
        assert_eq!(print_op(&t, &t.ops[1]), "i0 = int_add(1, 2)");
    }

    #[test]
    fn malformed_traces_print_without_panicking() {
        let mut t = Trace::new();
        t.inputargs.push(Var(9));
        t.ops
            .push(Op::new(OpNum::IntAdd, &[Var(3).into()], Some(Var(4)), None));
        t.ops.push(Op::new(OpNum::CallN, &[], None, None));
        assert_eq!(print_trace(&t), "[v9]\nv4 = int_add(v3)\ncall_n()\n");
    }
}
