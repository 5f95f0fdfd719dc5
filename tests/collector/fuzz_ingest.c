/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_ingest.c - libFuzzer target for the ingest parser and validator
 * (collector/parse.c), built with -fsanitize=fuzzer,address,undefined.
 *
 * Besides crashes and sanitizer reports, it checks the validator's
 * promises: an accepted batch holds only entries within the contract
 * (names and departments of valid UTF-8 within their limits, counts in
 * range, errors <= calls, finite times within CNSM_MS_MAX); a refusal
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
