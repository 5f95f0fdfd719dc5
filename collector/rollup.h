/* SPDX-License-Identifier: Apache-2.0
 *
 * rollup.h - the roll-ups of docs/metrics.md, computed once here and
 * shared by the report CLI, the JSON API, the dashboard and /metrics. */
#ifndef CNSM_ROLLUP_H
#define CNSM_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store.h"

#define CNSM_RARE_SHARE 0.001 /* rare: fewer calls than 1/1000 of busiest */
#define CNSM_TREND_POINTS 60  /* at most this many trend points */

enum cnsm_use { CNSM_USE_OK = 0, CNSM_USE_NEVER = 1, CNSM_USE_RARE = 2 };

/* Another function with a count summed over the window: a caller and
 * its calls, a root cause and its errors, a callee and its calls
 * (rollup_edges.c).  n is summed as a double: rows saturate at 2^53 - 1
 * each, so their sum could pass an integer's range. */
struct cnsm_named_count {
  char *name;
  double n;
};

/* A list of them; sorted by n descending, then name, once complete. */
struct cnsm_named_counts {
  struct cnsm_named_count *v;
  size_t n, cap;
};

/* One function over the window. */
struct cnsm_fn_stat {
  char *name, *department;
  double value_weight;
  int64_t calls, errors;
  double total_ms, error_rate, mean_ms, contribution;
  double utilisation, reliability, speed, oee, debt;
  enum cnsm_use use;
  char *file;   /* where it is defined; NULL: never sent */
  int64_t line; /* its first line; 0: never sent */
  /* latency percentiles over the window from its histogram
   * (rollup_hist.c); -1: no histogram counts in the window */
  double p50_ms, p95_ms, p99_ms;
  /* the extensions callers and causes over the window (rollup_edges.c);
   * callees only in cnsm_rollup_function's */
  struct cnsm_named_counts callers, causes, callees;
  double self_ms; /* exclusive time, docs/metrics.md; -1: not known */
};

/* Whether f's time over the window is measured: false when it was called
 * and none of its calls was timed (no time, no histogram), as for a
 * function its build counts but does not time (docs/instrumentation.md),
 * which shows "not timed" rather than a time of 0. */
int cnsm_fn_timed(const struct cnsm_fn_stat *f);

/* One department over the window; also used for the project totals. */
struct cnsm_dept_stat {
  char *name;
  size_t functions, called, underused;
  int64_t calls, errors;
  double total_ms, error_rate, mean_ms, median_ms, contribution;
  double value_share, oee, debt;
};

struct cnsm_trend_point {
  int64_t t; /* start of the step, unix seconds */
  double value;
};

/* Which labels (X-CodeNSM-Version, X-CodeNSM-Instance) a roll-up
 * covers: a NULL field matches every value, "" only unlabelled counts. */
struct cnsm_label_filter {
  const char *version, *instance;
};

/* Everything docs/metrics.md defines, for one project and one window. */
struct cnsm_rollup {
  char *project;
  char *version, *instance;     /* the filter; NULL: every value */
  char **versions, **instances; /* the project's labels, sorted */
  size_t nversions, ninstances;
  /* the window (cnsm_rollup_window): buckets from `from` to `now`, its
   * last second; since 0: all time; until: how long before the clock
   * it ends (0: now) */
  int64_t now, since, until, from, step;
  size_t nfn, ndept, ntrend, fn_cap;
  struct cnsm_fn_stat *fn;     /* by contribution, descending */
  struct cnsm_dept_stat *dept; /* by contribution, descending */
  struct cnsm_trend_point *trend;
  struct cnsm_dept_stat total;
  double nsm, nsm_previous; /* previous: the window just before */
  int has_previous;
};

/* Lists the projects that have functions or keys, sorted.  Returns 0 and
 * a malloc'd array of malloc'd names, or -1. */
int cnsm_rollup_projects(struct cnsm_conn *c, char ***names, size_t *n);

/* Computes the roll-ups of project over the window of since seconds (0:
 * all time) that ends until seconds before now (cnsm_rollup_window), of
 * the counts whose labels match (labels NULL: all), in one read
 * transaction.  Returns 0 or -1. */
int cnsm_rollup_compute(struct cnsm_conn *c, const char *project, int64_t since,
                        int64_t until, int64_t now,
                        const struct cnsm_label_filter *labels,
                        struct cnsm_rollup *r);

/* The all-time figures of project over every label that /metrics shows:
 * every function's sums, percentiles and scores, the departments, the
 * project totals and the NSM - as cnsm_rollup_compute's with since 0,
 * but read from the running sums that ingest and retention keep beside
 * the rows (functions.all_*, hist_totals; store_ingest.c, hist_totals.c,
 * retention.c),
 * one row per function instead of every row of counts and hist.  No window,
 * trend, labels, callers or causes (/metrics has none).  0 or -1. */
int cnsm_rollup_all_time(struct cnsm_conn *c, const char *project, int64_t now,
                         struct cnsm_rollup *r);

/* The window of since seconds (0: all time) ending until seconds before
 * now: the minute buckets from *from to *to (its last second), both
 * included.  until 0: *to is now, and the window holds the minute in
 * progress.  until > 0: the window ends where the minute until seconds
 * ago begins (*to is the second before), so that the window of S
 * seconds ending S ago is the one just before the last S seconds,
 * without a minute in both (docs/collector.md, "Windows").  *from is
 * the end less since, rounded down to a minute, or for all time the
 * project's oldest bucket of counts with those labels (labels NULL: all;
 * none: *to's minute).  0 or -1. */
int cnsm_rollup_window(struct cnsm_conn *c, const char *project,
                       const struct cnsm_label_filter *labels, int64_t since,
                       int64_t until, int64_t now, int64_t *from, int64_t *to);

/* The trend's step (seconds) over the whole minutes of [from, now]: at
 * most CNSM_TREND_POINTS steps, each a whole number of minutes;
 * *npoints gets how many there are.  Shared by the North-Star trend and
 * a function's series (rollup_function.c), so their points line up. */
int64_t cnsm_rollup_step(int64_t from, int64_t now, size_t *npoints);

/* Fills every function's p50_ms, p95_ms and p99_ms from the histogram
 * rows of r's window and labels, inside cnsm_rollup_compute's read
 * transaction; see rollup_hist.c.  0 or -1. */
int cnsm_rollup_percentiles(struct cnsm_conn *c, struct cnsm_rollup *r);

/* The same all time and over every label, from the running sums of
 * hist_totals and the rows not folded into them yet (hist_totals.c;
 * cnsm_rollup_all_time).  0 or -1. */
int cnsm_rollup_percentiles_all_time(struct cnsm_conn *c,
                                     struct cnsm_rollup *r);

/* Fills every function's callers, root causes and self time from the
 * rows of r's window and labels (after cnsm_rollup_percentiles: self
 * time is known where percentiles are), inside cnsm_rollup_compute's
 * read transaction; see rollup_edges.c.  0 or -1. */
int cnsm_rollup_edges(struct cnsm_conn *c, struct cnsm_rollup *r);

/* The same for one function (d->fn, inside cnsm_rollup_function's
 * transaction), with its callees; p holds the parameters of
 * rollup_function.c's queries.  0 or -1. */
int cnsm_rollup_fn_edges(struct cnsm_conn *c, struct cnsm_fn_stat *f,
                         const struct cnsm_value *p);

/* The share of callee G's time that a caller's edge of `edge` calls
 * takes (docs/metrics.md, "Self time"): edge / max(1, calls(G) -
 * edge(G -> G)) x total(G). */
double cnsm_self_share(double edge, double callee_calls,
                       double callee_self_calls, double callee_total_ms);

/* Frees the lists of f (callers, causes, callees). */
void cnsm_fn_edges_free(struct cnsm_fn_stat *f);

/* A list as a JSON array of {"name": ..., key: n} (n exact). */
cJSON *cnsm_named_counts_json(const struct cnsm_named_counts *l,
                              const char *key);

/* One step of a function's series: its sums over the buckets of
 * [t, t + step), and the p95 of their histogram counts (-1: none). */
struct cnsm_fn_point {
  int64_t t;
  int64_t calls, errors;
  double total_ms, p95_ms;
};

/* One function over a window, with its series (the function page):
 * fn holds its name, department, weight, source location, sums, error
 * rate, mean, contribution, debt and percentiles; the scores that need
 * the whole project (utilisation, speed, OEE, use) are not computed. */
struct cnsm_fn_detail {
  struct cnsm_fn_stat fn;
  int found; /* 0: no such function in the project */
  int64_t now, since, until, from, step; /* the window, as in cnsm_rollup */
  size_t npoints;
  struct cnsm_fn_point *series; /* npoints steps from `from` */
};

/* Computes function name of project over the window of since seconds
 * (0: all time) ending until seconds before now (cnsm_rollup_window) of
 * the counts whose labels match (labels NULL: all), in one read
 * transaction; see rollup_function.c.  Returns 0 (d->found says whether
 * it exists) or -1.  Free with cnsm_rollup_function_free. */
int cnsm_rollup_function(struct cnsm_conn *c, const char *project,
                         const char *name, int64_t since, int64_t until,
                         int64_t now, const struct cnsm_label_filter *labels,
                         struct cnsm_fn_detail *d);
void cnsm_rollup_function_free(struct cnsm_fn_detail *d);

/* Frees what cnsm_rollup_compute allocated. */
void cnsm_rollup_free(struct cnsm_rollup *r);

/* The roll-ups as JSON (the shape of `report --json` and /api/report);
 * at most fn_limit functions are listed in "functions" (0: all). */
cJSON *cnsm_rollup_json(const struct cnsm_rollup *r, size_t fn_limit);

/* One function as the JSON object of the roll-ups' function lists (what
 * report --json uses to list its own choice of functions). */
cJSON *cnsm_rollup_fn_json(const struct cnsm_fn_stat *f);

#endif
