/* SPDX-License-Identifier: Apache-2.0
 *
 * test_deltas.c - what each flush sends.
 *
 *   - a failed send moves nothing: the next successful one carries the
 *     exact merged totals since the last acknowledgement;
 *   - functions never called are announced once (calls 0), then only
 *     when they have calls;
 *   - the JSONL line is exactly {"functions":[{six fields}]}, one line per
 *     flush of these few functions, with names escaped by cJSON;
 *   - C++-style ODR functions in two modules are aggregated by name.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/stat.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "test_util.h"

static const struct cnsm_function_info a_fns[] = {
    CNSM_FN("deltas.work", "core", 1),
    CNSM_FN("deltas.never", "core", 1),
    CNSM_FN("deltas.\"quoted\"\\name\xc3\xa9", "d\"ept", 1),
    {"shared::inline_fn", "", "a.h", 1, 1, CNSM_ERRORS_NONE, CNSM_FN_ODR, 0},
};
CNSM_EMUL_MODULE(a, "deltas", 4)

static const struct cnsm_function_info b_fns[] = {
    {"shared::inline_fn", "", "a.h", 1, 1, CNSM_ERRORS_NONE, CNSM_FN_ODR, 0},
};
CNSM_EMUL_MODULE(b, "deltas_b", 1)

/* n calls of function i of module a, errors on every third. */
static void calls_a(uint32_t i, int n) {
  for (int k = 0; k < n; k++) {
    uint64_t t0 = CNSM_ENTER(a, i);
    CNSM_EXIT(a, i, t0, k % 3 == 0);
  }
}

/* n calls of module b's copy of the inline function. */
static void calls_b(int n) {
  for (int k = 0; k < n; k++) {
    uint64_t t0 = CNSM_ENTER(b, 0);
    CNSM_EXIT(b, 0, t0, 0);
  }
}

/* Counts the lines of a file. */
static long line_count(const char *path) {
  FILE *f = fopen(path, "r");
  long n = 0;
  int c;
  if (!f)
    return 0;
  while ((c = fgetc(f)) != EOF)
    n += c == '\n';
  fclose(f);
  return n;
}

int main(void) {
  /* The sink's directory does not exist yet: sends fail. */
  const char *dir = test_path("deltas-dir");
  char out[4200];
  snprintf(out, sizeof out, "%s/out.jsonl", dir);
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(out),
                               .flush_interval_s = 3600};
  CHECK_EQ(codensm_init(&cfg), 0);
  calls_a(0, 100);
  CHECK_EQ(codensm_flush(), -1);
  calls_a(0, 50);
  calls_a(2, 7);
  CHECK_EQ(codensm_flush(), -1);
  calls_a(0, 25);
  calls_a(3, 4);
  calls_b(6);
  CHECK_EQ(mkdir(dir, 0700), 0);
  CHECK_EQ(codensm_flush(), 0);
  struct fn_sum s;
  CHECK_EQ(sum_jsonl(out, "deltas.work", &s), 1);
  CHECK_EQ(s.calls, 175);
  CHECK_EQ(s.errors, 34 + 17 + 9);
  CHECK_EQ(sum_jsonl(out, "deltas.\"quoted\"\\name\xc3\xa9", &s), 1);
  CHECK_EQ(s.calls, 7);
  CHECK(strcmp(s.department, "d\"ept") == 0);
  CHECK_EQ(sum_jsonl(out, "shared::inline_fn", &s), 1);
  CHECK_EQ(s.calls, 10);
  CHECK_EQ(s.lines, 1); /* one entry for both modules' copies */
  CHECK_EQ(sum_jsonl(out, "deltas.never", &s), 1);
  CHECK_EQ(s.lines, 1);
  CHECK_EQ(s.calls, 0);

  /* Nothing new: no line.  Then only what changed is sent. */
  CHECK_EQ(codensm_flush(), 0);
  CHECK_EQ(line_count(out), 1);
  calls_a(0, 3);
  CHECK_EQ(codensm_flush(), 0);
  CHECK_EQ(line_count(out), 2);
  CHECK_EQ(sum_jsonl(out, "deltas.never", &s), 2);
  CHECK_EQ(s.lines, 1); /* announced once only */
  sum_jsonl(out, "deltas.work", &s);
  CHECK_EQ(s.calls, 178);
  CHECK_EQ(s.lines, 2);
  calls_a(1, 2); /* now it has calls: sent again */
  CHECK_EQ(codensm_flush(), 0);
  sum_jsonl(out, "deltas.never", &s);
  CHECK_EQ(s.lines, 2);
  CHECK_EQ(s.calls, 2);

  /* A failure after successes: merged again, exactly once. */
  char away[4200];
  snprintf(away, sizeof away, "%s.away", dir);
  CHECK_EQ(rename(dir, away), 0);
  calls_a(0, 11);
  CHECK_EQ(codensm_flush(), -1);
  calls_a(0, 9);
  CHECK_EQ(rename(away, dir), 0);
  CHECK_EQ(codensm_flush(), 0);
  sum_jsonl(out, "deltas.work", &s);
  CHECK_EQ(s.calls, 198);
  unlink(out);
  rmdir(dir);
  TEST_DONE();
}
