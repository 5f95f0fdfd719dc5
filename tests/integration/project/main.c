/* 10 calls of square (2 out of range), 3 of legacy_twice, 1 of greet. */
#include <stdio.h>

int square(int x);
int legacy_twice(int x);
int asm_add(int a, int b);
int greet(void);

int main(void) {
  int sum = 0;
  for (int i = 0; i < 10; i++)
    sum += square(i < 8 ? i : 1000);
  for (int i = 0; i < 3; i++)
    sum += legacy_twice(i);
  sum = asm_add(sum, greet());
  printf("itest: %d\n", sum);
  return 0;
}
