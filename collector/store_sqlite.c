/* SPDX-License-Identifier: Apache-2.0
 *
 * store_sqlite.c - the SQLite backend of store.h: the embedded default,
 * one file on the collector's machine.
 *
 * Concurrency: WAL mode, so readers (dashboard, report) never block the
 * writer; a write transaction is BEGIN IMMEDIATE, which takes the
 * database's one write lock at once, so concurrent senders serialise and
 * no increment is lost or counted twice (lock() has nothing left to do).
 * A busy timeout absorbs contention with other processes (the CLI).
 * synchronous=FULL: a request is acknowledged only once it is on disk.
 * The WAL: checkpointed into the file every 1,000 pages
 * (wal_autocheckpoint, SQLite's default, set anyway), but a checkpoint
 * cannot pass a reader's snapshot, so a long read (a report of a year,
 * the CLI) lets it grow, and SQLite never shrinks the file by itself: a
 * trial collector's WAL was 1.5 GB beside a 450 MB database.  So
 * journal_size_limit (SQLITE_WAL_LIMIT) cuts it back when a writer
 * restarts it after a full checkpoint, and serve's periodic tidy() tries
 * wal_checkpoint(TRUNCATE) while it is past the limit (without waiting
 * for readers: it fails while they still hold it, and is tried again),
 * so it shrinks once readers let go even if no write comes.
 * Statements are prepared once per connection and kept in a small cache,
 * as the ingest path runs the same two UPSERTs per function.
 * Health: the file's device and inode are noted at connect; a file
 * deleted or replaced under a running server is noticed (a stat per
 * check), so ingest answers 503 instead of acknowledging writes into a
 * file nobody can open again.  The schema version is PRAGMA user_version.
 * Deferred statements (defer/flush) run at once: there is no round trip
 * to save in-process. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define SQLITE_STMT_CACHE 24 /* distinct statements a connection keeps */
#define SQLITE_WAL_LIMIT (64LL << 20) /* bytes of -wal kept at most */
#define SQLITE_BUSY_MS 10000

struct sqlite_conn {
  struct cnsm_conn base; /* first: the store sees only this */
  sqlite3 *db;
  char *path;
  dev_t dev; /* the file opened: health compares the path against it */
  ino_t ino;
  char error[256]; /* an error that is not SQLite's own */
  int nstmt, next_evict;
  struct {
    const char *sql;
    sqlite3_stmt *st;
  } stmt[SQLITE_STMT_CACHE];
};

/* Schema migrations: migrations[v] takes a database from version v to
 * v + 1.  Append, never edit; store_pg.c keeps the same versions. */
static const char *const migrations[CNSM_SCHEMA_VERSION] = {
    "CREATE TABLE keys("
    "  id INTEGER PRIMARY KEY,"
    "  project TEXT NOT NULL,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  hint TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  revoked_at INTEGER);"
    "CREATE TABLE functions("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  department TEXT NOT NULL,"
    "  value_weight REAL NOT NULL,"
    "  first_seen INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL,"
    "  PRIMARY KEY(project, name)) WITHOUT ROWID;"
    "CREATE TABLE counts("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  bucket INTEGER NOT NULL,"
    "  calls INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  total_ms REAL NOT NULL,"
    "  PRIMARY KEY(project, name, bucket)) WITHOUT ROWID;"
    "CREATE INDEX counts_by_bucket ON counts(project, bucket);",
    "CREATE TABLE totals("
    "  project TEXT PRIMARY KEY,"
    "  calls INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  total_ms REAL NOT NULL) WITHOUT ROWID;"
    "INSERT INTO totals SELECT project, TOTAL(calls), TOTAL(errors),"
    "  TOTAL(total_ms) FROM counts GROUP BY project;"
    "CREATE TABLE batches("
    "  project TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  body_hash BLOB NOT NULL,"
    "  accepted INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  PRIMARY KEY(project, key)) WITHOUT ROWID;"
    "CREATE INDEX batches_by_time ON batches(created_at);",
    /* 3: the labels join the key of counts.  A WITHOUT ROWID table's
     * primary key cannot be altered, so the table is rebuilt; the rows
     * already there keep their sums under empty labels. */
    "CREATE TABLE counts_v3("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  bucket INTEGER NOT NULL,"
    "  version TEXT NOT NULL DEFAULT '',"
    "  instance TEXT NOT NULL DEFAULT '',"
    "  calls INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  total_ms REAL NOT NULL,"
    "  PRIMARY KEY(project, name, bucket, version, instance)) WITHOUT ROWID;"
    "INSERT INTO counts_v3(project, name, bucket, calls, errors, total_ms)"
    "  SELECT project, name, bucket, calls, errors, total_ms FROM counts;"
    "DROP TABLE counts;"
    "ALTER TABLE counts_v3 RENAME TO counts;"
    "CREATE INDEX counts_by_bucket ON counts(project, bucket);",
    /* 4: the extensions of issue 12: where a function is defined, and
     * the latency histogram per minute, labels and latency bucket.  The
     * key puts hbucket before the minute, so a report's sum per function
     * and latency bucket reads the key in order instead of sorting every
     * row of the window (0.25 s instead of 2.4 s for 5,000 functions x
     * 60 minutes x 3 buckets); there is no index by minute for the same
     * reason (the planner would pick it and sort). */
    "ALTER TABLE functions ADD COLUMN file TEXT;"
    "ALTER TABLE functions ADD COLUMN line INTEGER;"
    "CREATE TABLE hist("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  bucket INTEGER NOT NULL,"
    "  version TEXT NOT NULL DEFAULT '',"
    "  instance TEXT NOT NULL DEFAULT '',"
    "  hbucket INTEGER NOT NULL,"
    "  calls INTEGER NOT NULL,"
    "  PRIMARY KEY(project, name, hbucket, bucket, version, instance))"
    "  WITHOUT ROWID;",
    /* 5: callers and root causes per function, minute and labels, keyed
     * like hist (the other function's name before the minute, so a
     * report's sum per pair reads the key in order), an index to find a
     * function's callees, and the probes (store.c). */
    "CREATE TABLE callers("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  caller TEXT NOT NULL,"
    "  bucket INTEGER NOT NULL,"
    "  version TEXT NOT NULL DEFAULT '',"
    "  instance TEXT NOT NULL DEFAULT '',"
    "  calls INTEGER NOT NULL,"
    "  PRIMARY KEY(project, name, caller, bucket, version, instance))"
    "  WITHOUT ROWID;"
    "CREATE INDEX callers_by_caller ON callers(project, caller);"
    "CREATE TABLE causes("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  cause TEXT NOT NULL,"
    "  bucket INTEGER NOT NULL,"
    "  version TEXT NOT NULL DEFAULT '',"
    "  instance TEXT NOT NULL DEFAULT '',"
    "  errors INTEGER NOT NULL,"
    "  PRIMARY KEY(project, name, cause, bucket, version, instance))"
    "  WITHOUT ROWID;"
    "CREATE TABLE probes("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  PRIMARY KEY(project, name)) WITHOUT ROWID;",
    /* 6: each table's rows of a project's minute, for retention's slices
     * (retention.c) and a window's histograms, callers and causes. */
    "CREATE INDEX hist_by_bucket ON hist(project, bucket);"
    "CREATE INDEX callers_by_bucket ON callers(project, bucket);"
    "CREATE INDEX causes_by_bucket ON causes(project, bucket);",
    /* 7: what the reads of a large store need without scanning it
     * (store_ingest.c, retention.c): every function's all-time sums, the
     * all-time histogram per function and latency bucket, and the labels
     * a project's counts carry.  Filled here from the rows there are. */
    "ALTER TABLE functions ADD COLUMN all_calls INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE functions ADD COLUMN all_errors INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE functions ADD COLUMN all_total_ms REAL NOT NULL DEFAULT 0;"
    "UPDATE functions SET (all_calls, all_errors, all_total_ms) ="
    "  (SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(errors), 0),"
    "   COALESCE(SUM(total_ms), 0) FROM counts c"
    "   WHERE c.project = functions.project AND c.name = functions.name);"
    "CREATE TABLE hist_totals("
    "  project TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  hbucket INTEGER NOT NULL,"
    "  calls REAL NOT NULL,"
    "  PRIMARY KEY(project, name, hbucket)) WITHOUT ROWID;"
    "INSERT INTO hist_totals SELECT project, name, hbucket, SUM(calls * 1.0)"
    "  FROM hist GROUP BY project, name, hbucket;"
    "CREATE TABLE labels("
    "  project TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  instance TEXT NOT NULL,"
    "  PRIMARY KEY(project, version, instance)) WITHOUT ROWID;"
    "INSERT INTO labels SELECT DISTINCT project, version, instance FROM "
    "counts;",
    /* 8: hist_totals folded in after ingest, not by it (hist_totals.c):
     * each project's fold mark.  Schema 7 kept every row in
     * hist_totals, so the mark starts past the newest minute. */
    "CREATE TABLE hist_folded("
    "  project TEXT PRIMARY KEY,"
    "  bucket INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO hist_folded SELECT project, MAX(bucket) + 60 FROM hist"
    "  GROUP BY project;",
};

/* Reads PRAGMA user_version; -1 on error. */
static int sqlite_schema_version(sqlite3 *db) {
  sqlite3_stmt *st;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW)
      version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  return version;
}

/* Brings the schema to CNSM_SCHEMA_VERSION inside one transaction. */
static int sqlite_migrate(struct cnsm_conn *base, int flags, char *err,
                          size_t errlen) {
  (void)flags; /* the file exists: connect checked CNSM_STORE_CREATE */
  sqlite3 *db = ((struct sqlite_conn *)base)->db;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot lock database: %s", sqlite3_errmsg(db));
    return -1;
  }
  int version = sqlite_schema_version(db);
  if (version < 0 || version > CNSM_SCHEMA_VERSION) {
    snprintf(err, errlen,
             version < 0 ? "cannot read schema version"
                         : "database was written by a newer collector");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  for (int v = version; v < CNSM_SCHEMA_VERSION; v++) {
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", v + 1);
    if (sqlite3_exec(db, migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
      snprintf(err, errlen, "migration to schema %d failed: %s", v + 1,
               sqlite3_errmsg(db));
      sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
      return -1;
    }
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot commit migration: %s", sqlite3_errmsg(db));
    return -1;
  }
  return 0;
}

static void sqlite_disconnect(struct cnsm_conn *base) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  for (int i = 0; i < c->nstmt; i++)
    sqlite3_finalize(c->stmt[i].st);
  sqlite3_close(c->db);
  free(c->path);
  free(c);
}

/* Opens one connection with the collector's settings.  Without
 * CNSM_STORE_CREATE a missing file is an error and nothing is created. */
static struct cnsm_conn *sqlite_connect(const char *path, int flags, char *err,
                                        size_t errlen) {
  struct stat sb;
  if (!(flags & CNSM_STORE_CREATE) && stat(path, &sb) != 0) {
    snprintf(err, errlen, "no database at %s (%s); check --db or $CODENSM_DB",
             path, strerror(errno));
    return NULL;
  }
  struct sqlite_conn *c = calloc(1, sizeof *c);
  if (c == NULL || (c->path = strdup(path)) == NULL) {
    snprintf(err, errlen, "out of memory");
    free(c);
    return NULL;
  }
  c->base.ops = &cnsm_store_sqlite;
  int rc = sqlite3_open_v2(
      path, &c->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
          ((flags & CNSM_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0),
      NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path,
             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    sqlite_disconnect(&c->base);
    return NULL;
  }
  sqlite3_busy_timeout(c->db, SQLITE_BUSY_MS);
  char pragmas[192];
  snprintf(pragmas, sizeof pragmas,
           "PRAGMA journal_mode=WAL;"
           "PRAGMA synchronous=FULL;"
           "PRAGMA foreign_keys=ON;"
           "PRAGMA wal_autocheckpoint=1000;"
           "PRAGMA journal_size_limit=%lld;",
           SQLITE_WAL_LIMIT);
  if (sqlite3_exec(c->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
      stat(path, &sb) != 0) {
    snprintf(err, errlen, "cannot configure %s: %s", path,
             sqlite3_errmsg(c->db));
    sqlite_disconnect(&c->base);
    return NULL;
  }
  c->dev = sb.st_dev;
  c->ino = sb.st_ino;
  return &c->base;
}

/* Is the file at the path still the one opened, and writable?  As
 * root, permissions do not stop writes, but a deleted or replaced file
 * (or directory) does: acknowledged data would be lost. */
static int sqlite_health(struct cnsm_conn *base, int probe, char *err,
                         size_t errlen) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  (void)probe; /* a stat is all there is to ask */
  struct stat sb;
  if (stat(c->path, &sb) != 0)
    snprintf(err, errlen, "database %s is gone (%s); restart the collector",
             c->path, strerror(errno));
  else if (sb.st_dev != c->dev || sb.st_ino != c->ino)
    snprintf(err, errlen,
             "database %s was replaced by another file; restart the "
             "collector",
             c->path);
  else if (access(c->path, W_OK) != 0)
    snprintf(err, errlen, "database %s is not writable (%s)", c->path,
             strerror(errno));
  else
    return 0;
  return -1;
}

/* Truncates a WAL past SQLITE_WAL_LIMIT, if no reader holds it.  First a
 * PASSIVE checkpoint copies what it can without the write lock (writers
 * go on: a TRUNCATE copies under that lock, and 73 MB of it under
 * ThreadSanitizer kept a batch waiting past its 10 s); then, if it
 * copied everything, a TRUNCATE without a busy timeout, which copies
 * only what was committed in between and never waits (nor makes writers
 * wait) for a reader.  A reader still holding the WAL leaves it for the
 * next call. */
static int sqlite_tidy(struct cnsm_conn *base) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  char wal[4096];
  struct stat sb;
  snprintf(wal, sizeof wal, "%s-wal", sqlite3_db_filename(c->db, "main"));
  if (stat(wal, &sb) != 0 || sb.st_size <= SQLITE_WAL_LIMIT)
    return 0;
  int frames = 0, copied = 0;
  int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                     &frames, &copied);
  if (rc != SQLITE_OK || copied < frames)
    return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : -1;
  sqlite3_busy_timeout(c->db, 0);
  rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                 NULL);
  sqlite3_busy_timeout(c->db, SQLITE_BUSY_MS);
  if (rc == SQLITE_OK)
    fprintf(stderr, "codensm-collector: %s (%lld MB) truncated\n", wal,
            (long long)(sb.st_size >> 20));
  return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : -1;
}

/* Runs one statement of transaction control. */
static int sqlite_control(struct cnsm_conn *base, const char *sql) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  c->error[0] = '\0';
  return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int sqlite_begin(struct cnsm_conn *c, enum cnsm_txn kind) {
  return sqlite_control(c,
                        kind == CNSM_TXN_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static int sqlite_commit(struct cnsm_conn *c) {
  return sqlite_control(c, "COMMIT");
}

static void sqlite_rollback(struct cnsm_conn *c) {
  sqlite_control(c, "ROLLBACK");
}

/* BEGIN IMMEDIATE already holds the only write lock there is. */
static int sqlite_lock(struct cnsm_conn *c, const char *name) {
  (void)c;
  (void)name;
  return 0;
}

/* The cached statement of sql, prepared on first use; NULL on error. */
static sqlite3_stmt *sqlite_statement(struct sqlite_conn *c, const char *sql) {
  for (int i = 0; i < c->nstmt; i++)
    if (c->stmt[i].sql == sql || strcmp(c->stmt[i].sql, sql) == 0)
      return c->stmt[i].st;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                         NULL) != SQLITE_OK)
    return NULL;
  int slot = c->nstmt;
  if (slot == SQLITE_STMT_CACHE) { /* full: replace one, round robin */
    slot = c->next_evict;
    c->next_evict = (c->next_evict + 1) % SQLITE_STMT_CACHE;
    sqlite3_finalize(c->stmt[slot].st);
  } else {
    c->nstmt++;
  }
  c->stmt[slot].sql = sql;
  c->stmt[slot].st = st;
  return st;
}

/* Binds params[k] to the parameter named $k+1 (absent ones are skipped). */
static int sqlite_bind(sqlite3_stmt *st, const struct cnsm_value *params,
                       int nparams) {
  for (int k = 0; k < nparams; k++) {
    const struct cnsm_value *p = &params[k];
    char name[16];
    snprintf(name, sizeof name, "$%d", k + 1);
    int idx = sqlite3_bind_parameter_index(st, name), rc = SQLITE_OK;
    if (idx == 0)
      continue;
    if (p->is_null || (p->type == CNSM_BLOB && p->blob == NULL))
      rc = sqlite3_bind_null(st, idx);
    else if (p->type == CNSM_INT)
      rc = sqlite3_bind_int64(st, idx, p->i);
    else if (p->type == CNSM_REAL)
      rc = sqlite3_bind_double(st, idx, p->d);
    else if (p->type == CNSM_TEXT)
      rc = sqlite3_bind_text(st, idx, p->text, -1, SQLITE_STATIC);
    else if (p->type == CNSM_BLOB)
      rc = sqlite3_bind_blob(st, idx, p->blob, (int)p->len, SQLITE_STATIC);
    if (rc != SQLITE_OK)
      return -1;
  }
  return 0;
}

/* Reads column i of the current row into *v. */
static void sqlite_column(sqlite3_stmt *st, int i, struct cnsm_value *v) {
  memset(v, 0, sizeof *v);
  switch (sqlite3_column_type(st, i)) {
  case SQLITE_INTEGER:
    v->type = CNSM_INT;
    v->i = sqlite3_column_int64(st, i);
    v->d = (double)v->i;
    break;
  case SQLITE_FLOAT:
    v->type = CNSM_REAL;
    v->d = sqlite3_column_double(st, i);
    v->i = sqlite3_column_int64(st, i); /* saturates */
    break;
  case SQLITE_TEXT:
    v->type = CNSM_TEXT;
    v->text = (const char *)sqlite3_column_text(st, i);
    break;
  case SQLITE_BLOB:
    v->type = CNSM_BLOB;
    v->blob = sqlite3_column_blob(st, i);
    v->len = (size_t)sqlite3_column_bytes(st, i);
    break;
  default:
    v->type = CNSM_NULL;
    v->is_null = 1;
  }
}

#define SQLITE_MAX_COLS 16

/* Runs one statement; see struct cnsm_store_ops. */
static int sqlite_query(struct cnsm_conn *base, const char *sql,
                        const struct cnsm_value *params, int nparams,
                        cnsm_row_fn row, void *ctx, int64_t *changes) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  c->error[0] = '\0';
  sqlite3_stmt *st = sqlite_statement(c, sql);
  if (st == NULL || sqlite_bind(st, params, nparams) != 0)
    return -1;
  int ncol = sqlite3_column_count(st), rc, stopped = 0;
  if (ncol > SQLITE_MAX_COLS)
    ncol = SQLITE_MAX_COLS;
  while (!stopped && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    struct cnsm_value col[SQLITE_MAX_COLS];
    for (int i = 0; i < ncol; i++)
      sqlite_column(st, i, &col[i]);
    stopped = row != NULL && row(ctx, col, ncol) != 0;
  }
  if (stopped)
    snprintf(c->error, sizeof c->error, "out of memory reading rows");
  else if (rc != SQLITE_DONE)
    snprintf(c->error, sizeof c->error, "%s", sqlite3_errmsg(c->db));
  if (changes != NULL)
    *changes = sqlite3_changes(c->db);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return stopped || rc != SQLITE_DONE ? -1 : 0;
}

/* Statements run when they are issued: nothing to defer or flush. */
static int sqlite_defer(struct cnsm_conn *c) {
  (void)c;
  return 0;
}

static int sqlite_flush(struct cnsm_conn *c) {
  (void)c;
  return 0;
}

static const char *sqlite_error(struct cnsm_conn *base) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  return c->error[0] ? c->error : sqlite3_errmsg(c->db);
}

/* Did the last failure come from a full disk?  SQLite says SQLITE_FULL
 * for a write cut short by ENOSPC (or at max_page_count); a write that
 * wrote nothing fails as an I/O error, its errno kept aside. */
static int sqlite_disk_full(struct cnsm_conn *base) {
  struct sqlite_conn *c = (struct sqlite_conn *)base;
  int rc = sqlite3_errcode(c->db), sys = sqlite3_system_errno(c->db);
  return rc == SQLITE_FULL ||
         (rc == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT));
}

const struct cnsm_store_ops cnsm_store_sqlite = {
    .name = "sqlite",
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .migrate = sqlite_migrate,
    .health = sqlite_health,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .lock = sqlite_lock,
    .query = sqlite_query,
    .defer = sqlite_defer,
    .flush = sqlite_flush,
    .error = sqlite_error,
    .tidy = sqlite_tidy,
    .disk_full = sqlite_disk_full,
};
