/* SPDX-License-Identifier: Apache-2.0
 *
 * dl_lib.c - an instrumented shared library for test_dlopen: its module
 * registers when dlopen'ed and unregisters at dlclose.
 */
#include "cnsm_emul.h"

static const struct cnsm_function_info lib_fns[] = {
    CNSM_FN("dl.lib_work", "plugins", 2),
    CNSM_FN("dl.lib_unused", "plugins", 1),
};
CNSM_EMUL_MODULE(lib, "dl", 2)

/* An instrumented function; errors on odd x.  test_dlopen finds it with
 * dlsym. */
__attribute__((visibility("default"))) int lib_work(int x);
__attribute__((visibility("default"))) int lib_work(int x) {
  uint64_t t0 = CNSM_ENTER(lib, 0);
  int r = x % 2 ? -1 : x;
  CNSM_EXIT(lib, 0, t0, r < 0);
  return r;
}
