// A project header that goes on with #include_next (gnulib's wrappers):
// codensm-gcc put its instrumented copy first on GCC's path, so the
// copy's #include_next found the original of the same header, whose
// include guard hid the header it meant, and GCC refused the unit, which
// was compiled without instrumentation after a warning.  Such a header is
// now left as it is (its own functions not instrumented, and not listed),
// and the unit keeps its probes.
// RUN: rm -rf %t && mkdir -p %t/wrap %t/real && cd %t
// RUN: printf '#ifndef WRAP_H\n#define WRAP_H\nstatic inline int wrapped(void) { return 1; }\n#include_next <h.h>\n#endif\n' > wrap/h.h
// RUN: printf '#ifndef REAL_H\n#define REAL_H\n#define FROM_REAL 41\n#endif\n' > real/h.h
// RUN: cp %s main.c
// RUN: %gcc -O2 -Iwrap -isystem real main.c -o prog 2> warnings.txt
// RUN: %FileCheck %s --check-prefix=QUIET --allow-empty < warnings.txt
// RUN: env CODENSM_REPORT=1 ./prog 2> report.txt | %FileCheck %s --check-prefix=OUT
// RUN: %FileCheck %s --check-prefix=REPORT < report.txt
#include <h.h>
#include <stdio.h>

static int answer(void) { return wrapped() + FROM_REAL; }

int main(void) {
  printf("%d\n", answer());
  return 0;
}

// QUIET-NOT: without instrumentation
// OUT: 42
// REPORT: main.answer root 1 1 0
// REPORT: main.main root 1 1 0
