# minirb's Ruby prelude: iterators as `while` loops that `yield` (so
# the JIT traces them with the block inlined), Enumerable and Comparable.

module Kernel
  def to_enum(meth = :each, *args)
    r = []
    send(meth, *args) { |*x| r << (x.size == 1 ? x[0] : x) }
    r
  end
  alias enum_for to_enum
  alias each_entry to_enum

  def loop
    while true
      yield
    end
  rescue StopIteration => e
    e.result
  end

  def tap
    yield self
    self
  end

  def then
    yield self
  end
  alias yield_self then
end

class StopIteration
  def result
    @result
  end
end

module Comparable
  def ==(o)
    return true if equal?(o)
    c = (self <=> o)
    c == 0
  end

  def <(o)
    c = (self <=> o)
    raise ArgumentError, "comparison of #{self.class} with #{o.inspect} failed" if c.nil?
    c < 0
  end

  def <=(o)
    c = (self <=> o)
    raise ArgumentError, "comparison of #{self.class} with #{o.inspect} failed" if c.nil?
    c <= 0
  end

  def >(o)
    c = (self <=> o)
    raise ArgumentError, "comparison of #{self.class} with #{o.inspect} failed" if c.nil?
    c > 0
  end

  def >=(o)
    c = (self <=> o)
    raise ArgumentError, "comparison of #{self.class} with #{o.inspect} failed" if c.nil?
    c >= 0
  end

  def between?(a, b)
    self >= a && self <= b
  end

  def clamp(a, b)
    return a if self < a
    return b if self > b
    self
  end
end

class Integer
  def times
    return to_enum(:times) unless block_given?
    i = 0
    while i < self
      yield i
      i += 1
    end
    self
  end

  def upto(n)
    return to_enum(:upto, n) unless block_given?
    i = self
    while i <= n
      yield i
      i += 1
    end
    self
  end

  def downto(n)
    return to_enum(:downto, n) unless block_given?
    i = self
    while i >= n
      yield i
      i -= 1
    end
    self
  end

  def step(limit, st = 1)
    return to_enum(:step, limit, st) unless block_given?
    i = self
    if st > 0
      while i <= limit
        yield i
        i += st
      end
    else
      while i >= limit
        yield i
        i += st
      end
    end
    self
  end

  def between?(a, b)
    self >= a && self <= b
  end

  def clamp(a, b)
    return a if self < a
    return b if self > b
    self
  end
end

class Float
  def step(limit, st = 1)
    i = self
    n = ((limit - self) / st).floor
    k = 0
    while k <= n
      yield self + k * st
      k += 1
    end
    self
  end
end

module Enumerable
  def to_a
    r = []
    each { |*x| r << (x.size == 1 ? x[0] : x) }
    r
  end
  alias entries to_a

  def map
    return to_enum(:map) unless block_given?
    r = []
    each { |*x| r << yield(*x) }
    r
  end
  alias collect map

  def flat_map
    r = []
    each do |*x|
      v = yield(*x)
      if v.is_a?(Array)
        r.concat(v)
      else
        r << v
      end
    end
    r
  end

  def select
    r = []
    each { |*x| v = (x.size == 1 ? x[0] : x); r << v if yield(*x) }
    r
  end
  alias filter select

  def filter_map
    r = []
    each do |*x|
      v = yield(*x)
      r << v if v
    end
    r
  end

  def reject
    r = []
    each { |*x| v = (x.size == 1 ? x[0] : x); r << v unless yield(*x) }
    r
  end

  def find
    each do |*x|
      v = (x.size == 1 ? x[0] : x)
      return v if yield(*x)
    end
    nil
  end
  alias detect find

  def find_index(*args)
    i = 0
    each do |x|
      if args.empty? ? yield(x) : x == args[0]
        return i
      end
      i += 1
    end
    nil
  end

  def include?(o)
    each { |x| return true if x == o }
    false
  end
  alias member? include?

  def count(*args)
    n = 0
    if args.size > 0
      each { |x| n += 1 if x == args[0] }
    elsif block_given?
      each { |*x| n += 1 if yield(*x) }
    else
      each { |x| n += 1 }
    end
    n
  end

  def inject(*args)
    if args.size == 2
      acc = args[0]
      sym = args[1]
      each { |x| acc = acc.send(sym, x) }
      return acc
    end
    if args.size == 1 && !block_given?
      sym = args[0]
      first = true
      acc = nil
      each do |x|
        if first
          acc = x
          first = false
        else
          acc = acc.send(sym, x)
        end
      end
      return acc
    end
    first = args.empty?
    acc = args[0]
    each do |*x|
      v = (x.size == 1 ? x[0] : x)
      if first
        acc = v
        first = false
      else
        acc = yield(acc, v)
      end
    end
    acc
  end
  alias reduce inject

  def sum(init = 0)
    acc = init
    if block_given?
      each { |*x| acc += yield(*x) }
    else
      each { |x| acc += x }
    end
    acc
  end

  def each_with_index
    return to_enum(:each_with_index) unless block_given?
    i = 0
    each do |*x|
      yield((x.size == 1 ? x[0] : x), i)
      i += 1
    end
    self
  end

  def each_with_object(memo)
    each { |*x| yield((x.size == 1 ? x[0] : x), memo) }
    memo
  end

  def min(n = nil, &blk)
    return to_a.min(n, &blk) if n
    best = nil
    first = true
    each do |x|
      if first
        best = x
        first = false
      elsif blk ? blk.call(x, best) < 0 : (x <=> best) < 0
        best = x
      end
    end
    best
  end

  def max(n = nil, &blk)
    return to_a.max(n, &blk) if n
    best = nil
    first = true
    each do |x|
      if first
        best = x
        first = false
      elsif blk ? blk.call(x, best) > 0 : (x <=> best) > 0
        best = x
      end
    end
    best
  end

  def min_by
    best = nil
    bv = nil
    first = true
    each do |*x|
      v = (x.size == 1 ? x[0] : x)
      k = yield(*x)
      if first || (k <=> bv) < 0
        best = v
        bv = k
        first = false
      end
    end
    best
  end

  def max_by
    best = nil
    bv = nil
    first = true
    each do |*x|
      v = (x.size == 1 ? x[0] : x)
      k = yield(*x)
      if first || (k <=> bv) > 0
        best = v
        bv = k
        first = false
      end
    end
    best
  end

  def minmax
    [min, max]
  end

  def sort(&blk)
    to_a.sort(&blk)
  end

  def sort_by
    pairs = map { |*x| [yield(*x), (x.size == 1 ? x[0] : x)] }
    pairs.sort! { |a, b| a[0] <=> b[0] }
    pairs.map { |p| p[1] }
  end

  def group_by
    h = {}
    each do |*x|
      v = (x.size == 1 ? x[0] : x)
      k = yield(*x)
      (h[k] ||= []) << v
    end
    h
  end

  def partition
    a = []
    b = []
    each do |*x|
      v = (x.size == 1 ? x[0] : x)
      if yield(*x)
        a << v
      else
        b << v
      end
    end
    [a, b]
  end

  def tally
    h = {}
    each { |x| h[x] = (h[x] || 0) + 1 }
    h
  end

  def uniq
    h = {}
    r = []
    each do |x|
      k = block_given? ? yield(x) : x
      unless h.key?(k)
        h[k] = true
        r << x
      end
    end
    r
  end

  def any?(*pat)
    if pat.size > 0
      each { |x| return true if pat[0] === x }
    elsif block_given?
      each { |*x| return true if yield(*x) }
    else
      each { |x| return true if x }
    end
    false
  end

  def all?(*pat)
    if pat.size > 0
      each { |x| return false unless pat[0] === x }
    elsif block_given?
      each { |*x| return false unless yield(*x) }
    else
      each { |x| return false unless x }
    end
    true
  end

  def none?(*pat)
    if block_given?
      each { |*x| return false if yield(*x) }
    else
      each { |x| return false if x }
    end
    true
  end

  def one?
    n = 0
    if block_given?
      each { |*x| n += 1 if yield(*x) }
    else
      each { |x| n += 1 if x }
    end
    n == 1
  end

  def first(*n)
    if n.empty?
      each { |x| return x }
      return nil
    end
    r = []
    return r if n[0] <= 0
    each do |x|
      r << x
      return r if r.size >= n[0]
    end
    r
  end

  def take(n)
    first(n)
  end

  def take_while
    r = []
    each do |x|
      return r unless yield(x)
      r << x
    end
    r
  end

  def drop_while
    r = []
    dropping = true
    each do |x|
      dropping = false if dropping && !yield(x)
      r << x unless dropping
    end
    r
  end

  def each_slice(n)
    return to_enum(:each_slice, n) unless block_given?
    r = []
    each do |x|
      r << x
      if r.size == n
        yield r
        r = []
      end
    end
    yield r unless r.empty?
    self
  end

  def each_cons(n)
    return to_enum(:each_cons, n) unless block_given?
    r = []
    each do |x|
      r << x
      r.shift if r.size > n
      yield r.dup if r.size == n
    end
    self
  end

  def zip(*others)
    to_a.zip(*others)
  end

  def to_h
    h = {}
    each do |*x|
      pair = block_given? ? yield(*x) : (x.size == 1 ? x[0] : x)
      h[pair[0]] = pair[1]
    end
    h
  end

  def reverse_each
    to_a.reverse.each { |x| yield x }
    self
  end

  def to_set
    to_a.uniq
  end

  def lazy
    self
  end
end

class Array
  def each
    return to_enum(:each) unless block_given?
    i = 0
    while i < size
      yield self[i]
      i += 1
    end
    self
  end

  def each_index
    return to_enum(:each_index) unless block_given?
    i = 0
    while i < size
      yield i
      i += 1
    end
    self
  end

  def each_with_index
    return to_enum(:each_with_index) unless block_given?
    i = 0
    while i < size
      yield self[i], i
      i += 1
    end
    self
  end

  def reverse_each
    return to_enum(:reverse_each) unless block_given?
    i = size - 1
    while i >= 0
      yield self[i]
      i -= 1
    end
    self
  end

  def map
    return to_enum(:map) unless block_given?
    r = []
    i = 0
    while i < size
      r << yield(self[i])
      i += 1
    end
    r
  end
  alias collect map

  def map!
    i = 0
    while i < size
      self[i] = yield(self[i])
      i += 1
    end
    self
  end
  alias collect! map!

  def select
    return to_enum(:select) unless block_given?
    r = []
    i = 0
    while i < size
      x = self[i]
      r << x if yield(x)
      i += 1
    end
    r
  end
  alias filter select

  def reject
    return to_enum(:reject) unless block_given?
    r = []
    i = 0
    while i < size
      x = self[i]
      r << x unless yield(x)
      i += 1
    end
    r
  end

  def select!
    replace(select { |x| yield x })
  end
  alias keep_if select!
  alias filter! select!

  def reject!
    n = size
    replace(reject { |x| yield x })
    n == size ? nil : self
  end

  def delete_if
    replace(reject { |x| yield x })
  end

  def index(*args)
    i = 0
    while i < size
      if args.empty? ? yield(self[i]) : self[i] == args[0]
        return i
      end
      i += 1
    end
    nil
  end
  alias find_index index

  def count(*args)
    return size if args.empty? && !block_given?
    n = 0
    i = 0
    while i < size
      if args.empty? ? yield(self[i]) : self[i] == args[0]
        n += 1
      end
      i += 1
    end
    n
  end

  def inject(*args)
    if args.size == 2
      acc = args[0]
      sym = args[1]
      each { |x| acc = acc.send(sym, x) }
      return acc
    end
    if args.size == 1 && !block_given?
      return nil if empty?
      acc = self[0]
      sym = args[0]
      i = 1
      while i < size
        acc = acc.send(sym, self[i])
        i += 1
      end
      return acc
    end
    if args.empty?
      return nil if empty?
      acc = self[0]
      i = 1
    else
      acc = args[0]
      i = 0
    end
    while i < size
      acc = yield(acc, self[i])
      i += 1
    end
    acc
  end
  alias reduce inject

  def sum(init = 0)
    return __sum(init) unless block_given?
    acc = init
    each { |x| acc += yield(x) }
    acc
  end

  def fill(*args)
    return __fill(*args) unless block_given?
    i = 0
    while i < size
      self[i] = yield(i)
      i += 1
    end
    self
  end

  def min(*n, &blk)
    return __min(*n) unless blk
    return sort(&blk).first(n[0]) unless n.empty?
    best = nil
    each { |x| best = x if best.nil? || blk.call(x, best) < 0 }
    best
  end

  def max(*n, &blk)
    return __max(*n) unless blk
    return sort(&blk).reverse.first(n[0]) unless n.empty?
    best = nil
    each { |x| best = x if best.nil? || blk.call(x, best) > 0 }
    best
  end

  def sort_by!(&blk)
    replace(sort_by(&blk))
  end

  def uniq(&blk)
    return __uniq unless blk
    h = {}
    r = []
    each do |x|
      k = blk.call(x)
      unless h.key?(k)
        h[k] = true
        r << x
      end
    end
    r
  end

  def zip(*others)
    r = __zip(*others)
    if block_given?
      r.each { |x| yield x }
      return nil
    end
    r
  end

  def cycle(n = nil)
    if n
      n.times { each { |x| yield x } }
    else
      loop { each { |x| yield x } }
    end
    nil
  end

  def combination(k)
    r = []
    __comb(0, k, [], r)
    if block_given?
      r.each { |c| yield c }
      return self
    end
    r
  end

  def __comb(start, k, cur, out)
    if cur.size == k
      out << cur.dup
      return
    end
    i = start
    while i < size
      cur << self[i]
      __comb(i + 1, k, cur, out)
      cur.pop
      i += 1
    end
  end

  def permutation(k = size)
    r = []
    __perm(k, [], Array.new(size, false), r)
    if block_given?
      r.each { |c| yield c }
      return self
    end
    r
  end

  def __perm(k, cur, used, out)
    if cur.size == k
      out << cur.dup
      return
    end
    i = 0
    while i < size
      unless used[i]
        used[i] = true
        cur << self[i]
        __perm(k, cur, used, out)
        cur.pop
        used[i] = false
      end
      i += 1
    end
  end

  def each_slice(n)
    return to_enum(:each_slice, n) unless block_given?
    i = 0
    while i < size
      yield self[i, n]
      i += n
    end
    self
  end

  def bsearch
    lo = 0
    hi = size
    while lo < hi
      mid = (lo + hi) / 2
      if yield(self[mid])
        hi = mid
      else
        lo = mid + 1
      end
    end
    lo < size ? self[lo] : nil
  end

  def sum_floats
    sum(0.0)
  end

  def to_h
    h = {}
    each do |x|
      pair = block_given? ? yield(x) : x
      h[pair[0]] = pair[1]
    end
    h
  end
end

class Hash
  def each
    return to_enum(:each) unless block_given?
    ks = keys
    vs = values
    i = 0
    while i < ks.size
      yield [ks[i], vs[i]]
      i += 1
    end
    self
  end
  alias each_pair each

  def each_key
    keys.each { |k| yield k }
    self
  end

  def each_value
    values.each { |v| yield v }
    self
  end

  def select
    h = {}
    each { |k, v| h[k] = v if yield(k, v) }
    h
  end
  alias filter select

  def reject
    h = {}
    each { |k, v| h[k] = v unless yield(k, v) }
    h
  end

  def delete_if
    each { |k, v| delete(k) if yield(k, v) }
    self
  end

  def keep_if
    each { |k, v| delete(k) unless yield(k, v) }
    self
  end
  alias select! keep_if

  def reject!
    n = size
    delete_if { |k, v| yield k, v }
    n == size ? nil : self
  end

  def transform_values
    h = {}
    each { |k, v| h[k] = yield(v) }
    h
  end

  def transform_keys
    h = {}
    each { |k, v| h[yield(k)] = v }
    h
  end

  def filter_map
    r = []
    each do |k, v|
      x = yield(k, v)
      r << x if x
    end
    r
  end

  def count(*args)
    return size unless block_given?
    n = 0
    each { |k, v| n += 1 if yield(k, v) }
    n
  end

  def find
    each { |k, v| return [k, v] if yield(k, v) }
    nil
  end
  alias detect find

  def any?
    return !empty? unless block_given?
    each { |k, v| return true if yield(k, v) }
    false
  end

  def all?
    each { |k, v| return false unless yield(k, v) }
    true
  end

  def sum(init = 0)
    acc = init
    each { |k, v| acc += yield(k, v) }
    acc
  end

  def to_h
    return self unless block_given?
    h = {}
    each do |k, v|
      pair = yield(k, v)
      h[pair[0]] = pair[1]
    end
    h
  end

  def min_by
    best = nil
    bv = nil
    each do |k, v|
      x = yield(k, v)
      if best.nil? || (x <=> bv) < 0
        best = [k, v]
        bv = x
      end
    end
    best
  end

  def max_by
    best = nil
    bv = nil
    each do |k, v|
      x = yield(k, v)
      if best.nil? || (x <=> bv) > 0
        best = [k, v]
        bv = x
      end
    end
    best
  end

  def sort_by
    to_a.sort_by { |kv| yield kv[0], kv[1] }
  end

  def group_by
    h = {}
    each do |k, v|
      g = yield(k, v)
      (h[g] ||= []) << [k, v]
    end
    h
  end

  def partition
    a = []
    b = []
    each do |k, v|
      if yield(k, v)
        a << [k, v]
      else
        b << [k, v]
      end
    end
    [a, b]
  end
end

class Range
  def each
    return to_enum(:each) unless block_given?
    i = self.begin
    e = self.end
    if e.nil?
      while true
        yield i
        i += 1
      end
    elsif exclude_end?
      while i < e
        yield i
        i += 1
      end
    else
      while i <= e
        yield i
        i = i.succ
      end
    end
    self
  end

  def reverse_each
    i = exclude_end? ? self.end - 1 : self.end
    b = self.begin
    while i >= b
      yield i
      i -= 1
    end
    self
  end

  def step(n)
    return to_enum(:step, n) unless block_given?
    i = self.begin
    e = self.end
    if exclude_end?
      while i < e
        yield i
        i += n
      end
    else
      while i <= e
        yield i
        i += n
      end
    end
    self
  end
  alias % step

  def map
    r = []
    each { |x| r << yield(x) }
    r
  end

  def sum(init = 0)
    return __sum + init unless block_given?
    acc = init
    each { |x| acc += yield(x) }
    acc
  end
end

class String
  def each_char
    return to_enum(:each_char) unless block_given?
    chars.each { |c| yield c }
    self
  end

  def each_with_index
    chars.each_with_index { |c, i| yield c, i }
  end

  def upto(last)
    s = self
    while true
      yield s
      break if s == last || s.size > last.size
      s = s.succ
    end
    self
  end
end

class Struct
  include Enumerable

  def each
    values.each { |x| yield x }
    self
  end

  def to_a
    values
  end
end
