/* SPDX-License-Identifier: Apache-2.0
 *
 * hooks.c - the parts of the hot path that live in the runtime.
 *
 * __codensm_sample_start and __codensm_sample_stop run on the sampled
 * calls only (one in 64 by default, and each function's first call per
 * thread), called from the inline hot path the pass expands.  One copy
 * here rather than a pair of helpers per translation unit: every function
 * a unit carries costs compile time, in every build.
 *
 * On x86-64 the exported __codensm_sample_start, __codensm_sample_stop and
 * __codensm_chunk are trampolines_x86_64.S's preserve_most wrappers of the
 * cnsm_ functions here, so the cold calls clobber no register the
 * instrumented function uses.
 *
 * __codensm_enter and __codensm_exit are the whole hot path as ordinary
 * functions.  The pass places them before the optimiser and replaces them
 * with inline code after it; they run only when that expansion did not
 * happen (a custom pass pipeline), and then count exactly, only slower.
 */
#include "internal.h"

/* Adds one to a counter only this thread writes, and returns the value
 * before.  On x86-64 one non-locked instruction: a signal handler on this
 * thread cannot split it and lose a count, and there is no lock prefix. */
static inline uint64_t bump(uint64_t *counter, uint64_t amount) {
#if defined(__x86_64__)
  __asm__ __volatile__("xaddq %0, %1" : "+r"(amount), "+m"(*counter));
  return amount;
#else
  return __atomic_fetch_add(counter, amount, __ATOMIC_RELAXED);
#endif
}

/* This thread's chunk of desc's function slot. */
static struct cnsm_chunk *chunk_of(const struct cnsm_module_desc *desc,
                                   uint64_t slot) {
  return cnsm_chunk_get(desc, slot / CNSM_CHUNK_SLOTS);
}

/* One more timed call closed in this thread's chunk c: once its functions
 * have been timed CNSM_HOT_AFTER times, it is timed at the hot period.  Every
 * sample costs a few hundred cycles (two clock reads and two calls into
 * here): at 1 call in 64 that was a fifth of Redis's CPU per request, at
 * 1 in 1024 a hundredth.  Every function's first calls in a thread are
 * timed at the start period, so a function called rarely still gets
 * samples; its hot neighbours stop paying for them.  cnsm_sample_stop
 * weighs each sample by the chunk's period and only then counts it here,
 * so the sample that makes the chunk hot still weighs the old period and
 * the estimate stays unbiased across the change. */
static void note_timed(struct cnsm_chunk *c) {
  if (++c->header.timed == CNSM_HOT_AFTER) {
    uint64_t hot = CNSM_LOAD(&cnsm_hot_mask);
    if (hot > c->header.mask)
      __atomic_store_n(&c->header.mask, hot, __ATOMIC_RELAXED);
  }
}

/* The sampled path.  A count that went to the sentinel chunk (the thread's
 * first call of one of the chunk's functions: the sentinel's mask 0 sent
 * it here) is moved to the thread's own chunk, allocated now. */
uint64_t cnsm_sample_start(cnsm_unit_fn unit, uint64_t slot, void *counted_in) {
  struct cnsm_chunk *c = counted_in;
  if (c == &__codensm_sentinel) {
    c = chunk_of(unit(), slot);
    bump(&c->slots[slot % CNSM_CHUNK_SLOTS].calls, 1);
  }
  return cnsm_read_ticks();
}

/* The chunk is found again rather than passed: an argument costs every
 * instrumented function its setup in the cold path, which is compile
 * time; finding it costs only the sampled call, outside the interval.
 * The sample stands for the calls of one period, the chunk's (only a
 * sample of an enclosing call of the same chunk can straddle a change of
 * period, and it is weighed by the new one). */
void cnsm_sample_stop(cnsm_unit_fn unit, uint64_t slot, uint64_t start) {
  uint64_t end = cnsm_read_ticks();
  struct cnsm_chunk *c = chunk_of(unit(), slot);
  struct cnsm_slot *s = &c->slots[slot % CNSM_CHUNK_SLOTS];
  uint64_t period = CNSM_LOAD(&c->header.mask) + 1;
  bump(&s->samples, period);
  /* A thread that moved to a CPU whose counter lags adds nothing, not
   * 2^64 ticks. */
  bump(&s->ticks, end > start ? (end - start) * period : 0);
  note_timed(c);
}

CNSM_EXPORT uint64_t __codensm_enter(cnsm_unit_fn unit, uint64_t slot) {
  struct cnsm_chunk *c = chunk_of(unit(), slot);
  uint64_t before = bump(&c->slots[slot % CNSM_CHUNK_SLOTS].calls, 1);
  if ((before & CNSM_LOAD(&c->header.mask)) != 0)
    return 0;
  return cnsm_read_ticks();
}

CNSM_EXPORT void __codensm_exit(cnsm_unit_fn unit, uint64_t slot,
                                uint64_t start, uint64_t is_error) {
  if (is_error)
    bump(&chunk_of(unit(), slot)->slots[slot % CNSM_CHUNK_SLOTS].errors, 1);
  if (start)
    cnsm_sample_stop(unit, slot, start);
}

#if !defined(__x86_64__)
/* Elsewhere the entry points are the C functions themselves (on x86-64
 * they are trampolines_x86_64.S's preserve_most wrappers of them). */
CNSM_EXPORT uint64_t __codensm_sample_start(cnsm_unit_fn unit, uint64_t slot,
                                            void *counted_in) {
  return cnsm_sample_start(unit, slot, counted_in);
}
CNSM_EXPORT void __codensm_sample_stop(cnsm_unit_fn unit, uint64_t slot,
                                       uint64_t start) {
  cnsm_sample_stop(unit, slot, start);
}
CNSM_EXPORT void *__codensm_chunk(cnsm_unit_fn unit, uint64_t k) {
  return cnsm_chunk_first(unit, k);
}
#endif
