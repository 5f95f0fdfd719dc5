// A call site that runs exactly once each time its caller runs counts
// nothing: in the caller's entry block, with nothing before it that may
// not go on to the next instruction (another call, a volatile access), its
// calls are the caller's, and the edge says how many such sites it has
// (edge_info.per_call); the edge's other sites count as before.  In the
// front end's code that is a function's first call, when no branch comes
// before it.
// Slots: first 0, guarded 1, vol 2, twice 3; edges after them, in caller
// order: first->g (4), first->h (5), guarded->g (6), vol->g (7), twice->g
// (8).
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O0 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O0 -mllvm -codensm-edges-from-callers=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

int g(int);
int h(int);
volatile int flag;

int first(int x) {
  int a = g(x);
  return h(a);
}
int guarded(int x) {
  if (!x)
    return 0;
  return g(x);
}
int vol(int x) {
  flag = 1;
  return g(x);
}
int twice(int x) { return g(x) + g(x + 1); }

// per_call: 1 for first->g and for one of twice's two sites; 0 for the
// others: h is first's second call, guarded's call is after a branch,
// vol's after a volatile store.
// CHECK: @__codensm_edges = internal constant [5 x { i32, i32, i64, i32, i32 }] [{ i32, i32, i64, i32, i32 } { i32 0, i32 -1, i64 {{-?[0-9]+}}, i32 0, i32 1 }, { i32, i32, i64, i32, i32 } { i32 0, i32 -1, i64 {{-?[0-9]+}}, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 1, i32 -1, i64 {{-?[0-9]+}}, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 2, i32 -1, i64 {{-?[0-9]+}}, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 3, i32 -1, i64 {{-?[0-9]+}}, i32 0, i32 1 }]
// CHECK-LABEL: define {{.*}} @first(
// CHECK-NOT: __codensm_edge(
// CHECK: call i32 @g(
// CHECK: call void @__codensm_edge({{.*}}, i64 5)
// CHECK-NEXT: call i32 @h(
// CHECK-LABEL: define {{.*}} @guarded(
// CHECK: call void @__codensm_edge({{.*}}, i64 6)
// CHECK-NEXT: call i32 @g(
// CHECK-LABEL: define {{.*}} @vol(
// CHECK: call void @__codensm_edge({{.*}}, i64 7)
// CHECK-NEXT: call i32 @g(
// CHECK-LABEL: define {{.*}} @twice(
// CHECK-NOT: __codensm_edge(
// CHECK: call i32 @g(
// CHECK: call void @__codensm_edge({{.*}}, i64 8)
// CHECK-NEXT: call i32 @g(

// Off, every site counts.
// OFF: @__codensm_edges = internal constant [5 x { i32, i32, i64, i32, i32 }] [{ i32, i32, i64, i32, i32 } { i32 0, i32 -1, i64 {{-?[0-9]+}}, i32 0, i32 0 },
// OFF-LABEL: define {{.*}} @first(
// OFF: call void @__codensm_edge({{.*}}, i64 4)
// OFF-NEXT: call i32 @g(
