/* SPDX-License-Identifier: Apache-2.0
 *
 * rt_delivery.c - instrumented programs for the delivery tests
 * (test_delivery.py, issue 13) against the real collector.
 *
 *   rt_delivery CALLS   two threads each make CALLS calls of dlv.fail,
 *                       which always fails, slowly enough that background
 *                       flushes land between a call's entry and its exit
 *   rt_poison CALLS     (built with -DCNSM_POISON) CALLS calls of dlv.ok
 *                       and of functions whose names and departments the
 *                       contract refuses as they are (a non-UTF-8 byte, a
 *                       700-byte name, an empty department, a control
 *                       character, a 300-byte department); every other
 *                       call fails
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>

#include "cnsm_emul.h"

#define LONG_NAME                                                              \
  "dlv.long_"                                                                  \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" \
  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"

#define LONG_DEPT                                                              \
  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

#ifdef CNSM_POISON
#define FUNCTIONS 7
static const struct cnsm_function_info dlv_fns[] = {
    CNSM_FN("dlv.fail", "core", 1),
    CNSM_FN("dlv.ok", "core", 1),
    CNSM_FN("dlv.bad\xff\xfe.latin1", "core", 1),
    CNSM_FN(LONG_NAME, "core", 1),
    CNSM_FN("dlv.nodept", "", 1),
    CNSM_FN("dlv.ctrl\x01name", "tab\tdept", 1),
    CNSM_FN("dlv.longdept", LONG_DEPT, 1),
};
#else
#define FUNCTIONS 1
static const struct cnsm_function_info dlv_fns[] = {
    CNSM_FN("dlv.fail", "core", 1),
};
#endif
CNSM_EMUL_MODULE(dlv, "dlv", FUNCTIONS)

static long calls;

/* One call of function i that fails when fail; spins a little inside. */
static __attribute__((noinline)) void call(uint32_t i, int fail) {
  uint64_t t0 = CNSM_ENTER(dlv, i);
  for (volatile int k = 0; k < 300; k++)
    ;
  CNSM_EXIT(dlv, i, t0, fail);
}

/* A thread of the "threads" mode. */
static void *failing(void *arg) {
  (void)arg;
  for (long k = 0; k < calls; k++)
    call(0, 1);
  return NULL;
}

int main(int argc, char **argv) {
  calls = argc > 1 ? atol(argv[1]) : 1000;
  if (FUNCTIONS == 1) {
    pthread_t a, b;
    pthread_create(&a, NULL, failing, NULL);
    pthread_create(&b, NULL, failing, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
  }
  for (long k = 0; k < calls; k++)
    for (uint32_t i = 1; i < FUNCTIONS; i++)
      call(i, k % 2 == 0);
  struct timespec ts = {0, 300 * 1000000};
  nanosleep(&ts, NULL);
  return 0;
}
