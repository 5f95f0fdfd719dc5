/* SPDX-License-Identifier: Apache-2.0
 *
 * api.c - the dashboard's JSON API under /api/.
 *
 * GET /api/projects lists projects; GET /api/report returns one
 * project's roll-ups (cnsm_rollup_json) for a window, optionally of one
 * version and/or one instance (the dashboard's comparison asks twice).
 * GET /api/function (one function and its series) is api_function.c.
 * Read-only: it never shows keys, only what was ingested.  Each request borrows
 * a database connection from the pool for the duration of one read transaction.
 */
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "rollup.h"
#include "util.h"

#define API_DEFAULT_LIMIT 200

/* GET /api/projects. */
void cnsm_api_projects(struct cnsm_store *st, struct cnsm_reply *r) {
  char **names;
  size_t n;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  int rc = cnsm_rollup_projects(db, &names, &n);
  cnsm_store_release(st, db);
  if (rc != 0) {
    cnsm_reply_error(r, 503, "database unavailable");
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(o, "projects");
  for (size_t i = 0; i < n; i++) {
    cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
    free(names[i]);
  }
  free(names);
  cnsm_reply_set(r, 200, "application/json", cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
}

/* Picks the project; see handlers.h. */
int cnsm_api_project(struct cnsm_conn *db, const char *want, char **out,
                     struct cnsm_reply *r) {
  char **names;
  size_t n;
  if (cnsm_rollup_projects(db, &names, &n) != 0) {
    cnsm_reply_error(r, 503, "database unavailable");
    return -1;
  }
  *out = NULL;
  for (size_t i = 0; i < n; i++) {
    if (*out == NULL &&
        ((want && strcmp(want, names[i]) == 0) || (!want && n == 1)))
      *out = names[i];
    else
      free(names[i]);
  }
  free(names);
  if (*out != NULL)
    return 0;
  if (want)
    cnsm_reply_error(r, 404, "no such project");
  else
    cnsm_reply_error(
        r, 400, n ? "several projects: pass ?project=NAME" : "no projects yet");
  return -1;
}

/* Checks since, until, version and instance; see handlers.h. */
int cnsm_api_window(const struct cnsm_api_query *q, int64_t *since_s,
                    int64_t *until_s, struct cnsm_reply *r) {
  if ((q->version && !cnsm_label_valid(q->version)) ||
      (q->instance && !cnsm_label_valid(q->instance))) {
    cnsm_reply_error(r, 400,
                     "version and instance must be at most 128 characters "
                     "of visible ASCII (! to ~)");
    return -1;
  }
  if (cnsm_parse_duration(q->since ? q->since : "24h", since_s) != 0) {
    cnsm_reply_error(r, 400, "since must look like 15m, 24h, 7d or all");
    return -1;
  }
  if (cnsm_parse_until(q->until ? q->until : "0", until_s) != 0) {
    cnsm_reply_error(r, 400,
                     "until (how long ago the window ends) must be 0 (now) "
                     "or look like 15m, 1h, 7d");
    return -1;
  }
  return 0;
}

/* GET /api/report?project=&since=&until=&limit=&version=&instance=. */
void cnsm_api_report(struct cnsm_store *st, const struct cnsm_api_query *q,
                     struct cnsm_reply *r) {
  const char *limit = q->limit;
  int64_t since_s, until_s;
  if (cnsm_api_window(q, &since_s, &until_s, r) != 0)
    return;
  size_t lim = API_DEFAULT_LIMIT;
  if (limit != NULL) {
    char *end;
    unsigned long v = strtoul(limit, &end, 10);
    if (*limit == '\0' || *end != '\0' || v > 1000000) {
      cnsm_reply_error(r, 400,
                       "limit must be an integer from 0 (all) to 1000000");
      return;
    }
    lim = v;
  }
  struct cnsm_conn *db = cnsm_store_acquire(st);
  char *name;
  if (cnsm_api_project(db, q->project, &name, r) != 0) {
    cnsm_store_release(st, db);
    return;
  }
  struct cnsm_rollup ru;
  struct cnsm_label_filter labels = {q->version, q->instance};
  int rc = cnsm_rollup_compute(db, name, since_s, until_s, cnsm_now_s(),
                               &labels, &ru);
  cnsm_store_release(st, db);
  free(name);
  if (rc != 0) {
    cnsm_rollup_free(&ru);
    cnsm_reply_error(r, 503, "database unavailable");
    return;
  }
  cJSON *o = cnsm_rollup_json(&ru, lim);
  cnsm_rollup_free(&ru);
  cnsm_reply_set(r, 200, "application/json", cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
}
