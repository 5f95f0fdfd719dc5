/* SPDX-License-Identifier: Apache-2.0
 *
 * hook_xray.c - the LLVM XRay peer: a handler that counts and times every
 * call per function id, installed with __xray_set_handler and patched in
 * with __xray_patch() before the workload runs.
 *
 * Function ids are small and dense, so the table is a per-thread array
 * indexed by id, with a per-thread stack of entry times: no atomics.  The
 * C++ declarations of xray_interface.h are extern "C" with an int-sized
 * enum, declared here in C.
 */
#include <stdint.h>
#include <x86intrin.h>

enum { XRAY_ENTRY = 0, XRAY_EXIT = 1, XRAY_TAIL = 2 };
int __xray_set_handler(void (*entry)(int32_t, int));
int __xray_patch(void);

#ifndef XH_FUNCS /* a power of two; bench/real asks for more */
#define XH_FUNCS 4096u
#endif
#define XH_DEPTH 4096u

static __thread struct { uint64_t calls, ticks; } xhTable[XH_FUNCS];
static __thread uint64_t xhStack[XH_DEPTH];
static __thread unsigned xhDepth;

static void xhHandler(int32_t id, int type) {
  if (type == XRAY_ENTRY) {
    xhStack[xhDepth++ & (XH_DEPTH - 1)] = __rdtsc();
    return;
  }
  uint64_t now = __rdtsc();
  uint64_t start = xhStack[--xhDepth & (XH_DEPTH - 1)];
  xhTable[(uint32_t)id & (XH_FUNCS - 1)].calls++;
  xhTable[(uint32_t)id & (XH_FUNCS - 1)].ticks += now - start;
}

void bench_variant_init(void) {
  __xray_set_handler(xhHandler);
  __xray_patch();
}
