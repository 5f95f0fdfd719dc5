/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_ext.c - a deltas file's extensions read back: a function's timed
 * calls' buckets, its source location, its root causes and its callers.
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
#include <cjson/cJSON.h>
#include <stdint.h>

#include "codensm_hist.h"
#include "internal.h"

uint64_t cnsm_spool_count(const cJSON *v) {
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1))
    return 0;
  return v->valuedouble < 1.8e19 ? (uint64_t)v->valuedouble : UINT64_MAX;
}

/* The histogram's pairs into l, one at a time (a file's need not
 * ascend). */
static void load_pairs(struct cnsm_hist_list *l, const cJSON *a) {
  const cJSON *pair;
  cJSON_ArrayForEach(pair, a) {
    const cJSON *bucket = cJSON_GetArrayItem(pair, 0);
    uint64_t count = cnsm_spool_count(cJSON_GetArrayItem(pair, 1));
    if (!cJSON_IsNumber(bucket) || !(bucket->valuedouble >= 0) ||
        bucket->valuedouble >= CNSM_HIST_BUCKETS || !count)
      continue;
    struct cnsm_hist_pair p = {(uint32_t)bucket->valuedouble, count};
    cnsm_hist_list_add(l, &p, 1);
  }
}

/* The entry a cause's or a caller's name names: the table's, or a new
 * one (a function only the process that wrote the file had loaded). */
static size_t entry_named(const char *name) {
  const struct cnsm_fn *e = cnsm_fn_find(name);
  return e ? (size_t)(e - cnsm_fns) : cnsm_fn_intern(name, "", 0);
}

/* Which of an entry's lists named counts go to. */
enum named_list { ROOT_CAUSES, CALLERS };

static struct cnsm_hist_list *list_of(size_t i, enum named_list which) {
  return which == ROOT_CAUSES ? &cnsm_fns[i].causes : &cnsm_fns[i].callers;
}

/* Named counts into entry i's list, keyed by their names' table entries.
 * The list is found again after each name: a new entry may move the
 * table. */
static void load_named(size_t i, enum named_list which, const cJSON *a,
                       const char *count) {
  const cJSON *o;
  cJSON_ArrayForEach(o, a) {
    const char *name =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "name"));
    uint64_t n = cnsm_spool_count(cJSON_GetObjectItemCaseSensitive(o, count));
    size_t named = name && n ? entry_named(name) : SIZE_MAX;
    if (named == SIZE_MAX || named > UINT32_MAX)
      continue;
    struct cnsm_hist_pair p = {(uint32_t)named, n};
    cnsm_hist_list_add(list_of(i, which), &p, 1);
  }
}

void cnsm_spool_ext_load(size_t i, const cJSON *f) {
  load_pairs(&cnsm_fns[i].hist, cJSON_GetObjectItemCaseSensitive(f, "hist"));
  load_named(i, ROOT_CAUSES, cJSON_GetObjectItemCaseSensitive(f, "root_causes"),
             "errors");
  load_named(i, CALLERS, cJSON_GetObjectItemCaseSensitive(f, "callers"),
             "calls");
  /* A location the table does not know yet (no module of this process
   * names the function): what the file says. */
  const char *file =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "file"));
  uint64_t line = cnsm_spool_count(cJSON_GetObjectItemCaseSensitive(f, "line"));
  if (line <= UINT32_MAX)
    cnsm_fn_set_source(i, file, (uint32_t)line);
}
