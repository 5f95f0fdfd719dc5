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
 * and causes) go the same way as hist, per other function.  totals,
 * functions and probes are not touched.  Each run is
 * one write transaction holding the lock "codensm.retention": replicas on one
 * PostgreSQL database take turns, and a row is never summed twice. */
#include "retention.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "util.h"

/* Sums the rows older than cutoff that are not at a multiple of span
 * into the row at the start of their span, then deletes them. */
static const char k_roll_up[] =
    "INSERT INTO counts(project, name, bucket, version, instance, calls,"
    " errors, total_ms)"
    " SELECT project, name, bucket - bucket % $2, version, instance,"
    "  SUM(calls), SUM(errors), SUM(total_ms)"
    " FROM counts WHERE bucket < $1 AND bucket % $2 <> 0"
    " GROUP BY 1, 2, 3, 4, 5"
    " ON CONFLICT(project, name, bucket, version, instance) DO UPDATE SET"
    "  calls = counts.calls + excluded.calls,"
    "  errors = counts.errors + excluded.errors,"
    "  total_ms = counts.total_ms + excluded.total_ms";

static const char k_roll_up_delete[] =
    "DELETE FROM counts WHERE bucket < $1 AND bucket % $2 <> 0";

/* The same for hist: a sum of the rows of one span saturates (up to
 * 1,440 minutes times the labels of rows of at most 2^53 - 1 each would
 * pass 2^63 as integers). */
static const char k_hist_roll_up[] =
    "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
    " calls)"
    " SELECT project, name, bucket - bucket % $2, version, instance, hbucket,"
    "  CASE WHEN SUM(calls * 1.0) >= " CNSM_HIST_SAT " THEN " CNSM_HIST_SAT
    "  ELSE CAST(SUM(calls * 1.0) AS BIGINT) END"
    " FROM hist WHERE bucket < $1 AND bucket % $2 <> 0"
    " GROUP BY 1, 2, 3, 4, 5, 6" CNSM_HIST_ON_CONFLICT;

static const char k_hist_roll_up_delete[] =
    "DELETE FROM hist WHERE bucket < $1 AND bucket % $2 <> 0";

/* The same for callers and causes (schema 5): per function, other
 * function and labels, saturating like hist. */
static const char k_callers_roll_up[] =
    "INSERT INTO callers(project, name, caller, bucket, version, instance,"
    " calls)"
    " SELECT project, name, caller, bucket - bucket % $2, version, instance,"
    "  CASE WHEN SUM(calls * 1.0) >= " CNSM_HIST_SAT " THEN " CNSM_HIST_SAT
    "  ELSE CAST(SUM(calls * 1.0) AS BIGINT) END"
    " FROM callers WHERE bucket < $1 AND bucket % $2 <> 0"
    " GROUP BY 1, 2, 3, 4, 5, 6" CNSM_CALLERS_ON_CONFLICT;

static const char k_callers_roll_up_delete[] =
    "DELETE FROM callers WHERE bucket < $1 AND bucket % $2 <> 0";

static const char k_causes_roll_up[] =
    "INSERT INTO causes(project, name, cause, bucket, version, instance,"
    " errors)"
    " SELECT project, name, cause, bucket - bucket % $2, version, instance,"
    "  CASE WHEN SUM(errors * 1.0) >= " CNSM_HIST_SAT " THEN " CNSM_HIST_SAT
    "  ELSE CAST(SUM(errors * 1.0) AS BIGINT) END"
    " FROM causes WHERE bucket < $1 AND bucket % $2 <> 0"
    " GROUP BY 1, 2, 3, 4, 5, 6" CNSM_CAUSES_ON_CONFLICT;

static const char k_causes_roll_up_delete[] =
    "DELETE FROM causes WHERE bucket < $1 AND bucket % $2 <> 0";

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

/* Rolls the buckets older than age (0: none) into spans; *rows gets how
 * many rows were folded. */
static int retention_roll(struct cnsm_conn *c, int64_t now, int64_t age,
                          int64_t span, int64_t *rows) {
  *rows = 0;
  if (age <= 0)
    return 0;
  int64_t cutoff = now - age;
  cutoff -= ((cutoff % span) + span) % span;
  const struct cnsm_value p[] = {CNSM_P_INT(cutoff), CNSM_P_INT(span)};
  return cnsm_exec(c, k_roll_up, p, 2, NULL) == 0 &&
                 cnsm_exec(c, k_roll_up_delete, p, 2, rows) == 0 &&
                 cnsm_exec(c, k_hist_roll_up, p, 2, NULL) == 0 &&
                 cnsm_exec(c, k_hist_roll_up_delete, p, 2, NULL) == 0 &&
                 cnsm_exec(c, k_callers_roll_up, p, 2, NULL) == 0 &&
                 cnsm_exec(c, k_callers_roll_up_delete, p, 2, NULL) == 0 &&
                 cnsm_exec(c, k_causes_roll_up, p, 2, NULL) == 0 &&
                 cnsm_exec(c, k_causes_roll_up_delete, p, 2, NULL) == 0
             ? 0
             : -1;
}

/* Applies the policy; see retention.h. */
int cnsm_retention_run(struct cnsm_conn *c, const struct cnsm_retention *r,
                       int64_t now, struct cnsm_retention_stats *stats) {
  stats->into_hours = stats->into_days = stats->dropped = 0;
  if (cnsm_begin(c, CNSM_TXN_WRITE) != 0)
    return -1;
  const struct cnsm_value drop[] = {CNSM_P_INT(now - r->days)};
  int ok =
      cnsm_lock(c, "codensm.retention") == 0 &&
      (r->days == 0 || (cnsm_exec(c, "DELETE FROM counts WHERE bucket < $1",
                                  drop, 1, &stats->dropped) == 0 &&
                        cnsm_exec(c, "DELETE FROM hist WHERE bucket < $1", drop,
                                  1, NULL) == 0 &&
                        cnsm_exec(c, "DELETE FROM callers WHERE bucket < $1",
                                  drop, 1, NULL) == 0 &&
                        cnsm_exec(c, "DELETE FROM causes WHERE bucket < $1",
                                  drop, 1, NULL) == 0)) &&
      retention_roll(c, now, r->hours, 86400, &stats->into_days) == 0 &&
      retention_roll(c, now, r->minutes, 3600, &stats->into_hours) == 0;
  if (ok && cnsm_commit(c) == 0)
    return 0;
  fprintf(stderr, "codensm-collector: retention failed: %s\n",
          cnsm_store_error(c));
  cnsm_rollback(c);
  return -1;
}

struct cnsm_retention_thread {
  struct cnsm_store *store;
  struct cnsm_retention policy;
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int stop; /* under mu */
};

/* Applies the policy now, and again every CNSM_RETENTION_EVERY_S. */
static void *retention_loop(void *arg) {
  struct cnsm_retention_thread *t = arg;
  pthread_mutex_lock(&t->mu);
  while (!t->stop) {
    pthread_mutex_unlock(&t->mu);
    struct cnsm_retention_stats s;
    struct cnsm_conn *c = cnsm_store_acquire(t->store);
    int rc = cnsm_retention_run(c, &t->policy, cnsm_now_s(), &s);
    cnsm_store_release(t->store, c);
    if (rc == 0 && (s.into_hours || s.into_days || s.dropped))
      fprintf(stderr,
              "codensm-collector: retention: %lld rows rolled into hours, "
              "%lld into days, %lld dropped\n",
              (long long)s.into_hours, (long long)s.into_days,
              (long long)s.dropped);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += CNSM_RETENTION_EVERY_S;
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
