/* SPDX-License-Identifier: Apache-2.0 */
/* A C error convention: parse() fails (returns -1) on 4 of 9 calls. */
#include "codensm.h"
#include <stdio.h>

CODENSM_ERRORS_WHEN_NEGATIVE CODENSM_DEPARTMENT("ingest")
    CODENSM_WEIGHT(7) int parse(int x) {
  return x % 2 ? -1 : x;
}

CODENSM_ERRORS_WHEN_NULL const char *find(int x) {
  return x > 2 ? "found" : NULL;
}

int main(void) {
  int ok = 0;
  for (int i = 0; i < 9; ++i)
    ok += parse(i) >= 0;
  for (int i = 0; i < 5; ++i)
    ok += find(i) != NULL;
  printf("ok=%d\n", ok);
  return 0;
}
