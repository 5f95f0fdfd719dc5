/* SPDX-License-Identifier: Apache-2.0
 *
 * test_refused.c - a unit built for another ABI (its descriptor's
 * abi_version one ahead of the runtime's), as a program relinked against
 * a newer static runtime without being rebuilt has: the runtime refuses it
 * at its registration and counts nothing of it.  Its directory is never
 * replaced, so each of its calls still reaches the runtime; there it must
 * leave at once.  It once took the registry's lock on every call, to try
 * the registration again (Redis's CPU: 17 times plain) and said "out of
 * memory": this test holds that lock through 100,000 calls (a watchdog
 * ends a hang) and ctest fails on the wrong warning.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#define CNSM_EMUL_ABI_VERSION (CODENSM_ABI_VERSION + 1)
#include "cnsm_emul.h"
#include "internal.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("refused.work", "", 1),
};
CNSM_EMUL_MODULE(mod, "refused", 1)

int main(void) {
  CHECK(cnsm_module_of(&mod_desc) == NULL); /* refused by its constructor */
  alarm(10);
  pthread_mutex_lock(&cnsm_registry_lock);
  for (int i = 0; i < 100000; i++) {
    uint64_t t0 = CNSM_ENTER(mod, 0);
    CNSM_EXIT(mod, 0, t0, i % 10 == 0); /* errors reach the runtime too */
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  alarm(0);
  CHECK(cnsm_module_of(&mod_desc) == NULL);
  TEST_DONE();
}
