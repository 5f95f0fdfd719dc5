/* SPDX-License-Identifier: Apache-2.0 */
/* The untimed-inlined policy: relay, a small loop-free function that
 * -O2 inlines into main, is counted at each of its calls but timed only
 * where its own body runs (nowhere, once inlined: its time stays main's);
 * triple, which it calls through a pointer and which stays a call, is
 * timed. */
#include <stdio.h>

/* A loop: not an accessor (the untimed policy would count it untimed). */
__attribute__((noinline)) int triple(int v) {
  int sum = 0;
  for (int k = 0; k < 3; ++k)
    sum += v;
  return sum;
}

static int relay(int (*fn)(int), int v) { return fn(v) + 1; }

int main(void) {
  int (*volatile fn)(int) = triple;
  long sum = 0;
  for (int i = 0; i < 1000; ++i)
    sum += relay(fn, i);
  printf("%ld\n", sum);
  return 0;
}
