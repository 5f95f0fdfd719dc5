/* SPDX-License-Identifier: Apache-2.0 */
/* The forking server of bench/fork/run: a parent that has run a while and
 * flushed once (a postmaster), then forks children one at a time, each of
 * which calls into many units and exits (a backend serving one
 * connection).  Prints, per child, the median of:
 *   handlers  fork() called in the parent to the child's first line
 *             (the fork itself and the child's fork handlers)
 *   parent    fork() called to fork() returned in the parent
 *   exit      the child's exit() to the parent's waitpid() returning
 * and the CPU of the children (RUSAGE_CHILDREN) and of the parent, per
 * child.  Usage: fork_server CHILDREN */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The runtime's (codensm.h), weak: the plain build has none. */
int codensm_flush(void) __attribute__((weak));

int parent_work(int); /* generated: calls into a tenth of the units */
int child_work(int);  /* generated: calls into a third of them */

static long now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

static long cpu_us(int who) {
  struct rusage u;
  getrusage(who, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000L +
         u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static int by_value(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

static double median_ms(long *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return (n % 2 ? (double)v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / 1000;
}

int main(int argc, char **argv) {
  int children = argc > 1 ? atoi(argv[1]) : 50;
  long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  long *handlers = calloc((size_t)children, sizeof *handlers);
  long *parent = calloc((size_t)children, sizeof *parent);
  long *exits = calloc((size_t)children, sizeof *exits);
  if (shared == MAP_FAILED || !handlers || !parent || !exits)
    return 1;
  int sum = parent_work(1);
  if (codensm_flush) /* a server that has run a while: its functions sent */
    codensm_flush();
  long children_cpu = cpu_us(RUSAGE_CHILDREN), own_cpu = cpu_us(RUSAGE_SELF);
  for (int k = 0; k < children; k++) {
    long before = now_us();
    pid_t pid = fork();
    if (pid == 0) {
      shared[0] = now_us();
      int v = child_work(k);
      shared[1] = now_us();
      exit(v == -1);
    }
    parent[k] = now_us() - before;
    waitpid(pid, NULL, 0);
    exits[k] = now_us() - shared[1];
    handlers[k] = shared[0] - before;
  }
  children_cpu = cpu_us(RUSAGE_CHILDREN) - children_cpu;
  own_cpu = cpu_us(RUSAGE_SELF) - own_cpu;
  printf("handlers %.2f parent %.2f exit %.2f children_cpu %.2f "
         "parent_cpu %.2f\n",
         median_ms(handlers, children), median_ms(parent, children),
         median_ms(exits, children), children_cpu / 1000.0 / children,
         own_cpu / 1000.0 / children);
  return sum == -1;
}
