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

/* Looks a key up; see store_guard.h. */
int cnsm_batches_find(sqlite3 *db, const char *project,
                      const struct cnsm_batch_id *id, int64_t now,
                      int64_t *accepted) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(
          db,
          "SELECT body_hash, accepted FROM batches"
          " WHERE project = ?1 AND key = ?2 AND created_at >= ?3",
          -1, &st, NULL) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, id->key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, now - CNSM_IDEM_TTL_S);
  int rc = sqlite3_step(st), found = 0;
  if (rc == SQLITE_ROW) {
    const void *hash = sqlite3_column_blob(st, 0);
    int same = sqlite3_column_bytes(st, 0) == (int)sizeof id->body_hash &&
               memcmp(hash, id->body_hash, sizeof id->body_hash) == 0;
    *accepted = sqlite3_column_int64(st, 1);
    found = same ? 1 : 2;
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/* Runs sql with ?1..?4 bound to the arguments (NULL text: unbound). */
static int batches_exec(sqlite3 *db, const char *sql, const char *project,
                        const struct cnsm_batch_id *id, int64_t a, int64_t b) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return -1;
  if (project)
    sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
  if (id) {
    sqlite3_bind_text(st, 2, id->key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, id->body_hash, (int)sizeof id->body_hash,
                      SQLITE_STATIC);
  }
  sqlite3_bind_int64(st, 4, a);
  sqlite3_bind_int64(st, 5, b);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : -1;
}

/* Records a key and expires old ones; see store_guard.h. */
int cnsm_batches_record(sqlite3 *db, const char *project,
                        const struct cnsm_batch_id *id, int64_t accepted,
                        int64_t now) {
  if (batches_exec(db, "DELETE FROM batches WHERE created_at < ?4 - ?5", NULL,
                   NULL, now, CNSM_IDEM_TTL_S) != 0)
    return -1;
  return batches_exec(db,
                      "INSERT OR REPLACE INTO batches(project, key, body_hash, "
                      "accepted, created_at)"
                      " VALUES(?1, ?2, ?3, ?4, ?5)",
                      project, id, accepted, now);
}
