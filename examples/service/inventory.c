/* SPDX-License-Identifier: Apache-2.0 */
/* inventory.c - a tiny stock table; one SKU in nine is sold out. */
#include <stddef.h>

#include "service.h"

static struct item stock[9];

struct item *inventory_reserve(int sku) {
  struct item *it = &stock[sku % 9];
  it->sku = sku;
  if (sku % 9 == 4) /* sold out */
    return NULL;
  it->in_stock = 0;
  return it;
}

void inventory_release(struct item *it) { it->in_stock = 1; }
