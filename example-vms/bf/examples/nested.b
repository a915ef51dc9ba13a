Nested counting loops: a benchmark for loop heavy code
Prints the alphabet; between letters runs three nested loops of 40 x 40 x 40

cell1 = 65 ('A')
>++++++++[<++++++++>-]<+ [->+<]
cell0 = 26
++++++++++++++++++++++++++
[
  >>++++++++++++++++++++++++++++++++++++++++          cell2 = 40
  [
    >++++++++++++++++++++++++++++++++++++++++         cell3 = 40
    [
      >++++++++++++++++++++++++++++++++++++++++       cell4 = 40
      [-]                                            count cell4 down
      <-
    ]
    <-
  ]
  <.+                                                print cell1 and advance
  <-
]
++++++++++.  newline from cell0 (now 0)
