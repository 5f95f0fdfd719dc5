/* SPDX-License-Identifier: Apache-2.0 */
/* ingest_bench.c - load generator for codensm-collector's ingest
 * endpoint, on loopback.
 *
 * T threads each send R requests of F functions (a realistic delta: a
 * name, department, weight, calls, errors, total_ms per function, and H
 * histogram pairs, the extension a CodeNSM sender adds) over one
 * keep-alive libcurl handle, and the whole run is repeated N times; it
 * prints requests/s and functions/s for each repetition and their
 * medians.  Every request must be answered 200, or the run fails.
 *
 *   ingest_bench URL KEY [threads=8] [requests=250] [functions=50] [reps=5]
 *                [hist=0]
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct benchJob {
  const char *url, *key;
  int requests, functions, hist, id;
  long failures;
};

/* Discards the response body. */
static size_t benchSink(char *p, size_t size, size_t n, void *ud) {
  (void)p;
  (void)ud;
  return size * n;
}

/* Builds one request body with f functions of h histogram pairs each;
 * the caller frees it. */
static char *benchBody(int f, int h, int id, int req) {
  size_t cap = (size_t)f * (200 + (size_t)h * 16) + 64, len = 0;
  char *b = malloc(cap);
  len += (size_t)snprintf(b + len, cap - len, "{\"functions\":[");
  for (int i = 0; i < f; i++) {
    len += (size_t)snprintf(
        b + len, cap - len,
        "%s{\"name\":\"bench/"
        "module%02d.function_%04d\",\"department\":\"dept%d\","
        "\"value_weight\":%d,\"calls\":%d,\"errors\":%d,\"total_ms\":%d.25",
        i ? "," : "", id % 4, i, i % 5, i % 10 + 1, 100 + req % 50, req % 3,
        i + 1);
    for (int k = 0; k < h; k++) /* buckets ascending, counts within calls */
      len += (size_t)snprintf(b + len, cap - len, "%s[%d,1]",
                              k ? "," : ",\"hist\":[", 100 + 7 * k);
    len += (size_t)snprintf(b + len, cap - len, "%s}", h ? "]" : "");
  }
  snprintf(b + len, cap - len, "]}");
  return b;
}

/* One client thread: R requests on one keep-alive connection. */
static void *benchClient(void *arg) {
  struct benchJob *j = arg;
  CURL *c = curl_easy_init();
  char auth[256];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", j->key);
  struct curl_slist *h = curl_slist_append(NULL, auth);
  h = curl_slist_append(h, "Content-Type: application/json");
  curl_easy_setopt(c, CURLOPT_URL, j->url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, benchSink);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  for (int r = 0; r < j->requests; r++) {
    char *body = benchBody(j->functions, j->hist, j->id, r);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c) != CURLE_OK ||
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        status != 200)
      j->failures++;
    free(body);
  }
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return NULL;
}

static int benchCmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s URL KEY [threads] [requests] [functions] [reps] "
            "[hist]\n",
            argv[0]);
    return 2;
  }
  int threads = argc > 3 ? atoi(argv[3]) : 8;
  int requests = argc > 4 ? atoi(argv[4]) : 250;
  int functions = argc > 5 ? atoi(argv[5]) : 50;
  int reps = argc > 6 ? atoi(argv[6]) : 5;
  int hist = argc > 7 ? atoi(argv[7]) : 0;
  if (threads < 1 || requests < 1 || functions < 1 || reps < 1 || reps > 100 ||
      hist < 0 || hist > 100)
    return 2;
  curl_global_init(CURL_GLOBAL_ALL);
  double *rps = calloc((size_t)reps, sizeof *rps);
  struct benchJob *jobs = calloc((size_t)threads, sizeof *jobs);
  pthread_t *tid = calloc((size_t)threads, sizeof *tid);
  long failures = 0;
  for (int rep = 0; rep < reps; rep++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < threads; t++) {
      jobs[t] =
          (struct benchJob){argv[1], argv[2], requests, functions, hist, t, 0};
      pthread_create(&tid[t], NULL, benchClient, &jobs[t]);
    }
    for (int t = 0; t < threads; t++) {
      pthread_join(tid[t], NULL);
      failures += jobs[t].failures;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    rps[rep] = (double)threads * requests / s;
    printf("rep %d: %.0f requests/s, %.0f functions/s (%.2f s)\n", rep + 1,
           rps[rep], rps[rep] * functions, s);
  }
  qsort(rps, (size_t)reps, sizeof *rps, benchCmp);
  double med =
      reps % 2 ? rps[reps / 2] : (rps[reps / 2 - 1] + rps[reps / 2]) / 2;
  printf("median of %d: %.0f requests/s, %.0f functions/s "
         "(%d clients, %d functions per request, %d histogram pairs each)\n",
         reps, med, med * functions, threads, functions, hist);
  if (failures)
    fprintf(stderr, "%ld requests failed\n", failures);
  free(rps);
  free(jobs);
  free(tid);
  curl_global_cleanup();
  return failures ? 1 : 0;
}
