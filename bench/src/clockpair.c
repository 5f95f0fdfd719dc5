/* SPDX-License-Identifier: Apache-2.0 */
/* clockpair.c - the physical floor of timing a call: two clock reads and
 * one add per iteration, what the every-call mode is measured against. */
#include <x86intrin.h>
unsigned long long bench_sink;

long workload_run(long n) {
  unsigned long long acc = 0;
  for (long i = 0; i < n; i++) {
    unsigned long long t0 = __rdtsc();
    unsigned long long t1 = __rdtsc();
    acc += t1 - t0;
  }
  bench_sink += acc;
  return n;
}
