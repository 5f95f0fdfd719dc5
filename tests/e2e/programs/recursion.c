/* SPDX-License-Identifier: Apache-2.0
 *
 * recursion.c - a 10,000-deep recursion (e2e.py, case_recursion): main
 * calls walk(10000) 20 times, each frame a little arithmetic and a call
 * one level down.  Its inclusive time counts outermost frames only, so
 * it stays below its caller's (counting every frame again made a 10,000
 * deep recursion 2.3 s under a main of 0.5 ms).  Prints what the 20
 * calls took on the wall clock ("walk_ms=X").
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static volatile unsigned sink;

__attribute__((noinline)) unsigned walk(unsigned depth) {
  unsigned mixed = sink * 31 + depth;
  return depth ? mixed + walk(depth - 1) : mixed;
}

int main(void) {
  unsigned sum = 0;
  uint64_t t0 = now_ns();
  for (int k = 0; k < 20; k++)
    sum += walk(10000);
  uint64_t t1 = now_ns();
  printf("walk_ms=%f sum=%u\n", (double)(t1 - t0) / 1e6, sum);
  return 0;
}
