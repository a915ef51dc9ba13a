module Greet
  def greet = "Hi from #{self.class}"
  def self.included(base)
    base.extend(ClassMethods)
  end
  module ClassMethods
    def hello = "class hello #{name}"
  end
end
module Util
  PI2 = 6.28
  def self.double(x) = x * 2
  def helper = :helped
  module_function :helper
end
class Thing
  include Greet
end
p Thing.new.greet, Thing.hello, Util.double(4), Util::PI2, Util.helper
p Thing.include?(Greet), Thing.ancestors.include?(Greet), Thing.new.is_a?(Greet)
module Walk; def move = "walk"; end
module Swim; def move = "swim+#{super rescue 'none'}"; end
class Duck
  include Walk
  include Swim
end
p Duck.new.move
o = Object.new
o.extend(Walk)
p o.move
def o.special = :special
p o.special
class Vec
  include Enumerable
  def initialize(*a) = @a = a
  def each(&b)
    @a.each(&b)
    self
  end
end
v = Vec.new(3, 1, 2)
p v.sort, v.map { |x| x * 2 }, v.select(&:odd?), v.include?(2), v.min, v.max, v.sum, v.to_a, v.sort_by { -_1 }, v.first, v.first(2), v.inject(:*), v.each_with_index.to_a rescue p $!
module Deep
  module Inner
    class K
      def where = Module.nesting rescue "inner"
    end
    VAL = 1
    def self.val = VAL
  end
end
p Deep::Inner.val, Deep::Inner::K.new.class.name
S = Struct.new(:a, :b) do
  def sum = a + b
end
s = S.new(1, 2)
p s.a, s.sum, s, s.to_a, s == S.new(1, 2)
s.b = 10
p s.b
P3 = Struct.new(:x, :y, keyword_init: true)
p P3.new(x: 1, y: 2).y
