/* SPDX-License-Identifier: Apache-2.0
 *
 * test_fork.c - after fork() the child reports only its own calls, with its
 * own sink and flusher, and the parent reports all of its own, including
 * those of a thread that was alive (and so absent from the child) at the
 * fork.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("fork.work", "", 1),
};
CNSM_EMUL_MODULE(mod, "fork", 1)

/* An instrumented function. */
static __attribute__((noinline)) int work(int x) {
  uint64_t t0 = CNSM_ENTER(mod, 0);
  int r = x + 1;
  CNSM_EXIT(mod, 0, t0, 0);
  return r;
}

/* n calls of work. */
static void calls(int n) {
  volatile unsigned sink = 0;
  for (int i = 0; i < n; i++)
    sink += (unsigned)work(i);
  (void)sink;
}

static pthread_barrier_t forked;

/* A thread that counts 700 calls and stays alive across the fork. */
static void *bystander(void *arg) {
  (void)arg;
  calls(700);
  pthread_barrier_wait(&forked); /* counted */
  pthread_barrier_wait(&forked); /* fork done */
  return NULL;
}

int main(void) {
  const char *parent_out = test_path("fork-parent.jsonl");
  const char *child_out = test_path("fork-child.jsonl");
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(parent_out),
                               .flush_interval_s = 3600};
  CHECK_EQ(codensm_init(&cfg), 0);
  pthread_barrier_init(&forked, NULL, 2);
  pthread_t t;
  pthread_create(&t, NULL, bystander, NULL);
  calls(1000);
  CHECK_EQ(codensm_flush(), 0); /* 1000 + some of the 700 acknowledged */
  calls(200);                   /* unsent at the fork */
  pthread_barrier_wait(&forked);
  pid_t pid = fork();
  if (pid == 0) {
    struct codensm_config c = {.struct_size = sizeof c,
                               .endpoint = test_file_url(child_out)};
    codensm_init(&c);
    calls(300);
    CHECK_EQ(codensm_flush(), 0);
    calls(30);
    exit(test_failures ? 1 : 0); /* the exit flush sends the last 30 */
  }
  pthread_barrier_wait(&forked);
  pthread_join(t, NULL);
  calls(500);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(codensm_flush(), 0);
  struct fn_sum p, c;
  CHECK(sum_jsonl(parent_out, "fork.work", &p) > 0);
  CHECK(sum_jsonl(child_out, "fork.work", &c) > 0);
  CHECK_EQ(p.calls, 1000 + 700 + 200 + 500);
  CHECK_EQ(c.calls, 300 + 30);
  unlink(parent_out);
  unlink(child_out);
  TEST_DONE();
}
