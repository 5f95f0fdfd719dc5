// A thread's chunk, once real, stays real: after any hook of a chunk (an
// entry reaches the runtime while its chunk is the sentinel; an untimed
// entry or a depth makes its chunk real first), the blocks that hook's
// block dominates count into that chunk without testing it.  h (slot 31,
// chunk 0) inlines the accessors g1, g2 and g3 (slots 32 to 34, chunk 1: a
// module lists a function where it is first named), counted and never
// timed: g1's entry is the first hook of chunk 1 in its block and tests
// it; g2's block is dominated by g1's, untested; g3's is not (x & 2 may be
// false), tested.  An edge is never tested: the runtime makes the chunks
// of a function's edges real with the function's own (ABI 6), and h's
// entry ran first.  h's edges are slots 64 to 67 (chunk 2), which no hook
// before them touched.
// A chunk pointer known real is loaded once: the blocks a block holding
// one dominates count into it, with no load of the directory (g2's count
// uses the chunk g1's made real; h's edges the one its entry block
// loaded); -codensm-chunk-reuse=0 loads it again in each block.
// RUN: %clang -fplugin=%plugin -O2 -mllvm -codensm-edges-from-callers=0 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o %t.ll %s
// RUN: %FileCheck %s --input-file=%t.ll
// RUN: %FileCheck %s --input-file=%t.ll --check-prefix=REUSE
// RUN: %clang -fplugin=%plugin -O2 -mllvm -codensm-edges-from-callers=0 -mllvm -codensm-copies-from-edges=0 -mllvm -codensm-chunk-reuse=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=RELOAD

#define LEAF(n) __attribute__((noinline)) int f##n(int x) { return x * n + 1; }
LEAF(0) LEAF(1) LEAF(2) LEAF(3) LEAF(4) LEAF(5) LEAF(6) LEAF(7) LEAF(8) LEAF(9)
LEAF(10) LEAF(11) LEAF(12) LEAF(13) LEAF(14) LEAF(15) LEAF(16) LEAF(17)
LEAF(18) LEAF(19) LEAF(20) LEAF(21) LEAF(22) LEAF(23) LEAF(24) LEAF(25)
LEAF(26) LEAF(27) LEAF(28) LEAF(29) LEAF(30)
int g1(int x), g2(int x), g3(int x);
int h(int x) {
  int r = f0(x);
  if (x & 2) {
    r += g1(x);
    if (x & 4)
      r += g2(x);
  }
  if (x & 8)
    r += g3(x);
  return r;
}
int g1(int x) { return x ^ 11; }
int g2(int x) { return x ^ 22; }
int g3(int x) { return x ^ 33; }
LEAF(35) LEAF(36) LEAF(37) LEAF(38) LEAF(39) LEAF(40) LEAF(41) LEAF(42)
LEAF(43) LEAF(44) LEAF(45) LEAF(46) LEAF(47) LEAF(48) LEAF(49) LEAF(50)
LEAF(51) LEAF(52) LEAF(53) LEAF(54) LEAF(55) LEAF(56) LEAF(57) LEAF(58)
LEAF(59) LEAF(60) LEAF(61) LEAF(62) LEAF(63)

// CHECK: @__codensm_edges = internal constant [4 x

// CHECK-LABEL: define {{.*}} @h(
// CHECK: __codensm_sample_start
// CHECK-NOT: @__codensm_chunk
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-NEXT: call i32 @f0(
// CHECK-NOT: @__codensm_chunk
// CHECK: call preserve_mostcc {{.*}}@__codensm_chunk({{.*}}, i64 1)
// CHECK: xor i32 %{{[^ ]+}}, 11
// CHECK-NOT: @__codensm_chunk
// CHECK: xor i32 %{{[^ ]+}}, 22
// CHECK: call preserve_mostcc {{.*}}@__codensm_chunk({{.*}}, i64 1)
// CHECK: xor i32 %{{[^ ]+}}, 33
// CHECK-NOT: @__codensm_chunk
// CHECK: ret i32

// REUSE-LABEL: define {{.*}} @h(
// REUSE: call i32 @h.codensm.timed(
// REUSE: [[EDGES:%[0-9]+]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %{{[0-9]+}}
// REUSE: call i32 @f0(
// REUSE-NOT: @__codensm_home
// REUSE: getelementptr inbounds i8, {{i8\*|ptr}} [[EDGES]], i64 64
// REUSE: [[G1:%[0-9]+]] = phi {{i8\*|ptr}} [
// REUSE: xor i32 %{{[^ ]+}}, 11
// REUSE-NOT: @__codensm_home
// REUSE: getelementptr inbounds i8, {{i8\*|ptr}} [[EDGES]], i64 96
// REUSE: getelementptr inbounds i8, {{i8\*|ptr}} [[G1]], i64 64
// REUSE: xor i32 %{{[^ ]+}}, 22
// RELOAD-LABEL: define {{.*}} @h(
// RELOAD: xor i32 %{{[^ ]+}}, 11
// RELOAD-NOT: {{^}}define
// RELOAD: load {{.*}}@__codensm_home
// RELOAD-NOT: {{^}}define
// RELOAD: xor i32 %{{[^ ]+}}, 22
