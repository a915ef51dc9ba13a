class Animal
  attr_reader :name
  attr_accessor :age
  @@count = 0
  SOUND = "..."
  def initialize(name, age = 1)
    @name = name
    @age = age
    @@count += 1
  end
  def self.count = @@count
  def speak = "#{name} says #{sound}"
  def sound = self.class::SOUND
  def to_s = "#<#{self.class.name} #{@name}>"
  def <=>(other) = age <=> other.age
  include Comparable
end
class Dog < Animal
  SOUND = "Woof"
  def initialize(name, age, breed)
    super(name, age)
    @breed = breed
  end
  def speak
    super + " (#{@breed})"
  end
end
class Cat < Animal
  SOUND = "Meow"
end
d = Dog.new("Rex", 3, "lab")
c = Cat.new("Tom")
puts d.speak, c.speak, d, Animal.count
p d.is_a?(Animal), d.instance_of?(Animal), Dog.superclass, Dog.ancestors.take(3), c.respond_to?(:speak), c.respond_to?(:fly)
p d > c, [d, c].min.name, d.between?(c, d)
c.age = 7
p c.age, d.instance_variables, d.instance_variable_get(:@breed)
d.instance_variable_set(:@breed, "pug")
puts d.speak
class Animal
  def legs = 4
end
p c.legs
class Counter
  class << self
    def create = new
    attr_accessor :made
  end
  self.made = 0
  def initialize
    self.class.made += 1
  end
end
Counter.create
Counter.new
p Counter.made
class Point
  attr_reader :x, :y
  def initialize(x, y) = (@x, @y = x, y)
  def ==(o) = o.is_a?(Point) && x == o.x && y == o.y
  alias eql? ==
  def hash = [x, y].hash
  def +(o) = Point.new(x + o.x, y + o.y)
  def inspect = "P(#{x},#{y})"
  def [](i) = i == 0 ? x : y
  def -@ = Point.new(-x, -y)
end
a = Point.new(1, 2)
p a + Point.new(3, 4), a == Point.new(1, 2), a[1], -a
h = { a => 1 }
p h[Point.new(1, 2)], [Point.new(1, 2), a].uniq.size
p a.frozen?, a.freeze.frozen?
begin
  a.instance_variable_set(:@x, 5)
rescue => e
  p e.class
end
class Base
  def template = "#{prefix}-#{body}"
  def prefix = "base"
  private
  def body = "secret"
end
class Derived < Base
  def prefix = "derived"
end
p Derived.new.template
begin
  Derived.new.body
rescue NoMethodError => e
  puts e.class
end
p Derived.instance_methods(false), Base.method_defined?(:template)
