/* SPDX-License-Identifier: Apache-2.0
 *
 * test_dlopen.c - dlopen -> calls (two threads) -> dlclose -> flush
 * delivers the library's exact calls: its module's last deltas survive
 * the unmapping, names and departments included.  Twice, to show a
 * re-opened library adds up.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>

#include "codensm.h"
#include "test_util.h"

static int (*lib_work)(int);

/* 400 calls of the library from a thread that stays alive. */
static void *caller(void *arg) {
  for (int i = 0; i < 400; i++)
    lib_work(i);
  pthread_barrier_wait(arg);
  pthread_barrier_wait(arg);
  return NULL;
}

/* Opens the library, calls it from main (250) and a live thread (400),
 * closes it while the thread is still alive. */
static void round_trip(const char *lib) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  CHECK(h != NULL);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return;
  }
  *(void **)&lib_work = dlsym(h, "lib_work");
  pthread_barrier_t b;
  pthread_barrier_init(&b, NULL, 2);
  pthread_t t;
  pthread_create(&t, NULL, caller, &b);
  for (int i = 0; i < 250; i++)
    lib_work(i);
  pthread_barrier_wait(&b);
  CHECK_EQ(dlclose(h), 0);
  pthread_barrier_wait(&b);
  pthread_join(t, NULL);
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  const char *out = test_path("dlopen.jsonl");
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(out),
                               .flush_interval_s = 3600};
  codensm_init(&cfg);
  round_trip(argv[1]);
  CHECK_EQ(codensm_flush(), 0);
  struct fn_sum s, u;
  CHECK(sum_jsonl(out, "dl.lib_work", &s) > 0);
  CHECK_EQ(s.calls, 650);
  CHECK_EQ(s.errors, 325);
  CHECK_EQ(s.weight, 2);
  CHECK(strcmp(s.department, "plugins") == 0);
  sum_jsonl(out, "dl.lib_unused", &u);
  CHECK_EQ(u.lines, 1);
  round_trip(argv[1]);
  CHECK_EQ(codensm_flush(), 0);
  sum_jsonl(out, "dl.lib_work", &s);
  CHECK_EQ(s.calls, 1300);
  CHECK_EQ(s.lines, 2);
  sum_jsonl(out, "dl.lib_unused", &u);
  CHECK_EQ(u.lines, 1);
  if (!test_failures)
    unlink(out);
  TEST_DONE();
}
