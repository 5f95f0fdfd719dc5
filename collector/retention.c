/* SPDX-License-Identifier: Apache-2.0
 *
 * retention.c - rolls old buckets up and drops the oldest, on either
 * backend.
 *
 * How it works: counts are kept per minute bucket.  Once a bucket is
 * older than --retain-minutes, every row of one hour (per project,
 * function and labels) is summed into the row at the hour's start and
 * the others are deleted; past --retain-hours the same happens per day;
 * past --retain-days the rows are deleted.  Only whole hours (days) are
 * rolled up: the cut-off is rounded down to one.  The sums are the same
 * integers before and after (calls and errors are BIGINT/INTEGER, never
 * past the project's limited total), so a roll-up keeps every figure
 * over a window that covers whole hours (days) exactly; only where in
 * the hour a call happened is forgotten.  The latency histograms (table
 * hist) go the same way, per latency bucket too, so a window's
 * percentiles over whole hours (days) are kept; their sums are summed as
 * numbers that cannot overflow (calls * 1.0: a double on SQLite, a
 * numeric on PostgreSQL) and saturate at 2^53 - 1 like ingest's
 * (CNSM_HIST_ON_CONFLICT).  The callers and root causes (tables callers
 * and causes) go the same way as hist, per other function.  totals and
 * probes are not touched; a drop takes its rows' sums off the all-time
 * sums of schema 7 (functions.all_*, and hist_totals for the rows
 * already folded into it: hist_totals.c) and the labels no row carries
 * any more off the table labels.  A run first folds the minutes that
 * closed into hist_totals, so every row it folds into hours (days) is
 * behind the fold mark before and after, and moving it changes no sum.
 *
 * A run goes one slice at a time: the rows of one project's minute (hour)
 * that are folded or dropped, found through each table's (project,
 * bucket) index, each slice one write transaction holding the lock
 * "codensm.retention", so replicas on one PostgreSQL database take turns
 * and a row is never summed twice (a slice another replica folded first
 * finds nothing left), and the project's, so the fold mark it reads
 * stays true to its end.  As one transaction, a run over 20,000 functions'
 * 150 minutes held SQLite's write lock for 55 s and every ingest meanwhile
 * waited its 10 s and got 503; a slice holds it for the rows of one
 * minute.  A failed slice stops the run; the next run goes on. */
#include "retention.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hist_totals.h"
#include "util.h"

/* The slices of a run: each project's buckets older than $1 that are not
 * at a multiple of $2 (to fold), or all of them (to drop). */
#define SLICES_OF(table, where)                                                \
  "SELECT DISTINCT project, bucket FROM " table " WHERE " where
#define SLICES(where)                                                          \
  SLICES_OF("counts", where)                                                   \
  " UNION " SLICES_OF("hist", where) " UNION " SLICES_OF(                      \
      "callers", where) " UNION " SLICES_OF("causes", where) " ORDER BY 2, 1"
static const char k_fold_slices[] = SLICES("bucket < $1 AND bucket % $2 <> 0");
static const char k_drop_slices[] = SLICES("bucket < $1");

/* One slice folded: the rows of project $2's bucket $3 summed into the row
 * at the start of their span of $1, then deleted. */
static const char k_roll_up[] =
    "INSERT INTO counts(project, name, bucket, version, instance, calls,"
    " errors, total_ms)"
    " SELECT project, name, bucket - bucket % $1, version, instance,"
    "  SUM(calls), SUM(errors), SUM(total_ms)"
    " FROM counts WHERE project = $2 AND bucket = $3"
    " GROUP BY 1, 2, 3, 4, 5"
    " ON CONFLICT(project, name, bucket, version, instance) DO UPDATE SET"
    "  calls = counts.calls + excluded.calls,"
    "  errors = counts.errors + excluded.errors,"
    "  total_ms = counts.total_ms + excluded.total_ms";

/* The same for hist: a sum of the rows of one span saturates (up to
 * 1,440 minutes times the labels of rows of at most 2^53 - 1 each would
 * pass 2^63 as integers). */
static const char k_hist_roll_up[] =
    "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
    " calls)"
    " SELECT project, name, bucket - bucket % $1, version, instance, hbucket,"
    "  CASE WHEN SUM(calls * 1.0) >= " CNSM_HIST_SAT " THEN " CNSM_HIST_SAT
    "  ELSE CAST(SUM(calls * 1.0) AS BIGINT) END"
    " FROM hist WHERE project = $2 AND bucket = $3"
    " GROUP BY 1, 2, 3, 4, 5, 6" CNSM_HIST_ON_CONFLICT;

/* The same for callers and causes (schema 5): per function, other
 * function and labels, saturating like hist. */
static const char k_callers_roll_up[] =
    "INSERT INTO callers(project, name, caller, bucket, version, instance,"
    " calls)"
    " SELECT project, name, caller, bucket - bucket % $1, version, instance,"
    "  CASE WHEN SUM(calls * 1.0) >= " CNSM_HIST_SAT " THEN " CNSM_HIST_SAT
    "  ELSE CAST(SUM(calls * 1.0) AS BIGINT) END"
    " FROM callers WHERE project = $2 AND bucket = $3"
    " GROUP BY 1, 2, 3, 4, 5, 6" CNSM_CALLERS_ON_CONFLICT;

static const char k_causes_roll_up[] =
    "INSERT INTO causes(project, name, cause, bucket, version, instance,"
    " errors)"
    " SELECT project, name, cause, bucket - bucket % $1, version, instance,"
    "  CASE WHEN SUM(errors * 1.0) >= " CNSM_HIST_SAT " THEN " CNSM_HIST_SAT
    "  ELSE CAST(SUM(errors * 1.0) AS BIGINT) END"
    " FROM causes WHERE project = $2 AND bucket = $3"
    " GROUP BY 1, 2, 3, 4, 5, 6" CNSM_CAUSES_ON_CONFLICT;

/* Before a slice is dropped, its rows leave the all-time sums of
 * schema 7 (functions.all_*, hist_totals), so /metrics, which reads
 * them, loses what the rows' sums lose: hist_totals only if the slice
 * was folded into it (behind the fold mark; a drop younger than a
 * minute is not).  Folding changes no sum. */
static const char *const k_drop_from_totals[] = {
    "UPDATE functions SET all_calls = all_calls - s.calls,"
    " all_errors = all_errors - s.errors,"
    " all_total_ms = all_total_ms - s.total_ms"
    " FROM (SELECT name, SUM(calls) AS calls, SUM(errors) AS errors,"
    "  SUM(total_ms) AS total_ms FROM counts"
    "  WHERE project = $1 AND bucket = $2 GROUP BY name) s"
    " WHERE functions.project = $1 AND functions.name = s.name",
    "UPDATE hist_totals SET calls = hist_totals.calls - s.calls"
    " FROM (SELECT name, hbucket, SUM(calls * 1.0) AS calls FROM hist"
    "  WHERE project = $1 AND bucket = $2 GROUP BY name, hbucket) s"
    " WHERE hist_totals.project = $1 AND hist_totals.name = s.name"
    "  AND hist_totals.hbucket = s.hbucket"
    "  AND $2 < (SELECT bucket FROM hist_folded WHERE project = $1)",
};

/* After a run dropped rows: the labels no row of counts carries any more
 * leave the project's choices (table labels), as they left the scan of
 * counts it replaces. */
static const char k_prune_labels[] =
    "DELETE FROM labels WHERE NOT EXISTS (SELECT 1 FROM counts c"
    " WHERE c.project = labels.project AND c.version = labels.version"
    "  AND c.instance = labels.instance)";

/* A slice's rows gone, table by table (counts first: its count is the
 * one said). */
static const char *const k_slice_delete[] = {
    "DELETE FROM counts WHERE project = $1 AND bucket = $2",
    "DELETE FROM hist WHERE project = $1 AND bucket = $2",
    "DELETE FROM callers WHERE project = $1 AND bucket = $2",
    "DELETE FROM causes WHERE project = $1 AND bucket = $2",
};

/* Checks the ages' order; see retention.h. */
int cnsm_retention_check(const struct cnsm_retention *r, char *err,
                         size_t errlen) {
  if ((r->minutes && r->hours && r->minutes > r->hours) ||
      (r->hours && r->days && r->hours > r->days) ||
      (r->minutes && r->days && r->minutes > r->days)) {
    snprintf(err, errlen,
             "--retain-minutes <= --retain-hours <= --retain-days, please");
    return -1;
  }
  return 0;
}

/* A run's slices: (project, bucket) pairs in the order found. */
struct slices {
  char **project;
  int64_t *bucket;
  size_t n, cap;
};

static int collect_slice(void *ctx, const struct cnsm_value *col, int ncol) {
  struct slices *s = ctx;
  if (ncol < 2 || col[0].text == NULL)
    return 1;
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 64;
    char **p = realloc(s->project, cap * sizeof *p);
    if (p == NULL)
      return 1;
    s->project = p;
    int64_t *b = realloc(s->bucket, cap * sizeof *b);
    if (b == NULL)
      return 1;
    s->bucket = b;
    s->cap = cap;
  }
  if ((s->project[s->n] = strdup(col[0].text)) == NULL)
    return 1;
  s->bucket[s->n++] = col[1].i;
  return 0;
}

static void slices_free(struct slices *s) {
  for (size_t i = 0; i < s->n; i++)
    free(s->project[i]);
  free(s->project);
  free(s->bucket);
  *s = (struct slices){0};
}

/* Says why a run stops, while the connection still knows. */
static void retention_failed(struct cnsm_conn *c) {
  fprintf(stderr, "codensm-collector: retention failed: %s\n",
          cnsm_store_error(c));
}

/* Folds (span > 0) or drops (span 0) one slice in its own write
 * transaction; *rows grows by the counts rows it removed. */
static int retention_slice(struct cnsm_conn *c, const char *project,
                           int64_t bucket, int64_t span, int64_t *rows) {
  if (cnsm_begin(c, CNSM_TXN_WRITE) != 0)
    return -1;
  const struct cnsm_value fold[] = {CNSM_P_INT(span), CNSM_P_TEXT(project),
                                    CNSM_P_INT(bucket)};
  const struct cnsm_value slice[] = {CNSM_P_TEXT(project), CNSM_P_INT(bucket)};
  int ok = cnsm_lock(c, "codensm.retention") == 0 && cnsm_lock(c, project) == 0;
  if (ok && span > 0)
    ok = cnsm_exec(c, k_roll_up, fold, 3, NULL) == 0 &&
         cnsm_exec(c, k_hist_roll_up, fold, 3, NULL) == 0 &&
         cnsm_exec(c, k_callers_roll_up, fold, 3, NULL) == 0 &&
         cnsm_exec(c, k_causes_roll_up, fold, 3, NULL) == 0;
  for (size_t i = 0; ok && span == 0 && i < 2; i++)
    ok = cnsm_exec(c, k_drop_from_totals[i], slice, 2, NULL) == 0;
  int64_t removed = 0;
  for (size_t i = 0; ok && i < sizeof k_slice_delete / sizeof *k_slice_delete;
       i++)
    ok = cnsm_exec(c, k_slice_delete[i], slice, 2, i == 0 ? &removed : NULL) ==
         0;
  if (ok && cnsm_commit(c) == 0) {
    *rows += removed;
    return 0;
  }
  retention_failed(c);
  cnsm_rollback(c);
  return -1;
}

/* Folds the buckets older than age into spans (span > 0), or drops them
 * (span 0); 0: nothing to do.  *rows gets how many counts rows went. */
static int retention_pass(struct cnsm_conn *c, int64_t now, int64_t age,
                          int64_t span, int64_t *rows) {
  *rows = 0;
  if (age <= 0)
    return 0;
  int64_t cutoff = now - age;
  if (span > 0)
    cutoff -= ((cutoff % span) + span) % span;
  const struct cnsm_value p[] = {CNSM_P_INT(cutoff), CNSM_P_INT(span)};
  struct slices s = {0};
  int rc = cnsm_query(c, span > 0 ? k_fold_slices : k_drop_slices, p,
                      span > 0 ? 2 : 1, collect_slice, &s);
  if (rc != 0)
    retention_failed(c);
  for (size_t i = 0; rc == 0 && i < s.n; i++)
    rc = retention_slice(c, s.project[i], s.bucket[i], span, rows);
  if (rc == 0 && span == 0 && s.n > 0 &&
      cnsm_exec(c, k_prune_labels, NULL, 0, NULL) != 0) {
    retention_failed(c);
    rc = -1;
  }
  slices_free(&s);
  return rc;
}

/* Applies the policy; see retention.h. */
int cnsm_retention_run(struct cnsm_conn *c, const struct cnsm_retention *r,
                       int64_t now, struct cnsm_retention_stats *stats) {
  int64_t folded;
  stats->into_hours = stats->into_days = stats->dropped = 0;
  return cnsm_hist_fold(c, now, &folded) == 0 &&
                 retention_pass(c, now, r->days, 0, &stats->dropped) == 0 &&
                 retention_pass(c, now, r->hours, 86400, &stats->into_days) ==
                     0 &&
                 retention_pass(c, now, r->minutes, 3600, &stats->into_hours) ==
                     0
             ? 0
             : -1;
}

struct cnsm_retention_thread {
  struct cnsm_store *store;
  struct cnsm_retention policy;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop; /* under mu */
};

/* Applies the policy once, saying what it did. */
static void retention_due(struct cnsm_retention_thread *t, struct cnsm_conn *c,
                          int64_t now) {
  struct cnsm_retention_stats s;
  if (cnsm_retention_run(c, &t->policy, now, &s) == 0 &&
      (s.into_hours || s.into_days || s.dropped))
    fprintf(stderr,
            "codensm-collector: retention: %lld rows rolled into hours, "
            "%lld into days, %lld dropped\n",
            (long long)s.into_hours, (long long)s.into_days,
            (long long)s.dropped);
}

/* The periodic work of serve: every CNSM_FOLD_EVERY_S, the minutes that
 * closed folded into hist_totals (hist_totals.c) and the store tidied
 * (a grown SQLite WAL truncated); retention at start and every
 * CNSM_RETENTION_EVERY_S (which folds first). */
static void *retention_loop(void *arg) {
  struct cnsm_retention_thread *t = arg;
  int64_t next_run = 0;
  pthread_mutex_lock(&t->mu);
  while (!t->stop) {
    pthread_mutex_unlock(&t->mu);
    int64_t now = cnsm_now_s(), folded;
    struct cnsm_conn *c = cnsm_store_acquire(t->store);
    if (now >= next_run) {
      retention_due(t, c, now);
      next_run = now + CNSM_RETENTION_EVERY_S;
    } else {
      cnsm_hist_fold(c, now, &folded);
    }
    cnsm_store_tidy(c);
    cnsm_store_release(t->store, c);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CNSM_FOLD_EVERY_S;
    pthread_mutex_lock(&t->mu);
    while (!t->stop && pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0)
      ;
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

/* Starts the thread; see retention.h. */
struct cnsm_retention_thread *
cnsm_retention_start(struct cnsm_store *st, const struct cnsm_retention *r) {
  struct cnsm_retention_thread *t = calloc(1, sizeof *t);
  if (t == NULL)
    return NULL;
  t->store = st;
  t->policy = *r;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  if (pthread_create(&t->thread, NULL, retention_loop, t) != 0) {
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    return NULL;
  }
  return t;
}

/* Stops the thread; see retention.h. */
void cnsm_retention_stop(struct cnsm_retention_thread *t) {
  if (t == NULL)
    return;
  pthread_mutex_lock(&t->mu);
  t->stop = 1;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
  pthread_join(t->thread, NULL);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t);
}
