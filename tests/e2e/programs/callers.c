/* SPDX-License-Identifier: Apache-2.0 */
/* Callers, exactly: main calls top 10 times; top calls mid twice and leaf
 * once; mid calls leaf and lib_work (in callers_lib.c, another unit)
 * once each; main calls lib_work once and leaf 5 times through a pointer
 * (a call site that names no callee: leaf's 35 calls, 30 from callers);
 * walk recurses 4 deep under main, once; top calls only, which nothing
 * else calls.  Spare functions before and after them put the edges'
 * slots (after the 106 functions') in a chunk of counters of their own,
 * which no function's entry touches: the runtime makes it real with its
 * callers' chunks (ABI 6), or their counts are lost. */
#include <stdio.h>

// clang-format off
#define SPARE(n) int spare##n(int x) { return x + n; }
#define SPARES(t) SPARE(t##0) SPARE(t##1) SPARE(t##2) SPARE(t##3) SPARE(t##4) \
  SPARE(t##5) SPARE(t##6) SPARE(t##7) SPARE(t##8) SPARE(t##9)
SPARES(1) SPARES(2) SPARES(3) SPARES(4) SPARES(5) SPARES(6)

int lib_work(int x);
// clang-format on

__attribute__((noinline)) static int leaf(int x) { return x * 3; }

__attribute__((noinline)) int mid(int x) { return leaf(x) + lib_work(x); }

__attribute__((noinline)) static int only(int x) { return x - 1; }

__attribute__((noinline)) int top(int x) {
  return mid(x) + leaf(x) + mid(x + 1) + only(x);
}

__attribute__((noinline)) int walk(int depth) {
  return depth ? 1 + walk(depth - 1) : 0;
}

static int (*volatile through_pointer)(int) = leaf;

int main(void) {
  int sum = 0;
  for (int i = 0; i < 10; i++)
    sum += top(i);
  for (int i = 0; i < 5; i++)
    sum += through_pointer(i);
  sum += lib_work(1) + walk(4);
  printf("%d\n", sum);
  return 0;
}

// clang-format off
SPARES(7) SPARES(8) SPARES(9) SPARES(10)
