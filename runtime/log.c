/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c - what the runtime says on stderr: warnings always, the rest only
 * under CODENSM_DEBUG.
 *
 * The bottom of the runtime: every other file may say something, so this
 * one calls none of them but sealed.c, which calls nothing.  Whether debug
 * messages are printed is its own state, set by config.c when it applies the
 * settings, rather than read from the settings here: the settings warn through
 * this file.
 */
#include <stdarg.h>

#include "internal.h"

static int debug_on; /* CODENSM_DEBUG, as config.c last applied it */

void cnsm_log_set_debug(int on) {
  __atomic_store_n(&debug_on, on != 0, __ATOMIC_RELAXED);
}

/* Prints "codensm: ..." and a newline on stderr in one write. */
static void vsay(const char *fmt, va_list ap) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "codensm: ");
  // ap comes from the callers' va_start.
  // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
  int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
  if (m < 0)
    return;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof buf - 2)
    len = sizeof buf - 2;
  buf[len++] = '\n';
  fwrite(buf, 1, len, stderr);
}

/* Warns on stderr, unless the program confined itself (sandbox.c): a
 * write there may be what its filter or its file size limit kills. */
void cnsm_warn(const char *fmt, ...) {
  if (cnsm_sealed())
    return;
  va_list ap;
  va_start(ap, fmt);
  vsay(fmt, ap);
  va_end(ap);
}

/* Says what the runtime does, under CODENSM_DEBUG=1 only. */
void cnsm_debug(const char *fmt, ...) {
  if (!__atomic_load_n(&debug_on, __ATOMIC_RELAXED) || cnsm_sealed())
    return;
  va_list ap;
  va_start(ap, fmt);
  vsay(fmt, ap);
  va_end(ap);
}
