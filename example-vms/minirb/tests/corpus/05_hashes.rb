h = { "a" => 1, b: 2, 3 => [4] }
p h, h["a"], h[:b], h[3], h[:zz], h.size, h.keys, h.values
h[:c] = 10
h["a"] += 5
p h, h.key?(:c), h.include?(:d), h.fetch(:b), h.fetch(:x, 0), h.fetch(:y) { |k| k.to_s * 2 }
h.delete("a")
p h
h.each { |k, v| puts "#{k.inspect} -> #{v.inspect}" }
h.each_pair { |k, v| print k, " " }
puts
p h.map { |k, v| [k, v] }, h.select { |k, v| v.is_a?(Integer) }, h.reject { |k, v| v == 2 }
p h.to_a, h.sort_by { |k, v| k.to_s }, h.min_by { |k, v| v.to_s }
c = Hash.new(0)
"hello world".each_char { |ch| c[ch] += 1 }
p c
d = Hash.new { |hash, k| hash[k] = k * 2 }
p d[3], d
p h.any? { |k, v| v == 10 }, h.count { |k, v| true }, h.find { |k, v| v == 10 }
p h.transform_values { |v| v.to_s }, h.merge({ z: 1 }), h.invert, h.empty?, {}.empty?
big = {}
100.times { |i| big[i] = i * i }
p big[50], big.size, big.keys.sum
big.delete(50)
p big[50], big.size
p({ [1, 2] => :arr, 1.5 => :f }[[1, 2]])
begin
  h.fetch(:nope)
rescue KeyError => e
  puts e.message
end
p h.group_by { |k, v| v.class }, h.sum { |k, v| v.is_a?(Integer) ? v : 0 }
