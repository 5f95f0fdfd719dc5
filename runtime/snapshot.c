/* SPDX-License-Identifier: Apache-2.0
 *
 * snapshot.c - current totals, and the deltas the sink has not yet
 * acknowledged.
 *
 * current = live blocks + each module's retired blocks + the table's base
 * (modules gone); delta = current - acknowledged.  Calls and errors are
 * exact.  Time is the ratio estimator of clock.c over the cumulative
 * totals of every thread and module, so its delta is
 * max(0, estimate now - estimate acknowledged).  Only a send that was
 * stored, or frozen (batch.c: its batch then owns the figures), moves the
 * acknowledgement, by exactly what it carried: a send that surely was not
 * stored is retried later with everything since, merged.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "live_format.h"

/* Entries whose pend_present is set: figures read from spool files (or
 * given back by a refused batch) not yet acknowledged.  When the last is
 * acknowledged, the spool files that held them can go. */
static size_t pend_entries;

/* e's acknowledged and pending figures. */
static struct cnsm_live_acks acks_of(const struct cnsm_fn *e) {
  return (struct cnsm_live_acks){e->ack_calls,  e->ack_errors,  e->ack_ns,
                                 e->pend_calls, e->pend_errors, e->pend_ns};
}

/* Keeps e's copy in the live file current: a reader of a dead process's
 * file subtracts what was acknowledged.  Registry lock held. */
static void mirror(const struct cnsm_fn *e) {
  if (e->live) {
    struct cnsm_live_acks v = acks_of(e);
    cnsm_durable_acks(e->live, &v);
  }
}

/* a + b, or UINT64_MAX when that does not fit: spooled figures from
 * several files, or a corrupt one, must never wrap (a wrapped call count
 * would leave more errors than calls). */
static uint64_t add_saturated(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Adds to entry i's pending part, keeping errors <= calls (the contract's
 * rule) even once saturated.  Registry lock held. */
void cnsm_pend_add(size_t i, uint64_t calls, uint64_t errors, uint64_t ns) {
  struct cnsm_fn *e = &cnsm_fns[i];
  e->pend_calls = add_saturated(e->pend_calls, calls);
  e->pend_errors =
      add_saturated(e->pend_errors, errors < calls ? errors : calls);
  if (e->pend_errors > e->pend_calls)
    e->pend_errors = e->pend_calls;
  e->pend_ns = add_saturated(e->pend_ns, ns);
  if (!e->pend_present) {
    e->pend_present = 1;
    pend_entries++;
  }
  mirror(e);
}

int cnsm_pend_settled(void) {
  pthread_mutex_lock(&cnsm_registry_lock);
  int settled = pend_entries == 0;
  pthread_mutex_unlock(&cnsm_registry_lock);
  return settled;
}

int cnsm_pend_absorb_begin(void) {
  pthread_mutex_lock(&cnsm_registry_lock);
  struct cnsm_live_pend_item *saved =
      pend_entries ? malloc(pend_entries * sizeof *saved) : NULL;
  size_t n = 0;
  for (size_t i = 0; saved && i < cnsm_fn_count; i++) {
    const struct cnsm_fn *e = &cnsm_fns[i];
    if (e->pend_present && e->live && n < pend_entries)
      saved[n++] = (struct cnsm_live_pend_item){i, e->pend_calls,
                                                e->pend_errors, e->pend_ns};
  }
  int rc = pend_entries && !saved ? -1 : cnsm_durable_absorb_begin(saved, n);
  pthread_mutex_unlock(&cnsm_registry_lock);
  free(saved);
  return rc;
}

/* The entries whose cur may differ from their base: those a module's
 * counters were added to, or whose errors were cut to their calls, by the
 * last snapshot (a module that unregisters sets the cur of the entries it
 * folds into to their base, registry.c).
 * Every other entry's cur is its base already, so snapshot_counts resets
 * these only: a pass over a table of 20,000 functions, a cache miss each,
 * was most of a PostgreSQL backend's snapshots at its fork and at its
 * exit.  When a list cannot grow, the next snapshot resets every entry.
 * Registry lock held. */
struct summed_list {
  size_t *items;
  size_t count, cap;
  int lost;
};
static struct summed_list summed, last_summed; /* this snapshot's, the last */

static void note_summed(size_t i) {
  if (summed.count == summed.cap) {
    size_t cap = summed.cap ? 2 * summed.cap : 1024;
    size_t *grown = realloc(summed.items, cap * sizeof *grown);
    if (!grown) {
      summed.lost = 1;
      return;
    }
    summed.items = grown;
    summed.cap = cap;
  }
  summed.items[summed.count++] = i;
}

/* One bit per entry that this snapshot has given its first module's sums
 * (mark_bits of them, all clear between snapshots).  The first sets cur
 * to base + sums where that changes it, and the others add theirs.  Reset
 * to base first, every entry ever summed was written twice at each
 * snapshot, moved or not: in a fork child, a page of its parent's table
 * copied for every dozen functions the parent had called. */
static uint64_t *marks;
static size_t mark_bits;

/* Clear marks for the table's entries; 0 when there is no memory. */
static int marks_for(size_t n) {
  size_t words = (n + 63) / 64;
  if (n > mark_bits) {
    uint64_t *grown = realloc(marks, words * sizeof *grown);
    if (!grown)
      return 0;
    marks = grown;
    mark_bits = words * 64;
  }
  if (marks)
    memset(marks, 0, mark_bits / 8);
  return 1;
}

static int marked(size_t i) {
  return i < mark_bits && (marks[i / 64] >> (i % 64) & 1);
}

/* Whether entry i was unmarked (and marks it); 0 beyond the marks: an
 * entry made during this snapshot, whose cur is its base. */
static int first_mark(size_t i) {
  if (i >= mark_bits || marked(i))
    return 0;
  marks[i / 64] |= 1ull << (i % 64);
  return 1;
}

static void reset_to_base(struct cnsm_fn *e) {
  cnsm_slot_set(&e->cur, &e->base);
  cnsm_set(&e->cur_threads, e->base_threads);
}

/* Resets the last snapshot's entries that this one did not mark (the
 * first `existing` entries, when that list was lost). */
static void reset_last(int marking, size_t existing) {
  size_t n = last_summed.lost ? existing : last_summed.count;
  for (size_t k = 0; k < n; k++) {
    size_t i = last_summed.lost ? k : last_summed.items[k];
    if (!marking || !marked(i))
      reset_to_base(&cnsm_fns[i]);
  }
}

/* Adds sums of users threads to entry i's cur: base + sums, written only
 * where that changes it, for its first module (marking), else added. */
static void add_sums(size_t i, const struct cnsm_slot *sums, uint32_t users,
                     int marking) {
  struct cnsm_fn *e = &cnsm_fns[i];
  if (marking && first_mark(i)) {
    struct cnsm_slot v = e->base;
    cnsm_slot_add(&v, sums);
    cnsm_slot_set(&e->cur, &v);
    cnsm_set(&e->cur_threads, e->base_threads + users);
  } else {
    cnsm_slot_add(&e->cur, sums);
    e->cur_threads += users;
  }
  note_summed(i);
}

/* Adds module m's retired and live counters into the table's cur.  A
 * module no thread counted in adds nothing: a PostgreSQL backend's fork
 * and exit snapshots summed 785 modules, of which its postmaster had
 * counted in 108. */
static void snapshot_module(struct cnsm_module *m, int marking) {
  if (cnsm_module_map(m) != 0)
    return;
  uint32_t n = m->entry_count; /* the functions', and edges counting calls */
  if (n == 0 || !cnsm_module_counted(m))
    return;
  static struct cnsm_slot *sums; /* registry lock held: one user */
  static uint32_t *users;
  static uint32_t sums_cap;
  if (n > sums_cap) {
    struct cnsm_slot *grown = realloc(sums, (size_t)n * sizeof *grown);
    if (grown)
      sums = grown;
    uint32_t *more = realloc(users, (size_t)n * sizeof *more);
    if (more)
      users = more;
    if (!grown || !more)
      return;
    sums_cap = n;
  }
  cnsm_hist_take_certain(m); /* before the slots: hist.c */
  memcpy(sums, m->retired, (size_t)n * sizeof *sums);
  memset(users, 0, (size_t)n * sizeof *users);
  for (struct cnsm_dir *d = __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE); d;
       d = CNSM_LOAD(&d->next_in_module))
    cnsm_dir_add(sums, users, d, n);
  for (uint32_t i = 0; i < n; i++)
    if (m->entry[i] != CNSM_NOT_COUNTED &&
        (users[i] || !cnsm_slot_is_zero(&sums[i]))) /* else: unwritten */
      add_sums(m->entry[i], &sums[i], users[i], marking);
}

/* Fills cur (not cur_ns) of every entry, writing only the entries whose
 * figures moved (cnsm_set).  Registry lock held. */
static void snapshot_counts(void) {
  struct summed_list spare = last_summed;
  last_summed = summed;
  summed = spare;
  summed.count = 0;
  summed.lost = 0;
  /* Without marks, the old way: every entry that may differ to its base
   * first, then every module's sums added. */
  size_t existing = cnsm_fn_count; /* mapping a module may make more */
  int marking = marks_for(existing);
  if (!marking)
    reset_last(0, existing);
  for (struct cnsm_module *m = cnsm_modules; m; m = m->next)
    snapshot_module(m, marking);
  if (marking)
    reset_last(1, existing);
}

/* Errors read beyond the calls read (a call that began and failed between
 * the two loads of its slot) wait for the next snapshot.  Per function,
 * after every module's slots are summed (snapshot_counts), not per slot:
 * the errors of an inlined copy whose calls its site's edge counts are in
 * the function's slot, beside none of its calls (a C++ function inlined at
 * its only call site reported 0 of its 4 errors).  Called in the pass
 * that follows snapshot_counts, not in a pass of its own: with 100,000
 * functions a pass over the table is milliseconds of memory traffic. */
static void errors_within_calls(size_t i) {
  struct cnsm_fn *e = &cnsm_fns[i];
  if (e->cur.errors > e->cur.calls) {
    e->cur.errors = e->cur.calls;
    note_summed(i); /* cur is no longer its base: the next reset's */
  }
}

/* Moves what every module's functions timed since the last drain into
 * their entries' pending buckets.  Registry lock held. */
static void drain_histograms(void) {
  for (struct cnsm_module *m = cnsm_modules; m; m = m->next)
    if (cnsm_module_map(m) == 0)
      cnsm_hist_drain_module(m);
  cnsm_causes_drain(cnsm_fn_index_of);
  cnsm_callers_drain(cnsm_modules);
}

/* Copies the pairs of l to the end of the list's storage; their offset
 * there (+1) goes in *pairs until the storage stops growing.  Names: each
 * pair's key names a table entry (a root cause), whose name goes beside
 * it (the encoder runs unlocked, when the table may have moved). */
static void copy_pairs(struct cnsm_delta_list *out,
                       const struct cnsm_hist_pair **pairs, size_t *n,
                       const struct cnsm_hist_list *l, int names, size_t most) {
  *pairs = NULL;
  *n = 0;
  size_t count = l->n < most ? l->n : most; /* the rest go in a later batch */
  if (!count)
    return;
  size_t at = out->hist.n;
  if (cnsm_hist_list_reserve(&out->hist, at + count) != 0)
    return; /* sent later: the entry keeps them */
  if (names && out->names_cap < out->hist.cap) {
    const char **grown =
        realloc(out->names, out->hist.cap * sizeof(const char *));
    if (!grown)
      return;
    out->names = grown;
    out->names_cap = out->hist.cap;
  }
  memcpy(out->hist.pairs + at, l->pairs, count * sizeof *l->pairs);
  for (size_t i = 0; names && i < count; i++)
    out->names[at + i] = cnsm_fns[l->pairs[i].bucket].name;
  out->hist.n = (uint32_t)(at + count); /* at most its cap */
  *pairs = (const struct cnsm_hist_pair *)(uintptr_t)(at + 1);
  *n = count;
}

/* Turns copy_pairs's offset into a pointer, once storage stopped moving. */
static const struct cnsm_hist_pair *pairs_at(const struct cnsm_delta_list *out,
                                             const struct cnsm_hist_pair *p) {
  return p ? out->hist.pairs + ((uintptr_t)p - 1) : NULL;
}

/* What the clock said of the time that passed, for the estimates. */
struct passed {
  uint64_t probe;
  double ns_per_tick;
  uint64_t since_start_ns;
};

static struct passed time_passed(void) {
  return (struct passed){cnsm_clock_probe_ticks(), cnsm_clock_ns_per_tick(),
                         cnsm_clock_since_start_ns()};
}

/* Sets e->cur_ns from e->cur, at most the time that passed.  The outermost
 * frames of one thread never overlap, and each directory that counted the
 * function was one thread at a time, so its calls took at most that many
 * times the time since the start.  A sampled estimate went far past it
 * where a rare long call was timed at a long period: speedtest1's
 * sqlite3VdbeExec, whose statements take 1 us to 7 ms in one call each,
 * came out at 2 to 7.5 s in runs of 0.27 s (2 runs of 8, --size 5). */
static void estimate(struct cnsm_fn *e, struct passed t) {
  struct cnsm_slot *c = &e->cur;
  /* Never called: nothing to estimate, and its live record's estimate is
   * the zeros it was made with (nothing written: cnsm_set). */
  if (!c->calls && !e->certain.calls && !e->cut_ticks) {
    cnsm_set(&e->cur_ns, 0);
    return;
  }
  uint64_t ticks = cnsm_sub0(c->ticks, e->cut_ticks);
  cnsm_set(&e->cur_ns, cnsm_estimate_ns(c->calls, c->samples, ticks,
                                        &e->certain, t.probe, t.ns_per_tick));
  uint64_t threads = e->cur_threads ? e->cur_threads : 1;
  if (t.since_start_ns && e->cur_ns / threads > t.since_start_ns) {
    /* Cut from the sampled calls' ticks, for good: their mean then
     * stands for each later call too.  A cut of the total only, made
     * again as the bound grew, sent the bound's growth at every flush
     * with a call (a function called every 300 ms: 300 ms each). */
    uint64_t most = threads * t.since_start_ns; /* < cur_ns: fits */
    uint64_t cut = cnsm_estimate_cut(c->calls, c->samples, ticks, &e->certain,
                                     t.probe, t.ns_per_tick, most);
    e->cut_ticks += cut;
    e->cur_ns = cnsm_estimate_ns(c->calls, c->samples, ticks - cut, &e->certain,
                                 t.probe, t.ns_per_tick);
    if (e->cur_ns > most) /* the certain calls alone: a clock's error */
      e->cur_ns = most;
  }
  if (e->live) {
    struct cnsm_live_estimate v = {e->certain.calls, e->certain.ticks,
                                   e->cut_ticks};
    cnsm_durable_estimate(e->live, &v);
  }
}

/* Fills cur and cur_ns of every entry.  Registry lock held. */
void cnsm_snapshot(void) {
  snapshot_counts();
  struct passed t = time_passed();
  for (size_t i = 0; i < cnsm_fn_count; i++) {
    errors_within_calls(i);
    estimate(&cnsm_fns[i], t);
  }
}

/* Errors <= calls in every delta.
 *
 * The hooks count a call at entry and its error at exit, so a snapshot
 * taken while a call runs sees the call, and only the next one its error;
 * sent as is, that next delta carried more errors than calls (the
 * collector refuses it: with two threads on an always-failing function,
 * 722 of 3,093 deltas).  Let own_c, own_e be the calls and errors counted
 * and not yet acknowledged (the acknowledgement moves by exactly what was
 * sent).  A delta sends e = min(own_e, own_c): errors beyond the calls are
 * carried to the next delta.  A carry can only be paid by calls not sent
 * yet, so a background flush also holds back successes: it sends
 * c = max(e, own_c - hold), keeping (own_c - c) - (own_e - e) >= hold
 * calls without errors unsent whenever there are that many.
 *
 * Why the totals that finally arrive are exact: at the final flush (exit,
 * codensm_shutdown, codensm_flush) everything is sent, c = own_c, and
 * e = own_e exactly when own_e <= own_c there.  Let S = calls - errors
 * counted (successes, in-flight calls included).  After a background
 * flush, sent successes <= S at its snapshot - hold.  S only decreases
 * when a call that was running at a snapshot ends with an error, by one
 * per such call; so at the final flush own_c - own_e = S_final - sent
 * successes >= hold - (calls running at the last background snapshot that
 * failed after it) >= 0 while at most hold such calls per function fail
 * (threads in the function, times its recursion depth).  hold starts at
 * CNSM_HOLD_MIN and doubles (up to CNSM_HOLD_MAX) each time a background
 * flush finds a carry, i.e. more such failures than it held calls for.
 * codensm_flush() sends everything: called where no instrumented call of
 * the same function runs in another thread, it keeps the totals exact;
 * an error it could not pair is carried, and dropped only if no call of
 * that function ever follows (CODENSM_DEBUG says so). */
static void split_errors(struct cnsm_fn *e, uint64_t own_c, uint64_t own_e,
                         int everything, uint64_t *c, uint64_t *err) {
  *err = own_e < own_c ? own_e : own_c;
  if (!everything && own_e > own_c && e->hold < CNSM_HOLD_MAX)
    e->hold *= 2;
  uint64_t hold = everything ? 0 : e->hold;
  uint64_t rest = own_c > hold ? own_c - hold : 0;
  *c = rest > *err ? rest : *err;
  if (everything && own_e > own_c)
    cnsm_debug("%s: %llu errors without a call left to pair them with", e->name,
               (unsigned long long)(own_e - own_c));
}

/* Reserves room for every table entry in out; 0 or -1. */
static int reserve_list(struct cnsm_delta_list *out) {
  if (out->cap >= cnsm_fn_count && out->items)
    return 0;
  size_t cap = cnsm_fn_count ? cnsm_fn_count : 1;
  struct cnsm_delta *grown = realloc(out->items, cap * sizeof *grown);
  if (!grown)
    return -1;
  out->items = grown;
  out->cap = cap;
  return 0;
}

/* Drops the pending (spooled, handed over) figures of an entry refused
 * for good: they would be refused too, and pending for ever they kept the
 * spool from being loaded again (flusher.c waits for pending figures to
 * settle), so a forking server's children's figures waited in it until
 * the server stopped.  Registry lock held. */
static void drop_pending(struct cnsm_fn *e) {
  if (!e->pend_present)
    return;
  e->pend_calls = e->pend_errors = e->pend_ns = 0;
  e->pend_present = 0;
  pend_entries--;
}

/* Whether entry i has extensions to send that extensions asks for. */
static int has_extensions(size_t i, unsigned extensions) {
  const struct cnsm_fn *e = &cnsm_fns[i];
  return ((extensions & CNSM_EXT_HISTOGRAM) && e->hist.n) ||
         ((extensions & CNSM_EXT_SOURCE) && e->file &&
          !cnsm_fn_source_sent(i)) ||
         ((extensions & CNSM_EXT_CAUSES) && e->causes.n) ||
         ((extensions & CNSM_EXT_CALLERS) && e->callers.n);
}

int cnsm_collect(struct cnsm_delta_list *out, int everything,
                 unsigned extensions) {
  out->count = 0;
  struct cnsm_overrides overrides = cnsm_config_overrides();
  pthread_mutex_lock(&cnsm_registry_lock);
  /* Time is estimated in the same pass as the deltas, and only for the
   * entries sent: with 100,000 functions one pass over the table is a few
   * milliseconds of memory traffic. */
  snapshot_counts();
  cnsm_known_recall(&overrides);
  struct passed t = time_passed();
  drain_histograms();
  out->hist.n = 0;
  size_t n = 0;
  if (reserve_list(out) != 0) {
    pthread_mutex_unlock(&cnsm_registry_lock);
    return -1;
  }
  struct cnsm_delta *d = out->items;
  for (size_t i = 0; i < cnsm_fn_count; i++) {
    struct cnsm_fn *e = &cnsm_fns[i];
    errors_within_calls(i);
    uint64_t own_c = cnsm_sub0(e->cur.calls, e->ack_calls);
    uint64_t own_e = cnsm_sub0(e->cur.errors, e->ack_errors);
    if (e->poisoned) { /* refused for good: never blocks the rest */
      e->ack_calls += own_c;
      e->ack_errors += own_e;
      drop_pending(e); /* pending forever, it held back every later load */
      mirror(e);
      continue;
    }
    int extra = has_extensions(i, extensions);
    int announced = cnsm_fn_announced(i);
    if (!own_c && !own_e && announced && !e->pend_present && !extra)
      continue;
    uint64_t calls, errors;
    split_errors(e, own_c, own_e, everything, &calls, &errors);
    if (!calls && !errors && announced && !e->pend_present && !extra)
      continue;
    cnsm_fn_refresh(e, &overrides);
    estimate(e, t);
    d[n] = (struct cnsm_delta){
        .index = i,
        .name = e->name,
        .department = e->department,
        .weight = e->weight,
        .calls = calls,
        .errors = errors,
        .ns = cnsm_sub0(e->cur_ns, e->ack_ns),
        .pend_calls = e->pend_calls,
        .pend_errors = e->pend_errors,
        .pend_ns = e->pend_ns,
        .announced = announced,
    };
    if ((extensions & CNSM_EXT_SOURCE) && !cnsm_fn_source_sent(i)) {
      d[n].file = e->file;
      d[n].line = e->line;
    }
    if (extensions & CNSM_EXT_HISTOGRAM)
      copy_pairs(out, &d[n].hist, &d[n].hist_n, &e->hist, 0, CNSM_HIST_BUCKETS);
    if (extensions & CNSM_EXT_CAUSES)
      copy_pairs(out, &d[n].causes, &d[n].causes_n, &e->causes, 1,
                 CNSM_MAX_CAUSES);
    if (extensions & CNSM_EXT_CALLERS)
      copy_pairs(out, &d[n].callers, &d[n].callers_n, &e->callers, 1,
                 CNSM_MAX_CALLERS);
    n++;
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  /* The storage has stopped moving: offsets (+1) become pointers. */
  for (size_t i = 0; i < n; i++) {
    if (d[i].causes)
      d[i].cause_names = out->names + ((uintptr_t)d[i].causes - 1);
    if (d[i].callers)
      d[i].caller_names = out->names + ((uintptr_t)d[i].callers - 1);
    d[i].hist = pairs_at(out, d[i].hist);
    d[i].causes = pairs_at(out, d[i].causes);
    d[i].callers = pairs_at(out, d[i].callers);
  }
  out->count = n;
  return 0;
}

void cnsm_delta_list_free(struct cnsm_delta_list *l) {
  free(l->items);
  cnsm_hist_list_free(&l->hist);
  free((void *)l->names);
  *l = (struct cnsm_delta_list){0};
}

/* What e's figures become once what d carried is acknowledged. */
static struct cnsm_live_acks acknowledged(const struct cnsm_fn *e,
                                          const struct cnsm_delta *d) {
  struct cnsm_live_acks a = acks_of(e);
  a.ack_calls += d->calls;
  a.ack_errors += d->errors;
  a.ack_ns += d->ns;
  if (e->pend_present) {
    a.pend_calls = cnsm_sub0(a.pend_calls, d->pend_calls);
    a.pend_errors = cnsm_sub0(a.pend_errors, d->pend_errors);
    a.pend_ns = cnsm_sub0(a.pend_ns, d->pend_ns);
  }
  return a;
}

/* Moves e's acknowledgement by what d carried.  Registry lock held.
 * Returns 1 when the last spooled entry was acknowledged. */
static int acknowledge_one(struct cnsm_fn *e, const struct cnsm_delta *d) {
  struct cnsm_live_acks after = acknowledged(e, d);
  cnsm_known_note(e, d);
  e->ack_calls = after.ack_calls;
  e->ack_errors = after.ack_errors;
  e->ack_ns = after.ack_ns;
  e->announced = 1;
  int was_pending = e->pend_present;
  e->pend_calls = after.pend_calls;
  e->pend_errors = after.pend_errors;
  e->pend_ns = after.pend_ns;
  cnsm_hist_list_sub(&e->hist, d->hist, d->hist_n);
  cnsm_hist_list_sub(&e->causes, d->causes, d->causes_n);
  cnsm_hist_list_sub(&e->callers, d->callers, d->callers_n);
  if (d->file)
    e->source_sent = 1;
  mirror(e);
  if (!was_pending || e->pend_calls || e->pend_errors || e->pend_ns)
    return 0;
  e->pend_present = 0;
  return --pend_entries == 0;
}

int cnsm_inflight_begin(const char *key, const char *body,
                        const struct cnsm_delta *d, size_t n) {
  if (!cnsm_durable_active())
    return 0;
  struct cnsm_live_item *items = malloc((n ? n : 1) * sizeof *items);
  if (!items)
    return -1;
  pthread_mutex_lock(&cnsm_registry_lock);
  for (size_t i = 0; i < n; i++)
    items[i] = (struct cnsm_live_item){
        .index = d[i].index,
        .after = acknowledged(&cnsm_fns[d[i].index], &d[i])};
  pthread_mutex_unlock(&cnsm_registry_lock);
  int rc = cnsm_durable_inflight_begin(key, body, items, n);
  free(items);
  return rc;
}

/* Moves the acknowledgement by what d[0..n) carried. */
int cnsm_acknowledge(const struct cnsm_delta *d, size_t n) {
  int spool_done = 0;
  pthread_mutex_lock(&cnsm_registry_lock);
  for (size_t i = 0; i < n; i++)
    spool_done |= acknowledge_one(&cnsm_fns[d[i].index], &d[i]);
  pthread_mutex_unlock(&cnsm_registry_lock);
  return spool_done;
}

/* A refused batch's figures become pending again, as spooled ones are. */
void cnsm_unacknowledge(const struct cnsm_batch_item *it, size_t n) {
  pthread_mutex_lock(&cnsm_registry_lock);
  for (size_t i = 0; i < n; i++)
    cnsm_pend_add(it[i].index, it[i].calls, it[i].errors, it[i].ns);
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* Drops a delta the collector refused on its own; collect drops the
 * function's later deltas (they would be refused, one request each). */
int cnsm_drop(const struct cnsm_delta *d) {
  pthread_mutex_lock(&cnsm_registry_lock);
  struct cnsm_fn *e = &cnsm_fns[d->index];
  int spool_done = acknowledge_one(e, d);
  e->poisoned = 1;
  pthread_mutex_unlock(&cnsm_registry_lock);
  return spool_done;
}

/* Sets acknowledged = origin = current for every entry, writing only what
 * changes (cnsm_set): most of a child's table stays its parent's
 * pages.  Registry lock held. */
static void acknowledge_all_current(void) {
  for (size_t i = 0; i < cnsm_fn_count; i++) {
    struct cnsm_fn *e = &cnsm_fns[i];
    int acks = cnsm_set(&e->ack_calls, e->cur.calls) |
               cnsm_set(&e->ack_errors, e->cur.errors) |
               cnsm_set(&e->ack_ns, e->cur_ns) | cnsm_set(&e->pend_calls, 0) |
               cnsm_set(&e->pend_errors, 0) | cnsm_set(&e->pend_ns, 0);
    cnsm_set(&e->origin_calls, e->cur.calls);
    cnsm_set(&e->origin_errors, e->cur.errors);
    cnsm_set(&e->origin_ns, e->cur_ns);
    cnsm_set(&e->pend_present, 0);
    cnsm_set(&e->hist.n, 0);
    cnsm_set(&e->causes.n, 0);
    cnsm_set(&e->callers.n, 0);
    /* Unchanged acknowledgements are in the copy of the parent's live
     * file already: its records mirror its table. */
    if (acks)
      mirror(e);
  }
  pend_entries = 0;
  /* The parent announces its functions and their source, as it would have
   * had it not forked.  A parent that dies before it does leaves its live
   * file, whose taker announces them. */
  cnsm_fn_inherit_all();
}

/* Fork child: what the parent counted is the parent's to send, so the
 * child reports only its own calls.  The child's only thread runs this
 * after the registry's handler folded the other threads and let the lock
 * go. */
static void fork_child(void) {
  cnsm_hist_lists_forked();
  /* A process that neither sends nor reports tells nobody what its parent
   * counted: the snapshot, which names every module's functions that the
   * parent never named, cost each child of a 21,000-function program
   * without an endpoint some 10 ms (a forking server's every connection).
   * (A child that configures an endpoint later, with codensm_init, then
   * counts its parent's calls as its own.) */
  if (!cnsm_config_told())
    return;
  pthread_mutex_lock(&cnsm_registry_lock);
  cnsm_snapshot();
  drain_histograms(); /* the parent's timed calls and causes: the parent's */
  acknowledge_all_current();
  pthread_mutex_unlock(&cnsm_registry_lock);
}

static void install_fork_handlers(void) {
  cnsm_registry_init_once(); /* its child handler runs first */
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_snapshot_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handlers);
}
