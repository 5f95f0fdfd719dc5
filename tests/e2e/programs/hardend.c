/* SPDX-License-Identifier: Apache-2.0 */
/* Counts in four threads (the first exits before the others start, so its
 * counters are left to a later thread), then ends as argv[1] says: "kill"
 * (SIGKILL), "abort" or "_exit" (no exit flush, no destructors), or
 * normally. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

__attribute__((noinline)) int step(int x) { return x * 3 + 1; }

static void *worker(void *arg) {
  volatile int v = 0;
  for (int i = 0; i < 100000; ++i)
    v = step(v);
  (void)arg;
  return NULL;
}

int main(int argc, char **argv) {
  pthread_t t[4];
  pthread_create(&t[0], NULL, worker, NULL);
  pthread_join(t[0], NULL);
  for (int i = 1; i < 4; ++i)
    pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 1; i < 4; ++i)
    pthread_join(t[i], NULL);
  const char *how = argc > 1 ? argv[1] : "";
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  if (strcmp(how, "kill") == 0)
    raise(SIGKILL);
  if (strcmp(how, "abort") == 0)
    abort();
  if (strcmp(how, "_exit") == 0)
    _exit(3);
  return 0;
}
