/*
 * sink_http.c - http:// and https:// endpoints through libcurl.
 *
 * POST of the ingest body with exactly two headers of ours:
 * "Authorization: Bearer <CODENSM_API_KEY>" (when a key is set) and
 * "Content-Type: application/json"; curl's "Expect: 100-continue" is
 * suppressed.  Connect and total timeouts always apply, signals are never
 * used (CURLOPT_NOSIGNAL), redirects are not followed, only HTTP(S) is
 * spoken.  Success is a 2xx status.  The easy handle is reused between
 * sends of one process (keep-alive) and deliberately leaked, never
 * cleaned up, in a fork child: its connection belongs to the parent.
 *
 * libcurl is loaded with dlopen() at the first send, in the flusher
 * thread, not linked: linked, it and its thirty-odd dependencies (TLS,
 * HTTP/2, LDAP, ...) were loaded and relocated at the start of every
 * instrumented process, about 5 ms, even by processes that never send over
 * HTTP (file:// sinks, CODENSM_REPORT, test suites of short processes).
 * Only its headers are needed to build.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

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
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* Loads libcurl and calls curl_global_init, once; warns when it cannot. */
static void curl_load(void) {
  void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib)
    lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    cnsm_warn("cannot load libcurl (%s): http(s) endpoints cannot be reached; "
              "install libcurl4 (deltas are kept and spooled)", dlerror());
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

/* Discards the response body. */
static size_t discard(char *p, size_t size, size_t n, void *u) {
  (void)p;
  (void)u;
  return size * n;
}

/* One POST; CNSM_SENT on a 2xx answer. */
int cnsm_http_send(const char *endpoint, const char *api_key, const char *body,
                   long timeout_ms) {
  pthread_once(&curl_once, curl_load);
  if (!curl_loaded)
    return CNSM_FAILED;
  if (!handle && !(handle = curl.easy_init()))
    return CNSM_FAILED;
  if (timeout_ms < 1)
    timeout_ms = 1;
  CURL *h = handle;
  curl.easy_reset(h);
  struct curl_slist *headers = NULL;
  char auth[1024];
  if (api_key && *api_key) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key);
    headers = curl.slist_append(headers, auth);
  }
  headers = curl.slist_append(headers, "Content-Type: application/json");
  headers = curl.slist_append(headers, "Expect:");
  curl.easy_setopt(h, CURLOPT_URL, endpoint);
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
  curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  CURLcode rc = curl.easy_perform(h);
  long status = 0;
  if (rc == CURLE_OK)
    curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl.slist_free_all(headers);
  if (rc != CURLE_OK) {
    cnsm_debug("POST %s failed: %s", endpoint, curl.easy_strerror(rc));
    return CNSM_FAILED;
  }
  if (status < 200 || status > 299) {
    cnsm_debug("POST %s answered %ld", endpoint, status);
    return CNSM_FAILED;
  }
  return CNSM_SENT;
}

/* Fork child: drop the parent's handle without closing its connection. */
void cnsm_http_forget(void) { handle = NULL; }
