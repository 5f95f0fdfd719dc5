/* SPDX-License-Identifier: Apache-2.0 */
/* 8 threads x 1,000,000 calls of one function, counted exactly.  Each
 * thread's first instrumented call is scale's, a leaf that is counted and
 * never timed: its chunk is made real by the runtime's call inside the
 * pass's inline asm (x86-64), while its double arguments live in vector
 * registers the runtime's C code may use; the result must not change. */
#include <pthread.h>
#include <stdio.h>

#include "codensm.h"

__attribute__((noinline)) int tick(int x) { return x + 1; }

__attribute__((noinline)) double scale(double x, double y) {
  return x * y + 0.25;
}

static double scaled[8];

CODENSM_SKIP static void *worker(void *arg) {
  int i = (int)(long)arg;
  scaled[i] = scale(1.5 * (i + 1), 2.0 + i);
  volatile int v = 0;
  for (int k = 0; k < 1000000; ++k)
    v = tick(v);
  return NULL;
}

int main(void) {
  pthread_t t[8];
  for (long i = 0; i < 8; ++i)
    pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < 8; ++i)
    pthread_join(t[i], NULL);
  for (int i = 0; i < 8; ++i)
    printf("%g\n", scaled[i]);
  printf("done\n");
  return 0;
}
