/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics_prom.c - GET /metrics in the Prometheus text exposition
 * format (version 0.0.4).
 *
 * Cumulative, all-time figures from cnsm_rollup_all_time (the running
 * sums beside the rows: a scrape reads a row per function, not the
 * millions of rows of counts; 39 s before on 6 million rows):
 *   codensm_calls_total{project,function,department}    counter
 *   codensm_errors_total{project,function,department}   counter
 *   codensm_seconds_total{project,function,department}  counter
 *   codensm_value_delivered{project}                    gauge (the NSM)
 *   codensm_functions{project}                          gauge
 *   codensm_function_latency_seconds{project,function,department,
 *                                    quantile="0.5|0.95|0.99"} summary
 * Label values are escaped as the format requires (\\, \", \n).
 * The latency quantiles are the all-time p50, p95 and p99 that the
 * roll-up reads off the stored histograms in one query for all functions
 * (rollup_hist.c), so a scrape costs no query per function; only
 * functions with timed calls (histogram counts) have them.  The summary
 * has no _sum and _count: they would repeat codensm_seconds_total and
 * codensm_calls_total, which count every call, while the quantiles come
 * from the timed ones only.
 * The per-function families list only functions called at least once
 * (all time), unless `serve --metrics-all-functions`: every function
 * makes three series in Prometheus, and a large program announces tens
 * of thousands it never calls.  A function's calls never go down, so a
 * series, once there, stays.  codensm_functions still counts them all. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rollup.h"
#include "util.h"

/* Writes s as a Prometheus label value (escaped, without quotes). */
static void prom_escape(FILE *f, const char *s) {
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\\\", f);
    else if (*s == '"')
      fputs("\\\"", f);
    else if (*s == '\n')
      fputs("\\n", f);
    else
      fputc(*s, f);
  }
}

/* Writes {project="..",function="..",department=".."}, with
 * quantile=".." last when quantile is not NULL. */
static void prom_labels(FILE *f, const char *project,
                        const struct cnsm_fn_stat *fn, const char *quantile) {
  fputs("{project=\"", f);
  prom_escape(f, project);
  if (fn != NULL) {
    fputs("\",function=\"", f);
    prom_escape(f, fn->name);
    fputs("\",department=\"", f);
    prom_escape(f, fn->department);
  }
  if (quantile != NULL)
    fprintf(f, "\",quantile=\"%s", quantile);
  fputs("\"}", f);
}

static const struct {
  const char *name, *type, *help;
} k_families[] = {
    {"codensm_calls_total", "counter",
     "Calls counted by CodeNSM, per function."},
    {"codensm_errors_total", "counter",
     "Calls that ended in an error, per function."},
    {"codensm_seconds_total", "counter",
     "Time spent in the function, in seconds."},
    {"codensm_value_delivered", "gauge",
     "North-Star Metric: sum of value_weight x successful calls, all time."},
    {"codensm_functions", "gauge", "Functions known (announced or called)."},
    {"codensm_function_latency_seconds", "summary",
     "Time per call, all time, from the timed calls' histograms (the "
     "midpoint of the bucket where the quantile falls)."},
};

#define PROM_LATENCY 5 /* the index of the summary in k_families */

/* Writes the latency quantiles of every function with timed calls. */
static void prom_latency(FILE *f, const struct cnsm_rollup *r) {
  for (size_t i = 0; i < r->nfn; i++) {
    const struct cnsm_fn_stat *fn = &r->fn[i];
    const double ms[] = {fn->p50_ms, fn->p95_ms, fn->p99_ms};
    static const char *const quantiles[] = {"0.5", "0.95", "0.99"};
    if (fn->p50_ms < 0)
      continue; /* no histogram counts: nothing timed */
    for (size_t q = 0; q < 3; q++) {
      fputs(k_families[PROM_LATENCY].name, f);
      prom_labels(f, r->project, fn, quantiles[q]);
      fprintf(f, " %.15g\n", ms[q] / 1000.0);
    }
  }
}

/* Writes one metric family for every project's roll-up. */
static void prom_family(FILE *f, size_t fam, const struct cnsm_rollup *ru,
                        size_t nproj, int all_functions) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", k_families[fam].name,
          k_families[fam].help, k_families[fam].name, k_families[fam].type);
  for (size_t p = 0; p < nproj; p++) {
    const struct cnsm_rollup *r = &ru[p];
    if (fam == PROM_LATENCY) {
      prom_latency(f, r);
      continue;
    }
    if (fam >= 3) {
      fputs(k_families[fam].name, f);
      prom_labels(f, r->project, NULL, NULL);
      if (fam == 3)
        fprintf(f, " %.15g\n", r->nsm);
      else
        fprintf(f, " %zu\n", r->nfn);
      continue;
    }
    for (size_t i = 0; i < r->nfn; i++) {
      const struct cnsm_fn_stat *fn = &r->fn[i];
      if (fn->calls == 0 && !all_functions)
        continue;
      fputs(k_families[fam].name, f);
      prom_labels(f, r->project, fn, NULL);
      if (fam == 0)
        fprintf(f, " %lld\n", (long long)fn->calls);
      else if (fam == 1)
        fprintf(f, " %lld\n", (long long)fn->errors);
      else
        fprintf(f, " %.15g\n", fn->total_ms / 1000.0);
    }
  }
}

/* GET /metrics. */
void cnsm_metrics_render(struct cnsm_store *st, int all_functions,
                         struct cnsm_reply *r) {
  char **names;
  size_t n;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  if (cnsm_rollup_projects(db, &names, &n) != 0) {
    cnsm_store_release(st, db);
    cnsm_reply_error(r, 503, "database unavailable");
    return;
  }
  struct cnsm_rollup *ru = calloc(n ? n : 1, sizeof *ru);
  int64_t now = cnsm_now_s();
  int rc = ru ? 0 : -1;
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = cnsm_rollup_all_time(db, names[i], now, &ru[i]);
  cnsm_store_release(st, db);

  char *body = NULL;
  size_t len = 0;
  FILE *f = rc == 0 ? open_memstream(&body, &len) : NULL;
  if (f != NULL) {
    for (size_t fam = 0; fam < sizeof k_families / sizeof *k_families; fam++)
      prom_family(f, fam, ru, n, all_functions);
    fclose(f);
  }
  for (size_t i = 0; i < n; i++) {
    if (ru)
      cnsm_rollup_free(&ru[i]);
    free(names[i]);
  }
  free(ru);
  free(names);
  if (rc != 0) {
    free(body);
    cnsm_reply_error(r, 503, "database unavailable");
    return;
  }
  cnsm_reply_set(r, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}
