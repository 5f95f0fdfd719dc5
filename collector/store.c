/* SPDX-License-Identifier: Apache-2.0
 *
 * store.c - the SQLite database behind the collector.
 *
 * Schema (user_version 3; cnsm_store_open migrates older files forward
 * and refuses newer ones):
 *   keys(id, project, hash, hint, created_at, revoked_at)  - see keys.c
 *   functions(project, name, department, value_weight, first_seen,
 *             last_seen)  - what exists, with the latest department/weight
 *   counts(project, name, bucket, version, instance, calls, errors,
 *             total_ms)  - deltas summed per minute bucket (bucket = unix
 *             seconds, multiple of 60) and per labels of the sender
 *             (X-CodeNSM-Version, X-CodeNSM-Instance; "" when not sent,
 *             and for every row written before schema 3)
 *   totals(project, calls, errors, total_ms)  - all-time sums, held
 *             within the limits (store_totals.c)
 *   batches(project, key, body_hash, accepted, created_at)  - recent
 *             Idempotency-Keys (store_batches.c)
 *
 * Concurrency: WAL mode, so readers (dashboard, report) never block the
 * writer; every ingest is one BEGIN IMMEDIATE transaction of UPSERTs
 * (calls = calls + excluded.calls), so concurrent senders serialise on
 * SQLite's write lock and no increment is lost or counted twice.  A busy
 * timeout absorbs contention with other processes (the CLI).  The server
 * keeps one connection per worker thread in a small pool, because a
 * SQLite connection holds one transaction at a time.
 * synchronous=FULL: a request is acknowledged only once it is on disk.
 * Health: the file's device and inode are noted at open; a file deleted
 * or replaced under a running server is noticed by cnsm_store_health
 * (a stat per call), so ingest answers 503 instead of acknowledging
 * writes into a file nobody can open again. */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stdatomic.h>
#include <unistd.h>

#include "ingest.h"
#include "store_guard.h"

#define CNSM_SCHEMA_VERSION 3

struct cnsm_store {
  char *path;
  dev_t dev; /* the file opened: health compares the path against it */
  ino_t ino;
  atomic_int unhealthy; /* logged once per failure */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int n, nfree;
  sqlite3 **all;
  sqlite3 **free;
};

/* Schema migrations: migrations[v] takes a database from version v to
 * v + 1.  Append, never edit. */
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
};

/* Brings the schema to CNSM_SCHEMA_VERSION inside one transaction. */
static int store_migrate(sqlite3 *db, char *err, size_t errlen) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot lock database: %s", sqlite3_errmsg(db));
    return -1;
  }
  sqlite3_stmt *st;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
      SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW)
      version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
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

/* Opens one connection with the collector's settings. */
static sqlite3 *store_connect(const char *path, int flags, char *err,
                              size_t errlen) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(
      path, &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
          ((flags & CNSM_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0),
      NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 10000);
  if (sqlite3_exec(db,
                   "PRAGMA journal_mode=WAL;"
                   "PRAGMA synchronous=FULL;"
                   "PRAGMA foreign_keys=ON;",
                   NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "cannot configure %s: %s", path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

/* Opens the database and its connection pool; see store.h. */
int cnsm_store_open(const char *path, int nconn, int flags,
                    struct cnsm_store **out, char *err, size_t errlen) {
  if (nconn < 1)
    nconn = 1;
  struct stat sb;
  if (!(flags & CNSM_STORE_CREATE) && stat(path, &sb) != 0) {
    snprintf(err, errlen, "no database at %s (%s); check --db or $CODENSM_DB",
             path, strerror(errno));
    return -1;
  }
  struct cnsm_store *st = calloc(1, sizeof *st);
  if (st == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  st->path = strdup(path);
  st->all = calloc((size_t)nconn, sizeof *st->all);   // NOLINT: pointers
  st->free = calloc((size_t)nconn, sizeof *st->free); // NOLINT: pointers
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->cv, NULL);
  if (st->path == NULL || st->all == NULL || st->free == NULL) {
    snprintf(err, errlen, "out of memory");
    cnsm_store_close(st);
    return -1;
  }
  for (int i = 0; i < nconn; i++) {
    sqlite3 *db = store_connect(path, flags, err, errlen);
    if (db == NULL || (i == 0 && store_migrate(db, err, errlen) != 0)) {
      sqlite3_close(db);
      cnsm_store_close(st);
      return -1;
    }
    st->all[st->n++] = db;
    st->free[st->nfree++] = db;
  }
  if (stat(path, &sb) != 0) {
    snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
    cnsm_store_close(st);
    return -1;
  }
  st->dev = sb.st_dev;
  st->ino = sb.st_ino;
  *out = st;
  return 0;
}

/* Is the file at the path still the one opened, and writable?  See
 * store.h.  As root, permissions do not stop writes, but a deleted or
 * replaced file (or directory) does: acknowledged data would be lost. */
int cnsm_store_health(struct cnsm_store *st, char *err, size_t errlen) {
  struct stat sb;
  if (stat(st->path, &sb) != 0)
    snprintf(err, errlen, "database %s is gone (%s)", st->path,
             strerror(errno));
  else if (sb.st_dev != st->dev || sb.st_ino != st->ino)
    snprintf(err, errlen, "database %s was replaced by another file", st->path);
  else if (access(st->path, W_OK) != 0)
    snprintf(err, errlen, "database %s is not writable (%s)", st->path,
             strerror(errno));
  else {
    atomic_store(&st->unhealthy, 0);
    return 0;
  }
  if (atomic_exchange(&st->unhealthy, 1) == 0)
    fprintf(stderr,
            "codensm-collector: %s; ingest answers 503 until it is "
            "back (restart the collector)\n",
            err);
  return -1;
}

/* Takes a free connection, waiting for one if needed. */
sqlite3 *cnsm_store_acquire(struct cnsm_store *st) {
  pthread_mutex_lock(&st->mu);
  while (st->nfree == 0)
    pthread_cond_wait(&st->cv, &st->mu);
  sqlite3 *db = st->free[--st->nfree];
  pthread_mutex_unlock(&st->mu);
  return db;
}

/* Returns a connection to the pool. */
void cnsm_store_release(struct cnsm_store *st, sqlite3 *db) {
  pthread_mutex_lock(&st->mu);
  st->free[st->nfree++] = db;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

/* Closes all connections; the last one checkpoints the WAL. */
void cnsm_store_close(struct cnsm_store *st) {
  if (st == NULL)
    return;
  for (int i = 0; st->all && i < st->n; i++)
    sqlite3_close(st->all[i]);
  pthread_mutex_destroy(&st->mu);
  pthread_cond_destroy(&st->cv);
  free(st->all);
  free(st->free);
  free(st->path);
  free(st);
}

static const char k_upsert_function[] =
    "INSERT INTO functions(project, name, department, value_weight,"
    " first_seen, last_seen)"
    " VALUES(?1, ?2, COALESCE(?3, 'unassigned'), COALESCE(?4, 1), ?5, ?5)"
    " ON CONFLICT(project, name) DO UPDATE SET"
    "  department = COALESCE(?3, department),"
    "  value_weight = COALESCE(?4, value_weight),"
    "  last_seen = ?5";

static const char k_upsert_counts[] =
    "INSERT INTO counts(project, name, bucket, calls, errors, total_ms,"
    " version, instance)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(project, name, bucket, version, instance) DO UPDATE SET"
    "  calls = calls + excluded.calls,"
    "  errors = errors + excluded.errors,"
    "  total_ms = total_ms + excluded.total_ms";

/* Binds and runs one UPSERT per delta; returns 0 or -1. */
static int store_write_batch(sqlite3_stmt *fs, sqlite3_stmt *cs,
                             const char *project, const struct cnsm_batch *b,
                             int64_t now) {
  int64_t bucket = now - now % CNSM_BUCKET_S;
  for (size_t i = 0; i < b->n; i++) {
    const struct cnsm_fn_delta *d = &b->fn[i];
    sqlite3_reset(fs);
    sqlite3_bind_text(fs, 1, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(fs, 2, d->name, -1, SQLITE_STATIC);
    if (d->department)
      sqlite3_bind_text(fs, 3, d->department, -1, SQLITE_STATIC);
    else
      sqlite3_bind_null(fs, 3);
    if (d->has_weight)
      sqlite3_bind_double(fs, 4, d->value_weight);
    else
      sqlite3_bind_null(fs, 4);
    sqlite3_bind_int64(fs, 5, now);
    if (sqlite3_step(fs) != SQLITE_DONE)
      return -1;
    if (d->calls == 0 && d->errors == 0 && d->total_ms == 0)
      continue;
    sqlite3_reset(cs);
    sqlite3_bind_text(cs, 1, project, -1, SQLITE_STATIC);
    sqlite3_bind_text(cs, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(cs, 3, bucket);
    sqlite3_bind_int64(cs, 4, d->calls);
    sqlite3_bind_int64(cs, 5, d->errors);
    sqlite3_bind_double(cs, 6, d->total_ms);
    sqlite3_bind_text(cs, 7, b->labels.version, -1, SQLITE_STATIC);
    sqlite3_bind_text(cs, 8, b->labels.instance, -1, SQLITE_STATIC);
    if (sqlite3_step(cs) != SQLITE_DONE)
      return -1;
  }
  return 0;
}

/* Runs the checks and writes of one ingest inside its transaction. */
static enum cnsm_store_outcome
store_guarded_write(sqlite3 *db, const char *project,
                    const struct cnsm_batch *b, const struct cnsm_batch_id *id,
                    int64_t now, int64_t *accepted, const char **field) {
  if (id != NULL) {
    int found = cnsm_batches_find(db, project, id, now, accepted);
    if (found < 0)
      return CNSM_STORE_FAILED;
    if (found == 1)
      return CNSM_DUPLICATE;
    if (found == 2)
      return CNSM_KEY_REUSED;
  }
  int over = cnsm_totals_check(db, project, b, field);
  if (over != 0)
    return over > 0 ? CNSM_OVER_LIMIT : CNSM_STORE_FAILED;
  sqlite3_stmt *fs = NULL, *cs = NULL;
  int rc =
      sqlite3_prepare_v2(db, k_upsert_function, -1, &fs, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, k_upsert_counts, -1, &cs, NULL) == SQLITE_OK &&
      store_write_batch(fs, cs, project, b, now) == 0 &&
      cnsm_totals_add(db, project, b) == 0 &&
      (id == NULL ||
       cnsm_batches_record(db, project, id, (int64_t)b->n, now) == 0);
  sqlite3_finalize(fs);
  sqlite3_finalize(cs);
  *accepted = (int64_t)b->n;
  return rc ? CNSM_STORED : CNSM_STORE_FAILED;
}

/* Stores a batch in one transaction; see store.h. */
enum cnsm_store_outcome cnsm_store_ingest(sqlite3 *db, const char *project,
                                          const struct cnsm_batch *b,
                                          const struct cnsm_batch_id *id,
                                          int64_t now, int64_t *accepted,
                                          const char **field) {
  *field = NULL;
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "codensm-collector: ingest failed: %s\n",
            sqlite3_errmsg(db));
    return CNSM_STORE_FAILED;
  }
  enum cnsm_store_outcome out =
      store_guarded_write(db, project, b, id, now, accepted, field);
  if (out == CNSM_STORED &&
      sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
    return out;
  if (out == CNSM_STORED || out == CNSM_STORE_FAILED) {
    fprintf(stderr, "codensm-collector: ingest failed: %s\n",
            sqlite3_errmsg(db));
    out = CNSM_STORE_FAILED;
  }
  sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  return out;
}

/* Creates dir and its parents (mode 0700); ignores existing ones. */
static void store_mkdirs(char *dir) {
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    mkdir(dir, 0700);
    *p = '/';
  }
  mkdir(dir, 0700);
}

/* $CODENSM_DB or the XDG data directory; see store.h. */
char *cnsm_store_default_path(void) {
  const char *env = getenv("CODENSM_DB");
  if (env && *env)
    return strdup(env);
  const char *xdg = getenv("XDG_DATA_HOME");
  const char *home = getenv("HOME");
  char dir[4096];
  if (xdg && *xdg)
    snprintf(dir, sizeof dir, "%s/codensm", xdg);
  else if (home && *home)
    snprintf(dir, sizeof dir, "%s/.local/share/codensm", home);
  else
    return strdup("codensm.db");
  store_mkdirs(dir);
  size_t n = strlen(dir) + sizeof "/collector.db";
  char *path = malloc(n);
  if (path)
    snprintf(path, n, "%s/collector.db", dir);
  return path;
}
