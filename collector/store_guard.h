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

/* What a key lookup found, once the statement ran (see cnsm_defer). */
struct cnsm_batches_found {
  const struct cnsm_batch_id *id;
  int found;        /* 0 unknown, 1 stored with this body, 2 another body */
  int64_t accepted; /* the element count stored under it, when found */
};

/* Looks id->key up for project among the keys recorded since
 * now - CNSM_IDEM_TTL_S into *f (which must live until the statement
 * ran).  Returns 0, or -1 on a database error. */
int cnsm_batches_find(struct cnsm_conn *c, const char *project,
                      const struct cnsm_batch_id *id, int64_t now,
                      struct cnsm_batches_found *f);

/* Records id for project with its element count; deletes keys older
 * than CNSM_IDEM_TTL_S.  The key was recorded if *recorded is 1 once
 * the statements ran (0: a live record appeared meanwhile).  Returns 0,
 * or -1 on a database error. */
int cnsm_batches_record(struct cnsm_conn *c, const char *project,
                        const struct cnsm_batch_id *id, int64_t accepted,
                        int64_t now, int64_t *recorded);

/* A project's all-time totals, or a batch's sums. */
struct cnsm_totals {
  int64_t calls, errors;
  double total_ms;
};

/* Reads project's all-time totals into *have (zeros for a project with
 * none; *have must live until the statement ran).  0 or -1. */
int cnsm_totals_read(struct cnsm_conn *c, const char *project,
                     struct cnsm_totals *have);

/* Would have plus b pass a limit (calls and errors <= CNSM_INT_MAX,
 * total_ms <= CNSM_MS_MAX)?  Returns the name of the first total that
 * would, or NULL if none does. */
const char *cnsm_totals_over(const struct cnsm_totals *have,
                             const struct cnsm_batch *b);

/* Adds b to project's all-time totals.  Returns 0 or -1. */
int cnsm_totals_add(struct cnsm_conn *c, const char *project,
                    const struct cnsm_batch *b);

#endif
