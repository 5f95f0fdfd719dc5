/* SPDX-License-Identifier: Apache-2.0
 *
 * flush_bench.c - CPU cost of one flush of 100,000 functions.
 *
 * Registers 100 emulated modules of 1,000 functions each (the same
 * descriptors and blocks the pass emits, see tests/runtime/cnsm_emul.h),
 * gives every function new calls before each flush, and measures the
 * process CPU time (CLOCK_PROCESS_CPUTIME_ID) of codensm_flush() to a
 * file:// sink: snapshot, deltas, JSON encoding and the write.  Prints the
 * first flush (which also builds the function table) and the median of
 * the following runs.  Target: median < 20 ms.
 *
 *   flush_bench [RUNS]
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cnsm_emul.h"
#include "codensm.h"

#define MODULES 100
#define PER_MODULE 1000

/* Process CPU time in ms. */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* User CPU time in ms (the rest of cpu_ms is the kernel's: the write). */
static double user_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3;
}

/* Sorts doubles. */
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 9;
  /* tmpfs when there is one: on a disk, appending 11 MB a flush to a
   * growing file makes the kernel charge this process for writeback, which
   * measures the disk (23 to 68 ms between two runs here), not the flush. */
  struct stat shm;
  char path[64];
  snprintf(path, sizeof path, "%s/codensm-flush-bench-XXXXXX",
           stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) ? "/dev/shm"
                                                               : "/tmp");
  int fd = mkstemp(path);
  close(fd);
  char url[128];
  snprintf(url, sizeof url, "file://%s", path);
  struct codensm_config cfg = {
      .struct_size = sizeof cfg, .endpoint = url, .flush_interval_s = 3600};
  codensm_init(&cfg);
  struct cnsm_emul_dyn *mods[MODULES];
  for (int m = 0; m < MODULES; m++) {
    char name[32];
    snprintf(name, sizeof name, "bench/module%03d", m);
    mods[m] = cnsm_emul_dynamic_module(name, PER_MODULE);
  }
  double t[64], u[64];
  if (runs > 64)
    runs = 64;
  double first = 0;
  for (int r = 0; r <= runs; r++) {
    for (int m = 0; m < MODULES; m++)
      for (int i = 0; i < PER_MODULE; i++) {
        struct cnsm_slot *s = cnsm_emul_dyn_slot(mods[m], (uint32_t)i);
        __atomic_store_n(&s->calls, s->calls + 1 + (uint64_t)i,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&s->samples, s->samples + 1, __ATOMIC_RELAXED);
        __atomic_store_n(&s->ticks, s->ticks + 1000, __ATOMIC_RELAXED);
      }
    double c0 = cpu_ms(), u0 = user_ms();
    if (codensm_flush() != 0)
      fprintf(stderr, "flush failed\n");
    double dt = cpu_ms() - c0;
    if (r == 0)
      first = dt;
    else {
      t[r - 1] = dt;
      u[r - 1] = user_ms() - u0;
    }
  }
  qsort(t, (size_t)runs, sizeof *t, cmp);
  qsort(u, (size_t)runs, sizeof *u, cmp);
  struct stat st;
  stat(path, &st);
  printf("flush of %d functions to file://%s: first %.1f ms CPU, median of %d "
         "runs %.1f ms CPU (min %.1f, max %.1f; of which user %.1f ms); "
         "%.1f MB per flush\n",
         MODULES * PER_MODULE, path, first, runs, t[runs / 2], t[0],
         t[runs - 1], u[runs / 2], st.st_size / 1e6 / (runs + 1));
  unlink(path);
  return 0;
}
