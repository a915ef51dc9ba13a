# Builtins the interpreter traces inline: each result must match CRuby's,
# in loops long enough to be compiled, including the cases that leave the
# fast path (negative operands, overflow, non-String arguments, redefinition).
class Pt
  attr_reader :x, :y
  def initialize(x, y)
    @x = x
    @y = y
  end
end
class Empty; end
class Eq
  def initialize(v); @v = v; end
  attr_reader :v
  def ==(o); o.is_a?(Eq) && o.v == v; end
end

acc = []
sum = 0
60.times do |i|
  p1 = Pt.new(i, -i)
  sum += p1.x - p1.y
  e = Empty.new
  acc << (e == e) << (e != Empty.new) << e.equal?(e)
  sum += i / 7 + i % 7 + (-i) / 7 + (-i) % 7 + i / -3 + i % -3
  sum += (i ^ 0x55) + (i | 8) + (i >> 2) + (i << 3)
  sum += (2**62 + i).succ.to_s.size + (-2**63).pred.to_s.size
  s = "item#{i}"
  acc << (s == "item3") << (s != "item3") << (s === "item4") << (s == :sym) << (s == nil)
  acc << s[0] << s[-1] << s[20].inspect << s[1, 3] << s[2..] << s[..-3] << s.length
  r = (i...i + 3)
  sum += r.begin + r.end + (r.exclude_end? ? 1 : 0)
  acc << ([i] == nil) << ([i] == i) << ([i] == [i])
  acc << (nil == nil) << (:a == :a) << (:a != :b) << (true != false)
  acc << (Eq.new(i) != Eq.new(i)) << (Eq.new(i) == Eq.new(i + 1))
  acc << 1.equal?(1) << 1.0.equal?(1.0) << nil.equal?(nil)
end
puts sum
puts acc.size
puts acc.first(40).inspect
puts acc.last(30).inspect
begin
  Empty.new(1)
rescue ArgumentError => e
  puts e.message
end

# Redefinition after the loops were compiled must take effect.
class Integer
  def succ
    self + 2
  end
end
class String
  def ==(o)
    true
  end
end
r = []
40.times { |i| r << i.succ << ("a" == "b") }
puts r.last(6).inspect
