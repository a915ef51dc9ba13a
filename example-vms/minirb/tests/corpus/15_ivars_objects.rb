class Node
  attr_accessor :value, :next_node
  def initialize(value, next_node = nil)
    @value = value
    @next_node = next_node
  end
end
class LinkedList
  include Enumerable
  def initialize = @head = nil
  def push(v)
    @head = Node.new(v, @head)
    self
  end
  def each
    n = @head
    while n
      yield n.value
      n = n.next_node
    end
  end
end
l = LinkedList.new
10.times { |i| l.push(i) }
p l.to_a, l.map { |x| x * x }.sum, l.count, l.select(&:even?)
class Shape
  def area = raise(NotImplementedError, "#{self.class} must implement area")
  def describe = "#{self.class.name.downcase} with area #{format('%.2f', area)}"
end
class Circle < Shape
  def initialize(r) = @r = r
  def area = Math::PI * @r**2
end
class Sq < Shape
  def initialize(s) = @s = s
  def area = @s * @s
end
[Circle.new(1), Sq.new(2)].each { |s| puts s.describe }
begin
  Shape.new.describe
rescue NotImplementedError => e
  p e.message
end
class Lazy
  def value = @value ||= compute
  def compute
    @calls = (@calls || 0) + 1
    42
  end
  attr_reader :calls
end
lz = Lazy.new
lz.value
lz.value
p lz.value, lz.calls
class Account
  attr_reader :balance
  def initialize = @balance = 0
  def deposit(x)
    raise ArgumentError, "negative" if x < 0
    @balance += x
    self
  end
end
acct = Account.new.deposit(5).deposit(10)
p acct.balance
o = Object.new
p o.instance_variables, o.instance_variable_get(:@nope)
many = Object.new
10.times { |i| many.instance_variable_set("@v#{i}", i) }
p many.instance_variables.size, many.instance_variable_get(:@v9)
p Circle.new(2).respond_to?(:area), Circle.instance_method(:area) ? 1 : 0 rescue p :im
p 3.instance_of?(Integer), Circle.new(1).kind_of?(Shape)
