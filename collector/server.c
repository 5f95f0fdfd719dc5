/* SPDX-License-Identifier: Apache-2.0
 *
 * server.c - the collector's HTTP(S) server, on libmicrohttpd.
 *
 * How it works: MHD runs a pool of worker threads, each with its own
 * SQLite connection from the store's pool.  Every request gets a small
 * context (conn_ctx).  For POST /codensm/ingest the key and content type
 * are checked as soon as the headers are in (cnsm_ingest_precheck); the
 * body is then accumulated up to CNSM_BODY_MAX, or read and discarded
 * when the request is already refused or too large, so clients always
 * get their status instead of a reset connection.  When the body is
 * complete the request is routed, answered, and logged by the
 * completion callback as one line on stderr:
 *   METHOD PATH STATUS BYTES MSms
 * Every 200 of ingest carries the extensions the collector stores and
 * one X-CodeNSM-Probe header per active probe of the key's project
 * (probe.h); POST /api/probe starts or cancels one (api_probe.c).
 * Heavy reads (/api/projects, /api/report, /api/function, /api/probes,
 * /metrics) do not
 * run on the HTTP
 * threads: their connection is suspended and the work queued on the read pool
 * (readpool.c), which resumes it with the answer, so readers cannot
 * starve ingest.
 * Read access: with read tokens (read_access.c), /, /api/ and /metrics
 * are answered 401 with "WWW-Authenticate: Bearer" unless the request
 * carries one; /healthz stays open and ingest keeps its own keys.
 * Limits (docs/collector.md, "Connections"): an idle connection is
 * closed after SERVER_IDLE_TIMEOUT_S; one client address may hold at
 * most SERVER_CONN_PER_IP connections, all clients SERVER_CONN_MAX
 * (fewer if the process may not open that many files), so idle
 * connections from one client cannot lock the others out; a connection
 * beyond either cap is closed at once.  Those caps and the idle time-out
 * do not stop a client that trickles its bytes: each request must also
 * have its headers within --header-timeout and its body within
 * --body-timeout (deadline.c), checked by the main thread four times a
 * second while it waits for a stop signal.
 * Shutdown: SIGINT/SIGTERM are blocked in every thread and taken with
 * sigtimedwait() by the main thread, which quiesces the daemon (no new
 * connections), waits up to 10 s for open connections to finish, drains
 * the read pool (which resumes every suspended connection), stops MHD
 * and closes the database.
 * Retention: a thread of retention.c rolls old buckets up, at start and
 * every ten minutes. */
#include "server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "deadline.h"
#include "handlers.h"
#include "ingest.h"
#include "probe.h"
#include "readpool.h"
#include "util.h"

#define SERVER_DISCARD_MAX (256u << 20) /* refuse to drain more than this */
#define SERVER_IDLE_TIMEOUT_S 30u /* close a connection silent this long */
#define SERVER_CONN_MAX 4096u     /* connections at once, all clients */
#define SERVER_CONN_PER_IP 256u   /* connections at once, one address */
#define SERVER_FD_RESERVE 64u     /* files kept for SQLite, logs, TLS */
#define SERVER_READERS 2u         /* heavy reads computed at once */
#define SERVER_READ_QUEUE 64u     /* heavy reads waiting; more: 503 */
#define SERVER_SWEEP_MS 250       /* how late a deadline may be acted on */

/* A heavy read handed to the read pool; see readpool.h. */
struct server_read_job {
  struct cnsm_read_job base; /* first: the pool sees only this */
  struct MHD_Connection *conn;
  char *url, *project, *since, *until, *limit, *version, *instance, *name;
  int metrics_all; /* --metrics-all-functions */
  struct cnsm_reply reply;
};

/* Per request state, from the first call of the handler to completion. */
struct conn_ctx {
  double t0;
  char method[8];
  char path[256];
  unsigned status;
  size_t bytes;
  int ingest;            /* POST /codensm/ingest */
  int refused;           /* reply already decided, body discarded */
  int too_large;         /* 413 once the body is drained */
  struct cnsm_reply pre; /* the early refusal */
  /* Not CNSM_READ_OK: a guarded read without a valid read token. */
  enum cnsm_read_verdict read_denied;
  char project[160];
  const char *encoding;
  const char *idem_key;           /* Idempotency-Key header, or NULL */
  struct cnsm_labels labels;      /* X-CodeNSM-Version, -Instance, checked */
  struct server_read_job *job;    /* a heavy read in the read pool */
  struct cnsm_probes probes;      /* ingest's 200: the project's probes */
  struct cnsm_deadline *deadline; /* the connection's, or NULL */
  char *buf;
  size_t len, cap, drained;
};

struct server_state {
  struct cnsm_store *store;
  struct cnsm_readpool *readers;
  const struct cnsm_read_tokens *read_tokens; /* NULL or empty: open */
  int metrics_all;
  struct cnsm_deadlines *deadlines; /* of every open connection */
  unsigned header_timeout_s, body_timeout_s;
};

/* Set once shutdown starts: replies then ask clients to close their
 * keep-alive connections, so draining does not wait on idle ones. */
static atomic_int server_stopping;

/* See reply.h. */
void cnsm_reply_set(struct cnsm_reply *r, unsigned status,
                    const char *content_type, char *body) {
  r->is_static = 0;
  if (body == NULL) {
    r->status = 500;
    r->content_type = "application/json";
    r->body = (char *)"{\"error\":\"out of memory\"}";
    r->is_static = 1;
  } else {
    r->status = status;
    r->content_type = content_type;
    r->body = body;
  }
  r->len = strlen(r->body);
}

/* See reply.h. */
void cnsm_reply_error(struct cnsm_reply *r, unsigned status,
                      const char *message) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", message);
  cnsm_reply_set(r, status, "application/json", cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
}

/* One X-CodeNSM-Probe header per active probe: "<seconds left> <name>".
 * Stored names passed the contract's rules, which leave out control
 * characters; one that has any anyway (a row written by hand) is
 * skipped rather than allowed to split the header. */
static void server_probe_headers(struct MHD_Response *resp,
                                 const struct cnsm_probes *p) {
  for (size_t i = 0; i < p->n; i++) {
    const char *name = p->v[i].name;
    int clean = 1;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
      clean &= *c >= 0x20 && *c != 0x7f;
    char line[600];
    if (!clean ||
        snprintf(line, sizeof line, "%lld %s", (long long)p->v[i].seconds_left,
                 name) >= (int)sizeof line)
      continue;
    MHD_add_response_header(resp, "X-CodeNSM-Probe", line);
  }
}

/* The probes of an ingest's project, read after a 200: a sender learns
 * them from the answer to its next batch.  A failure to read them costs
 * the answer its probe headers only. */
static void server_probes_of(struct server_state *s, struct conn_ctx *ctx) {
  struct cnsm_conn *db = cnsm_store_acquire(s->store);
  if (cnsm_probe_list(db, ctx->project, cnsm_now_s(), &ctx->probes) != 0)
    cnsm_probes_free(&ctx->probes);
  cnsm_store_release(s->store, db);
}

/* Sends a reply and records its status and size for the log line. */
static enum MHD_Result server_send(struct MHD_Connection *c,
                                   struct conn_ctx *ctx, struct cnsm_reply *r) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      r->len, r->body,
      r->is_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    if (!r->is_static)
      free(r->body);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->content_type);
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  if (atomic_load(&server_stopping))
    MHD_add_response_header(resp, "Connection", "close");
  if (r->status == 405)
    MHD_add_response_header(resp, "Allow", ctx->ingest ? "POST" : "GET, HEAD");
  if (r->status == 503)
    MHD_add_response_header(resp, "Retry-After", "1");
  /* Every 200 of ingest (a duplicate's too) asks the sender for the
   * extensions this collector stores (docs/ingest-contract.md). */
  if (r->status == 200 && ctx->ingest) {
    MHD_add_response_header(resp, "X-CodeNSM-Extensions",
                            "histogram, source, callers, causes");
    server_probe_headers(resp, &ctx->probes);
  }
  if (r->status == 401 && ctx->read_denied != CNSM_READ_OK)
    MHD_add_response_header(resp, "WWW-Authenticate",
                            ctx->read_denied == CNSM_READ_INVALID
                                ? "Bearer realm=\"codensm\", "
                                  "error=\"invalid_token\""
                                : "Bearer realm=\"codensm\"");
  if (strcmp(r->content_type, "text/html; charset=utf-8") == 0)
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'unsafe-inline'; "
                            "style-src 'unsafe-inline'; img-src data:; "
                            "connect-src 'self'");
  ctx->status = r->status;
  ctx->bytes = r->len;
  enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
  MHD_destroy_response(resp);
  return ok;
}

/* Is url one of the heavy reads that run on the read pool? */
static int server_is_heavy(const char *url) {
  return strcmp(url, "/api/projects") == 0 || strcmp(url, "/api/report") == 0 ||
         strcmp(url, "/api/function") == 0 || strcmp(url, "/api/probes") == 0 ||
         strcmp(url, "/metrics") == 0;
}

/* Runs a heavy read on a reader thread with the pool's connection. */
static void server_read_run(struct cnsm_read_job *base, struct cnsm_store *st) {
  struct server_read_job *j = (struct server_read_job *)base;
  const struct cnsm_api_query q = {.project = j->project,
                                   .since = j->since,
                                   .until = j->until,
                                   .limit = j->limit,
                                   .version = j->version,
                                   .instance = j->instance,
                                   .name = j->name};
  if (strcmp(j->url, "/api/projects") == 0)
    cnsm_api_projects(st, &j->reply);
  else if (strcmp(j->url, "/api/report") == 0)
    cnsm_api_report(st, &q, &j->reply);
  else if (strcmp(j->url, "/api/function") == 0)
    cnsm_api_function(st, &q, &j->reply);
  else if (strcmp(j->url, "/api/probes") == 0)
    cnsm_api_probes(st, &q, &j->reply);
  else
    cnsm_metrics_render(st, j->metrics_all, &j->reply);
}

/* Hands the answer back: the connection's handler runs again. */
static void server_read_done(struct cnsm_read_job *base) {
  MHD_resume_connection(((struct server_read_job *)base)->conn);
}

/* strdup that keeps NULL. */
static char *server_dup(const char *s) { return s ? strdup(s) : NULL; }

/* Frees a read job and its unsent answer. */
static void server_read_free(struct server_read_job *j) {
  if (j == NULL)
    return;
  if (!j->reply.is_static)
    free(j->reply.body);
  free(j->url);
  free(j->project);
  free(j->since);
  free(j->until);
  free(j->limit);
  free(j->version);
  free(j->instance);
  free(j->name);
  free(j);
}

/* Suspends the connection and queues its heavy read; if the pool is
 * full, resumes it at once with a 503.  Returns 0, -1 out of memory. */
static int server_defer(struct server_state *s, struct MHD_Connection *c,
                        struct conn_ctx *ctx, const char *url) {
  struct server_read_job *j = calloc(1, sizeof *j);
  if (j == NULL)
    return -1;
  j->base.run = server_read_run;
  j->base.done = server_read_done;
  j->conn = c;
  j->metrics_all = s->metrics_all;
  j->url = strdup(url);
  j->project = server_dup(
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "project"));
  j->since = server_dup(
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since"));
  j->until = server_dup(
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "until"));
  j->limit = server_dup(
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"));
  j->version = server_dup(
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version"));
  j->instance = server_dup(
      MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "instance"));
  j->name =
      server_dup(MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name"));
  ctx->job = j;
  MHD_suspend_connection(c); /* before queueing: done() may run at once */
  if (cnsm_readpool_submit(s->readers, &j->base) != 0) {
    cnsm_reply_error(&j->reply, 503, "too many reads in progress; retry later");
    MHD_resume_connection(c);
  }
  return 0;
}

/* GET /healthz: 200 {"ok":true}, or 503 when the database is gone. */
static void server_health(struct server_state *s, struct cnsm_reply *r) {
  char why[512];
  if (cnsm_store_health(s->store, 1, why, sizeof why) == 0) {
    cnsm_reply_set(r, 200, "application/json", strdup("{\"ok\":true}"));
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddBoolToObject(o, "ok", 0);
  cJSON_AddStringToObject(o, "error", why);
  cnsm_reply_set(r, 503, "application/json", cJSON_PrintUnformatted(o));
  cJSON_Delete(o);
}

/* Does url show figures, so that read tokens, when given, guard it?
 * Every path under /api/ does, known or not, so that probing the API
 * without a token learns nothing. */
static int server_is_guarded(const char *url) {
  return strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 ||
         strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0;
}

/* The 401 of a read without a valid token.  For the page itself the
 * body is the page: a browser cannot send a bearer token when it opens
 * a URL, so the page must load to ask for the token; it holds no
 * figure (they all come from /api/, which refuses too) and is the same
 * for everyone, built into the binary. */
static void server_read_refusal(const struct conn_ctx *ctx, const char *url,
                                struct cnsm_reply *r) {
  if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/metrics") != 0) {
    cnsm_dashboard_page(r);
    r->status = 401;
    return;
  }
  cnsm_reply_error(r, 401,
                   ctx->read_denied == CNSM_READ_INVALID
                       ? "invalid read token"
                       : "missing read token (Authorization: Bearer <token>)");
}

/* Routes a complete GET/HEAD request to a light read-only handler. */
static void server_route_get(struct server_state *s, const char *url,
                             struct cnsm_reply *r) {
  if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
    cnsm_dashboard_page(r);
  } else if (strcmp(url, "/healthz") == 0) {
    server_health(s, r);
  } else {
    cnsm_reply_error(r, 404, "not found");
  }
}

/* First call for a request: set up its context and, for ingest, decide
 * at once whether it is refused (bad key, content type, size). */
static struct conn_ctx *server_begin(struct server_state *s,
                                     struct MHD_Connection *c, const char *url,
                                     const char *method) {
  struct conn_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL)
    return NULL;
  ctx->t0 = cnsm_mono_ms();
  snprintf(ctx->method, sizeof ctx->method, "%s", method);
  snprintf(ctx->path, sizeof ctx->path, "%s", url);
  const union MHD_ConnectionInfo *sock =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  ctx->deadline = sock ? sock->socket_context : NULL;
  cnsm_deadline_headers_in(s->deadlines, ctx->deadline);
  ctx->ingest = strcmp(url, "/codensm/ingest") == 0;
  if (server_is_guarded(url))
    ctx->read_denied = cnsm_read_tokens_check(
        s->read_tokens,
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
  if (!ctx->ingest || strcmp(method, "POST") != 0)
    return ctx;
  const char *cl =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  ctx->encoding =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
  ctx->idem_key =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
  if (cnsm_ingest_precheck(
          s->store,
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
          ctx->encoding, ctx->idem_key, ctx->project, sizeof ctx->project,
          &ctx->pre) != 0 ||
      cnsm_labels_check(
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CodeNSM-Version"),
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CodeNSM-Instance"),
          &ctx->labels, &ctx->pre) != 0) {
    ctx->refused = 1;
  } else if (cl != NULL && strtoull(cl, NULL, 10) > CNSM_BODY_MAX) {
    ctx->too_large = 1;
  }
  return ctx;
}

/* Takes a chunk of an ingest body: keeps it, or drains it if the request
 * is refused or past the limit.  Returns 0, or -1 to drop the connection. */
static int server_accumulate(struct conn_ctx *ctx, const char *data, size_t n) {
  if (ctx->refused || ctx->too_large) {
    ctx->drained += n;
    return ctx->drained > SERVER_DISCARD_MAX ? -1 : 0;
  }
  if (ctx->len + n > CNSM_BODY_MAX) {
    ctx->too_large = 1;
    free(ctx->buf);
    ctx->buf = NULL;
    ctx->drained = ctx->len + n;
    return 0;
  }
  if (ctx->len + n > ctx->cap) {
    size_t cap = ctx->cap ? ctx->cap : 16384;
    while (cap < ctx->len + n)
      cap *= 2;
    char *grown = realloc(ctx->buf, cap);
    if (grown == NULL)
      return -1;
    ctx->buf = grown;
    ctx->cap = cap;
  }
  memcpy(ctx->buf + ctx->len, data, n);
  ctx->len += n;
  return 0;
}

/* The answer to an ingest refused by its headers (server_begin). */
static void server_ingest_refusal(struct conn_ctx *ctx, struct cnsm_reply *r) {
  if (ctx->refused) {
    *r = ctx->pre;
    memset(&ctx->pre, 0, sizeof ctx->pre);
  } else {
    cnsm_reply_error(r, 413,
                     "request body exceeds 4 MiB; send smaller batches");
  }
}

/* The MHD access handler: called once with headers, once per body chunk
 * and once more when the body is complete. */
static enum MHD_Result server_handle(void *cls, struct MHD_Connection *c,
                                     const char *url, const char *method,
                                     const char *version, const char *data,
                                     size_t *data_size, void **con_cls) {
  (void)version;
  struct server_state *s = cls;
  struct conn_ctx *ctx = *con_cls;
  if (ctx == NULL) {
    ctx = server_begin(s, c, url, method);
    *con_cls = ctx;
    if (ctx == NULL)
      return MHD_NO;
    /* A client that waits for "100 Continue" before its body is refused
     * now: answered 100, it uploaded up to 256 MiB for a 401 or a 413. */
    const char *expect =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
    if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
        ctx->read_denied == CNSM_READ_OK && (ctx->refused || ctx->too_large)) {
      struct cnsm_reply early;
      memset(&early, 0, sizeof early);
      server_ingest_refusal(ctx, &early);
      return server_send(c, ctx, &early);
    }
    return MHD_YES;
  }
  if (*data_size > 0) {
    if (server_accumulate(ctx, data, *data_size) != 0)
      return MHD_NO;
    *data_size = 0;
    return MHD_YES;
  }
  cnsm_deadline_body_in(ctx->deadline);
  struct cnsm_reply r;
  memset(&r, 0, sizeof r);
  int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  if (ctx->job != NULL) { /* resumed: the read pool has answered */
    r = ctx->job->reply;
    memset(&ctx->job->reply, 0, sizeof ctx->job->reply);
  } else if (ctx->read_denied != CNSM_READ_OK) {
    server_read_refusal(ctx, url, &r);
  } else if (ctx->ingest && strcmp(method, "POST") != 0) {
    cnsm_reply_error(&r, 405, "use POST");
  } else if (ctx->refused || ctx->too_large) {
    server_ingest_refusal(ctx, &r);
  } else if (ctx->ingest) {
    cnsm_ingest_commit(s->store, ctx->project, ctx->encoding, ctx->idem_key,
                       &ctx->labels, ctx->buf ? ctx->buf : "", ctx->len, &r);
    if (r.status == 200)
      server_probes_of(s, ctx);
  } else if (strcmp(method, "POST") == 0 && strcmp(url, "/api/probe") == 0) {
    cnsm_api_probe_post(s->store, ctx->buf ? ctx->buf : "", ctx->len, &r);
  } else if (is_get && server_is_heavy(url)) {
    return server_defer(s, c, ctx, url) == 0 ? MHD_YES : MHD_NO;
  } else if (is_get) {
    server_route_get(s, url, &r);
  } else {
    cnsm_reply_error(&r, 405, "method not allowed");
  }
  return server_send(c, ctx, &r);
}

/* Completion callback: writes the request's log line, frees its state. */
static void server_completed(void *cls, struct MHD_Connection *c,
                             void **con_cls,
                             enum MHD_RequestTerminationCode toe) {
  struct server_state *s = cls;
  (void)c;
  struct conn_ctx *ctx = *con_cls;
  if (ctx == NULL)
    return;
  cnsm_deadline_answered(s->deadlines, ctx->deadline);
  fprintf(stderr, "%s %s %u %zu %.3fms%s\n", ctx->method, ctx->path,
          ctx->status, ctx->bytes, cnsm_mono_ms() - ctx->t0,
          toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
  if (!ctx->pre.is_static)
    free(ctx->pre.body);
  server_read_free(ctx->job);
  cnsm_probes_free(&ctx->probes);
  free(ctx->buf);
  free(ctx);
  *con_cls = NULL;
}

/* Reads a whole file into a malloc'd NUL-terminated string. */
static char *server_slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  char chunk[4096];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      char *grown = realloc(buf, cap);
      if (grown == NULL)
        break;
      buf = grown;
    }
    memcpy(buf + len, chunk, n);
    len += n;
  }
  fclose(f);
  if (buf)
    buf[len] = '\0';
  return buf;
}

/* Resolves HOST:PORT, [V6]:PORT or PORT (host 127.0.0.1) into *ss. */
static int server_resolve(const char *listen, struct sockaddr_storage *ss,
                          socklen_t *sslen) {
  char host[256] = "127.0.0.1", port[16];
  const char *colon = strrchr(listen, ':');
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (close == NULL || close[1] != ':')
      return -1;
    snprintf(host, sizeof host, "%.*s", (int)(close - listen - 1), listen + 1);
    snprintf(port, sizeof port, "%s", close + 2);
  } else if (colon != NULL) {
    if (colon != listen)
      snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    snprintf(port, sizeof port, "%s", colon + 1);
  } else {
    snprintf(port, sizeof port, "%s", listen);
  }
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
    return -1;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *sslen = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

/* Connections open now, of all clients, and the cap beyond which a new
 * one is closed at once by the accept policy (server_accept).
 * libmicrohttpd's own limit, once reached, stops polling the listen
 * socket instead: new connections waited in the kernel's backlog,
 * unanswered, until an idle one timed out (a helper's trial: past 960
 * idle connections, an ingest from another address got no answer in 15
 * s).  Its limit is set above the cap, where it is never reached. */
static atomic_uint server_open;
static unsigned server_cap;
#define SERVER_CAP_SLACK 64u /* accepted before the count catches up */

/* Counts connections for the cap and gives each its deadlines entry
 * (deadline.c), kept as libmicrohttpd's socket context. */
static void server_notify_connection(void *cls, struct MHD_Connection *c,
                                     void **socket_context,
                                     enum MHD_ConnectionNotificationCode code) {
  struct server_state *s = cls;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    atomic_fetch_add(&server_open, 1);
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context =
        info ? cnsm_deadline_open(s->deadlines, info->connect_fd) : NULL;
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    atomic_fetch_sub(&server_open, 1);
    cnsm_deadline_close(s->deadlines, *socket_context);
    *socket_context = NULL;
  }
}

static enum MHD_Result server_accept(void *cls, const struct sockaddr *addr,
                                     socklen_t addrlen) {
  (void)cls;
  (void)addr;
  (void)addrlen;
  if (atomic_load(&server_open) < server_cap)
    return MHD_YES;
  static _Atomic time_t said; /* once a minute, not once a connection */
  time_t now = time(NULL), last = atomic_load(&said);
  if (now - last >= 60 && atomic_compare_exchange_strong(&said, &last, now))
    fprintf(stderr,
            "codensm-collector: %u connections open, the most allowed: new "
            "ones are closed at once until some end (idle ones after %u s)\n",
            server_cap, SERVER_IDLE_TIMEOUT_S);
  return MHD_NO;
}

/* Raises the soft limit on open files to the hard one and returns how
 * many connections fit in it: at most SERVER_CONN_MAX, keeping
 * SERVER_FD_RESERVE files for everything else. */
static unsigned server_connection_budget(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return 1000;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  rlim_t reserve = SERVER_FD_RESERVE + SERVER_CAP_SLACK;
  rlim_t fit = rl.rlim_cur > 2 * reserve ? rl.rlim_cur - reserve : reserve;
  unsigned n = fit < SERVER_CONN_MAX ? (unsigned)fit : SERVER_CONN_MAX;
  if (n < SERVER_CONN_MAX)
    fprintf(stderr,
            "codensm-collector: open files limited to %llu; at most %u "
            "connections\n",
            (unsigned long long)rl.rlim_cur, n);
  return n;
}

/* Closes the connections past their deadline, and says so at most
 * once a minute, with how many since it last did. */
static void server_sweep(struct server_state *s) {
  static unsigned unsaid;
  static time_t said;
  unsaid += cnsm_deadlines_sweep(s->deadlines);
  time_t now = time(NULL);
  if (unsaid == 0 || now - said < 60)
    return;
  fprintf(stderr,
          "codensm-collector: closed %u connection%s too slow to send a "
          "request (headers due within %u s, a body within %u s)\n",
          unsaid, unsaid == 1 ? "" : "s", s->header_timeout_s,
          s->body_timeout_s);
  unsaid = 0;
  said = now;
}

/* Waits for SIGINT or SIGTERM, sweeping the deadlines meanwhile; returns
 * the signal. */
static int server_wait(struct server_state *s, const sigset_t *set) {
  const struct timespec tick = {0, SERVER_SWEEP_MS * 1000L * 1000L};
  for (;;) {
    int sig = sigtimedwait(set, NULL, &tick);
    if (sig == SIGINT || sig == SIGTERM)
      return sig;
    server_sweep(s);
  }
}

/* Waits for SIGINT/SIGTERM, then drains and stops the daemon. */
static void server_wait_and_stop(struct MHD_Daemon *d, struct server_state *s,
                                 const sigset_t *set) {
  int sig = server_wait(s, set);
  fprintf(stderr, "codensm-collector: %s received, stopping\n",
          sig == SIGINT ? "SIGINT" : "SIGTERM");
  atomic_store(&server_stopping, 1);
  MHD_socket ls = MHD_quiesce_daemon(d);
  if (ls != MHD_INVALID_SOCKET)
    close(ls);
  for (int i = 0; i < 1000; i++) { /* up to 10 s for requests in flight */
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (info == NULL || info->num_connections == 0)
      break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (i % (SERVER_SWEEP_MS / 10) == 0) /* slow clients hold the drain */
      server_sweep(s);
  }
  cnsm_readpool_stop(s->readers); /* resumes every suspended connection */
  MHD_stop_daemon(d);
}

/* Releases what server_state_open opened (the read pool stopped first). */
static void server_state_close(struct server_state *s) {
  if (s->readers != NULL) {
    cnsm_readpool_stop(s->readers);
    cnsm_readpool_free(s->readers);
  }
  cnsm_deadlines_free(s->deadlines);
  cnsm_store_close(s->store);
}

/* Opens the database, blocks the stop signals (into *set) and starts
 * the read pool and the deadlines.  Returns 0, or -1 with the reason
 * said on stderr and nothing left open. */
static int server_state_open(const char *db_path, unsigned threads,
                             struct server_state *s, sigset_t *set) {
  char err[512];
  if (cnsm_store_open(db_path, (int)threads, CNSM_STORE_CREATE, &s->store, err,
                      sizeof err) != 0) {
    fprintf(stderr, "codensm-collector: %s\n", err);
    return -1;
  }
  /* Block the stop signals here so every MHD thread inherits the mask
   * and only sigtimedwait() sees them; a closed client never kills us. */
  sigemptyset(set);
  sigaddset(set, SIGINT);
  sigaddset(set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, set, NULL);
  signal(SIGPIPE, SIG_IGN);
  s->deadlines = cnsm_deadlines_new(s->header_timeout_s, s->body_timeout_s);
  if (s->deadlines == NULL)
    snprintf(err, sizeof err, "out of memory");
  if (s->deadlines == NULL ||
      cnsm_readpool_start(db_path, SERVER_READERS, SERVER_READ_QUEUE,
                          &s->readers, err, sizeof err) != 0) {
    fprintf(stderr, "codensm-collector: %s\n", err);
    s->readers = NULL;
    server_state_close(s);
    return -1;
  }
  return 0;
}

/* Runs the server; see server.h. */
int cnsm_server_run(const struct cnsm_server_opts *o) {
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (server_resolve(o->listen, &ss, &sslen) != 0) {
    fprintf(stderr, "codensm-collector: cannot resolve --listen %s\n",
            o->listen);
    return 2;
  }
  if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
    fprintf(stderr,
            "codensm-collector: --tls-cert and --tls-key go together\n");
    return 2;
  }
  char *cert = NULL, *key = NULL;
  if (o->tls_cert != NULL) {
    cert = server_slurp(o->tls_cert);
    key = server_slurp(o->tls_key);
    if (cert == NULL || key == NULL) {
      fprintf(stderr, "codensm-collector: cannot read %s\n",
              cert == NULL ? o->tls_cert : o->tls_key);
      free(cert);
      free(key);
      return 2;
    }
  }
  struct server_state s = {
      .read_tokens = o->read_tokens,
      .metrics_all = o->metrics_all_functions,
      .header_timeout_s = o->header_timeout_s ? o->header_timeout_s
                                              : CNSM_HEADER_TIMEOUT_DEFAULT_S,
      .body_timeout_s =
          o->body_timeout_s ? o->body_timeout_s : CNSM_BODY_TIMEOUT_DEFAULT_S};
  unsigned threads = o->threads ? o->threads : 4;
  sigset_t set;
  if (server_state_open(o->db_path, threads, &s, &set) != 0) {
    free(cert);
    free(key);
    return 1;
  }

  /* poll(), not epoll: libmicrohttpd 0.9.75 (Debian 12) races with
   * itself when an epoll daemon with a thread pool is quiesced (a worker
   * that saw the quiesce takes the listen socket out of its epoll set, the
   * quiesce then fails to and aborts: "Failed to remove listen FD from
   * epoll set", a collector stopped by SIGTERM dying of SIGABRT, seen in
   * an ASan run of the collector tests).  Its fatal errors cannot be
   * caught: each is followed by __builtin_unreachable().  Under poll()
   * the quiesce only wakes the workers.  Each worker polls its own
   * connections, at most the connection cap over --threads of them. */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG | MHD_USE_POLL;
  if (ss.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  if (cert != NULL)
    flags |= MHD_USE_TLS;
  server_cap = server_connection_budget();
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, server_accept, NULL, server_handle, &s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_TIMEOUT, SERVER_IDLE_TIMEOUT_S,
      MHD_OPTION_CONNECTION_LIMIT, server_cap + SERVER_CAP_SLACK,
      MHD_OPTION_NOTIFY_CONNECTION, server_notify_connection, (void *)&s,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, SERVER_CONN_PER_IP,
      MHD_OPTION_NOTIFY_COMPLETED, server_completed, (void *)&s,
      cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
      MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "codensm-collector: cannot listen on %s%s\n", o->listen,
            cert ? " (check the TLS certificate and key)" : "");
    server_state_close(&s);
    free(cert);
    free(key);
    return 1;
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  char host[256];
  if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, NULL, 0,
                  NI_NUMERICHOST) != 0)
    snprintf(host, sizeof host, "?");
  int v6 = ss.ss_family == AF_INET6;
  if (!cnsm_addr_is_loopback((struct sockaddr *)&ss) &&
      (o->read_tokens == NULL || o->read_tokens->n == 0))
    fprintf(stderr,
            "codensm-collector: warning: listening on %s without "
            "--read-token: the dashboard, /api/ and /metrics are readable by "
            "anyone who can reach it\n",
            host);
  char shown[512]; /* never a password */
  cnsm_store_redact(o->db_path, shown, sizeof shown);
  fprintf(stderr, "codensm-collector: listening on %s://%s%s%s:%u (db %s)\n",
          cert ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
          info ? (unsigned)info->port : 0u, shown);
  struct cnsm_retention_thread *retention =
      cnsm_retention_start(s.store, &o->retention);
  if (retention == NULL)
    fprintf(stderr, "codensm-collector: warning: retention not running\n");
  server_wait_and_stop(d, &s, &set);
  cnsm_retention_stop(retention);
  server_state_close(&s);
  free(cert);
  free(key);
  fprintf(stderr, "codensm-collector: stopped\n");
  return 0;
}
