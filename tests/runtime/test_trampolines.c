/* SPDX-License-Identifier: Apache-2.0
 *
 * test_trampolines.c - the runtime's rare entry points keep the registers
 * preserve_most promises (x86-64 only: trampolines_x86_64.S).
 *
 * The pass calls __codensm_sample_start, __codensm_sample_stop and
 * __codensm_chunk with LLVM's preserve_most convention, so the caller may
 * keep values in rcx, rdx, rsi, rdi, r8-r10 (and rax across the void
 * sample_stop) across the call.  Each call here loads known values into
 * those registers, calls the entry point with its real arguments, and
 * checks every register came back unchanged; a trampoline that forgot one
 * (sample_stop once lost rax, which changed an instrumented program's
 * output) fails here by name.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "cnsm_emul.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("tramp.f", "core", 1),
};
CNSM_EMUL_MODULE(mod, "tramp", 1)

static const char *const names[] = {"rax", "rcx", "rdx", "rsi",
                                    "rdi", "r8",  "r9",  "r10"};

/* Calls fn(unit, a1, a2) with preserve_most's registers set to markers;
 * after[] gets them back (after[0], rax, only for a void callee). */
static void call_keeping(void *fn, uint64_t a1, uint64_t a2,
                         uint64_t after[8]) {
  uint64_t unit = (uint64_t)(uintptr_t)mod_unit;
  __asm__ volatile("movq %[fn], %%r11\n\t"
                   "movq %[unit], %%rdi\n\t"
                   "movq %[a1], %%rsi\n\t"
                   "movq %[a2], %%rdx\n\t"
                   "movq $0x1111, %%rax\n\t"
                   "movq $0x2222, %%rcx\n\t"
                   "movq $0x5555, %%r8\n\t"
                   "movq $0x6666, %%r9\n\t"
                   "movq $0x7777, %%r10\n\t"
                   "pushq %%rbx\n\t" /* keep the stack 16-byte aligned */
                   "callq *%%r11\n\t"
                   "popq %%rbx\n\t"
                   "movq %%rax, 0(%[out])\n\t"
                   "movq %%rcx, 8(%[out])\n\t"
                   "movq %%rdx, 16(%[out])\n\t"
                   "movq %%rsi, 24(%[out])\n\t"
                   "movq %%rdi, 32(%[out])\n\t"
                   "movq %%r8, 40(%[out])\n\t"
                   "movq %%r9, 48(%[out])\n\t"
                   "movq %%r10, 56(%[out])\n\t"
                   :
                   : [fn] "m"(fn), [unit] "m"(unit), [a1] "m"(a1), [a2] "m"(a2),
                     [out] "b"(after)
                   : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
                     "r11", "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3",
                     "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                     "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* Checks the registers a call must keep; first = 0 when rax counts. */
static void expect_kept(const char *what, const uint64_t after[8], uint64_t a1,
                        uint64_t a2, int first) {
  uint64_t want[8] = {0x1111, 0x2222, a2,    a1, (uint64_t)(uintptr_t)mod_unit,
                      0x5555, 0x6666, 0x7777};
  for (int i = first; i < 8; i++)
    if (after[i] != want[i]) {
      fprintf(stderr, "%s: %s changed: %#llx, was %#llx\n", what, names[i],
              (unsigned long long)after[i], (unsigned long long)want[i]);
      CHECK(0);
    }
}

int main(void) {
  uint64_t after[8];
  /* sample_start counted in the sentinel: allocates, moves the count. */
  call_keeping((void *)__codensm_sample_start, 0,
               (uint64_t)(uintptr_t)&__codensm_sentinel, after);
  expect_kept("__codensm_sample_start", after, 0,
              (uint64_t)(uintptr_t)&__codensm_sentinel, 1);
  CHECK_EQ(after[0], 0); /* the period (log2) of a first call: 1 */
  CHECK_EQ(cnsm_emul_slot(mod_unit, 0)->calls, 1);

  /* A start time whose low bits say period 1. */
  call_keeping((void *)__codensm_sample_stop, 0, 12352, after);
  expect_kept("__codensm_sample_stop", after, 0, 12352, 0);
  /* One timed call, the function's first: it stands for itself. */
  CHECK_EQ(cnsm_emul_slot(mod_unit, 0)->samples, 1);

  call_keeping((void *)__codensm_chunk, 0, 0, after);
  expect_kept("__codensm_chunk", after, 0, 0, 1);
  CHECK(after[0] == (uint64_t)(uintptr_t)cnsm_dir_chunks(mod_home.dir)[0]);
  /* The home's own chunk 0 is the directory's, which the hot path reads. */
  CHECK(after[0] == (uint64_t)(uintptr_t)mod_home.chunk0);
  TEST_DONE();
}
