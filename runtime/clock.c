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
 * The probe cost is what one timed call of an empty function would show
 * (cnsm_clock_probe_ticks).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
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
static void keep_quick_ns_per_tick(double ns_per_tick);
#define CALIBRATION_MIN_NS 50000u
/* A timed call's histogram needs ns before any flush calibrated: over
 * 10 us the reads' spacing (some 25 ns) makes at most 0.25 % of error. */
#define QUICK_CALIBRATION_NS 10000u

/* Remembers the start of the calibration interval (first caller wins). */
void cnsm_clock_start(void) {
  uint64_t zero = 0, ns = cnsm_now_ns(), t = cnsm_read_ticks();
  if (__atomic_compare_exchange_n(&start_ns, &zero, ns, 0, __ATOMIC_RELEASE,
                                  __ATOMIC_RELAXED))
    __atomic_store_n(&start_ticks, t, __ATOMIC_RELEASE);
}

uint64_t cnsm_clock_since_start_ns(void) {
  uint64_t start = __atomic_load_n(&start_ns, __ATOMIC_ACQUIRE);
  uint64_t now = cnsm_now_ns();
  return start && now > start ? now - start : 0;
}

/* ns per tick over the interval since cnsm_clock_start, spinning until it
 * is at least min_ns long. */
static double ns_per_tick_over(uint64_t min_ns) {
#if defined(__aarch64__)
  uint64_t freq;
  __asm__ __volatile__("mrs %0, cntfrq_el0" : "=r"(freq));
  if (freq)
    return 1e9 / (double)freq;
#elif !defined(__x86_64__) && !defined(__i386__)
  (void)min_ns;
  return 1.0;
#endif
  cnsm_clock_start();
  uint64_t t0 = __atomic_load_n(&start_ticks, __ATOMIC_ACQUIRE);
  uint64_t n0 = __atomic_load_n(&start_ns, __ATOMIC_ACQUIRE);
  uint64_t n1, t1;
  do {
    n1 = cnsm_now_ns();
    t1 = cnsm_read_ticks();
  } while (n1 - n0 < min_ns || t1 <= t0);
  return (double)(n1 - n0) / (double)(t1 - t0);
}

/* ns per tick over the interval since cnsm_clock_start. */
double cnsm_clock_ns_per_tick(void) {
  double ns_per_tick = ns_per_tick_over(CALIBRATION_MIN_NS);
  keep_quick_ns_per_tick(ns_per_tick);
  return ns_per_tick;
}

/* The calibration a timed call uses (cnsm_clock_timed_call): 0 until
 * cnsm_clock_calibrate; each flush's better ns per tick replaces it.  A
 * double's bits. */
static uint64_t quick_ns_per_tick_bits;

static void keep_quick_ns_per_tick(double ns_per_tick) {
  uint64_t bits;
  memcpy(&bits, &ns_per_tick, sizeof bits);
  __atomic_store_n(&quick_ns_per_tick_bits, bits, __ATOMIC_RELAXED);
}

/* What a timed call of nothing shows: the clock read in the sampled
 * block, a branch the processor predicted the other way (the block that
 * stops the clock is taken one time in hundreds), and the clock read
 * there.  Two back-to-back reads in a loop missed the misprediction, some
 * 20 cycles, and an instrumented function of 1 ns came out 6 to 9 ns.
 * Measured as such: reads around a branch taken at random one time in 16,
 * the 1/16 quantile of 255 taken ones (the median took off a few ns too
 * much: instrumented functions of 1 ns showed 0 in every timed call; the
 * resolution is a few ns either way).  Some 40 us, once.  Reads that
 * came out a tick or so apart (on AMD EPYC some 6 % of them: the
 * processor ran both at once) are left out before the quantile: at 1/16
 * they decided it one run in two, and a tiny function's timed calls came
 * out 9 ns too long (e2e.latency failed that way). */
#define PROBE_TAKEN 255

static int by_ticks(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

uint64_t cnsm_clock_probe_of(uint64_t *taken, int n) {
  if (n <= 0)
    return 0;
  qsort(taken, (size_t)n, sizeof taken[0], by_ticks);
  int overlapped = 0;
  while (overlapped < n && taken[overlapped] < taken[n / 2] / 4)
    overlapped++;
  return taken[overlapped + (n - overlapped) / 16];
}

CNSM_EXPORT uint64_t __codensm_probe_ticks;

uint64_t cnsm_clock_probe_ticks(void) {
  static uint64_t probe_ticks = UINT64_MAX;
  uint64_t p = __atomic_load_n(&probe_ticks, __ATOMIC_RELAXED);
  if (p != UINT64_MAX)
    return p;
  uint64_t taken[PROBE_TAKEN];
  int n = 0;
  uint64_t x = cnsm_read_ticks() | 1;
  for (long tries = 0; n < PROBE_TAKEN && tries < 1024L * PROBE_TAKEN;
       tries++) {
    x ^= x << 13; /* xorshift64: no pattern the predictor can learn */
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t a = cnsm_read_ticks();
    if (__builtin_expect((x & 15) == 0, 0)) {
      uint64_t b = cnsm_read_ticks();
      taken[n++] = b >= a ? b - a : 0;
    }
  }
  uint64_t best = cnsm_clock_probe_of(taken, n);
  __atomic_store_n(&probe_ticks, best, __ATOMIC_RELAXED);
  __atomic_store_n(&__codensm_probe_ticks, best, __ATOMIC_RELAXED);
  return best;
}

/* 0: not calibrated, 1: under way (in one thread), 2: done. */
static int calibration;

void cnsm_clock_calibrate(void) {
  int idle = 0;
  if (__atomic_load_n(&calibration, __ATOMIC_ACQUIRE) != 0 ||
      !__atomic_compare_exchange_n(&calibration, &idle, 1, 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE))
    return;
  cnsm_clock_probe_ticks();
  if (!__atomic_load_n(&quick_ns_per_tick_bits, __ATOMIC_RELAXED))
    keep_quick_ns_per_tick(ns_per_tick_over(QUICK_CALIBRATION_NS));
  __atomic_store_n(&calibration, 2, __ATOMIC_RELEASE);
}

uint64_t cnsm_clock_timed_call_ns(uint64_t ticks) {
  if (__atomic_load_n(&calibration, __ATOMIC_ACQUIRE) != 2)
    return UINT64_MAX;
  uint64_t bits = __atomic_load_n(&quick_ns_per_tick_bits, __ATOMIC_RELAXED);
  double ns_per_tick;
  memcpy(&ns_per_tick, &bits, sizeof ns_per_tick);
  uint64_t probe = cnsm_clock_probe_ticks();
  double ns = ticks > probe ? (double)(ticks - probe) * ns_per_tick + 0.5 : 0;
  return ns >= 1.8e19 ? UINT64_MAX - 1 : (uint64_t)ns;
}

/* A stratified estimate.  The calls timed at period 1 are certain: every
 * such call was timed, so their ticks (less the probe each) are their
 * time, and they stand for no other call.  The ratio estimator (the mean
 * cost of a timed call, ticks / samples less the probe, times the exact
 * number of calls) covers the rest: the calls left over and the sampled
 * ones that stand for them.  Over every call alike it let a slow first
 * call, always timed and always certain, stand for as many calls as the
 * weights fell short of the calls (a function called ten times, its
 * first call 70 us cold and the rest 20 ns: 88 to 300 us, more than its
 * caller).  The rest adds nothing while no sampled call stands for it
 * (Horvitz-Thompson: an untimed call counts through the weights of the
 * timed ones; a callee counted mostly by its inlined copies' edges jumps
 * at its first sampled call). */
uint64_t cnsm_estimate_ns(uint64_t calls, uint64_t samples, uint64_t ticks,
                          const struct cnsm_certain *certain, uint64_t probe,
                          double ns_per_tick) {
  if (samples == 0 || calls == 0)
    return 0;
  uint64_t certain_calls = certain ? certain->calls : 0;
  uint64_t certain_ticks = certain ? certain->ticks : 0;
  /* Each is in the totals (hist.c takes them before the slots are read);
   * bounded anyway, so nothing is ever counted twice. */
  if (certain_calls > samples || certain_calls > calls || certain_ticks > ticks)
    certain_calls = certain_ticks = 0;
  double ns = (double)cnsm_sub0(certain_ticks, certain_calls * probe);
  uint64_t rest_samples = samples - certain_calls;
  if (rest_samples) {
    double per_call =
        (double)(ticks - certain_ticks) / (double)rest_samples - (double)probe;
    if (per_call > 0)
      ns += per_call * (double)(calls - certain_calls);
  }
  ns *= ns_per_tick;
  return ns >= 1.8e19 ? UINT64_MAX : (uint64_t)(ns + 0.5);
}

uint64_t cnsm_estimate_cut(uint64_t calls, uint64_t samples, uint64_t ticks,
                           const struct cnsm_certain *certain, uint64_t probe,
                           double ns_per_tick, uint64_t most_ns) {
  uint64_t certain_ticks = certain ? certain->ticks : 0;
  uint64_t low = 0, high = cnsm_sub0(ticks, certain_ticks);
  /* The estimate falls as the ticks do: the least cut that is enough. */
  while (low < high) {
    uint64_t mid = low + (high - low) / 2;
    if (cnsm_estimate_ns(calls, samples, ticks - mid, certain, probe,
                         ns_per_tick) <= most_ns)
      high = mid;
    else
      low = mid + 1;
  }
  return low;
}
