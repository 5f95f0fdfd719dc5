// A header the source includes by a path from its own directory
// ("../inc/util.h"), with no header of that directory copied: GCC looked
// for it beside the source's copy, then in the source's own directory, and
// read the original, without probes, while the unit's table listed its
// functions: rows with 0 calls, the calls lost without a word (zstd's
// huf_decompress.c, BIT_* and MEM_* helpers).  codensm-gcc now searches
// the copy of the source's directory whenever a header was copied, and of
// each include directory ("../util.h" from -Iinc/sub).
// RUN: rm -rf %t && mkdir -p %t/src %t/inc/sub && cd %t
// RUN: printf 'static inline int twice(int x) { return 2 * x; }\n' > inc/util.h
// RUN: printf 'static inline int thrice(int x) { return 3 * x; }\n' > inc/more.h
// RUN: cp %s src/main.c
// RUN: %gcc -O2 -Wmissing-include-dirs -Werror -Iinc/sub src/main.c -o prog
// RUN: env CODENSM_REPORT=1 ./prog 2> report.txt | %FileCheck %s --check-prefix=OUT
// RUN: %FileCheck %s --check-prefix=REPORT < report.txt
#include "../inc/util.h"
#include "../more.h"
#include <stdio.h>

int main(void) {
  int s = 0;
  for (int i = 0; i < 4; i++)
    s += twice(i) + thrice(i);
  printf("%d\n", s);
  return 0;
}

// OUT: 30
// REPORT: inc/more.thrice inc 1 4 0
// REPORT: inc/util.twice inc 1 4 0
