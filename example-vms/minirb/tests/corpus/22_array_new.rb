# Array.new in hot loops (traced through the Array.new fast path), and
# every case the fast path leaves to the generic send.
total = 0
shared_ok = 0
3000.times do |i|
  a = Array.new(i % 7)
  b = Array.new(i % 5, i)
  total += a.length + b.length + (b[0] || 0)
  a << i
  total += a.last
  s = Array.new(2, "x")
  shared_ok += 1 if s[0].equal?(s[1])
end
puts total
puts shared_ok
e = Array.new(0)
puts e.inspect
puts Array.new(3).inspect
puts Array.new(3, :z).inspect
puts Array.new(4) { |i| i * i }.inspect
puts Array.new([1, 2, 3]).inspect
sq = []
500.times { |i| sq = Array.new(3) { |j| i + j } }
puts sq.inspect
begin
  Array.new(-1)
rescue ArgumentError => e
  puts "ArgumentError: #{e.message}"
end
n = 0
2000.times do |i|
  begin
    Array.new(i.even? ? 1 : -1)
    n += 1
  rescue ArgumentError
    n += 100
  end
end
puts n
x = Array.new(2, [])
x[0] << 1
puts x.inspect
