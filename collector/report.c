/* SPDX-License-Identifier: Apache-2.0
 *
 * report.c - the report CLI.
 *
 * How it works: for each project asked for, cnsm_rollup_compute gives
 * the figures; --json prints cnsm_rollup_json of each inside one
 * document, otherwise they are laid out as aligned text tables: the
 * North-Star Metric and its change, department KPIs, the top functions
 * by value, the debt that hurts and the underused code.  Nothing is
 * computed here that rollup.c does not define.  --sort, --limit and
 * --filter choose the per-function listing (struct cnsm_report_view),
 * here in C over the rolled-up rows, so every backend lists the same. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "report_cells.h"
#include "rollup.h"
#include "util.h"

#define REPORT_TOP 30 /* the table's listing without --limit */

/* A per-function field --sort takes: a figure (key, sorted descending,
 * largest first) or a text (text, ascending). */
struct report_field {
  const char *name;
  double (*key)(const struct cnsm_fn_stat *f);
  const char *(*text)(const struct cnsm_fn_stat *f);
};

static double key_weight(const struct cnsm_fn_stat *f) {
  return f->value_weight;
}
static double key_calls(const struct cnsm_fn_stat *f) {
  return (double)f->calls;
}
static double key_errors(const struct cnsm_fn_stat *f) {
  return (double)f->errors;
}
static double key_error_rate(const struct cnsm_fn_stat *f) {
  return f->error_rate;
}
static double key_mean(const struct cnsm_fn_stat *f) { return f->mean_ms; }
static double key_total(const struct cnsm_fn_stat *f) { return f->total_ms; }
static double key_value(const struct cnsm_fn_stat *f) {
  return f->contribution;
}
static double key_oee(const struct cnsm_fn_stat *f) { return f->oee; }
/* Percentiles are -1 when unknown: last, below every measured time. */
static double key_p50(const struct cnsm_fn_stat *f) { return f->p50_ms; }
static double key_p95(const struct cnsm_fn_stat *f) { return f->p95_ms; }
static double key_p99(const struct cnsm_fn_stat *f) { return f->p99_ms; }
static double key_debt(const struct cnsm_fn_stat *f) { return f->debt; }
/* Self time is -1 when unknown: last, as percentiles. */
static double key_self(const struct cnsm_fn_stat *f) { return f->self_ms; }
static const char *text_name(const struct cnsm_fn_stat *f) { return f->name; }
static const char *text_department(const struct cnsm_fn_stat *f) {
  return f->department;
}

/* In the order of CNSM_REPORT_SORT_FIELDS. */
static const struct report_field k_fields[] = {
    {"name", NULL, text_name},    {"department", NULL, text_department},
    {"weight", key_weight, NULL}, {"calls", key_calls, NULL},
    {"errors", key_errors, NULL}, {"error_rate", key_error_rate, NULL},
    {"mean", key_mean, NULL},     {"total", key_total, NULL},
    {"value", key_value, NULL},   {"oee", key_oee, NULL},
    {"debt", key_debt, NULL},     {"p50", key_p50, NULL},
    {"p95", key_p95, NULL},       {"p99", key_p99, NULL},
    {"self", key_self, NULL},
};

static const struct report_field *report_field(const char *name) {
  for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0]; i++)
    if (strcmp(k_fields[i].name, name) == 0)
      return &k_fields[i];
  return NULL;
}

/* Whether field can be sorted by; see report.h. */
int cnsm_report_sort_valid(const char *field) {
  return report_field(field) != NULL;
}

/* A function of the listing with its sort key, computed once. */
struct report_row {
  const struct cnsm_fn_stat *f;
  double key;
  const char *text; /* the key when sorting by a text, else NULL */
  size_t pos;       /* in the roll-up's order: ties keep it */
};

static int report_row_cmp(const void *pa, const void *pb) {
  const struct report_row *a = pa, *b = pb;
  int c = a->text != NULL ? strcmp(a->text, b->text)
                          : (b->key > a->key) - (b->key < a->key);
  if (c == 0)
    c = (a->pos > b->pos) - (a->pos < b->pos);
  return c;
}

/* The functions of r whose name contains the view's filter, in the
 * view's order (the roll-up's, by value, without --sort): a malloc'd
 * array of *n rows, or NULL with *n 0 when none match or out of memory
 * (then the listing is empty rather than the report failing). */
static struct report_row *report_select(const struct cnsm_rollup *r,
                                        const struct cnsm_report_view *v,
                                        size_t *n) {
  const struct report_field *by = v->sort ? report_field(v->sort) : NULL;
  struct report_row *rows = malloc((r->nfn ? r->nfn : 1) * sizeof *rows);
  *n = 0;
  if (rows == NULL)
    return NULL;
  for (size_t i = 0; i < r->nfn; i++) {
    const struct cnsm_fn_stat *f = &r->fn[i];
    if (v->filter != NULL && strstr(f->name, v->filter) == NULL)
      continue;
    struct report_row *row = &rows[(*n)++];
    row->f = f;
    row->pos = i;
    row->text = by && by->text ? by->text(f) : NULL;
    row->key = by && by->key ? by->key(f) : 0;
  }
  if (by != NULL)
    qsort(rows, *n, sizeof *rows, report_row_cmp);
  return rows;
}

/* One function row of the tables. */
static void report_fn_row(FILE *out, const struct cnsm_fn_stat *f) {
  cnsm_report_cell(out, f->name, 44);
  fputc(' ', out);
  cnsm_report_cell(out, f->department, 14);
  fprintf(out, " %6g %10lld %8lld %7.2f%%", f->value_weight,
          (long long)f->calls, (long long)f->errors, 100 * f->error_rate);
  if (cnsm_fn_timed(f))
    cnsm_report_time_cell(out, f->mean_ms, 10);
  else
    fprintf(out, " %10s", "not timed");
  cnsm_report_time_cell(out, f->self_ms, 10);
  cnsm_report_time_cell(out, f->p95_ms, 10);
  fprintf(out, " %12.6g %5.3f %10.6g\n", f->contribution, f->oee, f->debt);
}

static void report_fn_header(FILE *out) {
  fprintf(out, "%-44s %-14s %6s %10s %8s %8s %10s %10s %10s %12s %5s %10s\n",
          "FUNCTION", "DEPARTMENT", "WEIGHT", "CALLS", "ERRORS", "ERR%", "MEAN",
          "SELF", "P95", "VALUE", "OEE", "DEBT");
}

/* The per-function listing: the view's choice, at most its limit (30
 * without one), saying how many matched and how many were left out. */
static void report_listing(FILE *out, const struct cnsm_rollup *r,
                           const struct cnsm_report_view *v) {
  size_t n;
  struct report_row *rows = report_select(r, v, &n);
  size_t limit = v->limit ? v->limit : REPORT_TOP;
  if (v->sort != NULL)
    fprintf(out, "\nFunctions by %s", v->sort);
  else
    fprintf(out, "\nTop functions by value");
  if (v->filter != NULL)
    fprintf(out, " whose name contains \"%s\" (%zu of %zu)", v->filter, n,
            r->nfn);
  fprintf(out, ":\n");
  if (n == 0)
    fprintf(out, "  none\n");
  else
    report_fn_header(out);
  for (size_t i = 0; i < n && i < limit; i++)
    report_fn_row(out, rows[i].f);
  if (n > limit)
    fprintf(out, "... %zu more (a larger --limit shows them)\n", n - limit);
  free(rows);
}

/* Prints one project's roll-ups as tables. */
static void report_table(FILE *out, const struct cnsm_rollup *r,
                         const struct cnsm_report_window *w,
                         const struct cnsm_report_view *v) {
  fprintf(out, "== project %s, window %s", r->project, w->since_text);
  if (w->until > 0)
    fprintf(out, " ending %s ago", w->until_text);
  if (r->version != NULL)
    fprintf(out, ", version \"%s\"", r->version);
  if (r->instance != NULL)
    fprintf(out, ", instance \"%s\"", r->instance);
  fprintf(out, " ==\n");
  fprintf(out,
          "North-Star Metric (value delivered = sum of weight x successful "
          "calls): %.6g",
          r->nsm);
  if (r->has_previous && r->nsm_previous > 0)
    fprintf(out, "  (previous window %.6g, %+.1f%%)", r->nsm_previous,
            100 * (r->nsm - r->nsm_previous) / r->nsm_previous);
  fprintf(out,
          "\nTotals: %zu functions (%zu called), %lld calls, %lld errors "
          "(%.2f%%), mean ",
          r->total.functions, r->total.called, (long long)r->total.calls,
          (long long)r->total.errors, 100 * r->total.error_rate);
  char mean[32];
  cnsm_report_time(mean, sizeof mean, r->total.mean_ms);
  fprintf(out, "%s, OEE %.3f, debt %.6g\n\n", mean, r->total.oee,
          r->total.debt);

  fprintf(out, "%-24s %6s %10s %8s %8s %10s %12s %6s %5s %10s %6s\n",
          "DEPARTMENT", "FUNCS", "CALLS", "ERRORS", "ERR%", "MEAN", "VALUE",
          "SHARE", "OEE", "DEBT", "UNDER");
  for (size_t i = 0; i < r->ndept; i++) {
    const struct cnsm_dept_stat *d = &r->dept[i];
    cnsm_report_cell(out, d->name, 24);
    fprintf(out, " %6zu %10lld %8lld %7.2f%%", d->functions,
            (long long)d->calls, (long long)d->errors, 100 * d->error_rate);
    cnsm_report_time_cell(out, d->mean_ms, 10);
    fprintf(out, " %12.6g %5.1f%% %5.3f %10.6g %6zu\n", d->contribution,
            100 * d->value_share, d->oee, d->debt, d->underused);
  }

  report_listing(out, r, v);

  fprintf(out, "\nDebt that hurts (error rate x contribution):\n");
  int any = 0;
  for (size_t i = 0; i < r->nfn; i++)
    if (r->fn[i].debt > 0) {
      if (!any)
        report_fn_header(out);
      report_fn_row(out, &r->fn[i]);
      any = 1;
    }
  if (!any)
    fprintf(out, "  none\n");

  fprintf(out, "\nUnderused (never or rarely called in the window: candidates "
               "to retire):\n");
  any = 0;
  for (size_t i = r->nfn; i-- > 0;)
    if (r->fn[i].use != CNSM_USE_OK) {
      fprintf(out, "  %-6s %10lld  ",
              r->fn[i].use == CNSM_USE_NEVER ? "never" : "rare",
              (long long)r->fn[i].calls);
      cnsm_report_cell(out, r->fn[i].name, 60);
      fprintf(out, " %s\n", r->fn[i].department);
      any = 1;
    }
  if (!any)
    fprintf(out, "  none\n");
  fputc('\n', out);
}

/* One project's roll-ups as JSON, "functions" being the view's choice
 * (the roll-up's own list of them all is replaced: the other lists,
 * top_contributors, debt, underused and heatmap, stay over all). */
static cJSON *report_json(const struct cnsm_rollup *r,
                          const struct cnsm_report_view *v) {
  cJSON *o = cnsm_rollup_json(r, 0);
  size_t n;
  struct report_row *rows = report_select(r, v, &n);
  cJSON *fns = cJSON_CreateArray();
  for (size_t i = 0; i < n && (v->limit == 0 || i < v->limit); i++)
    cJSON_AddItemToArray(fns, cnsm_rollup_fn_json(rows[i].f));
  cJSON_ReplaceItemInObjectCaseSensitive(o, "functions", fns);
  free(rows);
  return o;
}

/* Starts a report over the projects; see report.h. */
cJSON *cnsm_report_start(struct cnsm_conn *db,
                         const struct cnsm_report_window *window, int64_t now,
                         char ***names, size_t *n) {
  if (cnsm_rollup_projects(db, names, n) != 0)
    return NULL;
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddNumberToObject(doc, "generated_at", (double)now);
  cJSON_AddStringToObject(doc, "since", window->since_text);
  cJSON_AddStringToObject(doc, "until", window->until_text);
  return doc;
}

/* Ends a report over the projects; see report.h. */
int cnsm_report_finish(FILE *out, cJSON *doc, int json, char **names, size_t n,
                       const char *project, int found, int rc) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  if (rc == 0 && json) {
    char *s = cJSON_Print(doc);
    fprintf(out, "%s\n", s);
    free(s);
  } else if (rc == 0 && !found) {
    fprintf(out, project ? "no project named %s\n" : "no projects yet%s\n",
            project ? project : "");
  }
  cJSON_Delete(doc);
  if (rc == 0 && project != NULL && !found)
    rc = 1;
  return rc;
}

/* Runs the report; see report.h. */
int cnsm_report_run(struct cnsm_conn *db, const char *project,
                    const struct cnsm_report_window *window,
                    const struct cnsm_label_filter *labels,
                    const struct cnsm_report_view *view, FILE *out) {
  char **names = NULL;
  size_t n = 0;
  int64_t now = cnsm_now_s();
  cJSON *doc = cnsm_report_start(db, window, now, &names, &n);
  if (!doc)
    return -1;
  int rc = 0, found = 0;
  cJSON *arr = cJSON_AddArrayToObject(doc, "projects");
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (project != NULL && strcmp(project, names[i]) != 0)
      continue;
    found = 1;
    struct cnsm_rollup r;
    if (cnsm_rollup_compute(db, names[i], window->since, window->until, now,
                            labels, &r) != 0)
      rc = -1;
    else if (view->json)
      cJSON_AddItemToArray(arr, report_json(&r, view));
    else
      report_table(out, &r, window, view);
    cnsm_rollup_free(&r);
  }
  return cnsm_report_finish(out, doc, view->json, names, n, project, found, rc);
}
