/* SPDX-License-Identifier: Apache-2.0
 *
 * codensm_abi.h - the contract between the CodeNSM pass and libcodensm, in
 * C: codensm_abi.inc's rows expanded into constants, structs and the
 * runtime's entry points.  The pass expands the same rows into LLVM types
 * (plugin/Abi.h); tests/abi checks that the two layouts agree.
 *
 * Per translation unit the pass emits:
 *
 *   - an internal constant cnsm_module_desc pointing at an array of
 *     cnsm_function_info (one per instrumented function; index = slot,
 *     fixed at compile time);
 *   - an internal constant empty directory: a cnsm_dir header and one
 *     pointer to the runtime's sentinel chunk per CNSM_CHUNK_SLOTS
 *     functions;
 *   - an internal thread_local home (cnsm_home: the directory, initially
 *     the empty one, and its chunk 0, initially the sentinel), and an
 *     accessor returning its address (dir_ref);
 *   - a function __codensm_unit returning &desc, by which the hooks name
 *     the unit to the runtime;
 *   - a constructor calling __codensm_register(&desc) and a destructor
 *     calling __codensm_unregister(&desc).
 *
 * Static TLS grows by those two pointers per translation unit, whatever the
 * number of functions; a thread's counters live in chunks the runtime
 * allocates on the thread's first call of one of the chunk's functions,
 * so its memory follows the functions it calls.
 *
 * The hooks reach the optimiser as two calls,
 *
 *   entry:  t0 = __codensm_enter(unit, slot)
 *           mark = __codensm_error_mark()     // functions that can fail
 *   exit:   __codensm_exit(unit, slot, t0, is_error, mark)
 *
 * which inlining copies with their function, and after the optimiser the
 * pass makes them the inline hot path (k = slot / CNSM_CHUNK_SLOTS,
 * j = slot % CNSM_CHUNK_SLOTS, both constants):
 *
 *   entry:  chunk = k ? cnsm_dir_chunks(home.dir)[k]  // never NULL
 *                     : home.chunk0;
 *           old = chunk->slots[j].calls; chunk->slots[j].calls += 1
 *               (one non-locked xadd on x86-64, so a signal handler on
 *               the same thread cannot lose a count; atomic elsewhere)
 *           t0 = (uint32_t)old >= chunk->next[j]                  // rare
 *                ? (e = __codensm_sample_start(unit, slot, chunk),
 *                   (clock() & ~SAMPLE_WEIGHT_MASK) | e) : 0;
 *           mark = __codensm_error_epoch      // thread_local, initial-exec
 *
 * A thread's first call of a chunk's functions finds the sentinel chunk
 * (targets 0), so it always takes the sampled path, where the runtime
 * allocates the thread's chunk and moves the call's count into it.
 *   exit:   if (is_error) { chunk->slots[j].errors += 1;
 *                           __codensm_error(unit, slot, mark); }  // rare
 *           if (t0) __codensm_sample_stop(unit, slot, t0, clock());
 *
 * (the clock read inline on every call under -codensm-timing=every).
 * Counters are written only by their own thread; other threads (the
 * flusher) read them with relaxed 8-byte loads.
 */
#ifndef CODENSM_ABI_H
#define CODENSM_ABI_H

#include <stdint.h>

struct cnsm_module_desc;
struct cnsm_edge_info;
struct cnsm_function_info;
struct cnsm_dir;
struct cnsm_chunk;
struct cnsm_home;
typedef struct cnsm_home *(*cnsm_dir_ref_fn)(const struct cnsm_module_desc *);
/* A unit's function returning its descriptor: how instrumented code names
 * its unit to the runtime (see the entry points in codensm_abi.inc). */
typedef const struct cnsm_module_desc *(*cnsm_unit_fn)(void);

#define CNSM_ABI_CONST(Name, Value) CNSM_##Name = Value,
enum cnsm_abi_constant {
#include "codensm_abi.inc"
};
#define CODENSM_ABI_VERSION ((uint32_t)CNSM_ABI_VERSION)

#define CNSM_ABI_ERRORS(Name, Value, Spelling) CNSM_ERRORS_##Name = Value,
enum cnsm_error_convention {
#include "codensm_abi.inc"
};

#define CNSM_ABI_FLAG(Name, Value) CNSM_FN_##Name = Value,
enum cnsm_function_flag {
#include "codensm_abi.inc"
};

/* edge_info's and home's fields, until their own structs below. */
#define CNSM_FIELD_edge_info(CType, Name)
#define CNSM_FIELD_home(CType, Name)
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_slot(CType, Name) CType Name;
#define CNSM_FIELD_function_info(CType, Name)
#define CNSM_FIELD_module_desc(CType, Name)
#define CNSM_FIELD_dir(CType, Name)
#define CNSM_FIELD_chunk_header(CType, Name)
/* One function's counters in one thread. */
struct cnsm_slot {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_slot
#undef CNSM_FIELD_function_info
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_slot(CType, Name)
#define CNSM_FIELD_function_info(CType, Name) CType Name;
/* What the runtime knows about one instrumented function. */
struct cnsm_function_info {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_function_info
#undef CNSM_FIELD_module_desc
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_function_info(CType, Name)
#define CNSM_FIELD_module_desc(CType, Name) CType Name;
/* One instrumented translation unit. */
struct cnsm_module_desc {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_module_desc
#undef CNSM_FIELD_dir
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_module_desc(CType, Name)
#define CNSM_FIELD_dir(CType, Name) CType Name;
#define CNSM_FIELD_chunk_header(CType, Name)
/* A thread's directory of one module's chunks; chunk pointers follow. */
struct cnsm_dir {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_dir
#undef CNSM_FIELD_chunk_header
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_dir(CType, Name)
#define CNSM_FIELD_chunk_header(CType, Name) CType Name;
/* The header of a chunk. */
struct cnsm_chunk_header {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_slot
#undef CNSM_FIELD_function_info
#undef CNSM_FIELD_module_desc
#undef CNSM_FIELD_dir
#undef CNSM_FIELD_chunk_header
#undef CNSM_FIELD_edge_info
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_slot(CType, Name)
#define CNSM_FIELD_function_info(CType, Name)
#define CNSM_FIELD_module_desc(CType, Name)
#define CNSM_FIELD_dir(CType, Name)
#define CNSM_FIELD_chunk_header(CType, Name)
#define CNSM_FIELD_edge_info(CType, Name) CType Name;
/* One caller->callee edge of a unit. */
struct cnsm_edge_info {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_edge_info
#undef CNSM_FIELD_home
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  CNSM_FIELD_##Struct(CType, Name)
#define CNSM_FIELD_edge_info(CType, Name)
#define CNSM_FIELD_home(CType, Name) CType Name;
/* A unit's thread_local: this thread's directory and chunk 0. */
struct cnsm_home {
#include "codensm_abi.inc"
};
#undef CNSM_FIELD_slot
#undef CNSM_FIELD_function_info
#undef CNSM_FIELD_module_desc
#undef CNSM_FIELD_dir
#undef CNSM_FIELD_chunk_header
#undef CNSM_FIELD_edge_info
#undef CNSM_FIELD_home

/* The slots a unit's chunks hold: its functions', then its edges'. */
#define CNSM_SLOT_COUNT(desc) ((desc)->function_count + (desc)->edge_count)

/* The slots of CNSM_CHUNK_SLOTS functions of one module in one thread.
 * next[i] is slot i's target: a call whose count before, in its low 32
 * bits, is >= it is timed (__codensm_sample_start); after each timed call
 * the runtime sets the next target a random distance on, the mean
 * distance its sampling policy chose for that function.  0 in a new
 * chunk, so a function's first call in a thread is timed; 0 in the
 * sentinel, so every call reaching it takes the sampled path, where the
 * thread's own chunk is made.  32 bits halve what the targets cost a
 * thread; where the count's low bits wrap past a target that wrapped
 * first, a few calls in 2^32 are timed early, never none. */
struct cnsm_chunk {
  struct cnsm_chunk_header header;
  struct cnsm_slot slots[CNSM_CHUNK_SLOTS];
  uint32_t next[CNSM_CHUNK_SLOTS];
  /* Frames of slot i's function live in this thread, counted only for a
   * recursive function (CNSM_FN_RECURSIVE); 16 bits, wrapping past
   * 65,535 frames. */
  uint16_t depth[CNSM_CHUNK_SLOTS];
};

/* The chunk pointers that follow a directory's header.  (__inline__: the
 * header also reaches C89 units, through codensm-rewrite's output.) */
static __inline__ struct cnsm_chunk **
cnsm_dir_chunks(const struct cnsm_dir *d) {
  return (struct cnsm_chunk **)(void *)((char *)(uintptr_t)d + sizeof *d);
}
/* Chunks a module of n functions has. */
static __inline__ uint32_t cnsm_chunk_count(uint32_t n) {
  return (n + CNSM_CHUNK_SLOTS - 1) / CNSM_CHUNK_SLOTS;
}

/* Entry points the instrumented code calls.  Exported by libcodensm. */
#ifdef __cplusplus
extern "C" {
#endif
#define CNSM_KIND_VOID void
#define CNSM_KIND_I64 uint64_t
#define CNSM_KIND_PTR void *
#define CNSM_KIND_DESC const struct cnsm_module_desc *
#define CNSM_KIND_UNIT cnsm_unit_fn
#define CNSM_ARGS_1(a) (CNSM_KIND_##a)
#define CNSM_ARGS_2(a, b) (CNSM_KIND_##a, CNSM_KIND_##b)
#define CNSM_ARGS_3(a, b, c) (CNSM_KIND_##a, CNSM_KIND_##b, CNSM_KIND_##c)
#define CNSM_ARGS_4(a, b, c, d)                                                \
  (CNSM_KIND_##a, CNSM_KIND_##b, CNSM_KIND_##c, CNSM_KIND_##d)
#define CNSM_ARGS_5(a, b, c, d, e)                                             \
  (CNSM_KIND_##a, CNSM_KIND_##b, CNSM_KIND_##c, CNSM_KIND_##d, CNSM_KIND_##e)
#define CNSM_ARGS_N(_1, _2, _3, _4, _5, N, ...) CNSM_ARGS_##N
#define CNSM_ARGS_PICK(...) CNSM_ARGS_N(__VA_ARGS__, 5, 4, 3, 2, 1, )
#define CNSM_ARGS(...) CNSM_ARGS_PICK(__VA_ARGS__)(__VA_ARGS__)
/* None of them throws: told to a C++ compiler (codensm-rewrite's output
 * calls them from every instrumented function), so that a probe's rare
 * calls need no exception region, no landing pad and no terminate handler
 * in the guard's destructor, which made GCC's instrumented functions too
 * big to inline. */
#define CNSM_ABI_ENTRY(Ret, Name, Args)                                        \
  CNSM_KIND_##Ret Name CNSM_ARGS Args __attribute__((__nothrow__));
#include "codensm_abi.inc"
#undef CNSM_ARGS
/* CODENSM_SAMPLE_PERIOD minus 1, which a new chunk's header starts with
 * (the runtime's; instrumented code does not read it). */
extern uint64_t __codensm_sample_mask;
/* The chunk every empty directory points at (mask 0, real 0). */
extern struct cnsm_chunk __codensm_sentinel;
/* What the runtime measured a probe to cost, in ticks (0 until it has,
 * before the process's first timed call): the ticks a nested frame of a
 * recursive function adds to its slot beside a sample of weight 1, which
 * the estimate takes off again (ABI 8). */
extern uint64_t __codensm_probe_ticks;

/* Points every chunk of directory d (of a module of n functions) at the
 * sentinel: a new directory, or one laid out by hand as the pass does. */
static __inline__ void cnsm_dir_reset(struct cnsm_dir *d, uint32_t n) {
  uint32_t k;
  for (k = 0; k < cnsm_chunk_count(n); k++)
    cnsm_dir_chunks(d)[k] = &__codensm_sentinel;
}
#ifdef __cplusplus
}
#endif

#endif /* CODENSM_ABI_H */
