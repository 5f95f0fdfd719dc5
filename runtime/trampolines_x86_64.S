/* SPDX-License-Identifier: Apache-2.0
 *
 * trampolines_x86_64.S - the runtime's rare entry points as the hot path
 * calls them on x86-64: with LLVM's preserve_most convention.
 *
 * The inline hot path calls the runtime only on a sampled call (1 in 64)
 * or a thread's first call of a chunk.  With the C convention those cold
 * calls clobber rcx, rdx, rsi, rdi and r8-r11, so even a tiny leaf
 * function needed callee-saved registers and pushed and popped them on
 * every call: in Redis, most instrumented functions gained a frame.  With
 * preserve_most the caller may keep values in every register but r11
 * across the call; these trampolines keep that promise by saving rcx,
 * rdx, rsi, rdi and r8-r10 around the C implementation (rbx, rbp and
 * r12-r15 the C convention keeps anyway; r11 and the vector registers
 * preserve_most lets the callee clobber); rax too, for sample_stop, which
 * returns nothing, so rax is one more register the caller keeps.  The
 * pass declares the entry
 * points preserve_most and calls them through the GOT (nonlazybind), so
 * no lazy-binding resolver runs between the call and this code.
 */
	.text

/* SAVE / RESTORE: the argument registers and r10, which preserve_most
 * keeps and the C convention does not. */
#define SAVE                                                                   \
	pushq %rcx; .cfi_adjust_cfa_offset 8;                                  \
	pushq %rdx; .cfi_adjust_cfa_offset 8;                                  \
	pushq %rsi; .cfi_adjust_cfa_offset 8;                                  \
	pushq %rdi; .cfi_adjust_cfa_offset 8;                                  \
	pushq %r8;  .cfi_adjust_cfa_offset 8;                                  \
	pushq %r9;  .cfi_adjust_cfa_offset 8;                                  \
	pushq %r10; .cfi_adjust_cfa_offset 8
#define RESTORE                                                                \
	popq %r10;  .cfi_adjust_cfa_offset -8;                                 \
	popq %r9;   .cfi_adjust_cfa_offset -8;                                 \
	popq %r8;   .cfi_adjust_cfa_offset -8;                                 \
	popq %rdi;  .cfi_adjust_cfa_offset -8;                                 \
	popq %rsi;  .cfi_adjust_cfa_offset -8;                                 \
	popq %rdx;  .cfi_adjust_cfa_offset -8;                                 \
	popq %rcx;  .cfi_adjust_cfa_offset -8

#define BEGIN(name)                                                            \
	.globl name;                                                           \
	.type name, @function;                                                 \
name:                                                                          \
	.cfi_startproc
#define END(name)                                                              \
	ret;                                                                   \
	.cfi_endproc;                                                          \
	.size name, . - name

/* DEFINE(name, impl): name saves what preserve_most keeps, calls impl
 * (the C function, hidden) with the same arguments, restores, returns
 * impl's rax.  Seven pushes after the return address leave the stack
 * 16-byte aligned for the call. */
#define DEFINE(name, impl)                                                     \
	BEGIN(name);                                                           \
	SAVE;                                                                  \
	call impl;                                                             \
	RESTORE;                                                               \
	END(name)

/* DEFINE_VOID(name, impl): the same for a function returning nothing,
 * which keeps rax as well (and one more slot keeps the alignment). */
#define DEFINE_VOID(name, impl)                                                \
	BEGIN(name);                                                           \
	pushq %rax; .cfi_adjust_cfa_offset 8;                                  \
	SAVE;                                                                  \
	subq $8, %rsp; .cfi_adjust_cfa_offset 8;                               \
	call impl;                                                             \
	addq $8, %rsp; .cfi_adjust_cfa_offset -8;                              \
	RESTORE;                                                               \
	popq %rax;  .cfi_adjust_cfa_offset -8;                                 \
	END(name)

DEFINE(__codensm_sample_start, cnsm_sample_start)
DEFINE_VOID(__codensm_sample_stop, cnsm_sample_stop)
DEFINE(__codensm_chunk, cnsm_chunk_first)
DEFINE_VOID(__codensm_error, cnsm_error_exit)

	.section .note.GNU-stack, "", @progbits
