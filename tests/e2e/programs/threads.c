/* SPDX-License-Identifier: Apache-2.0 */
/* 8 threads x 1,000,000 calls of one function, counted exactly. */
#include <pthread.h>
#include <stdio.h>

__attribute__((noinline)) int tick(int x) { return x + 1; }

static void *worker(void *arg) {
  volatile int v = 0;
  for (int i = 0; i < 1000000; ++i)
    v = tick(v);
  (void)arg;
  return NULL;
}

int main(void) {
  pthread_t t[8];
  for (int i = 0; i < 8; ++i)
    pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < 8; ++i)
    pthread_join(t[i], NULL);
  printf("done\n");
  return 0;
}
