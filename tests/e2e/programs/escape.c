/* SPDX-License-Identifier: Apache-2.0 */
/* escape.c - calls left by longjmp (e2e.py, case_escape): leave's first
 * call spins 20 ms and returns; its next 50,000 calls longjmp out, as
 * Lua's pcall leaves f_call on an error.  A timed call that never returns
 * stands for its calls with no time: leave's total is the 20 ms, not those
 * scaled by all 50,001 calls as if every call had been the one that
 * returned (Lua's f_call reported 17,000 s in a 0.15 s run).  Prints what
 * the first call took ("long_ms=X"). */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static jmp_buf back;
static volatile unsigned escaped;

__attribute__((noinline)) void leave(int escape) {
  if (escape)
    longjmp(back, 1);
  uint64_t until = now_ns() + 20000000u;
  while (now_ns() < until)
    ;
}

int main(void) {
  uint64_t t0 = now_ns();
  leave(0);
  uint64_t t1 = now_ns();
  for (int k = 0; k < 50000; k++)
    if (setjmp(back) == 0)
      leave(1);
    else
      escaped = escaped + 1;
  printf("long_ms=%f escaped=%u\n", (double)(t1 - t0) / 1e6, escaped);
  return 0;
}
