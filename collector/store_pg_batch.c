/* SPDX-License-Identifier: Apache-2.0
 *
 * store_pg_batch.c - a batch's functions and counts on PostgreSQL in
 * three or four statements instead of two per element.
 *
 * store_ingest.c's UPSERTs, one element at a time, are what SQLite runs
 * (in-process, a statement costs it microseconds).  On PostgreSQL each
 * statement is a Bind/Execute the server plans and runs on its own, and
 * a 50-element batch spent most of its time in them, so the elements go
 * as arrays (text literals, '{"a","b"}', cast to text[], bigint[],
 * double precision[]) through unnest():
 *   1. INSERT the functions not yet known, with the defaults of a first
 *      sighting (ON CONFLICT DO NOTHING);
 *   2. UPDATE every element's function: department and weight when sent
 *      (COALESCE with the stored ones), last_seen, and its all-time sums
 *      (all_calls, all_errors, all_total_ms: what /metrics reads);
 *   3. UPSERT the counts of the elements with a nonzero delta, adding to
 *      the bucket's row as before (calls = counts.calls + excluded.calls);
 *   4. UPSERT the histogram pairs of the elements that sent one (table
 *      hist, one row per pair: an element's buckets are distinct), only
 *      when there are any, and their all-time sums (hist_totals) only in
 *      a minute already folded (hist_totals.c);
 *   5. and 6. the same for callers and root causes (tables callers and
 *      causes: an element's names are distinct within a list).
 * Source locations (file, line) go with the functions in 1 and 2.
 * A statement may touch a row once only, and a batch may name a function
 * more than once, so the elements go in rounds: the first occurrence of
 * each name in round 0, the second in round 1, and so on, each round in
 * the batch's order.  Rows therefore change in the same order as one
 * element at a time: the sums are the same additions (also of doubles,
 * bit for bit), and the last department and weight sent win.  A sender's
 * batch names each function once: one round.  The statements go through
 * store.h like any other, deferred in the ingest transaction's pipeline
 * (store_pg.c), so the batch is still one round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "store.h"
#include "store_pg_batch.h"

static const char k_insert_new[] =
    "INSERT INTO functions(project, name, department, value_weight,"
    " first_seen, last_seen, file, line)"
    " SELECT $1, u.name, COALESCE(u.department, 'unassigned'),"
    "  COALESCE(u.value_weight, 1), $2, $2, u.file, u.line"
    " FROM unnest($3::text[], $4::text[], $5::float8[], $6::text[],"
    "  $7::int8[]) AS u(name, department, value_weight, file, line)"
    " ON CONFLICT(project, name) DO NOTHING";

static const char k_update_known[] =
    "UPDATE functions f SET"
    "  department = COALESCE(u.department, f.department),"
    "  value_weight = COALESCE(u.value_weight, f.value_weight),"
    "  last_seen = $2,"
    "  file = COALESCE(u.file, f.file),"
    "  line = COALESCE(u.line, f.line),"
    "  all_calls = f.all_calls + u.calls,"
    "  all_errors = f.all_errors + u.errors,"
    "  all_total_ms = f.all_total_ms + u.total_ms"
    " FROM unnest($3::text[], $4::text[], $5::float8[], $6::text[],"
    "  $7::int8[], $8::int8[], $9::int8[], $10::float8[])"
    "  AS u(name, department, value_weight, file, line, calls, errors,"
    "  total_ms)"
    " WHERE f.project = $1 AND f.name = u.name";

static const char k_upsert_hist_totals[] =
    "INSERT INTO hist_totals(project, name, hbucket, calls)"
    " SELECT $1, u.name, u.hbucket, u.calls"
    " FROM unnest($2::text[], $3::int4[], $4::float8[])"
    "  AS u(name, hbucket, calls)"
    " ON CONFLICT(project, name, hbucket)"
    " DO UPDATE SET calls = hist_totals.calls + excluded.calls";

static const char k_upsert_hist[] =
    "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
    " calls)"
    " SELECT $1, u.name, $2, $3, $4, u.hbucket, u.calls"
    " FROM unnest($5::text[], $6::int4[], $7::int8[])"
    "  AS u(name, hbucket, calls)" CNSM_HIST_ON_CONFLICT;

static const char k_upsert_counts[] =
    "INSERT INTO counts(project, name, bucket, calls, errors, total_ms,"
    " version, instance)"
    " SELECT $1, u.name, $2, u.calls, u.errors, u.total_ms, $3, $4"
    " FROM unnest($5::text[], $6::int8[], $7::int8[], $8::float8[])"
    "  AS u(name, calls, errors, total_ms)"
    " WHERE u.calls <> 0 OR u.errors <> 0 OR u.total_ms <> 0"
    " ON CONFLICT(project, name, bucket, version, instance) DO UPDATE SET"
    "  calls = counts.calls + excluded.calls,"
    "  errors = counts.errors + excluded.errors,"
    "  total_ms = counts.total_ms + excluded.total_ms";

static const char k_upsert_callers[] =
    "INSERT INTO callers(project, name, bucket, version, instance, caller,"
    " calls)"
    " SELECT $1, u.name, $2, $3, $4, u.other, u.n"
    " FROM unnest($5::text[], $6::text[], $7::int8[])"
    "  AS u(name, other, n)" CNSM_CALLERS_ON_CONFLICT;

static const char k_upsert_causes[] =
    "INSERT INTO causes(project, name, bucket, version, instance, cause,"
    " errors)"
    " SELECT $1, u.name, $2, $3, $4, u.other, u.n"
    " FROM unnest($5::text[], $6::text[], $7::int8[])"
    "  AS u(name, other, n)" CNSM_CAUSES_ON_CONFLICT;

/* An array literal being written: "{" elements "}"; oom once a
 * growth failed (the literal is then unusable). */
struct pgb_array {
  char *p;
  size_t n, cap;
  int oom;
};

/* Appends len bytes of s. */
static void pgb_put(struct pgb_array *a, const char *s, size_t len) {
  if (a->oom)
    return;
  if (a->n + len + 2 > a->cap) {
    size_t cap = a->cap ? a->cap : 256;
    while (a->n + len + 2 > cap)
      cap *= 2;
    char *grown = realloc(a->p, cap);
    if (grown == NULL) {
      a->oom = 1;
      return;
    }
    a->p = grown;
    a->cap = cap;
  }
  memcpy(a->p + a->n, s, len);
  a->n += len;
  a->p[a->n] = '\0';
}

/* Starts the next element: "{" before the first, "," before others. */
static void pgb_next(struct pgb_array *a) { pgb_put(a, a->n ? "," : "{", 1); }

/* Appends s quoted (\ and " escaped), or NULL. */
static void pgb_text(struct pgb_array *a, const char *s) {
  pgb_next(a);
  if (s == NULL) {
    pgb_put(a, "NULL", 4);
    return;
  }
  pgb_put(a, "\"", 1);
  for (const char *run = s;; s++) {
    if (*s != '"' && *s != '\\' && *s != '\0')
      continue;
    pgb_put(a, run, (size_t)(s - run));
    if (*s == '\0')
      break;
    pgb_put(a, "\\", 1);
    run = s;
  }
  pgb_put(a, "\"", 1);
}

/* Appends an integer. */
static void pgb_int(struct pgb_array *a, int64_t v) {
  char num[32];
  int n = snprintf(num, sizeof num, "%lld", (long long)v);
  pgb_next(a);
  pgb_put(a, num, (size_t)n);
}

/* Appends an integer, or NULL. */
static void pgb_int_or_null(struct pgb_array *a, int64_t v, int is_null) {
  if (is_null) {
    pgb_next(a);
    pgb_put(a, "NULL", 4);
  } else {
    pgb_int(a, v);
  }
}

/* Appends a double exactly (17 digits), or NULL. */
static void pgb_real(struct pgb_array *a, double v, int is_null) {
  char num[32];
  int n = is_null ? snprintf(num, sizeof num, "NULL")
                  : snprintf(num, sizeof num, "%.17g", v);
  pgb_next(a);
  pgb_put(a, num, (size_t)n);
}

/* Ends the literal ("{}" when empty); NULL if it could not be built. */
static const char *pgb_end(struct pgb_array *a) {
  pgb_put(a, a->n ? "}" : "{}", a->n ? 1 : 2);
  return a->oom ? NULL : a->p;
}

/* An element's name and index, for finding repeated names. */
struct pgb_ref {
  const char *name;
  size_t i;
};

static int pgb_ref_cmp(const void *x, const void *y) {
  const struct pgb_ref *a = x, *b = y;
  int c = strcmp(a->name, b->name);
  return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* round[i] gets how often element i's name came before it; returns the
 * number of rounds (1 + the largest), or 0 when out of memory. */
static unsigned pgb_rounds(const struct cnsm_batch *b, unsigned *round) {
  struct pgb_ref *ref = calloc(b->n, sizeof *ref);
  if (ref == NULL)
    return 0;
  for (size_t i = 0; i < b->n; i++)
    ref[i] = (struct pgb_ref){b->fn[i].name, i};
  qsort(ref, b->n, sizeof *ref, pgb_ref_cmp);
  unsigned rounds = 1, seen = 0;
  for (size_t k = 0; k < b->n; k++) {
    seen = k > 0 && strcmp(ref[k].name, ref[k - 1].name) == 0 ? seen + 1 : 0;
    round[ref[k].i] = seen;
    if (seen + 1 > rounds)
      rounds = seen + 1;
  }
  free(ref);
  return rounds;
}

/* The arrays of one round: per element, then per histogram pair. */
enum {
  A_NAME,
  A_DEPT,
  A_WEIGHT,
  A_FILE,
  A_LINE,
  A_CALLS,
  A_ERRORS,
  A_MS,
  A_HNAME,
  A_HBUCKET,
  A_HCALLS,
  A_CNAME, /* callers: the element's name, the caller's, the calls */
  A_CALLER,
  A_CCALLS,
  A_RNAME, /* root causes: the element's name, the cause's, the errors */
  A_CAUSE,
  A_RERRORS,
  A_N
};

/* Appends element d's callers and root causes to the round's arrays;
 * returns how many entries of each list in n[]. */
static void pgb_edges(struct pgb_array *a, const struct cnsm_batch *b,
                      const struct cnsm_fn_delta *d, size_t n[2]) {
  static const int col[2][3] = {{A_CNAME, A_CALLER, A_CCALLS},
                                {A_RNAME, A_CAUSE, A_RERRORS}};
  for (int l = 0; l < 2; l++) {
    for (size_t k = 0; k < d->nedge[l]; k++) {
      const struct cnsm_edge *e = &b->edges[d->edge_at[l] + k];
      pgb_text(&a[col[l][0]], d->name);
      pgb_text(&a[col[l][1]], e->name);
      pgb_int(&a[col[l][2]], e->count);
    }
    n[l] += d->nedge[l];
  }
}

/* Queues the UPSERTs of the round's callers and causes (only of lists
 * with entries); 0 or -1. */
static int pgb_edges_exec(struct cnsm_conn *c, const struct cnsm_value *hp,
                          const char *const *v, const size_t n[2]) {
  const struct cnsm_value cp[] = {hp[0],
                                  hp[1],
                                  hp[2],
                                  hp[3],
                                  CNSM_P_TEXT(v[A_CNAME]),
                                  CNSM_P_TEXT(v[A_CALLER]),
                                  CNSM_P_TEXT(v[A_CCALLS])};
  const struct cnsm_value rp[] = {hp[0],
                                  hp[1],
                                  hp[2],
                                  hp[3],
                                  CNSM_P_TEXT(v[A_RNAME]),
                                  CNSM_P_TEXT(v[A_CAUSE]),
                                  CNSM_P_TEXT(v[A_RERRORS])};
  return (n[0] == 0 || cnsm_exec(c, k_upsert_callers, cp, 7, NULL) == 0) &&
                 (n[1] == 0 || cnsm_exec(c, k_upsert_causes, rp, 7, NULL) == 0)
             ? 0
             : -1;
}

/* Appends element d's histogram pairs to the round's arrays. */
static void pgb_hist(struct pgb_array *a, const struct cnsm_batch *b,
                     const struct cnsm_fn_delta *d) {
  for (size_t k = 0; k < d->nhist; k++) {
    const struct cnsm_hist_pair *h = &b->hist[d->hist_at + k];
    pgb_text(&a[A_HNAME], d->name);
    pgb_int(&a[A_HBUCKET], h->bucket);
    pgb_int(&a[A_HCALLS], h->count);
  }
}

/* Queues the three or four statements of round r; 0 or -1. */
static int pgb_round(struct cnsm_conn *c, const char *project,
                     const struct cnsm_batch *b, int64_t bucket, int64_t now,
                     int hist_totals, const unsigned *round, unsigned r) {
  struct pgb_array a[A_N];
  memset(a, 0, sizeof a);
  size_t npairs = 0, nedges[2] = {0, 0};
  for (size_t i = 0; i < b->n; i++) {
    const struct cnsm_fn_delta *d = &b->fn[i];
    if (round[i] != r)
      continue;
    pgb_text(&a[A_NAME], d->name);
    pgb_text(&a[A_DEPT], d->department);
    pgb_real(&a[A_WEIGHT], d->value_weight, !d->has_weight);
    pgb_text(&a[A_FILE], d->file);
    pgb_int_or_null(&a[A_LINE], d->line, d->line == 0);
    pgb_int(&a[A_CALLS], d->calls);
    pgb_int(&a[A_ERRORS], d->errors);
    pgb_real(&a[A_MS], d->total_ms, 0);
    pgb_hist(a, b, d);
    pgb_edges(a, b, d, nedges);
    npairs += d->nhist;
  }
  const char *v[A_N];
  int ok = 1;
  for (int k = 0; k < A_N; k++)
    ok &= (v[k] = pgb_end(&a[k])) != NULL;
  const struct cnsm_value fp[] = {
      CNSM_P_TEXT(project),
      CNSM_P_INT(now),
      CNSM_P_TEXT(v[A_NAME]),
      CNSM_P_TEXT(v[A_DEPT]),
      CNSM_P_TEXT(v[A_WEIGHT]),
      CNSM_P_TEXT(v[A_FILE]),
      CNSM_P_TEXT(v[A_LINE]),
      CNSM_P_TEXT(v[A_CALLS]),
      CNSM_P_TEXT(v[A_ERRORS]),
      CNSM_P_TEXT(v[A_MS])}; /* the insert takes the first 7 */
  const struct cnsm_value cp[] = {
      CNSM_P_TEXT(project),           CNSM_P_INT(bucket),
      CNSM_P_TEXT(b->labels.version), CNSM_P_TEXT(b->labels.instance),
      CNSM_P_TEXT(v[A_NAME]),         CNSM_P_TEXT(v[A_CALLS]),
      CNSM_P_TEXT(v[A_ERRORS]),       CNSM_P_TEXT(v[A_MS])};
  const struct cnsm_value hp[] = {
      CNSM_P_TEXT(project),           CNSM_P_INT(bucket),
      CNSM_P_TEXT(b->labels.version), CNSM_P_TEXT(b->labels.instance),
      CNSM_P_TEXT(v[A_HNAME]),        CNSM_P_TEXT(v[A_HBUCKET]),
      CNSM_P_TEXT(v[A_HCALLS])};
  const struct cnsm_value tp[] = {hp[0], hp[4], hp[5], hp[6]};
  ok = ok && cnsm_exec(c, k_insert_new, fp, 7, NULL) == 0 &&
       cnsm_exec(c, k_update_known, fp, 10, NULL) == 0 &&
       cnsm_exec(c, k_upsert_counts, cp, 8, NULL) == 0 &&
       (npairs == 0 || (cnsm_exec(c, k_upsert_hist, hp, 7, NULL) == 0 &&
                        (!hist_totals || cnsm_exec(c, k_upsert_hist_totals, tp,
                                                   4, NULL) == 0))) &&
       pgb_edges_exec(c, hp, v, nedges) == 0;
  for (int k = 0; k < A_N; k++)
    free(a[k].p);
  return ok ? 0 : -1;
}

/* Stores b's functions and counts; see store_pg_batch.h. */
int cnsm_pg_upsert_batch(struct cnsm_conn *c, const char *project,
                         const struct cnsm_batch *b, int64_t bucket,
                         int64_t now, int hist_totals) {
  if (b->n == 0)
    return 0;
  unsigned *round = calloc(b->n, sizeof *round);
  unsigned rounds = round ? pgb_rounds(b, round) : 0;
  int rc = rounds ? 0 : -1;
  for (unsigned r = 0; rc == 0 && r < rounds; r++)
    rc = pgb_round(c, project, b, bucket, now, hist_totals, round, r);
  free(round);
  return rc;
}
