/* SPDX-License-Identifier: Apache-2.0
 *
 * harness.c - the uninstrumented driver every benchmark binary shares.
 *
 * A workload TU (leaf.c, tree.c, mixed.c, clockpair.c) is compiled with
 * one variant's flags and defines workload_run(n), which makes about n
 * instrumented calls and returns the exact number it made.  This file is
 * always compiled plain, so its own code costs the same in every variant.
 *
 *   bench-<workload>-<variant> ITERATIONS [THREADS]
 *
 * It warms up with ITERATIONS/10 calls on the main thread, then runs
 * workload_run(ITERATIONS) on THREADS threads released together by a
 * barrier, and prints "ns_per_call=X calls=N": X is the mean over threads
 * of each thread's CPU time (CLOCK_THREAD_CPUTIME_ID, which leaves out the
 * time other tenants of a shared machine take) divided by its calls, N
 * is every instrumented call the process made (for callgrind).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long workload_run(long n);
/* hook_xray.c defines it: install the handler and patch the sleds. */
__attribute__((weak)) void bench_variant_init(void);

struct benchThread {
  long iterations, calls;
  double ns;
  pthread_barrier_t *start;
};

static double benchThreadNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void *benchThreadMain(void *arg) {
  struct benchThread *t = arg;
  pthread_barrier_wait(t->start);
  double t0 = benchThreadNs();
  t->calls = workload_run(t->iterations);
  t->ns = benchThreadNs() - t0;
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s ITERATIONS [THREADS]\n", argv[0]);
    return 2;
  }
  long iterations = atol(argv[1]);
  int threads = argc > 2 ? atoi(argv[2]) : 1;
  if (threads < 1 || threads > 64 || iterations < 1)
    return 2;
  if (bench_variant_init)
    bench_variant_init();
  long total = workload_run(iterations / 10 + 1);

  struct benchThread t[64];
  pthread_t id[64];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, (unsigned)threads);
  for (int i = 0; i < threads; i++) {
    t[i] = (struct benchThread){iterations, 0, 0, &start};
    if (pthread_create(&id[i], NULL, benchThreadMain, &t[i]))
      return 1;
  }
  double per_call = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(id[i], NULL);
    per_call += t[i].ns / (double)t[i].calls / threads;
    total += t[i].calls;
  }
  printf("ns_per_call=%.3f calls=%ld\n", per_call, total);
  return 0;
}
