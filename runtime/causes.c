/* SPDX-License-Identifier: Apache-2.0
 *
 * causes.c - the root cause of each error exit: the deepest instrumented
 * function whose error led to it.
 *
 * Each thread keeps an error epoch (__codensm_error_epoch, the number of
 * its error exits so far) and the root of its latest error exit.  A
 * function that can fail reads the epoch at its entry (the pass inlines
 * that read: one thread-local load) and hands it to the runtime when it
 * exits with an error.  If the epoch moved since, a function it called,
 * directly or not, exited with an error during this call: this error's
 * root is that latest error's root.  Otherwise it is its own root.  So in
 * api_checkout -> charge -> db_write, with db_write failing, charge's
 * error has root db_write and api_checkout's too; a charge that fails
 * for a reason of its own is its own root.
 *
 * The counts live in one table for the process, keyed by (function,
 * root), each a descriptor and a slot, with one atomic add per error
 * exit: errors are rare, and the table needs no lock, so an error exit in
 * a signal handler is recorded like any other.  The flusher drains it
 * into each function's list of roots (cnsm_fn.causes, keyed by table
 * index).  A descriptor is only compared, never read, until it is found
 * among the registered modules: a root in a library dlclose'd since is
 * dropped (its errors stay counted, without a cause). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

CNSM_EXPORT __thread uint64_t __codensm_error_epoch
    __attribute__((tls_model("initial-exec")));

/* The root of this thread's latest error exit. */
static __thread const struct cnsm_module_desc *last_root_desc
    __attribute__((tls_model("initial-exec")));
static __thread uint32_t last_root_slot
    __attribute__((tls_model("initial-exec")));

/* One (function, root) pair.  state: 0 free, 1 being claimed, 2 keyed. */
struct cause_cell {
  uint32_t state;
  uint32_t slot, root_slot;
  const struct cnsm_module_desc *desc, *root_desc;
  uint64_t count;
};

/* 2^16 pairs (3 MiB of address space, touched as used): a program would
 * need that many distinct (function, root) pairs to fill it; past that a
 * new pair's errors are counted without a cause. */
#define CELLS_LOG2 16
#define CELLS ((size_t)1 << CELLS_LOG2)
#define PROBES 64

static struct cause_cell *cells;

static struct cause_cell *table(void) {
  struct cause_cell *t = __atomic_load_n(&cells, __ATOMIC_ACQUIRE);
  if (t)
    return t;
  struct cause_cell *fresh =
      mmap(NULL, CELLS * sizeof *fresh, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (fresh == MAP_FAILED)
    return NULL;
  if (__atomic_compare_exchange_n(&cells, &t, fresh, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return fresh;
  munmap(fresh, CELLS * sizeof *fresh); /* another thread's won */
  return t;
}

static size_t hash(const void *desc, uint32_t slot, const void *root_desc,
                   uint32_t root_slot) {
  uint64_t x = (uintptr_t)desc * 0x9e3779b97f4a7c15u ^ slot;
  x = (x ^ (uintptr_t)root_desc) * 0xbf58476d1ce4e5b9u ^ root_slot;
  return (size_t)(x ^ (x >> 29)) & (CELLS - 1);
}

/* Adds one error of (desc, slot) with the given root.  A cell another
 * thread (or the code this signal handler interrupted) is still keying is
 * passed over: the pair may then get a second cell, which the drain adds
 * up, rather than anyone waiting. */
static void count_cause(const struct cnsm_module_desc *desc, uint32_t slot,
                        const struct cnsm_module_desc *root_desc,
                        uint32_t root_slot) {
  struct cause_cell *t = table();
  if (!t)
    return;
  size_t at = hash(desc, slot, root_desc, root_slot);
  for (int probe = 0; probe < PROBES; probe++, at = (at + 1) & (CELLS - 1)) {
    struct cause_cell *c = &t[at];
    uint32_t state = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
    if (state == 0) {
      if (!__atomic_compare_exchange_n(&c->state, &state, 1, 0,
                                       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        continue;
      c->desc = desc;
      c->slot = slot;
      c->root_desc = root_desc;
      c->root_slot = root_slot;
      __atomic_fetch_add(&c->count, 1, __ATOMIC_RELAXED);
      __atomic_store_n(&c->state, 2, __ATOMIC_RELEASE);
      return;
    }
    if (state == 2 && c->desc == desc && c->slot == slot &&
        c->root_desc == root_desc && c->root_slot == root_slot) {
      __atomic_fetch_add(&c->count, 1, __ATOMIC_RELAXED);
      return;
    }
  }
}

void cnsm_error_exit(cnsm_unit_fn unit, uint64_t slot, uint64_t mark) {
  const struct cnsm_module_desc *desc = unit();
  if (cnsm_refused(desc))
    return;
  const struct cnsm_module_desc *root_desc = desc;
  uint32_t root_slot = (uint32_t)slot;
  if (__codensm_error_epoch != mark && last_root_desc) {
    root_desc = last_root_desc;
    root_slot = last_root_slot;
  }
  __codensm_error_epoch++;
  last_root_desc = root_desc;
  last_root_slot = root_slot;
  count_cause(desc, (uint32_t)slot, root_desc, root_slot);
}

void cnsm_causes_drain(cnsm_index_fn index_of) {
  struct cause_cell *t = __atomic_load_n(&cells, __ATOMIC_ACQUIRE);
  if (!t)
    return;
  for (size_t at = 0; at < CELLS; at++) {
    struct cause_cell *c = &t[at];
    if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 2 ||
        !__atomic_load_n(&c->count, __ATOMIC_RELAXED))
      continue;
    size_t fn = index_of(c->desc, c->slot);
    size_t root = index_of(c->root_desc, c->root_slot);
    if (fn == SIZE_MAX || root == SIZE_MAX || root > UINT32_MAX)
      continue; /* not ours to name (yet, or any more) */
    uint64_t n = __atomic_exchange_n(&c->count, 0, __ATOMIC_RELAXED);
    struct cnsm_hist_pair pair = {(uint32_t)root, n};
    cnsm_hist_list_add(&cnsm_fns[fn].causes, &pair, 1);
  }
}
