/*
 * snapshot.c - current totals, and the deltas the sink has not yet
 * acknowledged.
 *
 * current = live blocks + each module's retired blocks + the table's base
 * (modules gone); delta = current - acknowledged.  Calls and errors are
 * exact.  Time is the ratio estimator of clock.c over the cumulative
 * totals of every thread and module, so its delta is
 * max(0, estimate now - estimate acknowledged).  Only a successful send
 * moves the acknowledgement, by exactly what it carried: a failed send is
 * retried later with everything since, merged.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

size_t cnsm_pend_entries; /* entries with pend_present, see spool.c */

/* a - b, or 0 when b > a. */
static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* Adds module m's retired and live counters into the table's cur. */
static void snapshot_module(struct cnsm_module *m) {
  if (cnsm_module_map(m) != 0)
    return;
  uint32_t n = m->desc->function_count;
  static struct cnsm_slot *sums; /* registry lock held: one user */
  static uint32_t sums_cap;
  if (n > sums_cap) {
    struct cnsm_slot *grown = realloc(sums, (size_t)n * sizeof *grown);
    if (!grown)
      return;
    sums = grown;
    sums_cap = n;
  }
  memcpy(sums, m->retired, (size_t)n * sizeof *sums);
  for (struct cnsm_dir *d = __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE); d;
       d = CNSM_LOAD(&d->next_in_module))
    cnsm_dir_add(sums, d, n);
  for (uint32_t i = 0; i < n; i++)
    cnsm_slot_add(&cnsm_fns[m->entry[i]].cur, &sums[i]);
}

/* Fills cur (not cur_ns) of every entry.  Registry lock held. */
static void snapshot_counts(void) {
  for (size_t i = 0; i < cnsm_fn_count; i++)
    cnsm_fns[i].cur = cnsm_fns[i].base;
  for (struct cnsm_module *m = cnsm_modules; m; m = m->next)
    snapshot_module(m);
}

/* Sets e->cur_ns from e->cur. */
static void estimate(struct cnsm_fn *e, uint64_t probe, double ns_per_tick) {
  e->cur_ns = cnsm_estimate_ns(e->cur.calls, e->cur.samples, e->cur.ticks, probe,
                               ns_per_tick);
}

/* Fills cur and cur_ns of every entry.  Registry lock held. */
void cnsm_snapshot(void) {
  snapshot_counts();
  double ns_per_tick = cnsm_clock_ns_per_tick();
  uint64_t probe = cnsm_clock_probe_ticks();
  for (size_t i = 0; i < cnsm_fn_count; i++)
    estimate(&cnsm_fns[i], probe, ns_per_tick);
}

/* Lists every entry with something to send. */
int cnsm_collect(struct cnsm_delta_list *out) {
  out->count = 0;
  pthread_mutex_lock(&cnsm_registry_lock);
  /* Time is estimated in the same pass as the deltas, and only for the
   * entries sent: with 100,000 functions one pass over the table is a few
   * milliseconds of memory traffic. */
  snapshot_counts();
  double ns_per_tick = cnsm_clock_ns_per_tick();
  uint64_t probe = cnsm_clock_probe_ticks();
  size_t n = 0;
  if (out->cap < cnsm_fn_count || !out->items) {
    size_t cap = cnsm_fn_count ? cnsm_fn_count : 1;
    struct cnsm_delta *grown = realloc(out->items, cap * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&cnsm_registry_lock);
      return -1;
    }
    out->items = grown;
    out->cap = cap;
  }
  struct cnsm_delta *d = out->items;
  for (size_t i = 0; i < cnsm_fn_count; i++) {
    struct cnsm_fn *e = &cnsm_fns[i];
    uint64_t calls = sub0(e->cur.calls, e->ack_calls);
    uint64_t errors = sub0(e->cur.errors, e->ack_errors);
    if (!calls && !errors && e->announced && !e->pend_present)
      continue;
    cnsm_fn_refresh(e);
    estimate(e, probe, ns_per_tick);
    d[n] = (struct cnsm_delta){
        .index = i,
        .name = e->name,
        .department = e->department,
        .weight = e->weight,
        .json_head = e->json_head,
        .json_head_len = e->json_head_len,
        .calls = calls,
        .errors = errors,
        .ns = sub0(e->cur_ns, e->ack_ns),
        .pend_calls = e->pend_calls,
        .pend_errors = e->pend_errors,
        .pend_ns = e->pend_ns,
        .announced = e->announced,
    };
    n++;
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  out->count = n;
  return 0;
}

/* Moves the acknowledgement by what d[0..n) carried. */
void cnsm_acknowledge(const struct cnsm_delta *d, size_t n) {
  int spool_done = 0;
  pthread_mutex_lock(&cnsm_registry_lock);
  for (size_t i = 0; i < n; i++) {
    struct cnsm_fn *e = &cnsm_fns[d[i].index];
    e->ack_calls += d[i].calls;
    e->ack_errors += d[i].errors;
    e->ack_ns += d[i].ns;
    e->announced = 1;
    if (e->pend_present) {
      e->pend_calls -= d[i].pend_calls;
      e->pend_errors -= d[i].pend_errors;
      e->pend_ns -= d[i].pend_ns;
      if (!e->pend_calls && !e->pend_errors && !e->pend_ns) {
        e->pend_present = 0;
        spool_done = --cnsm_pend_entries == 0;
      }
    }
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  if (spool_done)
    cnsm_spool_release();
}

/* Fork child: what the parent counted is the parent's to send. */
void cnsm_acknowledge_all_current(void) {
  for (size_t i = 0; i < cnsm_fn_count; i++) {
    struct cnsm_fn *e = &cnsm_fns[i];
    e->ack_calls = e->origin_calls = e->cur.calls;
    e->ack_errors = e->origin_errors = e->cur.errors;
    e->ack_ns = e->origin_ns = e->cur_ns;
    e->pend_calls = e->pend_errors = e->pend_ns = 0;
    e->pend_present = 0;
  }
  cnsm_pend_entries = 0;
}
