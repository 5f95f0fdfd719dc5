/* SPDX-License-Identifier: Apache-2.0
 *
 * store_pg_batch.h - the PostgreSQL backend's upsert_batch (struct
 * cnsm_store_ops): a batch's functions, counts and histograms in three
 * or four statements per round of repeated names.  See store_pg_batch.c. */
#ifndef CNSM_STORE_PG_BATCH_H
#define CNSM_STORE_PG_BATCH_H

#include <stdint.h>

#include "store.h"

/* Stores b's functions and counts for project in the bucket at now, as
 * store_ingest.c's UPSERTs one element at a time would (histogram pairs
 * also into hist_totals when hist_totals is nonzero).  Returns 0, or -1
 * (a statement failed, or out of memory). */
int cnsm_pg_upsert_batch(struct cnsm_conn *c, const char *project,
                         const struct cnsm_batch *b, int64_t bucket,
                         int64_t now, int hist_totals);

#endif
