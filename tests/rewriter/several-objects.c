// codensm-gcc -c with several sources and no -o: each is compiled alone,
// to the object GCC names, with the copies of its own headers, so a
// header's static inline function is counted in every unit that calls it.
// RUN: rm -rf %t && mkdir -p %t && cd %t
// RUN: printf 'static inline int twice(int x) { return 2 * x; }\n' > util.h
// RUN: printf '#include "util.h"\nint a_fn(int x) { return twice(x) + 1; }\n' > a.c
// RUN: cp %s b.c
// RUN: %gcc -O2 -c a.c b.c
// RUN: test -f a.o && test -f b.o
// RUN: %gcc a.o b.o -o prog
// RUN: env CODENSM_REPORT=1 ./prog 2> report.txt | %FileCheck %s --check-prefix=OUT
// RUN: %FileCheck %s --check-prefix=REPORT < report.txt
// OUT: 190
// Columns: function, department, weight, calls, errors, total ms (which
// any time may fill: a loaded machine made a_fn's 1.28 ms).
// REPORT-DAG: {{^}}a.a_fn {{[^ ]+ [0-9]+}} 10 0 {{[0-9.]+$}}
// REPORT-DAG: {{^}}util.twice {{[^ ]+ [0-9]+}} 20 0 {{[0-9.]+$}}
// REPORT-DAG: {{^}}b.main {{[^ ]+ [0-9]+}} 1 0 {{[0-9.]+$}}
#include <stdio.h>
#include "util.h"
int a_fn(int);
int main(void) {
  int s = 0;
  for (int i = 0; i < 10; i++)
    s += a_fn(i) + twice(i);
  printf("%d\n", s);
  return 0;
}
