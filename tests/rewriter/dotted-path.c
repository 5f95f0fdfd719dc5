// A source named with a dot and a doubled separator, as zstd's Makefile
// names its own (LIBZSTD=./, so `.//common/debug.c`): libTooling made it
// the absolute `/common/debug.c`, and codensm-gcc compiled every file of
// the library without instrumentation, after a warning each.  It is now
// parsed by its path without them, and keeps its spelling in __FILE__.
// RUN: rm -rf %t && mkdir -p %t/lib && cd %t
// RUN: cp %s lib/dotted.c
// RUN: %gcc -O2 -c .//lib/dotted.c -o dotted.o 2> warnings.txt
// RUN: %FileCheck %s --check-prefix=QUIET --allow-empty < warnings.txt
// RUN: %gcc dotted.o -o prog
// RUN: env CODENSM_REPORT=1 ./prog 2> report.txt | %FileCheck %s --check-prefix=OUT
// RUN: %FileCheck %s --check-prefix=REPORT < report.txt
#include <stdio.h>

static int step(int x) { return x + 1; }

int main(void) {
  int s = 0;
  for (int i = 0; i < 3; i++)
    s = step(s);
  printf("%s %d\n", __FILE__, s);
  return 0;
}

// QUIET-NOT: without instrumentation
// OUT: .//lib/dotted.c 3
// REPORT: lib/dotted.main lib 1 1 0
// REPORT: lib/dotted.step lib 1 3 0
