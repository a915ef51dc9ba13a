out = []
(1..15).each do |i|
  out << if i % 15 == 0 then "FizzBuzz"
         elsif i % 3 == 0 then "Fizz"
         elsif i % 5 == 0 then "Buzz"
         else i.to_s
         end
end
puts out.join(" ")
table = [["name", "qty"], ["apple", 3], ["kiwi", 12]]
table.each { |n, q| puts n.to_s.ljust(8) + q.to_s.rjust(4) }
s = +""
5.times { |i| s << "#{i}," }
puts s.chomp(","), s.size
puts "%-6s|%6.2f|%03d" % ["ab", 3.14159, 7]
puts "abc" * 3, "-" * 20
csv = "a,b,c\n1,2,3\n4,5,6"
rows = csv.split("\n").map { |l| l.split(",") }
p rows, rows.transpose
puts rows.map { |r| r.join("\t") }
heredoc = <<~TEXT
  Dear #{rows[1][0]},
    indented line
  Bye
TEXT
puts heredoc
p "CamelCaseString".chars.map { |c| c == c.upcase ? "_" + c.downcase : c }.join.sub("_", "")
p "hello world foo".split.map(&:capitalize).join(" ")
p "racecar".reverse == "racecar", "abc".each_char.to_a, "a-b".tr("-", "+")
sym = :"hello world"
p sym, sym.to_s, :abc.to_proc.call("xyz") rescue p :err
p "abc".ord, 97.chr, "%c" % 98, "z".succ
p "The quick brown fox".split.map(&:size), "mississippi".squeeze, "mississippi".count("s")
p "a%sb" % "X", "snake_case_word".split("_").each_with_index.map { |w, i| i.zero? ? w : w.capitalize }.join
