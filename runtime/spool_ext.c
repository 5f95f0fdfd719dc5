/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_ext.c - a deltas file's extensions read back: a function's timed
 * calls' buckets, its root causes and its callers (spool.c reads its
 * source location with its counts).
 *
 * Until round twenty-eight a deltas file held counts only, so whatever a
 * process could not deliver lost its histograms, callers and causes on
 * the way to the next process.  The ingest body's encoder (encode.c)
 * writes them under the wire's names (docs/ingest-contract.md: "hist",
 * "file", "line", "root_causes", "callers"), whatever the receiver asked
 * for; they are read back here into the function's lists of what waits
 * for a receiver (cnsm_fn.hist, .causes, .callers), which the flusher
 * sends when the receiver asks for them.
 * Nothing read is trusted: a bucket beyond the wire's, a count that is not
 * a positive number or a name that is not a string is skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codensm_hist.h"
#include "internal.h"

/* Steps through the array at a (p NULL: none), to the start of each of
 * its elements: 1 at one, 0 at the end.  The caller reads or skips it. */
static int next_element(struct cnsm_json *a, int *first) {
  if (!a->p)
    return 0;
  if (*first && cnsm_json_open(a, '[') != 0)
    return 0;
  return cnsm_json_member(a, ']', first, NULL, 0) == 1;
}

/* Pairs read from a file, added to a list PAIRS_AT_ONCE at a time: a
 * file's need not ascend, and added one by one each moved the list's
 * pairs above it (a sixth of a forking server's parent's CPU). */
#define PAIRS_AT_ONCE 64

struct pairs {
  struct cnsm_hist_pair p[PAIRS_AT_ONCE];
  size_t n;
};

static int by_bucket(const void *a, const void *b) {
  uint32_t x = ((const struct cnsm_hist_pair *)a)->bucket;
  uint32_t y = ((const struct cnsm_hist_pair *)b)->bucket;
  return (x > y) - (x < y);
}

/* Adds the pairs gathered to l: sorted, and those of one bucket summed
 * (the list's merge takes ascending buckets, each once). */
static void add_pairs(struct cnsm_hist_list *l, struct pairs *g) {
  if (!g->n)
    return;
  qsort(g->p, g->n, sizeof *g->p, by_bucket);
  size_t out = 0;
  for (size_t k = 0; k < g->n; k++) {
    if (out && g->p[out - 1].bucket == g->p[k].bucket) {
      uint64_t a = g->p[out - 1].count, b = g->p[k].count;
      g->p[out - 1].count = a > UINT64_MAX - b ? UINT64_MAX : a + b;
    } else {
      g->p[out++] = g->p[k];
    }
  }
  cnsm_hist_list_add(l, g->p, out);
  g->n = 0;
}

static void gather(struct cnsm_hist_list *l, struct pairs *g, uint32_t bucket,
                   uint64_t count) {
  g->p[g->n++] = (struct cnsm_hist_pair){bucket, count};
  if (g->n == PAIRS_AT_ONCE)
    add_pairs(l, g);
}

/* The histogram's pairs into l: each [bucket, count], more elements
 * ignored. */
static void load_pairs(struct cnsm_hist_list *l, struct cnsm_json a) {
  struct pairs g = {.n = 0};
  int first = 1;
  while (next_element(&a, &first)) {
    if (cnsm_json_peek(&a) != '[') {
      (void)cnsm_json_skip(&a);
      continue;
    }
    struct cnsm_json_number n[2] = {{-1, 0}, {0, 0}};
    int inner = 1, k = 0;
    (void)cnsm_json_open(&a, '[');
    while (cnsm_json_member(&a, ']', &inner, NULL, 0) == 1) {
      if (k < 2 && cnsm_json_number(&a, &n[k]) != 0)
        n[k] = (struct cnsm_json_number){-1, 0};
      else if (k >= 2)
        (void)cnsm_json_skip(&a);
      k++;
    }
    if (n[0].value >= 0 && n[0].value < CNSM_HIST_BUCKETS && n[1].count)
      gather(l, &g, (uint32_t)n[0].value, n[1].count);
  }
  add_pairs(l, &g);
}

/* The entry a cause's or a caller's name names: the table's, or a new
 * one (its department and weight come with its own item, if any). */
static size_t entry_named(const char *name) {
  const struct cnsm_fn *e = cnsm_fn_find(name);
  return e ? (size_t)(e - cnsm_fns) : cnsm_fn_intern(name, "", 0);
}

/* Which of an entry's lists named counts go to. */
enum named_list { ROOT_CAUSES, CALLERS };

static struct cnsm_hist_list *list_of(size_t i, enum named_list which) {
  return which == ROOT_CAUSES ? &cnsm_fns[i].causes : &cnsm_fns[i].callers;
}

/* Named counts into entry i's list, keyed by their names' table entries:
 * each {"name": ..., count: ...}, the first of a member given twice. */
static void load_named(size_t i, enum named_list which, struct cnsm_json a,
                       const char *count) {
  char name[4 * CNSM_NAME_MAX], key[16];
  struct pairs g = {.n = 0};
  int first = 1;
  while (next_element(&a, &first)) {
    if (cnsm_json_peek(&a) != '{') {
      (void)cnsm_json_skip(&a);
      continue;
    }
    int inner = 1, has_name = 0, name_seen = 0, count_seen = 0;
    uint64_t n = 0;
    (void)cnsm_json_open(&a, '{');
    while (cnsm_json_member(&a, '}', &inner, key, sizeof key) == 1) {
      struct cnsm_json_number v;
      if (strcmp(key, "name") == 0 && !name_seen++)
        has_name = cnsm_json_string(&a, name, sizeof name) == 0;
      else if (strcmp(key, count) == 0 && !count_seen++)
        n = cnsm_json_number(&a, &v) == 0 ? v.count : 0;
      else
        (void)cnsm_json_skip(&a);
    }
    size_t named = has_name && n ? entry_named(name) : SIZE_MAX;
    if (named != SIZE_MAX && named <= UINT32_MAX)
      gather(list_of(i, which), &g, (uint32_t)named, n);
  }
  add_pairs(list_of(i, which), &g);
}

void cnsm_spool_ext_load(size_t i, const struct cnsm_spool_ext *x) {
  load_pairs(&cnsm_fns[i].hist, x->hist);
  load_named(i, ROOT_CAUSES, x->root_causes, "errors");
  load_named(i, CALLERS, x->callers, "calls");
}
