/* SPDX-License-Identifier: Apache-2.0
 *
 * test_signal_reentry.c - a signal handler's first call into a module that
 * must be registered (again: its destructor ran at exit, as a module's does
 * before the exit flush) while its own thread holds the registry's lock, as
 * the runtime's exit flush does.  ssh's SIGCHLD handler hung there, waiting
 * for the lock its own thread held.  The handler's call is now lost (it
 * counts into the scratch chunk) rather than waited for, and the module
 * registers again at its next call outside the lock.  A hang ends in the
 * alarm's SIGALRM, which fails the test.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "cnsm_emul.h"
#include "internal.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("reentry.on_signal", "", 1),
};
CNSM_EMUL_MODULE(mod, "reentry", 1)

static volatile sig_atomic_t handled;

static void on_signal(int sig) {
  (void)sig;
  uint64_t t0 = CNSM_ENTER(mod, 0);
  CNSM_EXIT(mod, 0, t0, 0);
  handled = 1;
}

int main(void) {
  CHECK(cnsm_module_of(&mod_desc) != NULL);
  __codensm_unregister(&mod_desc);
  CHECK(cnsm_module_of(&mod_desc) == NULL);
  signal(SIGUSR1, on_signal);
  alarm(10);
  pthread_mutex_lock(&cnsm_registry_lock);
  raise(SIGUSR1);
  pthread_mutex_unlock(&cnsm_registry_lock);
  alarm(0);
  CHECK(handled);
  CHECK(cnsm_module_of(&mod_desc) == NULL); /* nothing done under the lock */
  on_signal(0);
  CHECK(cnsm_module_of(&mod_desc) != NULL);
  TEST_DONE();
}
