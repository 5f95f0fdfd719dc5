// An inlined copy its edge counts (copies-from-edges.c) made no chunk
// real: its error count, on an unwind through it, makes its chunk real
// first (a rare call to __codensm_chunk), where a counted copy's entry
// would have, instead of counting into the sentinel.  apply (slot 0) is
// inlined into user (slot 1); the edge user->apply (slot 2) is flagged.
// RUN: %clangxx -fplugin=%plugin -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clangxx -fplugin=%plugin -O2 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

int apply(int (*f)(int), int x) { return f(x) + 1; }
__attribute__((noinline)) int user(int (*f)(int), int n) {
  int s = 0;
  if (n & 1)
    s += apply(f, n);
  return s;
}

// CHECK: @__codensm_edges = internal constant [1 x {{.*}}] [{{.*}} { i32 1, i32 0, i64 0, i32 2, i32 0 }]
// CHECK-LABEL: define {{.*}} @_Z4userPFiiEi(
// CHECK: landingpad
// CHECK: call preserve_mostcc {{.*}}@__codensm_chunk({{.*}}, i64 0)
// CHECK: getelementptr inbounds i8, {{.*}}, i64 40
// CHECK: call preserve_mostcc void @__codensm_error({{.*}}, i64 0,
// CHECK: resume

// OFF: @__codensm_edges = internal constant [1 x {{.*}}] [{{.*}} { i32 1, i32 0, i64 0, i32 0, i32 0 }]
// OFF-LABEL: define {{.*}} @_Z4userPFiiEi(
// OFF: landingpad
// OFF-NOT: @__codensm_chunk({{.*}}, i64 0)
// OFF: call preserve_mostcc void @__codensm_error({{.*}}, i64 0,
// OFF: resume
