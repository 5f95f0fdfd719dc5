/* SPDX-License-Identifier: Apache-2.0
 *
 * sandbox.c - a program that confines itself with a seccomp filter.
 *
 * OpenSSH's privilege-separated child sets limits (no file may grow, one
 * descriptor) and then a seccomp filter that kills it at any system call
 * the filter does not name.  What the runtime then did of its own (start
 * its flusher thread, send at exit, read a link, grow its live file, say
 * something on stderr) killed the child with SIGSYS or SIGXFSZ, and every
 * login failed; and a flusher thread that existed before the filter ran
 * outside it (a filter set by prctl binds only its own thread), inside the
 * process the sandbox exists to contain.
 *
 * So the runtime is told before a filter is set: this file defines prctl
 * and syscall, which the program's calls, and libseccomp's, reach before
 * the C library's (the executable's definitions, or this library's ahead
 * of libc in the link order, as an LD_PRELOAD library's are), and on
 * PR_SET_SECCOMP or the seccomp system call it seals the runtime, then
 * makes the call unchanged.  Sealed, the runtime stops its flusher for
 * good (waiting for it, so that no thread of ours outlives the filter's
 * installation unfiltered) and from then on makes no system call of its
 * own: nothing is sent, not even at exit, and nothing said.  The counts
 * stay in the live file, whose lock the kernel releases when the process
 * ends, and the next process of the same sink takes them over, as it does
 * a killed process's.  Nothing is sent when the filter is set either: the
 * limits set before it may already refuse a descriptor or kill a write.
 *
 * Not seen: a filter set by a raw system call of the program's own
 * (inline assembly), or one inherited from the process that started it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

/* The system call itself, as the C library's syscall() makes it (-1 and
 * errno on failure): by hand where the registers are known, so that no
 * lookup of the C library's is needed (a static program has none to look
 * up), else through the C library's. */
static long forward(long number, long a1, long a2, long a3, long a4, long a5,
                    long a6) {
  long ret;
#if defined(__x86_64__)
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  __asm__ __volatile__("syscall"
                       : "=a"(ret)
                       : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10),
                         "r"(r8), "r"(r9)
                       : "rcx", "r11", "memory");
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = number;
  register long x0 __asm__("x0") = a1;
  register long x1 __asm__("x1") = a2;
  register long x2 __asm__("x2") = a3;
  register long x3 __asm__("x3") = a4;
  register long x4 __asm__("x4") = a5;
  register long x5 __asm__("x5") = a6;
  __asm__ __volatile__("svc 0"
                       : "+r"(x0)
                       : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                       : "memory");
  ret = x0;
#else
  static long (*libc_syscall)(long, ...);
  long (*real)(long, ...) = __atomic_load_n(&libc_syscall, __ATOMIC_ACQUIRE);
  if (!real) {
    real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    if (!real) {
      errno = ENOSYS;
      return -1;
    }
    __atomic_store_n(&libc_syscall, real, __ATOMIC_RELEASE);
  }
  return real(number, a1, a2, a3, a4, a5, a6);
#endif
  if ((unsigned long)ret > -4096UL) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
}

static void seal(void) {
  cnsm_flusher_seal();
  cnsm_durable_seal();
}

/* The call that was to set the filter failed: the process is not confined
 * after all, and the runtime goes on as before. */
static void unseal(void) {
  cnsm_unseal();
  cnsm_durable_unseal();
  cnsm_flusher_unseal();
}

/* Makes a call that sets a filter (or strict mode), the runtime sealed
 * first, and unsealed again when the call fails (errno kept). */
static long confining(long number, long a1, long a2, long a3, long a4,
                      long a5) {
  if (cnsm_seal()) /* sealed already */
    return forward(number, a1, a2, a3, a4, a5, 0);
  seal();
  long ret = forward(number, a1, a2, a3, a4, a5, 0);
  /* With SECCOMP_FILTER_FLAG_TSYNC, a thread that cannot take the filter
   * is named by a positive result: nothing was confined either. */
  if (ret != 0) {
    int saved = errno;
    unseal();
    errno = saved;
  }
  return ret;
}

/* Six arguments are read whatever the call passed, as the C library's
 * syscall() reads them: the registers are there. */
CNSM_EXPORT long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
  long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
  va_end(ap);
  /* Only a call that can confine: libseccomp's seccomp_api_get() asks
   * with strict mode and flags 1, expecting EINVAL. */
  if (number == SYS_seccomp &&
      ((a1 == SECCOMP_SET_MODE_STRICT && a2 == 0 && a3 == 0) ||
       (a1 == SECCOMP_SET_MODE_FILTER && a3 != 0)))
    return confining(number, a1, a2, a3, a4, a5);
  return forward(number, a1, a2, a3, a4, a5, a6);
}

CNSM_EXPORT int prctl(int option, ...) {
  va_list ap;
  va_start(ap, option);
  unsigned long a2 = va_arg(ap, unsigned long);
  unsigned long a3 = va_arg(ap, unsigned long);
  unsigned long a4 = va_arg(ap, unsigned long);
  unsigned long a5 = va_arg(ap, unsigned long);
  va_end(ap);
  /* Strict mode too (read, write and exit are all it leaves), but not
   * systemd's probe: a filter mode without a program, expecting EFAULT. */
  if (option == PR_SET_SECCOMP &&
      (a2 == SECCOMP_MODE_STRICT || (a2 == SECCOMP_MODE_FILTER && a3 != 0)))
    return (int)confining(SYS_prctl, option, (long)a2, (long)a3, (long)a4,
                          (long)a5);
  return (int)forward(SYS_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5,
                      0);
}
