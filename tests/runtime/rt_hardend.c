/* SPDX-License-Identifier: Apache-2.0
 *
 * rt_hardend.c - a program that dies without an exit, for the hard-end
 * scenarios of test_delivery.py (issue 13, item 7).
 *
 *   rt_hardend HOW CALLS
 *
 * Makes CALLS calls of app.work (an error on each call whose index is a
 * multiple of 7) in three threads, the first of which exits before the
 * others start (so its counters are left to a later thread), prints
 * "counted" on stdout, then ends as HOW says:
 *
 *   sigterm  raise(SIGTERM) with its default action
 *   abort    abort()
 *   _exit    _exit(3): no atexit, no destructors
 *   wait     sleeps until it is killed (the test sends SIGKILL); the
 *            background flusher keeps running meanwhile
 *   fork     forks; the child makes CALLS more calls and prints "counted"
 *            too; both sleep until killed
 *   spawn    forks and execs /bin/true 20 times, prints "spawned", and
 *            sleeps until killed
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app_work.h"

struct range {
  long from, to;
};

static void *run(void *arg) {
  const struct range *r = arg;
  for (long i = r->from; i < r->to; i++)
    work(i);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: rt_hardend sigterm|abort|_exit|wait CALLS\n");
    return 2;
  }
  long calls = atol(argv[2]);
  struct range parts[3] = {
      {0, calls / 3}, {calls / 3, 2 * calls / 3}, {2 * calls / 3, calls}};
  pthread_t t[3];
  pthread_create(&t[0], NULL, run, &parts[0]);
  pthread_join(t[0], NULL);
  for (int i = 1; i < 3; i++)
    pthread_create(&t[i], NULL, run, &parts[i]);
  for (int i = 1; i < 3; i++)
    pthread_join(t[i], NULL);
  printf("counted\n");
  fflush(stdout);
  if (strcmp(argv[1], "fork") == 0 && fork() == 0) {
    run(&(struct range){0, calls});
    printf("counted\n");
    fflush(stdout);
  }
  if (strcmp(argv[1], "spawn") == 0) {
    for (int i = 0; i < 20; i++) {
      pid_t child = fork();
      if (child == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
      }
      waitpid(child, NULL, 0);
    }
    printf("spawned\n");
    fflush(stdout);
  }
  if (strcmp(argv[1], "sigterm") == 0)
    raise(SIGTERM);
  else if (strcmp(argv[1], "abort") == 0)
    abort();
  else if (strcmp(argv[1], "_exit") == 0)
    _exit(3);
  for (;;)
    pause();
}
