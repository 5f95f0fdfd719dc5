/* SPDX-License-Identifier: Apache-2.0
 *
 * cnsm_emul.h - what the CodeNSM pass emits, written by hand for the
 * runtime's tests.
 *
 * CNSM_EMUL_MODULE(id, "module", N) lays down, like the pass does for a
 * translation unit: a descriptor (pointing at id##_fns, which the test
 * defines first, N entries), the runtime_state pointer, a constant empty
 * directory, a thread_local home (the directory, starting at the empty
 * one, and chunk 0, starting at the sentinel) with its accessor, and a
 * constructor/destructor pair calling
 * __codensm_register/__codensm_unregister.  CNSM_ENTER / CNSM_EXIT are the
 * hot path of codensm_abi.h: the thread's chunk of the slot (the runtime
 * allocates it on first use), exact call and error counts in it, a timed
 * sample when the count before reaches the slot's target (next[]).  Counters
 * are written with relaxed atomic loads and stores (one thread writes, the
 * flusher reads), which compile to plain moves.
 *
 * cnsm_emul_dynamic_module() builds a module at run time (names
 * "<prefix>.f<i>"), for tests and benches that need thousands of
 * functions.
 */
#ifndef CNSM_EMUL_H
#define CNSM_EMUL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codensm_abi.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define CNSM_EMUL_CLOCK() __rdtsc()
#else
#define CNSM_EMUL_CLOCK() __codensm_clock()
#endif

/* A test of a unit built for another ABI defines this first. */
#ifndef CNSM_EMUL_ABI_VERSION
#define CNSM_EMUL_ABI_VERSION CODENSM_ABI_VERSION
#endif

#define CNSM_EMUL_MODULE(id, mod_name, n)                                      \
  static void *id##_state;                                                     \
  static struct {                                                              \
    struct cnsm_dir header;                                                    \
    struct cnsm_chunk                                                          \
        *chunks[((n) + CNSM_CHUNK_SLOTS - 1) / CNSM_CHUNK_SLOTS];              \
  } id##_empty;                                                                \
  static _Thread_local struct cnsm_home id##_home = {                          \
      (struct cnsm_dir *)&id##_empty.header, &__codensm_sentinel};             \
  static struct cnsm_home *id##_dir_ref(const struct cnsm_module_desc *d) {    \
    (void)d;                                                                   \
    return &id##_home;                                                         \
  }                                                                            \
  static const struct cnsm_module_desc id##_desc;                              \
  static const struct cnsm_module_desc *id##_unit(void) { return &id##_desc; } \
  static const struct cnsm_module_desc id##_desc = {                           \
      .abi_version = CNSM_EMUL_ABI_VERSION,                                    \
      .function_count = n,                                                     \
      .module_name = mod_name,                                                 \
      .source_path = __FILE__,                                                 \
      .functions = id##_fns,                                                   \
      .dir_ref = id##_dir_ref,                                                 \
      .empty_dir = &id##_empty.header,                                         \
      .runtime_state = &id##_state};                                           \
  __attribute__((constructor)) static void id##_ctor(void) {                   \
    cnsm_dir_reset(&id##_empty.header, n);                                     \
    __codensm_register(&id##_desc);                                            \
  }                                                                            \
  __attribute__((destructor)) static void id##_dtor(void) {                    \
    __codensm_unregister(&id##_desc);                                          \
  }

/* One function_info initialiser: name, department, weight, convention. */
#define CNSM_FN(name, dept, weight)                                            \
  { name, dept, __FILE__, __LINE__, weight, CNSM_ERRORS_NONE, 0, 0 }

/* This thread's chunk of slot i of the unit, as the inline hot path finds
 * it: the home's chunk 0, or the chunk pointer of the thread's directory,
 * or the runtime's first use. */
static inline struct cnsm_chunk *cnsm_emul_chunk(cnsm_unit_fn unit,
                                                 uint32_t i) {
  const struct cnsm_module_desc *desc = unit();
  struct cnsm_home *home = desc->dir_ref(desc);
  struct cnsm_chunk *c = i < CNSM_CHUNK_SLOTS
                             ? home->chunk0
                             : cnsm_dir_chunks(home->dir)[i / CNSM_CHUNK_SLOTS];
  if (!c->header.real)
    c = (struct cnsm_chunk *)__codensm_chunk(unit, i / CNSM_CHUNK_SLOTS);
  return c;
}

/* This thread's slot i of the unit. */
static inline struct cnsm_slot *cnsm_emul_slot(cnsm_unit_fn unit, uint32_t i) {
  return &cnsm_emul_chunk(unit, i)->slots[i % CNSM_CHUNK_SLOTS];
}

/* Adds one to a counter only this thread writes (relaxed: plain moves). */
static inline uint64_t cnsm_emul_bump(uint64_t *counter, uint64_t amount) {
  uint64_t old = __atomic_load_n(counter, __ATOMIC_RELAXED);
  __atomic_store_n(counter, old + amount, __ATOMIC_RELAXED);
  return old;
}

/* Entry hook: returns t0 (0 when this call is not timed).  The sampled
 * call goes through the runtime's rare entry points, as the pass's does:
 * the test of the chunk's mask, the start and the stop are the runtime's
 * sampling policy. */
static inline uint64_t cnsm_emul_enter(cnsm_unit_fn unit, uint32_t i) {
  struct cnsm_chunk *c = cnsm_emul_chunk(unit, i);
  uint64_t old = cnsm_emul_bump(&c->slots[i % CNSM_CHUNK_SLOTS].calls, 1);
  if ((uint32_t)old >=
      __atomic_load_n(&c->next[i % CNSM_CHUNK_SLOTS], __ATOMIC_RELAXED)) {
    uint64_t e = __codensm_sample_start(unit, i, c);
    /* around the body, as the pass reads it, with the period the call
     * was chosen at (its weight) in the low bits */
    return (__codensm_clock() & ~(uint64_t)CNSM_SAMPLE_WEIGHT_MASK) | e;
  }
  return 0;
}

/* Exit hook: counts an error when error, closes the sample when t0. */
static inline void cnsm_emul_exit(cnsm_unit_fn unit, uint32_t i, uint64_t t0,
                                  int error) {
  struct cnsm_slot *s = cnsm_emul_slot(unit, i);
  if (error)
    __atomic_store_n(&s->errors,
                     __atomic_load_n(&s->errors, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELEASE);
  if (t0)
    __codensm_sample_stop(unit, i, t0, __codensm_clock());
}

#define CNSM_ENTER(id, i) cnsm_emul_enter(id##_unit, (i))
#define CNSM_EXIT(id, i, t0, error)                                            \
  cnsm_emul_exit(id##_unit, (i), (t0), (error))

/* A module built at run time: n functions "<prefix>.f<i>", registered.
 * Its home is a field, not thread_local: use it from one
 * thread.  Never freed. */
struct cnsm_emul_dyn {
  struct cnsm_module_desc desc; /* first: dir_ref finds the rest from it */
  struct cnsm_home home;
  void *state;
};

static inline struct cnsm_home *
cnsm_emul_dyn_ref(const struct cnsm_module_desc *d) {
  return &((struct cnsm_emul_dyn *)(uintptr_t)d)->home;
}

/* strdup, which strict C11 does not declare. */
static inline char *cnsm_emul_dup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  return p ? memcpy(p, s, n) : NULL;
}

static inline struct cnsm_emul_dyn *cnsm_emul_dynamic_module(const char *prefix,
                                                             uint32_t n) {
  struct cnsm_emul_dyn *m = calloc(1, sizeof *m);
  struct cnsm_function_info *fns = calloc(n, sizeof *fns);
  for (uint32_t i = 0; i < n; i++) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s.f%u", prefix, i);
    fns[i].name = cnsm_emul_dup(buf);
    fns[i].department = "bench";
    fns[i].file = "dyn.c";
    fns[i].weight = 1;
  }
  struct cnsm_dir *empty = calloc(
      1, sizeof *empty + cnsm_chunk_count(n) * sizeof(struct cnsm_chunk *));
  cnsm_dir_reset(empty, n);
  m->desc.abi_version = CODENSM_ABI_VERSION;
  m->desc.function_count = n;
  m->desc.module_name = cnsm_emul_dup(prefix);
  m->desc.source_path = "dyn.c";
  m->desc.functions = fns;
  m->desc.dir_ref = cnsm_emul_dyn_ref;
  m->desc.empty_dir = empty;
  m->desc.runtime_state = &m->state;
  m->home.dir = empty;
  m->home.chunk0 = &__codensm_sentinel;
  __codensm_register(&m->desc);
  return m;
}

/* The dynamic module cnsm_emul_dyn_slot is working on: a unit function
 * must take no argument, and dynamic modules have none of their own. */
static _Thread_local const struct cnsm_module_desc *cnsm_emul_dyn_current;
static inline const struct cnsm_module_desc *cnsm_emul_dyn_unit(void) {
  return cnsm_emul_dyn_current;
}

/* Slot i of a dynamic module, in the calling thread. */
static inline struct cnsm_slot *cnsm_emul_dyn_slot(struct cnsm_emul_dyn *m,
                                                   uint32_t i) {
  cnsm_emul_dyn_current = &m->desc;
  return cnsm_emul_slot(cnsm_emul_dyn_unit, i);
}

#endif /* CNSM_EMUL_H */
