/* SPDX-License-Identifier: Apache-2.0
 *
 * clock.c - ticks, and how many nanoseconds a tick is.
 *
 * The instrumented code times sampled calls in ticks: rdtsc on x86-64
 * (read inline by the pass), cntvct_el0 on AArch64, CLOCK_MONOTONIC ns
 * elsewhere (through __codensm_clock).  Calibration never sleeps at
 * start-up: the first registration remembers (ticks, ns), and the first
 * flush divides the elapsed ns by the elapsed ticks, spinning only when
 * less than 50 us has passed.  Over 50 us the two reads of each end, some
 * 25 ns apart, make at most 0.1% of error, far below the sampling error;
 * a 1 ms spin cost every short process (test suites) a millisecond.  Each
 * later flush re-measures over the longer interval, so the ratio only gets
 * better.
 *
 * The probe cost is what one timed call of an empty function would show:
 * the minimum over many back-to-back clock-read pairs.
 */
#define _GNU_SOURCE
#include <time.h>

#include "internal.h"

/* The clock the pass calls where it does not read ticks inline. */
CNSM_EXPORT uint64_t __codensm_clock(void) { return cnsm_read_ticks(); }

/* CLOCK_MONOTONIC in ns. */
uint64_t cnsm_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t start_ticks, start_ns; /* 0 until cnsm_clock_start */
#define CALIBRATION_MIN_NS 50000u
static uint64_t probe_ticks = UINT64_MAX;

/* Remembers the start of the calibration interval (first caller wins). */
void cnsm_clock_start(void) {
  uint64_t zero = 0, ns = cnsm_now_ns(), t = cnsm_read_ticks();
  if (__atomic_compare_exchange_n(&start_ns, &zero, ns, 0, __ATOMIC_RELEASE,
                                  __ATOMIC_RELAXED))
    __atomic_store_n(&start_ticks, t, __ATOMIC_RELEASE);
}

/* ns per tick over the interval since cnsm_clock_start. */
double cnsm_clock_ns_per_tick(void) {
#if defined(__aarch64__)
  uint64_t freq;
  __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(freq));
  if (freq)
    return 1e9 / (double)freq;
#elif !defined(__x86_64__) && !defined(__i386__)
  return 1.0;
#endif
  cnsm_clock_start();
  uint64_t t0 = __atomic_load_n(&start_ticks, __ATOMIC_ACQUIRE);
  uint64_t n0 = __atomic_load_n(&start_ns, __ATOMIC_ACQUIRE);
  uint64_t n1, t1;
  do {
    n1 = cnsm_now_ns();
    t1 = cnsm_read_ticks();
  } while (n1 - n0 < CALIBRATION_MIN_NS || t1 <= t0);
  return (double)(n1 - n0) / (double)(t1 - t0);
}

/* Minimum ticks between two back-to-back reads, over 1000 tries. */
uint64_t cnsm_clock_probe_ticks(void) {
  uint64_t p = __atomic_load_n(&probe_ticks, __ATOMIC_RELAXED);
  if (p != UINT64_MAX)
    return p;
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 1000; i++) {
    uint64_t a = cnsm_read_ticks();
    uint64_t b = cnsm_read_ticks();
    if (b >= a && b - a < best)
      best = b - a;
  }
  if (best == UINT64_MAX)
    best = 0;
  __atomic_store_n(&probe_ticks, best, __ATOMIC_RELAXED);
  return best;
}

/* Ratio estimator: the mean cost of a timed call (ticks / samples, minus
 * the probe) times the exact number of calls, in ns. */
uint64_t cnsm_estimate_ns(uint64_t calls, uint64_t samples, uint64_t ticks,
                          uint64_t probe, double ns_per_tick) {
  if (samples == 0 || calls == 0)
    return 0;
  double per_call = (double)ticks / (double)samples - (double)probe;
  if (per_call <= 0)
    return 0;
  double ns = per_call * (double)calls * ns_per_tick;
  return ns >= 1.8e19 ? UINT64_MAX : (uint64_t)(ns + 0.5);
}
