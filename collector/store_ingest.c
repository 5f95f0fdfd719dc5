/* SPDX-License-Identifier: Apache-2.0
 *
 * store_ingest.c - the one write path: a validated batch into the
 * database, whole or not at all, on either backend.
 *
 * One write transaction: take the project's lock (SQLite: BEGIN
 * IMMEDIATE already serialises every writer; PostgreSQL: an advisory
 * lock, so that collectors sharing one database check a project's
 * limits and keys one at a time), look the Idempotency-Key up
 * (store_batches.c), read the totals to check the limits
 * (store_totals.c), then UPSERT each function and its counts
 * (calls = counts.calls + excluded.calls, so no increment is lost or
 * counted twice), its histogram's buckets (table hist, the same way;
 * their all-time sums in hist_totals are folded in later, once their
 * minute has closed: hist_totals.c) and its callers and root causes
 * (tables callers and causes), add to the totals and record the key.
 * A repeat of a stored batch writes none of them.  Commit is the
 * acknowledgement: a request is answered 2xx only once its transaction
 * is durable.
 *
 * The statements go in two deferred runs (cnsm_defer): BEGIN, the lock
 * and the reads (the key, the totals, and for a batch with histograms
 * the fold mark), then every write.  On PostgreSQL each run is one
 * round trip (pipeline mode), so a batch costs three with COMMIT
 * however many functions it holds; on SQLite they run as issued. */
#include <stdio.h>

#include "hist_totals.h"
#include "ingest.h"
#include "store.h"
#include "store_guard.h"

/* The function, with its all-time sums (all_*, schema 7: what /metrics
 * reads instead of every row of counts). */
static const char k_upsert_function[] =
    "INSERT INTO functions(project, name, department, value_weight,"
    " first_seen, last_seen, file, line, all_calls, all_errors,"
    " all_total_ms)"
    " VALUES($1, $2, COALESCE($3, 'unassigned'), COALESCE($4, 1), $5, $5,"
    "  $6, $7, $8, $9, $10)"
    " ON CONFLICT(project, name) DO UPDATE SET"
    "  department = COALESCE($3, functions.department),"
    "  value_weight = COALESCE($4, functions.value_weight),"
    "  last_seen = $5,"
    "  file = COALESCE($6, functions.file),"
    "  line = COALESCE($7, functions.line),"
    "  all_calls = functions.all_calls + excluded.all_calls,"
    "  all_errors = functions.all_errors + excluded.all_errors,"
    "  all_total_ms = functions.all_total_ms + excluded.all_total_ms";

static const char k_upsert_counts[] =
    "INSERT INTO counts(project, name, bucket, calls, errors, total_ms,"
    " version, instance)"
    " VALUES($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT(project, name, bucket, version, instance) DO UPDATE SET"
    "  calls = counts.calls + excluded.calls,"
    "  errors = counts.errors + excluded.errors,"
    "  total_ms = counts.total_ms + excluded.total_ms";

static const char k_upsert_hist[] =
    "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
    " calls) VALUES($1, $2, $3, $4, $5, $6, $7)" CNSM_HIST_ON_CONFLICT;

/* The histogram's all-time sum per latency bucket, summed as doubles as
 * the reads sum the rows (rollup_hist.c): written at ingest only into a
 * minute already folded (a clock behind the fold mark, hist_totals.c). */
static const char k_upsert_hist_totals[] =
    "INSERT INTO hist_totals(project, name, hbucket, calls)"
    " VALUES($1, $2, $3, $4) ON CONFLICT(project, name, hbucket)"
    " DO UPDATE SET calls = hist_totals.calls + excluded.calls";

static const char k_upsert_callers[] =
    "INSERT INTO callers(project, name, bucket, version, instance, caller,"
    " calls) VALUES($1, $2, $3, $4, $5, $6, $7)" CNSM_CALLERS_ON_CONFLICT;

static const char k_upsert_causes[] =
    "INSERT INTO causes(project, name, bucket, version, instance, cause,"
    " errors) VALUES($1, $2, $3, $4, $5, $6, $7)" CNSM_CAUSES_ON_CONFLICT;

/* Adds one element's callers and root causes to its minute: one UPSERT
 * per entry (names are distinct within a list, so each is a row of its
 * own). */
static int ingest_write_edges(struct cnsm_conn *c, const char *project,
                              const struct cnsm_batch *b,
                              const struct cnsm_fn_delta *d, int64_t bucket) {
  const char *const sql[] = {k_upsert_callers, k_upsert_causes};
  for (int l = 0; l < 2; l++)
    for (size_t k = 0; k < d->nedge[l]; k++) {
      const struct cnsm_edge *e = &b->edges[d->edge_at[l] + k];
      const struct cnsm_value p[] = {CNSM_P_TEXT(project),
                                     CNSM_P_TEXT(d->name),
                                     CNSM_P_INT(bucket),
                                     CNSM_P_TEXT(b->labels.version),
                                     CNSM_P_TEXT(b->labels.instance),
                                     CNSM_P_TEXT(e->name),
                                     CNSM_P_INT(e->count)};
      if (cnsm_exec(c, sql[l], p, 7, NULL) != 0)
        return -1;
    }
  return 0;
}

/* Adds one element's histogram to its minute: one UPSERT per pair (the
 * pairs' buckets are distinct, so each is a row of its own), and with
 * hist_totals to the all-time sums too. */
static int ingest_write_hist(struct cnsm_conn *c, const char *project,
                             const struct cnsm_batch *b,
                             const struct cnsm_fn_delta *d, int64_t bucket,
                             int hist_totals) {
  for (size_t k = 0; k < d->nhist; k++) {
    const struct cnsm_hist_pair *h = &b->hist[d->hist_at + k];
    const struct cnsm_value p[] = {CNSM_P_TEXT(project),
                                   CNSM_P_TEXT(d->name),
                                   CNSM_P_INT(bucket),
                                   CNSM_P_TEXT(b->labels.version),
                                   CNSM_P_TEXT(b->labels.instance),
                                   CNSM_P_INT(h->bucket),
                                   CNSM_P_INT(h->count)};
    const struct cnsm_value tp[] = {CNSM_P_TEXT(project), CNSM_P_TEXT(d->name),
                                    CNSM_P_INT(h->bucket),
                                    CNSM_P_REAL((double)h->count)};
    if (cnsm_exec(c, k_upsert_hist, p, 7, NULL) != 0 ||
        (hist_totals && cnsm_exec(c, k_upsert_hist_totals, tp, 4, NULL) != 0))
      return -1;
  }
  return 0;
}

/* Runs one UPSERT per function, one per nonzero delta, one per
 * histogram pair (two with hist_totals) and one per caller and root
 * cause; 0 or -1. */
static int ingest_write_elements(struct cnsm_conn *c, const char *project,
                                 const struct cnsm_batch *b, int64_t bucket,
                                 int64_t now, int hist_totals) {
  for (size_t i = 0; i < b->n; i++) {
    const struct cnsm_fn_delta *d = &b->fn[i];
    struct cnsm_value weight = CNSM_P_REAL(d->value_weight);
    weight.is_null = !d->has_weight;
    struct cnsm_value line = CNSM_P_INT(d->line);
    line.is_null = d->line == 0;
    const struct cnsm_value fp[] = {CNSM_P_TEXT(project),
                                    CNSM_P_TEXT(d->name),
                                    CNSM_P_TEXT(d->department),
                                    weight,
                                    CNSM_P_INT(now),
                                    CNSM_P_TEXT(d->file),
                                    line,
                                    CNSM_P_INT(d->calls),
                                    CNSM_P_INT(d->errors),
                                    CNSM_P_REAL(d->total_ms)};
    if (cnsm_exec(c, k_upsert_function, fp, 10, NULL) != 0 ||
        ingest_write_hist(c, project, b, d, bucket, hist_totals) != 0 ||
        ingest_write_edges(c, project, b, d, bucket) != 0)
      return -1;
    if (d->calls == 0 && d->errors == 0 && d->total_ms == 0)
      continue;
    const struct cnsm_value cp[] = {CNSM_P_TEXT(project),
                                    CNSM_P_TEXT(d->name),
                                    CNSM_P_INT(bucket),
                                    CNSM_P_INT(d->calls),
                                    CNSM_P_INT(d->errors),
                                    CNSM_P_REAL(d->total_ms),
                                    CNSM_P_TEXT(b->labels.version),
                                    CNSM_P_TEXT(b->labels.instance)};
    if (cnsm_exec(c, k_upsert_counts, cp, 8, NULL) != 0)
      return -1;
  }
  return 0;
}

/* Records the batch's labels among the project's (table labels, schema
 * 7: the report's Version and Instance choices, which a scan of counts
 * took seconds to find) when it wrote a row of counts under them. */
static int ingest_write_labels(struct cnsm_conn *c, const char *project,
                               const struct cnsm_batch *b) {
  size_t i = 0;
  while (i < b->n && b->fn[i].calls == 0 && b->fn[i].errors == 0 &&
         b->fn[i].total_ms == 0)
    i++;
  const struct cnsm_value p[] = {CNSM_P_TEXT(project),
                                 CNSM_P_TEXT(b->labels.version),
                                 CNSM_P_TEXT(b->labels.instance)};
  return i == b->n ? 0
                   : cnsm_exec(c,
                               "INSERT INTO labels(project, version, instance)"
                               " VALUES($1, $2, $3) ON CONFLICT(project,"
                               " version, instance) DO NOTHING",
                               p, 3, NULL);
}

/* Writes the batch's rows, element by element or as the backend does
 * instead (upsert_batch), and its labels; its histograms into
 * hist_totals too if its minute is behind the fold mark (already
 * folded: a clock set back, another replica's clock ahead); 0 or -1. */
static int ingest_write_batch(struct cnsm_conn *c, const char *project,
                              const struct cnsm_batch *b, int64_t now,
                              int64_t mark) {
  int64_t bucket = now - now % CNSM_BUCKET_S;
  int folded = b->nhist > 0 && bucket < mark;
  int rc = c->ops->upsert_batch != NULL
               ? c->ops->upsert_batch(c, project, b, bucket, now, folded)
               : ingest_write_elements(c, project, b, bucket, now, folded);
  return rc == 0 ? ingest_write_labels(c, project, b) : -1;
}

/* Opens the write transaction, takes the project's lock and reads what
 * the checks and the writes need, in one deferred run; 0 or -1. */
static int ingest_begin(struct cnsm_conn *c, const char *project,
                        const struct cnsm_batch *b,
                        const struct cnsm_batch_id *id, int64_t now,
                        struct cnsm_batches_found *seen,
                        struct cnsm_totals *have, int64_t *mark) {
  *mark = 0;
  int ok = cnsm_defer(c) == 0 && cnsm_begin(c, CNSM_TXN_WRITE) == 0 &&
           cnsm_lock(c, project) == 0 &&
           (id == NULL || cnsm_batches_find(c, project, id, now, seen) == 0) &&
           cnsm_totals_read(c, project, have) == 0 &&
           (b->nhist == 0 || cnsm_hist_mark_read(c, project, mark) == 0);
  return cnsm_flush(c) == 0 && ok ? 0 : -1;
}

/* Runs the checks and writes of one ingest inside its transaction. */
static enum cnsm_store_outcome
ingest_guarded_write(struct cnsm_conn *c, const char *project,
                     const struct cnsm_batch *b, const struct cnsm_batch_id *id,
                     int64_t now, int64_t *accepted, const char **field) {
  struct cnsm_batches_found seen = {.found = 0};
  struct cnsm_totals have;
  int64_t mark;
  if (ingest_begin(c, project, b, id, now, &seen, &have, &mark) != 0)
    return CNSM_STORE_FAILED;
  if (seen.found != 0) {
    *accepted = seen.accepted;
    return seen.found == 1 ? CNSM_DUPLICATE : CNSM_KEY_REUSED;
  }
  if ((*field = cnsm_totals_over(&have, b)) != NULL)
    return CNSM_OVER_LIMIT;
  int64_t recorded = 1;
  int ok =
      cnsm_defer(c) == 0 && ingest_write_batch(c, project, b, now, mark) == 0 &&
      cnsm_totals_add(c, project, b) == 0 &&
      (id == NULL ||
       cnsm_batches_record(c, project, id, (int64_t)b->n, now, &recorded) == 0);
  /* recorded 0: a live record of the key appeared meanwhile */
  ok = cnsm_flush(c) == 0 && ok && recorded == 1;
  *accepted = (int64_t)b->n;
  return ok ? CNSM_STORED : CNSM_STORE_FAILED;
}

/* Stores a batch in one transaction; see store.h. */
enum cnsm_store_outcome
cnsm_store_ingest(struct cnsm_conn *c, const char *project,
                  const struct cnsm_batch *b, const struct cnsm_batch_id *id,
                  int64_t now, int64_t *accepted, const char **field) {
  *field = NULL;
  enum cnsm_store_outcome out =
      ingest_guarded_write(c, project, b, id, now, accepted, field);
  if (out == CNSM_STORED && cnsm_commit(c) == 0)
    return out;
  if (out == CNSM_STORED || out == CNSM_STORE_FAILED) {
    fprintf(stderr, "codensm-collector: ingest failed: %s\n",
            cnsm_store_error(c));
    out = c->ops->disk_full(c) ? CNSM_STORE_FULL : CNSM_STORE_FAILED;
  }
  cnsm_rollback(c);
  return out;
}
