#include <stdio.h>
int vendor_hash(int x);
int app_main_work(int x) { return vendor_hash(x) + 1; }
int main(void) {
  printf("%d\n", app_main_work(41));
  return 0;
}
