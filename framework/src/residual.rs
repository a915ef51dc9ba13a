//! `residual!`: declares a call descriptor for an `extern "C"` Rust
//! function, so traces can call it (`call_*`, or `call_pure_*` when
//! elidable) and the IR interpreter can invoke it without `unsafe`.
//!
//! ```
//! use metatrace::ir::EffectInfo;
//! extern "C" fn add3(a: i64, b: i64, c: i64) -> i64 { a + b + c }
//! metatrace::residual!(pub static ADD3 = fn add3(a: i64, b: i64, c: i64) -> i64, EffectInfo::ELIDABLE);
//! assert_eq!((ADD3.invoke)(&[1, 2, 3]), 6);
//! ```
//!
//! The helper runs inside a `heap::gc::NoCollect` scope, whether compiled
//! code or the IR interpreter calls it: it may keep `GcRef`s in Rust
//! vectors while it allocates.
//!
//! Arguments and results may be `i64`, `f64`, `GcRef`, `bool` (as int) or
//! `()` (no result). The descriptor is built on first use (`LazyLock`):
//! function addresses are not constants in Rust.

use crate::heap::GcRef;
use crate::ir::Kind;

/// Rust types that cross the call boundary as one 64-bit word.
pub trait Word {
    /// The IR kind the value travels as.
    const KIND: Kind;
    /// The value from its raw word (floats from their IEEE bits, refs from their address).
    fn from_word(w: u64) -> Self;
    /// The value as a raw word (the inverse of [`Word::from_word`]).
    fn to_word(self) -> u64;
}

impl Word for i64 {
    const KIND: Kind = Kind::Int;
    fn from_word(w: u64) -> i64 {
        w as i64
    }
    fn to_word(self) -> u64 {
        self as u64
    }
}
impl Word for bool {
    const KIND: Kind = Kind::Int;
    fn from_word(w: u64) -> bool {
        w != 0
    }
    fn to_word(self) -> u64 {
        self as u64
    }
}
impl Word for f64 {
    const KIND: Kind = Kind::Float;
    fn from_word(w: u64) -> f64 {
        f64::from_bits(w)
    }
    fn to_word(self) -> u64 {
        self.to_bits()
    }
}
impl Word for GcRef {
    const KIND: Kind = Kind::Ref;
    fn from_word(w: u64) -> GcRef {
        crate::backend::word_to_ref(w)
    }
    fn to_word(self) -> u64 {
        self.addr() as u64
    }
}
impl Word for () {
    const KIND: Kind = Kind::Void;
    fn from_word(_: u64) {}
    fn to_word(self) -> u64 {
        0
    }
}

/// Declares `static NAME: LazyLock<CallDescr>` for an `extern "C"` function:
/// `residual!(pub static NAME = fn f(a: i64, b: f64) -> GcRef, effect)`,
/// where `effect` is an [`EffectInfo`](crate::ir::EffectInfo) and every
/// argument and the result implement [`Word`]. The descriptor's `invoke`
/// runs `f` inside a `NoCollect` scope and panics when given the wrong
/// number of words. See the module docs.
#[macro_export]
macro_rules! residual {
    ($(#[$m:meta])* $vis:vis static $name:ident = fn $f:ident ( $($arg:ident : $t:ty),* $(,)? ) $(-> $ret:ty)?, $effect:expr $(;)?) => {
        $(#[$m])*
        $vis static $name: ::std::sync::LazyLock<$crate::ir::CallDescr> = ::std::sync::LazyLock::new(|| {
            fn invoke(words: &[u64]) -> u64 {
                let &[$($arg),*] = words else {
                    panic!(concat!("wrong argument count for ", stringify!($f)));
                };
                let _no_gc = $crate::heap::gc::NoCollect::new();
                let r = $f($(<$t as $crate::residual::Word>::from_word($arg)),*);
                $crate::residual::Word::to_word(r)
            }
            // What compiled code calls: the C ABI, and no collection while
            // the helper runs (see `heap::gc::NoCollect`).
            #[allow(improper_ctypes_definitions)]
            extern "C" fn entry($($arg: $t),*) $(-> $ret)? {
                let _no_gc = $crate::heap::gc::NoCollect::new();
                $f($($arg),*)
            }
            #[allow(unused_parens)]
            type Ret = ($($ret)?);
            $crate::ir::CallDescr {
                name: stringify!($f),
                addr: entry as *const () as usize,
                args: &[$(<$t as $crate::residual::Word>::KIND),*],
                result: <Ret as $crate::residual::Word>::KIND,
                effect: $effect,
                invoke,
            }
        });
    };
}
