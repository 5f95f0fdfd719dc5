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
 * and cost memory only once touched.  The arena is unmapped whole when its
 * thread exits (after its counters were folded away).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "internal.h"

#define REGION_BYTES (64u * 1024u)

struct cnsm_region {
  struct cnsm_region *next; /* every region of the arena */
  size_t size;              /* bytes, header included */
  size_t used;              /* bump offset; may overshoot size when full */
};

/* Rounds n up to a multiple of 64 (a cache line: chunks do not share). */
static size_t round_up(size_t n) { return (n + 63u) & ~(size_t)63u; }

/* Maps a region for at least bytes and links it into the arena. */
static struct cnsm_region *region_new(struct cnsm_arena *a, size_t bytes) {
  size_t size = round_up(sizeof(struct cnsm_region)) + bytes;
  if (size < REGION_BYTES)
    size = REGION_BYTES;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
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
     * the list (unmapped with the rest) and the loop uses theirs. */
    __atomic_compare_exchange_n(&a->current, &r, fresh, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
  }
}

void cnsm_arena_release(struct cnsm_arena *a) {
  struct cnsm_region *r =
      __atomic_exchange_n(&a->regions, NULL, __ATOMIC_ACQ_REL);
  __atomic_store_n(&a->current, NULL, __ATOMIC_RELEASE);
  while (r) {
    struct cnsm_region *next = r->next;
    munmap(r, r->size);
    r = next;
  }
}
