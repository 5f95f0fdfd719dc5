/* SPDX-License-Identifier: Apache-2.0
 *
 * dashboard.c - GET /: the dashboard page.
 *
 * The page is collector/web/index.html, turned into the array
 * cnsm_dashboard_page at build time by embed.cmake: one self-contained
 * HTML file (inline CSS, JS and SVG, no external resources) that polls
 * /api/projects and /api/report every few seconds and redraws. */
#include "handlers.h"

extern const unsigned char cnsm_dashboard_page_data[];
extern const unsigned long cnsm_dashboard_page_data_len;

/* Serves the embedded page. */
void cnsm_dashboard_page(struct cnsm_reply *r) {
  r->status = 200;
  r->content_type = "text/html; charset=utf-8";
  r->body = (char *)cnsm_dashboard_page_data;
  r->len = (size_t)cnsm_dashboard_page_data_len;
  r->is_static = 1;
}
