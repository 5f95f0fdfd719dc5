/* SPDX-License-Identifier: Apache-2.0
 *
 * report_compare.c - `report --compare`: what changed, function by
 * function, between the window and a baseline window, regressions first
 * (the way `uftrace report --diff` sets two runs side by side).
 *
 * How it works: the window (--since, --until) and its baseline are two
 * roll-ups (cnsm_rollup_compute) of one clock reading, so "previous"
 * ends exactly where the window begins, with no minute in both
 * (cnsm_rollup_window).  Functions are matched by name.  Each gets a
 * regression score - the larger relative growth, from the baseline to
 * the window, of its time per call (mean) and of its error rate; errors
 * where there were none grow without bound - the score the dashboard's
 * comparison orders by, and a status: new, gone, regressed, improved or
 * unchanged.  Regressions come first, the worst first, then the rest by
 * calls in both windows, then by name.  Only functions called in either
 * window are listed.  No figure is new here: calls, errors, error rate,
 * mean and p95 are rollup.c's. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_cells.h"
#include "util.h"

#define COMPARE_TOP 30 /* the table's rows without --limit */

/* Stands for a function in a window whose roll-up does not list it. */
static const struct cnsm_fn_stat k_absent = {
    .p50_ms = -1, .p95_ms = -1, .p99_ms = -1, .self_ms = -1};

/* One function in the window (now) and in the baseline (before). */
struct compare_row {
  const char *name, *department;
  const struct cnsm_fn_stat *now, *before;
  double regression;
  const char *status;
};

/* How much y grew against x, relatively: 0 when it did not grow,
 * HUGE_VAL when it grew from nothing. */
static double compare_growth(double x, double y) {
  if (y <= x)
    return 0;
  return x > 0 ? (y - x) / x : HUGE_VAL;
}

/* Fills the row's score and status from its two stats. */
static void compare_score(struct compare_row *row) {
  const struct cnsm_fn_stat *a = row->before, *b = row->now;
  row->regression = 0;
  if (a->calls == 0) {
    row->status = "new";
    return;
  }
  if (b->calls == 0) {
    row->status = "gone";
    return;
  }
  double mean = compare_growth(a->mean_ms, b->mean_ms);
  double errors = compare_growth(a->error_rate, b->error_rate);
  row->regression = mean > errors ? mean : errors;
  if (row->regression > 0)
    row->status = "regressed";
  else if (a->mean_ms > b->mean_ms || a->error_rate > b->error_rate)
    row->status = "improved"; /* neither grew, and one fell */
  else
    row->status = "unchanged";
}

/* Regressions first, the worst first; then by calls in both windows,
 * largest first; then by name. */
static int compare_order(const void *pa, const void *pb) {
  const struct compare_row *x = pa, *y = pb;
  if (x->regression != y->regression)
    return x->regression < y->regression ? 1 : -1;
  int64_t cx = x->now->calls + x->before->calls;
  int64_t cy = y->now->calls + y->before->calls;
  if (cx != cy)
    return cx < cy ? 1 : -1;
  return strcmp(x->name, y->name);
}

static int compare_by_name(const void *a, const void *b) {
  return strcmp((*(const struct cnsm_fn_stat *const *)a)->name,
                (*(const struct cnsm_fn_stat *const *)b)->name);
}

/* Adds the row of now and before (either may be k_absent) when the
 * function was called in either window and its name passes the filter. */
static void compare_add(struct compare_row *rows, size_t *n,
                        const struct cnsm_fn_stat *now,
                        const struct cnsm_fn_stat *before, const char *filter) {
  const struct cnsm_fn_stat *named = now != &k_absent ? now : before;
  if ((now->calls == 0 && before->calls == 0) || named->name == NULL)
    return; /* not called in either (k_absent has no name) */
  if (filter != NULL && strstr(named->name, filter) == NULL)
    return;
  struct compare_row *row = &rows[(*n)++];
  row->name = named->name;
  row->department = named->department;
  row->now = now;
  row->before = before;
  compare_score(row);
}

/* Matches the functions of both roll-ups by name: a malloc'd array of
 * *n rows in the comparison's order, or NULL (*n 0) out of memory. */
static struct compare_row *compare_rows(const struct cnsm_rollup *now,
                                        const struct cnsm_rollup *before,
                                        const char *filter, size_t *n) {
  size_t cap = now->nfn + before->nfn;
  struct compare_row *rows = malloc((cap ? cap : 1) * sizeof *rows);
  const struct cnsm_fn_stat **by_name =
      malloc((before->nfn ? before->nfn : 1) * sizeof(struct cnsm_fn_stat *));
  unsigned char *matched = calloc(before->nfn ? before->nfn : 1, 1);
  *n = 0;
  if (rows && by_name && matched) {
    for (size_t i = 0; i < before->nfn; i++)
      by_name[i] = &before->fn[i];
    if (before->nfn > 1)
      qsort(by_name, before->nfn, sizeof(struct cnsm_fn_stat *),
            compare_by_name);
    for (size_t i = 0; i < now->nfn; i++) {
      const struct cnsm_fn_stat *key = &now->fn[i], **hit = NULL;
      if (before->nfn > 0)
        hit = bsearch(&key, by_name, before->nfn, sizeof(struct cnsm_fn_stat *),
                      compare_by_name);
      if (hit != NULL)
        matched[hit - by_name] = 1;
      compare_add(rows, n, key, hit ? *hit : &k_absent, filter);
    }
    for (size_t i = 0; i < before->nfn; i++)
      if (!matched[i]) /* listed in the baseline only */
        compare_add(rows, n, &k_absent, by_name[i], filter);
    if (*n > 1)
      qsort(rows, *n, sizeof *rows, compare_order);
  }
  free(by_name);
  free(matched);
  if (rows == NULL || *n == 0) {
    free(rows);
    *n = 0;
    return NULL;
  }
  return rows;
}

/* A figure, or null when negative (not known). */
static cJSON *compare_number(double v) {
  return v >= 0 ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* The relative change from x to y, or NAN when there is none to give
 * (x or y unknown, or x zero). */
static double compare_change(double x, double y) {
  return x > 0 && y >= 0 ? (y - x) / x : NAN;
}

/* A relative change, or null when there is none. */
static cJSON *compare_change_json(double change) {
  return isnan(change) ? cJSON_CreateNull() : cJSON_CreateNumber(change);
}

/* A function's figures in one window under the keys name and
 * name_before: error rate, mean and p95 are null without calls. */
static void compare_fn_figures(cJSON *o, const struct compare_row *row) {
  static const char *const keys[][2] = {{"error_rate", "error_rate_before"},
                                        {"mean_ms", "mean_ms_before"},
                                        {"p95_ms", "p95_ms_before"}};
  const struct cnsm_fn_stat *w[2] = {row->now, row->before};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; i < 2; i++) {
      double v = k == 0   ? w[i]->error_rate
                 : k == 1 ? w[i]->mean_ms
                          : w[i]->p95_ms;
      cJSON_AddItemToObject(o, keys[k][i],
                            compare_number(w[i]->calls > 0 ? v : -1));
    }
}

/* One function as JSON. */
static cJSON *compare_fn_json(const struct compare_row *row) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", row->name);
  cJSON_AddStringToObject(o, "department", row->department);
  cJSON_AddStringToObject(o, "status", row->status);
  cJSON_AddNumberToObject(o, "calls", (double)row->now->calls);
  cJSON_AddNumberToObject(o, "calls_before", (double)row->before->calls);
  cJSON_AddNumberToObject(o, "errors", (double)row->now->errors);
  cJSON_AddNumberToObject(o, "errors_before", (double)row->before->errors);
  compare_fn_figures(o, row);
  int both = row->now->calls > 0 && row->before->calls > 0;
  cJSON_AddItemToObject(
      o, "mean_change",
      compare_change_json(
          both ? compare_change(row->before->mean_ms, row->now->mean_ms)
               : NAN));
  cJSON_AddItemToObject(
      o, "p95_change",
      compare_change_json(
          both ? compare_change(row->before->p95_ms, row->now->p95_ms) : NAN));
  return o;
}

/* A window as JSON: its lengths and first and last seconds. */
static cJSON *compare_window_json(const struct cnsm_rollup *r) {
  cJSON *w = cJSON_CreateObject();
  cJSON_AddNumberToObject(w, "since_s", (double)r->since);
  cJSON_AddNumberToObject(w, "until_s", (double)r->until);
  cJSON_AddNumberToObject(w, "from", (double)r->from);
  cJSON_AddNumberToObject(w, "to", (double)r->now);
  return w;
}

/* One project's comparison as JSON. */
static cJSON *compare_json(const struct cnsm_rollup *now,
                           const struct cnsm_rollup *before,
                           const struct compare_row *rows, size_t n,
                           size_t limit) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "project", now->project);
  cJSON_AddItemToObject(o, "window", compare_window_json(now));
  cJSON_AddItemToObject(o, "baseline", compare_window_json(before));
  cJSON *fns = cJSON_AddArrayToObject(o, "functions");
  for (size_t i = 0; i < n && (limit == 0 || i < limit); i++)
    cJSON_AddItemToArray(fns, compare_fn_json(&rows[i]));
  return o;
}

/* A right-aligned cell: a space, then text in width columns. */
static void compare_cell(FILE *out, const char *text, int width) {
  fputc(' ', out);
  cnsm_report_right(out, text, width);
}

/* A relative change as a cell: "+100.0%", or "-" when there is none. */
static void compare_change_cell(FILE *out, double change) {
  char buf[32] = "-";
  if (!isnan(change))
    snprintf(buf, sizeof buf, "%+.1f%%", 100 * change);
  compare_cell(out, buf, 8);
}

/* An error rate as a cell, or "-" without calls. */
static void compare_rate_cell(FILE *out, const struct cnsm_fn_stat *f) {
  char buf[32] = "-";
  if (f->calls > 0)
    snprintf(buf, sizeof buf, "%.2f%%", 100 * f->error_rate);
  compare_cell(out, buf, 8);
}

static void compare_header(FILE *out) {
  fprintf(out, "%-40s %-9s %10s %10s %8s %8s %10s %10s %8s %10s %10s %8s\n",
          "FUNCTION", "STATUS", "CALLS", "BEFORE", "ERR%", "BEFORE", "MEAN",
          "BEFORE", "CHANGE", "P95", "BEFORE", "CHANGE");
}

/* One function's row of the table. */
static void compare_line(FILE *out, const struct compare_row *row) {
  const struct cnsm_fn_stat *a = row->before, *b = row->now;
  int both = a->calls > 0 && b->calls > 0;
  cnsm_report_cell(out, row->name, 40);
  fprintf(out, " %-9s %10lld %10lld", row->status, (long long)b->calls,
          (long long)a->calls);
  compare_rate_cell(out, b);
  compare_rate_cell(out, a);
  cnsm_report_time_cell(out, b->calls > 0 ? b->mean_ms : -1, 10);
  cnsm_report_time_cell(out, a->calls > 0 ? a->mean_ms : -1, 10);
  compare_change_cell(out, both ? compare_change(a->mean_ms, b->mean_ms) : NAN);
  cnsm_report_time_cell(out, b->p95_ms, 10);
  cnsm_report_time_cell(out, a->p95_ms, 10);
  compare_change_cell(out, both ? compare_change(a->p95_ms, b->p95_ms) : NAN);
  fputc('\n', out);
}

/* The seconds from and to of a window, in UTC, as "from A to B UTC". */
static void compare_span(FILE *out, const struct cnsm_rollup *r) {
  char a[32], b[32];
  struct tm tm;
  time_t from = (time_t)r->from, to = (time_t)r->now;
  strftime(a, sizeof a, "%Y-%m-%d %H:%M:%S", gmtime_r(&from, &tm));
  strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", gmtime_r(&to, &tm));
  fprintf(out, "from %s to %s UTC", a, b);
}

/* One project's comparison as a table. */
static void compare_table(FILE *out, const struct cnsm_rollup *now,
                          const struct cnsm_rollup *before,
                          const struct cnsm_report_window *w,
                          const struct cnsm_report_baseline *base,
                          const struct compare_row *rows, size_t n,
                          size_t limit) {
  fprintf(out, "== project %s, window %s", now->project, w->since_text);
  if (w->until > 0)
    fprintf(out, " ending %s ago", w->until_text);
  if (base->shift > 0)
    fprintf(out, " against the same window %s earlier", base->text);
  else
    fprintf(out, " against the %s before it", w->since_text);
  if (now->version != NULL)
    fprintf(out, ", version \"%s\"", now->version);
  if (now->instance != NULL)
    fprintf(out, ", instance \"%s\"", now->instance);
  fprintf(out, " ==\nwindow:   ");
  compare_span(out, now);
  fprintf(out, "\nbaseline: ");
  compare_span(out, before);
  fprintf(out, "\n\nPer function, regressions first (the larger relative "
               "growth of time per call or\nerror rate), then by calls:\n");
  if (n == 0)
    fprintf(out, "  no calls in either window\n");
  else
    compare_header(out);
  for (size_t i = 0; i < n && i < limit; i++)
    compare_line(out, &rows[i]);
  if (n > limit)
    fprintf(out, "... %zu more (a larger --limit shows them)\n", n - limit);
  fputc('\n', out);
}

/* Compares one project: its window and baseline as of the clock reading
 * now, into doc's array (JSON) or out.  0 or -1. */
static int compare_project(struct cnsm_conn *db, const char *project,
                           int64_t now, const struct cnsm_report_window *w,
                           const struct cnsm_report_baseline *base,
                           const struct cnsm_label_filter *labels,
                           const struct cnsm_report_view *view, cJSON *arr,
                           FILE *out) {
  struct cnsm_rollup win, past;
  int rc =
      cnsm_rollup_compute(db, project, w->since, w->until, now, labels, &win);
  /* previous: it ends where the window's first minute begins */
  int64_t until = base->shift > 0 ? w->until + base->shift : now - win.from;
  if (rc == 0)
    rc = cnsm_rollup_compute(db, project, w->since, until, now, labels, &past);
  else
    memset(&past, 0, sizeof past);
  if (rc == 0) {
    size_t n;
    struct compare_row *rows = compare_rows(&win, &past, view->filter, &n);
    if (view->json)
      cJSON_AddItemToArray(arr,
                           compare_json(&win, &past, rows, n, view->limit));
    else
      compare_table(out, &win, &past, w, base, rows, n,
                    view->limit ? view->limit : COMPARE_TOP);
    free(rows);
  }
  cnsm_rollup_free(&past);
  cnsm_rollup_free(&win);
  return rc;
}

/* Runs the comparison; see report.h. */
int cnsm_report_compare(struct cnsm_conn *db, const char *project,
                        const struct cnsm_report_window *window,
                        const struct cnsm_report_baseline *baseline,
                        const struct cnsm_label_filter *labels,
                        const struct cnsm_report_view *view, FILE *out) {
  char **names = NULL;
  size_t n = 0;
  int64_t now = cnsm_now_s();
  cJSON *doc = cnsm_report_start(db, window, now, &names, &n);
  if (!doc)
    return -1;
  int rc = 0, found = 0;
  cJSON_AddStringToObject(doc, "compare", baseline->text);
  cJSON *arr = cJSON_AddArrayToObject(doc, "projects");
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (project != NULL && strcmp(project, names[i]) != 0)
      continue;
    found = 1;
    rc = compare_project(db, names[i], now, window, baseline, labels, view, arr,
                         out);
  }
  return cnsm_report_finish(out, doc, view->json, names, n, project, found, rc);
}
