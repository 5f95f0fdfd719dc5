/* SPDX-License-Identifier: Apache-2.0 */
/* leaf.c - a tiny non-inlined function called in a loop. */
long bench_sink;

__attribute__((noinline)) long leaf(long x) {
  __asm__ volatile("" : "+r"(x)); /* opaque: no CSE, no hoisting */
  return x * 3 + 1;
}

long workload_run(long n) {
  long s = 0;
  for (long i = 0; i < n; i++)
    s += leaf(i);
  bench_sink += s;
  return n + 1; /* leaf's calls and this function's own */
}
