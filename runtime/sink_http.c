/* SPDX-License-Identifier: Apache-2.0
 *
 * sink_http.c - http:// and https:// endpoints through libcurl.
 *
 * POST of the ingest body with the headers of ours:
 * "Authorization: Bearer <CODENSM_API_KEY>" (when a key is set),
 * "Content-Type: application/json", "Idempotency-Key: <key>" (batch.c),
 * and the labels "X-CodeNSM-Version: <CODENSM_VERSION>" (when set) and
 * "X-CodeNSM-Instance: <CODENSM_INSTANCE or the host name>", sanitized
 * by config.c, so the fixed body stays exactly the contract's;
 * curl's "Expect: 100-continue" is suppressed.  Connect and total timeouts
 * always apply, signals are never used (CURLOPT_NOSIGNAL), redirects are not
 * followed, only HTTP(S) is spoken.  The answer is classified (enum
 * cnsm_outcome): stored (2xx), not stored and worth keeping (no connection,
 * 401/403 key, 404/405 path), maybe stored (no answer, 5xx, 408, 429: the batch
 * is frozen), refused for good (any other 4xx: the batch is split).  A cause
 * the user must act on is said once per process on stderr, CODENSM_DEBUG or
 * not: an empty dashboard must never be the only sign.  The easy handle is
 * reused between sends of one process (keep-alive) and deliberately leaked,
 * never cleaned up, in a fork child: its connection belongs to the parent.
 *
 * libcurl is loaded with dlopen(), not linked: linked, it and its
 * thirty-odd dependencies (TLS, HTTP/2, LDAP, ...) were loaded and
 * relocated at the start of every instrumented process, about 5 ms, even
 * by processes that never send over HTTP (file:// sinks, CODENSM_REPORT,
 * test suites of short processes).  Only its headers are needed to build.
 * It is loaded by the thread that starts the flusher, before the flusher
 * exists (cnsm_http_load), never by the flusher itself: a program that
 * forked while the flusher was inside dlopen or curl_global_init gave its
 * child a dynamic loader, a libcurl and glibc's locks half way through,
 * and the child's own first send aborted in ld.so ("Inconsistency
 * detected by ld.so: dl-open.c"), crashed in curl_global_init or hung
 * (nginx's master died at start; tests/runtime fork-during-load).  At
 * that point the program is still starting, in its first thread.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "internal.h"

/* The part of libcurl's API this file uses, resolved from libcurl.so.4. */
static struct {
  CURLcode (*global_init)(long flags);
  CURL *(*easy_init)(void);
  void (*easy_reset)(CURL *h);
  CURLcode (*easy_setopt)(CURL *h, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL *h);
  CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
  const char *(*easy_strerror)(CURLcode code);
  struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
  void (*slist_free_all)(struct curl_slist *list);
} curl;
static int curl_loaded;

static CURL *handle; /* used under the flush lock only */
long cnsm_http_last_status;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* OpenSSL registers an atexit cleanup when it first initialises.  Here it
 * first initialises in the flusher thread, at any time, so the application
 * can exit while curl_global_init is half way through OpenSSL's start:
 * the cleanup then frees what the initialisation is filling in (a crash
 * in about 2% of short processes against a collector that is down), and
 * at best leaves the exit flush an OpenSSL that refuses to work.  So
 * OpenSSL is initialised first without the atexit cleanup: the process is
 * ending anyway.  Nothing happens when libcurl is built on another TLS
 * library, or the application initialised OpenSSL itself. */
static void keep_openssl_past_exit(void) {
  void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!crypto)
    return;
  int (*init_crypto)(uint64_t opts, const void *settings);
  *(void **)(&init_crypto) = dlsym(crypto, "OPENSSL_init_crypto");
  if (init_crypto)
    init_crypto(0x00080000u /* OPENSSL_INIT_NO_ATEXIT */, NULL);
}

/* Fork child: drop the parent's handle without closing its connection. */
static void fork_child(void) { handle = NULL; }

static void install_fork_handlers(void) {
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_http_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handlers);
}

/* Loads libcurl and calls curl_global_init, once; warns when it cannot.
 * The fork handler comes first: the handle is made after it. */
static void curl_load(void) {
  cnsm_http_init_once();
  keep_openssl_past_exit();
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    cnsm_warn("cannot load libcurl (%s): http(s) endpoints cannot be reached; "
              "install libcurl4 (deltas are kept and spooled)",
              dlerror());
    return;
  }
  /* dlsym returns void *; POSIX guarantees it converts to a function. */
#define CNSM_CURL_SYM(field, name)                                             \
  *(void **)(&curl.field) = dlsym(lib, name);                                  \
  if (!curl.field) {                                                           \
    cnsm_warn("libcurl has no %s: http(s) endpoints cannot be reached", name); \
    return;                                                                    \
  }
  CNSM_CURL_SYM(global_init, "curl_global_init")
  CNSM_CURL_SYM(easy_init, "curl_easy_init")
  CNSM_CURL_SYM(easy_reset, "curl_easy_reset")
  CNSM_CURL_SYM(easy_setopt, "curl_easy_setopt")
  CNSM_CURL_SYM(easy_perform, "curl_easy_perform")
  CNSM_CURL_SYM(easy_getinfo, "curl_easy_getinfo")
  CNSM_CURL_SYM(easy_strerror, "curl_easy_strerror")
  CNSM_CURL_SYM(slist_append, "curl_slist_append")
  CNSM_CURL_SYM(slist_free_all, "curl_slist_free_all")
#undef CNSM_CURL_SYM
  curl.global_init(CURL_GLOBAL_DEFAULT);
  curl_loaded = 1;
}

/* The start of the last answer's body (the collector's {"error": ...}). */
static char answer[160];
static size_t answer_len;

/* Keeps the start of the response body, discards the rest. */
static size_t keep_answer(char *p, size_t size, size_t n, void *u) {
  (void)u;
  size_t len = size * n, room = sizeof answer - 1 - answer_len;
  size_t take = len < room ? len : room;
  memcpy(answer + answer_len, p, take);
  answer_len += take;
  answer[answer_len] = '\0';
  return len;
}

const char *cnsm_http_last_answer(void) { return answer; }

/* Says once per process and cause what the user should do. */
static void warn_cause(const char *endpoint, long status, CURLcode rc,
                       int outcome) {
  static int said_key, said_path, said_unreachable, said_silent;
  if ((status == 401 || status == 403) && !said_key++)
    cnsm_warn("the collector at %s refused the key (%ld); figures are kept "
              "and spooled: check CODENSM_API_KEY",
              endpoint, status);
  else if ((status == 404 || status == 405) && !said_path++)
    cnsm_warn("%s answered %ld: no ingest endpoint at that path; figures are "
              "kept and spooled: check CODENSM_ENDPOINT (it ends in "
              "/codensm/ingest)",
              endpoint, status);
  else if (rc != CURLE_OK && outcome == CNSM_UNKNOWN && !said_silent++)
    cnsm_warn("the collector at %s did not answer (%s); the batch is kept "
              "and resent unchanged (it is counted once): check the "
              "collector's health",
              endpoint, curl.easy_strerror(rc));
  else if (rc != CURLE_OK && outcome == CNSM_UNSENT && !said_unreachable++)
    cnsm_warn("cannot reach the collector at %s (%s); figures are kept and "
              "spooled for the next run: check CODENSM_ENDPOINT and that the "
              "collector is running",
              endpoint, curl.easy_strerror(rc));
}

/* The outcome of a transfer that ended with rc and status. */
static int classify(CURLcode rc, long status) {
  if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
      rc == CURLE_COULDNT_RESOLVE_PROXY)
    return CNSM_UNSENT; /* no request left this process */
  if (rc != CURLE_OK)
    return CNSM_UNKNOWN; /* timeout or reset: it may have been stored */
  if (status >= 200 && status <= 299)
    return CNSM_SENT;
  if (status == 401 || status == 403 || status == 404 || status == 405)
    return CNSM_UNSENT; /* refused before storing; a fix needs the user */
  if (status == 408 || status == 429 || status >= 500 || status < 200)
    return CNSM_UNKNOWN;
  return CNSM_REFUSED; /* 400, 413, 422, ...: the body itself */
}

/* The extensions the last answer's X-CodeNSM-Extensions header named
 * (CNSM_EXT_*), and the endpoint whose 2xx answer last named them. */
static unsigned answer_extensions;
static char *accepting_endpoint;
static unsigned accepted_extensions;

/* The CNSM_EXT_* bits of a comma-separated list; names not known here are
 * ignored (a newer collector may offer more). */
static unsigned extension_bits(const char *p, const char *end) {
  unsigned bits = 0;
  while (p < end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
      p++;
    const char *word = p;
    while (p < end && *p != ',' && *p != ' ' && *p != '\t' && *p != '\r' &&
           *p != '\n')
      p++;
    size_t len = (size_t)(p - word);
    if (len == 9 && strncasecmp(word, "histogram", 9) == 0)
      bits |= CNSM_EXT_HISTOGRAM;
    else if (len == 6 && strncasecmp(word, "source", 6) == 0)
      bits |= CNSM_EXT_SOURCE;
    else if (len == 6 && strncasecmp(word, "causes", 6) == 0)
      bits |= CNSM_EXT_CAUSES;
    else if (len == 7 && strncasecmp(word, "callers", 7) == 0)
      bits |= CNSM_EXT_CALLERS;
    while (p < end && *p != ',')
      p++;
  }
  return bits;
}

/* The probes the answer being read asks for (docs/ingest-contract.md,
 * "Probes"), and those of the last stored answer, until the flusher takes
 * them: every answer lists all that are active, so an answer without one
 * ends them all. */
static struct cnsm_probe_order answer_probes[CNSM_PROBES_MAX];
static size_t answer_probe_count;
static struct cnsm_probe_order kept_probes[CNSM_PROBES_MAX];
static size_t kept_probe_count;
static int kept_probes_fresh;

static void free_probes(struct cnsm_probe_order *p, size_t *n) {
  for (size_t i = 0; i < *n; i++)
    free(p[i].name);
  *n = 0;
}

/* "<seconds> <name>" of one X-CodeNSM-Probe line (p to end, CRLF
 * included): a malformed one is ignored. */
static void read_probe(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  uint64_t seconds = 0;
  const char *digits = p;
  while (p < end && *p >= '0' && *p <= '9' && seconds <= 86400)
    seconds = seconds * 10 + (uint64_t)(*p++ - '0');
  if (p == digits || p == end || *p != ' ' || seconds < 1 || seconds > 86400 ||
      answer_probe_count == CNSM_PROBES_MAX)
    return;
  const char *name = ++p;
  while (end > name && (end[-1] == '\r' || end[-1] == '\n'))
    end--;
  size_t len = (size_t)(end - name);
  if (len == 0 || len > CNSM_MAX_NAME_BYTES)
    return;
  char *copy = malloc(len + 1);
  if (!copy)
    return;
  memcpy(copy, name, len);
  copy[len] = '\0';
  answer_probes[answer_probe_count++] =
      (struct cnsm_probe_order){copy, (uint32_t)seconds};
}

/* Reads the X-CodeNSM-Extensions and X-CodeNSM-Probe headers of the
 * answer (libcurl calls this once per header line; a redirect is not
 * followed, so every line is the collector's). */
static size_t read_header(char *line, size_t size, size_t n, void *u) {
  (void)u;
  static const char name[] = "X-CodeNSM-Extensions:";
  static const char probe[] = "X-CodeNSM-Probe:";
  size_t len = size * n;
  if (len > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0)
    answer_extensions = extension_bits(line + sizeof name - 1, line + len);
  else if (len > sizeof probe - 1 &&
           strncasecmp(line, probe, sizeof probe - 1) == 0)
    read_probe(line + sizeof probe - 1, line + len);
  return len;
}

/* The stored answer's probes become the ones the flusher takes next. */
static void keep_probes(void) {
  free_probes(kept_probes, &kept_probe_count);
  memcpy(kept_probes, answer_probes, answer_probe_count * sizeof *kept_probes);
  kept_probe_count = answer_probe_count;
  answer_probe_count = 0;
  kept_probes_fresh = 1;
}

long cnsm_http_take_probes(const struct cnsm_probe_order **orders) {
  if (!kept_probes_fresh)
    return -1;
  kept_probes_fresh = 0;
  *orders = kept_probes;
  return (long)kept_probe_count;
}

/* Remembers what endpoint's stored answer offered: only its own answers
 * open the extensions, and an answer without the header closes them. */
static void note_extensions(const char *endpoint) {
  if (!accepting_endpoint || strcmp(accepting_endpoint, endpoint) != 0) {
    free(accepting_endpoint);
    accepting_endpoint = strdup(endpoint);
  }
  accepted_extensions = accepting_endpoint ? answer_extensions : 0;
}

int cnsm_http_answered(const char *endpoint) {
  return accepting_endpoint && strcmp(accepting_endpoint, endpoint) == 0;
}

unsigned cnsm_http_extensions(const char *endpoint) {
  return cnsm_http_answered(endpoint) ? accepted_extensions : 0;
}

/* The collector's socket, numbered out of the program's way (fds.c). */
static curl_socket_t open_socket(void *unused, curlsocktype purpose,
                                 struct curl_sockaddr *address) {
  (void)unused;
  (void)purpose;
  int fd = socket(address->family, address->socktype | SOCK_CLOEXEC,
                  address->protocol);
  return fd < 0 ? CURL_SOCKET_BAD : cnsm_fd_aside(fd);
}

/* A send running when the program confines itself is cut short (the
 * flusher waits for it: sandbox.c), its outcome unknown, so its batch is
 * kept and resent under its key by the next process. */
static int cutting;

void cnsm_http_cut(int on) { __atomic_store_n(&cutting, on, __ATOMIC_RELEASE); }

/* libcurl's progress callback, called at least once a second: non-zero
 * ends the transfer. */
static int on_progress(void *unused, curl_off_t down_total, curl_off_t down,
                       curl_off_t up_total, curl_off_t up) {
  (void)unused;
  (void)down_total;
  (void)down;
  (void)up_total;
  (void)up;
  return __atomic_load_n(&cutting, __ATOMIC_ACQUIRE);
}

/* Sets the request's options on h. */
static void set_options(CURL *h, const char *endpoint,
                        struct curl_slist *headers, const char *body,
                        long timeout_ms) {
  curl.easy_setopt(h, CURLOPT_URL, endpoint);
  curl.easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
  curl.easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl.easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   timeout_ms < 3000 ? timeout_ms : 3000L);
  curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl.easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_answer);
  curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, read_header);
  curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
}

void cnsm_http_load(void) {
  static __thread int loading_here;
  if (loading_here)
    return;
  loading_here = 1;
  pthread_once(&curl_once, curl_load);
  loading_here = 0;
}

/* One POST; its outcome (enum cnsm_outcome). */
int cnsm_http_send(const char *endpoint, const char *api_key,
                   const char *idem_key, const char *version,
                   const char *instance, const char *body, long timeout_ms) {
  cnsm_http_load(); /* an endpoint codensm_init gave later: only now */
  if (!curl_loaded)
    return CNSM_UNSENT;
  if (!handle && !(handle = curl.easy_init()))
    return CNSM_UNSENT;
  if (timeout_ms < 1)
    timeout_ms = 1;
  CURL *h = handle;
  curl.easy_reset(h);
  struct curl_slist *headers = NULL;
  char auth[1024], idem[200], ver[200], inst[200];
  if (api_key && *api_key) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key);
    headers = curl.slist_append(headers, auth);
  }
  if (idem_key) {
    snprintf(idem, sizeof idem, "Idempotency-Key: %s", idem_key);
    headers = curl.slist_append(headers, idem);
  }
  if (version && *version) {
    snprintf(ver, sizeof ver, "X-CodeNSM-Version: %s", version);
    headers = curl.slist_append(headers, ver);
  }
  if (instance && *instance) {
    snprintf(inst, sizeof inst, "X-CodeNSM-Instance: %s", instance);
    headers = curl.slist_append(headers, inst);
  }
  headers = curl.slist_append(headers, "Content-Type: application/json");
  headers = curl.slist_append(headers, "Expect:");
  set_options(h, endpoint, headers, body, timeout_ms);
  answer_len = 0;
  answer[0] = '\0';
  answer_extensions = 0;
  free_probes(answer_probes, &answer_probe_count);
  CURLcode rc = curl.easy_perform(h);
  long status = 0;
  if (rc == CURLE_OK)
    curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl.slist_free_all(headers);
  int outcome = classify(rc, status);
  if (outcome == CNSM_SENT) {
    note_extensions(endpoint);
    keep_probes();
  }
  if (rc != CURLE_OK)
    cnsm_debug("POST %s failed: %s", endpoint, curl.easy_strerror(rc));
  else if (outcome != CNSM_SENT)
    cnsm_debug("POST %s answered %ld %s", endpoint, status, answer);
  if (outcome == CNSM_UNSENT || rc != CURLE_OK)
    warn_cause(endpoint, status, rc, outcome);
  cnsm_http_last_status = status;
  return outcome;
}
