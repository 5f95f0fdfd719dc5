/* SPDX-License-Identifier: Apache-2.0 */
/* orders.c - places an order: reserve the item, then charge for it. */
#include <stdio.h>

#include "service.h"

/* Returns 0, -1 when out of stock, -2 when the payment was declined. */
int orders_place(int order, int sku, int cents) {
  struct item *it = inventory_reserve(sku);
  if (!it)
    return -1;
  if (payments_charge(order, cents) < 0) {
    inventory_release(it);
    return -2;
  }
  return 0;
}
