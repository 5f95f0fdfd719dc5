/*
 * cnsm_emul.h - what the CodeNSM pass emits, written by hand for the
 * runtime's tests.
 *
 * CNSM_EMUL_MODULE(id, "module", N) lays down, like the pass does for a
 * translation unit: a descriptor (pointing at id##_fns, which the test
 * defines first, N entries), the runtime_state pointer, an N-slot
 * thread_local block, and a constructor/destructor pair calling
 * __codensm_register/__codensm_unregister.  CNSM_ENTER / CNSM_EXIT are the
 * hot path of codensm_abi.h: exact call and error counts in this thread's
 * block, a timed sample when (calls & __codensm_sample_mask) == 0, attach
 * on the first sampled call.  Counters are written with relaxed atomic
 * loads and stores (one thread writes, the flusher reads), which compile
 * to plain moves.
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

#define CNSM_EMUL_MODULE(id, module_name, n)                                   \
  static void *id##_state;                                                     \
  static _Thread_local struct {                                                \
    uint64_t attached;                                                         \
    void *next_in_module, *next_in_thread;                                     \
    const void *module;                                                        \
    struct cnsm_slot slots[n];                                                 \
  } id##_tls;                                                                  \
  static struct cnsm_tls_block *id##_block(void) {                             \
    return (struct cnsm_tls_block *)(void *)&id##_tls;                         \
  }                                                                            \
  static const struct cnsm_module_desc id##_desc = {                           \
      CODENSM_ABI_VERSION, n, module_name, __FILE__, id##_fns, id##_block,     \
      &id##_state};                                                            \
  __attribute__((constructor)) static void id##_ctor(void) {                   \
    __codensm_register(&id##_desc);                                            \
  }                                                                            \
  __attribute__((destructor)) static void id##_dtor(void) {                    \
    __codensm_unregister(&id##_desc);                                          \
  }

/* One function_info initialiser: name, department, weight, convention. */
#define CNSM_FN(name, dept, weight)                                            \
  { name, dept, __FILE__, __LINE__, weight, CNSM_ERRORS_NONE, 0 }

/* Entry hook: returns t0 (0 when this call is not timed). */
static inline uint64_t cnsm_emul_enter(const struct cnsm_module_desc *desc,
                                       struct cnsm_tls_block *b, uint32_t i) {
  struct cnsm_slot *s = &b->slots[i];
  uint64_t old = __atomic_load_n(&s->calls, __ATOMIC_RELAXED);
  __atomic_store_n(&s->calls, old + 1, __ATOMIC_RELAXED);
  if ((old & __atomic_load_n(&__codensm_sample_mask, __ATOMIC_RELAXED)) == 0) {
    if (!__atomic_load_n(&b->attached, __ATOMIC_RELAXED))
      __codensm_attach(desc, b);
    return CNSM_EMUL_CLOCK();
  }
  return 0;
}

/* Exit hook: counts an error when error, adds the sample when t0. */
static inline void cnsm_emul_exit(struct cnsm_tls_block *b, uint32_t i,
                                  uint64_t t0, int error) {
  struct cnsm_slot *s = &b->slots[i];
  if (error)
    __atomic_store_n(&s->errors,
                     __atomic_load_n(&s->errors, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
  if (t0) {
    uint64_t t1 = CNSM_EMUL_CLOCK();
    __atomic_store_n(&s->samples,
                     __atomic_load_n(&s->samples, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&s->ticks,
                     __atomic_load_n(&s->ticks, __ATOMIC_RELAXED) + (t1 - t0),
                     __ATOMIC_RELAXED);
  }
}

#define CNSM_ENTER(id, i) cnsm_emul_enter(&id##_desc, id##_block(), (i))
#define CNSM_EXIT(id, i, t0, error) cnsm_emul_exit(id##_block(), (i), (t0), (error))

/* A module built at run time: n functions "<prefix>.f<i>", registered, with
 * one heap block attached to the calling thread.  Never freed. */
struct cnsm_emul_dyn {
  struct cnsm_module_desc desc;
  struct cnsm_tls_block *block;
  void *state;
};

static inline struct cnsm_tls_block *cnsm_emul_no_block(void) { return NULL; }

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
  m->desc.abi_version = CODENSM_ABI_VERSION;
  m->desc.function_count = n;
  m->desc.module_name = cnsm_emul_dup(prefix);
  m->desc.source_path = "dyn.c";
  m->desc.functions = fns;
  m->desc.tls_block = cnsm_emul_no_block;
  m->desc.runtime_state = &m->state;
  m->block = calloc(1, sizeof *m->block + n * sizeof(struct cnsm_slot));
  __codensm_register(&m->desc);
  __codensm_attach(&m->desc, m->block);
  return m;
}

#endif /* CNSM_EMUL_H */
