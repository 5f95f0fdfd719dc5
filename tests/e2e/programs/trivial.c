/* SPDX-License-Identifier: Apache-2.0 */
/* trivial.c - a leaf accessor (left out under the trivial-function policy)
 * called by a loop (instrumented). */
#include <stdio.h>
struct point {
  int x, y;
};
__attribute__((noinline)) int getter(const struct point *p) { return p->x; }
__attribute__((noinline)) int work(int n) {
  int s = 0;
  for (int i = 0; i < n; i++) {
    struct point p = {i, 0};
    s += getter(&p);
  }
  return s;
}
int main(void) {
  printf("%d\n", work(10));
  return 0;
}
