/* SPDX-License-Identifier: Apache-2.0 */
/* Loads plugin_lib.so, and unloads it in a destructor while the process
 * exits: the library's module is folded as it goes, the program's own
 * modules are read where they are by the exit flush. */
#include <dlfcn.h>
#include <stdio.h>

static void *lib;

__attribute__((noinline)) int twice(int x) { return 2 * x; }

__attribute__((destructor)) static void unload_at_exit(void) {
  if (lib)
    dlclose(lib);
  printf("unloaded at exit: %d\n", twice(21));
}

int main(int argc, char **argv) {
  lib = dlopen(argc > 1 ? argv[1] : "./plugin_lib.so", RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  int (*work)(int) = (int (*)(int))dlsym(lib, "plugin_work");
  int sum = 0;
  for (int i = 0; i < 10; i++)
    sum += twice(i);
  printf("work=%d sum=%d\n", work(100), sum);
  return 0;
}
