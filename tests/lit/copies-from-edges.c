// Inlined copies counted by their call sites' edges (ABI 10,
// plugin/CopiesFromEdges.h): where every site counting an edge is followed
// by its callee's inlined copy, the copy counts nothing and the edge is
// flagged EDGE_COUNTS_CALLEE (2).  Slots: leaf 0, inner 1, branchy 2, the
// fillers 3 to 34, far 35, user 36 (chunks of 32); edges from slot 37, at
// 32 + 32 * (slot % 32) bytes into their chunk: branchy->inner 37,
// far->inner 38, user->leaf 39, user->branchy 40, user->far 41.  In user,
// leaf's copy counts nothing (a leaf), nor does inner's (a leaf too);
// far's neither, though far counts an edge of its own (inner, behind a
// branch: untested, into a chunk the runtime makes real with far's), since
// user's entry, in far's chunk, made it real before.  branchy, in chunk 0,
// which nothing in user made real before its copy, keeps its count, and
// its test.  Off, every copy counts and no edge is flagged.
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -O2 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

int leaf(int x) { return x * 7 + 1; }
int inner(int x) { return x ^ 5; }
int branchy(int x) { return x > 3 ? inner(x) + 3 : 0; }
int user(int n);
#define FILL(n) __attribute__((noinline)) int f##n(int x) { return x * n; }
FILL(4) FILL(5) FILL(6) FILL(7) FILL(8) FILL(9) FILL(10) FILL(11) FILL(12)
FILL(13) FILL(14) FILL(15) FILL(16) FILL(17) FILL(18) FILL(19) FILL(20)
FILL(21) FILL(22) FILL(23) FILL(24) FILL(25) FILL(26) FILL(27) FILL(28)
FILL(29) FILL(30) FILL(31) FILL(32) FILL(33) FILL(34) FILL(35)
int far(int x) { return x > 9 ? inner(x) - 1 : 1; }
__attribute__((noinline)) int user(int n) {
  int s = 0;
  if (n & 1)
    s += leaf(n);
  if (n & 2)
    s += branchy(n);
  if (n & 4)
    s += far(n);
  return s;
}

// CHECK: @__codensm_edges = internal constant [5 x {{.*}}] [{{.*}} { i32 2, i32 1, i64 0, i32 2, i32 0 }, {{.*}} { i32 35, i32 1, i64 0, i32 2, i32 0 }, {{.*}} { i32 36, i32 0, i64 0, i32 2, i32 0 }, {{.*}} { i32 36, i32 2, i64 0, i32 0, i32 0 }, {{.*}} { i32 36, i32 35, i64 0, i32 2, i32 0 }]
// CHECK-LABEL: define {{.*}} @user(
// The edge user->leaf (39), and no count of leaf (0, chunk 0).
// CHECK: getelementptr inbounds i8, {{.*}}, i64 256
// CHECK-NOT: getelementptr inbounds i8, {{.*}}, i64 32{{$}}
// The edge user->branchy (40), chunk 0 made real, branchy's count (2),
// its edge to inner (37), and no count of inner (1).
// CHECK: getelementptr inbounds i8, {{.*}}, i64 288
// CHECK: call preserve_mostcc {{.*}}@__codensm_chunk({{.*}}, i64 0)
// CHECK: getelementptr inbounds i8, {{.*}}, i64 96
// CHECK: getelementptr inbounds i8, {{.*}}, i64 192
// CHECK-NOT: getelementptr inbounds i8, {{.*}}, i64 64{{$}}
// The edge user->far (41), no count of far (35), its edge to inner (38).
// CHECK: getelementptr inbounds i8, {{.*}}, i64 320
// CHECK-NOT: getelementptr inbounds i8, {{.*}}, i64 128{{$}}
// CHECK: getelementptr inbounds i8, {{.*}}, i64 224
// CHECK-NOT: getelementptr inbounds i8, {{.*}}, i64 {{64|128}}{{$}}
// CHECK: ret i32

// OFF: @__codensm_edges = internal constant [5 x {{.*}}] [{{.*}} { i32 2, i32 1, i64 0, i32 0, i32 0 }, {{.*}} { i32 35, i32 1, i64 0, i32 0, i32 0 }, {{.*}} { i32 36, i32 0, i64 0, i32 0, i32 0 }, {{.*}} { i32 36, i32 2, i64 0, i32 0, i32 0 }, {{.*}} { i32 36, i32 35, i64 0, i32 0, i32 0 }]
// OFF-LABEL: define {{.*}} @user(
// OFF: getelementptr inbounds i8, {{.*}}, i64 256
// OFF: getelementptr inbounds i8, {{.*}}, i64 32{{$}}
// OFF: getelementptr inbounds i8, {{.*}}, i64 320
// OFF: getelementptr inbounds i8, {{.*}}, i64 128{{$}}
// OFF: ret i32
