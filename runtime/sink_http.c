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
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static CURL *handle; /* used under the flush lock only */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* curl_global_init, once. */
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Discards the response body. */
static size_t discard(char *p, size_t size, size_t n, void *u) {
  (void)p;
  (void)u;
  return size * n;
}

/* One POST; CNSM_SENT on a 2xx answer. */
int cnsm_http_send(const char *endpoint, const char *api_key, const char *body,
                   long timeout_ms) {
  pthread_once(&curl_once, curl_init);
  if (!handle && !(handle = curl_easy_init()))
    return CNSM_FAILED;
  if (timeout_ms < 1)
    timeout_ms = 1;
  CURL *h = handle;
  curl_easy_reset(h);
  struct curl_slist *headers = NULL;
  char auth[1024];
  if (api_key && *api_key) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", api_key);
    headers = curl_slist_append(headers, auth);
  }
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(h, CURLOPT_URL, endpoint);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   timeout_ms < 3000 ? timeout_ms : 3000L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  if (rc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    cnsm_debug("POST %s failed: %s", endpoint, curl_easy_strerror(rc));
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
