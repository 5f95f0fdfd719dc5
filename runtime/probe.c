/* SPDX-License-Identifier: Apache-2.0
 *
 * probe.c - probes with a lifespan: functions whose every call is timed
 * until a time, then sampled again by themselves.
 *
 * A receiver asks for them in its answers (docs/ingest-contract.md,
 * "Probes"); the flusher hands each stored answer's list here, and every
 * answer lists all the probes in force, so a function missing from it
 * returns to sampling at once.  A probe is a deadline in clock ticks per
 * function of a module (m->probe_until, made by the first probe of a
 * module): the sampled path's stop (hooks.c) reads it and keeps the
 * function's period at 1 while the clock is before it, so the runtime
 * needs no timer and a probe ends by itself even if no answer comes.  A
 * new probe also sets the function's target in every thread's chunk to
 * its count, so its next call is timed rather than the one after a
 * distance drawn at the old period. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The seconds orders[0..n) give the function named name, 0 for none. */
static uint32_t seconds_for(const char *name,
                            const struct cnsm_probe_order *orders, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(orders[i].name, name) == 0)
      return orders[i].seconds;
  return 0;
}

/* Every thread's next call of m's function slot is timed. */
static void time_next_calls(struct cnsm_module *m, uint32_t slot) {
  uint32_t k = slot / CNSM_CHUNK_SLOTS, j = slot % CNSM_CHUNK_SLOTS;
  for (struct cnsm_dir *d = __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE); d;
       d = CNSM_LOAD(&d->next_in_module)) {
    struct cnsm_chunk *c =
        __atomic_load_n(&cnsm_dir_chunks(d)[k], __ATOMIC_ACQUIRE);
    if (c && CNSM_LOAD(&c->header.real))
      cnsm_sample_every_call(c, j);
  }
}

void cnsm_probes_apply(const struct cnsm_probe_order *orders, size_t n) {
  uint64_t now = cnsm_read_ticks();
  double ticks_per_s = 1e9 / cnsm_clock_ns_per_tick();
  pthread_mutex_lock(&cnsm_registry_lock);
  for (struct cnsm_module *m = cnsm_modules; m; m = m->next) {
    uint32_t count = m->desc->function_count;
    if (!m->probe_until && n == 0)
      continue; /* never probed, and nothing to probe */
    if (cnsm_module_map(m) != 0)
      continue;
    if (!m->probe_until &&
        !(m->probe_until = calloc(count ? count : 1, sizeof *m->probe_until)))
      continue;
    for (uint32_t i = 0; i < count; i++) {
      size_t e = m->entry[i];
      uint32_t seconds =
          e == CNSM_NOT_COUNTED ? 0 : seconds_for(cnsm_fns[e].name, orders, n);
      uint64_t until = seconds ? now + (uint64_t)(seconds * ticks_per_s) : 0;
      uint64_t was = CNSM_LOAD(&m->probe_until[i]);
      __atomic_store_n(&m->probe_until[i], until, __ATOMIC_RELAXED);
      if (until && (was == 0 || was <= now))
        time_next_calls(m, i);
      if ((until != 0) != (was > now))
        cnsm_debug("probe of %s: %s", cnsm_fns[e].name,
                   until ? "every call timed" : "ended");
    }
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
}
