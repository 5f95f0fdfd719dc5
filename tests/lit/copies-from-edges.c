// Inlined copies counted by their call sites' edges (ABI 10,
// plugin/CopiesFromEdges.h): where every site counting an edge is followed
// by its callee's inlined copy, the copy counts nothing and the edge is
// flagged EDGE_COUNTS_CALLEE (2).  Slots: leaf 0, inner 1, branchy 2,
// user 3; edges from slot 4 (at 32 + 32 * slot bytes into the chunk):
// branchy->inner 4, user->leaf 5, user->branchy 6.  leaf's copy in user
// counts nothing, nor inner's in branchy's copy (a leaf too); branchy
// counts an edge of its own (inner, behind a branch, which needs branchy's
// chunk real), so its copy counts itself.  Off, every copy counts and no
// edge is flagged.
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -O2 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

int leaf(int x) { return x * 7 + 1; }
int inner(int x) { return x ^ 5; }
int branchy(int x) { return x > 3 ? inner(x) + 3 : 0; }
__attribute__((noinline)) int user(int n) {
  int s = 0;
  if (n & 1)
    s += leaf(n);
  if (n & 2)
    s += branchy(n);
  return s;
}

// CHECK: @__codensm_edges = internal constant [3 x {{.*}}] [{{.*}} { i32 2, i32 1, i64 0, i32 2, i32 0 }, {{.*}} { i32 3, i32 0, i64 0, i32 2, i32 0 }, {{.*}} { i32 3, i32 2, i64 0, i32 0, i32 0 }]
// CHECK-LABEL: define {{.*}} @user(
// The edge user->leaf (slot 5), and no count of leaf (slot 0) after it.
// CHECK: getelementptr inbounds i8, {{.*}}, i64 192
// CHECK-NOT: getelementptr inbounds i8, {{.*}}, i64 32{{$}}
// The edge user->branchy (slot 6), then branchy's copy (slot 2) and its
// edge to inner (slot 4), with no count of inner (slot 1) after it.
// CHECK: getelementptr inbounds i8, {{.*}}, i64 224
// CHECK: getelementptr inbounds i8, {{.*}}, i64 96
// CHECK: getelementptr inbounds i8, {{.*}}, i64 160
// CHECK-NOT: getelementptr inbounds i8, {{.*}}, i64 64{{$}}
// CHECK: ret i32

// OFF: @__codensm_edges = internal constant [3 x {{.*}}] [{{.*}} { i32 2, i32 1, i64 0, i32 0, i32 0 }, {{.*}} { i32 3, i32 0, i64 0, i32 0, i32 0 }, {{.*}} { i32 3, i32 2, i64 0, i32 0, i32 0 }]
// OFF-LABEL: define {{.*}} @user(
// OFF: getelementptr inbounds i8, {{.*}}, i64 192
// OFF: getelementptr inbounds i8, {{.*}}, i64 32{{$}}
// OFF: getelementptr inbounds i8, {{.*}}, i64 224
// OFF: getelementptr inbounds i8, {{.*}}, i64 96
// OFF: getelementptr inbounds i8, {{.*}}, i64 160
// OFF: getelementptr inbounds i8, {{.*}}, i64 64{{$}}
// OFF: ret i32
