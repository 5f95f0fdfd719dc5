/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_spool.c - libFuzzer target for the spool loader (runtime/spool.c:
 * cnsm_spool_parse) and the sanitizer behind it (runtime/sanitize.c),
 * built with -fsanitize=fuzzer,address,undefined.
 *
 * A spool file is outside input: another process, a full disk or a user
 * wrote it.  Besides crashes and sanitizer reports, this checks what the
 * loader promises the sender: every name and department in the table is
 * valid for the contract (checked with the collector's own validator,
 * collector/util.c), spooled errors never exceed spooled calls, and a
 * frozen batch is queued only with a valid Idempotency-Key.  The same
 * input is also sanitized directly, at both limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "internal.h"
#include "util.h" /* collector/util.h: cnsm_utf8_valid */

static const char kSink[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* s is what the contract accepts: 1..max bytes of strict UTF-8. */
static void check_contract(const char *s, size_t max) {
  size_t n = strlen(s);
  fuzz_check(n >= 1 && n <= max && cnsm_utf8_valid(s, n));
}

/* The sanitizer on data as a string, at both limits. */
static void fuzz_sanitize(const char *text) {
  int changed;
  char *a = cnsm_sanitize_string(text, CNSM_NAME_MAX, "?", &changed);
  char *b =
      cnsm_sanitize_string(text, CNSM_DEPARTMENT_MAX, "unassigned", &changed);
  fuzz_check(a && b);
  check_contract(a, CNSM_NAME_MAX);
  check_contract(b, CNSM_DEPARTMENT_MAX);
  char *again = cnsm_sanitize_string(a, CNSM_NAME_MAX, "?", &changed);
  fuzz_check(again && strcmp(again, a) == 0 && !changed); /* idempotent */
  free(a);
  free(b);
  free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  if (!text)
    return 0;
  fuzz_sanitize(text);
  size_t before = cnsm_fn_count;
  cnsm_spool_parse(text, size, kSink, NULL);
  for (size_t i = before; i < cnsm_fn_count; i++) {
    check_contract(cnsm_fns[i].name, CNSM_NAME_MAX);
    check_contract(cnsm_fns[i].compiled_department, CNSM_DEPARTMENT_MAX);
    fuzz_check(cnsm_fns[i].compiled_weight <= CNSM_WEIGHT_MAX);
  }
  for (size_t i = 0; i < cnsm_fn_count; i++)
    fuzz_check(cnsm_fns[i].pend_errors <= cnsm_fns[i].pend_calls);
  for (struct cnsm_frozen *f = cnsm_frozen_first(); f;
       f = cnsm_frozen_first()) {
    fuzz_check(cnsm_batch_key_valid(f->key));
    for (size_t i = 0; i < f->n; i++)
      fuzz_check(f->items[i].errors <= f->items[i].calls);
    cnsm_frozen_pop();
  }
  free(text);
  return 0;
}
