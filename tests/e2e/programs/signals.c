/* SPDX-License-Identifier: Apache-2.0 */
/* Counting is exact when a signal handler calls the same function that the
 * interrupted code was in the middle of counting. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t handled;
static volatile int sink;

__attribute__((noinline)) int tick(int x) { return x + 1; }

static void on_alarm(int sig) {
  (void)sig;
  sink = tick(sink);
  handled++;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every = {{0, 50},
                            {0, 50}}; /* as often as the kernel allows */
  setitimer(ITIMER_REAL, &every, NULL);
  for (int i = 0; i < 20000000; ++i)
    sink = tick(sink);
  struct itimerval stop = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &stop, NULL);
  /* The test reads the handler's count from here and expects exactly
   * 20,000,000 + handled calls of tick. */
  printf("handled=%d\n", (int)handled);
  return 0;
}
