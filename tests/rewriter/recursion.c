// RUN: %rewrite %s -- -I%include > %t.c
// RUN: %FileCheck %s < %t.c
// RUN: %rewrite %s -- -I%include -x c++ > %t.cpp
// RUN: %FileCheck %s --check-prefix=CXX < %t.cpp
// A function on a cycle of the unit's call graph (fact calls itself; even
// and odd call each other) keeps its depth in the thread, as the plugin
// does: its probe raises it after the count and lowers it after the stop,
// and its row has the RECURSIVE flag (8), so only outermost frames are
// timed.  leaf, on no cycle, keeps no depth (and, a small leaf, is only
// counted: untimed-leaves.c).

int odd(int n);
int leaf(int n) { return n + 1; }
int fact(int n) { return n < 2 ? 1 : n * fact(n - 1); }
int even(int n) { return n == 0 ? 1 : odd(n - 1); }
int odd(int n) { return n == 0 ? 0 : even(n - 1); }

// CHECK: int leaf(int n) {__UINT64_TYPE__ __codensm_t0 __attribute__((__unused__)) = __codensm_tally{{[(]}}(__UINT64_TYPE__)0u); return n + 1; }
// CHECK: int fact(int n) {struct __codensm_probe __codensm_p1 {{.*}} = {1u, 0, 0, 0, 1}; __UINT64_TYPE__ __codensm_t1 {{.*}} = __codensm_count{{[(]}}(__UINT64_TYPE__)1u); __UINT64_TYPE__ __codensm_r1 __attribute__((__unused__)) = __codensm_step_depth{{[(]}}(__UINT64_TYPE__)1u, 1); return
// CHECK: int even(int n) {{{.*}} = {2u, 0, 0, 0, 1}; {{.*}}__codensm_step_depth{{[(]}}(__UINT64_TYPE__)2u, 1);
// CHECK: int odd(int n) {{{.*}} = {3u, 0, 0, 0, 1}; {{.*}}__codensm_step_depth{{[(]}}(__UINT64_TYPE__)3u, 1);
// CHECK: {"recursion.leaf", "root", "recursion.c", 12u, 1u, 0u, 2u,
// CHECK-NEXT: {"recursion.fact", "root", "recursion.c", 13u, 1u, 0u, 8u,
// CHECK-NEXT: {"recursion.even", "root", "recursion.c", 14u, 1u, 0u, 8u,
// CHECK-NEXT: {"recursion.odd", "root", "recursion.c", 15u, 1u, 0u, 8u,

// CXX: int leaf(int n) {__UINT64_TYPE__ __codensm_t0 __attribute__((__unused__)) = __codensm_tally(0u); return n + 1; }
// CXX: int fact(int n) {__codensm_guard __codensm_p1(1u, true, true);
