// RUN: %rewrite %s -- -I%include > %t.c
// RUN: %FileCheck %s < %t.c
// RUN: %FileCheck %s --check-prefix=TABLE < %t.c
// Callers: each direct call an instrumented function makes to a function
// instrumented here, or declared here and defined elsewhere, counts its
// edge where it is made: the call becomes a comma expression whose left
// side adds one to the edge's slot (after the functions' slots), so its
// value and type are the call's.  Not counted: calls of the C library
// (declared in system headers), through a pointer, written by a macro, or
// never evaluated (sizeof).  The edges are listed by caller; a callee of
// another unit is EDGE_EXTERNAL with the hash of its name.
// (The rewritten file holds these lines too: "{{^}}", "{{[(]}}" and
// "{{[{]}}" keep a pattern from matching its own text.)
#include <codensm.h>
#include <string.h>

int elsewhere(int x);
static int helper(int x) { return x * 2; }
#define VIA_MACRO(x) helper(x)

// CHECK: {{^}}int user(const char *s, int (*fp)(int)) {struct __codensm_probe
// CHECK-NEXT: {{^}}  int n = (__codensm_count_edge{{[(]}}(__UINT64_TYPE__)3u), helper((int)strlen(s)));
// CHECK-NEXT: {{^}}  n += fp(n) + VIA_MACRO(n) + (int)sizeof(helper(n));
// CHECK-NEXT: {{^}}  return n + (__codensm_count_edge{{[(]}}(__UINT64_TYPE__)4u), elsewhere((__codensm_count_edge{{[(]}}(__UINT64_TYPE__)3u), helper(n))));
int user(const char *s, int (*fp)(int)) {
  int n = helper((int)strlen(s));
  n += fp(n) + VIA_MACRO(n) + (int)sizeof(helper(n));
  return n + elsewhere(helper(n));
}

// A return checked by a convention: the count inside the check's wrap.
// CHECK: {{^}}  return (__codensm_v2 = ((__codensm_count_edge{{[(]}}(__UINT64_TYPE__)5u), elsewhere(x))), __codensm_p2.err = (
CODENSM_ERRORS_WHEN_NEGATIVE int checked(int x) {
  return elsewhere(x);
}

// Slots: helper 0, user 1, checked 2; edges 3 to 5 after them.
// TABLE: {{^}}static const struct cnsm_edge_info __codensm_edges[] = {{[{]}}
// TABLE-NEXT: {{^}}  {1u, 0u, UINT64_C(0), 0u, 0u},
// TABLE-NEXT: {{^}}  {1u, 4294967295u, UINT64_C([[HASH:[0-9]+]]), 0u, 0u},
// TABLE-NEXT: {{^}}  {2u, 4294967295u, UINT64_C([[HASH]]), 0u, 0u},
// TABLE-NEXT: }{{;}}
// The descriptor lists them, and the directory covers their slots.
// TABLE: {{^}}static struct {{.*}} __codensm_empty_dir = {{[{][{]}}0, 0, 0, 0}, {&__codensm_sentinel}}{{;}}
// TABLE: {{^}}static const struct cnsm_module_desc __codensm_module = {{.*}}, __codensm_edges, 3u}{{;}}
// One non-locked add per counted call.
// TABLE: {{^}}static __codensm_hot void __codensm_count_edge(__UINT64_TYPE__ slot) {{[{]}}
// TABLE: {{^}}  __asm__ __volatile__("addq $1, %0" : "+m"(*calls){{[)]}};
