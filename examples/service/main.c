/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - serves a fixed day of 40 orders and prints the outcome. */
#include <stdio.h>

#include "service.h"

/* The request handler: one order in, 0 when it was placed. */
static int handle_request(int order) {
  int sku = 100 + order % 9;
  int cents = 500 + 125 * order;
  return orders_place(order, sku, cents);
}

int main(void) {
  int placed = 0, failed = 0;
  for (int order = 1; order <= 40; order++) {
    if (handle_request(order) == 0)
      placed++;
    else
      failed++;
  }
  reports_daily(placed, failed);
  return 0;
}
