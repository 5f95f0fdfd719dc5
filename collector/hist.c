/* SPDX-License-Identifier: Apache-2.0
 *
 * hist.c - an element's "hist" checked and kept, and a percentile read
 * off a histogram.
 *
 * "hist" is an array of [bucket, count] pairs: bucket an integer 0..975
 * (CNSM_HIST_BUCKETS - 1), strictly ascending, count an integer 1 to
 * 2^53 - 1, at most CNSM_HIST_BUCKETS pairs.  Ascending buckets make
 * every pair of an element a row of its own in the store (no two pairs
 * of one element add to one row in one statement), and bound an element
 * to one pair per bucket.  The pairs of a whole batch go into one array
 * of the batch, so a batch costs one allocation that grows rather than
 * one per element.
 *
 * A percentile is the midpoint of the bucket where the cumulative count
 * first reaches the fraction: cum / total >= pct / 100, compared as
 * cum * 100 >= pct * total so that 95 of 100 is exactly the 95th
 * percentile (0.95 * 100 is not exactly 95 in binary). */
#include "hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codensm_hist.h"

/* Fills *err about element index's "hist"; returns -1. */
static int hist_fail(struct cnsm_ingest_error *err, long index,
                     const char *message) {
  err->index = index;
  snprintf(err->field, sizeof err->field, "hist");
  snprintf(err->message, sizeof err->message, "%s", message);
  return -1;
}

/* Is item an integral JSON number in [lo, hi]?  Its value in *out. */
static int hist_integer(const cJSON *item, double lo, double hi, int64_t *out) {
  if (!cJSON_IsNumber(item))
    return 0;
  double v = item->valuedouble;
  if (!isfinite(v) || v != floor(v) || v < lo || v > hi)
    return 0;
  *out = (int64_t)v;
  return 1;
}

/* Makes room for n more pairs in b; 0 or -1. */
static int hist_reserve(struct cnsm_batch *b, size_t n) {
  if (b->nhist + n <= b->hist_cap)
    return 0;
  size_t cap = b->hist_cap ? b->hist_cap : 64;
  while (cap < b->nhist + n)
    cap *= 2;
  struct cnsm_hist_pair *grown = realloc(b->hist, cap * sizeof *grown);
  if (grown == NULL)
    return -1;
  b->hist = grown;
  b->hist_cap = cap;
  return 0;
}

/* Checks "hist" and appends its pairs; see hist.h. */
int cnsm_hist_parse(const cJSON *item, long index, struct cnsm_batch *b,
                    struct cnsm_fn_delta *d, struct cnsm_ingest_error *err) {
  if (!cJSON_IsArray(item))
    return hist_fail(err, index, "hist must be an array of [bucket, count]");
  size_t n = (size_t)cJSON_GetArraySize(item);
  if (n > CNSM_HIST_BUCKETS)
    return hist_fail(err, index, "hist must hold at most 976 pairs");
  if (hist_reserve(b, n) != 0)
    return hist_fail(err, index, "out of memory");
  d->hist_at = b->nhist;
  d->nhist = 0;
  int64_t prev = -1;
  for (const cJSON *p = item->child; p != NULL; p = p->next) {
    int64_t bucket, count;
    if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2)
      return hist_fail(err, index, "hist pairs must be [bucket, count]");
    if (!hist_integer(p->child, 0, CNSM_HIST_BUCKETS - 1, &bucket))
      return hist_fail(err, index, "hist bucket must be an integer 0 to 975");
    if (bucket <= prev)
      return hist_fail(err, index, "hist buckets must be strictly ascending");
    if (!hist_integer(p->child->next, 1, CNSM_INT_MAX, &count))
      return hist_fail(err, index,
                       "hist count must be an integer 1 to 2^53 - 1");
    prev = bucket;
    b->hist[b->nhist++] = (struct cnsm_hist_pair){(uint32_t)bucket, count};
    d->nhist++;
  }
  return 0;
}

/* A percentile of a histogram; see hist.h. */
double cnsm_hist_percentile(const uint32_t *bucket, const double *count,
                            size_t n, unsigned pct) {
  double total = 0, cum = 0;
  for (size_t i = 0; i < n; i++)
    total += count[i];
  if (!(total > 0))
    return -1;
  for (size_t i = 0; i < n; i++) {
    cum += count[i];
    if (cum * 100 >= (double)pct * total)
      return cnsm_hist_value(bucket[i]);
  }
  return cnsm_hist_value(bucket[n - 1]); /* rounding: the last bucket */
}
