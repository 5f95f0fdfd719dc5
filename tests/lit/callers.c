// Callers: each direct call of an instrumented function to one that is or
// may be instrumented counts its (caller, callee) edge, in a slot after
// the functions' (two functions here: edges in slots 2 and 3), right
// before the call.  A callee of this unit is named by its slot; one only
// declared by the FNV-1a hash of its symbol, which its own unit lists
// beside it (function_info.symbol_hash; 0 for internal linkage).  Library
// functions, intrinsics and calls through pointers count nothing.
// Expanded, an edge's count goes to the thread's real chunk, made on first
// use, tested once per chunk and block.
// The functions here are tiny but stand for timed ones (the untimed policy,
// which would count them without timing, is trivial.c's).  helper's one
// edge needs no counter (edges-from-callee.c) unless told otherwise.
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-edges-from-callees=0 -mllvm -codensm-edges-from-callers=0 -O0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=CALLS
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-edges-from-callees=0 -mllvm -codensm-edges-from-callers=0 -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=FROM
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O2 -mllvm -codensm-callers=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF
// A dispatcher, a caller of more different functions than
// -codensm-callers-max-callees (128 by default), counts none of its calls.
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O2 -mllvm -codensm-callers-max-callees=1 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-edges-from-callees=0 -mllvm -codensm-edges-from-callers=0 -O2 -mllvm -codensm-callers-max-callees=2 -S -emit-llvm -o - %s | %FileCheck %s
#include <stdlib.h>
#include <string.h>

int elsewhere(int);

__attribute__((noinline)) static int helper(int x) { return x + 1; }

int caller(int x, char *s, int (*fp)(int)) {
  int a = helper(x);
  int b = elsewhere(a);
  memset(s, 0, 4);
  b += (int)strlen(s) + abs(b);
  return fp(b);
}

// CALLS-LABEL: define {{.*}} @caller(
// CALLS: call void @__codensm_edge({{.*}}@__codensm_unit{{.*}}, i64 2)
// CALLS-NEXT: call {{.*}} @helper(
// CALLS: call void @__codensm_edge({{.*}}@__codensm_unit{{.*}}, i64 3)
// CALLS-NEXT: call {{.*}} @elsewhere(
// CALLS-NOT: __codensm_edge
// CALLS: call {{.*}} @strlen(
// CALLS-NOT: __codensm_edge
// CALLS: ret i32

// The edges: caller (slot 0) -> helper (slot 1); caller -> elsewhere,
// external (callee 0xffffffff), by the hash of "elsewhere".  caller is
// external (its symbol's hash), helper internal (0).
// CHECK-DAG: @__codensm_edges = internal constant [2 x { i32, i32, i64, i32, i32 }] [{ i32, i32, i64, i32, i32 } { i32 0, i32 1, i64 0, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 0, i32 -1, i64 {{-?[1-9][0-9]*}}, i32 0, i32 0 }]
// CHECK-DAG: @__codensm_functions = internal constant [2 x {{.*}} i32 0, i64 {{-?[1-9][0-9]*}} }, {{.*}} i32 0, i64 0 }]
// CHECK-DAG: @__codensm_module = internal constant {{.*}}@__codensm_edges{{.*}}, i32 2 }
// CHECK-LABEL: define {{.*}} @caller(
// The caller's own count, then the first edge: slot 2, byte 32 + 2 * 32
// of the same chunk, which the entry made real (a thread's first call of a
// chunk reaches the runtime): loaded again after the entry and never
// tested, once for both edges.
// CHECK: "xaddq $0, $1"
// CHECK-NOT: @__codensm_chunk
// CHECK: @__codensm_sample_start(
// CHECK-NOT: @__codensm_chunk
// CHECK: load {{.*}}@__codensm_home
// CHECK-NOT: @__codensm_home
// CHECK: getelementptr inbounds i8, {{.*}}, i64 96
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call {{.*}} @helper(
// CHECK-NOT: @__codensm_chunk
// CHECK: getelementptr inbounds i8, {{.*}}, i64 128
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call {{.*}} @elsewhere(
// CHECK-NOT: add i64 %{{[^ ]+}}, 1{{$}}
// CHECK: ret i32

// By default helper's edge is its calls (flags EDGE_FROM_CALLEE): no call
// site counts it; elsewhere's is still counted where it is called.
// FROM-DAG: @__codensm_edges = internal constant [2 x { i32, i32, i64, i32, i32 }] [{ i32, i32, i64, i32, i32 } { i32 0, i32 1, i64 0, i32 1, i32 0 }, { i32, i32, i64, i32, i32 } { i32 0, i32 -1, i64 {{-?[1-9][0-9]*}}, i32 0, i32 0 }]
// FROM-LABEL: define {{.*}} @caller(
// FROM-NOT: __codensm_edge
// FROM: call {{.*}} @helper(
// FROM-NEXT: store
// FROM: call void @__codensm_edge({{.*}}@__codensm_unit{{.*}}, i64 3)
// FROM-NEXT: call {{.*}} @elsewhere(
// FROM-NOT: __codensm_edge
// FROM: ret i32

// OFF-DAG: @__codensm_module = internal constant {{.*}} null, i32 0 }
// OFF-LABEL: define {{.*}} @caller(
// OFF: "xaddq $0, $1"
// OFF-NOT: add i64 %{{[^ ]+}}, 1{{$}}
// OFF: ret i32
