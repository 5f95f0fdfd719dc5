/* SPDX-License-Identifier: Apache-2.0 */
/* A forked child and its parent each report their own calls; a function
 * nobody calls is announced once, by the parent (never_called). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) int parent_work(int x) { return x + 1; }
__attribute__((noinline)) int child_work(int x) { return x + 2; }
__attribute__((noinline)) int never_called(int x) { return x + 3; }

int main(void) {
  volatile int v = 0;
  for (int i = 0; i < 5; ++i)
    v = parent_work(v);
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 7; ++i)
      v = child_work(v);
    return 0;
  }
  int status;
  waitpid(pid, &status, 0);
  for (int i = 0; i < 5; ++i)
    v = parent_work(v);
  printf("parent done\n");
  return 0;
}
