/* SPDX-License-Identifier: Apache-2.0
 *
 * app_work.h - the "app" module the delivery and fault programs share
 * (rt_app.c, rt_hardend.c): app.work, which fails on each call whose
 * argument is a multiple of 7, and app.never, never called.  The tests
 * expect exactly these names, departments and errors (errors_of in
 * test_delivery.py and test_faults.py).
 */
#ifndef CNSM_APP_WORK_H
#define CNSM_APP_WORK_H

#include "cnsm_emul.h"

static const struct cnsm_function_info app_fns[] = {
    CNSM_FN("app.work", "core", 2),
    CNSM_FN("app.never", "core", 1),
};
CNSM_EMUL_MODULE(app, "app", 2)

/* An instrumented function that fails when x % 7 == 0. */
static __attribute__((noinline)) int work(long x) {
  uint64_t t0 = CNSM_ENTER(app, 0);
  int r = x % 7 == 0 ? -1 : 0;
  CNSM_EXIT(app, 0, t0, r < 0);
  return r;
}

#endif /* CNSM_APP_WORK_H */
