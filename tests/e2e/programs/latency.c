/* SPDX-License-Identifier: Apache-2.0
 *
 * latency.c - calls of known lengths, for the percentiles, the inclusive
 * time and the source locations the collector reports (e2e.py,
 * case_latency).  Every function busy-waits on CLOCK_MONOTONIC, so the
 * lengths hold on a loaded machine too (preemption aside).
 *
 *   latency
 *
 * - pattern: 10,000 calls; nine of ten spin 20 us, the tenth 200 us
 *   (p50 20 us, p95 and p99 200 us, 380 ms in all; the 20 us calls are
 *   timed about one in 8, the 200 us ones each after a timed one);
 * - outer: 100 calls that spin 50 us, then call inner, which spins 100 us
 *   (inclusive 150 us a call);
 * - many: 2,000 calls that each call tiny, a few ns of arithmetic, 100
 *   times: a caller's time is never less than its callee's;
 * - warm: one call, which calls cold ten times; cold's first call spins
 *   300 us (as a first call slowed by page faults does) and the others
 *   return at once: cold's 300 us are not its first call's, ten times
 *   over, nor more than warm's.
 * The busy-wait itself is left out (CODENSM_SKIP): its time is its
 * callers' own (self) time, as a loop written in them would be.
 * Prints what the pattern and outer loops took on the wall clock
 * ("pattern_ms=X outer_ms=Y"): on a loaded machine a preempted spin takes
 * longer than asked, and the collector's figures must match what it took.
 */
#include "codensm.h"
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

CODENSM_SKIP static void spin_ns(uint64_t ns) {
  uint64_t end = now_ns() + ns;
  while (now_ns() < end)
    ;
}

__attribute__((noinline)) void pattern(int k) {
  spin_ns(k % 10 == 9 ? 200000 : 20000);
}

__attribute__((noinline)) void inner(void) { spin_ns(100000); }

__attribute__((noinline)) void outer(void) {
  spin_ns(50000);
  inner();
}

static volatile unsigned sink;

/* Tracked: an accessor this small is counted but not timed by default (the
 * untimed policy); here its time is the point. */
CODENSM_TRACK __attribute__((noinline)) void tiny(unsigned x) {
  sink = sink * 31 + x;
}

__attribute__((noinline)) void many(void) {
  for (unsigned k = 0; k < 100; k++)
    tiny(k);
}

__attribute__((noinline)) void cold(int k) {
  if (k == 0)
    spin_ns(300000);
}

__attribute__((noinline)) void warm(void) {
  for (int k = 0; k < 10; k++)
    cold(k);
}

int main(void) {
  uint64_t t0 = now_ns();
  for (int k = 0; k < 10000; k++)
    pattern(k);
  uint64_t t1 = now_ns();
  for (int k = 0; k < 100; k++)
    outer();
  uint64_t t2 = now_ns();
  for (int k = 0; k < 2000; k++)
    many();
  warm();
  printf("pattern_ms=%f outer_ms=%f\n", (double)(t1 - t0) / 1e6,
         (double)(t2 - t1) / 1e6);
  return 0;
}
