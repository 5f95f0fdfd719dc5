/* SPDX-License-Identifier: Apache-2.0
 *
 * handlers.h - the read-only endpoints: the JSON API (api.c), /metrics
 * (metrics_prom.c) and the dashboard page (dashboard.c).  Each fills a
 * cnsm_reply; server.c routes to them. */
#ifndef CNSM_HANDLERS_H
#define CNSM_HANDLERS_H

#include <stdint.h>

#include "reply.h"
#include "store.h"

/* GET /api/projects: {"projects": ["name", ...]}. */
void cnsm_api_projects(struct cnsm_store *st, struct cnsm_reply *r);

/* The query string of GET /api/report and /api/function; a field is
 * NULL when not given. */
struct cnsm_api_query {
  const char *project, *since, *until, *limit, *version, *instance;
  const char *name; /* /api/function: the function */
};

/* GET /api/report?project=P&since=24h&until=0&limit=200&version=V&
 * instance=I: one project's roll-ups (the shape of one element of
 * `report --json`) of the counts sent with those labels, over the window
 * of since ending until ago (cnsm_rollup_window).  project may be NULL
 * when there is exactly one project; since NULL means 24h, until NULL
 * now; version or instance NULL means every value. */
void cnsm_api_report(struct cnsm_store *st, const struct cnsm_api_query *q,
                     struct cnsm_reply *r);

/* GET /api/function?project=P&name=N&since=24h&until=0&version=V&
 * instance=I: one
 * function over the window (the figures of /api/report's function
 * objects that need no other function) and its series per step of the
 * North-Star trend; 400 without name, 404 for an unknown project or
 * function.  See api_function.c. */
void cnsm_api_function(struct cnsm_store *st, const struct cnsm_api_query *q,
                       struct cnsm_reply *r);

/* For the /api/ handlers: checks q's since (NULL: 24h), until (NULL:
 * 0, now), version and instance; 0 with *since_s in seconds (0: all
 * time) and *until_s, or -1 with *r set to the 400. */
int cnsm_api_window(const struct cnsm_api_query *q, int64_t *since_s,
                    int64_t *until_s, struct cnsm_reply *r);

/* For the /api/ handlers: picks the project, the one named (want) or
 * the only one there is.  0 with a malloc'd name, or -1 with *r set to
 * the refusal (404 unknown, 400 none named among several, 503). */
int cnsm_api_project(struct cnsm_conn *db, const char *want, char **out,
                     struct cnsm_reply *r);

/* POST /api/probe with {"project", "function", "seconds"}: starts the
 * probe of that function for seconds (1..86400), or cancels it (0):
 * 200 with what is in force, 400 malformed, 404 unknown project or (to
 * cancel) no active probe, 422 the project's 64th.  See api_probe.c. */
void cnsm_api_probe_post(struct cnsm_store *st, const char *body, size_t len,
                         struct cnsm_reply *r);

/* GET /api/probes?project=P: {"project", "probes": [{"function",
 * "expires_at", "seconds_left"}]}, the active ones by name. */
void cnsm_api_probes(struct cnsm_store *st, const struct cnsm_api_query *q,
                     struct cnsm_reply *r);

/* GET /metrics: cumulative counters in the Prometheus text format, of
 * the functions called at least once, or of all (all_functions). */
void cnsm_metrics_render(struct cnsm_store *st, int all_functions,
                         struct cnsm_reply *r);

/* GET /: the dashboard page, embedded in the binary. */
void cnsm_dashboard_page(struct cnsm_reply *r);

#endif
