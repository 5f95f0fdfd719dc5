/* SPDX-License-Identifier: Apache-2.0 */
/* Children forked from one state each decide which of their calls are
 * timed: a parent times work() about one call in 32 (a few microseconds
 * each), then forks 400 children that call it once, for a millisecond. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long since_us(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) * 1000000L + (t.tv_nsec - t0->tv_nsec) / 1000;
}

__attribute__((noinline)) void work(long us) {
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (since_us(&t0) < us)
    ;
}

int main(void) {
  for (int i = 0; i < 2000; ++i)
    work(5);
  for (int c = 0; c < 400; ++c) {
    pid_t pid = fork();
    if (pid < 0)
      return 1;
    if (pid == 0) {
      work(1000);
      exit(0);
    }
    waitpid(pid, NULL, 0);
  }
  printf("400 children\n");
  return 0;
}
