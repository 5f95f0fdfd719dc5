/* SPDX-License-Identifier: Apache-2.0
 *
 * hist_totals.c - the all-time histogram of every function (table
 * hist_totals, what /metrics reads), folded in from the minute rows of
 * hist once their minute has closed, on either backend.
 *
 * Schema 7 added each histogram pair to hist_totals in the ingest
 * transaction, a second UPSERT beside the pair's minute row: histogram-
 * heavy ingest fell from 25,500 to 16,600 functions/s (SQLite,
 * bench/results/ingest-hist-round27.txt).  Schema 8 writes each pair
 * once at ingest.  Each project has a fold mark (table hist_folded):
 *
 *   hist_totals = the sums of the rows of hist with bucket < mark.
 *
 * Ingest writes into the minute of its clock, at or after the mark, so
 * it leaves hist_totals alone; were it behind the mark (a clock set
 * back, a replica's clock behind another's, the minute of a migration),
 * it adds its pairs to hist_totals as schema 7 did (store_ingest.c).
 * Every CNSM_FOLD_EVERY_S, and before each retention run, the minutes
 * that closed are folded: one INSERT ... SELECT ... GROUP BY ... ON
 * CONFLICT per project and minute, which moves the mark past it, so each
 * row is summed once, one minute after it was written, as one sum per
 * function and latency bucket however many batches it took.  The reads
 * add the rows from the mark on to hist_totals in the same statement
 * (cnsm_hist_all_time_sql): exact whatever the fold has done, and the
 * rows after the mark are a minute or two of them.  Retention takes a
 * dropped row's counts off hist_totals only if it was folded (behind
 * the mark); folding into hours moves rows that are all behind it (the
 * run folds first).  Fold, ingest and retention hold the project's lock
 * (on SQLite the one write lock), so a mark read in one of them stays
 * true to its end: replicas on one PostgreSQL database fold each minute
 * once, whichever gets there first.
 *
 * Sums are doubles, as the reads sum the rows (calls * 1.0): exact
 * under 2^53 per function and latency bucket, as schema 7's were. */
#include "hist_totals.h"

#include <stdio.h>
#include <stdlib.h>

/* The rows of project $1 from $2 up to $3 (not included), summed into
 * hist_totals, found through the index by minute.  SQLite, without
 * statistics, would rather read all the project's rows in key order to
 * skip sorting the groups (its planner picks the primary key for a
 * GROUP BY in key order): on 5.6 million rows a minute of 1,488 took
 * 0.99 s that way, 14 ms through the index, which INDEXED BY makes it
 * take. */
#define FOLD_SQL(hist)                                                         \
  "INSERT INTO hist_totals(project, name, hbucket, calls)"                     \
  " SELECT project, name, hbucket, SUM(calls * 1.0) FROM " hist                \
  " WHERE project = $1 AND bucket >= $2 AND bucket < $3"                       \
  " GROUP BY project, name, hbucket"                                           \
  " ON CONFLICT(project, name, hbucket)"                                       \
  " DO UPDATE SET calls = hist_totals.calls + excluded.calls"
static const char *const k_fold[] = {
    FOLD_SQL("hist INDEXED BY hist_by_bucket"), /* SQLite */
    FOLD_SQL("hist"),                           /* PostgreSQL */
};

static const char k_mark_write[] =
    "INSERT INTO hist_folded(project, bucket) VALUES($1, $2)"
    " ON CONFLICT(project) DO UPDATE SET bucket = excluded.bucket";

/* The projects with a minute to fold before $1. */
static const char k_projects[] =
    "SELECT t.project FROM totals t"
    " LEFT JOIN hist_folded f ON f.project = t.project"
    " WHERE COALESCE(f.bucket, 0) < $1 ORDER BY t.project";

/* The buckets of project $1's rows from $2 up to $3, oldest first. */
static const char k_buckets[] =
    "SELECT DISTINCT bucket FROM hist"
    " WHERE project = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket";

const char cnsm_hist_all_time_sql[] =
    "SELECT name, hbucket, SUM(calls) FROM ("
    " SELECT name, hbucket, calls FROM hist_totals WHERE project = $1"
    " UNION ALL SELECT name, hbucket, CAST(calls AS DOUBLE PRECISION)"
    " FROM hist WHERE project = $1 AND bucket >= COALESCE("
    "  (SELECT bucket FROM hist_folded WHERE project = $1), 0)) u"
    " GROUP BY name, hbucket HAVING SUM(calls) > 0 ORDER BY name, hbucket";

static int mark_row(void *ctx, const struct cnsm_value *col, int ncol) {
  if (ncol < 1)
    return -1;
  *(int64_t *)ctx = col[0].i;
  return 0;
}

/* Reads the mark; see hist_totals.h. */
int cnsm_hist_mark_read(struct cnsm_conn *c, const char *project,
                        int64_t *mark) {
  const struct cnsm_value p[] = {CNSM_P_TEXT(project)};
  *mark = 0;
  return cnsm_query(c, "SELECT bucket FROM hist_folded WHERE project = $1", p,
                    1, mark_row, mark);
}

/* Folds project's rows from its mark up to upper (not included) and
 * moves the mark there, in one write transaction holding the project's
 * lock; nothing if the mark is already there (another replica). */
static int fold_step(struct cnsm_conn *c, const char *project, int64_t upper,
                     int64_t *rows) {
  int64_t mark = 0, added = 0;
  if (cnsm_begin(c, CNSM_TXN_WRITE) != 0)
    return -1;
  int ok =
      cnsm_lock(c, project) == 0 && cnsm_hist_mark_read(c, project, &mark) == 0;
  if (ok && mark < upper) {
    const struct cnsm_value f[] = {CNSM_P_TEXT(project), CNSM_P_INT(mark),
                                   CNSM_P_INT(upper)};
    const struct cnsm_value m[] = {f[0], f[2]};
    ok = cnsm_exec(c, k_fold[c->ops == &cnsm_store_pg], f, 3, &added) == 0 &&
         cnsm_exec(c, k_mark_write, m, 2, NULL) == 0;
  }
  if (ok && cnsm_commit(c) == 0) {
    *rows += added;
    return 0;
  }
  cnsm_rollback(c);
  return -1;
}

/* The bucket column of each row, into a growing array. */
struct buckets {
  int64_t *v;
  size_t n, cap;
};

static int bucket_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct buckets *b = ctx;
  if (ncol < 1)
    return -1;
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 16;
    int64_t *v = realloc(b->v, cap * sizeof *v);
    if (v == NULL)
      return -1;
    b->v = v;
    b->cap = cap;
  }
  b->v[b->n++] = col[0].i;
  return 0;
}

/* Folds one project up to upper, one bucket of rows at a time (a
 * backlog of many minutes never holds the write lock long). */
static int fold_project(struct cnsm_conn *c, const char *project, int64_t upper,
                        int64_t *rows) {
  int64_t mark = 0;
  struct buckets b = {0};
  int rc = cnsm_hist_mark_read(c, project, &mark);
  if (rc == 0) {
    const struct cnsm_value p[] = {CNSM_P_TEXT(project), CNSM_P_INT(mark),
                                   CNSM_P_INT(upper)};
    rc = cnsm_query(c, k_buckets, p, 3, bucket_row, &b);
  }
  /* each step ends a minute after one more bucket; the last at upper */
  for (size_t i = 1; rc == 0 && i < b.n; i++)
    rc = fold_step(c, project, b.v[i - 1] + CNSM_BUCKET_S, rows);
  if (rc == 0)
    rc = fold_step(c, project, upper, rows);
  free(b.v);
  return rc;
}

/* Folds what closed; see hist_totals.h. */
int cnsm_hist_fold(struct cnsm_conn *c, int64_t now, int64_t *rows) {
  int64_t upper = now - now % CNSM_BUCKET_S;
  const struct cnsm_value p[] = {CNSM_P_INT(upper)};
  struct cnsm_strings projects = {0};
  *rows = 0;
  int rc = cnsm_query(c, k_projects, p, 1, cnsm_collect_text, &projects);
  for (size_t i = 0; rc == 0 && i < projects.n; i++)
    rc = fold_project(c, projects.v[i], upper, rows);
  if (rc != 0)
    fprintf(stderr, "codensm-collector: folding histograms failed: %s\n",
            cnsm_store_error(c));
  cnsm_strings_free(&projects);
  return rc;
}
