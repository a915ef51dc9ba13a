def qsort(a)
  return a if a.size <= 1
  pivot, *rest = a
  left, right = rest.partition { |x| x < pivot }
  qsort(left) + [pivot] + qsort(right)
end
def msort(a)
  return a if a.size <= 1
  mid = a.size / 2
  l = msort(a[0...mid])
  r = msort(a[mid..])
  out = []
  out << (l.first <= r.first ? l.shift : r.shift) while !l.empty? && !r.empty?
  out + l + r
end
srand(42)
data = [38, 27, 43, 3, 9, 82, 10, 3, 55, 1, 99, 0, -5]
p qsort(data), msort(data), data.sort == qsort(data)
def primes(n)
  sieve = Array.new(n + 1, true)
  sieve[0] = sieve[1] = false
  (2..Math.sqrt(n)).each do |i|
    next unless sieve[i]
    (i * i).step(n, i) { |j| sieve[j] = false }
  end
  sieve.each_index.select { |i| sieve[i] }
end
p primes(100)
def hanoi(n, from, to, via, moves)
  return moves if n == 0
  hanoi(n - 1, from, via, to, moves)
  moves << [from, to]
  hanoi(n - 1, via, to, from, moves)
end
p hanoi(10, :a, :c, :b, []).size
def queens(n, row = 0, cols = [], count = [0])
  if row == n
    count[0] += 1
    return count[0]
  end
  n.times do |c|
    next if cols.each_with_index.any? { |cc, r| cc == c || (cc - c).abs == row - r }
    queens(n, row + 1, cols + [c], count)
  end
  count[0]
end
p queens(6)
memo = {}
fibm = ->(k) { k < 2 ? k : (memo[k] ||= fibm.(k - 1) + fibm.(k - 2)) }
p fibm.(90)
words = %w[apple banana cherry apple banana apple]
freq = words.each_with_object(Hash.new(0)) { |w, h| h[w] += 1 }
p freq.sort_by { |w, c| [-c, w] }, freq.max_by { |_, c| c }
p (1..20).select { |i| (i % 3).zero? }.map { |i| i * i }.reduce(:+)
mat = [[1, 2], [3, 4]]
prod = mat.map { |row| mat.transpose.map { |col| row.zip(col).sum { |x, y| x * y } } }
p prod
p 1000.to_s.chars.map(&:to_i).sum, 12345.digits.reverse
gcd = ->(a, b) { b.zero? ? a : gcd.(b, a % b) }
p gcd.(1071, 462)
