/* SPDX-License-Identifier: Apache-2.0
 *
 * test_churn.c - threads come and go (attach, exit, a new thread adopting
 * the arena and directories an exited one left) while the background
 * flusher sends every 10 ms and codensm_init changes settings: the totals
 * are exact at the end.  Only some threads call a second module, so a
 * thread often adopts a directory it never uses, and exits with it.
 * Built under TSan too.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("churn.a", "", 1),
    CNSM_FN("churn.b", "", 1),
};
CNSM_EMUL_MODULE(mod, "churn", 2)

static const struct cnsm_function_info oth_fns[] = {
    CNSM_FN("churn.other", "", 1),
};
CNSM_EMUL_MODULE(oth, "churn_other", 1)

#define ROUNDS 40
#define THREADS 4
#define CALLS 5000

/* CALLS calls of a, and one of b per 10; with an odd arg, one of other. */
static void *worker(void *arg) {
  if ((uintptr_t)arg % 2) {
    uint64_t t0 = CNSM_ENTER(oth, 0);
    CNSM_EXIT(oth, 0, t0, 0);
  }
  for (int i = 0; i < CALLS; i++) {
    uint64_t t0 = CNSM_ENTER(mod, 0);
    if (i % 10 == 0) {
      uint64_t t1 = CNSM_ENTER(mod, 1);
      CNSM_EXIT(mod, 1, t1, 1);
    }
    CNSM_EXIT(mod, 0, t0, 0);
  }
  return NULL;
}

int main(void) {
  const char *out = test_path("churn.jsonl");
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(out),
                               .flush_interval_s = 0.01};
  CHECK_EQ(codensm_init(&cfg), 0);
  for (int r = 0; r < ROUNDS; r++) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
      pthread_create(&t[i], NULL, worker,
                     (void *)(uintptr_t)(r % 3 == 0 && i % 2));
    if (r % 10 == 0) {
      struct codensm_config c = {.struct_size = sizeof c,
                                 .weights = r % 20 ? "churn.=2" : "churn.=1"};
      codensm_init(&c);
    }
    for (int i = 0; i < THREADS; i++)
      pthread_join(t[i], NULL);
  }
  CHECK_EQ(codensm_flush(), 0);
  codensm_shutdown();
  codensm_shutdown(); /* idempotent */
  struct fn_sum s;
  CHECK(sum_jsonl(out, "churn.a", &s) > 0);
  CHECK_EQ(s.calls, (uint64_t)ROUNDS * THREADS * CALLS);
  CHECK_EQ(s.errors, 0);
  sum_jsonl(out, "churn.b", &s);
  CHECK_EQ(s.calls, (uint64_t)ROUNDS * THREADS * CALLS / 10);
  CHECK_EQ(s.errors, (uint64_t)ROUNDS * THREADS * CALLS / 10);
  sum_jsonl(out, "churn.other", &s);
  CHECK_EQ(s.calls, (uint64_t)(ROUNDS + 2) / 3 * (THREADS / 2));
  unlink(out);
  TEST_DONE();
}
