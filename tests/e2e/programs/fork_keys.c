/* SPDX-License-Identifier: Apache-2.0 */
/* A program that sends its figures before each fork (a fork handler of
 * its own calls codensm_flush), then lets each child call child_work once,
 * send its figures itself (codensm_flush: at its exit it would hand them
 * to its parent) and exit.  Each child must send under keys of its own. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codensm.h"

__attribute__((noinline)) int parent_work(int x) { return x + 1; }
__attribute__((noinline)) int child_work(int x) { return x + 2; }

static void flush_before_fork(void) { codensm_flush(); }

int main(int argc, char **argv) {
  int children = argc > 1 ? atoi(argv[1]) : 10;
  pthread_atfork(flush_before_fork, NULL, NULL);
  volatile int v = 0;
  for (int i = 0; i < children; i++) {
    v = parent_work(v);
    pid_t pid = fork();
    if (pid < 0)
      return 2;
    if (pid == 0) {
      int ok = child_work(v) == v + 2;
      exit(codensm_flush() == 0 && ok ? 0 : 1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
      return 3;
  }
  printf("%d children\n", children);
  return 0;
}
