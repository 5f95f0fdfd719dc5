/* SPDX-License-Identifier: Apache-2.0
 *
 * rt_app.c - a small instrumented "application" for the fault-injection
 * tests (test_faults.py): it counts, sleeps so the background flusher
 * runs, and exits normally so the exit flush (and the spool) happen.
 *
 *   rt_app CALLS [SLEEP_MS] [DYN_FUNCTIONS]
 *
 * app.work gets CALLS calls, an error on each call whose index is a
 * multiple of 7; app.never is never called; DYN_FUNCTIONS adds a module
 * "dyn" whose function f<i> has i % 5 calls (for batching).
 */
#define _GNU_SOURCE
#include <time.h>

#include "app_work.h"

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 1000;
  long sleep_ms = argc > 2 ? atol(argv[2]) : 0;
  long dyn = argc > 3 ? atol(argv[3]) : 0;
  if (dyn > 0) {
    struct cnsm_emul_dyn *m = cnsm_emul_dynamic_module("dyn", (uint32_t)dyn);
    for (long i = 0; i < dyn; i++)
      __atomic_store_n(&cnsm_emul_dyn_slot(m, (uint32_t)i)->calls,
                       (uint64_t)(i % 5), __ATOMIC_RELAXED);
  }
  for (int phase = 0; phase < 10; phase++) {
    for (long i = phase * calls / 10; i < (phase + 1) * calls / 10; i++)
      work(i);
    struct timespec ts = {sleep_ms / 10 / 1000,
                          (sleep_ms / 10 % 1000) * 1000000};
    nanosleep(&ts, NULL);
  }
  return 0;
}
