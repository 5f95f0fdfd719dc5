/* SPDX-License-Identifier: Apache-2.0
 *
 * store.h - the collector's database: one interface, two backends.
 *
 * Like Redis's ae event loop and its ae_epoll.c / ae_kqueue.c, storage
 * is a struct of operations (struct cnsm_store_ops) chosen once, when
 * the store is opened: SQLite (store_sqlite.c, the embedded default:
 * --db PATH) or PostgreSQL (store_pg.c: --db postgresql://USER@HOST/DB).
 * A backend knows how to connect, migrate its schema, open and end a
 * transaction, serialise writers and run one SQL statement with numbered
 * parameters ($1, $2, ...) handing back typed rows.  Everything else -
 * the ingest transaction, limits, idempotency, keys, roll-ups, retention
 * - is written once above it, in SQL both engines accept; what differs
 * between the dialects (DDL, locking, the schema version, PostgreSQL's
 * UPSERT of a whole batch through arrays) stays in the backend files.
 * The store keeps a small pool of connections for the server's threads,
 * because a connection holds one transaction at a time.  Statements may
 * also be deferred (defer() ... flush()): sent without waiting for each
 * answer, so that a batch of them costs PostgreSQL one round trip
 * (libpq's pipeline mode) instead of one per statement. */
#ifndef CNSM_STORE_H
#define CNSM_STORE_H

#include <stddef.h>
#include <stdint.h>

#define CNSM_BUCKET_S 60 /* counts are kept per project, function, minute */
#define CNSM_SCHEMA_VERSION 8 /* of both backends' schema; see store.c */

/* What ends an INSERT INTO hist: a row of hist (a function's calls in
 * one latency bucket, one minute and labels) adds to the stored one,
 * saturating at 2^53 - 1.  Histogram counts are not held under a
 * project total as calls are (the limits of docs/ingest-contract.md), so
 * each row is capped instead; both operands are at most 2^53 - 1, so no
 * step overflows.  Written once for ingest (both backends) and
 * retention. */
#define CNSM_HIST_SAT "9007199254740991"
#define CNSM_HIST_ON_CONFLICT                                                  \
  " ON CONFLICT(project, name, hbucket, bucket, version, instance)"            \
  " DO UPDATE SET calls = CASE"                                                \
  "  WHEN hist.calls + excluded.calls > " CNSM_HIST_SAT                        \
  "  THEN " CNSM_HIST_SAT " ELSE hist.calls + excluded.calls END"

/* The same for the rows of callers (calls from one caller) and causes
 * (error exits by one root cause), which are not under a project total
 * either (schema 5). */
#define CNSM_CALLERS_ON_CONFLICT                                               \
  " ON CONFLICT(project, name, caller, bucket, version, instance)"             \
  " DO UPDATE SET calls = CASE"                                                \
  "  WHEN callers.calls + excluded.calls > " CNSM_HIST_SAT                     \
  "  THEN " CNSM_HIST_SAT " ELSE callers.calls + excluded.calls END"
#define CNSM_CAUSES_ON_CONFLICT                                                \
  " ON CONFLICT(project, name, cause, bucket, version, instance)"              \
  " DO UPDATE SET errors = CASE"                                               \
  "  WHEN causes.errors + excluded.errors > " CNSM_HIST_SAT                    \
  "  THEN " CNSM_HIST_SAT " ELSE causes.errors + excluded.errors END"

struct cnsm_store;
struct cnsm_batch;
struct cnsm_store_ops;

/* One connection of a backend.  A backend's connection struct starts
 * with this, so the store can find its operations. */
struct cnsm_conn {
  const struct cnsm_store_ops *ops;
};

/* cnsm_store_open flags. */
#define CNSM_STORE_CREATE 1 /* create a missing file or schema */

/* The types of parameters and of values read back. */
enum cnsm_type {
  CNSM_NULL,
  CNSM_INT,  /* 64-bit integer */
  CNSM_REAL, /* double */
  CNSM_TEXT, /* UTF-8, NUL-terminated */
  CNSM_BLOB
};

/* A parameter ($1, $2, ... in order) or a column value of a row.
 * A parameter of type CNSM_TEXT or CNSM_BLOB with a NULL pointer, or
 * with is_null, is SQL NULL of that type.  Read values carry i and d
 * for every number (converted, saturating), text for text and blob/len
 * for blobs; pointers are valid during the row callback only. */
struct cnsm_value {
  enum cnsm_type type;
  int is_null;
  int64_t i;
  double d;
  const char *text;
  const void *blob;
  size_t len;
};

#define CNSM_P_TEXT(s)                                                         \
  ((struct cnsm_value){.type = CNSM_TEXT, .is_null = (s) == NULL, .text = (s)})
#define CNSM_P_INT(v) ((struct cnsm_value){.type = CNSM_INT, .i = (v)})
#define CNSM_P_REAL(v) ((struct cnsm_value){.type = CNSM_REAL, .d = (v)})
#define CNSM_P_BLOB(p, n)                                                      \
  ((struct cnsm_value){.type = CNSM_BLOB, .blob = (p), .len = (n)})

/* Called once per result row with its ncol values; returns 0 to go on,
 * nonzero to stop (the query then fails). */
typedef int (*cnsm_row_fn)(void *ctx, const struct cnsm_value *col, int ncol);

/* Transactions: reads see one consistent snapshot; writes are atomic. */
enum cnsm_txn { CNSM_TXN_READ, CNSM_TXN_WRITE };

/* A storage backend.  Every function returning int returns 0 or -1;
 * on -1, error() says why until the connection's next call. */
struct cnsm_store_ops {
  const char *name; /* "sqlite", "postgresql" */
  /* Opens one connection to target with the collector's settings. */
  struct cnsm_conn *(*connect)(const char *target, int flags, char *err,
                               size_t errlen);
  void (*disconnect)(struct cnsm_conn *c);
  /* Brings the schema to the current version (once per open store);
   * without CNSM_STORE_CREATE an empty database is an error. */
  int (*migrate)(struct cnsm_conn *c, int flags, char *err, size_t errlen);
  /* Is the database still there and writable through c?  May repair
   * c (reconnect).  With probe, the server is asked (a round trip);
   * without, only what is known in the process is checked (SQLite: the
   * file; PostgreSQL: a connection seen broken is reconnected), and a
   * server that went away shows in the next statement's error instead.
   * 0, or -1 with the reason in err. */
  int (*health)(struct cnsm_conn *c, int probe, char *err, size_t errlen);
  int (*begin)(struct cnsm_conn *c, enum cnsm_txn kind);
  int (*commit)(struct cnsm_conn *c);
  void (*rollback)(struct cnsm_conn *c);
  /* Inside a write transaction, waits until no other transaction
   * holding name (in any process) is running, and holds it to the end. */
  int (*lock)(struct cnsm_conn *c, const char *name);
  /* Runs sql with params; each row goes to row (NULL: none expected);
   * *changes (NULL: not wanted) gets the rows written. */
  int (*query)(struct cnsm_conn *c, const char *sql,
               const struct cnsm_value *params, int nparams, cnsm_row_fn row,
               void *ctx, int64_t *changes);
  /* Defers the statements that follow (begin() and query(), not
   * commit() or rollback()) until flush(): a backend may send them
   * without waiting and run their row callbacks and fill *changes only
   * in flush(), so ctx and changes must live until then, and a failure
   * may show only there (the statements after a failed one are not
   * run).  A backend may also run them at once (SQLite).  flush()
   * returns 0, or -1 with the first failure in error(). */
  int (*defer)(struct cnsm_conn *c);
  int (*flush)(struct cnsm_conn *c);
  /* Optional (NULL: store_ingest.c runs its UPSERTs one element at a
   * time): stores a batch's functions and counts in bucket at now with
   * the same effect, in fewer statements (store_pg_batch.c), its
   * histogram pairs also into hist_totals when hist_totals is nonzero
   * (a bucket behind the fold mark, hist_totals.c).  0 or -1; deferred
   * like query(). */
  int (*upsert_batch)(struct cnsm_conn *c, const char *project,
                      const struct cnsm_batch *b, int64_t bucket, int64_t now,
                      int hist_totals);
  const char *(*error)(struct cnsm_conn *c);
  /* Optional (NULL: nothing to do): housekeeping serve runs every few
   * seconds outside any transaction (SQLite: a WAL grown past its limit
   * while readers held it is truncated once they let go;
   * store_sqlite.c).  0 or -1. */
  int (*tidy)(struct cnsm_conn *c);
  /* Did the last failure come from a full disk (SQLite: SQLITE_FULL, or
   * ENOSPC/EDQUOT under an I/O error; PostgreSQL: SQLSTATE 53100
   * disk_full)?  Ask before rollback(), which SQLite's error state does
   * not survive. */
  int (*disk_full)(struct cnsm_conn *c);
};

extern const struct cnsm_store_ops cnsm_store_sqlite;
extern const struct cnsm_store_ops cnsm_store_pg;

/* The backend a --db target names: PostgreSQL for a libpq URI
 * (postgresql:// or postgres://), SQLite for anything else (a path). */
const struct cnsm_store_ops *cnsm_store_backend(const char *target);

/* target fit for logs and errors: a URI without its password. */
void cnsm_store_redact(const char *target, char *out, size_t cap);

/* Opens (migrating if needed) the database at target (a path or a
 * postgresql:// URI) with nconn connections; a missing SQLite file is
 * created only with CNSM_STORE_CREATE, otherwise it is an error and
 * nothing is created.  Returns 0, or -1 with a message in err[errlen]. */
int cnsm_store_open(const char *target, int nconn, int flags,
                    struct cnsm_store **out, char *err, size_t errlen);

/* Checks that the database is still there and writable (SQLite: the file
 * opened is still the one at its path; PostgreSQL: with probe, the
 * server answers, reconnecting if it was lost; without, a connection
 * seen broken reconnects, no round trip otherwise).  With probe (what
 * /healthz asks), also that its disk is not full: after a write that
 * failed for lack of space, -1 until a write succeeds, and a small
 * write is tried here (at most once every CNSM_FULL_PROBE_S) so that
 * the answer changes once space is freed even if no batch comes.
 * Without probe (before each ingest) a full disk is not refused: the
 * batch is tried, and the first one stored clears it.  Returns 0, or -1
 * with the reason in err[errlen]; the first failure is also logged on
 * stderr. */
int cnsm_store_health(struct cnsm_store *st, int probe, char *err,
                      size_t errlen);
#define CNSM_FULL_PROBE_S 1

/* Borrows a connection, waiting if all are in use; give it back with
 * cnsm_store_release.  A connection is used by one thread at a time. */
struct cnsm_conn *cnsm_store_acquire(struct cnsm_store *st);
void cnsm_store_release(struct cnsm_store *st, struct cnsm_conn *c);

/* Closes every connection (all must have been released) and frees st. */
void cnsm_store_close(struct cnsm_store *st);

/* The operations of c, for the code above the backends. */
int cnsm_query(struct cnsm_conn *c, const char *sql,
               const struct cnsm_value *params, int nparams, cnsm_row_fn row,
               void *ctx);
int cnsm_exec(struct cnsm_conn *c, const char *sql,
              const struct cnsm_value *params, int nparams, int64_t *changes);
int cnsm_begin(struct cnsm_conn *c, enum cnsm_txn kind);
int cnsm_commit(struct cnsm_conn *c);
void cnsm_rollback(struct cnsm_conn *c);
int cnsm_lock(struct cnsm_conn *c, const char *name);
int cnsm_store_tidy(struct cnsm_conn *c);
int cnsm_defer(struct cnsm_conn *c);
int cnsm_flush(struct cnsm_conn *c);
const char *cnsm_store_error(struct cnsm_conn *c);

/* A row callback that collects column 0 as text into a growing
 * malloc'd array; ctx is a struct cnsm_strings. */
struct cnsm_strings {
  char **v;
  size_t n, cap;
};
int cnsm_collect_text(void *ctx, const struct cnsm_value *col, int ncol);
void cnsm_strings_sort(struct cnsm_strings *s);
void cnsm_strings_free(struct cnsm_strings *s);

/* Who a batch is, for storing it once: the sender's Idempotency-Key
 * and the SHA-256 of the (decoded) body it came with. */
struct cnsm_batch_id {
  const char *key;
  uint8_t body_hash[32];
};

/* What cnsm_store_ingest did. */
enum cnsm_store_outcome {
  CNSM_STORED,     /* written */
  CNSM_DUPLICATE,  /* the key was stored before with this body: nothing written
                    */
  CNSM_KEY_REUSED, /* the key was stored before with another body: refused */
  CNSM_OVER_LIMIT, /* a project total would pass its limit: refused */
  CNSM_STORE_FAILED, /* database error: nothing written */
  CNSM_STORE_FULL    /* no space left for it (disk_full): nothing written */
};

/* Adds a validated batch for project to the minute bucket of now, in one
 * write transaction holding the project's lock: all of it or none of it.
 * With id (NULL: none) the key is recorded in the same transaction, and
 * a key already recorded for project writes nothing; *accepted gets the
 * element count stored under it.  *field names the total over its
 * limit.  See store_ingest.c. */
enum cnsm_store_outcome
cnsm_store_ingest(struct cnsm_conn *c, const char *project,
                  const struct cnsm_batch *b, const struct cnsm_batch_id *id,
                  int64_t now, int64_t *accepted, const char **field);

/* Tells the store how a write ended (cnsm_store_ingest's outcome): one
 * that failed for lack of space marks the disk full, one stored clears
 * the mark (see cnsm_store_health). */
void cnsm_store_note_write(struct cnsm_store *st, enum cnsm_store_outcome out);

/* The default database path: $CODENSM_DB, else
 * $XDG_DATA_HOME/codensm/collector.db (~/.local/share/...), creating the
 * directory.  Returns a malloc'd string. */
char *cnsm_store_default_path(void);

#endif
