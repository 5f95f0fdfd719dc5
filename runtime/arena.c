/* SPDX-License-Identifier: Apache-2.0
 *
 * arena.c - memory for a thread's counters, allocated without locks.
 *
 * A thread's first call of a chunk's functions allocates the chunk (and on
 * its first call into a module, the module's directory) right there, on
 * the instrumented path: possibly in a signal handler that interrupted
 * malloc, so malloc cannot be used.  Each thread owns an arena of mmap'ed
 * regions; an allocation is one fetch-add on the current region's bump
 * offset, and a region that is full is followed by a fresh one installed
 * with a compare-and-swap, so a signal handler on the same thread that
 * allocates in the middle of an allocation is safe.  Fresh pages are zero
 * and cost memory only once touched.
 *
 * When its thread exits, an arena is not unmapped: its counters still
 * count (registry.c keeps the thread's directories), so it goes to a pool
 * of spares, with its directories, and the next new thread adopts it.
 * A program's counter memory follows the threads it runs at once, not the
 * threads it ever ran, and nothing is folded or freed at a thread's exit:
 * a file-backed arena (durable.c) then always holds every count.
 *
 * Regions come from the process's live file when there is one (durable.c),
 * else from anonymous memory.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "internal.h"

#define REGION_BYTES (64u * 1024u)

struct cnsm_region {
  struct cnsm_region *next; /* every region of the arena */
  size_t size;              /* bytes, header included */
  size_t used;              /* bump offset; may overshoot size when full */
  /* In the head region of a spare arena (its thread exited): */
  struct cnsm_region *spare_next;    /* the next spare arena */
  struct cnsm_region *spare_current; /* its current region */
  void *spare_payload;               /* what its owner left with it */
};

/* Arenas of exited threads, waiting for a new thread (registry lock). */
static struct cnsm_region *spares;

/* Rounds n up to a multiple of 64 (a cache line: chunks do not share). */
static size_t round_up(size_t n) { return (n + 63u) & ~(size_t)63u; }

/* Maps a region for at least bytes and links it into the arena. */
static struct cnsm_region *region_new(struct cnsm_arena *a, size_t bytes) {
  size_t size = round_up(sizeof(struct cnsm_region)) + bytes;
  if (size < REGION_BYTES)
    size = REGION_BYTES;
  void *p = cnsm_durable_region(size);
  if (!p) {
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
             -1, 0);
    if (p == MAP_FAILED)
      return NULL;
  }
  struct cnsm_region *r = p;
  r->size = size;
  r->used = round_up(sizeof *r);
  struct cnsm_region *head = __atomic_load_n(&a->regions, __ATOMIC_ACQUIRE);
  do
    r->next = head;
  while (!__atomic_compare_exchange_n(&a->regions, &head, r, 1,
                                      __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
  return r;
}

void *cnsm_arena_alloc(struct cnsm_arena *a, size_t bytes) {
  bytes = round_up(bytes);
  for (;;) {
    struct cnsm_region *r = __atomic_load_n(&a->current, __ATOMIC_ACQUIRE);
    if (r) {
      size_t at = __atomic_fetch_add(&r->used, bytes, __ATOMIC_RELAXED);
      if (at + bytes <= r->size)
        return (char *)r + at;
    }
    struct cnsm_region *fresh = region_new(a, bytes);
    if (!fresh)
      return NULL;
    /* A nested allocation may have installed one first: ours stays in
     * the list, unused, and the loop uses theirs. */
    __atomic_compare_exchange_n(&a->current, &r, fresh, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
  }
}

struct cnsm_chunk *cnsm_arena_alloc_chunk(struct cnsm_arena *a, uint64_t serial,
                                          uint64_t k) {
  struct cnsm_chunk *c = NULL;
  char *p = cnsm_arena_alloc(a, CNSM_TAG_BYTES + sizeof *c);
  if (p) {
    cnsm_durable_tag(p, serial, k, sizeof *c);
    c = (struct cnsm_chunk *)(void *)(p + CNSM_TAG_BYTES);
  }
  return c;
}

void cnsm_arena_retire(struct cnsm_arena *a, void *payload) {
  struct cnsm_region *head = a->regions;
  if (!head)
    return;
  head->spare_current = a->current;
  head->spare_payload = payload;
  head->spare_next = spares;
  spares = head;
  a->regions = a->current = NULL;
}

void *cnsm_arena_adopt(struct cnsm_arena *a) {
  struct cnsm_region *head = spares;
  if (!head || a->regions)
    return NULL;
  spares = head->spare_next;
  a->current = head->spare_current;
  a->regions = head;
  return head->spare_payload;
}

void cnsm_arena_each_spare(void (*each)(void **payload, void *ctx), void *ctx) {
  for (struct cnsm_region *r = spares; r; r = r->spare_next)
    each(&r->spare_payload, ctx);
}
