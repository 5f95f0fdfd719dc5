/* SPDX-License-Identifier: Apache-2.0
 *
 * store_totals.c - project totals that cannot wrap or become infinite.
 *
 * Counts are summed by the database (64-bit integers, doubles) and by the
 * roll-ups in C; left alone, 1,025 copies of 2^53 - 1 calls wrapped a
 * project's total and two requests of total_ms 1e308 stored +Inf.  So
 * every project's all-time sums are kept in the table totals, updated
 * in the ingest transaction, and a batch that would take calls or
 * errors past CNSM_INT_MAX (2^53 - 1, exact in a double and in JSON) or
 * total_ms past CNSM_MS_MAX is refused whole.  Every figure derived
 * from a project's counts (a function, a minute, a department) is at
 * most its project total, so it stays exact and finite too.  These
 * totals are the limits' and never go down (a retention drop leaves
 * them), so no figure reads them: /metrics reads the per-function
 * running sums of schema 7 (functions.all_*, hist_totals), which a drop
 * lowers (store_ingest.c, retention.c). */
#include "store_guard.h"

/* Sums b into *s; calls and errors saturate just past CNSM_INT_MAX
 * (each element is at most CNSM_INT_MAX, so no step overflows). */
static void totals_of_batch(const struct cnsm_batch *b, struct cnsm_totals *s) {
  const int64_t cap = (int64_t)CNSM_INT_MAX + 1;
  s->calls = s->errors = 0;
  s->total_ms = 0;
  for (size_t i = 0; i < b->n; i++) {
    s->calls += b->fn[i].calls;
    s->errors += b->fn[i].errors;
    s->total_ms += b->fn[i].total_ms;
    if (s->calls > cap)
      s->calls = cap;
    if (s->errors > cap)
      s->errors = cap;
  }
}

/* Reads the project's totals row (none yet: zeros). */
static int totals_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_totals *have = ctx;
  if (ncol < 3)
    return -1;
  /* a REAL past 2^63 reads as INT64_MAX: over */
  have->calls = col[0].i;
  have->errors = col[1].i;
  have->total_ms = col[2].d;
  return 0;
}

/* Reads the totals; see store_guard.h. */
int cnsm_totals_read(struct cnsm_conn *c, const char *project,
                     struct cnsm_totals *have) {
  const struct cnsm_value p[] = {CNSM_P_TEXT(project)};
  have->calls = have->errors = 0;
  have->total_ms = 0;
  return cnsm_query(
      c, "SELECT calls, errors, total_ms FROM totals WHERE project = $1", p, 1,
      totals_row, have);
}

/* Checks the limits; see store_guard.h. */
const char *cnsm_totals_over(const struct cnsm_totals *have,
                             const struct cnsm_batch *b) {
  struct cnsm_totals add;
  totals_of_batch(b, &add);
  const int64_t max = (int64_t)CNSM_INT_MAX;
  if (have->calls > max || add.calls > max - have->calls)
    return "calls";
  if (have->errors > max || add.errors > max - have->errors)
    return "errors";
  if (!(have->total_ms + add.total_ms <= CNSM_MS_MAX))
    return "total_ms";
  return NULL;
}

/* Adds a batch to the totals; see store_guard.h. */
int cnsm_totals_add(struct cnsm_conn *c, const char *project,
                    const struct cnsm_batch *b) {
  struct cnsm_totals add;
  totals_of_batch(b, &add);
  const struct cnsm_value p[] = {CNSM_P_TEXT(project), CNSM_P_INT(add.calls),
                                 CNSM_P_INT(add.errors),
                                 CNSM_P_REAL(add.total_ms)};
  return cnsm_exec(c,
                   "INSERT INTO totals(project, calls, errors, total_ms)"
                   " VALUES($1, $2, $3, $4) ON CONFLICT(project) DO UPDATE SET"
                   "  calls = totals.calls + excluded.calls,"
                   "  errors = totals.errors + excluded.errors,"
                   "  total_ms = totals.total_ms + excluded.total_ms",
                   p, 4, NULL);
}
