/* SPDX-License-Identifier: Apache-2.0
 *
 * api_function.c - GET /api/function: one function over a window and its
 * series, for the dashboard's function page.
 *
 * The figures come from cnsm_rollup_function (rollup_function.c), which
 * reads only that function's rows; the function object is written by
 * the same code as /api/report's (cnsm_rollup_fn_json), so its fields and
 * their names are the report's, less the scores that compare a function
 * with the others (utilisation, speed, OEE, use), which one function
 * alone cannot give.  Runs on the read pool like /api/report (server.c). */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>

#include "rollup.h"
#include "util.h"

/* A count as an exact integer (cJSON would round past 10^15; see
 * rollup.c's rollup_exact_counts). */
static cJSON *api_fn_count(int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", (long long)v);
  return cJSON_CreateRaw(buf);
}

/* A figure, or null when negative (not known). */
static cJSON *api_fn_number_or_null(double v) {
  return v >= 0 ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* The series: one object per step, with a mean only where there were
 * calls and a p95 only where there were histogram counts. */
static cJSON *api_fn_series(const struct cnsm_fn_detail *d) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < d->npoints; i++) {
    const struct cnsm_fn_point *p = &d->series[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t", (double)p->t);
    cJSON_AddItemToObject(o, "calls", api_fn_count(p->calls));
    cJSON_AddItemToObject(o, "errors", api_fn_count(p->errors));
    cJSON_AddNumberToObject(o, "total_ms", p->total_ms);
    cJSON_AddItemToObject(
        o, "mean_ms",
        api_fn_number_or_null(p->calls > 0 ? p->total_ms / (double)p->calls
                                           : -1));
    cJSON_AddItemToObject(o, "p95_ms", api_fn_number_or_null(p->p95_ms));
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

/* A string, or null for NULL. */
static cJSON *api_fn_string_or_null(const char *s) {
  return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The answer: the function object of /api/report, the project, window,
 * labels and series. */
static cJSON *api_fn_json(const char *project, const struct cnsm_fn_detail *d,
                          const struct cnsm_label_filter *labels) {
  cJSON *o = cnsm_rollup_fn_json(&d->fn);
  static const char *const whole_project[] = {"utilisation", "speed", "oee",
                                              "use"};
  for (size_t i = 0; i < sizeof whole_project / sizeof *whole_project; i++)
    cJSON_DeleteItemFromObjectCaseSensitive(o, whole_project[i]);
  cJSON_AddStringToObject(o, "project", project);
  cJSON *w = cJSON_AddObjectToObject(o, "window");
  cJSON_AddNumberToObject(w, "since_s", (double)d->since);
  cJSON_AddNumberToObject(w, "until_s", (double)d->until);
  cJSON_AddNumberToObject(w, "from", (double)d->from);
  cJSON_AddNumberToObject(w, "to", (double)d->now);
  cJSON_AddNumberToObject(w, "step_s", (double)d->step);
  cJSON *l = cJSON_AddObjectToObject(o, "labels");
  cJSON_AddItemToObject(l, "version", api_fn_string_or_null(labels->version));
  cJSON_AddItemToObject(l, "instance", api_fn_string_or_null(labels->instance));
  cJSON_AddItemToObject(o, "callees",
                        cnsm_named_counts_json(&d->fn.callees, "calls"));
  cJSON_AddItemToObject(o, "series", api_fn_series(d));
  return o;
}

/* GET /api/function; see handlers.h. */
void cnsm_api_function(struct cnsm_store *st, const struct cnsm_api_query *q,
                       struct cnsm_reply *r) {
  if (q->name == NULL || q->name[0] == '\0') {
    cnsm_reply_error(r, 400, "name is required: ?name=FUNCTION");
    return;
  }
  int64_t since_s, until_s;
  if (cnsm_api_window(q, &since_s, &until_s, r) != 0)
    return;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  char *project;
  if (cnsm_api_project(db, q->project, &project, r) != 0) {
    cnsm_store_release(st, db);
    return;
  }
  struct cnsm_fn_detail d;
  struct cnsm_label_filter labels = {q->version, q->instance};
  int rc = cnsm_rollup_function(db, project, q->name, since_s, until_s,
                                cnsm_now_s(), &labels, &d);
  cnsm_store_release(st, db);
  if (rc != 0)
    cnsm_reply_error(r, 503, "database unavailable");
  else if (!d.found)
    cnsm_reply_error(r, 404, "no such function");
  else {
    cJSON *o = api_fn_json(project, &d, &labels);
    cnsm_reply_set(r, 200, "application/json", cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  }
  cnsm_rollup_function_free(&d);
  free(project);
}
