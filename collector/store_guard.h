/* SPDX-License-Identifier: Apache-2.0
 *
 * store_guard.h - the checks a batch passes inside its ingest
 * transaction: is it a repeat (Idempotency-Key, store_batches.c) and
 * would it take a project total past its limit (store_totals.c).  Both
 * run on either backend through store.h's queries. */
#ifndef CNSM_STORE_GUARD_H
#define CNSM_STORE_GUARD_H

#include <stdint.h>

#include "ingest.h"
#include "store.h"

/* Looks id->key up for project among the keys recorded since
 * now - CNSM_IDEM_TTL_S.  Returns 0 if unknown, 1 if stored with
 * the same body (*accepted gets its element count), 2 if stored with
 * another body, -1 on a database error. */
int cnsm_batches_find(struct cnsm_conn *c, const char *project,
                      const struct cnsm_batch_id *id, int64_t now,
                      int64_t *accepted);

/* Records id for project with its element count; deletes keys older
 * than CNSM_IDEM_TTL_S.  Returns 0 or -1. */
int cnsm_batches_record(struct cnsm_conn *c, const char *project,
                        const struct cnsm_batch_id *id, int64_t accepted,
                        int64_t now);

/* Checks that project's all-time totals plus b stay within the limits
 * (calls and errors <= CNSM_INT_MAX, total_ms <= CNSM_MS_MAX).  Returns
 * 0 if they do, 1 with *field set if not, -1 on a database error. */
int cnsm_totals_check(struct cnsm_conn *c, const char *project,
                      const struct cnsm_batch *b, const char **field);

/* Adds b to project's all-time totals.  Returns 0 or -1. */
int cnsm_totals_add(struct cnsm_conn *c, const char *project,
                    const struct cnsm_batch *b);

#endif
