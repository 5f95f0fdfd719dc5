/* SPDX-License-Identifier: Apache-2.0
 *
 * rollup.c - turns stored counts into the figures of docs/metrics.md.
 *
 * How it works: one read transaction (a consistent snapshot, on either
 * backend of store.h) runs six queries - per function sums over the window,
 * its histograms' percentiles (rollup_hist.c), its callers and root causes
 * with self time (rollup_edges.c), the North-Star trend per
 * step, and the North-Star value of the previous window - and the rest is
 * arithmetic in C: functions are sorted by department to find each department's
 * median latency (for speed), then scored (utilisation, reliability, speed,
 * OEE, contribution, debt, underuse), then folded into department and project
 * totals.  Every formula lives here and only here; docs/metrics.md is its
 * specification. */
#include "rollup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* qsort, except that an array of fewer than two elements (possibly a
 * NULL pointer: no functions, no departments) is left alone; qsort's
 * base must not be NULL even when n is 0 (UBSan: nonnull-attribute). */
static void rollup_sort(void *base, size_t n, size_t size,
                        int (*cmp)(const void *, const void *)) {
  if (n > 1)
    qsort(base, n, size, cmp);
}

/* Lists projects; see rollup.h. */
int cnsm_rollup_projects(struct cnsm_conn *c, char ***names, size_t *n) {
  struct cnsm_strings s = {0};
  int rc = cnsm_query(c,
                      "SELECT project FROM functions UNION"
                      " SELECT project FROM keys",
                      NULL, 0, cnsm_collect_text, &s);
  cnsm_strings_sort(&s);
  *names = s.v;
  *n = s.n;
  return rc;
}

/* Orders functions by department, then name. */
static int rollup_by_department(const void *a, const void *b) {
  const struct cnsm_fn_stat *x = a, *y = b;
  int c = strcmp(x->department, y->department);
  return c ? c : strcmp(x->name, y->name);
}

/* Orders functions by contribution (descending), then name. */
static int rollup_by_contribution(const void *a, const void *b) {
  const struct cnsm_fn_stat *x = a, *y = b;
  if (x->contribution != y->contribution)
    return x->contribution < y->contribution ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* Orders departments by contribution (descending), then name. */
static int rollup_dept_order(const void *a, const void *b) {
  const struct cnsm_dept_stat *x = a, *y = b;
  if (x->contribution != y->contribution)
    return x->contribution < y->contribution ? 1 : -1;
  return strcmp(x->name, y->name);
}

static int rollup_double_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v); 0 for n = 0. */
static double rollup_median(double *v, size_t n) {
  if (n == 0)
    return 0;
  rollup_sort(v, n, sizeof *v, rollup_double_cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The label filter of every query on counts c: $8 the version, $9 the
 * instance, each NULL to match every value. */
#define ROLLUP_LABELS                                                          \
  " AND ($8 IS NULL OR c.version = $8) AND ($9 IS NULL OR c.instance = $9)"
#define ROLLUP_NPARAMS 9

/* counts c with each row's function f, read function by function: each
 * function's rows of the window through the key of counts (project,
 * name, bucket), in order.  Left to choose, SQLite walked the index by
 * bucket and looked every row up in the table and its function in
 * functions: 32 s for 4 million rows, against 2 s so.  CROSS JOIN is
 * SQLite's way of fixing the order of a join (the conditions go in
 * WHERE: PostgreSQL takes no ON after it); to PostgreSQL it is an inner
 * join like any other, planned as it sees fit. */
#define ROLLUP_BY_FUNCTION                                                     \
  " FROM functions f CROSS JOIN counts c WHERE f.project = $1"                 \
  " AND c.project = f.project AND c.name = f.name"

/* The parameters of every roll-up query: $1 the project, $2..$4 the
 * query's integers, $8 and $9 the label filter. */
static void rollup_params(const struct cnsm_rollup *r, int64_t a, int64_t b,
                          int64_t c, struct cnsm_value p[ROLLUP_NPARAMS]) {
  p[0] = CNSM_P_TEXT(r->project);
  p[1] = CNSM_P_INT(a);
  p[2] = CNSM_P_INT(b);
  p[3] = CNSM_P_INT(c);
  p[4] = p[5] = p[6] = CNSM_P_INT(0);
  p[7] = CNSM_P_TEXT(r->version);
  p[8] = CNSM_P_TEXT(r->instance);
}

/* Appends one function's sums to r->fn. */
static int rollup_load_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_rollup *r = ctx;
  if (ncol < 8)
    return -1;
  if (r->nfn == r->fn_cap) {
    size_t cap = r->fn_cap ? 2 * r->fn_cap : 64;
    struct cnsm_fn_stat *grown = realloc(r->fn, cap * sizeof *grown);
    if (grown == NULL)
      return -1;
    r->fn = grown;
    r->fn_cap = cap;
  }
  struct cnsm_fn_stat *f = &r->fn[r->nfn++];
  memset(f, 0, sizeof *f);
  f->name = strdup(col[0].text ? col[0].text : "");
  f->department = strdup(col[1].text ? col[1].text : "");
  f->value_weight = col[2].d;
  f->calls = col[3].i;
  f->errors = col[4].i;
  f->total_ms = col[5].d;
  f->file = col[6].is_null || col[6].text == NULL ? NULL : strdup(col[6].text);
  f->line = col[7].is_null ? 0 : col[7].i;
  f->p50_ms = f->p95_ms = f->p99_ms = f->self_ms = -1;
  return f->name && f->department && (f->file || col[6].is_null) ? 0 : -1;
}

/* Per function sums over [from, now], in the form each backend runs
 * best (the one query of the roll-ups that differs; same rows, same
 * sums).  SQLite walks each function's range of the key of counts
 * (project, name, bucket): 0.5 s over 2 million rows of a day, 0.06 s
 * for an hour, where summing first read every row of the project.
 * PostgreSQL joined every row of the window to its function by hash and
 * grouped the join (2.7 s for the same day); summing the window's rows
 * per name first and joining 20,000 sums takes 1.2 s. */
static const char *const k_load_sql[] = {
    "SELECT f.name, f.department, f.value_weight,"
    " COALESCE(SUM(c.calls), 0), COALESCE(SUM(c.errors), 0),"
    " COALESCE(SUM(c.total_ms), 0), f.file, f.line"
    " FROM functions f LEFT JOIN counts c"
    "  ON c.project = f.project AND c.name = f.name AND c.bucket >= $2"
    "  AND c.bucket <= $3" ROLLUP_LABELS " WHERE f.project = $1"
    " GROUP BY f.project, f.name, f.department, f.value_weight, f.file,"
    "  f.line",
    "SELECT f.name, f.department, f.value_weight, COALESCE(c.calls, 0),"
    " COALESCE(c.errors, 0), COALESCE(c.total_ms, 0), f.file, f.line"
    " FROM functions f LEFT JOIN (SELECT c.name, SUM(c.calls) AS calls,"
    "  SUM(c.errors) AS errors, SUM(c.total_ms) AS total_ms FROM counts c"
    "  WHERE c.project = $1 AND c.bucket >= $2 AND c.bucket <= $3" ROLLUP_LABELS
    " GROUP BY c.name) c ON c.name = f.name"
    " WHERE f.project = $1",
};

/* Reads per function sums over [from, now]. */
static int rollup_load(struct cnsm_conn *c, struct cnsm_rollup *r) {
  struct cnsm_value p[ROLLUP_NPARAMS];
  rollup_params(r, r->from, r->now, 0, p);
  return cnsm_query(c, k_load_sql[c->ops == &cnsm_store_pg], p, ROLLUP_NPARAMS,
                    rollup_load_row, r);
}

/* Reads every function's all-time sums as ingest and retention keep
 * them beside it (schema 7). */
static int rollup_load_all_time(struct cnsm_conn *c, struct cnsm_rollup *r) {
  const struct cnsm_value p[] = {CNSM_P_TEXT(r->project)};
  return cnsm_query(c,
                    "SELECT name, department, value_weight, all_calls,"
                    " all_errors, all_total_ms, file, line FROM functions"
                    " WHERE project = $1",
                    p, 1, rollup_load_row, r);
}

/* Scores every function (docs/metrics.md, "Per function").  Leaves the
 * functions sorted by department, as rollup_departments expects. */
static void rollup_score(struct cnsm_rollup *r) {
  int64_t cmax = 0;
  for (size_t i = 0; i < r->nfn; i++)
    if (r->fn[i].calls > cmax)
      cmax = r->fn[i].calls;
  rollup_sort(r->fn, r->nfn, sizeof *r->fn, rollup_by_department);
  double *lat = malloc((r->nfn ? r->nfn : 1) * sizeof *lat);
  for (size_t i = 0, j; i < r->nfn; i = j) {
    size_t nlat = 0;
    for (j = i;
         j < r->nfn && strcmp(r->fn[j].department, r->fn[i].department) == 0;
         j++) {
      struct cnsm_fn_stat *f = &r->fn[j];
      if (f->calls > 0) {
        f->error_rate = (double)f->errors / (double)f->calls;
        f->mean_ms = f->total_ms / (double)f->calls;
        if (lat)
          lat[nlat++] = f->mean_ms;
      }
    }
    double median = lat ? rollup_median(lat, nlat) : 0;
    for (size_t k = i; k < j; k++) {
      struct cnsm_fn_stat *f = &r->fn[k];
      f->contribution = f->value_weight * (double)(f->calls - f->errors);
      f->debt = f->error_rate * f->contribution;
      f->utilisation =
          cmax > 0 ? log1p((double)f->calls) / log1p((double)cmax) : 0;
      f->reliability = 1 - f->error_rate;
      f->speed =
          (f->mean_ms <= median || f->mean_ms <= 0) ? 1 : median / f->mean_ms;
      f->oee = f->utilisation * f->reliability * f->speed;
      if (f->calls == 0)
        f->use = CNSM_USE_NEVER;
      else if ((double)f->calls < CNSM_RARE_SHARE * (double)cmax)
        f->use = CNSM_USE_RARE;
      else
        f->use = CNSM_USE_OK;
    }
  }
  free(lat);
}

/* Adds function f into the department (or project) totals d. */
static void rollup_fold(struct cnsm_dept_stat *d,
                        const struct cnsm_fn_stat *f) {
  d->functions++;
  d->called += f->calls > 0;
  d->underused += f->use != CNSM_USE_OK;
  d->calls += f->calls;
  d->errors += f->errors;
  d->total_ms += f->total_ms;
  d->contribution += f->contribution;
  d->debt += f->debt;
  d->oee += (double)f->calls * f->oee; /* divided by calls in rollup_finish */
}

/* Turns the sums in d into rates and shares. */
static void rollup_finish(struct cnsm_dept_stat *d, double project_value) {
  if (d->calls > 0) {
    d->error_rate = (double)d->errors / (double)d->calls;
    d->mean_ms = d->total_ms / (double)d->calls;
    d->oee /= (double)d->calls;
  }
  d->value_share = project_value > 0 ? d->contribution / project_value : 0;
}

/* Builds department and project totals from the scored functions (which
 * are sorted by department at this point). */
static int rollup_departments(struct cnsm_rollup *r) {
  r->dept = calloc(r->nfn ? r->nfn : 1, sizeof *r->dept);
  if (r->dept == NULL)
    return -1;
  double *lat = malloc((r->nfn ? r->nfn : 1) * sizeof *lat);
  for (size_t i = 0, j; i < r->nfn; i = j) {
    struct cnsm_dept_stat *d = &r->dept[r->ndept++];
    d->name = strdup(r->fn[i].department);
    size_t nlat = 0;
    for (j = i; j < r->nfn && strcmp(r->fn[j].department, d->name) == 0; j++) {
      rollup_fold(d, &r->fn[j]);
      rollup_fold(&r->total, &r->fn[j]);
      if (r->fn[j].calls > 0 && lat)
        lat[nlat++] = r->fn[j].mean_ms;
    }
    d->median_ms = lat ? rollup_median(lat, nlat) : 0;
  }
  if (lat != NULL) { /* the project's median over all called functions */
    size_t nlat = 0;
    for (size_t i = 0; i < r->nfn; i++)
      if (r->fn[i].calls > 0)
        lat[nlat++] = r->fn[i].mean_ms;
    r->total.median_ms = rollup_median(lat, nlat);
  }
  free(lat);
  r->nsm = r->total.contribution;
  for (size_t k = 0; k < r->ndept; k++)
    rollup_finish(&r->dept[k], r->nsm);
  rollup_finish(&r->total, r->nsm);
  rollup_sort(r->dept, r->ndept, sizeof *r->dept, rollup_dept_order);
  rollup_sort(r->fn, r->nfn, sizeof *r->fn, rollup_by_contribution);
  return 0;
}

/* Reads one number: column 0 of the only row, as a double. */
static int rollup_number_row(void *ctx, const struct cnsm_value *col,
                             int ncol) {
  if (ncol < 1)
    return -1;
  *(double *)ctx = col[0].d;
  return 0;
}

/* Sums w x (calls - errors) over [lo, hi) buckets; *out gets the value. */
static int rollup_value_between(struct cnsm_conn *c,
                                const struct cnsm_rollup *r, int64_t lo,
                                int64_t hi, double *out) {
  struct cnsm_value p[ROLLUP_NPARAMS];
  rollup_params(r, lo, hi, 0, p);
  *out = 0;
  return cnsm_query(c,
                    "SELECT COALESCE(SUM((c.calls - c.errors) *"
                    " f.value_weight), 0)" ROLLUP_BY_FUNCTION
                    " AND c.bucket >= $2"
                    " AND c.bucket < $3" ROLLUP_LABELS,
                    p, ROLLUP_NPARAMS, rollup_number_row, out);
}

/* Puts one step's value into the trend. */
static int rollup_trend_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_rollup *r = ctx;
  if (ncol < 2)
    return -1;
  if (col[0].i >= 0 && (size_t)col[0].i < r->ntrend)
    r->trend[col[0].i].value = col[1].d;
  return 0;
}

/* The trend's steps; see rollup.h. */
int64_t cnsm_rollup_step(int64_t from, int64_t now, size_t *npoints) {
  int64_t last = now - now % 60;
  int64_t minutes = (last - from) / 60 + 1;
  int64_t step = 60 * ((minutes + CNSM_TREND_POINTS - 1) / CNSM_TREND_POINTS);
  *npoints = (size_t)((last - from) / step + 1);
  return step;
}

/* Fills the North-Star trend: at most CNSM_TREND_POINTS steps of whole
 * minutes covering [from, now]. */
static int rollup_trend(struct cnsm_conn *c, struct cnsm_rollup *r) {
  r->step = cnsm_rollup_step(r->from, r->now, &r->ntrend);
  r->trend = calloc(r->ntrend, sizeof *r->trend);
  if (r->trend == NULL)
    return -1;
  for (size_t i = 0; i < r->ntrend; i++)
    r->trend[i].t = r->from + (int64_t)i * r->step;
  struct cnsm_value p[ROLLUP_NPARAMS];
  rollup_params(r, r->from, r->step, r->now, p);
  return cnsm_query(c,
                    "SELECT (c.bucket - $2) / $3,"
                    " COALESCE(SUM((c.calls - c.errors) * f.value_weight), "
                    "0)" ROLLUP_BY_FUNCTION " AND c.bucket >= $2"
                    " AND c.bucket <= $4" ROLLUP_LABELS " GROUP BY 1",
                    p, ROLLUP_NPARAMS, rollup_trend_row, r);
}

/* Reads MIN(bucket), when there is one, into the window start. */
static int rollup_oldest_row(void *ctx, const struct cnsm_value *col,
                             int ncol) {
  if (ncol < 1)
    return -1;
  if (!col[0].is_null)
    *(int64_t *)ctx = col[0].i;
  return 0;
}

/* t rounded down to the start of its minute. */
static int64_t rollup_minute(int64_t t) { return t - ((t % 60) + 60) % 60; }

/* The window's first bucket and last second; see rollup.h. */
int cnsm_rollup_window(struct cnsm_conn *c, const char *project,
                       const struct cnsm_label_filter *labels, int64_t since,
                       int64_t until, int64_t now, int64_t *from, int64_t *to) {
  /* Where it ends: now, or a minute's start (that minute is not in it). */
  int64_t end = until > 0 ? rollup_minute(now - until) : now;
  *to = until > 0 ? end - 1 : now;
  if (since > 0) {
    *from = rollup_minute(end - since);
    return 0;
  }
  *from = rollup_minute(*to);
  const struct cnsm_value p[] = {
      CNSM_P_TEXT(project), CNSM_P_TEXT(labels ? labels->version : NULL),
      CNSM_P_TEXT(labels ? labels->instance : NULL), CNSM_P_INT(*to)};
  return cnsm_query(c,
                    "SELECT MIN(bucket) FROM counts c WHERE c.project = $1"
                    " AND ($2 IS NULL OR c.version = $2)"
                    " AND ($3 IS NULL OR c.instance = $3) AND c.bucket <= $4",
                    p, 4, rollup_oldest_row, from);
}

/* Reads the distinct values of one label column of the project's counts
 * (sql selects them) into a sorted malloc'd array. */
static int rollup_label_values(struct cnsm_conn *c, const char *sql,
                               const char *project, char ***out, size_t *n) {
  struct cnsm_strings s = {0};
  const struct cnsm_value p[] = {CNSM_P_TEXT(project)};
  int rc = cnsm_query(c, sql, p, 1, cnsm_collect_text, &s);
  cnsm_strings_sort(&s);
  *out = s.v;
  *n = s.n;
  return rc;
}

/* The versions and instances the project's counts carry, for the
 * dashboard's choices.  All time, whatever the filter: from the table
 * labels (schema 7), which ingest and retention keep equal to the
 * distinct labels of counts, a scan of which took 1.2 s each over 6
 * million rows. */
static int rollup_labels(struct cnsm_conn *c, struct cnsm_rollup *r) {
  return rollup_label_values(c,
                             "SELECT DISTINCT version FROM labels"
                             " WHERE project = $1",
                             r->project, &r->versions, &r->nversions) == 0 &&
                 rollup_label_values(c,
                                     "SELECT DISTINCT instance FROM labels"
                                     " WHERE project = $1",
                                     r->project, &r->instances,
                                     &r->ninstances) == 0
             ? 0
             : -1;
}

/* strdup that keeps NULL. */
static char *rollup_dup(const char *s) { return s ? strdup(s) : NULL; }

/* Computes everything for one project and window; see rollup.h. */
int cnsm_rollup_compute(struct cnsm_conn *c, const char *project, int64_t since,
                        int64_t until, int64_t now,
                        const struct cnsm_label_filter *labels,
                        struct cnsm_rollup *r) {
  memset(r, 0, sizeof *r);
  r->project = strdup(project);
  if (labels != NULL) {
    r->version = rollup_dup(labels->version);
    r->instance = rollup_dup(labels->instance);
  }
  r->total.name = strdup(project);
  r->since = since;
  r->until = until;
  if (cnsm_begin(c, CNSM_TXN_READ) != 0)
    return -1;
  int rc = -1;
  struct cnsm_label_filter filter = {r->version, r->instance};
  if (cnsm_rollup_window(c, project, &filter, since, until, now, &r->from,
                         &r->now) == 0 &&
      rollup_load(c, r) == 0 && cnsm_rollup_percentiles(c, r) == 0 &&
      cnsm_rollup_edges(c, r) == 0 && rollup_trend(c, r) == 0 &&
      rollup_labels(c, r) == 0) {
    rollup_score(r);
    rc = rollup_departments(r);
    if (rc == 0 && since > 0) {
      rc = rollup_value_between(c, r, r->from - (r->now - r->from), r->from,
                                &r->nsm_previous);
      r->has_previous = rc == 0;
    }
  }
  if (cnsm_commit(c) != 0)
    rc = -1;
  return rc;
}

/* The all-time figures of /metrics; see rollup.h. */
int cnsm_rollup_all_time(struct cnsm_conn *c, const char *project, int64_t now,
                         struct cnsm_rollup *r) {
  memset(r, 0, sizeof *r);
  r->project = strdup(project);
  r->total.name = strdup(project);
  r->from = r->now = now;
  if (cnsm_begin(c, CNSM_TXN_READ) != 0)
    return -1;
  int rc = -1;
  if (rollup_load_all_time(c, r) == 0 &&
      cnsm_rollup_percentiles_all_time(c, r) == 0) {
    rollup_score(r);
    rc = rollup_departments(r);
  }
  if (cnsm_commit(c) != 0)
    rc = -1;
  return rc;
}

/* Frees a roll-up. */
void cnsm_rollup_free(struct cnsm_rollup *r) {
  for (size_t i = 0; i < r->nfn; i++) {
    free(r->fn[i].name);
    free(r->fn[i].department);
    free(r->fn[i].file);
    cnsm_fn_edges_free(&r->fn[i]);
  }
  for (size_t i = 0; i < r->ndept; i++)
    free(r->dept[i].name);
  for (size_t i = 0; i < r->nversions; i++)
    free(r->versions[i]);
  for (size_t i = 0; i < r->ninstances; i++)
    free(r->instances[i]);
  free(r->versions);
  free(r->instances);
  free(r->version);
  free(r->instance);
  free(r->fn);
  free(r->dept);
  free(r->trend);
  free(r->project);
  free(r->total.name);
  memset(r, 0, sizeof *r);
}

static const char *const k_use_names[] = {"used", "never", "rare"};

/* Adds n number fields keys[i] = vals[i] to o. */
static void rollup_numbers(cJSON *o, const char *const *keys,
                           const double *vals, size_t n) {
  for (size_t i = 0; i < n; i++)
    cJSON_AddNumberToObject(o, keys[i], vals[i]);
}

/* Rewrites o's counts calls and errors as exact integers: cJSON prints
 * numbers with 15 significant digits when that reads back within a
 * relative epsilon, which rounds counts past 10^15 (2^53 - 1 printed as
 * 9007199254740990).  Counts are at most 2^53 - 1 (store_totals.c). */
static void rollup_exact_counts(cJSON *o, int64_t calls, int64_t errors) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)calls);
  cJSON_ReplaceItemInObjectCaseSensitive(o, "calls", cJSON_CreateRaw(buf));
  snprintf(buf, sizeof buf, "%lld", (long long)errors);
  cJSON_ReplaceItemInObjectCaseSensitive(o, "errors", cJSON_CreateRaw(buf));
}

/* A figure, or null when negative (not known). */
static cJSON *rollup_number_or_null(double v) {
  return v >= 0 ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

int cnsm_fn_timed(const struct cnsm_fn_stat *f) {
  return f->calls == 0 || f->total_ms > 0 || f->p50_ms >= 0;
}

/* The extensions' figures of f: percentiles, source location and self
 * time (null when unknown), callers and root causes. */
static void rollup_fn_extensions(cJSON *o, const struct cnsm_fn_stat *f) {
  cJSON_AddItemToObject(o, "p50_ms", rollup_number_or_null(f->p50_ms));
  cJSON_AddItemToObject(o, "p95_ms", rollup_number_or_null(f->p95_ms));
  cJSON_AddItemToObject(o, "p99_ms", rollup_number_or_null(f->p99_ms));
  cJSON_AddItemToObject(
      o, "file", f->file ? cJSON_CreateString(f->file) : cJSON_CreateNull());
  cJSON_AddItemToObject(o, "line",
                        rollup_number_or_null(f->line ? (double)f->line : -1));
  cJSON_AddItemToObject(o, "self_ms", rollup_number_or_null(f->self_ms));
  cJSON_AddBoolToObject(o, "timed", cnsm_fn_timed(f));
  cJSON_AddItemToObject(o, "callers",
                        cnsm_named_counts_json(&f->callers, "calls"));
  cJSON_AddItemToObject(o, "root_causes",
                        cnsm_named_counts_json(&f->causes, "errors"));
}

/* One function as a JSON object; see rollup.h. */
cJSON *cnsm_rollup_fn_json(const struct cnsm_fn_stat *f) {
  static const char *const keys[] = {
      "value_weight", "calls",   "errors",       "error_rate",
      "total_ms",     "mean_ms", "contribution", "utilisation",
      "reliability",  "speed",   "oee",          "debt"};
  const double vals[] = {f->value_weight, (double)f->calls, (double)f->errors,
                         f->error_rate,   f->total_ms,      f->mean_ms,
                         f->contribution, f->utilisation,   f->reliability,
                         f->speed,        f->oee,           f->debt};
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", f->name);
  cJSON_AddStringToObject(o, "department", f->department);
  rollup_numbers(o, keys, vals, sizeof vals / sizeof *vals);
  rollup_exact_counts(o, f->calls, f->errors);
  cJSON_AddStringToObject(o, "use", k_use_names[f->use]);
  rollup_fn_extensions(o, f);
  return o;
}

/* One department (or the project totals) as a JSON object. */
static cJSON *rollup_dept_json(const struct cnsm_dept_stat *d,
                               const char *key) {
  static const char *const keys[] = {
      "functions",   "called",   "underused", "calls",     "errors",
      "error_rate",  "total_ms", "mean_ms",   "median_ms", "contribution",
      "value_share", "oee",      "debt"};
  const double vals[] = {(double)d->functions,
                         (double)d->called,
                         (double)d->underused,
                         (double)d->calls,
                         (double)d->errors,
                         d->error_rate,
                         d->total_ms,
                         d->mean_ms,
                         d->median_ms,
                         d->contribution,
                         d->value_share,
                         d->oee,
                         d->debt};
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, key, d->name);
  rollup_numbers(o, keys, vals, sizeof vals / sizeof *vals);
  rollup_exact_counts(o, d->calls, d->errors);
  return o;
}

/* Orders function pointers by debt (descending), then name. */
static int rollup_by_debt(const void *a, const void *b) {
  const struct cnsm_fn_stat *x = *(const struct cnsm_fn_stat *const *)a;
  const struct cnsm_fn_stat *y = *(const struct cnsm_fn_stat *const *)b;
  if (x->debt != y->debt)
    return x->debt < y->debt ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* The heatmap: one row per department (in department order), its
 * functions with debt > 0 as cells by debt, intensity = debt / max. */
static cJSON *rollup_heatmap_json(const struct cnsm_rollup *r,
                                  const struct cnsm_fn_stat **by_debt) {
  double max = r->nfn ? by_debt[0]->debt : 0;
  cJSON *h = cJSON_CreateObject();
  cJSON_AddNumberToObject(h, "max_debt", max);
  cJSON *rows = cJSON_AddArrayToObject(h, "rows");
  for (size_t d = 0; d < r->ndept; d++) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "department", r->dept[d].name);
    cJSON_AddNumberToObject(row, "debt", r->dept[d].debt);
    cJSON *cells = cJSON_AddArrayToObject(row, "cells");
    for (size_t i = 0; i < r->nfn && by_debt[i]->debt > 0; i++) {
      const struct cnsm_fn_stat *f = by_debt[i];
      if (strcmp(f->department, r->dept[d].name) != 0)
        continue;
      cJSON *c = cJSON_CreateObject();
      cJSON_AddStringToObject(c, "name", f->name);
      cJSON_AddNumberToObject(c, "debt", f->debt);
      cJSON_AddNumberToObject(c, "error_rate", f->error_rate);
      cJSON_AddNumberToObject(c, "contribution", f->contribution);
      cJSON_AddNumberToObject(c, "intensity", max > 0 ? f->debt / max : 0);
      cJSON_AddItemToArray(cells, c);
    }
    cJSON_AddItemToArray(rows, row);
  }
  return h;
}

/* A string, or null for NULL. */
static cJSON *rollup_string_or_null(const char *s) {
  return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The label filter (null: every value) and the labels there are. */
static cJSON *rollup_labels_json(const struct cnsm_rollup *r) {
  cJSON *l = cJSON_CreateObject();
  cJSON_AddItemToObject(l, "version", rollup_string_or_null(r->version));
  cJSON_AddItemToObject(l, "instance", rollup_string_or_null(r->instance));
  cJSON *v = cJSON_AddArrayToObject(l, "versions");
  for (size_t i = 0; i < r->nversions; i++)
    cJSON_AddItemToArray(v, cJSON_CreateString(r->versions[i]));
  cJSON *in = cJSON_AddArrayToObject(l, "instances");
  for (size_t i = 0; i < r->ninstances; i++)
    cJSON_AddItemToArray(in, cJSON_CreateString(r->instances[i]));
  return l;
}

/* The roll-ups as JSON; see rollup.h. */
cJSON *cnsm_rollup_json(const struct cnsm_rollup *r, size_t fn_limit) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "project", r->project);
  cJSON *w = cJSON_AddObjectToObject(o, "window");
  cJSON_AddNumberToObject(w, "since_s", (double)r->since);
  cJSON_AddNumberToObject(w, "until_s", (double)r->until);
  cJSON_AddNumberToObject(w, "from", (double)r->from);
  cJSON_AddNumberToObject(w, "to", (double)r->now);
  cJSON_AddNumberToObject(w, "step_s", (double)r->step);
  cJSON_AddItemToObject(o, "labels", rollup_labels_json(r));

  cJSON *nsm = cJSON_AddObjectToObject(o, "nsm");
  cJSON_AddStringToObject(nsm, "name", "value delivered");
  cJSON_AddStringToObject(nsm, "formula",
                          "sum of value_weight x (calls - errors)");
  cJSON_AddNumberToObject(nsm, "value", r->nsm);
  if (r->has_previous)
    cJSON_AddNumberToObject(nsm, "previous", r->nsm_previous);
  else
    cJSON_AddNullToObject(nsm, "previous");
  cJSON *trend = cJSON_AddArrayToObject(nsm, "trend");
  for (size_t i = 0; i < r->ntrend; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "t", (double)r->trend[i].t);
    cJSON_AddNumberToObject(p, "value", r->trend[i].value);
    cJSON_AddItemToArray(trend, p);
  }
  cJSON_AddItemToObject(o, "totals", rollup_dept_json(&r->total, "project"));

  cJSON *deps = cJSON_AddArrayToObject(o, "departments");
  for (size_t i = 0; i < r->ndept; i++)
    cJSON_AddItemToArray(deps, rollup_dept_json(&r->dept[i], "department"));

  cJSON *fns = cJSON_AddArrayToObject(o, "functions");
  cJSON *top = cJSON_AddArrayToObject(o, "top_contributors");
  cJSON *under = cJSON_AddArrayToObject(o, "underused");
  for (size_t i = 0; i < r->nfn; i++) {
    const struct cnsm_fn_stat *f = &r->fn[i];
    if (fn_limit == 0 || i < fn_limit)
      cJSON_AddItemToArray(fns, cnsm_rollup_fn_json(f));
    if (i < 10 && f->contribution > 0)
      cJSON_AddItemToArray(top, cnsm_rollup_fn_json(f));
  }
  /* Underused, least used first: iterate from the tail (lowest value). */
  size_t nunder = 0;
  for (size_t i = r->nfn; i-- > 0 && nunder < 50;)
    if (r->fn[i].use != CNSM_USE_OK) {
      cJSON_AddItemToArray(under, cnsm_rollup_fn_json(&r->fn[i]));
      nunder++;
    }
  cJSON_AddNumberToObject(o, "functions_total", (double)r->nfn);

  const struct cnsm_fn_stat **by_debt =
      malloc((r->nfn ? r->nfn : 1) * sizeof *by_debt); // NOLINT: pointers
  if (by_debt != NULL) {
    for (size_t i = 0; i < r->nfn; i++)
      by_debt[i] = &r->fn[i];
    rollup_sort(by_debt, r->nfn, sizeof *by_debt, // NOLINT: pointers
                rollup_by_debt);
    cJSON *debt = cJSON_AddArrayToObject(o, "debt");
    for (size_t i = 0; i < r->nfn && i < 10 && by_debt[i]->debt > 0; i++)
      cJSON_AddItemToArray(debt, cnsm_rollup_fn_json(by_debt[i]));
    cJSON_AddItemToObject(o, "heatmap", rollup_heatmap_json(r, by_debt));
    free(by_debt);
  }
  return o;
}
