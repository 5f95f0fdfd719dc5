/* SPDX-License-Identifier: Apache-2.0 */
/* A static helper that -O2 inlines into its caller: every call still
 * counts, because the pass runs before inlining. */
#include <stdio.h>

static int square(int x) { return x * x; }

int main(void) {
  int sum = 0;
  for (int i = 0; i < 1000; ++i)
    sum += square(i);
  printf("%d\n", sum);
  return 0;
}
