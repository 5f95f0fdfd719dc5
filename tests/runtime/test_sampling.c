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

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("samp.hot", "", 1),    CNSM_FN("samp.rare", "", 1),
    CNSM_FN("samp.timed0", "", 1), CNSM_FN("samp.timed1", "", 1),
    CNSM_FN("samp.timed2", "", 1),
};
CNSM_EMUL_MODULE(mod, "samp", 5)

static __attribute__((noinline)) void call(uint32_t i) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  __asm__ volatile("" ::: "memory");
  CNSM_EXIT(mod, i, t0, 0);
}

static double true_ns;

/* Busy-waits about ns inside function i. */
static __attribute__((noinline)) void timed_call(uint32_t i, uint64_t ns) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  uint64_t start = cnsm_now_ns(), now;
  do
    now = cnsm_now_ns();
  while (now - start < ns);
  true_ns += (double)(now - start);
  CNSM_EXIT(mod, i, t0, 0);
}

/* 204,800 calls of 0.5 to 3.5 us in function i, in a hot chunk (1 in 1024
 * timed); the relative error of the estimate. */
static double estimate_error(struct cnsm_chunk *c, uint32_t i) {
  static uint64_t x = 88172645463325252ull;
  true_ns = 0;
  for (int k = 0; k < 200 * 1024; k++) {
    x ^= x << 13; /* xorshift64: no pattern a period could see */
    x ^= x >> 7;
    x ^= x << 17;
    timed_call(i, 500 + (x >> 11) % 3000);
  }
  struct cnsm_slot *t = &c->slots[i];
  double est = (double)t->ticks / (double)t->samples * (double)t->calls *
               cnsm_clock_ns_per_tick();
  double err = fabs(est - true_ns) / true_ns;
  fprintf(stderr,
          "%s: %llu calls, %llu samples (weighted), true %.1f ms, "
          "estimated %.1f ms, error %.2f%%\n",
          mod_fns[i].name, (unsigned long long)t->calls,
          (unsigned long long)t->samples, true_ns / 1e6, est / 1e6, err * 100);
  return err;
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
  CHECK(hot->samples + 1024 >= hot->calls && hot->samples <= hot->calls + 1024);
  CHECK_EQ(c->header.timed, 1024 + 64);

  /* The estimate of calls of a known length at the hot period: within 10%
   * of the truth.  One sample stands for 1024 calls, so a sampled call the
   * scheduler preempts spoils a run: the best of three fresh functions is
   * judged. */
  double best = 1;
  for (uint32_t i = 2; i < 5 && best > 0.10; i++)
    best = fmin(best, estimate_error(c, i));
  CHECK(best <= 0.10);
  TEST_DONE();
}
