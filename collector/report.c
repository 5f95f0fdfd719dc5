/* SPDX-License-Identifier: Apache-2.0
 *
 * report.c - the report CLI.
 *
 * How it works: for each project asked for, cnsm_rollup_compute gives
 * the figures; --json prints cnsm_rollup_json of each inside one
 * document, otherwise they are laid out as aligned text tables: the
 * North-Star Metric and its change, department KPIs, the top functions
 * by value, the debt that hurts and the underused code.  Nothing is
 * computed here that rollup.c does not define. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "rollup.h"
#include "util.h"

#define REPORT_TOP 30

/* Prints s cut to at most width bytes without splitting a UTF-8
 * character, marking a cut with "~", padded to width. */
static void report_cell(FILE *out, const char *s, int width) {
  int n = (int)strlen(s);
  if (n <= width) {
    fprintf(out, "%-*s", width, s);
    return;
  }
  int cut = width - 1;
  while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
    cut--;
  fprintf(out, "%.*s~%*s", cut, s, width - 1 - cut, "");
}

/* One function row of the tables. */
static void report_fn_row(FILE *out, const struct cnsm_fn_stat *f) {
  report_cell(out, f->name, 44);
  fputc(' ', out);
  report_cell(out, f->department, 14);
  fprintf(out, " %6g %10lld %8lld %7.2f%% %10.3f %12.6g %5.3f %10.6g\n",
          f->value_weight, (long long)f->calls, (long long)f->errors,
          100 * f->error_rate, f->mean_ms, f->contribution, f->oee, f->debt);
}

static void report_fn_header(FILE *out) {
  fprintf(out, "%-44s %-14s %6s %10s %8s %8s %10s %12s %5s %10s\n", "FUNCTION",
          "DEPARTMENT", "WEIGHT", "CALLS", "ERRORS", "ERR%", "MEAN_MS", "VALUE",
          "OEE", "DEBT");
}

/* Prints one project's roll-ups as tables. */
static void report_table(FILE *out, const struct cnsm_rollup *r,
                         const char *since_text) {
  fprintf(out, "== project %s, window %s", r->project, since_text);
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
          "(%.2f%%), mean %.3f ms, OEE %.3f, debt %.6g\n\n",
          r->total.functions, r->total.called, (long long)r->total.calls,
          (long long)r->total.errors, 100 * r->total.error_rate,
          r->total.mean_ms, r->total.oee, r->total.debt);

  fprintf(out, "%-24s %6s %10s %8s %8s %10s %12s %6s %5s %10s %6s\n",
          "DEPARTMENT", "FUNCS", "CALLS", "ERRORS", "ERR%", "MEAN_MS", "VALUE",
          "SHARE", "OEE", "DEBT", "UNDER");
  for (size_t i = 0; i < r->ndept; i++) {
    const struct cnsm_dept_stat *d = &r->dept[i];
    report_cell(out, d->name, 24);
    fprintf(
        out,
        " %6zu %10lld %8lld %7.2f%% %10.3f %12.6g %5.1f%% %5.3f %10.6g %6zu\n",
        d->functions, (long long)d->calls, (long long)d->errors,
        100 * d->error_rate, d->mean_ms, d->contribution, 100 * d->value_share,
        d->oee, d->debt, d->underused);
  }

  fprintf(out, "\nTop functions by value:\n");
  report_fn_header(out);
  for (size_t i = 0; i < r->nfn && i < REPORT_TOP; i++)
    report_fn_row(out, &r->fn[i]);
  if (r->nfn > REPORT_TOP)
    fprintf(out, "... %zu more (report --json lists them all)\n",
            r->nfn - REPORT_TOP);

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
      report_cell(out, r->fn[i].name, 60);
      fprintf(out, " %s\n", r->fn[i].department);
      any = 1;
    }
  if (!any)
    fprintf(out, "  none\n");
  fputc('\n', out);
}

/* Runs the report; see report.h. */
int cnsm_report_run(struct cnsm_conn *db, const char *project, int64_t since,
                    const char *since_text,
                    const struct cnsm_label_filter *labels, int json,
                    FILE *out) {
  char **names = NULL;
  size_t n = 0;
  if (cnsm_rollup_projects(db, &names, &n) != 0)
    return -1;
  int rc = 0, found = 0;
  int64_t now = cnsm_now_s();
  cJSON *doc = cJSON_CreateObject(), *arr = NULL;
  cJSON_AddNumberToObject(doc, "generated_at", (double)now);
  cJSON_AddStringToObject(doc, "since", since_text);
  arr = cJSON_AddArrayToObject(doc, "projects");
  for (size_t i = 0; i < n && rc == 0; i++) {
    if (project != NULL && strcmp(project, names[i]) != 0)
      continue;
    found = 1;
    struct cnsm_rollup r;
    if (cnsm_rollup_compute(db, names[i], since, now, labels, &r) != 0)
      rc = -1;
    else if (json)
      cJSON_AddItemToArray(arr, cnsm_rollup_json(&r, 0));
    else
      report_table(out, &r, since_text);
    cnsm_rollup_free(&r);
  }
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
