//! Unit tests of the collector: reachability through every root kind,
//! cycles, large objects, hole reuse, stress and verify modes, shrinking.
//! Each test thread has its own heap, so counts are per test.

use super::*;
use crate::heap::gc::MIN_BUDGET;
use crate::heap::roots::{Handle, Rooted};

crate::gc_struct! {
    /// A cons cell for the tests.
    pub struct Node as node {
        value: i64,
        next: GcRef,
        other: GcRef,
    }
}

fn cons(value: i64, next: GcRef) -> GcRef {
    let n = new_struct(&node::SIZE);
    setfield(n, &node::value, value as u64);
    setfield_ref(n, &node::next, next);
    n
}

fn next(n: GcRef) -> GcRef {
    // SAFETY-free: the field holds a heap reference or null.
    crate::backend::word_to_ref(getfield(n, &node::next))
}

/// Builds garbage in its own frame so no stale stack word survives the
/// return (the frame below is overwritten by the next call).
#[inline(never)]
fn make_garbage(lists: usize, len: usize) {
    for _ in 0..lists {
        let mut l = GcRef::NULL;
        for i in 0..len {
            l = cons(i as i64, l);
        }
        // A cycle: last cell points back at the head.
        let mut tail = l;
        while !next(tail).is_null() {
            tail = next(tail);
        }
        setfield_ref(tail, &node::next, l);
        std::hint::black_box(l);
    }
}

#[inline(never)]
fn clobber_stack() {
    let buf = [0u8; 16 * 1024];
    std::hint::black_box(&buf);
}

#[test]
fn gc_ptrs_come_from_the_field_types() {
    assert_eq!(
        node::SIZE.gc_ptrs,
        &[node::next.offset, node::other.offset][..]
    );
}

#[test]
fn cycles_are_collected_and_memory_is_reused() {
    make_garbage(2000, 100); // ~6.4 MB of cyclic garbage
    clobber_stack();
    collect();
    let s = stats();
    assert!(s.collections >= 1);
    assert!(s.bytes_freed > 4_000_000, "{s:?}");
    // Only stale stack words can retain anything: a handful of cells.
    assert!(s.live_bytes < 64 * 1024, "{s:?}");
    let heap_before = s.heap_bytes;
    make_garbage(2000, 100);
    clobber_stack();
    collect();
    let s = stats();
    assert!(s.heap_bytes <= heap_before + MIN_BUDGET, "{s:?}");
}

#[test]
fn handles_keep_structures_alive() {
    let mut l = GcRef::NULL;
    for i in 0..1000 {
        l = cons(i, l);
    }
    let h = Handle::new(l);
    l = GcRef::NULL; // only the handle holds the list now
    let _ = l;
    make_garbage(10, 10);
    collect();
    collect();
    let mut n = h.get();
    let mut expect = 999;
    while !n.is_null() {
        assert!(gc::is_live_object(n));
        assert_eq!(getfield(n, &node::value) as i64, expect);
        expect -= 1;
        n = next(n);
    }
    assert_eq!(expect, -1);
}

#[test]
fn registered_structures_are_roots() {
    #[inline(never)]
    fn fill(v: &mut Vec<u64>) {
        for i in 0..50 {
            v.push(cons(i, GcRef::NULL).addr() as u64);
        }
    }
    let mut words: Vec<u64> = Vec::new();
    let mut rooted = Rooted::new(&mut words, |v: &Vec<u64>, f| {
        v.iter().for_each(|w| f(*w as usize))
    });
    fill(&mut rooted);
    clobber_stack();
    collect();
    for (i, w) in rooted.iter().enumerate() {
        let r = crate::backend::word_to_ref(*w);
        assert!(gc::is_live_object(r));
        assert_eq!(getfield(r, &node::value), i as u64);
    }
    assert!(roots::registered() >= 1);
}

#[test]
fn large_objects_are_freed_and_kept() {
    let keep = Handle::new(new_array(&INT_ARRAY, 100_000).unwrap());
    setarrayitem(keep.get(), &INT_ARRAY, 99_999, 42);
    #[inline(never)]
    fn big_garbage() {
        for _ in 0..50 {
            std::hint::black_box(new_array(&REF_ARRAY, 50_000).unwrap());
        }
    }
    big_garbage();
    clobber_stack();
    collect();
    let s = stats();
    assert!(s.bytes_freed >= 40 * 400_000, "{s:?}");
    assert!(s.heap_bytes < 4 * 800_000 + MIN_BUDGET, "{s:?}");
    assert_eq!(getarrayitem(keep.get(), &INT_ARRAY, 99_999), 42);
}

#[test]
fn ref_arrays_are_traced() {
    let arr = new_array(&REF_ARRAY, 300).unwrap();
    let h = Handle::new(arr);
    for i in 0..300 {
        let n = cons(i, GcRef::NULL);
        setarrayitem_ref(h.get(), &REF_ARRAY, i, n);
    }
    make_garbage(100, 50);
    collect();
    for i in 0..300 {
        let n = crate::backend::word_to_ref(getarrayitem(h.get(), &REF_ARRAY, i));
        assert!(gc::is_live_object(n));
        assert_eq!(getfield(n, &node::value) as i64, i);
    }
}

#[test]
fn interior_pointers_on_the_stack_keep_objects() {
    let n = cons(77, GcRef::NULL);
    let inner = std::hint::black_box(n.addr() + 16);
    collect();
    let n2 = crate::backend::word_to_ref((inner - 16) as u64);
    assert!(gc::is_live_object(n2));
    assert_eq!(getfield(n2, &node::value), 77);
    std::hint::black_box(inner);
}

#[test]
fn stress_and_verify_collect_at_every_allocation() {
    gc::set_stress(true);
    gc::set_verify(true);
    let before = stats().collections;
    let mut l = cons(0, GcRef::NULL);
    for i in 1..200 {
        l = cons(i, l);
        let other = cons(-i, GcRef::NULL);
        setfield_ref(l, &node::other, other);
    }
    gc::set_stress(false);
    gc::set_verify(false);
    assert!(stats().collections - before >= 399);
    let mut n = l;
    for i in (0..200).rev() {
        assert_eq!(getfield(n, &node::value) as i64, i);
        n = next(n);
    }
}

#[test]
fn holes_in_partly_live_blocks_are_reused() {
    // Every 16th cell survives; the rest become holes between them.
    let keep = new_array(&REF_ARRAY, 2000).unwrap();
    let h = Handle::new(keep);
    #[inline(never)]
    fn fill(h: &Handle) {
        for i in 0..32_000 {
            let n = cons(i, GcRef::NULL);
            if i % 16 == 0 {
                setarrayitem_ref(h.get(), &REF_ARRAY, i / 16, n);
            }
        }
    }
    fill(&h);
    clobber_stack();
    collect();
    let mapped = stats().heap_bytes;
    // New small objects go into the holes first: no new block is needed.
    for i in 0..1000 {
        std::hint::black_box(cons(i, GcRef::NULL));
    }
    assert_eq!(stats().heap_bytes, mapped);
    for i in 0..2000 {
        let n = crate::backend::word_to_ref(getarrayitem(h.get(), &REF_ARRAY, i));
        assert_eq!(getfield(n, &node::value) as i64, i * 16);
    }
}

#[test]
fn allocation_volume_triggers_collection_and_memory_stays_bounded() {
    let c0 = stats().collections;
    #[inline(never)]
    fn churn() {
        for _ in 0..200 {
            make_garbage(100, 100); // 200 * 320 KB = 64 MB in total
        }
    }
    churn();
    let s = stats();
    assert!(s.collections - c0 >= 5, "{s:?}");
    assert!(s.peak_heap_bytes < 3 * MIN_BUDGET, "{s:?}");
}

#[test]
fn root_refs_keeps_a_vector_of_references_alive() {
    #[inline(never)]
    fn fill(v: &mut Vec<GcRef>) {
        for i in 0..100 {
            v.push(cons(i, GcRef::NULL));
        }
    }
    let mut args: Vec<GcRef> = Vec::new();
    let mut args = roots::root_refs(&mut args);
    fill(&mut args);
    clobber_stack();
    make_garbage(50, 100);
    collect();
    make_garbage(50, 100);
    for (i, r) in args.iter().enumerate() {
        assert!(gc::is_live_object(*r));
        assert_eq!(getfield(*r, &node::value), i as u64);
    }
}

#[test]
fn no_collect_defers_collections_to_the_next_safepoint() {
    #[inline(never)]
    fn fill(v: &mut Vec<GcRef>) {
        for i in 0..100 {
            v.push(cons(i, GcRef::NULL));
        }
    }
    gc::set_stress(true);
    let before = stats().collections;
    let mut unrooted: Vec<GcRef> = Vec::new();
    {
        let _scope = gc::NoCollect::new();
        fill(&mut unrooted);
        clobber_stack();
        make_garbage(5, 10);
        // Stress asks for a collection at every allocation; none ran, so
        // references only a Vec holds are still good.
        assert_eq!(stats().collections, before);
        for (i, r) in unrooted.iter().enumerate() {
            assert!(gc::is_live_object(*r));
            assert_eq!(getfield(*r, &node::value), i as u64);
        }
        gc::safepoint(); // inside the scope: still nothing
        assert_eq!(stats().collections, before);
    }
    gc::safepoint();
    gc::set_stress(false);
    assert_eq!(stats().collections, before + 1);
}

/// A residual helper: allocates while a `Vec` holds what it made.
extern "C" fn build_list(n: i64) -> i64 {
    let before = stats().collections;
    let mut v: Vec<GcRef> = Vec::new();
    for i in 0..n {
        v.push(cons(i, GcRef::NULL));
    }
    let ok = stats().collections == before
        && v.iter()
            .enumerate()
            .all(|(i, r)| getfield(*r, &node::value) == i as u64);
    ok as i64
}
crate::residual!(static BUILD_LIST = fn build_list(n: i64) -> i64, crate::ir::EffectInfo::RESIDUAL);

#[test]
fn residual_helpers_run_without_collections() {
    gc::set_stress(true);
    let ok = (BUILD_LIST.invoke)(&[50]);
    gc::safepoint();
    gc::set_stress(false);
    assert_eq!(ok, 1, "a collection ran inside the residual helper");
}

#[test]
fn handles_and_registrations_reuse_freed_slots_in_any_order() {
    use crate::heap::roots::{for_each_handle, registered};
    let objs: Vec<GcRef> = (0..300).map(|i| cons(i, GcRef::NULL)).collect();
    let mut hs: Vec<Option<Handle>> = objs.iter().map(|o| Some(Handle::new(*o))).collect();
    // Free every third one (holes below the end), then refill them.
    for (i, h) in hs.iter_mut().enumerate() {
        if i % 3 == 0 {
            *h = None;
        }
    }
    for (i, h) in hs.iter_mut().enumerate() {
        if i % 3 == 0 {
            *h = Some(Handle::new(objs[i]));
        }
    }
    for (i, h) in hs.iter().enumerate() {
        assert_eq!(h.as_ref().unwrap().get(), objs[i]);
    }
    let mut seen = 0;
    for_each_handle(|r| seen += objs.contains(&r) as usize);
    assert!(seen >= 300, "{seen}");
    // Nested registrations dropped out of order leave none behind.
    let before = registered();
    let (mut a, mut b, mut c) = (vec![objs[0]], vec![objs[1]], vec![objs[2]]);
    let ra = Rooted::new(&mut a, |v: &Vec<GcRef>, f| {
        v.iter().for_each(|r| f(r.addr()))
    });
    let rb = Rooted::new(&mut b, |v: &Vec<GcRef>, f| {
        v.iter().for_each(|r| f(r.addr()))
    });
    drop(ra);
    let rc = Rooted::new(&mut c, |v: &Vec<GcRef>, f| {
        v.iter().for_each(|r| f(r.addr()))
    });
    assert_eq!(registered(), before + 2);
    drop(rc);
    drop(rb);
    assert_eq!(registered(), before);
}

#[test]
fn arraycopy_copies_overlapping_ranges_and_refuses_out_of_bounds() {
    let a = new_array(&INT_ARRAY, 6).unwrap();
    for i in 0..6 {
        setarrayitem(a, &INT_ARRAY, i, 10 + i as u64);
    }
    // Overlapping, forwards: [10, 11, 10, 11, 12, 15].
    arraycopy(a, 0, a, 2, 3, &INT_ARRAY);
    let got: Vec<u64> = (0..6).map(|i| getarrayitem(a, &INT_ARRAY, i)).collect();
    assert_eq!(got, [10, 11, 10, 11, 12, 15]);
    let b = new_array(&INT_ARRAY, 2).unwrap();
    let r = std::panic::catch_unwind(|| arraycopy(a, 5, b, 0, 2, &INT_ARRAY));
    assert!(r.is_err(), "a copy past the source's end must be refused");
}

#[test]
fn read_bytes_and_write_bytes_copy_ranges_and_refuse_the_rest() {
    let a = new_array(&BYTE_ARRAY, 5).unwrap();
    write_bytes(a, &BYTE_ARRAY, 1, b"abc");
    let mut out = [0u8; 5];
    read_bytes(a, &BYTE_ARRAY, 0, &mut out);
    assert_eq!(&out, b"\0abc\0");
    let mut two = [0u8; 2];
    read_bytes(a, &BYTE_ARRAY, 2, &mut two);
    assert_eq!(&two, b"bc");
    let past = std::panic::catch_unwind(|| read_bytes(a, &BYTE_ARRAY, 4, &mut [0u8; 2]));
    assert!(past.is_err(), "a read past the end must be refused");
    let wide = std::panic::catch_unwind(|| write_bytes(a, &INT_ARRAY, 0, b"x"));
    assert!(wide.is_err(), "an array of another type must be refused");
    let ints = new_array(&INT_ARRAY, 2).unwrap();
    let not_bytes = std::panic::catch_unwind(|| write_bytes(ints, &INT_ARRAY, 0, b"x"));
    assert!(not_bytes.is_err(), "8-byte items are not bytes");
}
