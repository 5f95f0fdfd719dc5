/* SPDX-License-Identifier: Apache-2.0
 *
 * fill_store.c - fills a collector store (SQLite file or PostgreSQL URI)
 * with a realistic history, through the collector's own parser and write
 * path (cnsm_ingest_parse, cnsm_store_ingest) with the clock moved back,
 * then runs retention as `serve` would: a store of millions of rows to
 * time the reads on (bench/collector/run.sh).
 *
 * The shape: F functions announced once (department, weight, file,
 * line), then per minute over the last MINUTE_HOURS hours the functions
 * called in that minute, and per hour over the HOUR_DAYS days before,
 * the functions called in that hour, stored at the hour's start as
 * retention leaves them (folding millions of minutes one slice at a
 * time would take the bench an hour).  The oldest two minute-hours lie
 * past --retain-minutes 48h, so retention really folds them at the end.
 * Who is called: the first ACTIVE/2 functions every minute, the others
 * each with the probability that makes ACTIVE a minute on average, so
 * an hour holds most functions.  Timed functions (two in three) send a
 * latency histogram (two buckets for the busy ones, one otherwise), one
 * in five names its caller, one in seventeen fails now and then and
 * names a root cause.  Labels: version 1.0 before the last day, 1.1 in
 * it, instance web-1.  Everything derives from the function's index and
 * the bucket, so two fills are the same store.
 *
 *   fill_store DB [functions=20000] [minute_hours=50] [hour_days=4]
 *              [active=1500]
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "retention.h"
#include "store.h"
#include "util.h"

#define FILL_CHUNK 3000 /* elements per request: under the 4 MiB body */

struct fill {
  struct cnsm_store *store;
  long functions, active;
  char *body;
  size_t len, cap;
  long rows, requests;
};

/* A deterministic hash of a function and a bucket. */
static uint64_t fill_hash(uint64_t i, uint64_t bucket) {
  uint64_t x = i * 0x9E3779B97F4A7C15ull ^ bucket * 0xC2B2AE3D27D4EB4Full;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  return x ^ (x >> 32);
}

/* Appends printf output to the body being built. */
static void fill_put(struct fill *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fill_put(struct fill *f, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(f->body + f->len, f->cap - f->len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < f->cap - f->len) {
      f->len += (size_t)n;
      return;
    }
    f->cap = f->cap ? 2 * f->cap : 1 << 20;
    if ((f->body = realloc(f->body, f->cap)) == NULL) {
      perror("fill_store");
      exit(1);
    }
  }
}

/* Stores the body built so far as one request at clock `at`. */
static void fill_send(struct fill *f, int64_t at, const char *version) {
  fill_put(f, "]}");
  struct cnsm_batch b;
  struct cnsm_ingest_error err;
  if (cnsm_ingest_parse(f->body, f->len, &b, &err) != 0) {
    fprintf(stderr, "fill_store: refused: %s\n", err.message);
    exit(1);
  }
  b.labels.version = version;
  b.labels.instance = "web-1";
  int64_t accepted;
  const char *field;
  struct cnsm_conn *c = cnsm_store_acquire(f->store);
  enum cnsm_store_outcome out =
      cnsm_store_ingest(c, "bench", &b, NULL, at, &accepted, &field);
  cnsm_store_release(f->store, c);
  f->rows += (long)b.n;
  cnsm_batch_free(&b);
  if (out != CNSM_STORED) {
    fprintf(stderr, "fill_store: not stored (%d)\n", (int)out);
    exit(1);
  }
  f->requests++;
  f->len = 0;
  fill_put(f, "{\"functions\":[");
}

/* Appends function i's delta for a bucket of `minutes` minutes. */
static void fill_element(struct fill *f, long i, uint64_t h, int minutes) {
  long busy = f->active / 2;
  int64_t calls =
      i < busy ? 1000 + (int64_t)(h % 1000) * minutes : 1 + (int64_t)(h % 50);
  int64_t errors = i % 17 == 0 ? calls / 20 : 0;
  double ms = (double)calls * (0.01 + (double)(i % 100) * 0.01);
  fill_put(f,
           "%s{\"name\":\"mod%ld.fn_%ld\",\"calls\":%" PRId64
           ",\"errors\":%" PRId64 ",\"total_ms\":%.3f",
           f->len > 14 ? "," : "", i / 100, i, calls, errors, ms);
  if (i % 3 != 0) {
    long b = 500 + i % 200;
    if (i < busy)
      fill_put(f, ",\"hist\":[[%ld,%" PRId64 "],[%ld,%" PRId64 "]]", b,
               calls - calls / 10, b + 40, calls / 10);
    else
      fill_put(f, ",\"hist\":[[%ld,%" PRId64 "]]", b, calls);
  }
  if (i % 5 == 0 && i > 0)
    fill_put(
        f, ",\"callers\":[{\"name\":\"mod%ld.fn_%ld\",\"calls\":%" PRId64 "}]",
        i / 2 / 100, i / 2, calls);
  if (errors > 0)
    fill_put(f,
             ",\"root_causes\":[{\"name\":\"mod%ld.fn_%ld\",\"errors\":%" PRId64
             "}]",
             i / 100, i, errors);
  fill_put(f, "}");
}

/* Announces every function once, as libcodensm does at start. */
static void fill_announce(struct fill *f, int64_t at) {
  for (long i = 0; i < f->functions; i++) {
    fill_put(f,
             "%s{\"name\":\"mod%ld.fn_%ld\",\"department\":\"dept%ld\","
             "\"value_weight\":%ld,\"calls\":0,\"file\":\"src/mod%ld.c\","
             "\"line\":%ld}",
             f->len > 14 ? "," : "", i / 100, i, i % 12, 1 + i % 10, i / 100,
             10 + i % 100 * 20);
    if ((i + 1) % FILL_CHUNK == 0)
      fill_send(f, at, "1.0");
  }
  fill_send(f, at, "1.0");
}

/* One bucket of `minutes` minutes at `at`: the functions called in it. */
static void fill_bucket(struct fill *f, int64_t at, int minutes,
                        const char *version) {
  long busy = f->active / 2, n = 0;
  /* per minute: each quiet function called with probability p; over a
   * bucket of m minutes with 1 - (1 - p)^m, taken as a hash threshold */
  double p = (double)(f->active - busy) / (double)(f->functions - busy);
  double q = 1.0;
  for (int m = 0; m < minutes; m++)
    q *= 1.0 - p;
  uint64_t threshold = (uint64_t)((1.0 - q) * 18446744073709551615.0);
  for (long i = 0; i < f->functions; i++) {
    uint64_t h = fill_hash((uint64_t)i, (uint64_t)at);
    if (i >= busy && h > threshold)
      continue;
    fill_element(f, i, h, minutes);
    if (++n % FILL_CHUNK == 0)
      fill_send(f, at, version);
  }
  fill_send(f, at, version);
}

static double fill_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fill_store DB [functions] [minute_hours] "
                    "[hour_days] [active]\n");
    return 2;
  }
  struct fill f = {.functions = argc > 2 ? atol(argv[2]) : 20000,
                   .active = argc > 5 ? atol(argv[5]) : 1500};
  long minute_hours = argc > 3 ? atol(argv[3]) : 50;
  long hour_days = argc > 4 ? atol(argv[4]) : 4;
  char err[256];
  if (cnsm_store_open(argv[1], 1, CNSM_STORE_CREATE, &f.store, err,
                      sizeof err) != 0) {
    fprintf(stderr, "fill_store: %s\n", err);
    return 1;
  }
  double t0 = fill_clock();
  int64_t now = cnsm_now_s(), minute0 = now - now % 60;
  int64_t first_minute = minute0 - minute_hours * 3600;
  int64_t first_hour = first_minute - first_minute % 3600 - hour_days * 86400;
  int64_t last_day = now - 86400;
  fill_put(&f, "{\"functions\":[");
  fill_announce(&f, first_hour);
  for (int64_t t = first_hour; t < first_minute - first_minute % 3600;
       t += 3600)
    fill_bucket(&f, t, 60, "1.0");
  for (int64_t t = first_minute; t <= minute0; t += 60) {
    fill_bucket(&f, t, 1, t < last_day ? "1.0" : "1.1");
    if ((t - first_minute) % 36000 == 0)
      fprintf(stderr, "fill_store: %ld rows, %.0f s\n", f.rows,
              fill_clock() - t0);
  }
  double t1 = fill_clock();
  struct cnsm_retention policy = {.minutes = 48 * 3600,
                                  .hours = CNSM_RETAIN_HOURS_DEFAULT};
  struct cnsm_retention_stats s;
  struct cnsm_conn *c = cnsm_store_acquire(f.store);
  int rc = cnsm_retention_run(c, &policy, cnsm_now_s(), &s);
  cnsm_store_release(f.store, c);
  printf("fill_store: %ld elements in %ld requests, %.0f s; retention: %lld "
         "rows into hours in %.0f s (%s)\n",
         f.rows, f.requests, t1 - t0, (long long)s.into_hours,
         fill_clock() - t1, rc == 0 ? "ok" : "FAILED");
  cnsm_store_close(f.store);
  free(f.body);
  return rc == 0 ? 0 : 1;
}
