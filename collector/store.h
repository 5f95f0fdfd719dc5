/* store.h - the collector's SQLite database: schema, a small pool of
 * connections for the server's threads, and the one write path. */
#ifndef CNSM_STORE_H
#define CNSM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define CNSM_BUCKET_S 60 /* counts are kept per project, function, minute */

struct cnsm_store;
struct cnsm_batch;

/* Opens (creating and migrating if needed) the database at path with
 * nconn connections.  Returns 0, or -1 with a message in err[errlen]. */
int cnsm_store_open(const char *path, int nconn, struct cnsm_store **out,
                    char *err, size_t errlen);

/* Borrows a connection, waiting if all are in use; give it back with
 * cnsm_store_release.  A connection is used by one thread at a time. */
sqlite3 *cnsm_store_acquire(struct cnsm_store *st);
void cnsm_store_release(struct cnsm_store *st, sqlite3 *db);

/* Closes every connection (all must have been released) and frees st. */
void cnsm_store_close(struct cnsm_store *st);

/* Adds a validated batch for project to the minute bucket of now, in one
 * IMMEDIATE transaction: all of it or none of it.  Returns 0 or -1. */
int cnsm_store_ingest(sqlite3 *db, const char *project,
                      const struct cnsm_batch *b, int64_t now);

/* The default database path: $CODENSM_DB, else
 * $XDG_DATA_HOME/codensm/collector.db (~/.local/share/...), creating the
 * directory.  Returns a malloc'd string. */
char *cnsm_store_default_path(void);

#endif
