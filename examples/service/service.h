/* SPDX-License-Identifier: Apache-2.0 */
/* service.h - a small order service: orders call inventory and payments. */
#ifndef SERVICE_H
#define SERVICE_H

struct item {
  int sku;
  int in_stock;
};

struct item *inventory_reserve(int sku); /* NULL: out of stock */
void inventory_release(struct item *it);

int payments_charge(int order, int cents); /* < 0: declined */
int payments_refund(int order, int cents); /* never called here */

int orders_place(int order, int sku, int cents); /* < 0: not placed */

void reports_daily(int placed, int failed);
int reports_export_csv(const char *path); /* never called here */

#endif
