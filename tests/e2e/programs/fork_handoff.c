/* SPDX-License-Identifier: Apache-2.0 */
/* A forking server's shape: the parent forks CHILDREN children one after
 * another, as a server forks one per connection; each child serves (calls
 * serve, which calls step STEPS times and charge once, which fails through
 * db_write on every third child) and exits.  Each child's figures go to
 * the parent, which sends them with its own: one request for the whole
 * run, with the children's callers, root causes and timed calls.  A child
 * whose parent is gone sends its own ("orphan"), and so does one that
 * forbade itself files ("nofiles").  Arguments: children, steps, and the
 * milliseconds between two children (0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codensm.h"

__attribute__((noinline)) int accept_one(int x) { return x + 1; }

/* About 20 us: long enough to be timed, with buckets to send. */
__attribute__((noinline)) int step(int x) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do
    clock_gettime(CLOCK_MONOTONIC, &now);
  while ((now.tv_sec - start.tv_sec) * 1000000000L +
             (now.tv_nsec - start.tv_nsec) <
         20000);
  return x + 2;
}

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int db_write(int i) {
  return i % 3 == 0 ? -1 : 0;
}

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int charge(int i) {
  return db_write(i) < 0 ? -1 : 0;
}

__attribute__((noinline)) int serve(int i, int steps) {
  int v = 0;
  for (int s = 0; s < steps; s++)
    v = step(v);
  return charge(i) < 0 ? -v : v;
}

/* A fork once the parent's flusher runs (it takes its children's figures
 * from its start). */
static pid_t fork_when_taking(void) {
  usleep(200000);
  return fork();
}

/* "orphan": forks one child that serves after 500 ms, prints its pid and
 * waits to be killed; the child then finds its parent gone. */
static int orphan(int steps) {
  pid_t pid = fork_when_taking();
  if (pid < 0)
    return 2;
  if (pid == 0) {
    usleep(500000);
    exit(serve(1, steps) != 0 ? 0 : 1);
  }
  printf("%d\n", (int)pid);
  fflush(stdout);
  for (;;)
    pause();
}

/* "nofiles": one child forbids itself files (RLIMIT_FSIZE 0), serves and
 * exits; its exit status is the program's. */
static int nofiles(int steps) {
  pid_t pid = fork_when_taking();
  if (pid < 0)
    return 2;
  if (pid == 0) {
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_FSIZE, &none) != 0)
      _exit(4);
    exit(serve(1, steps) != 0 ? 0 : 1);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid)
    return 3;
  printf("child status %d\n", status);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[1], "orphan") == 0)
    return orphan(atoi(argv[2]));
  if (argc > 2 && strcmp(argv[1], "nofiles") == 0)
    return nofiles(atoi(argv[2]));
  int children = argc > 1 ? atoi(argv[1]) : 20;
  int steps = argc > 2 ? atoi(argv[2]) : 50;
  int pause_ms = argc > 3 ? atoi(argv[3]) : 0; /* between connections */
  /* A server runs a while before its first connection: its flusher takes
   * its children's figures from its start (a child that exits before
   * that sends its own). */
  usleep(200000);
  volatile int v = 0;
  for (int i = 0; i < children; i++) {
    v = accept_one(v);
    pid_t pid = fork();
    if (pid < 0)
      return 2;
    if (pid == 0)
      exit(serve(i, steps) != 0 ? 0 : 1);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      return 3;
    usleep((useconds_t)pause_ms * 1000u);
  }
  printf("%d children\n", children);
  return 0;
}
