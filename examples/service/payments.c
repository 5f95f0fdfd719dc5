/* SPDX-License-Identifier: Apache-2.0 */
/* payments.c - the card gateway.  Ownership, value and the error convention
 * are annotations here, rather than .codensm.yaml entries. */
#include <codensm.h>

#include "service.h"

/* Every seventh card is declined. */
/* clang-format cannot settle on a line of attribute macros. */
// clang-format off
CODENSM_DEPARTMENT("payments") CODENSM_WEIGHT(9) CODENSM_ERRORS_WHEN_NEGATIVE
int payments_charge(int order, int cents) {
  // clang-format on
  if (order % 7 == 0)
    return -1;
  return cents;
}

CODENSM_DEPARTMENT("payments")
CODENSM_ERRORS_WHEN_NEGATIVE int payments_refund(int order, int cents) {
  (void)order;
  return cents > 0 ? 0 : -1;
}
