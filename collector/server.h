/* SPDX-License-Identifier: Apache-2.0
 *
 * server.h - `codensm-collector serve`: the HTTP(S) server. */
#ifndef CNSM_SERVER_H
#define CNSM_SERVER_H

#include "read_access.h"
#include "retention.h"

struct cnsm_server_opts {
  const char *listen; /* HOST:PORT, [V6]:PORT or PORT; port 0: any */
  const char *db_path;
  const char *tls_cert; /* both or neither */
  const char *tls_key;
  unsigned threads; /* worker threads (and database connections) */
  /* /metrics: also the functions never called (--metrics-all-functions) */
  int metrics_all_functions;
  /* Required by /, /api/ and /metrics; NULL or empty: open to all. */
  const struct cnsm_read_tokens *read_tokens;
  /* Applied at start and every CNSM_RETENTION_EVERY_S (retention.c). */
  struct cnsm_retention retention;
  /* A request's line and headers must be in within header_timeout_s of
   * the connection's start (kept alive: of the previous answer), its
   * body within body_timeout_s of its headers, or the connection is
   * closed (deadline.c).  0: the default. */
  unsigned header_timeout_s, body_timeout_s;
};

/* Above libcodensm's 15 s between flushes, so a kept-alive sender's
 * next request still finds its connection open; a slow client holds a
 * connection at most this long. */
#define CNSM_HEADER_TIMEOUT_DEFAULT_S 20u
/* Time for a whole body, CNSM_BODY_MAX (4 MiB) at 70 KB/s. */
#define CNSM_BODY_TIMEOUT_DEFAULT_S 60u
/* The most either may be set to (an hour). */
#define CNSM_REQUEST_TIMEOUT_MAX_S 3600u

/* Serves until SIGINT or SIGTERM, then stops accepting, lets requests
 * in flight finish (up to 10 s), and closes the database.  Prints
 * "codensm-collector: listening on URL" to stderr once ready.  Returns
 * the process exit status. */
int cnsm_server_run(const struct cnsm_server_opts *opts);

#endif
