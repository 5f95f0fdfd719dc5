/* SPDX-License-Identifier: Apache-2.0
 *
 * test_time_bound.c - no estimate exceeds the time that passed.
 *
 * A function's time is estimated from sampled calls, and a rare long call
 * timed at a long period stands for the whole period: speedtest1's
 * sqlite3VdbeExec came out at 7.5 s in a run of 0.27 s.  Whatever the
 * samples say, the total sent is at most the time since the runtime
 * started, times the threads that counted the function (snapshot.c).
 * Here each function is called once for real, then its slot is given a
 * sample worth some four days; what reaches the file sink must lie
 * between nine tenths of the time that passed and the time that passed,
 * once for a function one thread counted, twice for one two threads did,
 * and the same once the module is gone (its counts in the table's base).
 * A time that passed with no new call sends nothing more.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "internal.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("bound.one", "", 1),
    CNSM_FN("bound.two", "", 1),
    CNSM_FN("bound.gone", "", 1),
};
CNSM_EMUL_MODULE(mod, "bound", 3)

/* Before the module's constructor registers it (and the runtime's clock
 * starts): the time that passed is measured from here, an upper bound. */
static uint64_t first_ns;
__attribute__((constructor(101))) static void mark_first(void) {
  first_ns = cnsm_now_ns();
}

/* One real call of function i in this thread, then a sample that says
 * its 1,000 calls took 2^50 ticks (days at any clock rate). */
static void inflate(uint32_t i) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  CNSM_EXIT(mod, i, t0, 0);
  struct cnsm_slot *s = cnsm_emul_slot(mod_unit, i);
  s->calls += 999;
  s->samples += 999;
  s->ticks += (uint64_t)1 << 50;
}

/* Both threads live at once, so neither adopts the other's directory
 * (a thread that starts after another ended takes over its directory,
 * and with it its timeline). */
static pthread_barrier_t both_counted;

static void *other_thread(void *arg) {
  inflate((uint32_t)(uintptr_t)arg);
  pthread_barrier_wait(&both_counted);
  return NULL;
}

/* Function i inflated by two threads living at once. */
static void two_threads(uint32_t i) {
  pthread_t t[2];
  for (int k = 0; k < 2; k++)
    CHECK_EQ(pthread_create(&t[k], NULL, other_thread, (void *)(uintptr_t)i),
             0);
  for (int k = 0; k < 2; k++)
    CHECK_EQ(pthread_join(t[k], NULL), 0);
}

/* Flushes to out; checks that function i's total grew by between 0.9 and
 * 1 times threads times the time that passed. */
static void check_bound(const char *out, uint32_t i, double threads) {
  struct fn_sum before, after;
  sum_jsonl(out, mod_fns[i].name, &before);
  usleep(50000); /* time passing, against which the bound is judged */
  double low = (double)(cnsm_now_ns() - first_ns);
  CHECK_EQ(codensm_flush(), 0);
  double high = (double)(cnsm_now_ns() - first_ns);
  sum_jsonl(out, mod_fns[i].name, &after);
  double total = after.ms * 1e6; /* since the start: what the bound bounds */
  fprintf(stderr, "%s: %.3f ms for %.0f thread(s) in %.3f to %.3f ms\n",
          mod_fns[i].name, total / 1e6, threads, low / 1e6, high / 1e6);
  CHECK(after.calls == 1000 * (uint64_t)threads);
  CHECK(total <= threads * high);
  CHECK(total >= 0.9 * threads * low);
}

int main(void) {
  const char *out = test_path("time_bound.jsonl");
  unlink(out);
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(out),
                               .flush_interval_s = 3600};
  codensm_init(&cfg);

  inflate(0);
  check_bound(out, 0, 1);

  /* Two threads at once: two directories, each one thread's time. */
  CHECK_EQ(pthread_barrier_init(&both_counted, NULL, 2), 0);
  two_threads(1);
  check_bound(out, 1, 2);

  /* Gone (dlclose, exit): the module's counts and which directories
   * counted each function move to the table, and the bound with them. */
  two_threads(2);
  __codensm_unregister(&mod_desc);
  check_bound(out, 2, 2);
  unlink(out);
  TEST_DONE();
}
