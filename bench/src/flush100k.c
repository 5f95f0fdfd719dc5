/* SPDX-License-Identifier: Apache-2.0
 *
 * flush100k.c - CPU time of one flush of 100,000 functions, and the
 * runtime's memory per function.
 *
 * It lays out what the pass would emit for MODULES translation units of
 * PER_MODULE functions each (descriptors, function infos, a
 * directory and chunks per module for this thread; see
 * include/codensm_abi.h), registers them, allocates every chunk,
 * gives every function new calls, and times codensm_flush()
 * on this thread's CPU clock (the flush runs on the calling thread).  Run
 * with CODENSM_ENDPOINT=file:///...jsonl and a long flush interval.
 *
 *   flush100k [rounds=5]
 * prints one line per flush: "flush N: X ms cpu", the first flush (which
 * creates the table and announces every function) separately, then
 * "heap_bytes_per_function=B" (malloc growth from registration and the
 * first flush, per function).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codensm.h"
#include "codensm_abi.h"

#define MODULES 100
#define PER_MODULE 1000

/* A module as the pass lays it out, with its home (directory and chunk 0)
 * a field (one thread) rather than a thread_local. */
struct fbModule {
  struct cnsm_module_desc desc; /* first: fbDirRef finds the rest */
  struct cnsm_home home;
  void *state;
};
static struct fbModule mods[MODULES];

static struct cnsm_home *fbDirRef(const struct cnsm_module_desc *d) {
  return &((struct fbModule *)(uintptr_t)d)->home;
}

/* The unit whose chunks are being allocated (a unit function takes no
 * argument). */
static int current;
static const struct cnsm_module_desc *fbUnit(void) {
  return &mods[current].desc;
}

static double fbCpuMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Heap in use: small blocks plus the mmap'ed large ones (the function
 * table, the delta list, the body buffer). */
static size_t fbHeap(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 5;
  /* Descriptors and names are the program's constant data, not the
   * runtime's heap: build them before the baseline is read. */
  for (int m = 0; m < MODULES; m++) {
    struct cnsm_function_info *fi = calloc(PER_MODULE, sizeof *fi);
    for (int f = 0; f < PER_MODULE; f++) {
      char *name = malloc(48);
      snprintf(name, 48, "bench/module%03d.function_%04d", m, f);
      fi[f] = (struct cnsm_function_info){name, "", "bench.c", 1, 1, 0, 0};
    }
    char *mod = malloc(32);
    snprintf(mod, 32, "bench/module%03d", m);
    struct cnsm_dir *empty =
        calloc(1, sizeof *empty + cnsm_chunk_count(PER_MODULE) *
                                      sizeof(struct cnsm_chunk *));
    cnsm_dir_reset(empty, PER_MODULE);
    mods[m].desc = (struct cnsm_module_desc){.abi_version = CODENSM_ABI_VERSION,
                                             .function_count = PER_MODULE,
                                             .module_name = mod,
                                             .source_path = "bench.c",
                                             .functions = fi,
                                             .dir_ref = fbDirRef,
                                             .empty_dir = empty,
                                             .runtime_state = &mods[m].state};
    mods[m].home.dir = empty;
    mods[m].home.chunk0 = &__codensm_sentinel;
  }
  size_t heap0 = fbHeap();
  for (int m = 0; m < MODULES; m++) {
    __codensm_register(&mods[m].desc);
    current = m;
    for (uint64_t k = 0; k < cnsm_chunk_count(PER_MODULE); k++)
      __codensm_chunk(fbUnit, k);
  }
  for (int r = 0; r <= rounds; r++) {
    for (int m = 0; m < MODULES; m++)
      for (int f = 0; f < PER_MODULE; f++) {
        struct cnsm_chunk *c =
            cnsm_dir_chunks(mods[m].home.dir)[f / CNSM_CHUNK_SLOTS];
        struct cnsm_slot *s = &c->slots[f % CNSM_CHUNK_SLOTS];
        s->calls += 1000 + f;
        s->errors += f % 7;
        s->samples += 16;
        s->ticks += 16 * 3000;
      }
    double t0 = fbCpuMs();
    int rc = codensm_flush();
    double ms = fbCpuMs() - t0;
    printf("flush %d: %.2f ms cpu rc=%d%s\n", r, ms, rc,
           r == 0 ? " (first: builds the table, announces every function)"
                  : "");
    if (r == 0)
      printf("heap_bytes_per_function=%.1f\n",
             (double)(fbHeap() - heap0) / (MODULES * PER_MODULE));
  }
  return 0;
}
