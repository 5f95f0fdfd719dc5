/* SPDX-License-Identifier: Apache-2.0
 *
 * api_probe.c - POST /api/probe (start or cancel a probe) and GET
 * /api/probes (list a project's active ones); see probe.h.
 *
 * They follow /api's read-access rule (server.c): open without read
 * tokens, else a read token is required.  Starting a probe is a write,
 * but a bounded one: it changes only how often the programs time one
 * function, for at most 24 hours, and shows nothing of the figures, so
 * whoever may read them may also ask for sharper ones.  POST runs on the
 * HTTP threads (one short transaction), GET on the read pool like the
 * other reads. */
#include "handlers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "probe.h"
#include "util.h"

/* The body's "seconds": an integer 0..CNSM_PROBE_MAX_S, or -1. */
static int64_t api_probe_seconds(const cJSON *o) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "seconds");
  double v = cJSON_IsNumber(s) ? s->valuedouble : -1;
  if (!isfinite(v) || v != floor(v) || v < 0 || v > CNSM_PROBE_MAX_S)
    return -1;
  return (int64_t)v;
}

/* The answer to a probe set: what is now in force. */
static void api_probe_answer(struct cnsm_reply *r, const char *project,
                             const char *name, int64_t seconds,
                             int64_t expires_at) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "project", project);
  cJSON_AddStringToObject(o, "function", name);
  if (seconds == 0) {
    cJSON_AddBoolToObject(o, "cancelled", 1);
  } else {
    cJSON_AddNumberToObject(o, "expires_at", (double)expires_at);
    cJSON_AddNumberToObject(o, "seconds_left", (double)seconds);
  }
  cnsm_reply_set(r, 200, "application/json", cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
}

/* Sets the probe the checked body asks for. */
static void api_probe_set(struct cnsm_store *st, const char *want,
                          const char *name, int64_t seconds,
                          struct cnsm_reply *r) {
  struct cnsm_conn *db = cnsm_store_acquire(st);
  char *project;
  if (cnsm_api_project(db, want, &project, r) != 0) {
    cnsm_store_release(st, db);
    return;
  }
  int64_t expires_at;
  enum cnsm_probe_outcome out =
      cnsm_probe_set(db, project, name, seconds, cnsm_now_s(), &expires_at);
  cnsm_store_release(st, db);
  if (out == CNSM_PROBE_OK)
    api_probe_answer(r, project, name, seconds, expires_at);
  else if (out == CNSM_PROBE_FULL)
    cnsm_reply_error(r, 422,
                     "the project has 64 active probes already; cancel one "
                     "or wait for one to expire");
  else if (out == CNSM_PROBE_NONE)
    cnsm_reply_error(r, 404, "no active probe of that function");
  else
    cnsm_reply_error(r, 503, "database unavailable");
  free(project);
}

/* POST /api/probe; see handlers.h. */
void cnsm_api_probe_post(struct cnsm_store *st, const char *body, size_t len,
                         struct cnsm_reply *r) {
  /* A NUL would cut the name: the probe would be another function's. */
  cJSON *o =
      cnsm_json_has_nul(body, len) ? NULL : cJSON_ParseWithLength(body, len);
  const cJSON *project = cJSON_GetObjectItemCaseSensitive(o, "project");
  const cJSON *fn = cJSON_GetObjectItemCaseSensitive(o, "function");
  int64_t seconds = api_probe_seconds(o);
  if (!cJSON_IsObject(o) || !cJSON_IsString(project) ||
      project->valuestring[0] == '\0')
    cnsm_reply_error(r, 400,
                     "body must be {\"project\": \"...\", \"function\": "
                     "\"...\", \"seconds\": N}");
  else if (!cJSON_IsString(fn) || !cnsm_probe_name_valid(fn->valuestring))
    cnsm_reply_error(r, 400,
                     "function must be 1 to 512 bytes of UTF-8 without "
                     "control characters");
  else if (seconds < 0)
    cnsm_reply_error(r, 400,
                     "seconds must be an integer from 1 to 86400 (0 cancels)");
  else
    api_probe_set(st, project->valuestring, fn->valuestring, seconds, r);
  cJSON_Delete(o);
}

/* GET /api/probes?project=P; see handlers.h. */
void cnsm_api_probes(struct cnsm_store *st, const struct cnsm_api_query *q,
                     struct cnsm_reply *r) {
  struct cnsm_conn *db = cnsm_store_acquire(st);
  char *project;
  if (cnsm_api_project(db, q->project, &project, r) != 0) {
    cnsm_store_release(st, db);
    return;
  }
  struct cnsm_probes p;
  int rc = cnsm_probe_list(db, project, cnsm_now_s(), &p);
  cnsm_store_release(st, db);
  if (rc != 0) {
    cnsm_reply_error(r, 503, "database unavailable");
  } else {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "project", project);
    cJSON *arr = cJSON_AddArrayToObject(o, "probes");
    for (size_t i = 0; i < p.n; i++) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "function", p.v[i].name);
      cJSON_AddNumberToObject(e, "expires_at", (double)p.v[i].expires_at);
      cJSON_AddNumberToObject(e, "seconds_left", (double)p.v[i].seconds_left);
      cJSON_AddItemToArray(arr, e);
    }
    cnsm_reply_set(r, 200, "application/json", cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
  }
  cnsm_probes_free(&p);
  free(project);
}
