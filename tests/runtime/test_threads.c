/* SPDX-License-Identifier: Apache-2.0
 *
 * test_threads.c - 8 threads x 1,000,000 calls are counted exactly, errors
 * too, whether the threads exited before the flush or are still alive, and
 * a second flush sends only what came after the first.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("threads.work", "core", 3),
    CNSM_FN("threads.fail", "core", 1),
};
CNSM_EMUL_MODULE(mod, "threads", 2)

#define THREADS 8
#define CALLS 1000000

/* An instrumented function: counts a call, errors when x % 10 == 0.  A
 * few dozen ns of work, so its time is above what the probe correction
 * can resolve (a few ns). */
static __attribute__((noinline)) int work(int x) {
  uint64_t t0 = CNSM_ENTER(mod, 0);
  volatile int spin = 0;
  for (int k = 0; k < 32; k++)
    spin += k;
  int r = x % 10 == 0 ? -1 : x;
  CNSM_EXIT(mod, 0, t0, r < 0);
  return r;
}

static pthread_barrier_t flushed;

/* Runs CALLS calls; the odd threads wait alive until after the flush. */
static void *worker(void *arg) {
  long id = (long)arg;
  volatile unsigned sink = 0;
  for (int i = 0; i < CALLS; i++)
    sink += (unsigned)work(i);
  (void)sink;
  if (id % 2)
    pthread_barrier_wait(&flushed);
  return NULL;
}

int main(void) {
  const char *out = test_path("threads.jsonl");
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(out),
                               .flush_interval_s = 3600};
  CHECK_EQ(codensm_init(&cfg), 0);
  pthread_barrier_init(&flushed, NULL, THREADS / 2 + 1);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; i++)
    pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < THREADS; i += 2) /* the even ones exit */
    pthread_join(t[i], NULL);
  /* Wait until the odd ones finished counting (they block on the barrier
   * only after their loop, so spin on the totals through a flush). */
  struct fn_sum s;
  for (int tries = 0; tries < 600; tries++) {
    CHECK_EQ(codensm_flush(), 0);
    sum_jsonl(out, "threads.work", &s);
    if (s.calls >= (uint64_t)THREADS * CALLS)
      break;
    usleep(50000);
  }
  CHECK(sum_jsonl(out, "threads.work", &s) > 0);
  CHECK_EQ(s.calls, (uint64_t)THREADS * CALLS);
  CHECK_EQ(s.errors, (uint64_t)THREADS * CALLS / 10);
  CHECK_EQ(s.weight, 3);
  CHECK(strcmp(s.department, "core") == 0);
  CHECK(s.ms > 0);
  pthread_barrier_wait(&flushed);
  for (int i = 1; i < THREADS; i += 2)
    pthread_join(t[i], NULL);
  /* All threads are gone: their blocks were folded, nothing new to send
   * for work; 5 more calls from main go out alone. */
  for (int i = 1; i <= 5; i++)
    work(i);
  long before = sum_jsonl(out, "threads.work", &s);
  CHECK_EQ(codensm_flush(), 0);
  CHECK_EQ(sum_jsonl(out, "threads.work", &s), before + 1);
  CHECK_EQ(s.calls, (uint64_t)THREADS * CALLS + 5);
  CHECK_EQ(s.errors, (uint64_t)THREADS * CALLS / 10);
  /* threads.fail was never called: announced once, with zero calls. */
  struct fn_sum z;
  sum_jsonl(out, "threads.fail", &z);
  CHECK_EQ(z.lines, 1);
  CHECK_EQ(z.calls, 0);
  unlink(out);
  TEST_DONE();
}
