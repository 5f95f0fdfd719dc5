/* SPDX-License-Identifier: Apache-2.0
 *
 * rollup_edges.c - every function's callers, root causes and self time
 * over a window, from the extensions "callers" and "causes" (tables
 * callers and causes).
 *
 * One query per table for all functions, as rollup_hist.c does: the
 * database sums the rows per function and other function over the
 * window and labels, and each row is attached here to its function,
 * found by name through a sorted index (so no order of the rows, nor the
 * database's collation, matters).  Then self time, gprof's way
 * (docs/metrics.md, "Self time"): the runtime counts every caller ->
 * callee call exactly but times only samples, so callee G's time is
 * shared among its callers in proportion to their calls; a caller F's
 * self time is its total less its shares of its callees' (G != F):
 *   self(F) = total(F) - sum_G edge(F -> G) / max(1, calls(G) -
 *             edge(G -> G)) x total(G),  clamped to [0, total(F)].
 * A recursive function's total counts its outermost frames only, so the
 * calls that share it are those that did not come from itself; mutual
 * recursion through other functions is not corrected.  Self time is
 * known where the function has timed calls (its percentiles are). */
#include "rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDGES_EXACT_MAX 9007199254740991.0 /* 2^53 - 1 */

/* Appends (name, n) to l; 0 or -1. */
static int edges_add(struct cnsm_named_counts *l, const char *name, double n) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 4;
    struct cnsm_named_count *grown = realloc(l->v, cap * sizeof *grown);
    if (grown == NULL)
      return -1;
    l->v = grown;
    l->cap = cap;
  }
  l->v[l->n].name = strdup(name);
  l->v[l->n].n = n;
  return l->v[l->n++].name == NULL ? -1 : 0;
}

/* By n descending, then name. */
static int edges_order(const void *a, const void *b) {
  const struct cnsm_named_count *x = a, *y = b;
  if (x->n != y->n)
    return x->n < y->n ? 1 : -1;
  return strcmp(x->name, y->name);
}

static void edges_sort(struct cnsm_named_counts *l) {
  if (l->n > 1)
    qsort(l->v, l->n, sizeof *l->v, edges_order);
}

static void edges_list_free(struct cnsm_named_counts *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].name);
  free(l->v);
  memset(l, 0, sizeof *l);
}

/* Frees f's lists; see rollup.h. */
void cnsm_fn_edges_free(struct cnsm_fn_stat *f) {
  edges_list_free(&f->callers);
  edges_list_free(&f->causes);
  edges_list_free(&f->callees);
}

/* A caller's share of a callee's time; see rollup.h. */
double cnsm_self_share(double edge, double callee_calls,
                       double callee_self_calls, double callee_total_ms) {
  double outer = callee_calls - callee_self_calls;
  return edge / (outer > 1 ? outer : 1) * callee_total_ms;
}

/* total - the callees' shares, within [0, total]; -1 without timed
 * calls (p50 unknown). */
static double edges_self(const struct cnsm_fn_stat *f, double shares) {
  if (f->p50_ms < 0)
    return -1;
  double self = f->total_ms - shares;
  return self < 0 ? 0 : self > f->total_ms ? f->total_ms : self;
}

/* A list as JSON; see rollup.h. */
cJSON *cnsm_named_counts_json(const struct cnsm_named_counts *l,
                              const char *key) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < l->n; i++) {
    char num[32];
    double n = l->v[i].n < EDGES_EXACT_MAX ? l->v[i].n : EDGES_EXACT_MAX;
    snprintf(num, sizeof num, "%.0f", n); /* exact: see rollup.c */
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", l->v[i].name);
    cJSON_AddItemToObject(o, key, cJSON_CreateRaw(num));
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

/* The query's state: the functions by name, and which list a row of
 * the current query goes to. */
struct edges_walk {
  struct cnsm_fn_stat **by_name;
  size_t nfn;
  int causes; /* 0: callers, 1: causes */
};

static int edges_by_name(const void *a, const void *b) {
  return strcmp((*(struct cnsm_fn_stat *const *)a)->name,
                (*(struct cnsm_fn_stat *const *)b)->name);
}

/* The index in w->by_name of the function named name, or -1. */
static long edges_find(const struct edges_walk *w, const char *name) {
  struct cnsm_fn_stat key = {.name = (char *)name}, *pkey = &key;
  struct cnsm_fn_stat **hit =
      w->nfn ? bsearch(&pkey, w->by_name, w->nfn, sizeof(struct cnsm_fn_stat *),
                       edges_by_name)
             : NULL;
  return hit ? (long)(hit - w->by_name) : -1;
}

/* One (function, other function, summed count) row. */
static int edges_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct edges_walk *w = ctx;
  if (ncol < 3 || col[0].text == NULL || col[1].text == NULL)
    return -1;
  long i = edges_find(w, col[0].text);
  if (i < 0)
    return 0; /* a name no longer among the functions */
  struct cnsm_fn_stat *f = w->by_name[i];
  return edges_add(w->causes ? &f->causes : &f->callers, col[1].text, col[2].d);
}

/* The calls of g that came from g itself. */
static double edges_recursive(const struct cnsm_fn_stat *g) {
  for (size_t k = 0; k < g->callers.n; k++)
    if (strcmp(g->callers.v[k].name, g->name) == 0)
      return g->callers.v[k].n;
  return 0;
}

/* Every function's self time from the callers lists: each callee G
 * hands each of its callers F != G its share of G's time; shares[i]
 * gathers by_name[i]'s. */
static void edges_self_all(const struct edges_walk *w, double *shares) {
  for (size_t i = 0; i < w->nfn; i++) {
    const struct cnsm_fn_stat *g = w->by_name[i];
    double recursive = edges_recursive(g);
    for (size_t k = 0; k < g->callers.n; k++) {
      long f = edges_find(w, g->callers.v[k].name);
      if (f >= 0 && (size_t)f != i)
        shares[f] += cnsm_self_share(g->callers.v[k].n, (double)g->calls,
                                     recursive, g->total_ms);
    }
  }
  for (size_t i = 0; i < w->nfn; i++) {
    struct cnsm_fn_stat *f = w->by_name[i];
    f->self_ms = edges_self(f, shares[i]);
    edges_sort(&f->callers);
    edges_sort(&f->causes);
  }
}

/* The sums per function and other function of one table over r's
 * window and labels (all time: every row, as rollup_hist.c reads). */
static int edges_query(struct cnsm_conn *c, const struct cnsm_rollup *r,
                       struct edges_walk *w, int causes) {
  static const char *const sql[] = {
      "SELECT name, caller, SUM(calls * 1.0) FROM callers"
      " WHERE project = $1 AND bucket >= $2 AND bucket <= $5"
      "  AND ($3 IS NULL OR version = $3) AND ($4 IS NULL OR instance = $4)"
      " GROUP BY name, caller",
      "SELECT name, cause, SUM(errors * 1.0) FROM causes"
      " WHERE project = $1 AND bucket >= $2 AND bucket <= $5"
      "  AND ($3 IS NULL OR version = $3) AND ($4 IS NULL OR instance = $4)"
      " GROUP BY name, cause"};
  const struct cnsm_value p[] = {
      CNSM_P_TEXT(r->project), CNSM_P_INT(r->since > 0 ? r->from : INT64_MIN),
      CNSM_P_TEXT(r->version), CNSM_P_TEXT(r->instance), CNSM_P_INT(r->now)};
  w->causes = causes;
  return cnsm_query(c, sql[causes], p, 5, edges_row, w);
}

/* Fills callers, causes and self time; see rollup.h. */
int cnsm_rollup_edges(struct cnsm_conn *c, struct cnsm_rollup *r) {
  struct edges_walk w = {.nfn = r->nfn};
  size_t n = r->nfn ? r->nfn : 1;
  w.by_name = malloc(n * sizeof(struct cnsm_fn_stat *));
  double *shares = calloc(n, sizeof *shares);
  int rc = -1;
  if (w.by_name != NULL && shares != NULL) {
    for (size_t i = 0; i < r->nfn; i++)
      w.by_name[i] = &r->fn[i];
    if (r->nfn > 1)
      qsort(w.by_name, r->nfn, sizeof(struct cnsm_fn_stat *), edges_by_name);
    rc =
        edges_query(c, r, &w, 0) == 0 && edges_query(c, r, &w, 1) == 0 ? 0 : -1;
    if (rc == 0)
      edges_self_all(&w, shares);
  }
  free(shares);
  free(w.by_name);
  return rc;
}

/* One function's query rows: (other function, summed count) into the
 * list ctx. */
static int edges_list_row(void *ctx, const struct cnsm_value *col, int ncol) {
  if (ncol < 2 || col[0].text == NULL)
    return -1;
  return edges_add(ctx, col[0].text, col[1].d);
}

/* A callee's row: its name, the calls from f, and what its share of
 * time needs - its calls, total and calls from itself. */
struct edges_callees {
  struct cnsm_named_counts *list;
  const char *self; /* f's name: its own recursion takes no share */
  double shares;
};

static int edges_callee_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct edges_callees *e = ctx;
  if (ncol < 5 || col[0].text == NULL)
    return -1;
  if (edges_add(e->list, col[0].text, col[1].d) != 0)
    return -1;
  if (strcmp(col[0].text, e->self) != 0)
    e->shares += cnsm_self_share(col[1].d, col[2].d, col[4].d, col[3].d);
  return 0;
}

/* The label filter of the queries below on table alias t. */
#define EDGES_LABELS(t)                                                        \
  " AND ($5 IS NULL OR " t ".version = $5)"                                    \
  " AND ($6 IS NULL OR " t ".instance = $6)"

/* One function's queries, on p of cnsm_rollup_fn_edges: its callers,
 * its root causes, and its callees with what each one's share of time
 * needs (its calls and total time in the window, and its calls from
 * itself). */
static const char k_fn_callers_sql[] =
    "SELECT caller, SUM(calls * 1.0) FROM callers e"
    " WHERE project = $1 AND name = $2 AND bucket >= $7"
    "  AND bucket <= $8" EDGES_LABELS("e") " GROUP BY caller";
static const char k_fn_causes_sql[] =
    "SELECT cause, SUM(errors * 1.0) FROM causes e"
    " WHERE project = $1 AND name = $2 AND bucket >= $7"
    "  AND bucket <= $8" EDGES_LABELS("e") " GROUP BY cause";
static const char k_fn_callees_sql[] =
    "SELECT e.name, SUM(e.calls * 1.0),"
    " (SELECT COALESCE(SUM(k.calls * 1.0), 0) FROM counts k"
    "  WHERE k.project = $1 AND k.name = e.name"
    "   AND k.bucket >= $3 AND k.bucket <= $8" EDGES_LABELS(
        "k") "),"
             " (SELECT COALESCE(SUM(k.total_ms), 0) FROM counts k"
             "  WHERE k.project = $1 AND k.name = e.name"
             "   AND k.bucket >= $3 AND k.bucket <= $8" EDGES_LABELS(
                 "k") "),"
                      " (SELECT COALESCE(SUM(s.calls * 1.0), 0) FROM callers s"
                      "  WHERE s.project = $1 AND s.name = e.name AND s.caller "
                      "= e.name"
                      "   AND s.bucket >= $7 AND s.bucket <= $8" EDGES_LABELS(
                          "s") ")"
                               " FROM callers e WHERE e.project = $1 AND "
                               "e.caller = $2"
                               "  AND e.bucket >= $7 AND e.bucket <= "
                               "$8" EDGES_LABELS("e") " GROUP BY e.name";

/* One function's callers, causes, callees and self time; see
 * rollup.h.  p: $1 project, $2 name, $3 the window's first bucket of
 * counts, $5 and $6 the labels, $7 the first bucket of the extensions'
 * rows (all time: every row), $8 the window's last second. */
int cnsm_rollup_fn_edges(struct cnsm_conn *c, struct cnsm_fn_stat *f,
                         const struct cnsm_value *p) {
  struct edges_callees callees = {&f->callees, f->name, 0};
  int rc =
      cnsm_query(c, k_fn_callers_sql, p, 8, edges_list_row, &f->callers) == 0 &&
              cnsm_query(c, k_fn_causes_sql, p, 8, edges_list_row,
                         &f->causes) == 0 &&
              cnsm_query(c, k_fn_callees_sql, p, 8, edges_callee_row,
                         &callees) == 0
          ? 0
          : -1;
  edges_sort(&f->callers);
  edges_sort(&f->causes);
  edges_sort(&f->callees);
  f->self_ms = edges_self(f, callees.shares);
  return rc;
}
