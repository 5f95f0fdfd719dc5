/* Not instrumented (INCLUDE lib/ only): 5 calls of square, 2 of them 0. */
#include <stdio.h>

int square(int x);

int main(void) {
  int sum = 0;
  for (int i = 0; i < 5; i++)
    sum += square(i % 3 == 0 ? 0 : i);
  printf("configured: %d\n", sum);
  return 0;
}
