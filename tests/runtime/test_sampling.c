/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sampling.c - the sampling policy: a thread times a chunk's calls
 * at the start period (1 in 64) until it has timed 1024 of them, then at
 * the hot period (1 in 1024); every function's first call is timed; each
 * timed call stands for the calls of its period, so the weighted samples
 * add up to the calls and the estimate stays right across the change.
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

/* Busy-waits about ns inside function i. */
static __attribute__((noinline)) void timed_call(uint32_t i, uint64_t ns) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  uint64_t start = cnsm_now_ns();
  while (cnsm_now_ns() - start < ns)
    ;
  asked_ns[i] += (double)ns;
  CNSM_EXIT(mod, i, t0, 0);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* 64 periods of 1,024 calls of 0.5 to 3.5 us in each timed function of a
 * hot chunk (64 samples each); the median of their relative errors.  One
 * sample stands for 1,024 calls, so a sampled call the scheduler preempts
 * spoils its function's estimate: the median of ten stands. */
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

int main(void) {
  CHECK_EQ(__codensm_sample_mask, 63);
  CHECK_EQ(cnsm_hot_mask, 1023);
  struct cnsm_chunk *c = cnsm_emul_chunk(mod_unit, 0);

  call(1); /* the rare function's first call is timed */
  struct cnsm_slot *rare = &c->slots[1];
  CHECK_EQ(rare->samples, 64);

  /* 1023 more timed calls (at 1 in 64) keep the start period... */
  for (int k = 0; k < 1023 * 64; k++)
    call(0);
  CHECK_EQ(c->header.timed, 1024);
  CHECK_EQ(c->header.mask, 1023);
  /* ...the next ones are timed 1 in 1024, for the whole chunk. */
  for (int k = 0; k < 64 * 1024; k++)
    call(0);
  struct cnsm_slot *hot = &c->slots[0];
  CHECK_EQ(hot->calls, 1023 * 64 + 64 * 1024);
  /* Each timed call weighs the period it was timed at, the one that made
   * the chunk hot included: here they add up to the calls exactly. */
  CHECK_EQ(hot->samples, hot->calls);
  CHECK_EQ(c->header.timed, 1024 + 64);

  /* Estimates of calls of known lengths at the hot period: 64 samples
   * each give a standard error near 5% (CV 0.43); their median is within
   * 15% of what the calls were asked to take. */
  double median = median_error(c);
  fprintf(stderr, "median error %.2f%%\n", median * 100);
  CHECK(median <= 0.15);
  TEST_DONE();
}
