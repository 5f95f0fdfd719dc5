/* SPDX-License-Identifier: Apache-2.0
 *
 * store.c - the store: picks the backend a --db target names, keeps a
 * pool of its connections for the server's threads, and forwards the
 * operations of store.h to the backend (store_sqlite.c, store_pg.c).
 *
 * Schema (version 8 in both backends, migrated forward at open, a newer
 * one refused):
 *   keys(id, project, hash, hint, created_at, revoked_at)  - see keys.c
 *   functions(project, name, department, value_weight, first_seen,
 *             last_seen, file, line)  - what exists, with the latest
 *             department/weight and source location (NULL until sent;
 *             schema 4), and all_calls, all_errors, all_total_ms: its
 *             all-time sums (schema 7)
 *   counts(project, name, bucket, version, instance, calls, errors,
 *             total_ms)  - deltas summed per bucket (unix seconds: a
 *             minute, or an hour or a day once retention.c rolled it up)
 *             and per labels of the sender (X-CodeNSM-Version,
 *             X-CodeNSM-Instance; "" when not sent, and for every row
 *             written before schema 3)
 *   hist(project, name, hbucket, bucket, version, instance, calls)  -
 *             the latency histogram: calls summed per bucket and labels
 *             as counts are, and per latency bucket hbucket
 *             (include/codensm_hist.h); rows saturate (CNSM_HIST_ON_CONFLICT);
 *             schema 4
 *   callers(project, name, caller, bucket, version, instance, calls)  -
 *             the calls of name that came from caller (extension
 *             "callers"), summed per minute and labels like hist; rows
 *             saturate (CNSM_CALLERS_ON_CONFLICT); schema 5
 *   causes(project, name, cause, bucket, version, instance, errors)  -
 *             name's error exits by root cause (extension "causes"),
 *             the same way; schema 5
 *   probes(project, name, expires_at)  - functions the running programs
 *             time at every call until expires_at (probe.c); schema 5
 *   totals(project, calls, errors, total_ms)  - all-time sums, held
 *             within the limits (store_totals.c)
 *   hist_totals(project, name, hbucket, calls)  - the all-time
 *             histogram /metrics reads (schema 7): the sums of the rows
 *             of hist behind the project's fold mark,
 *   hist_folded(project, bucket)  - that mark (schema 8; hist_totals.c)
 *   labels(project, version, instance)  - the labels of counts
 *             (schema 7)
 *   batches(project, key, body_hash, accepted, created_at)  - recent
 *             Idempotency-Keys (store_batches.c)
 *
 * The pool: one connection per worker thread, handed out under a mutex;
 * the first connection migrates the schema before the others open.
 *
 * A full disk: checking a file or a connection only reads, so it cannot
 * see that writes fail for lack of space (a full filesystem, a quota,
 * PostgreSQL's disk).  The write path tells the store instead
 * (cnsm_store_note_write): a batch refused for lack of space marks the
 * store full, one stored clears the mark, and /healthz answers 503
 * meanwhile.  /healthz also tries one small write of its own while
 * marked: a collector that nobody sends to any more (a load balancer
 * took it out on that very 503) would otherwise stay marked forever
 * after space is freed. */
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ingest.h"

struct cnsm_store {
  const struct cnsm_store_ops *ops;
  char *target;
  atomic_int unhealthy;  /* logged once per failure */
  atomic_int full;       /* a write failed for lack of space, none since */
  _Atomic time_t probed; /* when /healthz last tried a write, if full */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int n, nfree;
  struct cnsm_conn **all;
  struct cnsm_conn **free;
};

/* Is target a libpq URI? */
static int store_is_pg_uri(const char *target) {
  return strncmp(target, "postgresql://", 13) == 0 ||
         strncmp(target, "postgres://", 11) == 0;
}

/* Picks the backend; see store.h. */
const struct cnsm_store_ops *cnsm_store_backend(const char *target) {
  return store_is_pg_uri(target) ? &cnsm_store_pg : &cnsm_store_sqlite;
}

/* Copies target without the password of a URI's user info
 * ("postgresql://user:secret@host/db" becomes "postgresql://user:***@host/db")
 * nor the value of a password= parameter. */
void cnsm_store_redact(const char *target, char *out, size_t cap) {
  if (!store_is_pg_uri(target)) {
    snprintf(out, cap, "%s", target);
    return;
  }
  const char *auth = strstr(target, "://") + 3;
  size_t authlen = strcspn(auth, "/?");
  const char *at = memchr(auth, '@', authlen);
  const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
  char tmp[1024];
  if (colon != NULL)
    snprintf(tmp, sizeof tmp, "%.*s:***%s", (int)(colon - target), target, at);
  else
    snprintf(tmp, sizeof tmp, "%s", target);
  const char *pw = strstr(tmp, "password=");
  if (pw != NULL)
    snprintf(out, cap, "%.*s***%s", (int)(pw + 9 - tmp), tmp,
             pw + 9 + strcspn(pw + 9, "&"));
  else
    snprintf(out, cap, "%s", tmp);
}

/* Opens the database and its connection pool; see store.h. */
int cnsm_store_open(const char *target, int nconn, int flags,
                    struct cnsm_store **out, char *err, size_t errlen) {
  if (nconn < 1)
    nconn = 1;
  struct cnsm_store *st = calloc(1, sizeof *st);
  if (st == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  st->ops = cnsm_store_backend(target);
  st->target = strdup(target);
  st->all = calloc((size_t)nconn, sizeof *st->all);   // NOLINT: pointers
  st->free = calloc((size_t)nconn, sizeof *st->free); // NOLINT: pointers
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->cv, NULL);
  if (st->target == NULL || st->all == NULL || st->free == NULL) {
    snprintf(err, errlen, "out of memory");
    cnsm_store_close(st);
    return -1;
  }
  for (int i = 0; i < nconn; i++) {
    struct cnsm_conn *c = st->ops->connect(target, flags, err, errlen);
    if (c == NULL || (i == 0 && st->ops->migrate(c, flags, err, errlen))) {
      if (c != NULL)
        st->ops->disconnect(c);
      cnsm_store_close(st);
      return -1;
    }
    st->all[st->n++] = c;
    st->free[st->nfree++] = c;
  }
  *out = st;
  return 0;
}

/* The write /healthz tries while the disk is marked full: an
 * Idempotency-Key of project "" (no project has that name; like every
 * key it is deleted CNSM_IDEM_TTL_S later, by the next batch with a
 * key).  Small, but it is written and synced as a batch would be. */
static int store_probe_write(struct cnsm_conn *c, int64_t now) {
  const struct cnsm_value p[] = {CNSM_P_BLOB("", 0), CNSM_P_INT(now)};
  if (cnsm_begin(c, CNSM_TXN_WRITE) == 0 &&
      cnsm_exec(c,
                "INSERT INTO batches(project, key, body_hash, accepted,"
                " created_at) VALUES('', 'codensm.healthz', $1, 0, $2)"
                " ON CONFLICT(project, key) DO UPDATE SET"
                "  created_at = excluded.created_at",
                p, 2, NULL) == 0 &&
      cnsm_commit(c) == 0)
    return 0;
  cnsm_rollback(c);
  return -1;
}

/* With the disk marked full: tries the probe write (at most once every
 * CNSM_FULL_PROBE_S, the mark standing in between) and clears the mark
 * if it is stored.  0 once there is room again, or -1 with the reason. */
static int store_space(struct cnsm_store *st, struct cnsm_conn *c, char *err,
                       size_t errlen) {
  time_t now = time(NULL), last = atomic_load(&st->probed);
  if (now - last >= CNSM_FULL_PROBE_S &&
      atomic_compare_exchange_strong(&st->probed, &last, now) &&
      store_probe_write(c, (int64_t)now) == 0) {
    atomic_store(&st->full, 0);
    return 0;
  }
  snprintf(err, errlen,
           "the database's disk is full: a write failed for lack of space "
           "and none has succeeded since");
  return -1;
}

/* Marks or clears a full disk by how a write ended; see store.h. */
void cnsm_store_note_write(struct cnsm_store *st, enum cnsm_store_outcome out) {
  if (out == CNSM_STORE_FULL)
    atomic_store(&st->full, 1);
  else if (out == CNSM_STORED)
    atomic_store(&st->full, 0);
}

/* Asks the backend whether the database is still usable; see store.h. */
int cnsm_store_health(struct cnsm_store *st, int probe, char *err,
                      size_t errlen) {
  struct cnsm_conn *c = cnsm_store_acquire(st);
  int rc = st->ops->health(c, probe, err, errlen);
  if (rc == 0 && probe && atomic_load(&st->full))
    rc = store_space(st, c, err, errlen);
  cnsm_store_release(st, c);
  if (rc == 0) {
    if (atomic_exchange(&st->unhealthy, 0) != 0)
      fprintf(stderr, "codensm-collector: database is back\n");
    return 0;
  }
  if (atomic_exchange(&st->unhealthy, 1) == 0)
    fprintf(stderr,
            "codensm-collector: %s; ingest answers 503 until it is "
            "back\n",
            err);
  return -1;
}

/* Takes a free connection, waiting for one if needed. */
struct cnsm_conn *cnsm_store_acquire(struct cnsm_store *st) {
  pthread_mutex_lock(&st->mu);
  while (st->nfree == 0)
    pthread_cond_wait(&st->cv, &st->mu);
  struct cnsm_conn *c = st->free[--st->nfree];
  pthread_mutex_unlock(&st->mu);
  return c;
}

/* Returns a connection to the pool. */
void cnsm_store_release(struct cnsm_store *st, struct cnsm_conn *c) {
  pthread_mutex_lock(&st->mu);
  st->free[st->nfree++] = c;
  pthread_cond_signal(&st->cv);
  pthread_mutex_unlock(&st->mu);
}

/* Closes all connections (SQLite: the last one checkpoints the WAL). */
void cnsm_store_close(struct cnsm_store *st) {
  if (st == NULL)
    return;
  for (int i = 0; st->all && i < st->n; i++)
    st->ops->disconnect(st->all[i]);
  pthread_mutex_destroy(&st->mu);
  pthread_cond_destroy(&st->cv);
  free(st->all);
  free(st->free);
  free(st->target);
  free(st);
}

/* The forwarding functions of store.h. */
int cnsm_query(struct cnsm_conn *c, const char *sql,
               const struct cnsm_value *params, int nparams, cnsm_row_fn row,
               void *ctx) {
  return c->ops->query(c, sql, params, nparams, row, ctx, NULL);
}

int cnsm_exec(struct cnsm_conn *c, const char *sql,
              const struct cnsm_value *params, int nparams, int64_t *changes) {
  return c->ops->query(c, sql, params, nparams, NULL, NULL, changes);
}

int cnsm_begin(struct cnsm_conn *c, enum cnsm_txn kind) {
  return c->ops->begin(c, kind);
}

int cnsm_commit(struct cnsm_conn *c) { return c->ops->commit(c); }

void cnsm_rollback(struct cnsm_conn *c) { c->ops->rollback(c); }

int cnsm_lock(struct cnsm_conn *c, const char *name) {
  return c->ops->lock(c, name);
}

int cnsm_store_tidy(struct cnsm_conn *c) {
  return c->ops->tidy != NULL ? c->ops->tidy(c) : 0;
}

int cnsm_defer(struct cnsm_conn *c) { return c->ops->defer(c); }

int cnsm_flush(struct cnsm_conn *c) { return c->ops->flush(c); }

const char *cnsm_store_error(struct cnsm_conn *c) { return c->ops->error(c); }

/* Collects column 0 as text; see store.h. */
int cnsm_collect_text(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_strings *s = ctx;
  if (ncol < 1)
    return -1;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 8;
    char **grown = realloc(s->v, cap * sizeof *grown); // NOLINT: pointers
    if (grown == NULL)
      return -1;
    s->v = grown;
    s->cap = cap;
  }
  s->v[s->n] = strdup(col[0].text ? col[0].text : "");
  return s->v[s->n++] == NULL ? -1 : 0;
}

static int store_strcmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts by bytes, so both backends list in the same order whatever
 * collation the PostgreSQL database was created with. */
void cnsm_strings_sort(struct cnsm_strings *s) {
  if (s->n > 1)
    qsort(s->v, s->n, sizeof *s->v, store_strcmp); // NOLINT: pointers
}

void cnsm_strings_free(struct cnsm_strings *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
  memset(s, 0, sizeof *s);
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
