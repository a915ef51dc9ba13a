//! The builtin table: every builtin function and method minipy
//! implements in Rust, as the `Builtin` enum (a builtin function object's
//! `id` is its discriminant) with its Python name. Dispatch on it lives in
//! `builtins` and `methods`; this module is object model, so that any
//! layer can name a builtin.
//!
//! Owns: `builtin_table!`, `Builtin` (`ALL`, `name`, `id`, `from_id`,
//! `by_name`), `name_of`.

use crate::objects::new_builtin;
use metatrace::heap::GcRef;

/// Declares every builtin once: the `Builtin` enum (a builtin function
/// object's `id` is its discriminant, so dispatch is a `match` on the enum
/// and a misspelt builtin does not compile) and each one's Python name.
/// Plain names are global builtins; `module.name` are module functions
/// (installed on import); `type.name` are methods of builtin types.
macro_rules! builtin_table {
    ($($v:ident = $n:literal),* $(,)?) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Builtin { $($v),* }
        impl Builtin {
            /// Every builtin, in id order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$v),*];
            /// The qualified Python name (`len`, `str.split`, `math.gcd`).
            pub const fn name(self) -> &'static str {
                match self { $(Builtin::$v => $n),* }
            }
        }
    };
}

builtin_table! {
    Print = "print",
    Import = "__import__",
    AbcAbstractmethod = "abc.abstractmethod",
    Len = "len",
    Range = "range",
    Enumerate = "enumerate",
    Zip = "zip",
    Reversed = "reversed",
    Sorted = "sorted",
    Min = "min",
    Max = "max",
    Sum = "sum",
    Abs = "abs",
    Int = "int",
    Float = "float",
    Str = "str",
    Repr = "repr",
    Bool = "bool",
    List = "list",
    Dict = "dict",
    Tuple = "tuple",
    Set = "set",
    Chr = "chr",
    Ord = "ord",
    Isinstance = "isinstance",
    Issubclass = "issubclass",
    Type = "type",
    Hasattr = "hasattr",
    Getattr = "getattr",
    Setattr = "setattr",
    Iter = "iter",
    Next = "next",
    Any = "any",
    All = "all",
    Round = "round",
    Hex = "hex",
    Bin = "bin",
    Oct = "oct",
    Id = "id",
    Hash = "hash",
    Divmod = "divmod",
    Pow = "pow",
    Format = "format",
    Super = "super",
    Object = "object",
    Staticmethod = "staticmethod",
    Classmethod = "classmethod",
    Property = "property",
    Callable = "callable",
    Vars = "vars",
    Globals = "globals",
    StrSplit = "str.split",
    StrRsplit = "str.rsplit",
    StrJoin = "str.join",
    StrStrip = "str.strip",
    StrLstrip = "str.lstrip",
    StrRstrip = "str.rstrip",
    StrReplace = "str.replace",
    StrFind = "str.find",
    StrRfind = "str.rfind",
    StrIndex = "str.index",
    StrCount = "str.count",
    StrStartswith = "str.startswith",
    StrEndswith = "str.endswith",
    StrUpper = "str.upper",
    StrLower = "str.lower",
    StrTitle = "str.title",
    StrCapitalize = "str.capitalize",
    StrIsdigit = "str.isdigit",
    StrIsalpha = "str.isalpha",
    StrIsspace = "str.isspace",
    StrIsalnum = "str.isalnum",
    StrIsupper = "str.isupper",
    StrIslower = "str.islower",
    StrFormat = "str.format",
    StrZfill = "str.zfill",
    StrCenter = "str.center",
    StrLjust = "str.ljust",
    StrRjust = "str.rjust",
    StrSplitlines = "str.splitlines",
    StrPartition = "str.partition",
    StrSwapcase = "str.swapcase",
    ListAppend = "list.append",
    ListExtend = "list.extend",
    ListPop = "list.pop",
    ListInsert = "list.insert",
    ListRemove = "list.remove",
    ListIndex = "list.index",
    ListCount = "list.count",
    ListSort = "list.sort",
    ListReverse = "list.reverse",
    ListCopy = "list.copy",
    ListClear = "list.clear",
    DictGet = "dict.get",
    DictKeys = "dict.keys",
    DictValues = "dict.values",
    DictItems = "dict.items",
    DictPop = "dict.pop",
    DictSetdefault = "dict.setdefault",
    DictUpdate = "dict.update",
    DictCopy = "dict.copy",
    DictClear = "dict.clear",
    DictPopitem = "dict.popitem",
    SetAdd = "set.add",
    SetRemove = "set.remove",
    SetDiscard = "set.discard",
    SetPop = "set.pop",
    SetUnion = "set.union",
    SetIntersection = "set.intersection",
    SetDifference = "set.difference",
    SetIssubset = "set.issubset",
    SetIssuperset = "set.issuperset",
    SetUpdate = "set.update",
    SetCopy = "set.copy",
    SetClear = "set.clear",
    TypeMro = "type.mro",
    SetSymmetricDifference = "set.symmetric_difference",
    SetIntersectionUpdate = "set.intersection_update",
    SetDifferenceUpdate = "set.difference_update",
    SetSymmetricDifferenceUpdate = "set.symmetric_difference_update",
    SetIsdisjoint = "set.isdisjoint",
    IntBitLength = "int.bit_length",
    FloatIsInteger = "float.is_integer",
    BaseExceptionInit = "BaseException.__init__",
    ObjectInit = "object.__init__",
    TupleIndex = "tuple.index",
    TupleCount = "tuple.count",
    MathSqrt = "math.sqrt",
    MathFloor = "math.floor",
    MathCeil = "math.ceil",
    MathSin = "math.sin",
    MathCos = "math.cos",
    MathExp = "math.exp",
    MathLog = "math.log",
    MathPow = "math.pow",
    MathFabs = "math.fabs",
    MathGcd = "math.gcd",
    MathIsqrt = "math.isqrt",
    MathAtan2 = "math.atan2",
    MathTan = "math.tan",
    MathAtan = "math.atan",
    MathHypot = "math.hypot",
    MathLog2 = "math.log2",
    MathLog10 = "math.log10",
    MathIsnan = "math.isnan",
    MathIsinf = "math.isinf",
    TimeTime = "time.time",
    TimePerfCounter = "time.perf_counter",
    SysExit = "sys.exit",
    SysSetrecursionlimit = "sys.setrecursionlimit",
    SysGetrecursionlimit = "sys.getrecursionlimit",
    SysExcInfo = "sys.exc_info",
    Frozenset = "frozenset",
    Slice = "slice",
    StrRemoveprefix = "str.removeprefix",
    StrRemovesuffix = "str.removesuffix",
    MathTrunc = "math.trunc",
    MathFactorial = "math.factorial",
    NumpyOp = "_numpy.op",
    DictFromkeys = "dict.fromkeys",
    Exit = "exit",
    Write = "_write",
    Argsort = "_argsort",
    PropertySetter = "property.setter",
    PropertyGetter = "property.getter",
    TimeTimeNs = "time.time_ns",
    TimePerfCounterNs = "time.perf_counter_ns",
    TimeMonotonic = "time.monotonic",
    TimeMonotonicNs = "time.monotonic_ns",
    TimeProcessTime = "time.process_time",
    TimeProcessTimeNs = "time.process_time_ns",
    ObjectRepr = "object.__repr__",
    ObjectStr = "object.__str__",
    ObjectEq = "object.__eq__",
    ObjectNe = "object.__ne__",
    ObjectHash = "object.__hash__",
    ObjectSetattr = "object.__setattr__",
    ObjectGetattribute = "object.__getattribute__",
    ObjectDelattr = "object.__delattr__",
    ObjectLt = "object.__lt__",
    ObjectLe = "object.__le__",
    ObjectGt = "object.__gt__",
    ObjectGe = "object.__ge__",
    ObjectFormat = "object.__format__",
    ObjectNew = "object.__new__",
}

impl Builtin {
    /// The id stored in builtin function objects.
    pub const fn id(self) -> i64 {
        self as i64
    }
    /// The builtin with id `id`, if any.
    pub fn from_id(id: i64) -> Option<Builtin> {
        usize::try_from(id)
            .ok()
            .and_then(|i| Builtin::ALL.get(i).copied())
    }
    /// The builtin with qualified name `name` (built from a guest string).
    pub fn by_name(name: &str) -> Option<Builtin> {
        thread_local! {
            static BY_NAME: hashbrown::HashMap<&'static str, Builtin> =
                Builtin::ALL.iter().rev().map(|b| (b.name(), *b)).collect(); // the first of a name wins, as in a scan
        }
        BY_NAME.with(|m| m.get(name).copied())
    }
    /// The name without its `type.`/`module.` prefix (`split`).
    pub fn short_name(self) -> &'static str {
        let n = self.name();
        n.rsplit('.').next().unwrap_or(n)
    }
    /// A new builtin function object for this builtin bound to `slf`.
    pub fn new_obj(self, slf: GcRef) -> GcRef {
        new_builtin(self.id(), slf)
    }
}

/// The Python name of builtin `id` (`?` for an unknown id).
pub fn name_of(id: i64) -> &'static str {
    Builtin::from_id(id).map_or("?", Builtin::name)
}

#[cfg(test)]
mod tests {
    use super::Builtin;

    #[test]
    fn builtin_table_ids_and_names() {
        for (i, b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(b.id(), i as i64);
            assert_eq!(Builtin::from_id(b.id()), Some(*b));
            // Names are unique: lookups by name find this builtin.
            assert_eq!(Builtin::by_name(b.name()), Some(*b), "{}", b.name());
        }
        assert_eq!(Builtin::from_id(-1), None);
        assert_eq!(Builtin::from_id(Builtin::ALL.len() as i64), None);
    }
}
