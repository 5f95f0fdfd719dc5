// An inlined copy its edge counts (copies-from-edges.c) made no chunk
// real: its error count, on an unwind through it, is the runtime's
// __codensm_exit, which finds or makes the thread's real chunk (the
// inline count would have gone to the sentinel).  apply (slot 0) is
// inlined into user (slot 1); the edge user->apply (slot 2) is flagged.
// A return whose error is computed stays inline: its test, and under it
// the count and the cause's call.
// RUN: %clangxx -fplugin=%plugin -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clangxx -fplugin=%plugin -O2 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

#include "codensm.h"

int apply(int (*f)(int), int x) { return f(x) + 1; }
__attribute__((noinline)) int user(int (*f)(int), int n) {
  int s = 0;
  if (n & 1)
    s += apply(f, n);
  return s;
}

// CHECK: @__codensm_edges = internal constant [2 x {{.*}}] [{{.*}} { i32 1, i32 0, i64 0, i32 2, i32 0 }, {{.*}} { i32 3, i32 2, i64 0, i32 0, i32 0 }]
// CHECK-LABEL: define {{.*}} @_Z4userPFiiEi(
// CHECK: landingpad
// CHECK-NEXT: cleanup
// CHECK: call void @__codensm_exit({{.*}}, i64 0, i64 0, i64 1,
// CHECK: resume

// OFF: @__codensm_edges = internal constant [2 x {{.*}}] [{{.*}} { i32 1, i32 0, i64 0, i32 0, i32 0 }, {{.*}} { i32 3, i32 2, i64 0, i32 0, i32 0 }]
// OFF-LABEL: define {{.*}} @_Z4userPFiiEi(
// OFF: landingpad
// OFF: call void @__codensm_exit({{.*}}, i64 0, i64 0, i64 1,
// OFF: resume

// A copy whose error is a computed return value (verify, slot 2, inlined
// into caller, slot 3): counted inline under its test.
CODENSM_ERRORS_WHEN_NEGATIVE int verify(int x) noexcept { return x * x - 7 * x; }
__attribute__((noinline)) int caller(int n) noexcept {
  int s = 0;
  if (n & 1)
    s += verify(n);
  return s;
}

// CHECK-LABEL: define {{.*}} @_Z6calleri(
// CHECK-NOT: @__codensm_exit(
// CHECK: getelementptr inbounds i8, {{.*}}, i64 104
// CHECK: call preserve_mostcc void @__codensm_error({{.*}}, i64 2,
// CHECK-NOT: @__codensm_exit(
// CHECK: ret i32
