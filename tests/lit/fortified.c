// A C library's inline redefinition of a builtin, in a system header
// (glibc's _FORTIFY_SOURCE wrappers of memcpy, memset, strcpy, ...), is the
// library's code: clang emits it as memset.inline, and the front end, which
// saw it as memset, tells the pass where it is defined all the same.  Until
// round fifteen every fortified call of a Debian build (-D_FORTIFY_SOURCE=2)
// was counted as a function of the unit (memcached: memset.inline, 146
// million calls).  With the pass alone, nothing tells it.
// RUN: rm -rf %t && mkdir -p %t/sys && cp %S/Inputs/fortified.h %t/sys/ && cp %s %t/a.c
// RUN: cd %t && %clang_fe -O1 -isystem sys -S -emit-llvm -o - a.c | %FileCheck %s
// RUN: cd %t && %clang -O1 -isystem sys -S -emit-llvm -o - a.c | %FileCheck %s --check-prefix=PASS-ONLY
// CHECK: c"a.clear\00"
// CHECK-NOT: memset.inline
// CHECK: @__codensm_functions =
// PASS-ONLY-DAG: c"a.clear\00"
// PASS-ONLY-DAG: c"a.memset.inline\00"
#include <fortified.h>

char buf[64];

int clear(int n) {
  memset(buf, 0, (size_t)n);
  return buf[0];
}
