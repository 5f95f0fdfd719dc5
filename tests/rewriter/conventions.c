// RUN: %rewrite %s -- -I%include > %t.c
// RUN: %FileCheck %s < %t.c
// The return-value conventions, tested on each return's value in the
// function's return type, as the pass tests the IR's: a checked return
// keeps its value and records the test in the probe.
#include "codensm.h"
#include <stddef.h>

CODENSM_ERRORS_WHEN_NEGATIVE int parse(int x) {
  if (x > 10)
    return -1;
  return x;
}
// CHECK: CODENSM_ERRORS_WHEN_NEGATIVE int parse(int x) {struct __codensm_probe __codensm_p0 {{.*}}; __typeof__(int) __codensm_v0 __attribute__((__unused__)){{;}}
// CHECK-NEXT: if (x > 10{{[)]}}
// CHECK-NEXT: return (__codensm_v0 = (-1), __codensm_p0.err = (__codensm_v0 < 0), __codensm_v0){{;}}
// CHECK-NEXT: return (__codensm_v0 = (x), __codensm_p0.err = (__codensm_v0 < 0), __codensm_v0){{;}}

// 32 bits and more: the IR has no sign, so the pass compares as signed.
CODENSM_ERRORS_WHEN_NEGATIVE unsigned code(unsigned x) { return x; }
// A function with a convention reads the thread's error epoch at entry
// (root causes); one without, or whose convention can never hold, does not.
// CHECK: __codensm_count{{[(]}}(__UINT64_TYPE__)1u); __UINT64_TYPE__ __codensm_m1 __attribute__((__unused__)) = __codensm_p1.mark = __codensm_error_epoch;
// CHECK: return (__codensm_v1 = (x), __codensm_p1.err = ((int)(__codensm_v1) < 0), __codensm_v1){{;}}

// A small unsigned value is zero-extended: never negative, never checked.
CODENSM_ERRORS_WHEN_NEGATIVE unsigned char small(unsigned char x) { return x; }
// CHECK: unsigned char small(unsigned char x) {struct __codensm_probe __codensm_p2 {{.*}} = {2u, 0, 0, 0, 0}; __UINT64_TYPE__ __codensm_t2 __attribute__((__unused__)) = __codensm_p2.t0 = __codensm_count{{[(]}}(__UINT64_TYPE__)2u); return x; }

CODENSM_ERRORS_WHEN_NULL const char *find(int x) { return x ? "yes" : NULL; }
// CHECK: return (__codensm_v3 = (x ? "yes" : NULL), __codensm_p3.err = (!__codensm_v3), __codensm_v3){{;}}

CODENSM_ERRORS_WHEN_NONZERO long status(long x) { return x; }
// CHECK: return (__codensm_v4 = (x), __codensm_p4.err = (!!__codensm_v4), __codensm_v4){{;}}

// No convention: returns are left as they are.
int plain(int x) { return x; }
// CHECK: int plain(int x) {struct __codensm_probe __codensm_p5 {{.*}}; return x; }

// CHECK: {"conventions.parse", "root", "{{/.*}}/conventions.c", 9u, 1u, 1u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// CHECK: {"conventions.code", "root", "{{/.*}}/conventions.c", 20u, 1u, 1u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// CHECK: {"conventions.find", "root", "{{/.*}}/conventions.c", 30u, 1u, 4u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// CHECK: {"conventions.status", "root", "{{/.*}}/conventions.c", 33u, 1u, 2u, 0u, UINT64_C({{[0-9]+}})}{{,}}
