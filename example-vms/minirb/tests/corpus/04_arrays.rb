a = [5, 3, 8, 1]
p a.sort, a.reverse, a.max, a.min, a.sum, a.size, a.first, a.last, a.first(2), a.last(2)
p a.map { |x| x * 2 }, a.select(&:even?), a.reject { |x| x > 4 }, a.inject(:+), a.reduce(10) { |s, x| s + x }
p a.include?(8), a.index(8), a.take(2), a.drop(2), a.sort_by { |x| -x }, a.min_by { |x| (x - 4).abs }
b = a.dup
b << 9
b.push(10, 11)
p b.pop, b.shift, b, a
b.unshift(0)
p b, b[1..2], b[-1], b[10], b[1, 2]
b[0] = 100
b[8] = 1
p b
p [1, [2, [3, [4]]]].flatten, [1, 2, 2, 3, 3].uniq, [3, nil, 1].compact, [1, 2].zip([3, 4], [5, 6])
p [1, 2, 3].each_with_index.map { |x, i| x * i } rescue p :noenum
r = []
[1, 2, 3].each_with_index { |x, i| r << x * i }
p r
p [1, 2, 3, 4].each_slice(2).to_a rescue p :noenum2
p Array.new(3) { |i| i * i }, Array.new(2, 0), [0] * 3
p [1, 2, 3].any? { |x| x > 2 }, [1, 2, 3].all? { |x| x > 0 }, [1, 2].none?, [nil].any?
p [1, 2, 3].count(&:odd?), [1, 2, 3].count, %w[a b c].join("-"), [1, [2, 3]].join(",")
p [3, 1, 2].sort { |x, y| y <=> x }, [1, 2, 3, 4].partition(&:even?), [1, 2, 3].group_by(&:odd?)
p [[1, :a], [2, :b]].to_h, [1, 2, 3].each_with_object([]) { |x, acc| acc << x + 1 }
p [1, 2] + [3], [1, 2, 3] - [2], [1, 2] & [2, 3], [1, 2] | [2, 3]
x, y, *z = [1, 2, 3, 4]
p x, y, z
m, (n, o) = 1, [2, 3]
p m, n, o
a2 = [1, 2, 3]
a2.map! { |v| v + 1 }
p a2, a2.delete(3), a2, a2.fill(7)
p (1..10).step(3).to_a rescue p (1..10).to_a.select { |i| i % 3 == 1 }
p [4, 5, 6].find { |v| v > 4 }, [1, 2, 3].flat_map { |v| [v, v] }, [1, 2, 3, 4].sum { |v| v * 10 }
p [1, 2, 3].tally, %w[b a c].sort, [[2, 1], [1, 2]].sort, [1, 2, 3].rotate
