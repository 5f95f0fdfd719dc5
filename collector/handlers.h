/* SPDX-License-Identifier: Apache-2.0
 *
 * handlers.h - the read-only endpoints: the JSON API (api.c), /metrics
 * (metrics_prom.c) and the dashboard page (dashboard.c).  Each fills a
 * cnsm_reply; server.c routes to them. */
#ifndef CNSM_HANDLERS_H
#define CNSM_HANDLERS_H

#include "reply.h"
#include "store.h"

/* GET /api/projects: {"projects": ["name", ...]}. */
void cnsm_api_projects(struct cnsm_store *st, struct cnsm_reply *r);

/* The query string of GET /api/report; a field is NULL when not given. */
struct cnsm_api_query {
  const char *project, *since, *limit, *version, *instance;
};

/* GET /api/report?project=P&since=24h&limit=200&version=V&instance=I: one
 * project's roll-ups (the shape of one element of `report --json`) of the
 * counts sent with those labels.  project may be NULL when there is
 * exactly one project; since NULL means 24h; version or instance NULL
 * means every value. */
void cnsm_api_report(struct cnsm_store *st, const struct cnsm_api_query *q,
                     struct cnsm_reply *r);

/* GET /metrics: cumulative counters in the Prometheus text format, of
 * the functions called at least once, or of all (all_functions). */
void cnsm_metrics_render(struct cnsm_store *st, int all_functions,
                         struct cnsm_reply *r);

/* GET /: the dashboard page, embedded in the binary. */
void cnsm_dashboard_page(struct cnsm_reply *r);

#endif
