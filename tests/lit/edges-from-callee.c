// An edge with no counter: a function of the unit that only counting call
// sites call (internal linkage, address never taken, no caller left
// uninstrumented) has as many calls as its edges together, so one of its
// edges, the one with the most call sites, is its calls less the others'
// (edge_info.flags 1, EDGE_FROM_CALLEE) and its sites count nothing.
// Slots: one 0, shared 1, two 2, taken 3, user 4, from_skipped 5, inst 6,
// external_user 7 (skipped is not instrumented).
// The functions here are tiny but stand for timed ones (the untimed policy,
// which would count them without timing, is trivial.c's); the first calls
// of a function, which are their caller's calls, are
// edges-from-callers.c's.
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O0 -mllvm -codensm-edges-from-callers=0 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -O0 -mllvm -codensm-edges-from-callers=0 -mllvm -codensm-edges-from-callees=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

int external(int);

static int shared(int x) { return x + 1; }
int one(int x) { return shared(x); }
int two(int x) { return shared(x) + shared(x + 1); }

static int taken(int x) { return x - 1; }
int (*pointer_to_taken)(int) = taken;
int user(int x) { return taken(x); }

static int from_skipped(int x) { return x * 2; }
__attribute__((annotate("codensm:skip"))) int skipped(int x) {
  return from_skipped(x);
}
int inst(int x) { return from_skipped(x); }

int external_user(int x) { return external(x); }

// Edges in caller order: one->shared (counted), two->shared (from the
// callee: two sites against one), user->taken (its address is taken),
// inst->from_skipped (an uninstrumented function calls it too),
// external_user->external (another unit's).
// CHECK: @__codensm_edges = internal constant [5 x { i32, i32, i64, i32, i32 }] [{ i32, i32, i64, i32, i32 } { i32 0, i32 1, i64 0, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 2, i32 1, i64 0, i32 1, i32 0 }, { i32, i32, i64, i32, i32 } { i32 4, i32 3, i64 0, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 6, i32 5, i64 0, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 7, i32 -1, i64 {{-?[1-9][0-9]*}}, i32 0, i32 0 }]

// one's edge is counted in slot 8 (after the 8 functions), two's in
// none; the others' where they are called.
// CHECK-LABEL: define {{.*}} @one(
// CHECK: call void @__codensm_edge({{.*}}, i64 8)
// CHECK-NEXT: call {{.*}} @shared(
// CHECK-LABEL: define {{.*}} @two(
// CHECK-NOT: __codensm_edge
// CHECK: call {{.*}} @shared(
// CHECK-NOT: __codensm_edge
// CHECK: call {{.*}} @shared(
// CHECK-NOT: __codensm_edge
// CHECK-LABEL: define {{.*}} @user(
// CHECK: call void @__codensm_edge({{.*}}, i64 10)
// CHECK-NEXT: call {{.*}} @taken(
// CHECK-LABEL: define {{.*}} @inst(
// CHECK: call void @__codensm_edge({{.*}}, i64 11)
// CHECK-NEXT: call {{.*}} @from_skipped(
// CHECK-LABEL: define {{.*}} @external_user(
// CHECK: call void @__codensm_edge({{.*}}, i64 12)
// CHECK-NEXT: call {{.*}} @external(

// Off, every edge is counted where it is called.
// OFF: @__codensm_edges = internal constant [5 x { i32, i32, i64, i32, i32 }] [{ i32, i32, i64, i32, i32 } { i32 0, i32 1, i64 0, i32 0, i32 0 }, { i32, i32, i64, i32, i32 } { i32 2, i32 1, i64 0, i32 0, i32 0 },
// OFF-LABEL: define {{.*}} @two(
// OFF: call void @__codensm_edge({{.*}}, i64 9)
// OFF-NEXT: call {{.*}} @shared(
// OFF: call void @__codensm_edge({{.*}}, i64 9)
// OFF-NEXT: call {{.*}} @shared(
