/* SPDX-License-Identifier: Apache-2.0 */
/* A probe with a lifespan (e2e.py, case_probe): tiny() is called once, a
 * flush sends that call and reads the collector's answer, which names the
 * probes in force; then 50,000 more calls, sent at exit.  While a probe
 * of tiny lasts, every one of them is timed (each weighs 1 in its
 * histogram: the histogram adds up to the calls exactly); otherwise one
 * in hundreds is. */
#include "codensm.h"
#include <stdio.h>

static volatile unsigned sink;

/* Tracked: an accessor this small is counted but not timed by default (the
 * untimed policy); here its time is the point. */
CODENSM_TRACK __attribute__((noinline)) void tiny(unsigned x) {
  sink = sink * 31 + x;
}

int main(void) {
  tiny(0);
  codensm_flush();
  for (unsigned k = 1; k <= 50000; k++)
    tiny(k);
  printf("done\n");
  return 0;
}
