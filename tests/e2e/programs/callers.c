/* SPDX-License-Identifier: Apache-2.0 */
/* Callers, exactly: main calls top 10 times; top calls mid twice and leaf
 * once; mid calls leaf and lib_work (in callers_lib.c, another unit)
 * once each; main calls lib_work once and leaf 5 times through a pointer
 * (a call site that names no callee: leaf's 35 calls, 30 from callers);
 * walk recurses 4 deep under main, once; top calls only, which nothing
 * else calls.  Spare functions before and after them put the edges'
 * slots (after the 106 functions') in a chunk of counters of their own,
 * which no function's entry touches: the runtime makes it real with its
 * callers' chunks (ABI 6), or their counts are lost.
 * Edges with no counter (ABI 7): only's from top, twice's into helper
 * (pair calls it 8 times from two sites, single 3 times from one) and
 * after_bail's from guarded are their callees' calls less the other
 * edges'; leaf, whose address is taken, has all its edges counted.
 * guarded calls bail, which longjmps out on odd numbers, then after_bail:
 * 3 calls of 6, which the callee's count knows and the caller's could
 * not. */
#include <setjmp.h>
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

__attribute__((noinline)) static int helper(int x) { return x + 2; }
__attribute__((noinline)) int pair(int x) { return helper(x) + helper(x + 1); }
__attribute__((noinline)) int single(int x) { return helper(x); }

static jmp_buf escape;
__attribute__((noinline)) static void bail(int x) {
  if (x & 1)
    longjmp(escape, 1);
}
__attribute__((noinline)) static int after_bail(int x) { return x * 5; }
__attribute__((noinline)) int guarded(int x) {
  bail(x);
  return after_bail(x);
}

int main(void) {
  volatile int sum = 0; /* kept across the longjmps below */
  for (int i = 0; i < 10; i++)
    sum += top(i);
  for (int i = 0; i < 5; i++)
    sum += through_pointer(i);
  sum += lib_work(1) + walk(4);
  for (int i = 0; i < 4; i++)
    sum += pair(i);
  for (int i = 0; i < 3; i++)
    sum += single(i);
  for (volatile int i = 0; i < 6; i++)
    if (!setjmp(escape))
      sum += guarded(i);
  printf("%d\n", sum);
  return 0;
}

// clang-format off
SPARES(7) SPARES(8) SPARES(9) SPARES(10)
