/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_ingest.c - libFuzzer target for the ingest parser and validator
 * (collector/parse.c), built with -fsanitize=fuzzer,address,undefined.
 *
 * Besides crashes and sanitizer reports, it checks the validator's
 * promises: an accepted batch holds only entries within the contract
 * (names and departments of valid UTF-8 within their limits, counts in
 * range, errors <= calls, finite times within CNSM_MS_MAX, and the
 * extensions file, line, hist, callers and root_causes within their
 * rules); a refusal
 * always says why, and its JSON rendering parses.  The same input, cut
 * at its first NUL, is also checked as an Idempotency-Key header: it is
 * accepted exactly when it is 16-128 characters of [A-Za-z0-9_.:-], and
 * as a label header (X-CodeNSM-Version, -Instance): accepted exactly when
 * it is 0-128 characters of visible ASCII. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "util.h"

/* Aborts unless cond holds: libFuzzer reports it as a crash. */
static void fuzz_check(int cond) {
  if (!cond)
    abort();
}

/* The header rule, written independently of parse.c. */
static int fuzz_idem_expected(const char *s) {
  size_t n = strlen(s);
  if (n < CNSM_IDEM_MIN || n > CNSM_IDEM_MAX)
    return 0;
  return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                   "0123456789_.:-") == n;
}

/* Checks cnsm_idem_key_valid on data as a NUL-terminated string. */
static void fuzz_idem_key(const uint8_t *data, size_t size) {
  char key[CNSM_IDEM_MAX + 8];
  size_t n = size < sizeof key - 1 ? size : sizeof key - 1;
  memcpy(key, data, n);
  key[n] = '\0';
  fuzz_check(cnsm_idem_key_valid(key) == fuzz_idem_expected(key));
}

/* Checks cnsm_label_valid on data as a NUL-terminated string, against
 * the rule written independently of parse.c. */
static void fuzz_label(const uint8_t *data, size_t size) {
  char label[CNSM_LABEL_MAX + 8];
  size_t n = size < sizeof label - 1 ? size : sizeof label - 1;
  memcpy(label, data, n);
  label[n] = '\0';
  size_t len = strlen(label), visible = 0;
  while (visible < len && label[visible] > ' ' && label[visible] < 0x7f)
    visible++;
  fuzz_check(cnsm_label_valid(label) ==
             (len <= CNSM_LABEL_MAX && visible == len));
}

/* The extensions of an accepted element: a file like a name, a line in
 * 1..2^31-1 (0: not sent), histogram pairs inside the batch's array with
 * buckets strictly ascending below CNSM_HIST_BUCKETS and counts in
 * 1..2^53-1. */
static void fuzz_extensions(const struct cnsm_batch *b,
                            const struct cnsm_fn_delta *d) {
  if (d->file) {
    size_t n = strlen(d->file);
    fuzz_check(n >= 1 && n <= CNSM_FILE_MAX && cnsm_utf8_valid(d->file, n));
  }
  fuzz_check(d->line >= 0 && d->line <= CNSM_LINE_MAX);
  fuzz_check(d->nhist <= CNSM_HIST_BUCKETS && d->hist_at <= b->nhist &&
             d->nhist <= b->nhist - d->hist_at);
  for (size_t k = 0; k < d->nhist; k++) {
    const struct cnsm_hist_pair *h = &b->hist[d->hist_at + k];
    fuzz_check(h->bucket < CNSM_HIST_BUCKETS && h->count >= 1 &&
               h->count <= (int64_t)CNSM_INT_MAX);
    fuzz_check(k == 0 || h->bucket > h[-1].bucket);
  }
  /* callers and root_causes: inside the batch's array, within their
   * sizes, names like a name and distinct, counts in 1..2^53-1. */
  const size_t max[2] = {CNSM_CALLERS_MAX, CNSM_CAUSES_MAX};
  for (int l = 0; l < 2; l++) {
    fuzz_check(d->nedge[l] <= max[l] && d->edge_at[l] <= b->nedges &&
               d->nedge[l] <= b->nedges - d->edge_at[l]);
    const struct cnsm_edge *e = d->nedge[l] ? &b->edges[d->edge_at[l]] : NULL;
    for (size_t k = 0; k < d->nedge[l]; k++) {
      size_t n = strlen(e[k].name);
      fuzz_check(n >= 1 && n <= CNSM_NAME_MAX &&
                 cnsm_utf8_valid(e[k].name, n) && e[k].count >= 1 &&
                 e[k].count <= (int64_t)CNSM_INT_MAX);
      for (size_t j = 0; j < k && d->nedge[l] <= 64; j++)
        fuzz_check(strcmp(e[j].name, e[k].name) != 0);
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_idem_key(data, size);
  fuzz_label(data, size);
  struct cnsm_batch b;
  struct cnsm_ingest_error err;
  if (cnsm_ingest_parse((const char *)data, size, &b, &err) == 0) {
    for (size_t i = 0; i < b.n; i++) {
      const struct cnsm_fn_delta *d = &b.fn[i];
      size_t n = strlen(d->name);
      fuzz_check(n >= 1 && n <= CNSM_NAME_MAX && cnsm_utf8_valid(d->name, n));
      if (d->department) {
        size_t m = strlen(d->department);
        fuzz_check(m >= 1 && m <= CNSM_DEPARTMENT_MAX &&
                   cnsm_utf8_valid(d->department, m));
      }
      fuzz_check(d->calls >= 0 && d->errors >= 0 && d->errors <= d->calls);
      fuzz_check(isfinite(d->total_ms) && d->total_ms >= 0 &&
                 d->total_ms <= CNSM_MS_MAX);
      fuzz_check(!d->has_weight ||
                 (isfinite(d->value_weight) && d->value_weight >= 0));
      fuzz_extensions(&b, d);
    }
    cnsm_batch_free(&b);
  } else {
    fuzz_check(err.message[0] != '\0' && err.index >= -1);
    char *json = cnsm_ingest_error_json(&err);
    fuzz_check(json != NULL);
    cJSON *back = cJSON_Parse(json);
    fuzz_check(back != NULL);
    cJSON_Delete(back);
    free(json);
  }
  return 0;
}
