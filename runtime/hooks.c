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
 * with inline code after it; they run when that expansion did not happen
 * (a custom pass pipeline), and then count exactly, only slower.  An exit
 * that is an error whatever happens (an exception unwinding a function)
 * stays a call of __codensm_exit even when expanded (ExpandHooks.cpp).
 */
#include <unistd.h>

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
 * 1/1000 of what its calls take: a call that took 100 us or more (at
 * 3 GHz) makes the function's next call timed, one of 10 us one in 16,
 * one of 1 us one in 128, anything faster one in 1,024, or longer still
 * (up to CODENSM_SAMPLE_PERIOD_HOT, 16,384 by default) for a function
 * called so often that it is still timed some 16 times in each 0.7 s
 * (hist.c's rate of its calls).  Slow functions are timed on nearly every
 * call, where their percentiles need it and it costs nothing that
 * matters; the hot small ones of Redis's kind once in 1,024 (at one in
 * 64, timing was a fifth of Redis's CPU per request) and, once their rate
 * is known, once in 8,192 to 16,384: a timed call costs some 250 ns on an
 * AMD EPYC, and at one in 1,024 Lua's interpreter spent 6 % of its plain
 * CPU on 126,000 of them (58,000 when the longest period was 16,384 for
 * every function).  The rate is what keeps a function called a few
 * hundred times a second timed often enough for its percentiles: it
 * stays at 1,024 at most.  1/100 was too much: the budget is per
 * function, and nested functions each spend theirs (Lua's interpreter:
 * 1.49 times plain CPU against 1.31 at 1/1000 and 1.20 with every chunk
 * at 1 in 1,024).
 *
 * The distance to the next timed call is drawn at random from a geometric
 * distribution of that mean: each call after a timed one is timed with
 * probability 1 / period, whatever came before, so a timed call stands for
 * exactly period calls (Horvitz-Thompson), however the period follows the
 * durations, and no pattern in the calls can fall into step with it (one
 * in 64, fixed, never timed the slow tenth call of a function).  Weighing
 * a timed call by the calls since the previous one instead was biased as
 * soon as the period followed the durations (-19 % on that function). */
#define CNSM_SAMPLE_BUDGET_TICKS (1000 * CNSM_SAMPLE_COST_TICKS)

/* log2 of the longest mean period (CODENSM_SAMPLE_PERIOD_HOT). */
static unsigned longest_period_log2(void) {
  uint64_t longest = CNSM_LOAD(&cnsm_hot_mask) + 1;
  unsigned cap = 63u - (unsigned)__builtin_clzll(longest);
  return cap < CNSM_PERIOD_LOG2_MAX ? cap : CNSM_PERIOD_LOG2_MAX;
}

/* log2 of the longest period whatever a function's rate (1,024): where
 * the rate is not known (nested frames, calls that never returned). */
#define SETTLED_PERIOD_LOG2 10u
static unsigned settled_period_log2(void) {
  unsigned cap = longest_period_log2();
  return cap < SETTLED_PERIOD_LOG2 ? cap : SETTLED_PERIOD_LOG2;
}

/* log2 of the mean period after a timed call that took elapsed ticks, of
 * a function whose rate allows periods up to 2^rate_log2. */
static unsigned next_period_log2(uint64_t elapsed, unsigned rate_log2) {
  unsigned cap = settled_period_log2();
  if (rate_log2 > cap)
    cap = rate_log2 < longest_period_log2() ? rate_log2 : longest_period_log2();
  uint64_t calls_per_sample = CNSM_SAMPLE_BUDGET_TICKS / (elapsed + 1);
  if (calls_per_sample <= 1)
    return 0;
  unsigned e = 64u - (unsigned)__builtin_clzll(calls_per_sample - 1);
  return e < cap ? e : cap;
}

/* The period (log2) e, no longer than the calls the slot has counted.
 * The estimate is a ratio: the timed calls' mean time, times the calls.
 * A fast call right after a slow first one set the period to 1,024 at
 * once, so a function called ten times was timed twice, and its cold
 * first call (70 us of page faults, against 20 ns after) stood for five:
 * 0.3 to 0.9 ms under a caller of 0.2 ms.  Grown no faster than the
 * calls, the timed calls' weights sum to about the calls at every count
 * (1, 1, 2, 4, ... for 2, 4, 8 calls), so no timed call stands for much
 * more than its weight; a hot function pays some ten more timed calls
 * in each thread, once. */
static unsigned at_most_calls_seen(unsigned e, uint64_t calls) {
  unsigned seen = 63u - (unsigned)__builtin_clzll(calls | 1);
  return e < seen ? e : seen;
}

/* The period (log2) after a nested frame's start, at period e and the
 * count calls.  It has no stop to set the period from what it took, and
 * the outer frame's stop may be far off (Lua's whole script runs inside
 * one luaD_precall): kept, every call of the function inside came here
 * (22 million of Lua's).  The period grows with the calls, some 256
 * nested frames weighed at each: the function's estimate divides its
 * outer frames' time by the weights' sum, which must match the calls
 * closely (doubled at each nested frame instead, 220 calls summed to
 * anything from 130 to 500). */
static unsigned nested_period_log2(unsigned e, uint64_t calls) {
  unsigned bits = 64u - (unsigned)__builtin_clzll(calls | 1);
  unsigned grown = bits > 9 ? bits - 9 : 0;
  unsigned cap = settled_period_log2();
  if (grown > cap)
    grown = cap;
  return grown > e ? grown : e;
}

/* Slot i's period (log2) in chunk c's header: 4 bits a slot. */
static uint64_t *period_word(struct cnsm_chunk *c, uint32_t i) {
  return i < 16 ? &c->header.periods0 : &c->header.periods1;
}

static unsigned period_log2(struct cnsm_chunk *c, uint32_t i) {
  return (unsigned)(CNSM_LOAD(period_word(c, i)) >> (4 * (i % 16))) & 15u;
}

static void set_period_log2(struct cnsm_chunk *c, uint32_t i, unsigned e) {
  uint64_t *w = period_word(c, i);
  uint64_t v = CNSM_LOAD(w) & ~((uint64_t)15 << (4 * (i % 16)));
  __atomic_store_n(w, v | (uint64_t)e << (4 * (i % 16)), __ATOMIC_RELAXED);
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

/* ln m for m in [1, 2): 2 atanh((m - 1) / (m + 1)), five terms (within
 * 1e-6).  Written out rather than libm's log(): glibc's picks an AVX
 * version, and the timed calls of tiny functions that followed it took
 * 20 ns more (the processor's penalty for mixing AVX and SSE state). */
static double ln_mantissa(double m) {
  double t = (m - 1) / (m + 1), t2 = t * t;
  return 2 * t *
         (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 / 9))));
}

/* ln(r / 2^53) for r in [1, 2^53]. */
static double ln_fraction(uint64_t r) {
  int k = 63 - __builtin_clzll(r); /* r = m * 2^k, m in [1, 2) */
  double m = (double)r / (double)((uint64_t)1 << k);
  return (k - 53) * 0.6931471805599453 + ln_mantissa(m);
}

/* 1 / ln(1 - 2^-e) for e = 1..14 (index e; 0 unused): the geometric
 * draw's divisor, a constant per period.  Summed as a series at each
 * draw, it was the timed call's largest cost: up to 40 divisions, a third
 * of the instructions a timed call of SQLite's speedtest1 ran in the
 * runtime.  Values: 1 / math.log1p(-2.0**-e) in Python. */
static const double inv_ln_one_minus[CNSM_PERIOD_LOG2_MAX + 1] = {
    0,
    -1.4426950408889634,
    -3.4760594967822072,
    -7.4888756894186175,
    -15.49462216322538,
    -31.497354319586677,
    -63.49868764234396,
    -127.49934640254835,
    -255.49967384180653,
    -511.49983708044073,
    -1023.4999185800307,
    -2047.4999592999584,
    -4095.4999796524635,
    -8191.4999898268525,
    -16383.499994913584,
};

/* Sets slot i of chunk c to be timed again a geometric distance (mean
 * 2^e) after calls, its count now; seed differs from one call here to the
 * next (the clock at a stop). */
static void schedule(struct cnsm_chunk *c, uint32_t i, uint64_t calls,
                     unsigned e, uint64_t seed) {
  uint64_t distance = 1;
  if (e) {
    /* u in (0, 1]; distance = 1 + floor(ln u / ln(1 - 1/period)). */
    uint64_t r = (mix(seed ^ (uintptr_t)&c->next[i]) >> 11) + 1; /* u * 2^53 */
    double d = ln_fraction(r) * inv_ln_one_minus[e];
    distance = d < 2147483647.0 ? 1 + (uint64_t)d : 2147483647u;
  }
  __atomic_store_n(&c->next[i], (uint32_t)(calls - 1 + distance),
                   __ATOMIC_RELAXED);
}

/* ---- fork: a child draws its own next timed calls ----------------------
 * A child copies its parent's targets, so every child forked from one
 * state would time the same calls: all of them or none, each weighed by
 * the period (libevent's regress runner, hundreds of forked cases,
 * reported 60,193 s of tinytest's testcase_run_bare_ in a 900 s run).  The
 * distances are geometric, so a distance drawn anew at the fork stands
 * for the same calls as the one it replaces; the seed is the child's. */

static void redraw_chunk(struct cnsm_chunk *c, uint32_t functions, void *seed) {
  for (uint32_t i = 0; i < functions; i++)
    schedule(c, i, CNSM_LOAD(&c->slots[i].calls), period_log2(c, i),
             *(uint64_t *)seed);
}

static void redraw_after_fork(void) {
  uint64_t seed = mix(cnsm_read_ticks() ^ (uint64_t)getpid() << 32);
  cnsm_registry_each_own_chunk(redraw_chunk, &seed);
}

static void install_fork_handler(void) {
  cnsm_registry_init_once(); /* its child handler runs first */
  pthread_atfork(NULL, NULL, redraw_after_fork);
}

void cnsm_sampling_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handler);
}

/* Whether a probe times every call of slot of desc's module m (NULL: found
 * from desc) at now (probe.c). */
static int probed(const struct cnsm_module_desc *desc,
                  const struct cnsm_module *m, uint64_t slot, uint64_t now) {
  if (!m)
    m = cnsm_module_of(desc);
  const uint64_t *probe = m ? CNSM_LOAD(&m->probe_until) : NULL;
  return probe && slot < desc->function_count && now < CNSM_LOAD(&probe[slot]);
}

/* Sets slot i of chunk c to be timed again at a uniform distance (mean
 * 2^to) after calls, at a start; the stop sets it again from what the call
 * took (geometric): a call that never returns must not leave the target
 * behind the count, which timed every later call (Lua's CPU went from 1.3
 * to 2 times plain).  Integer arithmetic only, here: the divisions of
 * schedule() were still running when the caller's clock read started the
 * timed interval, and added 10 to 20 ns to every timed call of a tiny
 * function.  The draw in [0, 2^(to+1) - 1) is a multiply and a shift. */
static void retarget(struct cnsm_chunk *c, uint32_t i, uint64_t calls,
                     unsigned to, uint64_t seed) {
  uint64_t range = ((uint64_t)2 << to) - 1;
  uint64_t distance = ((mix(seed ^ (uintptr_t)c) >> 32) * range) >> 32;
  __atomic_store_n(&c->next[i], (uint32_t)(calls + distance), __ATOMIC_RELAXED);
}

/* A start nested inside an open frame of slot i's function: it stands
 * for its calls (its weight counts now, as a timed call's does) with no
 * time of its own: the outer frame's time holds it, and its ticks are the
 * probe's, which the estimate takes off again.  So the total is the
 * outermost frames' (counted again, Lua's lua_pcallk took 2.5 s in a run
 * of 1.1 s). */
static uint64_t weigh_nested(struct cnsm_chunk *c, uint32_t i,
                             uint64_t period) {
  bump(&c->slots[i].samples, period);
  bump(&c->slots[i].ticks, cnsm_clock_probe_ticks() * period);
  return CNSM_NESTED_FRAME;
}

/* The sampled path.  A count that went to the sentinel chunk (the thread's
 * first call of one of the chunk's functions: the sentinel's mask 0 sent
 * it here) is moved to the thread's own chunk, allocated now. */
uint64_t cnsm_sample_start(cnsm_unit_fn unit, uint64_t slot, void *counted_in) {
  /* The process's first timed call calibrates, before its clock starts. */
  cnsm_clock_calibrate();
  struct cnsm_chunk *c = counted_in;
  if (c == &__codensm_sentinel) {
    /* A refused unit's directory is never replaced: its calls all come
     * here, with the sentinel, and leave. */
    const struct cnsm_module_desc *desc = unit();
    if (cnsm_refused(desc))
      return 0;
    c = chunk_of(desc, slot);
    bump(&c->slots[slot % CNSM_CHUNK_SLOTS].calls, 1);
  }
  uint32_t i = (uint32_t)(slot % CNSM_CHUNK_SLOTS);
  uint64_t calls = CNSM_LOAD(&c->slots[i].calls);
  unsigned e = period_log2(c, i);
  uint64_t period = (uint64_t)1 << e;
  uintptr_t stack = (uintptr_t)__builtin_frame_address(0);
  /* What the next distance is drawn from: the count, which differs at
   * each of the slot's starts, and the stack.  Not the clock: a clock
   * read here cost every sampled call 10 ns on an AMD EPYC, a third of
   * what a nested frame of a deep recursion costs (bench/ tree), and the
   * code reads the clock itself for the calls it times. */
  uint64_t seed = calls * 0x9e3779b97f4a7c15u ^ stack;
  /* A frame of a recursion the probes count (its depth, raised after this
   * start) inside an open frame of its function: it is not timed, and
   * nothing else here concerns it.  The pass's code counts such a frame
   * inline (ABI 8); the rewriter's, and code of an older plugin, send
   * every frame of a deep recursion whose outermost calls are slow here,
   * so it asks the thread's open frames nothing: a frame left by a
   * longjmp is seen at the function's next outermost start, or any other
   * function's. */
  if (CNSM_LOAD(&c->depth[i]) > 0) {
    retarget(c, i, calls, e, seed);
    return weigh_nested(c, i, period);
  }
  /* Inside a timed frame of its own function this thread has open: a
   * recursion the pass does not count (through a pointer or another
   * unit). */
  int left;
  int nested = cnsm_frame_inside(&c->slots[i], stack, &left);
  if (!nested)
    cnsm_frame_start(&c->slots[i], stack);
  /* A timed call that never returned (a coroutine's yield longjmps out of
   * lua_yieldk, and of the lua_callk it crosses) left the function's
   * period where the last returning call set it, 1 after a slow first
   * call, and every later call went through here: a tenth of Lua's
   * instructions.  The period then doubles, the next distance drawn anew
   * (geometric: memoryless, so no frame's weight is cut short). */
  if (left && e < settled_period_log2() &&
      !probed(unit(), NULL, slot, cnsm_read_ticks())) {
    /* Rare: the logarithms' latency may reach into this call's interval. */
    set_period_log2(c, i, e + 1);
    schedule(c, i, calls, e + 1, seed);
  } else {
    /* Only for recursion the pass does not count: a counted one is
     * nested inside untimed frames too, where the period grown so would
     * time the next outermost frame as rarely, and grown only inside
     * timed frames it would make those faster than the untimed ones,
     * which they stand for (a recursive walk's estimate fell to a third).
     * Uncounted, nesting is seen only inside timed frames, whose stop
     * sets the period anew. */
    unsigned to = e;
    if (nested && !probed(unit(), NULL, slot, cnsm_read_ticks()))
      set_period_log2(c, i, to = nested_period_log2(e, calls));
    retarget(c, i, calls, to, seed);
  }
  if (nested)
    return weigh_nested(c, i, period);
  /* Its weight counts now, not at its stop: a timed call that never
   * returns (a longjmp out of it: each of Lua's 44,000 pcalls that raise
   * an error leaves f_call so) stands for its calls with no time, where
   * counted at the stop only the calls that returned were weighed, and
   * each stood for all (Lua's f_call: 17,000 s in a run of 0.15 s).  The
   * weight this call will carry to its stop, in its start time: the
   * period at its stop may be another (a frame of the same function
   * entered inside it, untimed, may have moved it). */
  bump(&c->slots[i].samples, period);
  return e;
}

/* A timed call's start as the instrumented code keeps it: the clock with
 * the period (log2) it was chosen at in its low bits. */
static uint64_t stamp(uint64_t ticks, uint64_t period_log2) {
  return (ticks & ~(uint64_t)CNSM_SAMPLE_WEIGHT_MASK) | period_log2;
}

/* The chunk is found again rather than passed: an argument costs every
 * instrumented function its setup in the cold path, which is compile
 * time; finding it costs only the sampled call, outside the interval.
 * The timed call weighs the period it was timed at (a function's first
 * call in a thread, period 1: itself), which its start carries. */
void cnsm_sample_stop(cnsm_unit_fn unit, uint64_t slot, uint64_t start,
                      uint64_t end) {
  unsigned e = (unsigned)(start & CNSM_SAMPLE_WEIGHT_MASK);
  if (e == CNSM_NESTED_FRAME)
    return; /* counted at its start */
  const struct cnsm_module_desc *desc = unit();
  if (cnsm_refused(desc))
    return;
  struct cnsm_chunk *c = chunk_of(desc, slot);
  struct cnsm_slot *s = &c->slots[slot % CNSM_CHUNK_SLOTS];
  uint64_t weight = (uint64_t)1 << e;
  /* The clock's low bits held the weight: the middle of what they could
   * have been, so the interval is right on average. */
  start = stamp(start, 0) + (CNSM_SAMPLE_WEIGHT_MASK + 1) / 2;
  /* A thread that moved to a CPU whose counter lags adds nothing, not
   * 2^64 ticks. */
  uint64_t elapsed = end > start ? end - start : 0;
  uint32_t i = (uint32_t)(slot % CNSM_CHUNK_SLOTS);
  cnsm_frame_stop(s, (uintptr_t)__builtin_frame_address(0));
  bump(&s->ticks, elapsed * weight);
  struct cnsm_module *m = cnsm_module_of(desc);
  struct cnsm_hist *h = cnsm_hist_of(m, (uint32_t)slot);
  if (weight == 1)
    cnsm_hist_certain(h, elapsed);
  uint64_t ns = cnsm_clock_timed_call_ns(elapsed);
  if (ns != UINT64_MAX) /* not while another thread calibrates */
    cnsm_hist_record(h, ns, weight);
  e = next_period_log2(elapsed, cnsm_hist_rate_log2(h, weight, end));
  e = at_most_calls_seen(e, CNSM_LOAD(&s->calls));
  if (probed(desc, m, slot, end))
    e = 0; /* a probe: every call timed until its end (probe.c) */
  set_period_log2(c, i, e);
  schedule(c, i, CNSM_LOAD(&s->calls), e, end);
  c->header.timed++;
}

void cnsm_sample_every_call(struct cnsm_chunk *c, uint32_t j) {
  set_period_log2(c, j, 0);
  __atomic_store_n(&c->next[j], (uint32_t)CNSM_LOAD(&c->slots[j].calls),
                   __ATOMIC_RELAXED);
}

CNSM_EXPORT uint64_t __codensm_enter(cnsm_unit_fn unit, uint64_t slot) {
  struct cnsm_chunk *c = chunk_of(unit(), slot);
  uint64_t before = bump(&c->slots[slot % CNSM_CHUNK_SLOTS].calls, 1);
  if ((uint32_t)before < CNSM_LOAD(&c->next[slot % CNSM_CHUNK_SLOTS]))
    return 0;
  uint64_t e = cnsm_sample_start(unit, slot, c);
  return stamp(cnsm_read_ticks(), e);
}

CNSM_EXPORT void __codensm_exit(cnsm_unit_fn unit, uint64_t slot,
                                uint64_t start, uint64_t is_error,
                                uint64_t error_mark) {
  /* The end first: the error's bookkeeping is not the call's time. */
  uint64_t end = start ? cnsm_read_ticks() : 0;
  if (is_error) {
    bump(&chunk_of(unit(), slot)->slots[slot % CNSM_CHUNK_SLOTS].errors, 1);
    cnsm_error_exit(unit, slot, error_mark);
  }
  if (start)
    cnsm_sample_stop(unit, slot, start, end);
}

/* A recursive function's frames in this thread. */
CNSM_EXPORT void __codensm_depth(cnsm_unit_fn unit, uint64_t slot,
                                 uint64_t delta) {
  uint16_t *depth = &chunk_of(unit(), slot)->depth[slot % CNSM_CHUNK_SLOTS];
  *depth = (uint16_t)(*depth + delta);
}

/* A call site's count of its caller->callee edge (callers.c), in the
 * thread's real chunk. */
CNSM_EXPORT void __codensm_edge(cnsm_unit_fn unit, uint64_t slot) {
  bump(&chunk_of(unit(), slot)->slots[slot % CNSM_CHUNK_SLOTS].calls, 1);
}

/* The thread's error epoch, read at the entry of a function that can
 * fail (causes.c); the pass reads __codensm_error_epoch inline instead. */
CNSM_EXPORT uint64_t __codensm_error_mark(void) {
  return __codensm_error_epoch;
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
CNSM_EXPORT void __codensm_error(cnsm_unit_fn unit, uint64_t slot,
                                 uint64_t mark) {
  cnsm_error_exit(unit, slot, mark);
}
#endif
