/* SPDX-License-Identifier: Apache-2.0
 *
 * reply.h - what a request handler answers: status, content type and a
 * body.  Handlers (ingest, api, metrics, dashboard) fill one; server.c
 * turns it into an HTTP response and logs it. */
#ifndef CNSM_REPLY_H
#define CNSM_REPLY_H

#include <stddef.h>

struct cnsm_reply {
  unsigned status;
  const char *content_type; /* a string literal */
  char *body;               /* owned (malloc'd) unless is_static */
  size_t len;
  int is_static;
};

/* Sets status, content type and a malloc'd NUL-terminated body (taken
 * over; NULL means out of memory and becomes a 500). */
void cnsm_reply_set(struct cnsm_reply *r, unsigned status,
                    const char *content_type, char *body);

/* Sets a JSON error reply {"error": message}. */
void cnsm_reply_error(struct cnsm_reply *r, unsigned status,
                      const char *message);

#endif
