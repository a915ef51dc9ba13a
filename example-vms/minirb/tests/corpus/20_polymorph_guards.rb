# Programs written to make guards fail: types and classes change in hot loops.
class Num
  attr_reader :v
  def initialize(v) = @v = v
  def +(o) = Num.new(v + (o.is_a?(Num) ? o.v : o))
end
vals = []
300.times do |i|
  vals << case i % 4
          when 0 then i
          when 1 then i.to_f / 2
          when 2 then Num.new(i)
          else 2**62 + i
          end
end
total = 0
vals.each do |x|
  total = x.is_a?(Num) ? (x + total).v : total + x
end
p total
big = 1
500.times { |i| big += i * (2**60) }
p big
shapes = []
200.times do |i|
  o = Object.new
  o.instance_variable_set(:@a, i) if i.even?
  o.instance_variable_set(:@b, i * 2)
  shapes << o
end
p shapes.sum { |o| (o.instance_variable_get(:@a) || 0) + o.instance_variable_get(:@b) }
class P1; def f = 1; end
class P2 < P1; def f = super + 1; end
class P3 < P2; def f = super * 10; end
objs = [P1.new, P2.new, P3.new] * 200
p objs.sum(&:f)
s = 0
i = 0
while i < 3000
  s += (i % 7 == 0 ? 1.5 : 1)
  i += 1
end
p s
def maybe_raise(i) = i % 333 == 0 ? raise(ArgumentError, i.to_s) : i
errs = 0
good = 0
2000.times do |k|
  good += maybe_raise(k)
rescue ArgumentError
  errs += 1
end
p good, errs
class Object; def poly = :obj; end
class Integer; def poly = :int; end
p [1, "s", 2.0, nil, :x].map(&:poly)
h = Hash.new { |hh, k| hh[k] = k.to_s * 2 }
p (1..5).map { |k| h[k % 3] }
deep = ->(n) { n.zero? ? 0 : 1 + deep.(n - 1) }
p deep.(2000)
