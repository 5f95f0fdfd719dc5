/* SPDX-License-Identifier: Apache-2.0 */
/* Loads plugin_lib.so, calls it, unloads it, then keeps running. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  void *lib = dlopen(argc > 1 ? argv[1] : "./plugin_lib.so", RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  int (*work)(int) = (int (*)(int))dlsym(lib, "plugin_work");
  printf("work=%d\n", work(100));
  dlclose(lib);
  printf("unloaded\n");
  return 0;
}
