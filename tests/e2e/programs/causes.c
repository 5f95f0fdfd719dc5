/* SPDX-License-Identifier: Apache-2.0 */
/* Root causes on a three-level chain: api_checkout -> charge -> db_write.
 * Of 10 checkouts, 3 fail because db_write fails (and charge passes the
 * failure up), 2 because charge refuses by itself, 5 succeed.  A failure
 * that was handled does not become a later error's cause by being old:
 * audit() fails and is ignored before each checkout. */
#include "codensm.h"
#include <stdio.h>

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int audit(int i) {
  return -i - 1; /* always fails; nobody cares */
}

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int db_write(int i) {
  return i < 3 ? -1 : 0;
}

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int charge(int i) {
  if (i >= 3 && i < 5)
    return -2; /* card refused: its own failure */
  return db_write(i) < 0 ? -1 : 0;
}

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int api_checkout(int i) {
  return charge(i) < 0 ? -1 : 0;
}

int main(void) {
  int failed = 0;
  for (int i = 0; i < 10; i++) {
    (void)audit(i);
    failed += api_checkout(i) < 0;
  }
  printf("failed=%d\n", failed);
  return 0;
}
