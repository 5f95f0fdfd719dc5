/* SPDX-License-Identifier: Apache-2.0
 *
 * hook_cyg.c - the -finstrument-functions peer: count and time every call
 * per function address, as fast as we can write it.
 *
 * Each thread owns an open-addressing table keyed by function address
 * (Fibonacci hashing, linear probing, 4096 entries) and a stack of entry
 * times: no atomics, no shared cache line.  Entry pushes rdtsc; exit reads
 * rdtsc, pops, finds the function's entry (one probe in practice) and adds
 * one call and the elapsed ticks.  Compiled without -finstrument-functions.
 */
#include <stdint.h>
#include <x86intrin.h>

/* Real workloads (bench/real) call more functions than a table of 4096. */
#ifndef HOOK_BITS
#define HOOK_BITS 12
#endif
#define HOOK_SIZE (1u << HOOK_BITS)
#define HOOK_DEPTH 4096u

struct hookEntry {
  void *fn;
  uint64_t calls, ticks;
};

static __thread struct hookEntry hookTable[HOOK_SIZE];
static __thread uint64_t hookStack[HOOK_DEPTH];
static __thread unsigned hookDepth;

void __cyg_profile_func_enter(void *fn, void *site) {
  (void)fn;
  (void)site;
  hookStack[hookDepth++ & (HOOK_DEPTH - 1)] = __rdtsc();
}

void __cyg_profile_func_exit(void *fn, void *site) {
  (void)site;
  uint64_t now = __rdtsc();
  uint64_t start = hookStack[--hookDepth & (HOOK_DEPTH - 1)];
  uint32_t h =
      (uint32_t)(((uintptr_t)fn * 0x9E3779B97F4A7C15ull) >> (64 - HOOK_BITS));
  while (hookTable[h].fn != fn) {
    if (!hookTable[h].fn) {
      hookTable[h].fn = fn;
      break;
    }
    h = (h + 1) & (HOOK_SIZE - 1);
  }
  hookTable[h].calls++;
  hookTable[h].ticks += now - start;
}
