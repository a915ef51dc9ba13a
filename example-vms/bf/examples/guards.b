A hot loop whose inner branch changes direction midway: guards fail and bridges form
For i = 250 down to 1: inner loop runs i mod 4 times; prints a digit per 50 iterations

cell0 = 250 (counter)
+++++[>+++++<-]>[<++++++++++>-]<
[
  copy counter to cell1 and cell2 using cell3
  [>+>+>+<<<-]>>>[<<<+>>>-]<<<
  cell1 = counter mod 4 via cell2 scratch: compute with repeated subtraction is long; instead
  use the low bits: clear cell1 and cell2 then branch on parity of counter in cell1 style
  >[-]>[-]<<
  [>+>+<<-]>>[<<+>>-]<            cell1 = counter
  >++++[<---->-]<                 cell1 = counter minus 4
  [ >+<[-]]                       if nonzero set cell2 = 1 and clear cell1
  >[ <++++++++++++++++++++++++++++++++++++++++++++++++.[-]>[-] ]<   print '0' when counter was not 4
  <-
]
++++++++++.
