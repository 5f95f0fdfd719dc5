/* SPDX-License-Identifier: Apache-2.0
 *
 * hooks.c - the parts of the hot path that live in the runtime.
 *
 * __codensm_sample_start and __codensm_sample_stop run on the sampled
 * calls only (each function's first call per thread, then as the policy
 * below chooses), called from the inline hot path the pass expands.  One copy
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

/* Timing one call costs about CNSM_SAMPLE_COST_TICKS (two clock reads and
 * two calls into here, a few hundred cycles).  After each timed call of a
 * function, its mean period is chosen so that timing it costs at most
 * 1/100 of what its calls take: a call that took 10 us or more (at 3 GHz)
 * makes the function's next call timed, one of 1 us one in 16, one of
 * 100 ns one in 128, anything faster one in the hot period (1,024 by
 * default: CODENSM_SAMPLE_PERIOD_HOT is the longest).  Slow functions are
 * timed on nearly every call, where their percentiles need it and it costs
 * nothing that matters; the hot small ones of Redis's kind once in 1,024
 * (at one in 64, timing was a fifth of Redis's CPU per request).
 *
 * The distance to the next timed call is drawn at random, uniform in
 * [1, 2 * period - 1] (mean: the period), from the clock's low bits: a
 * fixed stride falls into step with patterns in the calls (one in 64
 * never timed the slow tenth call of a function).  Each timed call weighs
 * the calls since the function's previous timed call in this thread, so
 * the estimate stays unbiased however the period moves
 * (cnsm_sample_stop). */
#define CNSM_SAMPLE_BUDGET_TICKS (100 * CNSM_SAMPLE_COST_TICKS)

/* The mean period after a timed call that took elapsed ticks. */
static uint64_t next_period(uint64_t elapsed) {
  uint64_t longest = CNSM_LOAD(&cnsm_hot_mask) + 1;
  uint64_t calls_per_sample = CNSM_SAMPLE_BUDGET_TICKS / (elapsed + 1);
  if (calls_per_sample <= 1)
    return 1;
  uint64_t period = (uint64_t)1 << (64 - __builtin_clzll(calls_per_sample - 1));
  return period < longest ? period : longest;
}

/* A number that follows no pattern of the calls: the clock's bits mixed
 * (splitmix64's finaliser). */
static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebu;
  return x ^ (x >> 31);
}

/* Sets slot i of chunk c to be timed again a random distance after calls
 * (its count now), at the period a call of elapsed ticks asks for. */
static void schedule(struct cnsm_chunk *c, uint32_t i, uint64_t calls,
                     uint64_t elapsed, uint64_t now) {
  uint64_t period = next_period(elapsed);
  uint64_t distance =
      period == 1 ? 1
                  : 1 + mix(now ^ (uintptr_t)&c->next[i]) % (2 * period - 1);
  __atomic_store_n(&c->next[i], (uint32_t)(calls - 1 + distance),
                   __ATOMIC_RELAXED);
  __atomic_store_n(&c->header.mask, period - 1, __ATOMIC_RELAXED);
  c->header.timed++;
}

/* The sampled path.  A count that went to the sentinel chunk (the thread's
 * first call of one of the chunk's functions: the sentinel's mask 0 sent
 * it here) is moved to the thread's own chunk, allocated now. */
uint64_t cnsm_sample_start(cnsm_unit_fn unit, uint64_t slot, void *counted_in) {
  /* The process's first timed call calibrates, before its clock starts. */
  cnsm_clock_calibrate();
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
 * The timed call weighs the calls since the function's previous timed
 * call in this thread (samples holds the calls so far covered), so a
 * call timed after a long period stands for that period, one timed right
 * after another for itself, and a function's first call, timed by the
 * sentinel, for one call. */
void cnsm_sample_stop(cnsm_unit_fn unit, uint64_t slot, uint64_t start,
                      uint64_t end) {
  const struct cnsm_module_desc *desc = unit();
  struct cnsm_chunk *c = chunk_of(desc, slot);
  struct cnsm_slot *s = &c->slots[slot % CNSM_CHUNK_SLOTS];
  /* A thread that moved to a CPU whose counter lags adds nothing, not
   * 2^64 ticks. */
  uint64_t elapsed = end > start ? end - start : 0;
  uint64_t calls = CNSM_LOAD(&s->calls), covered = CNSM_LOAD(&s->samples);
  uint64_t weight = calls > covered ? calls - covered : 1;
  bump(&s->samples, weight);
  bump(&s->ticks, elapsed * weight);
  schedule(c, (uint32_t)(slot % CNSM_CHUNK_SLOTS), calls, elapsed, end);
  uint64_t ns = cnsm_clock_timed_call_ns(elapsed);
  if (ns != UINT64_MAX) /* not while another thread calibrates */
    cnsm_hist_record(cnsm_module_of(desc), (uint32_t)slot, ns, weight);
}

CNSM_EXPORT uint64_t __codensm_enter(cnsm_unit_fn unit, uint64_t slot) {
  struct cnsm_chunk *c = chunk_of(unit(), slot);
  uint64_t before = bump(&c->slots[slot % CNSM_CHUNK_SLOTS].calls, 1);
  if ((uint32_t)before < CNSM_LOAD(&c->next[slot % CNSM_CHUNK_SLOTS]))
    return 0;
  cnsm_clock_calibrate();
  return cnsm_read_ticks();
}

CNSM_EXPORT void __codensm_exit(cnsm_unit_fn unit, uint64_t slot,
                                uint64_t start, uint64_t is_error) {
  if (is_error)
    bump(&chunk_of(unit(), slot)->slots[slot % CNSM_CHUNK_SLOTS].errors, 1);
  if (start)
    cnsm_sample_stop(unit, slot, start, cnsm_read_ticks());
}

#if !defined(__x86_64__)
/* Elsewhere the entry points are the C functions themselves (on x86-64
 * they are trampolines_x86_64.S's preserve_most wrappers of them). */
CNSM_EXPORT uint64_t __codensm_sample_start(cnsm_unit_fn unit, uint64_t slot,
                                            void *counted_in) {
  return cnsm_sample_start(unit, slot, counted_in);
}
CNSM_EXPORT void __codensm_sample_stop(cnsm_unit_fn unit, uint64_t slot,
                                       uint64_t start, uint64_t end) {
  cnsm_sample_stop(unit, slot, start, end);
}
CNSM_EXPORT void *__codensm_chunk(cnsm_unit_fn unit, uint64_t k) {
  return cnsm_chunk_first(unit, k);
}
#endif
