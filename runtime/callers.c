/* SPDX-License-Identifier: Apache-2.0
 *
 * callers.c - each function's instrumented callers, with exact calls.
 *
 * The pass counts a call where it is made: every call site of an
 * instrumented function that names its callee (a direct call) adds one to
 * the slot of that (caller, callee) edge, after the unit's function slots
 * (codensm_abi.inc, edge_info), in the same per-thread chunks as the
 * calls themselves.  A callee defined in the same unit is named by its
 * slot; one defined elsewhere by the hash of its linkage name, which the
 * unit that defines it lists beside its function (symbol_hash): an edge
 * to a function no instrumented unit defines (libc, an uninstrumented
 * library) never finds its callee, and its calls are dropped.  Calls
 * through a pointer (callbacks, virtual calls) name no callee at the call
 * site and are not attributed: a function's calls minus its callers' are
 * the calls from uninstrumented code and through pointers.
 *
 * One edge into a function that only counting call sites call has no
 * counter (EDGE_FROM_CALLEE): its calls are the callee's less the other
 * edges' (read_edges); and a call site that runs once each time its caller
 * runs (its first call) counts nothing: its calls are the caller's.
 *
 * The counters are monotonic like every slot's; the flusher's drain turns
 * them into deltas against what it drained before (m->edges_seen) and adds
 * them to the callee's list of callers (cnsm_fn.callers), which waits
 * there, like the histograms, until a receiver acknowledged it. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* (symbol hash, table index) of every function other units can call, of
 * every module mapped so far: kept after a module is gone, since the
 * edges of another unit may still name it (at exit, modules unregister
 * one by one, each draining its edges).  An open-addressing table keyed
 * by the hash (hash 0: empty, never a symbol's), the first function
 * noted for a hash kept (units that define one inline function name it
 * alike).  Until round twenty-six a sorted array, sorted again whenever a
 * module had been mapped since the last lookup: at exit each of
 * PostgreSQL's 1,000 units mapped and looked up in turn, and a backend
 * spent a third of its exit in qsort.  Registry lock held throughout. */
struct symbol_entry {
  uint64_t hash;
  size_t index;
};
static struct symbol_entry *symbols;
static size_t symbol_count, symbol_cap; /* cap: a power of two, or 0 */

static size_t symbol_slot(uint64_t hash) {
  size_t i = (size_t)(hash * 0x9e3779b97f4a7c15u) & (symbol_cap - 1);
  while (symbols[i].hash && symbols[i].hash != hash)
    i = (i + 1) & (symbol_cap - 1);
  return i;
}

/* Doubles the table (256 at first); 0, or -1 with the table as it was. */
static int symbols_grow(void) {
  size_t cap = symbol_cap ? 2 * symbol_cap : 256;
  struct symbol_entry *old = symbols, *grown = calloc(cap, sizeof *grown);
  if (!grown)
    return -1;
  size_t old_cap = symbol_cap;
  symbols = grown;
  symbol_cap = cap;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].hash)
      symbols[symbol_slot(old[i].hash)] = old[i];
  free(old);
  return 0;
}

void cnsm_callers_note_symbols(const struct cnsm_module *m) {
  const struct cnsm_module_desc *desc = m->desc;
  for (uint32_t i = 0; i < desc->function_count; i++) {
    uint64_t hash = desc->functions[i].symbol_hash;
    if (!hash || m->entry[i] == CNSM_NOT_COUNTED) // NOLINT: entry has n
      continue;
    if (2 * (symbol_count + 1) > symbol_cap && symbols_grow() != 0)
      return; /* its callers stay unknown; counts are not affected */
    size_t slot = symbol_slot(hash);
    if (symbols[slot].hash)
      continue;
    symbols[slot] = (struct symbol_entry){hash, m->entry[i]};
    symbol_count++;
  }
}

/* The table index of the function whose symbol hashes to hash, or
 * SIZE_MAX. */
static size_t symbols_find(uint64_t hash) {
  if (!symbol_cap || !hash)
    return SIZE_MAX;
  const struct symbol_entry *hit = &symbols[symbol_slot(hash)];
  return hit->hash ? hit->index : SIZE_MAX;
}

static void free_edge_arrays(struct cnsm_module *m) {
  free(m->edges_seen);
  free(m->edge_from_callee);
  m->edges_seen = NULL;
  m->edge_from_callee = NULL;
}

/* One drain's scratch, whichever module it drains: per edge, the calls
 * read now; per function, the calls its inlined copies left to their
 * edges.  Kept per module, both were written whole at every drain, and in
 * a fork child every page of them was a page copied from its parent's. */
static uint64_t *edges_now, *calls_by_edges;
static size_t edges_now_cap, calls_by_edges_cap;

static int scratch_for(uint64_t **a, size_t *cap, size_t n) {
  if (n <= *cap)
    return 1;
  uint64_t *grown = realloc(*a, n * sizeof *grown);
  if (!grown)
    return 0;
  *a = grown;
  *cap = n;
  return 1;
}

int cnsm_module_counted(struct cnsm_module *m) {
  if (m->counted) /* for good: a directory leaves only as m unregisters */
    return 1;
  uint32_t count = cnsm_chunk_count(CNSM_SLOT_COUNT(m->desc));
  for (const struct cnsm_dir *d = __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE);
       d; d = CNSM_LOAD(&d->next_in_module)) {
    struct cnsm_chunk **chunks = cnsm_dir_chunks(d);
    for (uint32_t k = 0; k < count; k++) {
      struct cnsm_chunk *c = __atomic_load_n(&chunks[k], __ATOMIC_ACQUIRE);
      if (c && CNSM_LOAD(&c->header.real)) /* the sentinel's is 0 */
        return m->counted = 1;
    }
  }
  return 0;
}

/* The calls counted in slot of m so far: folded and, with_dirs, live. */
static uint64_t slot_calls(const struct cnsm_module *m, uint32_t slot,
                           int with_dirs) {
  uint64_t calls = m->retired[slot].calls;
  uint32_t k = slot / CNSM_CHUNK_SLOTS, j = slot % CNSM_CHUNK_SLOTS;
  for (struct cnsm_dir *d = __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE);
       with_dirs && d; d = CNSM_LOAD(&d->next_in_module)) {
    struct cnsm_chunk *c =
        __atomic_load_n(&cnsm_dir_chunks(d)[k], __ATOMIC_ACQUIRE);
    if (c && CNSM_LOAD(&c->header.real)) /* the sentinel's is 0 */
      calls += CNSM_LOAD(&c->slots[j].calls);
  }
  return calls;
}

/* The callee's table index of edge e of m, or SIZE_MAX. */
static size_t callee_of(const struct cnsm_module *m,
                        const struct cnsm_edge_info *e) {
  if (e->callee == CNSM_EDGE_EXTERNAL)
    return symbols_find(e->callee_symbol);
  if (e->callee >= m->desc->function_count)
    return SIZE_MAX;
  size_t i = m->entry[e->callee];
  return i == CNSM_NOT_COUNTED ? SIZE_MAX : i;
}

/* The drain's arrays of m, made by its first drain, and the scratch for
 * it; 0 when out of memory (its callers wait, its counts are not
 * affected). */
static int have_edge_arrays(struct cnsm_module *m) {
  const struct cnsm_module_desc *desc = m->desc;
  if (!scratch_for(&edges_now, &edges_now_cap, desc->edge_count) ||
      !scratch_for(&calls_by_edges, &calls_by_edges_cap,
                   (size_t)desc->function_count + 1))
    return 0;
  if (m->edges_seen)
    return 1;
  m->edges_seen = calloc(desc->edge_count, sizeof *m->edges_seen);
  m->edge_from_callee =
      malloc((desc->function_count + 1) * sizeof *m->edge_from_callee);
  if (!m->edges_seen || !m->edge_from_callee) {
    free_edge_arrays(m);
    return 0;
  }
  for (uint32_t f = 0; f <= desc->function_count; f++)
    m->edge_from_callee[f] = UINT32_MAX;
  for (uint32_t e = 0; e < desc->edge_count; e++)
    if ((desc->edges[e].flags & CNSM_EDGE_FROM_CALLEE) &&
        desc->edges[e].callee < desc->function_count)
      m->edge_from_callee[desc->edges[e].callee] = e;
  return 1;
}

/* Fills calls_by_edges for m: per function, the calls its inlined copies
 * left to their edges (EDGE_COUNTS_CALLEE). */
static void read_calls_by_edges(const struct cnsm_module *m, int with_dirs) {
  const struct cnsm_module_desc *desc = m->desc;
  uint32_t n = desc->function_count;
  memset(calls_by_edges, 0, ((size_t)n + 1) * sizeof *calls_by_edges);
  for (uint32_t e = 0; e < desc->edge_count; e++)
    if ((desc->edges[e].flags & CNSM_EDGE_COUNTS_CALLEE) &&
        desc->edges[e].callee < n)
      calls_by_edges[desc->edges[e].callee] += slot_calls(m, n + e, with_dirs);
}

/* The calls of function f of m so far: its slot's, and its edges' that
 * count them. */
static uint64_t function_calls(const struct cnsm_module *m, uint32_t f,
                               int with_dirs) {
  return slot_calls(m, f, with_dirs) + calls_by_edges[f];
}

/* The calls of every edge of m so far.  A counted edge's are in its slot,
 * and per_call times its caller's for its sites that run once a call of
 * the caller (counted by the caller's entry, before them).
 * An edge EDGE_FROM_CALLEE has none: its callee is called only by call
 * sites that count an edge, so its calls are the callee's less the other
 * edges'.  The callee is read first: a call site counts its edge before
 * the callee counts the call, so what is read later can only lower the
 * difference, never raise it above the calls made, and the drain's
 * monotonic deltas catch up on the next drain. */
static void read_edges(const struct cnsm_module *m, int with_dirs) {
  const struct cnsm_module_desc *desc = m->desc;
  uint64_t *now = edges_now;
  read_calls_by_edges(m, with_dirs);
  for (uint32_t e = 0; e < desc->edge_count; e++)
    if (desc->edges[e].flags & CNSM_EDGE_FROM_CALLEE)
      now[e] = desc->edges[e].callee < desc->function_count
                   ? function_calls(m, desc->edges[e].callee, with_dirs)
                   : 0;
  for (uint32_t e = 0; e < desc->edge_count; e++) {
    const struct cnsm_edge_info *edge = &desc->edges[e];
    if (edge->flags & CNSM_EDGE_FROM_CALLEE)
      continue;
    now[e] = slot_calls(m, desc->function_count + e, with_dirs);
    if (edge->per_call && edge->caller < desc->function_count)
      now[e] += edge->per_call * function_calls(m, edge->caller, with_dirs);
  }
  for (uint32_t e = 0; e < desc->edge_count; e++) {
    const struct cnsm_edge_info *edge = &desc->edges[e];
    if ((edge->flags & CNSM_EDGE_FROM_CALLEE) ||
        edge->callee >= desc->function_count)
      continue;
    uint32_t derived = m->edge_from_callee[edge->callee];
    if (derived != UINT32_MAX)
      now[derived] = now[derived] > now[e] ? now[derived] - now[e] : 0;
  }
}

/* Drains m's edges into their callees' lists. */
static void drain_module(struct cnsm_module *m, int with_dirs) {
  const struct cnsm_module_desc *desc = m->desc;
  if (!desc->edge_count || !m->entry)
    return; /* not mapped: its edges wait for a drain that maps it */
  if (!have_edge_arrays(m))
    return;
  read_edges(m, with_dirs);
  for (uint32_t e = 0; e < desc->edge_count; e++) {
    uint64_t calls = edges_now[e];
    if (calls <= m->edges_seen[e])
      continue;
    uint64_t delta = calls - m->edges_seen[e];
    m->edges_seen[e] = calls;
    const struct cnsm_edge_info *edge = &desc->edges[e];
    if (edge->caller >= desc->function_count)
      continue;
    size_t caller = m->entry[edge->caller];
    size_t callee = callee_of(m, edge);
    if (caller == CNSM_NOT_COUNTED || callee == SIZE_MAX || caller > UINT32_MAX)
      continue; /* no instrumented function to name at one end */
    struct cnsm_hist_pair pair = {(uint32_t)caller, delta};
    cnsm_hist_list_add(&cnsm_fns[callee].callers, &pair, 1);
  }
}

void cnsm_callers_drain(struct cnsm_module *modules) {
  for (struct cnsm_module *m = modules; m; m = m->next)
    if (cnsm_module_counted(m)) /* else every edge reads 0: none moved */
      drain_module(m, 1);
}

void cnsm_callers_drain_unloading(struct cnsm_module *m) {
  drain_module(m, 0);
  free_edge_arrays(m);
}
