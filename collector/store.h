/* SPDX-License-Identifier: Apache-2.0
 *
 * store.h - the collector's SQLite database: schema, a small pool of
 * connections for the server's threads, and the one write path. */
#ifndef CNSM_STORE_H
#define CNSM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define CNSM_BUCKET_S 60 /* counts are kept per project, function, minute */

struct cnsm_store;
struct cnsm_batch;

/* cnsm_store_open flags. */
#define CNSM_STORE_CREATE 1 /* create a missing file (serve, key create) */

/* Opens (migrating if needed) the database at path with nconn
 * connections; a missing file is created only with CNSM_STORE_CREATE,
 * otherwise it is an error and nothing is created.  Returns 0, or -1
 * with a message in err[errlen]. */
int cnsm_store_open(const char *path, int nconn, int flags,
                    struct cnsm_store **out, char *err, size_t errlen);

/* Checks that the file opened is still the one at its path (not
 * deleted or replaced) and is writable.  Returns 0, or -1 with the
 * reason in err[errlen]; the first failure is also logged on stderr. */
int cnsm_store_health(struct cnsm_store *st, char *err, size_t errlen);

/* Borrows a connection, waiting if all are in use; give it back with
 * cnsm_store_release.  A connection is used by one thread at a time. */
sqlite3 *cnsm_store_acquire(struct cnsm_store *st);
void cnsm_store_release(struct cnsm_store *st, sqlite3 *db);

/* Closes every connection (all must have been released) and frees st. */
void cnsm_store_close(struct cnsm_store *st);

/* Who a batch is, for storing it once: the sender's Idempotency-Key
 * and the SHA-256 of the (decoded) body it came with. */
struct cnsm_batch_id {
  const char *key;
  uint8_t body_hash[32];
};

/* What cnsm_store_ingest did. */
enum cnsm_store_outcome {
  CNSM_STORED,      /* written */
  CNSM_DUPLICATE,   /* the key was stored before with this body: nothing written
                     */
  CNSM_KEY_REUSED,  /* the key was stored before with another body: refused */
  CNSM_OVER_LIMIT,  /* a project total would pass its limit: refused */
  CNSM_STORE_FAILED /* database error: nothing written */
};

/* Adds a validated batch for project to the minute bucket of now, in one
 * IMMEDIATE transaction: all of it or none of it.  With id (NULL: none)
 * the key is recorded in the same transaction, and a key already
 * recorded for project writes nothing; *accepted gets the element count
 * stored under it.  *field names the total over its limit. */
enum cnsm_store_outcome cnsm_store_ingest(sqlite3 *db, const char *project,
                                          const struct cnsm_batch *b,
                                          const struct cnsm_batch_id *id,
                                          int64_t now, int64_t *accepted,
                                          const char **field);

/* The default database path: $CODENSM_DB, else
 * $XDG_DATA_HOME/codensm/collector.db (~/.local/share/...), creating the
 * directory.  Returns a malloc'd string. */
char *cnsm_store_default_path(void);

#endif
