/* SPDX-License-Identifier: Apache-2.0
 *
 * sealed.c - whether the program confined itself (sandbox.c sets it): the
 * runtime then makes no system call of its own but anonymous mmap.  At the
 * bottom with log.c, which every file may call: it calls nothing.
 */
#include "internal.h"

static int sealed;

int cnsm_sealed(void) { return __atomic_load_n(&sealed, __ATOMIC_ACQUIRE); }

int cnsm_seal(void) {
  return __atomic_exchange_n(&sealed, 1, __ATOMIC_ACQ_REL);
}

void cnsm_unseal(void) { __atomic_store_n(&sealed, 0, __ATOMIC_RELEASE); }
