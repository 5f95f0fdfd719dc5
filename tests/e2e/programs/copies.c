/* SPDX-License-Identifier: Apache-2.0 */
/* Inlined copies counted by their call sites' edges (ABI 10,
 * plugin/CopiesFromEdges.h).  tiny, a leaf, is inlined into hot (1,001
 * calls in a loop, and 1 more as n is odd), in a thread of its own, and
 * into outer, itself inlined into main (10 calls: outer's copies are
 * counted by main's edge to it too, and tiny's calls from it by outer's
 * calls, as its first call); slow, built without optimisation, calls it
 * for real (7 calls), and main through a pointer (5).  relay, which
 * counts an edge to tiny behind a branch (500 calls), is inlined into hot
 * (1,001 calls), after hot's entry made their chunk real: its copies
 * count nothing either.  check, with an
 * error convention, is timed where inlined, so its copy counts itself
 * (1,001 calls, 201 errors).  Then the process ends as argv[1] says:
 * "kill" (SIGKILL, no flush: the next run delivers its counts from its
 * live file) or normally. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "codensm.h"

int tiny(int x) { return x * 7 + 1; }

CODENSM_ERRORS_WHEN_NEGATIVE int check(int x) { return x % 5 == 0 ? -1 : x; }

int outer(int x) { return tiny(x) + 1; }

int relay(int x) { return x > 500 ? tiny(x) : x; }

__attribute__((noinline)) int hot(int n) {
  int s = 0;
  for (int i = 0; i < n; i++)
    s += tiny(i) + check(i) + relay(i);
  if (n & 1)
    s += tiny(n);
  return s;
}

__attribute__((noinline, optnone)) int slow(int x) { return tiny(x); }

static int (*volatile through_pointer)(int) = tiny;

static void *in_thread(void *arg) {
  *(int *)arg = hot(1001);
  return NULL;
}

int main(int argc, char **argv) {
  int from_thread = 0;
  pthread_t t;
  pthread_create(&t, NULL, in_thread, &from_thread);
  pthread_join(t, NULL);
  long sum = from_thread;
  for (int i = 0; i < 10; i++)
    sum += outer(i);
  for (int i = 0; i < 7; i++)
    sum += slow(i);
  for (int i = 0; i < 5; i++)
    sum += through_pointer(i);
  printf("%ld\n", sum);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "kill") == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    raise(SIGKILL);
  }
  return 0;
}
