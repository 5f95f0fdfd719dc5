/* SPDX-License-Identifier: Apache-2.0
 *
 * store_batches.c - storing a batch once however often it arrives.
 *
 * A sender whose answer was lost (a stall, a proxy) sends the batch
 * again; without help the collector would add it twice.  A sender may
 * name each batch with an Idempotency-Key header: the key and the
 * SHA-256 of the body are recorded per project in the table batches,
 * inside the transaction that stores the batch, so a key is recorded if
 * and only if its batch is, also across restarts.  A repeat with the
 * same body is answered as the first time without writing; the same key
 * with another body is a sender bug, refused loudly rather than lost.
 * Keys older than CNSM_IDEM_TTL_S are deleted as new ones come in
 * (through the index on created_at, so the cost is the expired rows). */
#include "store_guard.h"

#include <string.h>

/* Compares the stored hash with the batch's, and keeps its count. */
static int batches_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_batches_found *f = ctx;
  if (ncol < 2)
    return -1;
  int same =
      col[0].len == sizeof f->id->body_hash &&
      memcmp(col[0].blob, f->id->body_hash, sizeof f->id->body_hash) == 0;
  f->found = same ? 1 : 2;
  f->accepted = col[1].i;
  return 0;
}

/* Looks a key up; see store_guard.h. */
int cnsm_batches_find(struct cnsm_conn *c, const char *project,
                      const struct cnsm_batch_id *id, int64_t now,
                      struct cnsm_batches_found *f) {
  *f = (struct cnsm_batches_found){.id = id};
  const struct cnsm_value p[] = {CNSM_P_TEXT(project), CNSM_P_TEXT(id->key),
                                 CNSM_P_INT(now - CNSM_IDEM_TTL_S)};
  return cnsm_query(c,
                    "SELECT body_hash, accepted FROM batches"
                    " WHERE project = $1 AND key = $2 AND created_at >= $3",
                    p, 3, batches_row, f);
}

/* Records a key and expires old ones; see store_guard.h.  The primary
 * key (project, key) is the unique constraint that makes a key stored
 * once even if two collectors race on it: the loser's INSERT waits for
 * the winner's transaction and then updates only an expired row. */
int cnsm_batches_record(struct cnsm_conn *c, const char *project,
                        const struct cnsm_batch_id *id, int64_t accepted,
                        int64_t now, int64_t *recorded) {
  const struct cnsm_value expire[] = {CNSM_P_INT(now - CNSM_IDEM_TTL_S)};
  if (cnsm_exec(c, "DELETE FROM batches WHERE created_at < $1", expire, 1,
                NULL) != 0)
    return -1;
  const struct cnsm_value p[] = {
      CNSM_P_TEXT(project),
      CNSM_P_TEXT(id->key),
      CNSM_P_BLOB(id->body_hash, sizeof id->body_hash),
      CNSM_P_INT(accepted),
      CNSM_P_INT(now),
      CNSM_P_INT(now - CNSM_IDEM_TTL_S)};
  return cnsm_exec(c,
                   "INSERT INTO batches(project, key, body_hash, accepted,"
                   " created_at) VALUES($1, $2, $3, $4, $5)"
                   " ON CONFLICT(project, key) DO UPDATE SET"
                   "  body_hash = excluded.body_hash,"
                   "  accepted = excluded.accepted,"
                   "  created_at = excluded.created_at"
                   " WHERE batches.created_at < $6",
                   p, 6, recorded);
}
