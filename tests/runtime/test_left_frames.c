/* SPDX-License-Identifier: Apache-2.0
 *
 * test_left_frames.c - timed calls that never return (hooks.c, open
 * frames): a function whose first call is slow (period 1 after it) and
 * whose next calls all leave without a stop, as a coroutine's yield
 * longjmps out of lua_yieldk.  Its period once moved only at a stop, so
 * every later call was timed (all 1,000,000 through the runtime); a new
 * start at the depth of a frame left open now doubles the period, so
 * about one in 1,024 is.  The weights still estimate the calls: each timed call
 * weighs the period it was chosen at, the distances drawn anew
 * (geometric) when the period moves.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>

#include "cnsm_emul.h"
#include "internal.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("left.yield", "", 1),
};
CNSM_EMUL_MODULE(mod, "left", 1)

#define CALLS 1000000

/* One call that is left without its exit; whether it was timed. */
static __attribute__((noinline)) int leave(void) {
  uint64_t t0 = CNSM_ENTER(mod, 0);
  __asm__ volatile("" ::: "memory");
  return t0 != 0;
}

int main(void) {
  /* The first call: timed (a thread's first), 2 ms, returns. */
  uint64_t t0 = CNSM_ENTER(mod, 0);
  CHECK(t0 != 0);
  uint64_t until = cnsm_now_ns() + 2000000u;
  while (cnsm_now_ns() < until)
    ;
  CNSM_EXIT(mod, 0, t0, 0);

  int timed = 0;
  for (int k = 0; k < CALLS; k++)
    timed += leave();
  struct cnsm_slot *s = cnsm_emul_slot(mod_unit, 0);
  CHECK_EQ(s->calls, CALLS + 1);
  fprintf(stderr, "%d of %d calls left open were timed; weights %llu\n", timed,
          CALLS, (unsigned long long)s->samples);
  CHECK(timed < CALLS / 500);
  /* The weights stand for the calls: some 1,000 samples of period 1,024
   * put them within 2% (one standard deviation) of them. */
  CHECK(fabs((double)s->samples - (double)(CALLS + 1)) <= 0.1 * CALLS);
  TEST_DONE();
}
