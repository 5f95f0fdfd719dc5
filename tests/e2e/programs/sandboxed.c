/* SPDX-License-Identifier: Apache-2.0
 *
 * sandboxed.c - a program that confines itself as OpenSSH's privilege-
 * separated child does: a file size limit of 0, then a seccomp filter that
 * allows a short list of system calls, denies statx (EACCES), and kills
 * the process at any other call.
 *
 *   sandboxed prctl|syscall|self|none
 *
 * prctl, syscall: main calls work() once, forks, and the child calls work()
 *   once, confines itself (the filter set by prctl, or by the seccomp system
 *   call as libseccomp sets it), calls more_work() 100 times (each calls
 *   work()) and returns from main: a normal exit, whose handlers run inside
 *   the filter.  The parent prints how the child ended.
 * self: main calls work() once, prints the threads it has (on stderr: the
 *   runtime's flusher is one), confines itself (prctl), prints its threads
 *   again (on stdout: as the plain build), calls more_work() 100 times and
 *   returns.  Its thread count is read from /proc/self/task, which the
 *   filter lets it open: the runtime's flusher thread must have stopped
 *   before the filter, else it would run outside it.
 * probes: asks whether seccomp is there as libseccomp and systemd ask (the
 *   seccomp call in strict mode with flags 1, a filter mode without a
 *   program), and sets an empty filter, which fails: none confines it, so
 *   its counts are its own to send; then calls more_work() 100 times.
 * forkfail: forks three times under a filter (noclone's) that fails every
 *   clone; says whether each failed fork returned within 0.5 s.
 * none: main calls work() once.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#define ALLOW(nr)                                                              \
  BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, (nr), 0, 1),                             \
      BPF_STMT(BPF_RET + BPF_K, SECCOMP_RET_ALLOW)
#define DENY(nr)                                                               \
  BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, (nr), 0, 1),                             \
      BPF_STMT(BPF_RET + BPF_K, SECCOMP_RET_ERRNO | EACCES)

static struct sock_filter filter[] = {
    BPF_STMT(BPF_LD + BPF_W + BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP + BPF_JEQ + BPF_K, ARCH, 1, 0),
    BPF_STMT(BPF_RET + BPF_K, SECCOMP_RET_KILL_PROCESS),
    BPF_STMT(BPF_LD + BPF_W + BPF_ABS, offsetof(struct seccomp_data, nr)),
    DENY(__NR_statx),
    /* For /proc/self/task.  The runtime's own calls are killed by the
     * rest: flock, fallocate, readlink, socket, clone, ... */
    ALLOW(__NR_openat),
    ALLOW(__NR_getdents64),
    ALLOW(__NR_newfstatat),
    ALLOW(__NR_fstat),
    ALLOW(__NR_brk),
    ALLOW(__NR_clock_gettime),
    ALLOW(__NR_close),
    ALLOW(__NR_exit),
    ALLOW(__NR_exit_group),
    ALLOW(__NR_futex),
    ALLOW(__NR_getpid),
    ALLOW(__NR_gettid),
    ALLOW(__NR_madvise),
    ALLOW(__NR_mmap),
    ALLOW(__NR_mprotect),
    ALLOW(__NR_munmap),
    ALLOW(__NR_read),
    ALLOW(__NR_rt_sigprocmask),
    ALLOW(__NR_write),
    BPF_STMT(BPF_RET + BPF_K, SECCOMP_RET_KILL_PROCESS),
};

__attribute__((noinline)) int work(int n) {
  int s = 0;
  for (int i = 0; i < n; i++)
    s += i ^ (s << 1);
  return s;
}

__attribute__((noinline)) int more_work(int n) { return work(n) + 1; }

static int threads(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));)
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

static int confine(int by_syscall) {
  struct rlimit none = {0, 0};
  struct sock_fprog prog = {sizeof filter / sizeof filter[0], filter};
  if (setrlimit(RLIMIT_FSIZE, &none) != 0 ||
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return -1;
  if (by_syscall)
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void confined_work(void) {
  long sum = 0;
  for (int i = 0; i < 100; i++)
    sum += more_work(i);
  printf("sum=%ld\n", sum);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  const char *mode = argv[1];
  printf("work=%d\n", work(1000));
  fflush(stdout);
  if (strcmp(mode, "self") == 0) {
    int before = threads();
    if (confine(0) != 0)
      return 3;
    fprintf(stderr, "threads before=%d\n", before);
    printf("threads after=%d\n", threads());
    confined_work();
    return 0;
  }
  if (strcmp(mode, "none") == 0)
    return 0;
  if (strcmp(mode, "probes") == 0) {
    struct sock_fprog empty = {0, NULL};
    long strict = syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL);
    int probe = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0);
    int bad = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &empty);
    printf("probes=%ld,%d,%d\n", strict, probe, bad);
    confined_work();
    return 0;
  }
  if (strcmp(mode, "forkfail") == 0) {
    for (int i = 0; i < 3; i++) {
      struct timespec t0, t1;
      clock_gettime(CLOCK_MONOTONIC, &t0);
      pid_t pid = fork();
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (pid == 0)
        _exit(0);
      double took = (double)(t1.tv_sec - t0.tv_sec) +
                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
      printf("fork %s %s\n", pid < 0 ? "failed" : "succeeded",
             took < 0.5 ? "at once" : "slowly");
    }
    return 0;
  }
  pid_t pid = fork();
  if (pid == 0) {
    work(10);
    if (confine(strcmp(mode, "syscall") == 0) != 0)
      _exit(3);
    confined_work();
    return 0;
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid)
    return 4;
  if (WIFSIGNALED(status))
    printf("child killed by signal %d\n", WTERMSIG(status));
  else
    printf("child exited %d\n", WEXITSTATUS(status));
  return 0;
}
