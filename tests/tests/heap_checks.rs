//! The checked heap API reports misuse instead of corrupting memory: a
//! descriptor of another type, null, an index out of bounds, a made-up
//! descriptor outside the object or over a reference slot, raw bits
//! into a reference slot, a descriptor changed after it was checked, a
//! second layout for a registered type id.

use metatrace::heap::{self, GcRef, HeapError, INT_ARRAY, REF_ARRAY};
use metatrace::ir::{FieldDescr, Kind, SizeDescr, Verdict};

metatrace::gc_struct! {
    pub struct Point as point {
        x: i64,
        next: GcRef,
    }
}
metatrace::gc_struct! {
    pub struct Other as other {
        y: i64,
    }
}

#[test]
fn a_descriptor_of_another_type_is_refused() {
    let p = heap::new_struct(&point::SIZE);
    let o = heap::new_struct(&other::SIZE);
    assert_eq!(heap::try_getfield(p, &point::x), Ok(0));
    assert!(matches!(
        heap::try_getfield(o, &point::x),
        Err(HeapError::WrongType { .. })
    ));
    assert!(matches!(
        heap::try_setfield(p, &other::y, 5),
        Err(HeapError::WrongType { .. })
    ));
    // The fast path cached `point::x` for Point; Other still fails.
    assert!(heap::try_getfield(o, &point::x).is_err());
}

#[test]
fn null_is_refused_with_a_clear_message() {
    let e = heap::try_getfield(GcRef::NULL, &point::x).unwrap_err();
    assert!(matches!(e, HeapError::Null { .. }));
    assert_eq!(e.to_string(), "Point.x: access through a null reference");
    assert!(heap::try_getarrayitem(GcRef::NULL, &INT_ARRAY, 0).is_err());
}

#[test]
fn indexes_outside_the_array_are_refused() {
    let a = heap::new_array(&INT_ARRAY, 3).unwrap();
    heap::setarrayitem(a, &INT_ARRAY, 2, 7);
    assert_eq!(heap::try_getarrayitem(a, &INT_ARRAY, 2), Ok(7));
    for i in [-1, 3, i64::MAX, i64::MIN] {
        assert_eq!(
            heap::try_getarrayitem(a, &INT_ARRAY, i),
            Err(HeapError::IndexOutOfBounds {
                descr: "IntArray",
                index: i,
                len: 3
            })
        );
        assert!(heap::try_setarrayitem(a, &INT_ARRAY, i, 1).is_err());
    }
    // An int array is not a reference array.
    assert!(matches!(
        heap::try_getarrayitem(a, &REF_ARRAY, 0),
        Err(HeapError::WrongType { .. })
    ));
}

#[test]
fn made_up_descriptors_are_checked_against_the_registered_layout() {
    let p = heap::new_struct(&point::SIZE);
    let tid = point::SIZE.tid;
    let bad = |d: FieldDescr| {
        let d: &'static FieldDescr = Box::leak(Box::new(d));
        heap::try_getfield(p, d)
    };
    // Past the end of the object.
    let e = bad(FieldDescr::new(
        "Point.far",
        tid,
        4096,
        8,
        true,
        Kind::Int,
        false,
        false,
    ));
    assert!(matches!(e, Err(HeapError::BadDescr { .. })), "{e:?}");
    // Over the header.
    let e = bad(FieldDescr::new(
        "Point.hdr",
        tid,
        0,
        8,
        true,
        Kind::Int,
        false,
        false,
    ));
    assert!(matches!(e, Err(HeapError::BadDescr { .. })), "{e:?}");
    // Misaligned.
    let e = bad(FieldDescr::new(
        "Point.odd",
        tid,
        9,
        4,
        true,
        Kind::Int,
        false,
        false,
    ));
    assert!(matches!(e, Err(HeapError::BadDescr { .. })), "{e:?}");
    // An integer view of the reference slot, and a reference view of the
    // integer slot: both would let safe code forge references.
    let next = std::mem::offset_of!(Point, next);
    let e = bad(FieldDescr::new(
        "Point.n",
        tid,
        next,
        8,
        true,
        Kind::Int,
        false,
        false,
    ));
    assert!(matches!(e, Err(HeapError::BadDescr { .. })), "{e:?}");
    let x = std::mem::offset_of!(Point, x);
    let e = bad(FieldDescr::new(
        "Point.xr",
        tid,
        x,
        8,
        false,
        Kind::Ref,
        false,
        false,
    ));
    assert!(matches!(e, Err(HeapError::BadDescr { .. })), "{e:?}");
    // A descriptor belonging to no type.
    let e = bad(FieldDescr::new(
        "nobody.x",
        0,
        x,
        8,
        true,
        Kind::Int,
        false,
        false,
    ));
    assert!(matches!(e, Err(HeapError::WrongType { .. })), "{e:?}");
}

#[test]
fn references_only_go_into_reference_slots_through_the_ref_api() {
    let p = heap::new_struct(&point::SIZE);
    let q = heap::new_struct(&point::SIZE);
    assert!(heap::try_setfield(p, &point::next, 0x1000).is_err());
    assert!(heap::try_setfield(p, &point::next, 0).is_ok());
    heap::setfield_ref(p, &point::next, q);
    assert_eq!(heap::getfield_ref(p, &point::next), q);
    let r = heap::new_array(&REF_ARRAY, 1).unwrap();
    assert!(heap::try_setarrayitem(r, &REF_ARRAY, 0, 0x1000).is_err());
    heap::setarrayitem_ref(r, &REF_ARRAY, 0, q);
    assert_eq!(heap::getarrayitem_ref(r, &REF_ARRAY, 0), q);
}

#[test]
fn a_verdict_shared_by_two_descriptors_vouches_only_for_the_one_checked() {
    // Descriptors cannot change after construction (compile-fail suite);
    // what a VM can do is attach one verdict slot to a good and a bad
    // descriptor. The slot holds the key of the descriptor it vouches
    // for, so the bad one is still checked, and refused, every time.
    static SHARED: Verdict = Verdict::new();
    let p = heap::new_struct(&point::SIZE);
    let x = std::mem::offset_of!(Point, x);
    let field = |offset| -> &'static FieldDescr {
        Box::leak(Box::new(
            FieldDescr::new(
                "Point.x2",
                point::SIZE.tid,
                offset,
                8,
                true,
                Kind::Int,
                false,
                false,
            )
            .with_verdict(&SHARED),
        ))
    };
    let (good, bad) = (field(x), field(4096));
    for _ in 0..3 {
        assert_eq!(heap::try_getfield(p, good), Ok(0));
        assert!(matches!(
            heap::try_getfield(p, bad),
            Err(HeapError::BadDescr { .. })
        ));
    }
    heap::setfield(p, good, 7);
    assert_eq!(heap::getfield(p, good), 7);
}

#[test]
fn a_second_layout_for_a_type_id_is_refused() {
    let _ = heap::new_struct(&other::SIZE);
    let forged: &'static SizeDescr = Box::leak(Box::new(SizeDescr {
        name: "Forged",
        tid: other::SIZE.tid,
        size: 4096,
        gc_ptrs: &[],
    }));
    let r = std::panic::catch_unwind(|| heap::new_struct(forged));
    assert!(
        r.is_err(),
        "a bigger layout for a registered type id was accepted"
    );
    let bad_refs: &'static SizeDescr = Box::leak(Box::new(SizeDescr {
        name: "BadRefs",
        tid: heap::type_id_of("heap_checks::BadRefs"),
        size: 16,
        gc_ptrs: &[0],
    }));
    let r = std::panic::catch_unwind(|| heap::new_struct(bad_refs));
    assert!(r.is_err(), "a reference slot over the header was accepted");
}

#[test]
fn the_panicking_api_names_the_problem() {
    let o = heap::new_struct(&other::SIZE);
    let r = std::panic::catch_unwind(|| heap::getfield(o, &point::x));
    let msg = r.unwrap_err();
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("Point.x") && msg.contains("type id"), "{msg}");
}
