/* server.c - the collector's HTTP(S) server, on libmicrohttpd.
 *
 * How it works: MHD runs a pool of worker threads, each with its own
 * SQLite connection from the store's pool.  Every request gets a small
 * context (connCtx).  For POST /codensm/ingest the key and content type
 * are checked as soon as the headers are in (cnsm_ingest_precheck); the
 * body is then accumulated up to CNSM_BODY_MAX, or read and discarded
 * when the request is already refused or too large, so clients always
 * get their status instead of a reset connection.  When the body is
 * complete the request is routed, answered, and logged by the
 * completion callback as one line on stderr:
 *   METHOD PATH STATUS BYTES MSms
 * Shutdown: SIGINT/SIGTERM are blocked in every thread and taken with
 * sigwait() by the main thread, which quiesces the daemon (no new
 * connections), waits up to 10 s for open connections to finish, stops
 * MHD and closes the database. */
#include "server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "handlers.h"
#include "ingest.h"
#include "util.h"

#define SERVER_DISCARD_MAX (256u << 20) /* refuse to drain more than this */

/* Per request state, from the first call of the handler to completion. */
struct connCtx {
  double t0;
  char method[8];
  char path[256];
  unsigned status;
  size_t bytes;
  int ingest;           /* POST /codensm/ingest */
  int refused;          /* reply already decided, body discarded */
  int too_large;        /* 413 once the body is drained */
  struct cnsm_reply pre; /* the early refusal */
  char project[160];
  const char *encoding;
  char *buf;
  size_t len, cap, drained;
};

struct serverState {
  struct cnsm_store *store;
};

/* Set once shutdown starts: replies then ask clients to close their
 * keep-alive connections, so draining does not wait on idle ones. */
static atomic_int serverStopping;

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

/* Sends a reply and records its status and size for the log line. */
static enum MHD_Result serverSend(struct MHD_Connection *c, struct connCtx *ctx,
                                  struct cnsm_reply *r) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      r->len, r->body,
      r->is_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    if (!r->is_static) free(r->body);
    return MHD_NO;
  }
  MHD_add_response_header(resp, "Content-Type", r->content_type);
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  if (atomic_load(&serverStopping))
    MHD_add_response_header(resp, "Connection", "close");
  if (r->status == 405)
    MHD_add_response_header(resp, "Allow", ctx->ingest ? "POST" : "GET, HEAD");
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

/* Routes a complete GET/HEAD request to a read-only handler. */
static void serverRouteGet(struct serverState *s, struct MHD_Connection *c,
                           const char *url, struct cnsm_reply *r) {
  if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0) {
    cnsm_dashboard_page(r);
  } else if (strcmp(url, "/api/projects") == 0) {
    cnsm_api_projects(s->store, r);
  } else if (strcmp(url, "/api/report") == 0) {
    cnsm_api_report(s->store,
                    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "project"),
                    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since"),
                    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit"), r);
  } else if (strcmp(url, "/metrics") == 0) {
    cnsm_metrics_render(s->store, r);
  } else if (strcmp(url, "/healthz") == 0) {
    cnsm_reply_set(r, 200, "application/json", strdup("{\"ok\":true}"));
  } else {
    cnsm_reply_error(r, 404, "not found");
  }
}

/* First call for a request: set up its context and, for ingest, decide
 * at once whether it is refused (bad key, content type, size). */
static struct connCtx *serverBegin(struct serverState *s, struct MHD_Connection *c,
                                   const char *url, const char *method) {
  struct connCtx *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return NULL;
  ctx->t0 = cnsm_mono_ms();
  snprintf(ctx->method, sizeof ctx->method, "%s", method);
  snprintf(ctx->path, sizeof ctx->path, "%s", url);
  ctx->ingest = strcmp(url, "/codensm/ingest") == 0;
  if (!ctx->ingest || strcmp(method, "POST") != 0) return ctx;
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  ctx->encoding = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
  if (cnsm_ingest_precheck(s->store,
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
          MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
          ctx->encoding, ctx->project, sizeof ctx->project, &ctx->pre) != 0) {
    ctx->refused = 1;
  } else if (cl != NULL && strtoull(cl, NULL, 10) > CNSM_BODY_MAX) {
    ctx->too_large = 1;
  }
  return ctx;
}

/* Takes a chunk of an ingest body: keeps it, or drains it if the request
 * is refused or past the limit.  Returns 0, or -1 to drop the connection. */
static int serverAccumulate(struct connCtx *ctx, const char *data, size_t n) {
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
    while (cap < ctx->len + n) cap *= 2;
    char *grown = realloc(ctx->buf, cap);
    if (grown == NULL) return -1;
    ctx->buf = grown;
    ctx->cap = cap;
  }
  memcpy(ctx->buf + ctx->len, data, n);
  ctx->len += n;
  return 0;
}

/* The MHD access handler: called once with headers, once per body chunk
 * and once more when the body is complete. */
static enum MHD_Result serverHandle(void *cls, struct MHD_Connection *c,
                                    const char *url, const char *method,
                                    const char *version, const char *data,
                                    size_t *data_size, void **con_cls) {
  (void)version;
  struct serverState *s = cls;
  struct connCtx *ctx = *con_cls;
  if (ctx == NULL) {
    ctx = serverBegin(s, c, url, method);
    *con_cls = ctx;
    return ctx ? MHD_YES : MHD_NO;
  }
  if (*data_size > 0) {
    if (serverAccumulate(ctx, data, *data_size) != 0) return MHD_NO;
    *data_size = 0;
    return MHD_YES;
  }
  struct cnsm_reply r;
  memset(&r, 0, sizeof r);
  int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  if (ctx->ingest && strcmp(method, "POST") != 0) {
    cnsm_reply_error(&r, 405, "use POST");
  } else if (ctx->refused) {
    r = ctx->pre;
    memset(&ctx->pre, 0, sizeof ctx->pre);
  } else if (ctx->too_large) {
    cnsm_reply_error(&r, 413, "request body exceeds 4 MiB; send smaller batches");
  } else if (ctx->ingest) {
    cnsm_ingest_commit(s->store, ctx->project, ctx->encoding,
                       ctx->buf ? ctx->buf : "", ctx->len, &r);
  } else if (is_get) {
    serverRouteGet(s, c, url, &r);
  } else {
    cnsm_reply_error(&r, 405, "method not allowed");
  }
  return serverSend(c, ctx, &r);
}

/* Completion callback: writes the request's log line, frees its state. */
static void serverCompleted(void *cls, struct MHD_Connection *c, void **con_cls,
                            enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  struct connCtx *ctx = *con_cls;
  if (ctx == NULL) return;
  fprintf(stderr, "%s %s %u %zu %.3fms%s\n", ctx->method, ctx->path,
          ctx->status, ctx->bytes, cnsm_mono_ms() - ctx->t0,
          toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
  if (!ctx->pre.is_static) free(ctx->pre.body);
  free(ctx->buf);
  free(ctx);
  *con_cls = NULL;
}

/* Reads a whole file into a malloc'd NUL-terminated string. */
static char *serverSlurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0, n;
  char chunk[4096];
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + n + 1 > cap) {
      cap = (len + n + 1) * 2;
      char *grown = realloc(buf, cap);
      if (grown == NULL) break;
      buf = grown;
    }
    memcpy(buf + len, chunk, n);
    len += n;
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

/* Resolves HOST:PORT, [V6]:PORT or PORT (host 127.0.0.1) into *ss. */
static int serverResolve(const char *listen, struct sockaddr_storage *ss,
                         socklen_t *sslen) {
  char host[256] = "127.0.0.1", port[16];
  const char *colon = strrchr(listen, ':');
  if (listen[0] == '[') {
    const char *close = strchr(listen, ']');
    if (close == NULL || close[1] != ':') return -1;
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
  if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) return -1;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *sslen = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

/* Waits for SIGINT/SIGTERM, then drains and stops the daemon. */
static void serverWaitAndStop(struct MHD_Daemon *d, const sigset_t *set) {
  int sig = 0;
  sigwait(set, &sig);
  fprintf(stderr, "codensm-collector: %s received, stopping\n",
          sig == SIGINT ? "SIGINT" : "SIGTERM");
  atomic_store(&serverStopping, 1);
  MHD_socket ls = MHD_quiesce_daemon(d);
  if (ls != MHD_INVALID_SOCKET) close(ls);
  for (int i = 0; i < 1000; i++) { /* up to 10 s for requests in flight */
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    if (info == NULL || info->num_connections == 0) break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  MHD_stop_daemon(d);
}

/* Runs the server; see server.h. */
int cnsm_server_run(const struct cnsm_server_opts *o) {
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (serverResolve(o->listen, &ss, &sslen) != 0) {
    fprintf(stderr, "codensm-collector: cannot resolve --listen %s\n", o->listen);
    return 2;
  }
  if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
    fprintf(stderr, "codensm-collector: --tls-cert and --tls-key go together\n");
    return 2;
  }
  char *cert = NULL, *key = NULL;
  if (o->tls_cert != NULL) {
    cert = serverSlurp(o->tls_cert);
    key = serverSlurp(o->tls_key);
    if (cert == NULL || key == NULL) {
      fprintf(stderr, "codensm-collector: cannot read %s\n",
              cert == NULL ? o->tls_cert : o->tls_key);
      free(cert);
      free(key);
      return 2;
    }
  }
  struct serverState s;
  char err[512];
  unsigned threads = o->threads ? o->threads : 4;
  if (cnsm_store_open(o->db_path, (int)threads, &s.store, err, sizeof err) != 0) {
    fprintf(stderr, "codensm-collector: %s\n", err);
    free(cert);
    free(key);
    return 1;
  }
  /* Block the stop signals here so every MHD thread inherits the mask
   * and only sigwait() sees them; a closed client never kills us. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                   MHD_USE_ERROR_LOG | MHD_USE_AUTO;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  if (cert != NULL) flags |= MHD_USE_TLS;
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, NULL, NULL, serverHandle, &s,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_THREAD_POOL_SIZE, threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
      MHD_OPTION_NOTIFY_COMPLETED, serverCompleted, (void *)&s,
      cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
      MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
  if (d == NULL) {
    fprintf(stderr, "codensm-collector: cannot listen on %s%s\n", o->listen,
            cert ? " (check the TLS certificate and key)" : "");
    cnsm_store_close(s.store);
    free(cert);
    free(key);
    return 1;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
  char host[256];
  if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, NULL, 0,
                  NI_NUMERICHOST) != 0)
    snprintf(host, sizeof host, "?");
  int v6 = ss.ss_family == AF_INET6;
  fprintf(stderr, "codensm-collector: listening on %s://%s%s%s:%u (db %s)\n",
          cert ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
          info ? (unsigned)info->port : 0u, o->db_path);
  serverWaitAndStop(d, &set);
  cnsm_store_close(s.store);
  free(cert);
  free(key);
  fprintf(stderr, "codensm-collector: stopped\n");
  return 0;
}
