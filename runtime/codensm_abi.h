/*
 * codensm_abi.h - the contract between the CodeNSM pass and libcodensm.
 *
 * The pass (plugin/CodeNSM.cpp) lays these structures out in LLVM IR for
 * every instrumented translation unit; the runtime reads them.  Any change
 * to a layout here must bump CODENSM_ABI_VERSION and be mirrored in
 * plugin/CodeNSM.cpp (tables) and plugin/HotPath.cpp (hot path).
 *
 * Per translation unit the pass emits:
 *
 *   - one `internal constant` struct cnsm_module_desc, pointing at an
 *     array of struct cnsm_function_info (one per instrumented function,
 *     index = the slot index fixed at compile time);
 *   - one `internal global` pointer initialised to NULL, the descriptor's
 *     runtime_state, which the runtime owns;
 *   - one `internal thread_local` struct cnsm_tls_block with
 *     function_count slots: each thread counts into its own copy, so the
 *     hot path touches no shared cache line and takes no lock;
 *   - a constructor calling __codensm_register(&desc) and a destructor
 *     calling __codensm_unregister(&desc).
 *
 * The hooks reach the optimiser as two calls,
 *
 *   entry:  t0 = __codensm_enter(&desc, slot index)
 *   exit:   if (error convention holds or exit is an unwind) slot.errors += 1
 *           __codensm_exit(&desc, slot index, t0)
 *
 * which inlining copies with their function, and after the optimiser the
 * pass makes them the inline hot path:
 *
 *   entry:  old = slot.calls; slot.calls += 1 (one non-locked xadd on
 *           x86-64, so a signal handler on the same thread cannot lose a
 *           count; an atomic fetch-add elsewhere)
 *           t0 = (old & __codensm_sample_mask) == 0          // rare
 *                ? __codensm_sample_start(&desc) : 0;
 *   exit:   if (t0) __codensm_sample_stop(&desc, slot index, t0);
 *
 *   sample_start: block = desc.tls_block();
 *                 if (!block.attached) __codensm_attach(&desc, &block);
 *                 return clock();   // rdtsc on x86-64, else __codensm_clock()
 *   sample_stop:  now = clock(); slot = desc.tls_block()->slots[slot index];
 *                 slot.samples += 1; slot.ticks += max(now - t0, 0);
 *
 * (all inline, the clock read on every call, under -codensm-timing=every).
 * __codensm_enter/__codensm_exit have the same effect as ordinary calls,
 * for pipelines that never run the expansion.
 *
 * Since every TLS block starts zeroed, the first call of each function in
 * each thread is always sampled, so every thread that touches a module
 * attaches its block before the flusher could miss it.  Counters are only
 * written by their own thread; other threads (the flusher) read them with
 * relaxed 8-byte loads.
 */
#ifndef CODENSM_ABI_H
#define CODENSM_ABI_H

#include <stdint.h>

#define CODENSM_ABI_VERSION 1u

/* Return-value conventions that make a normal return an error. */
enum cnsm_error_convention {
  CNSM_ERRORS_NONE = 0,
  CNSM_ERRORS_NEGATIVE = 1, /* integer or floating value < 0 */
  CNSM_ERRORS_NONZERO = 2,  /* value != 0 */
  CNSM_ERRORS_ZERO = 3,     /* value == 0 */
  CNSM_ERRORS_NULL = 4,     /* pointer == NULL */
  CNSM_ERRORS_FALSE = 5     /* bool/_Bool == false */
};

/* Bits of cnsm_function_info.flags. */
#define CNSM_FN_ODR 0x1u      /* linkonce/weak: may exist in several modules */
#define CNSM_FN_UNTIMED 0x2u  /* the pass placed no clock reads (e.g. setjmp) */

/* One function's counters in one thread.  All monotonic. */
struct cnsm_slot {
  uint64_t calls;   /* exact number of entries */
  uint64_t errors;  /* exact number of error exits */
  uint64_t samples; /* number of timed calls */
  uint64_t ticks;   /* clock ticks summed over the timed calls */
};

struct cnsm_module_desc;

/* A module's per-thread counters: an internal thread_local in each module. */
struct cnsm_tls_block {
  uint64_t attached; /* 0 until __codensm_attach linked this block */
  struct cnsm_tls_block *next_in_module; /* runtime-owned links */
  struct cnsm_tls_block *next_in_thread;
  const struct cnsm_module_desc *module;
  struct cnsm_slot slots[]; /* function_count entries */
};

/* What the runtime needs to know about one instrumented function. */
struct cnsm_function_info {
  const char *name;       /* "<module>.<qualified function name>" */
  const char *department; /* never NULL; "" when none */
  const char *file;       /* source file as compiled */
  uint32_t line;          /* 0 when unknown (no debug info) */
  uint32_t weight;        /* value weight, default 1 */
  uint32_t error_convention; /* enum cnsm_error_convention */
  uint32_t flags;            /* CNSM_FN_* */
};

/* One instrumented translation unit. */
struct cnsm_module_desc {
  uint32_t abi_version;    /* CODENSM_ABI_VERSION */
  uint32_t function_count; /* slots in the TLS block */
  const char *module_name; /* e.g. "src/checkout" */
  const char *source_path; /* Module::getSourceFileName() */
  const struct cnsm_function_info *functions;
  struct cnsm_tls_block *(*tls_block)(void); /* this thread's block */
  void **runtime_state;    /* internal global, NULL until registered */
};

/* Entry points the instrumented code calls.  Exported by libcodensm. */
#ifdef __cplusplus
extern "C" {
#endif
void __codensm_register(const struct cnsm_module_desc *desc);
void __codensm_unregister(const struct cnsm_module_desc *desc);
void __codensm_attach(const struct cnsm_module_desc *desc,
                      struct cnsm_tls_block *block);
uint64_t __codensm_clock(void);
uint64_t __codensm_sample_start(const struct cnsm_module_desc *desc);
void __codensm_sample_stop(const struct cnsm_module_desc *desc, uint64_t slot,
                           uint64_t start);
uint64_t __codensm_enter(const struct cnsm_module_desc *desc, uint64_t slot);
void __codensm_exit(const struct cnsm_module_desc *desc, uint64_t slot,
                    uint64_t start);
/* Time a call when (calls & mask) == 0: 63 samples 1 call in 64 per
 * function and thread, 0 times every call. */
extern uint64_t __codensm_sample_mask;
#ifdef __cplusplus
}
#endif

#endif /* CODENSM_ABI_H */
