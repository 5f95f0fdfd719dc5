/* SPDX-License-Identifier: Apache-2.0
 *
 * static_init.c - an instrumented function called before its unit's own
 * constructor has registered the unit (a C++ static initialiser's call;
 * here a constructor of the first priority), then main's calls, and an end
 * by _exit() unless asked for a normal one:
 *
 *   static_init [exit]
 *
 * What the thread counted reaches the sink through its live file, which
 * the next run takes over; its counters must have been allocated there.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) int helper(int i) { return i * 3 + 1; }

static int early_value;

__attribute__((constructor(101))) static void early(void) {
  early_value = helper(1);
}

__attribute__((noinline)) int work(int i) { return i ^ 5; }

int main(int argc, char **argv) {
  long sum = early_value;
  for (int i = 0; i < 1000; i++)
    sum += work(i) + helper(i);
  printf("sum=%ld\n", sum);
  fflush(stdout);
  if (argc > 1 && strcmp(argv[1], "exit") == 0)
    return 0;
  _exit(0);
}
