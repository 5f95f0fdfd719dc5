/* SPDX-License-Identifier: Apache-2.0 */
/* tree.c - a recursive binary call tree; disable_tail_calls keeps every
 * variant making exactly the same calls. */
long bench_sink;
#define TREE_DEPTH 12 /* 2^13 - 1 = 8191 calls per tree */

__attribute__((noinline, disable_tail_calls)) long tree(int depth, long x) {
  __asm__ volatile("" : "+r"(x));
  if (depth == 0)
    return x & 1;
  return tree(depth - 1, x * 2) + tree(depth - 1, x * 2 + 1);
}

long workload_run(long n) {
  long per_tree = (2L << TREE_DEPTH) - 1, trees = n / per_tree + 1, s = 0;
  for (long i = 0; i < trees; i++)
    s += tree(TREE_DEPTH, i);
  bench_sink += s;
  return trees * per_tree + 1;
}
