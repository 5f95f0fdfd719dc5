/* SPDX-License-Identifier: Apache-2.0
 *
 * rollup_function.c - one function over a window, and its series: what
 * the dashboard's function page shows (GET /api/function, api_function.c).
 *
 * Reading the whole project's roll-ups to show one function would cost a
 * report (seconds over thousands of functions and a day of minutes), so
 * this reads only that function's rows, by the tables' keys (project,
 * name, ...), in one read transaction of seven small queries: the
 * function itself, the window's start (shared with rollup.c), its counts
 * per step, its histogram counts per step and latency bucket, and its
 * callers, root causes and callees (rollup_edges.c).  The
 * steps are the North-Star trend's (cnsm_rollup_step), so a function's
 * points line up with the project's.  Its figures are those of
 * docs/metrics.md and agree with /api/report: the sums over every bucket
 * of the window, and the percentiles over the same histogram rows
 * rollup_hist.c reads (for all time, also rows older than the first
 * count).  Written once in SQL both backends accept. */
#include "rollup.h"

#include <stdlib.h>
#include <string.h>

#include "codensm_hist.h"
#include "hist.h"

/* The histogram query's state: the window's sum per latency bucket, and
 * the step being gathered with its buckets. */
struct fn_hist_walk {
  struct cnsm_fn_detail *d;
  double total[CNSM_HIST_BUCKETS];
  int64_t step; /* the gathered step's index; -1: rows before the window */
  size_t n;
  uint32_t bucket[CNSM_HIST_BUCKETS];
  double count[CNSM_HIST_BUCKETS];
};

/* A percentile in ms of n buckets in ns; -1 without counts. */
static double fn_pct_ms(const uint32_t *bucket, const double *count, size_t n,
                        unsigned pct) {
  double ns = cnsm_hist_percentile(bucket, count, n, pct);
  return ns < 0 ? -1 : ns / 1e6;
}

/* Reads the functions row: department, weight, file, line. */
static int fn_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_fn_stat *f = ctx;
  if (ncol < 4)
    return -1;
  f->department = strdup(col[0].text ? col[0].text : "");
  f->value_weight = col[1].d;
  f->file = col[2].is_null || col[2].text == NULL ? NULL : strdup(col[2].text);
  f->line = col[3].is_null ? 0 : col[3].i;
  return f->department && (f->file || col[2].is_null) ? 0 : -1;
}

/* One step's sums of counts: into the totals and, inside the window's
 * steps, into the series. */
static int fn_count_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_fn_detail *d = ctx;
  if (ncol < 4)
    return -1;
  d->fn.calls += col[1].i;
  d->fn.errors += col[2].i;
  d->fn.total_ms += col[3].d;
  if (col[0].i >= 0 && (size_t)col[0].i < d->npoints) {
    struct cnsm_fn_point *p = &d->series[col[0].i];
    p->calls = col[1].i;
    p->errors = col[2].i;
    p->total_ms = col[3].d;
  }
  return 0;
}

/* Ends the gathered step: its p95 into its point. */
static void fn_hist_finish(struct fn_hist_walk *w) {
  if (w->step >= 0 && (size_t)w->step < w->d->npoints)
    w->d->series[w->step].p95_ms = fn_pct_ms(w->bucket, w->count, w->n, 95);
  w->n = 0;
}

/* One (step, latency bucket, summed calls) row, by step then bucket. */
static int fn_hist_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct fn_hist_walk *w = ctx;
  if (ncol < 3)
    return -1;
  if (col[0].i != w->step) {
    fn_hist_finish(w);
    w->step = col[0].i;
  }
  if (col[1].i < 0 || col[1].i >= CNSM_HIST_BUCKETS ||
      w->n == CNSM_HIST_BUCKETS)
    return 0; /* not a bucket of this collector's: nothing to stand for */
  w->total[col[1].i] += col[2].d;
  w->bucket[w->n] = (uint32_t)col[1].i;
  w->count[w->n++] = col[2].d;
  return 0;
}

/* The percentiles of the window and the p95 of each step.  The window's
 * histogram is summed here per latency bucket (dense, in bucket order)
 * from the per-step rows, so one query serves both. */
static int fn_percentiles(struct cnsm_conn *c, struct cnsm_fn_detail *d,
                          const struct cnsm_value *p) {
  struct fn_hist_walk *w = calloc(1, sizeof *w);
  if (w == NULL)
    return -1;
  w->d = d;
  w->step = -1;
  /* Rows before the window's first step (all time: older than the first
   * count) go to step -1: in the percentiles, in no point. */
  int rc = cnsm_query(c,
                      "SELECT CASE WHEN bucket >= $3 THEN (bucket - $3) / $4"
                      "  ELSE -1 END, hbucket, SUM(calls * 1.0) FROM hist"
                      " WHERE project = $1 AND name = $2 AND bucket >= $7"
                      "  AND bucket <= $8 AND ($5 IS NULL OR version = $5)"
                      "  AND ($6 IS NULL OR instance = $6)"
                      " GROUP BY 1, 2 ORDER BY 1, 2",
                      p, 8, fn_hist_row, w);
  if (rc == 0) {
    fn_hist_finish(w);
    size_t n = 0;
    for (uint32_t b = 0; b < CNSM_HIST_BUCKETS; b++)
      if (w->total[b] > 0) {
        w->bucket[n] = b;
        w->count[n++] = w->total[b];
      }
    d->fn.p50_ms = fn_pct_ms(w->bucket, w->count, n, 50);
    d->fn.p95_ms = fn_pct_ms(w->bucket, w->count, n, 95);
    d->fn.p99_ms = fn_pct_ms(w->bucket, w->count, n, 99);
  }
  free(w);
  return rc;
}

/* The window, the series' steps, and the queries of counts and
 * histograms; inside the read transaction. */
static int fn_load(struct cnsm_conn *c, const char *project,
                   const struct cnsm_label_filter *labels,
                   struct cnsm_fn_detail *d) {
  if (cnsm_rollup_window(c, project, labels, d->since, d->until, d->now,
                         &d->from, &d->now) != 0)
    return -1;
  d->step = cnsm_rollup_step(d->from, d->now, &d->npoints);
  d->series = calloc(d->npoints, sizeof *d->series);
  if (d->series == NULL)
    return -1;
  for (size_t i = 0; i < d->npoints; i++) {
    d->series[i].t = d->from + (int64_t)i * d->step;
    d->series[i].p95_ms = -1;
  }
  /* $7: the histogram rows of the percentiles, as rollup_hist.c reads
   * them (all time: every row); $8: the window's last second. */
  const struct cnsm_value p[] = {CNSM_P_TEXT(project),
                                 CNSM_P_TEXT(d->fn.name),
                                 CNSM_P_INT(d->from),
                                 CNSM_P_INT(d->step),
                                 CNSM_P_TEXT(labels ? labels->version : NULL),
                                 CNSM_P_TEXT(labels ? labels->instance : NULL),
                                 CNSM_P_INT(d->since > 0 ? d->from : INT64_MIN),
                                 CNSM_P_INT(d->now)};
  if (cnsm_query(c,
                 "SELECT (bucket - $3) / $4, SUM(calls), SUM(errors),"
                 " SUM(total_ms) FROM counts"
                 " WHERE project = $1 AND name = $2 AND bucket >= $3"
                 "  AND bucket <= $8 AND ($5 IS NULL OR version = $5)"
                 "  AND ($6 IS NULL OR instance = $6)"
                 " GROUP BY 1",
                 p, 8, fn_count_row, d) != 0)
    return -1;
  return fn_percentiles(c, d, p) == 0 ? cnsm_rollup_fn_edges(c, &d->fn, p) : -1;
}

/* The figures of docs/metrics.md that need this function only. */
static void fn_score(struct cnsm_fn_stat *f) {
  if (f->calls > 0) {
    f->error_rate = (double)f->errors / (double)f->calls;
    f->mean_ms = f->total_ms / (double)f->calls;
  }
  f->reliability = 1 - f->error_rate;
  f->contribution = f->value_weight * (double)(f->calls - f->errors);
  f->debt = f->error_rate * f->contribution;
}

/* Computes one function's figures and series; see rollup.h. */
int cnsm_rollup_function(struct cnsm_conn *c, const char *project,
                         const char *name, int64_t since, int64_t until,
                         int64_t now, const struct cnsm_label_filter *labels,
                         struct cnsm_fn_detail *d) {
  memset(d, 0, sizeof *d);
  d->now = now; /* until cnsm_rollup_window makes it the window's end */
  d->since = since;
  d->until = until;
  d->fn.p50_ms = d->fn.p95_ms = d->fn.p99_ms = d->fn.self_ms = -1;
  if ((d->fn.name = strdup(name)) == NULL)
    return -1;
  if (cnsm_begin(c, CNSM_TXN_READ) != 0)
    return -1;
  const struct cnsm_value p[] = {CNSM_P_TEXT(project), CNSM_P_TEXT(name)};
  int rc = cnsm_query(c,
                      "SELECT department, value_weight, file, line"
                      " FROM functions WHERE project = $1 AND name = $2",
                      p, 2, fn_row, &d->fn);
  d->found = rc == 0 && d->fn.department != NULL;
  if (d->found) {
    rc = fn_load(c, project, labels, d);
    fn_score(&d->fn);
  }
  if (cnsm_commit(c) != 0)
    rc = -1;
  return rc;
}

/* Frees what cnsm_rollup_function allocated. */
void cnsm_rollup_function_free(struct cnsm_fn_detail *d) {
  free(d->fn.name);
  free(d->fn.department);
  free(d->fn.file);
  cnsm_fn_edges_free(&d->fn);
  free(d->series);
  memset(d, 0, sizeof *d);
}
