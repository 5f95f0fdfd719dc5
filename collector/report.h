/* SPDX-License-Identifier: Apache-2.0
 *
 * report.h - `codensm-collector report`: the roll-ups as a table for
 * people or as JSON for scripts. */
#ifndef CNSM_REPORT_H
#define CNSM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "rollup.h"

/* Which functions the per-function listing shows, and in which order;
 * every other figure (totals, departments, debt, underuse) is always
 * over all functions. */
struct cnsm_report_view {
  int json;           /* JSON rather than tables */
  const char *sort;   /* a field of CNSM_REPORT_SORT_FIELDS; NULL: by value */
  size_t limit;       /* at most this many (0: 30 in a table, all in JSON) */
  const char *filter; /* only names containing it; NULL: every name */
};

/* The fields --sort takes, as said in its error message. */
#define CNSM_REPORT_SORT_FIELDS                                                \
  "name, department, weight, calls, errors, error_rate, mean, total, value, "  \
  "oee, debt, p50, p95, p99, self"

/* Whether field is one of CNSM_REPORT_SORT_FIELDS. */
int cnsm_report_sort_valid(const char *field);

/* The window a report covers (cnsm_rollup_window): since seconds (0:
 * all time) ending until seconds ago (0: now), with the words they were
 * given in, for titles and JSON. */
struct cnsm_report_window {
  int64_t since, until;
  const char *since_text, *until_text;
};

/* Prints the roll-ups of project (NULL: every project) over the window,
 * of the counts whose labels match (labels NULL, or a NULL field: every
 * value), to out, as a table or as JSON {"generated_at", "since",
 * "until", "projects": [roll-up, ...]}, each roll-up's "functions" being
 * the view's choice.
 * Returns 0, 1 if the project is unknown, -1 on a database error. */
int cnsm_report_run(struct cnsm_conn *db, const char *project,
                    const struct cnsm_report_window *window,
                    const struct cnsm_label_filter *labels,
                    const struct cnsm_report_view *view, FILE *out);

/* What `report --compare` sets the window against: the window of the
 * same length just before it ("previous"), or the one ending shift
 * seconds before it ends ("1d": the same hours yesterday). */
struct cnsm_report_baseline {
  int64_t shift; /* 0: the previous window */
  const char *text;
};

/* Prints, per function of project (NULL: every project), its calls,
 * errors, error rate, time per call and p95 in the window and in the
 * baseline, regressions first; see report_compare.c.  view: --json,
 * --limit and --filter (not --sort: the order is the comparison's).
 * Returns as cnsm_report_run. */
int cnsm_report_compare(struct cnsm_conn *db, const char *project,
                        const struct cnsm_report_window *window,
                        const struct cnsm_report_baseline *baseline,
                        const struct cnsm_label_filter *labels,
                        const struct cnsm_report_view *view, FILE *out);

/* The start of either: the projects' names into *names and *n, and the
 * JSON document with its generated_at, since and until; NULL on a
 * database error. */
cJSON *cnsm_report_start(struct cnsm_conn *db,
                         const struct cnsm_report_window *window, int64_t now,
                         char ***names, size_t *n);

/* The end of either, over the projects' names[0..n) (freed here): doc
 * printed when json, else "no project" said when none was found; doc
 * deleted.  Returns rc, or 1 when rc is 0 and the project asked for was
 * not found. */
int cnsm_report_finish(FILE *out, cJSON *doc, int json, char **names, size_t n,
                       const char *project, int found, int rc);

#endif
