/* SPDX-License-Identifier: Apache-2.0
 *
 * rollup_hist.c - every function's latency percentiles over a window,
 * from the histograms of the "histogram" extension (table hist).
 *
 * One query for all functions: the database sums each function's rows
 * per latency bucket over the window and labels (a few rows per
 * function, whatever the number of minutes), ordered by function and
 * bucket; the rows of one function are gathered here and its p50, p95
 * and p99 read off them (hist.c) when the next function starts.  The
 * sums are taken as calls * 1.0 (a double on SQLite, a numeric on
 * PostgreSQL): rows saturate at 2^53 - 1 each, so an integer SUM over
 * many of them could overflow, and a percentile needs only the fractions.
 * Functions are found by name through a sorted index, so the order the
 * database sorts names in (its collation) does not matter, only that
 * rows of one name come together.  All time and over every label
 * (/metrics), the sums are read from hist_totals (schema 7) plus the
 * minutes not folded into it yet (hist_totals.c), instead of from every
 * row of hist. */
#include "rollup.h"

#include <stdlib.h>
#include <string.h>

#include "codensm_hist.h"
#include "hist.h"
#include "hist_totals.h"

/* The query's state: the function being gathered and its buckets. */
struct hist_walk {
  struct cnsm_fn_stat **by_name; /* r->fn sorted by name */
  size_t nfn;
  char *name; /* the function of the gathered rows; NULL: none yet */
  size_t n;
  uint32_t bucket[CNSM_HIST_BUCKETS];
  double count[CNSM_HIST_BUCKETS];
};

static int hist_by_name(const void *a, const void *b) {
  return strcmp((*(struct cnsm_fn_stat *const *)a)->name,
                (*(struct cnsm_fn_stat *const *)b)->name);
}

/* Percentiles in ms of a histogram in ns; -1 stays -1 (no counts). */
static double hist_ms(const struct hist_walk *w, unsigned pct) {
  double ns = cnsm_hist_percentile(w->bucket, w->count, w->n, pct);
  return ns < 0 ? -1 : ns / 1e6;
}

/* Ends the gathered function: its percentiles into its cnsm_fn_stat
 * (a name no longer among the functions is skipped). */
static void hist_finish(struct hist_walk *w) {
  if (w->name == NULL)
    return;
  struct cnsm_fn_stat key = {.name = w->name}, *pkey = &key;
  struct cnsm_fn_stat **hit =
      w->nfn ? bsearch(&pkey, w->by_name, w->nfn, sizeof(struct cnsm_fn_stat *),
                       hist_by_name)
             : NULL;
  if (hit != NULL) {
    (*hit)->p50_ms = hist_ms(w, 50);
    (*hit)->p95_ms = hist_ms(w, 95);
    (*hit)->p99_ms = hist_ms(w, 99);
  }
  free(w->name);
  w->name = NULL;
  w->n = 0;
}

/* One (function, bucket, summed calls) row. */
static int hist_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct hist_walk *w = ctx;
  if (ncol < 3 || col[0].text == NULL)
    return -1;
  if (w->name == NULL || strcmp(w->name, col[0].text) != 0) {
    hist_finish(w);
    if ((w->name = strdup(col[0].text)) == NULL)
      return -1;
  }
  if (col[1].i < 0 || col[1].i >= CNSM_HIST_BUCKETS ||
      w->n == CNSM_HIST_BUCKETS)
    return 0; /* not a bucket of this collector's: nothing to stand for */
  w->bucket[w->n] = (uint32_t)col[1].i;
  w->count[w->n++] = col[2].d;
  return 0;
}

/* Runs sql, whose rows are (function, latency bucket, summed calls)
 * ordered by function, and fills every function's percentiles. */
static int hist_read(struct cnsm_conn *c, struct cnsm_rollup *r,
                     const char *sql, const struct cnsm_value *p, int np) {
  struct hist_walk *w = calloc(1, sizeof *w);
  if (w == NULL)
    return -1;
  w->nfn = r->nfn;
  w->by_name = malloc((r->nfn ? r->nfn : 1) * sizeof(struct cnsm_fn_stat *));
  if (w->by_name == NULL) {
    free(w);
    return -1;
  }
  for (size_t i = 0; i < r->nfn; i++)
    w->by_name[i] = &r->fn[i];
  if (r->nfn > 1)
    qsort(w->by_name, r->nfn, sizeof(struct cnsm_fn_stat *), hist_by_name);
  int rc = cnsm_query(c, sql, p, np, hist_row, w);
  if (rc == 0)
    hist_finish(w);
  free(w->name);
  free(w->by_name);
  free(w);
  return rc;
}

/* Fills the percentiles; see rollup.h. */
int cnsm_rollup_percentiles(struct cnsm_conn *c, struct cnsm_rollup *r) {
  /* All time: every row, also of minutes before the oldest count. */
  const struct cnsm_value p[] = {
      CNSM_P_TEXT(r->project), CNSM_P_INT(r->since > 0 ? r->from : INT64_MIN),
      CNSM_P_TEXT(r->version), CNSM_P_TEXT(r->instance), CNSM_P_INT(r->now)};
  return hist_read(c, r,
                   "SELECT name, hbucket, SUM(calls * 1.0) FROM hist"
                   " WHERE project = $1 AND bucket >= $2 AND bucket <= $5"
                   "  AND ($3 IS NULL OR version = $3)"
                   "  AND ($4 IS NULL OR instance = $4)"
                   " GROUP BY name, hbucket ORDER BY name, hbucket",
                   p, 5);
}

/* Fills the all-time percentiles from hist_totals and the rows not
 * folded into it yet; see rollup.h.  A sum a drop took to 0 is no
 * count, as no row is (retention.c). */
int cnsm_rollup_percentiles_all_time(struct cnsm_conn *c,
                                     struct cnsm_rollup *r) {
  const struct cnsm_value p[] = {CNSM_P_TEXT(r->project)};
  return hist_read(c, r, cnsm_hist_all_time_sql, p, 1);
}
