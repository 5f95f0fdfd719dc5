/* SPDX-License-Identifier: Apache-2.0
 *
 * edges.c - an element's "callers" and "root_causes" checked and kept.
 *
 * Both are arrays of objects naming a function and counting something:
 * {"name", "calls"} per caller, {"name", "errors"} per root cause.  A
 * name follows the rules of an element's name (1-512 bytes of UTF-8
 * without control characters), a count is an integer 1 to 2^53 - 1, and
 * names are distinct within one array, so each entry is a row of its
 * own in the store (no two entries of one element add to one row in one
 * statement).  At most CNSM_CALLERS_MAX callers (a function called from
 * more places is rare; its 4,097th caller would cost more to keep than
 * it tells) and CNSM_CAUSES_MAX causes.  Nothing relates the entries to
 * the element's calls or errors: a sender's follow-up element carries
 * them with calls 0.  The entries of a whole batch go into one array of
 * the batch, as hist.c does with histogram pairs.  Distinct names are
 * checked by sorting pointers to them: 4,096 entries cost 50,000
 * comparisons, not 8 million. */
#include "edges.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The field's name and its count's. */
static const char *const k_field[] = {"callers", "root_causes"};
static const char *const k_count[] = {"calls", "errors"};
static const size_t k_max[] = {CNSM_CALLERS_MAX, CNSM_CAUSES_MAX};

/* Fills *err about element index's field; returns -1. */
static int edges_fail(struct cnsm_ingest_error *err, long index,
                      enum cnsm_edge_list list, const char *message) {
  err->index = index;
  snprintf(err->field, sizeof err->field, "%s", k_field[list]);
  snprintf(err->message, sizeof err->message, "%s %s", k_field[list], message);
  return -1;
}

/* Makes room for n more entries in b; 0 or -1. */
static int edges_reserve(struct cnsm_batch *b, size_t n) {
  if (b->nedges + n <= b->edges_cap)
    return 0;
  size_t cap = b->edges_cap ? b->edges_cap : 64;
  while (cap < b->nedges + n)
    cap *= 2;
  struct cnsm_edge *grown = realloc(b->edges, cap * sizeof *grown);
  if (grown == NULL)
    return -1;
  b->edges = grown;
  b->edges_cap = cap;
  return 0;
}

static int edges_name_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Are the n names of e distinct?  1, 0, or -1 out of memory. */
static int edges_distinct(const struct cnsm_edge *e, size_t n) {
  if (n < 2)
    return 1;
  const char **names = malloc(n * sizeof(const char *));
  if (names == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    names[i] = e[i].name;
  qsort(names, n, sizeof(const char *), edges_name_cmp);
  int distinct = 1;
  for (size_t i = 1; i < n && distinct; i++)
    distinct = strcmp(names[i - 1], names[i]) != 0;
  free(names);
  return distinct;
}

/* Checks one entry; 0 with *out filled, or -1. */
static int edges_entry(const cJSON *o, long index, enum cnsm_edge_list list,
                       struct cnsm_edge *out, struct cnsm_ingest_error *err) {
  if (!cJSON_IsObject(o))
    return edges_fail(err, index, list,
                      list == CNSM_EDGE_CALLERS
                          ? "entries must be {\"name\", \"calls\"} objects"
                          : "entries must be {\"name\", \"errors\"} objects");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
  size_t len = cJSON_IsString(name) && name->valuestring != NULL
                   ? strlen(name->valuestring)
                   : 0;
  if (len == 0 || len > CNSM_NAME_MAX ||
      !cnsm_utf8_valid(name->valuestring, len))
    return edges_fail(err, index, list,
                      "name must be 1 to 512 bytes of UTF-8 without control "
                      "characters");
  const cJSON *count = cJSON_GetObjectItemCaseSensitive(o, k_count[list]);
  double v = cJSON_IsNumber(count) ? count->valuedouble : NAN;
  if (!isfinite(v) || v != floor(v) || v < 1 || v > CNSM_INT_MAX) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an integer 1 to 2^53 - 1",
             k_count[list]);
    return edges_fail(err, index, list, msg);
  }
  out->name = name->valuestring;
  out->count = (int64_t)v;
  return 0;
}

/* Checks "callers" or "root_causes" and appends its entries; see
 * edges.h. */
int cnsm_edges_parse(const cJSON *item, long index, enum cnsm_edge_list list,
                     struct cnsm_batch *b, struct cnsm_fn_delta *d,
                     struct cnsm_ingest_error *err) {
  char msg[96];
  if (!cJSON_IsArray(item))
    return edges_fail(err, index, list, "must be an array");
  size_t n = (size_t)cJSON_GetArraySize(item);
  if (n > k_max[list]) {
    snprintf(msg, sizeof msg, "must hold at most %zu entries", k_max[list]);
    return edges_fail(err, index, list, msg);
  }
  if (edges_reserve(b, n) != 0)
    return edges_fail(err, index, list, "out of memory");
  size_t at = b->nedges;
  for (const cJSON *o = item->child; o != NULL; o = o->next)
    if (edges_entry(o, index, list, &b->edges[b->nedges++], err) != 0)
      return -1;
  int distinct = n < 2 ? 1 : edges_distinct(&b->edges[at], n);
  if (distinct < 0)
    return edges_fail(err, index, list, "out of memory");
  if (!distinct)
    return edges_fail(err, index, list, "names must be distinct");
  d->edge_at[list] = at;
  d->nedge[list] = n;
  return 0;
}
