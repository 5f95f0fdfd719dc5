/* SPDX-License-Identifier: Apache-2.0
 *
 * table.c - the function table: one entry per function name.
 *
 * C++ inline and template functions exist in several modules under one
 * name, and a dlopen'ed library may come and go: counts are aggregated by
 * name here, never by (module, slot).  Entries own copies of their strings,
 * so they outlive the modules that named them, and every string is made
 * valid for the ingest contract on the way in (sanitize.c).  An open-addressing
 * hash (FNV-1a, linear probing) maps names to indices.  Registry lock held for
 * everything in this file.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct cnsm_fn *cnsm_fns;
size_t cnsm_fn_count;
static size_t fn_cap;
/* Fork child: the entries below this index were its parent's at the fork
 * (cnsm_fn_inherit_all). */
static size_t inherited;
static size_t *hash_slots; /* index + 1, 0 = empty */
static size_t hash_cap;    /* power of two */

void cnsm_fn_inherit_all(void) { inherited = cnsm_fn_count; }

int cnsm_fn_announced(size_t i) {
  return i < inherited || cnsm_fns[i].announced;
}

int cnsm_fn_source_sent(size_t i) {
  return i < inherited || cnsm_fns[i].source_sent;
}

uint64_t cnsm_fnv1a(uint64_t h, const char *s) {
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * CNSM_FNV1A_PRIME;
  return h;
}

static uint64_t hash_name(const char *s) {
  return cnsm_fnv1a(CNSM_FNV1A_BASIS, s);
}

/* Rebuilds the hash with room for twice as many names. */
static int hash_grow(void) {
  size_t cap = hash_cap ? hash_cap * 2 : 1024;
  size_t *slots = calloc(cap, sizeof *slots);
  if (!slots)
    return -1;
  for (size_t i = 0; i < cnsm_fn_count; i++) {
    size_t h = (size_t)hash_name(cnsm_fns[i].name) & (cap - 1);
    while (slots[h])
      h = (h + 1) & (cap - 1);
    slots[h] = i + 1;
  }
  free(hash_slots);
  hash_slots = slots;
  hash_cap = cap;
  return 0;
}

/* Applies CODENSM_DEPARTMENTS / CODENSM_WEIGHTS when they changed.  The
 * caller copied them from the settings before taking the registry lock
 * (one copy per pass over the table), so codensm_init never waits for the
 * registry, and a pass applies one generation to every entry. */
void cnsm_fn_refresh(struct cnsm_fn *e, const struct cnsm_overrides *o) {
  if (e->department && e->cfg_generation == o->generation)
    return;
  const struct cnsm_prefix_rule *r;
  r = cnsm_prefix_map_find(&o->departments, e->name);
  e->department = r ? r->value : e->compiled_department;
  r = cnsm_prefix_map_find(&o->weights, e->name);
  e->weight = r ? r->weight : e->compiled_weight;
  e->cfg_generation = o->generation;
}

char **cnsm_not_instrumented;
size_t cnsm_not_instrumented_count;

/* Remembers a function listed without a probe; the same name may come from
 * many modules (a header's helper), the report lists it once. */
void cnsm_note_not_instrumented(const char *name) {
  static size_t cap;
  if (cnsm_not_instrumented_count == cap) {
    size_t grown_cap = cap ? 2 * cap : 64;
    char **grown = realloc(cnsm_not_instrumented, grown_cap * sizeof *grown);
    if (!grown)
      return;
    cnsm_not_instrumented = grown;
    cap = grown_cap;
  }
  int changed;
  char *copy = cnsm_sanitize_string(name, CNSM_NAME_MAX, "?", &changed);
  if (copy)
    cnsm_not_instrumented[cnsm_not_instrumented_count++] = copy;
}

/* The entry of name (as sanitised), or NULL.  Registry lock held. */
const struct cnsm_fn *cnsm_fn_find(const char *name) {
  if (!hash_cap)
    return NULL;
  size_t h = (size_t)hash_name(name) & (hash_cap - 1);
  for (; hash_slots[h]; h = (h + 1) & (hash_cap - 1))
    if (strcmp(cnsm_fns[hash_slots[h] - 1].name, name) == 0)
      return &cnsm_fns[hash_slots[h] - 1];
  return NULL;
}

/* Gives entry i its record in the live file, when there is a live file
 * and the entry has none yet. */
static void make_live(size_t i) {
  struct cnsm_fn *e = &cnsm_fns[i];
  if (!e->live)
    e->live =
        cnsm_durable_fn(i, e->name, e->compiled_department, e->compiled_weight);
}

void cnsm_fn_make_all_live(void) {
  for (size_t i = 0; i < cnsm_fn_count; i++)
    make_live(i);
}

/* Finds or creates the entry for a valid name. */
static size_t intern(const char *name, const char *department,
                     uint32_t weight) {
  if ((cnsm_fn_count + 1) * 2 > hash_cap && hash_grow() != 0)
    return SIZE_MAX;
  size_t h = (size_t)hash_name(name) & (hash_cap - 1);
  for (; hash_slots[h]; h = (h + 1) & (hash_cap - 1))
    if (strcmp(cnsm_fns[hash_slots[h] - 1].name, name) == 0)
      return hash_slots[h] - 1;
  if (cnsm_fn_count == fn_cap) {
    size_t cap = fn_cap ? fn_cap * 2 : 256;
    struct cnsm_fn *fns = realloc(cnsm_fns, cap * sizeof *fns);
    if (!fns)
      return SIZE_MAX;
    cnsm_fns = fns;
    fn_cap = cap;
  }
  struct cnsm_fn *e = &cnsm_fns[cnsm_fn_count];
  memset(e, 0, sizeof *e);
  int changed;
  e->name = strdup(name);
  e->compiled_department = cnsm_sanitize_string(department, CNSM_DEPARTMENT_MAX,
                                                "unassigned", &changed);
  if (!e->name || !e->compiled_department) {
    free(e->name);
    free(e->compiled_department);
    return SIZE_MAX;
  }
  e->compiled_weight = cnsm_sanitize_weight(weight);
  e->hold = CNSM_HOLD_MIN; /* department NULL: refreshed before it is read */
  make_live(cnsm_fn_count);
  hash_slots[h] = cnsm_fn_count + 1;
  return cnsm_fn_count++;
}

void cnsm_fn_set_source(size_t i, const char *file, uint32_t line) {
  struct cnsm_fn *e = &cnsm_fns[i];
  if (e->file || !file || !*file || line == 0 || line > INT32_MAX)
    return; /* the first module that names it says where it is */
  int changed;
  e->file = cnsm_sanitize_string(file, CNSM_NAME_MAX, NULL, &changed);
  if (e->file)
    e->line = line;
}

/* Finds or creates the entry for name, made valid for the contract first
 * (sanitize.c): a name with a non-UTF-8 byte from a source path, or a
 * corrupt spool entry, must never make the collector refuse a batch. */
size_t cnsm_fn_intern(const char *raw_name, const char *department,
                      uint32_t weight) {
  /* A name the table holds is valid as it is: no copy to make it so.  A
   * forking server's parent interns every function of each child's file
   * (spool.c), and the copies' malloc and free were a tenth of a
   * PostgreSQL postmaster's CPU, most of it in heap pages its children
   * shared, copied for the write. */
  const struct cnsm_fn *known = raw_name ? cnsm_fn_find(raw_name) : NULL;
  if (known)
    return (size_t)(known - cnsm_fns);
  int changed;
  char *name = cnsm_sanitize_string(raw_name, CNSM_NAME_MAX, "?", &changed);
  if (!name)
    return SIZE_MAX;
  if (changed)
    cnsm_debug("function name \"%.60s\" is not valid UTF-8 of 1..%d bytes; "
               "sent as \"%.60s\"",
               raw_name ? raw_name : "", CNSM_NAME_MAX, name);
  size_t i = intern(name, department, weight);
  free(name);
  return i;
}
