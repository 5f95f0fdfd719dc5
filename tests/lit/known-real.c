// A thread's chunk, once real, stays real: after any hook of a chunk (an
// entry reaches the runtime while its chunk is the sentinel, an edge's
// count makes its chunk real first), the blocks that hook's block
// dominates count into that chunk without testing it.  h (slot 30, chunk
// 0) counts its edge to f0 (slot 31, chunk 0) untested: its entry made
// chunk 0 real.  The edges to f1, f2, f3 are slots 32 to 34, chunk 1: f1's
// is the first in its block and tested; f2's block is dominated by f1's,
// untested; f3's block is not (x & 2 may be false), tested.
// RUN: %clang -O2 -S -emit-llvm -o - %s | %FileCheck %s

#define LEAF(n) __attribute__((noinline)) int f##n(int x) { return x * n + 1; }
LEAF(0) LEAF(1) LEAF(2) LEAF(3) LEAF(4) LEAF(5) LEAF(6) LEAF(7) LEAF(8) LEAF(9)
LEAF(10) LEAF(11) LEAF(12) LEAF(13) LEAF(14) LEAF(15) LEAF(16) LEAF(17)
LEAF(18) LEAF(19) LEAF(20) LEAF(21) LEAF(22) LEAF(23) LEAF(24) LEAF(25)
LEAF(26) LEAF(27) LEAF(28) LEAF(29)
int h(int x) {
  int r = f0(x);
  if (x & 2) {
    r += f1(x);
    if (x & 4)
      r += f2(x);
  }
  if (x & 8)
    r += f3(x);
  return r;
}

// CHECK-LABEL: define {{.*}} @h(
// CHECK: __codensm_sample_start
// CHECK-NOT: @__codensm_chunk
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call i32 @f0(
// CHECK: call preserve_mostcc {{.*}}@__codensm_chunk({{.*}}, i64 1)
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call i32 @f1(
// CHECK-NOT: @__codensm_chunk
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call i32 @f2(
// CHECK: call preserve_mostcc {{.*}}@__codensm_chunk({{.*}}, i64 1)
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call i32 @f3(
// CHECK: ret i32
