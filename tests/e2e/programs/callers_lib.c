/* SPDX-License-Identifier: Apache-2.0 */
/* The other unit of callers.c: its callers are in callers.c. */
__attribute__((noinline)) int lib_work(int x) { return x + 1; }
