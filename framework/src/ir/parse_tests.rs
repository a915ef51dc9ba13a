//! Tests of the trace parser: round trips, error positions, never panicking.
use super::*;
use crate::ir::print::fixtures::{fx, table};
use crate::ir::print::{print_op, print_trace};
use crate::ir::verify::verify;

fn parse(s: &str) -> Trace {
    match parse_trace(s, &table()) {
        Ok(t) => t,
        Err(e) => panic!("{e} (col {})\n{s}", e.col),
    }
}

fn parse_err(s: &str) -> ParseError {
    match parse_trace(s, &table()) {
        Ok(t) => panic!("expected an error, parsed:\n{t}"),
        Err(e) => e,
    }
}

/// `print(parse(s)) == s` and `parse(print(t)) == t`.
fn round_trip(s: &str) -> Trace {
    let t = parse(s);
    assert_eq!(print_trace(&t), s);
    assert_eq!(parse(&print_trace(&t)), t);
    t
}

const LOOP: &str = "\
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

#[test]
fn printed_loop_round_trips() {
    let t = round_trip(LOOP);
    let f = fx();
    assert_eq!(t.inputargs, vec![Var(0), Var(1)]);
    assert_eq!(t.kinds[..3], [Kind::Int, Kind::Ref, Kind::Int]);
    assert_eq!(t.ops[1].comment.as_deref(), Some("bf pc=3 +"));
    assert_eq!(t.ops[1].args.as_slice(), &[Operand::ConstInt(0)]);
    assert_eq!(t.ops[4].descr, Some(Descr::Field(f.x)));
    assert_eq!(t.ops[8].args[0], Operand::ConstInt(0x55d0));
    assert_eq!(t.ops[8].descr, Some(Descr::Call(f.getchar)));
    assert_eq!(t.ops[3].fail_args, Some(vec![Var(0).into(), Var(1).into()]));
    assert_eq!(t.ops[9].guard_id(), Some(GuardId(4)));
}

#[test]
fn floats_round_trip_bit_exactly() {
    let s = "\
[f0]
f1 = float_add(f0, -0.0)
f2 = float_mul(f1, inf)
f3 = float_sub(f2, -inf)
f4 = float_add(f3, nan)
f5 = float_add(f4, float_bits(0xfff8000000000001))
f6 = float_add(f5, float_bits(0x7ff0000000000001))
f7 = float_truediv(f6, 1e300)
f8 = float_truediv(f7, 5e-324)
f9 = float_add(f8, 0.1)
finish(f9, descr=<Guard1>)
";
    let t = round_trip(s);
    let c = |k: usize| t.ops[k].args[1];
    assert_eq!(c(0), Operand::ConstFloat((-0.0f64).to_bits()));
    assert_eq!(c(1), Operand::float(f64::INFINITY));
    assert_eq!(c(2), Operand::float(f64::NEG_INFINITY));
    assert_eq!(c(3), Operand::ConstFloat(CANONICAL_NAN));
    assert_eq!(c(4), Operand::ConstFloat(0xfff8_0000_0000_0001));
    assert_eq!(c(5), Operand::ConstFloat(0x7ff0_0000_0000_0001));
    assert_eq!(c(7), Operand::ConstFloat(1));
    verify(&t).unwrap();
}

#[test]
fn refs_calls_arrays_round_trip() {
    let s = "\
[p0, i1, f2]
p3 = getfield_gc_r(p0, descr=<FieldP Point.next 24>)
i4 = ptr_eq(p3, ConstPtr(null))
guard_false(i4, descr=<Guard1>) []
setfield_gc(p3, ConstPtr(0xdeadbeef0), descr=<FieldP Point.next 24>)
i5 = getfield_gc_i(p3, descr=<FieldU Point.flags 32>)
p6 = new_array(i1, descr=<ArrayF FloatArray 8>)
setarrayitem_gc(p6, 0, f2, descr=<ArrayF FloatArray 8>)
f7 = getarrayitem_gc_f(p6, 0, descr=<ArrayF FloatArray 8>)
i8 = arraylen_gc(p6, descr=<ArrayF FloatArray 8>)
i9 = call_i(ConstClass(0x55d0), i5, i8, descr=<Calli add2>)
f10 = call_pure_f(ConstClass(0x55d0), f7, descr=<Callf fsqrt>)
p11 = call_r(ConstClass(0x55d0), descr=<Callr mk>)
call_n(ConstClass(0xffffffffffffffff), -7, descr=<Calln putc>)
guard_no_exception(descr=<Guard2>) [p11, f10, -9223372036854775808]
guard_value(i9, 3, descr=<Guard3>) [ConstPtr(null), 2.5]
finish(i9, f10, p11, descr=<Guard4>)
";
    let t = round_trip(s);
    assert_eq!(t.ops[12].args[0], Operand::ConstInt(-1));
    assert_eq!(t.ops[3].args[1], Operand::ConstPtr(0xdeadbeef0));
    verify(&t).unwrap();
}

#[test]
fn hand_written_pypy_style() {
    let s = "
        # a comment line, then a blank one

        [i0, p0, i1]          # trailing comment
        i2 = int_add(i0, i1)
        i3 = getfield_gc_i(p0, descr=Point.x)
          guard_true(i3, descr=<Guard0x10>) [i2, p0]
        f0 = cast_int_to_float(i3)
        f1 = float_add(f0, 1.500000)
        r9 = same_as_r(p0)
        debug_merge_point(0, \"it's #3\")
        jump(i2, r9, i1, descr=TargetToken(7))
    ";
    let t = parse(s);
    let f = fx();
    // i0, i1, i2, i3 keep their numbers; p0 clashes with i0, f0 and f1
    // with i0/i1, so they get fresh indices above the kept ones. r9
    // keeps 9.
    assert_eq!(t.inputargs, vec![Var(0), Var(10), Var(1)]);
    assert_eq!(t.kind(Var(10)), Kind::Ref);
    assert_eq!(t.kind(Var(9)), Kind::Ref);
    assert_eq!(t.kinds[4], Kind::Void);
    assert_eq!(t.ops[1].descr, Some(Descr::Field(f.x)));
    assert_eq!(t.ops[2].guard_id(), Some(GuardId(16)));
    assert_eq!(t.ops[4].args[1], Operand::float(1.5));
    assert_eq!(t.ops[6].comment.as_deref(), Some("it's #3"));
    assert_eq!(print_op(&t, &t.ops[4]), "f12 = float_add(f11, 1.5)");
    // Printing canonicalizes; the canonical text round-trips.
    round_trip(&print_trace(&t));
}

#[test]
fn escapes_in_comments() {
    let s = "[]\ndebug_merge_point(2, 'a\\'b\\\\c\\nd\\u{1}\\té')\nfinish(descr=<Guard0>)\n";
    let t = round_trip(s);
    assert_eq!(t.ops[0].comment.as_deref(), Some("a'b\\c\nd\u{1}\té"));
    let t = parse("[]\ndebug_merge_point(0, '')\nfinish(descr=<Guard0>)\n");
    assert_eq!(t.ops[0].comment.as_deref(), Some(""));
    let t = parse("[]\ndebug_merge_point(0)\nfinish(descr=<Guard0>)\n");
    assert_eq!(t.ops[0].comment, None);
}

#[test]
fn guards_without_descr_or_fail_args_are_kept_as_written() {
    let t = round_trip("[i0]\nguard_true(i0)\nguard_false(i0) []\nfinish(descr=<Guard1>)\n");
    assert_eq!(t.ops[0].descr, None);
    assert_eq!(t.ops[0].fail_args, None);
    assert_eq!(t.ops[1].fail_args, Some(vec![]));
}

#[test]
fn virtuals_round_trip() {
    let s = "[i0, i1]
guard_true(i1, descr=<Guard1>) [i0, ConstPtr(null), ConstPtr(null)] virtuals=[@1 = new(Point) {Point.x=@0, Point.next=@2}, @2 = new_array(IntArray, 2) {1=@0}]
guard_false(i1, descr=<Guard2>) [ConstPtr(null)] virtuals=[@0 = new(Point) {}]
guard_false(i1, descr=<Guard3>) [ConstPtr(null), i0, ConstPtr(null)] virtuals=[@0 @2 = new(Point) {Point.x=@1}]
finish(descr=<Guard0>)
";
    let t = round_trip(s);
    verify(&t).unwrap();
    let f = fx();
    let v = t.ops[0].virtuals.as_deref().unwrap();
    assert_eq!(v[0].slot, 1);
    assert_eq!(v[0].alloc, crate::ir::VirtualAlloc::Struct(f.point));
    assert_eq!(v[1].fields, vec![(crate::ir::VirtualField::Item(1), 0)]);
    assert_eq!(t.ops[2].virtuals.as_deref().unwrap()[0].also, vec![2]);
    for bad in [
        "virtuals=[@1 @ = new(Point) {}]",
        "virtuals=[@1 = new(IntArray) {}]",
        "virtuals=[@1 = new_array(Point, 1) {}]",
        "virtuals=[@1 = make(Point) {}]",
        "virtuals=[@x = new(Point) {}]",
        "virtuals=[@1 = new(Point) {Nope=@0}]",
        "virtuals=[@1 = new(Point) {Point.x=@0]",
        "virtuals=[@1 = new(Point) {}",
    ] {
        parse_err(&format!(
            "[i0]\nguard_true(i0, descr=<Guard1>) [i0] {bad}\n"
        ));
    }
}

#[test]
fn pending_writes_round_trip() {
    let s = "[p0, i1]
guard_true(i1, descr=<Guard1>) [p0, i1, 7, ConstPtr(null)] virtuals=[@3 = new(Point) {}] pending=[setfield_gc(@0, @2, Point.x), setarrayitem_gc(@0, @1, @2, IntArray), setfield_gc(@0, @3, Point.next)]
guard_false(i1, descr=<Guard2>) [p0, i1] pending=[]
finish(descr=<Guard0>)
";
    let t = round_trip(s);
    verify(&t).unwrap();
    let f = fx();
    let p = t.ops[0].pending.as_deref().unwrap();
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].descr, Descr::Field(f.x));
    assert_eq!((p[0].target, p[0].index, p[0].value), (0, None, 2));
    assert_eq!((p[1].target, p[1].index, p[1].value), (0, Some(1), 2));
    assert_eq!(t.ops[1].pending.as_deref(), Some(&[][..]));
    for bad in [
        "pending=[setfield_gc(@0, @1, IntArray)]",
        "pending=[setarrayitem_gc(@0, @1, Point.x)]",
        "pending=[setarrayitem_gc(@0, @1, @1, Point.x)]",
        "pending=[getfield_gc(@0, @1, Point.x)]",
        "pending=[setfield_gc(@0, @1, Point.x]",
        "pending=[setfield_gc(@0, @1, Point.x)",
    ] {
        parse_err(&format!(
            "[p0, i1]\nguard_true(i1, descr=<Guard1>) [p0, i1] {bad}\n"
        ));
    }
}

#[test]
fn crlf_and_no_final_newline() {
    let t = parse("[i0]\r\ni1 = int_neg(i0)\r\nfinish(i1, descr=<Guard1>)");
    assert_eq!(t.ops.len(), 2);
}

#[test]
fn trace_built_in_code_round_trips() {
    let f = fx();
    let mut t = Trace::new();
    let p0 = t.new_inputarg(Kind::Ref);
    let f1 = t.new_inputarg(Kind::Float);
    let tt = Some(Descr::Target(TargetToken(3)));
    t.push(OpNum::Label, &[p0.into(), f1.into()], tt);
    let i2 = t
        .push(OpNum::GetfieldGcI, &[p0.into()], Some(Descr::Field(f.x)))
        .unwrap();
    let i3 = t
        .push(
            OpNum::CallI,
            &[Operand::ConstInt(0x1234), i2.into(), Operand::ConstInt(-1)],
            Some(Descr::Call(f.add2)),
        )
        .unwrap();
    t.push(OpNum::GuardNoException, &[], Some(Descr::Guard(GuardId(9))));
    t.ops.last_mut().unwrap().fail_args = Some(vec![p0.into(), Operand::float(f64::NAN)]);
    let f4 = t
        .push(OpNum::FloatMul, &[f1.into(), Operand::float(-0.0)], None)
        .unwrap();
    t.push(
        OpNum::SetfieldGc,
        &[p0.into(), i3.into()],
        Some(Descr::Field(f.x)),
    );
    t.push(OpNum::Jump, &[p0.into(), f4.into()], tt);
    verify(&t).unwrap();
    let text = print_trace(&t);
    let back = parse_trace(&text, &DescrTable::from_trace(&t)).unwrap();
    assert_eq!(back, t);
    assert_eq!(print_trace(&back), text);
}

/// Random straight-line traces: ints, floats with arbitrary bit
/// patterns (NaN payloads included), refs, guards, calls.
#[test]
fn random_traces_round_trip() {
    let f = fx();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..200 {
        let mut t = Trace::new();
        let mut ints = vec![t.new_inputarg(Kind::Int)];
        let mut floats = vec![t.new_inputarg(Kind::Float)];
        let refs = vec![t.new_inputarg(Kind::Ref)];
        let mut guard = 0;
        for _ in 0..rng.below(30) {
            // Either a constant `k` or one of the variables `v`.
            let pick = |rng: &mut Rng, v: &[Var], k: Operand| -> Operand {
                if rng.below(3) == 0 {
                    k
                } else {
                    v[rng.below(v.len() as u64) as usize].into()
                }
            };
            let (r1, r2) = (rng.next(), rng.next());
            match rng.below(7) {
                0 => {
                    let a = pick(&mut rng, &ints, Operand::ConstInt(r1 as i64));
                    let b = pick(&mut rng, &ints, Operand::ConstInt(r2 as i64 >> 40));
                    ints.extend(t.push(OpNum::IntSub, &[a, b], None));
                }
                1 => {
                    let a = pick(&mut rng, &floats, Operand::ConstFloat(r1));
                    let b = pick(&mut rng, &floats, Operand::ConstFloat(r2));
                    floats.extend(t.push(OpNum::FloatAdd, &[a, b], None));
                }
                2 => {
                    let a = pick(&mut rng, &ints, Operand::ConstInt(1));
                    guard += 1;
                    t.push(OpNum::GuardTrue, &[a], Some(Descr::Guard(GuardId(guard))));
                    let mut fa = Vec::new();
                    for _ in 0..rng.below(4) {
                        let k = Operand::ConstPtr(rng.next() as usize);
                        fa.push(pick(&mut rng, &floats, k));
                    }
                    t.ops.last_mut().unwrap().fail_args = Some(fa);
                }
                3 => {
                    let p = pick(&mut rng, &refs, Operand::ConstPtr(0));
                    ints.extend(t.push(OpNum::GetfieldGcI, &[p], Some(Descr::Field(f.x))));
                }
                4 => {
                    let a = pick(&mut rng, &floats, Operand::ConstFloat(CANONICAL_NAN));
                    let addr = Operand::ConstInt(r1 as i64);
                    let d = Some(Descr::Call(f.fsqrt));
                    floats.extend(t.push(OpNum::CallF, &[addr, a], d));
                }
                5 => {
                    t.push(OpNum::DebugMergePoint, &[Operand::ConstInt(0)], None);
                    let c: String = (0..rng.below(8))
                        .map(|_| char::from_u32(rng.below(0x300) as u32).unwrap_or('?'))
                        .collect();
                    t.ops.last_mut().unwrap().comment = Some(c.into());
                }
                _ => {
                    let a = pick(&mut rng, &ints, Operand::ConstInt(0));
                    floats.extend(t.push(OpNum::CastIntToFloat, &[a], None));
                }
            }
        }
        let last = *floats.last().unwrap();
        t.push(
            OpNum::Finish,
            &[last.into()],
            Some(Descr::Guard(GuardId(0))),
        );
        verify(&t).unwrap_or_else(|e| panic!("{e}\n{t}"));
        let text = print_trace(&t);
        let back = parse(&text);
        assert_eq!(back, t, "{text}");
        assert_eq!(print_trace(&back), text);
    }
}

#[test]
fn error_line_numbers_and_messages() {
    let e = parse_err("[i0]\ni1 = int_add(i0, 1)\ni2 = int_frob(i1, 1)\n");
    assert_eq!((e.line, e.col), (3, 6));
    assert_eq!(e.to_string(), "line 3: unknown operation 'int_frob'");

    let e = parse_err("# header\n\n[i0]\ni1 = int_add(i0, i5)\nfinish(descr=<Guard1>)\n");
    assert_eq!((e.line, e.col), (4, 18));
    assert_eq!(e.msg, "undefined variable 'i5'");

    let e = parse_err("[i0]\ni1 = int_add(i0, i2)\ni2 = int_neg(i0)\n");
    assert_eq!(e.line, 2);
    assert_eq!(
        e.msg,
        "variable 'i2' is used before its definition on line 3"
    );

    let e = parse_err("[i0]\nguard_true(i0, descr=<Guard1>) [i0, i1]\ni1 = int_neg(i0)\n");
    assert_eq!(e.line, 2);

    let e = parse_err("[i0]\ni1 = int_neg(i0)\ni1 = int_neg(i0)\n");
    assert_eq!((e.line, e.col), (3, 1));
    assert_eq!(e.msg, "variable 'i1' is defined twice (first on line 2)");

    let e = parse_err("[i0, i0]\n");
    assert_eq!((e.line, e.col), (1, 6));

    let e = parse_err("[i0]\n\ni1 = int_add(i0)\n");
    assert_eq!((e.line, e.col), (3, 6));
    assert_eq!(e.msg, "int_add takes 2 arguments, got 1");

    let e = parse_err("[i0]\nint_add(i0, 1)\n");
    assert_eq!(
        e.msg,
        "int_add produces an int result: write `iN = int_add(...)`"
    );

    let e = parse_err("[i0]\ni1 = setfield_gc(p0, i0, descr=Point.x)\n");
    assert_eq!(e.line, 2);
    assert!(e.msg.contains("has no result"), "{e}");

    let e = parse_err("[i0]\nf1 = int_add(i0, 1)\n");
    assert_eq!(
        e.msg,
        "'f1' is a float variable, but int_add produces an int"
    );

    let e = parse_err("[p0]\ni1 = getfield_gc_i(p0, descr=<FieldS Nope.x 8>)\n");
    assert_eq!((e.line, e.msg.as_str()), (2, "unknown descr 'Nope.x'"));

    let e = parse_err("[p0]\ni1 = getfield_gc_i(p0, descr=nope)\n");
    assert_eq!((e.line, e.col), (2, 30));
    assert_eq!(e.msg, "unknown descr 'nope'");

    let e = parse_err("[p0]\ni1 = getfield_gc_i(p0, descr=<ArrayS Point.x 8>)\n");
    assert!(e.msg.contains("is a field descr"), "{e}");

    let e = parse_err("[i0]\ni1 = int_add(i0, 'x')\n");
    assert!(e.msg.contains("only allowed in debug_merge_point"), "{e}");

    let e = parse_err("[i0]\nguard_true(descr=<Guard1>, i0) []\n");
    assert_eq!(e.msg, "descr= must be the last argument");

    let e = parse_err("[i0]\ni1 = int_add(i0, 99999999999999999999)\n");
    assert!(e.msg.contains("out of range"), "{e}");

    let e = parse_err("[i0]\ndebug_merge_point(0, 'abc)\n");
    assert_eq!(
        (e.line, e.col, e.msg.as_str()),
        (2, 22, "unterminated string")
    );

    let e = parse_err("[i0]\ni1 = int_add(i0, 1) garbage\n");
    assert_eq!((e.line, e.col), (2, 21));

    let e = parse_err("# only comments\n\n");
    assert_eq!(e.line, 2);
    assert!(e.msg.contains("inputargs"));
    assert_eq!(parse_err("").line, 1);

    let e = parse_err("i1 = int_add(i0, 1)\n");
    assert_eq!((e.line, e.col), (1, 1));
    assert!(e.msg.contains("inputargs"));

    let e = parse_err("[i0, 5]\n");
    assert_eq!((e.line, e.col), (1, 6));

    let e = parse_err("[x0]\n");
    assert!(e.msg.contains("not a variable name"), "{e}");

    let e = parse_err("[i0]\ni1 = int_add(i0, ConstPtr(ptr0))\n");
    assert!(e.msg.contains("bad address"), "{e}");

    let e = parse_err("[i0]\ni1 = int_add(i0, xyz)\n");
    assert_eq!(e.msg, "expected a variable or a constant, found 'xyz'");

    // The error type is a std error with the documented Display.
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(boxed.to_string().starts_with("line 2: "));
}

#[test]
fn huge_variable_numbers_get_fresh_indices() {
    let t = parse("[i4000000000, i99999999999999999999999]\nfinish(descr=<Guard1>)\n");
    assert_eq!(t.inputargs, vec![Var(0), Var(1)]);
    assert_eq!(t.kinds, vec![Kind::Int, Kind::Int]);
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough to shake the parser.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// Whatever the input, parse returns; whatever it returns prints and
/// verifies without panicking.
fn must_not_panic(s: &str) -> bool {
    match parse_trace(s, &table()) {
        Ok(t) => {
            let _ = print_trace(&t);
            let _ = verify(&t);
            true
        }
        Err(e) => {
            let _ = e.to_string();
            false
        }
    }
}

#[test]
fn fuzz_never_panics() {
    let seeds = [
        LOOP,
        "[p0, i1]\ni2 = call_i(ConstClass(0x10), i1, 2, descr=<Calli add2>)\nguard_value(i2, 3, descr=<Guard1>) [ConstPtr(null), float_bits(0x1), nan, -inf]\ndebug_merge_point(0, 'x\\u{41}\\'')\njump(p0, i2, descr=TargetToken(2))\n",
    ];
    let alphabet: Vec<char> =
        "[](),=<>#'\"\\ \n\tipfr0123456789xX.-+e_abcdnulGuardTargetToken{}é\u{0}"
            .chars()
            .collect();
    let mut rng = Rng(42);
    // Mutants that still parse: they reach print and verify too.
    let mut parsed = 0;
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        // Every prefix.
        for n in 0..=chars.len() {
            must_not_panic(&chars[..n].iter().collect::<String>());
        }
        // Random edits.
        for _ in 0..5000 {
            let mut c = chars.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(c.len() as u64 + 1) as usize;
                let ch = alphabet[rng.below(alphabet.len() as u64) as usize];
                match rng.below(3) {
                    0 if i < c.len() => {
                        c.remove(i);
                    }
                    1 if i < c.len() => c[i] = ch,
                    _ => c.insert(i, ch),
                }
            }
            parsed += must_not_panic(&c.iter().collect::<String>()) as usize;
        }
    }
    assert!(parsed > 200, "only {parsed} mutants parsed");
    // Pure noise.
    for _ in 0..3000 {
        let s: String = (0..rng.below(60))
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        must_not_panic(&format!("[i0, p1, f2]\n{s}"));
        must_not_panic(&s);
    }
}
