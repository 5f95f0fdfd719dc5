/* SPDX-License-Identifier: Apache-2.0
 *
 * report.c - CODENSM_REPORT=1: a per-function table on stderr at exit.
 *
 * Totals since the process started (since the fork, in a child): name,
 * department, value weight, calls, errors, total ms; sorted by name.
 * Printed whether or not a sink is configured, so a developer sees the
 * counts without any backend.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Orders table indices by name. */
static int by_name(const void *a, const void *b) {
  return strcmp(cnsm_fns[*(const size_t *)a].name,
                cnsm_fns[*(const size_t *)b].name);
}

/* Orders names. */
static int by_string(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lists, once each, the functions the pass left without a probe (the
 * trivial-function policy) that no module counts.  Registry lock held. */
static void print_not_instrumented(FILE *f) {
  size_t n = cnsm_not_instrumented_count;
  const char **names = malloc((n ? n : 1) * sizeof *names);
  if (!names)
    return;
  for (size_t i = 0; i < n; i++)
    names[i] = cnsm_not_instrumented[i];
  qsort(names, n, sizeof *names, by_string);
  size_t shown = 0;
  for (size_t i = 0; i < n; i++)
    if ((i == 0 || strcmp(names[i], names[i - 1]) != 0) &&
        !cnsm_fn_find(names[i]))
      names[shown++] = names[i];
  if (shown)
    fprintf(f,
            "codensm: %zu functions not instrumented (trivial: leaf, "
            "loop-free and small; CODENSM_TRACK or trivial_instructions: "
            "0 counts them):\n",
            shown);
  for (size_t i = 0; i < shown; i++)
    fprintf(f, "  %s\n", names[i]);
  free(names);
}

/* Prints the table on f. */
void cnsm_report_print(FILE *f) {
  /* Never hang the exit: give up after a second if the lock is stuck. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 1;
  struct cnsm_overrides overrides = cnsm_config_overrides();
  if (pthread_mutex_timedlock(&cnsm_registry_lock, &ts) != 0)
    return;
  cnsm_snapshot();
  size_t n = cnsm_fn_count;
  size_t *order = malloc((n ? n : 1) * sizeof *order);
  if (!order) {
    pthread_mutex_unlock(&cnsm_registry_lock);
    return;
  }
  int width = 8;
  for (size_t i = 0; i < n; i++) {
    order[i] = i;
    int len = (int)strlen(cnsm_fns[i].name);
    if (len > width)
      width = len < 80 ? len : 80;
  }
  qsort(order, n, sizeof *order, by_name);
  fprintf(f, "codensm: %zu functions\n", n);
  fprintf(f, "%-*s %-16s %6s %12s %10s %14s\n", width, "function", "department",
          "weight", "calls", "errors", "total ms");
  for (size_t k = 0; k < n; k++) {
    struct cnsm_fn *e = &cnsm_fns[order[k]];
    cnsm_fn_refresh(e, &overrides);
    char ms[32];
    uint64_t ns = e->cur_ns > e->origin_ns ? e->cur_ns - e->origin_ns : 0;
    cnsm_format_ms(ms, ns);
    fprintf(f, "%-*s %-16s %6u %12llu %10llu %14s\n", width, e->name,
            e->department[0] ? e->department : "-", e->weight,
            (unsigned long long)(e->cur.calls - e->origin_calls),
            (unsigned long long)(e->cur.errors - e->origin_errors), ms);
  }
  print_not_instrumented(f);
  pthread_mutex_unlock(&cnsm_registry_lock);
  free(order);
}
