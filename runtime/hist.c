/* SPDX-License-Identifier: Apache-2.0
 *
 * hist.c - each function's latency histogram, filled by its timed calls,
 * and the sparse lists of buckets the flusher sends.
 *
 * One histogram per function of a module, for the whole process: timed
 * calls are rare (hooks.c: about 1 % of what they time), so an atomic add
 * shared by the threads costs nothing that matters, and the flusher
 * drains a histogram with one atomic exchange per bucket and no lock.
 *
 * Buckets are the wire's (include/codensm_hist.h): a timed call's ticks,
 * less the probe cost, in nanoseconds (hooks.c converts them).  Memory
 * follows what was timed: a function holds a few ways, each a row of 16
 * buckets (one power of two of durations) claimed on first use, so a
 * function whose calls all take 1 to 2 us costs 48 + 128 bytes.  Rows
 * beyond the ways go to a further set of ways.  A program whose threads
 * call 2,000 different functions once each pays 350 KB for them.
 *
 * Allocation is a lock-free bump in one reserved region, safe in a signal
 * handler (an instrumented function called from one is timed like any
 * other).  Rows are never returned: a module unloaded leaves what it
 * timed, bounded by its functions times the rows their durations span. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "codensm_hist.h"
#include "internal.h"

#define ROWS (CNSM_HIST_BUCKETS / CNSM_HIST_SUB) /* 61 */
#define WAYS 4

/* A function's rows: way k holds row row_of[k] - 1 (0: free). */
struct cnsm_hist {
  uint32_t row_of[WAYS];
  uint64_t *cells[WAYS];
  struct cnsm_hist *more; /* rows that found every way taken */
  /* The function's calls in the current window of the clock (its timed
   * calls' weights) and the period its rate allowed in the last one
   * (cnsm_hist_rate_log2); only the first of the chain's. */
  uint64_t window_start, window_calls;
  uint32_t rate_log2;
  /* Its timed calls of weight 1 since the last take, and their ticks (the
   * first of the chain's). */
  uint64_t certain_calls, certain_ticks;
};

/* ---- memory that a signal handler may take ------------------------------ */

/* One region of address space, reserved at the first timed call and
 * handed out by one atomic bump: pages cost memory only once touched (as
 * arena.c's reservation), and no two allocations can ever overlap, which a
 * list of blocks swapped under racing threads cannot promise without a
 * lock (and a signal handler must not wait on one).  Once it is used up,
 * histograms stop growing new rows; counts are not affected. */
#define REGION_BYTES ((size_t)256 << 20)

static char *region;
static size_t taken;

/* bytes (a multiple of 8) of zeroed memory, or NULL. */
static void *hist_alloc(size_t bytes) {
  char *r = __atomic_load_n(&region, __ATOMIC_ACQUIRE);
  if (!r) {
    char *fresh = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (fresh == MAP_FAILED)
      return NULL;
    if (__atomic_compare_exchange_n(&region, &r, fresh, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
      r = fresh;
    else
      munmap(fresh, REGION_BYTES); /* another thread's won */
  }
  size_t at = __atomic_fetch_add(&taken, bytes, __ATOMIC_RELAXED);
  return at + bytes <= REGION_BYTES ? r + at : NULL;
}

/* *slot, allocated (zeroed, bytes long) on first use; NULL when out of
 * memory.  Racing threads agree on one. */
static void *first_use(void **slot, size_t bytes) {
  void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (p)
    return p;
  void *fresh = hist_alloc(bytes);
  if (!fresh)
    return NULL;
  if (__atomic_compare_exchange_n(slot, &p, fresh, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return fresh;
  return p; /* another thread's; ours stays unused in the region */
}

/* ---- recording ---------------------------------------------------------- */

/* The 16 buckets of row in h, claiming a way for it on first use. */
static uint64_t *row_cells(struct cnsm_hist *h, uint32_t row) {
  for (unsigned depth = 0; h && depth < ROWS; depth++) {
    for (int k = 0; k < WAYS; k++) {
      uint32_t have = __atomic_load_n(&h->row_of[k], __ATOMIC_ACQUIRE);
      if (have == 0) {
        uint32_t want = row + 1;
        if (__atomic_compare_exchange_n(&h->row_of[k], &have, want, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
          have = want;
      }
      if (have == row + 1)
        return first_use((void **)&h->cells[k], CNSM_HIST_SUB * 8);
    }
    h = first_use((void **)&h->more, sizeof *h);
  }
  return NULL;
}

struct cnsm_hist *cnsm_hist_of(struct cnsm_module *m, uint32_t slot) {
  if (!m || slot >= m->desc->function_count)
    return NULL;
  size_t n = m->desc->function_count;
  struct cnsm_hist **table = first_use(
      (void **)&m->hists, (n * sizeof(struct cnsm_hist *) + 7) & ~(size_t)7);
  return table ? first_use((void **)&table[slot], sizeof **table) : NULL;
}

void cnsm_hist_record(struct cnsm_hist *h, uint64_t ns, uint64_t weight) {
  uint32_t bucket = cnsm_hist_index(ns);
  uint64_t *cells = h ? row_cells(h, bucket / CNSM_HIST_SUB) : NULL;
  if (cells)
    __atomic_fetch_add(&cells[bucket % CNSM_HIST_SUB], weight,
                       __ATOMIC_RELAXED);
}

/* ---- certain calls ------------------------------------------------------ */

/* The ticks first: a take reads the calls first, so every call it takes
 * has its ticks in (a later take moves the ticks of one counted after). */
void cnsm_hist_certain(struct cnsm_hist *h, uint64_t ticks) {
  if (!h)
    return;
  __atomic_fetch_add(&h->certain_ticks, ticks, __ATOMIC_RELAXED);
  __atomic_fetch_add(&h->certain_calls, 1, __ATOMIC_RELEASE);
}

void cnsm_hist_take_certain(struct cnsm_module *m) {
  struct cnsm_hist **table = __atomic_load_n(&m->hists, __ATOMIC_ACQUIRE);
  if (!table || !m->entry)
    return;
  for (uint32_t i = 0; i < m->desc->function_count; i++) {
    struct cnsm_hist *h = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
    if (!h || m->entry[i] == CNSM_NOT_COUNTED) // NOLINT: entry has n entries
      continue;
    /* Read before it is taken: a fork child's snapshot wrote a zero into
     * every histogram its parent had made, a page copied for each
     * (cnsm_hist_certain adds the ticks first, so a call whose ticks
     * are in and whose count is not yet is taken next time). */
    if (!__atomic_load_n(&h->certain_calls, __ATOMIC_ACQUIRE))
      continue;
    struct cnsm_certain *into = &cnsm_fns[m->entry[i]].certain;
    into->calls += __atomic_exchange_n(&h->certain_calls, 0, __ATOMIC_ACQUIRE);
    into->ticks += __atomic_exchange_n(&h->certain_ticks, 0, __ATOMIC_RELAXED);
  }
}

/* ---- the call rate ------------------------------------------------------ */

/* The window a function's calls are counted over: 2^31 ticks, some 0.7 s
 * of a 3 GHz cycle counter. */
#define RATE_WINDOW_TICKS ((uint64_t)1 << 31)

/* Plain relaxed loads and stores, no read-modify-write: threads racing
 * here may lose a weight, which only makes the rate look lower and the
 * period shorter, and a locked add on every timed call of a hot function
 * costs more than it could save. */
unsigned cnsm_hist_rate_log2(struct cnsm_hist *h, uint64_t weight,
                             uint64_t now) {
  if (!h)
    return 0;
  uint64_t start = __atomic_load_n(&h->window_start, __ATOMIC_RELAXED);
  uint64_t calls = __atomic_load_n(&h->window_calls, __ATOMIC_RELAXED);
  if (!start ||
      now < start) { /* the first timed call, or another CPU's clock */
    __atomic_store_n(&h->window_start, now, __ATOMIC_RELAXED);
    __atomic_store_n(&h->window_calls, 0, __ATOMIC_RELAXED);
  } else if (now - start < RATE_WINDOW_TICKS) {
    __atomic_store_n(&h->window_calls, calls + weight, __ATOMIC_RELAXED);
  } else {
    /* The calls of a window as long as RATE_WINDOW_TICKS at the rate this
     * one saw (a function called in bursts is judged by its mean). */
    double per_window = (double)(calls + weight) * (double)RATE_WINDOW_TICKS /
                        (double)(now - start);
    double per_timed = per_window / CNSM_RATE_TIMED_PER_WINDOW;
    unsigned e = 0;
    while (e < 15 && (double)((uint64_t)2 << e) <= per_timed)
      e++;
    __atomic_store_n(&h->rate_log2, e, __ATOMIC_RELAXED);
    __atomic_store_n(&h->window_start, now, __ATOMIC_RELAXED);
    __atomic_store_n(&h->window_calls, 0, __ATOMIC_RELAXED);
  }
  return __atomic_load_n(&h->rate_log2, __ATOMIC_RELAXED);
}

/* ---- draining ----------------------------------------------------------- */

/* Drains h's rows (and its further ways) into counts[row * 16 + col];
 * *low and *high grow to span the rows drained. */
static void drain_rows(struct cnsm_hist *h, uint64_t *counts, uint32_t *low,
                       uint32_t *high) {
  for (; h; h = __atomic_load_n(&h->more, __ATOMIC_ACQUIRE))
    for (int k = 0; k < WAYS; k++) {
      uint32_t row = __atomic_load_n(&h->row_of[k], __ATOMIC_ACQUIRE);
      uint64_t *cells = __atomic_load_n(&h->cells[k], __ATOMIC_ACQUIRE);
      if (row == 0 || !cells)
        continue;
      row--;
      for (unsigned col = 0; col < CNSM_HIST_SUB; col++)
        if (__atomic_load_n(&cells[col], __ATOMIC_RELAXED))
          counts[row * CNSM_HIST_SUB + col] +=
              __atomic_exchange_n(&cells[col], 0, __ATOMIC_RELAXED);
      *low = row < *low ? row : *low;
      *high = row > *high ? row : *high;
    }
}

size_t cnsm_hist_drain(struct cnsm_module *m, uint32_t slot,
                       struct cnsm_hist_pair *out) {
  static uint64_t counts[CNSM_HIST_BUCKETS]; /* registry lock held */
  struct cnsm_hist **table = __atomic_load_n(&m->hists, __ATOMIC_ACQUIRE);
  if (!table || slot >= m->desc->function_count)
    return 0;
  struct cnsm_hist *h = __atomic_load_n(&table[slot], __ATOMIC_ACQUIRE);
  if (!h)
    return 0;
  uint32_t low = ROWS, high = 0;
  drain_rows(h, counts, &low, &high);
  size_t n = 0;
  for (uint32_t i = low * CNSM_HIST_SUB;
       low <= high && i < (high + 1) * CNSM_HIST_SUB; i++)
    if (counts[i]) {
      out[n++] = (struct cnsm_hist_pair){i, counts[i]};
      counts[i] = 0;
    }
  return n;
}

void cnsm_hist_drain_module(struct cnsm_module *m) {
  static struct cnsm_hist_pair drained[CNSM_HIST_BUCKETS]; /* registry lock */
  if (!__atomic_load_n(&m->hists, __ATOMIC_ACQUIRE) || !m->entry)
    return;
  for (uint32_t i = 0; i < m->desc->function_count; i++) {
    size_t n = cnsm_hist_drain(m, i, drained);
    if (n && m->entry[i] != CNSM_NOT_COUNTED) // NOLINT: entry has n entries
      cnsm_hist_list_add(&cnsm_fns[m->entry[i]].hist, drained, n);
  }
}

/* ---- a function's pending buckets --------------------------------------- */

/* The forks this process is down from its first instrumented ancestor. */
static unsigned forks;

void cnsm_hist_lists_forked(void) { forks++; }

/* A fork child's list still holds its parent's array, in pages the two
 * share until one writes: a write into each costs a page copied.  That
 * was most of a PostgreSQL backend's exit drain, a page for each function
 * its postmaster had ever timed.  The child moves what the list holds
 * (nothing, after its fork snapshot) into an array of its own, packed
 * beside its others, and the parent's stays untouched. */
static int own_array(struct cnsm_hist_list *l) {
  struct cnsm_hist_list inherited = *l;
  *l = (struct cnsm_hist_list){.forks = forks};
  if (inherited.n == 0)
    return 0;
  l->pairs = malloc(inherited.n * sizeof *l->pairs);
  if (!l->pairs) {
    *l = inherited;
    return -1;
  }
  memcpy(l->pairs, inherited.pairs, inherited.n * sizeof *l->pairs);
  l->n = l->cap = inherited.n;
  return 0;
}

int cnsm_hist_list_reserve(struct cnsm_hist_list *l, size_t n) {
  if (l->forks != forks && own_array(l) != 0)
    return -1;
  if (n <= l->cap)
    return 0;
  if (n > UINT32_MAX)
    return -1;
  size_t cap = l->cap ? l->cap : 8;
  while (cap < n)
    cap *= 2;
  if (cap > UINT32_MAX)
    cap = n;
  struct cnsm_hist_pair *grown = realloc(l->pairs, cap * sizeof *grown);
  if (!grown)
    return -1;
  l->pairs = grown;
  l->cap = (uint32_t)cap;
  return 0;
}

int cnsm_hist_list_add(struct cnsm_hist_list *l, const struct cnsm_hist_pair *p,
                       size_t n) {
  if (n == 0)
    return 0;
  if (cnsm_hist_list_reserve(l, l->n + n) != 0)
    return -1;
  /* Merge from the back, in place: both lists ascend. */
  size_t i = l->n, j = n, k = l->n + n;
  while (j > 0) {
    if (i > 0 && l->pairs[i - 1].bucket > p[j - 1].bucket) {
      l->pairs[--k] = l->pairs[--i];
    } else if (i > 0 && l->pairs[i - 1].bucket == p[j - 1].bucket) {
      uint64_t a = l->pairs[--i].count, b = p[--j].count;
      l->pairs[--k] = (struct cnsm_hist_pair){
          p[j].bucket, a > UINT64_MAX - b ? UINT64_MAX : a + b};
    } else {
      l->pairs[--k] = p[--j];
    }
  }
  /* Pairs merged left holes at the front: close them. */
  if (k > i) {
    memmove(l->pairs + i, l->pairs + k, (l->n + n - k) * sizeof *l->pairs);
    l->n = (uint32_t)(i + (l->n + n - k)); /* at most cap */
  } else {
    l->n += (uint32_t)n;
  }
  return 0;
}

void cnsm_hist_list_sub(struct cnsm_hist_list *l,
                        const struct cnsm_hist_pair *p, size_t n) {
  /* Out of memory for a child's own array: the parent's pages, then. */
  (void)cnsm_hist_list_reserve(l, l->n);
  size_t i = 0, out = 0;
  for (size_t j = 0; i < l->n; i++) {
    struct cnsm_hist_pair q = l->pairs[i];
    while (j < n && p[j].bucket < q.bucket)
      j++;
    if (j < n && p[j].bucket == q.bucket)
      q.count = q.count > p[j].count ? q.count - p[j].count : 0;
    if (q.count)
      l->pairs[out++] = q;
  }
  l->n = (uint32_t)out; /* at most n was */
}

void cnsm_hist_list_free(struct cnsm_hist_list *l) {
  free(l->pairs);
  *l = (struct cnsm_hist_list){0};
}
