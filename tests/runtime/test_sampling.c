/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sampling.c - the sampling policy (hooks.c): every function's first
 * call in a thread is timed and stands for itself; after each timed call
 * the function's period follows what the call took (fast calls: the hot
 * period, 1 in 1024; calls of 100 us and more: every call), the distance
 * to the next drawn at random (geometric), so a pattern in the calls
 * cannot hide from it; each timed call weighs its period, so the
 * weighted samples estimate the calls and estimates stay right however
 * the period moves.  Periods beyond 1,024 only for a function whose rate
 * (hist.c) keeps it timed some 16 times in each 0.7 s.
 */
#define _GNU_SOURCE
#include <math.h>

#include "cnsm_emul.h"
#include "internal.h"
#include "test_util.h"

/* Functions 2.. are timed ones: TIMED of them. */
#define TIMED 10
static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("samp.hot", "", 1),    CNSM_FN("samp.rare", "", 1),
    CNSM_FN("samp.timed0", "", 1), CNSM_FN("samp.timed1", "", 1),
    CNSM_FN("samp.timed2", "", 1), CNSM_FN("samp.timed3", "", 1),
    CNSM_FN("samp.timed4", "", 1), CNSM_FN("samp.timed5", "", 1),
    CNSM_FN("samp.timed6", "", 1), CNSM_FN("samp.timed7", "", 1),
    CNSM_FN("samp.timed8", "", 1), CNSM_FN("samp.timed9", "", 1),
};
CNSM_EMUL_MODULE(mod, "samp", 2 + TIMED)

static __attribute__((noinline)) void call(uint32_t i) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  __asm__ volatile("" ::: "memory");
  CNSM_EXIT(mod, i, t0, 0);
}

/* What each function's calls were asked to take: the truth a sample sees
 * unless the scheduler preempted it (the wall time of all calls would
 * count the preemptions of the unsampled ones too: on a loaded machine
 * 10-30% more). */
static double asked_ns[2 + TIMED];

/* What each function's calls took, as the calls themselves measured them:
 * preemption included, which a check against asked_ns cannot allow for
 * when every call is timed. */
static double took_ns[2 + TIMED];

/* Busy-waits about ns inside function i. */
static __attribute__((noinline)) void timed_call(uint32_t i, uint64_t ns) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  uint64_t start = cnsm_now_ns(), now;
  while ((now = cnsm_now_ns()) - start < ns)
    ;
  asked_ns[i] += (double)ns;
  took_ns[i] += (double)(now - start);
  CNSM_EXIT(mod, i, t0, 0);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* 65,536 calls of 0.5 to 3.5 us in each timed function of a chunk (timed
 * one in 8 to 64, as their lengths ask); the median of their relative
 * errors.  A timed call the scheduler preempts spoils its function's
 * estimate: the median of ten stands. */
static double median_error(struct cnsm_chunk *c) {
  uint64_t x = 88172645463325252ull;
  for (int k = 0; k < 64 * 1024 * TIMED; k++) {
    x ^= x << 13; /* xorshift64: no pattern a period could see */
    x ^= x >> 7;
    x ^= x << 17;
    timed_call(2 + (uint32_t)(k % TIMED), 500 + (x >> 11) % 3000);
  }
  double err[TIMED];
  for (uint32_t i = 2; i < 2 + TIMED; i++) {
    struct cnsm_slot *t = &c->slots[i];
    double est = (double)t->ticks / (double)t->samples * (double)t->calls *
                 cnsm_clock_ns_per_tick();
    err[i - 2] = fabs(est - asked_ns[i]) / asked_ns[i];
    fprintf(stderr,
            "%s: %llu calls, %llu samples (weighted), asked %.1f ms, "
            "estimated %.1f ms, error %.2f%%\n",
            mod_fns[i].name, (unsigned long long)t->calls,
            (unsigned long long)t->samples, asked_ns[i] / 1e6, est / 1e6,
            err[i - 2] * 100);
  }
  qsort(err, TIMED, sizeof err[0], by_value);
  return (err[TIMED / 2 - 1] + err[TIMED / 2]) / 2;
}

/* Calls function i n times; every tenth takes slow_ns, the others fast_ns
 * (busy-waiting).  Returns what they took, in ns. */
static double patterned(uint32_t i, int n, uint64_t fast_ns, uint64_t slow_ns) {
  double before = took_ns[i];
  for (int k = 0; k < n; k++)
    timed_call(i, k % 10 == 9 ? slow_ns : fast_ns);
  return took_ns[i] - before;
}

/* Starts function i's counts in chunk c afresh, for another round of a
 * check. */
static void restart(struct cnsm_chunk *c, uint32_t i) {
  c->slots[i] = (struct cnsm_slot){0};
  c->next[i] = 0;
  asked_ns[i] = took_ns[i] = 0;
}

/* The estimate of slot s in ns (the runtime's ratio estimator). */
static double estimate_ns(const struct cnsm_slot *s) {
  return (double)s->ticks / (double)s->samples * (double)s->calls *
         cnsm_clock_ns_per_tick();
}

/* Slot i's period (log2), from its 4 bits of c's header. */
static unsigned period_of(const struct cnsm_chunk *c, uint32_t i) {
  uint64_t w = i < 16 ? c->header.periods0 : c->header.periods1;
  return (unsigned)(w >> (4 * (i % 16))) & 15u;
}

/* Calls function i for about three of hist.c's rate windows (2^31 ticks
 * each), spinning spin_ticks between calls (outside the function); its
 * period after them. */
static unsigned period_after_windows(struct cnsm_chunk *c, uint32_t i,
                                     uint64_t spin_ticks) {
  uint64_t start = CNSM_EMUL_CLOCK(), now;
  do {
    call(i);
    uint64_t spun = CNSM_EMUL_CLOCK();
    while ((now = CNSM_EMUL_CLOCK()) - spun < spin_ticks)
      ;
  } while (now - start < 3 * ((uint64_t)1 << 31));
  fprintf(stderr, "%s: %llu calls in three windows, period 2^%u\n",
          mod_fns[i].name, (unsigned long long)c->slots[i].calls,
          period_of(c, i));
  return period_of(c, i);
}

int main(void) {
  CHECK_EQ(__codensm_sample_mask, 63);
  CHECK_EQ(cnsm_hot_mask, 16383);
  struct cnsm_chunk *c = cnsm_emul_chunk(mod_unit, 0);

  call(1); /* the rare function's first call is timed, and weighs 1 */
  struct cnsm_slot *rare = &c->slots[1];
  CHECK_EQ(rare->samples, 1);
  /* It took next to nothing (the probe's own ticks), which alone would
   * make its period the longest, 1,024; but a period never exceeds the
   * calls counted (hooks.c, at_most_calls_seen), so after one call it is
   * 1 (slot 1's 4 bits of the header: log2 0) and the next call is timed
   * too.  After that second one, at most 2. */
  CHECK_EQ((c->header.periods0 >> 4) & 15, 0);
  CHECK_EQ(c->next[1], 1);
  call(1);
  CHECK_EQ(rare->samples, 2);
  CHECK(((c->header.periods0 >> 4) & 15) <= 1);
  CHECK(c->next[1] >= 2);

  /* Fast calls stay at the hot period, each timed one standing for 1,024:
   * 262,144 calls give some 256 timed ones, and weights that add up to
   * the calls within a few standard errors (6 %). */
  for (int k = 0; k < 256 * 1024; k++)
    call(0);
  struct cnsm_slot *hot = &c->slots[0];
  CHECK_EQ(hot->calls, 256 * 1024);
  /* The first call, then mostly 1,024s: not only (a timed call that a
   * preemption stretched makes its successor weigh less, one run in
   * several on a busy machine); the period the slot ends at says it. */
  fprintf(stderr, "fast calls: %llu, weighted samples %llu\n",
          (unsigned long long)hot->calls, (unsigned long long)hot->samples);
  CHECK(fabs((double)hot->samples - (double)hot->calls) <=
        0.25 * (double)hot->calls);
  CHECK_EQ(c->header.periods0 & 15, 10);

  /* Called back to back (tens of millions a window), the same function is
   * timed more rarely once its rate is known: 1 in 8,192 or 16,384 (the
   * longest; which one is the 1/1000 budget's: these calls take about the
   * 37 ticks that separate the two).  Called some 2,000 times a window (a spin
   * of 2^20 ticks between calls, 0.35 ms at 3 GHz), another stays at 1,024 at
   * most: one in 16,384 would time it once a window or less. */
  CHECK(period_after_windows(c, 0, 0) >= 13);
  CHECK(period_after_windows(c, 1, (uint64_t)1 << 20) <= 10);

  /* A function whose calls take 200 us is timed on every call: each weighs
   * one call, and its estimate is its calls' sum. */
  for (int k = 0; k < 200; k++)
    timed_call(2, 200000);
  double slow_took = took_ns[2];
  struct cnsm_slot *slow = &c->slots[2];
  CHECK_EQ(slow->calls, 200);
  CHECK_EQ(slow->samples, 200);
  fprintf(stderr, "200 us calls: estimated %.2f ms of %.2f ms\n",
          estimate_ns(slow) / 1e6, slow_took / 1e6);
  CHECK(fabs(estimate_ns(slow) - slow_took) / slow_took <= 0.15);

  /* One call in ten takes 8 us, the others 0.3 us (200,000 calls: the slow
   * ones are timed about one in 64, some 300 of them, within 6%): with a phase
   * fixed at 0 and an even period the slow ones (odd counts) were never timed
   * and the estimate was 3.7 times too low.  30%: on a shared machine a
   * preempted timed call of this function weighs up to 64 calls, and the
   * estimate of three runs in twenty strayed 15-30% (one under CI's load
   * 32%): the best of up to three rounds.  The pattern fixed in step gave
   * 3.7 times too little in every one. */
  struct cnsm_slot *pat = &c->slots[3];
  double pattern_error = INFINITY;
  for (int round = 0; round < 3 && pattern_error > 0.3; round++) {
    restart(c, 3);
    double took = patterned(3, 50000, 2000, 50000);
    fprintf(stderr,
            "patterned, round %d: %llu calls, %llu weighted samples, "
            "estimated %.2f ms of %.2f ms\n",
            round + 1, (unsigned long long)pat->calls,
            (unsigned long long)pat->samples, estimate_ns(pat) / 1e6,
            took / 1e6);
    pattern_error = fmin(pattern_error, fabs(estimate_ns(pat) - took) / took);
  }
  CHECK(pattern_error <= 0.3);

  /* Estimates of calls of known lengths: their median is within 15% of
   * what the calls were asked to take.  A preemption only ever adds time,
   * and on a loaded machine (CI runs two tests at once) it spoiled most of
   * the ten functions once (errors of +7% to +35%): up to three rounds,
   * the best judged.  A biased estimator misses in every round (the
   * pattern fixed in step above was 3.7 times off). */
  double best = INFINITY;
  for (int round = 0; round < 3 && best > 0.15; round++) {
    for (uint32_t i = 2; i < 2 + TIMED; i++)
      restart(c, i);
    double median = median_error(c);
    fprintf(stderr, "round %d: median error %.2f%%\n", round + 1, median * 100);
    best = fmin(best, median);
  }
  CHECK(best <= 0.15);
  TEST_DONE();
}
