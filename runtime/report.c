/*
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

/* Prints the table on f. */
void cnsm_report_print(FILE *f) {
  /* Never hang the exit: give up after a second if the lock is stuck. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 1;
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
  fprintf(f, "%-*s %-16s %6s %12s %10s %14s\n", width, "function",
          "department", "weight", "calls", "errors", "total ms");
  for (size_t k = 0; k < n; k++) {
    struct cnsm_fn *e = &cnsm_fns[order[k]];
    cnsm_fn_refresh(e);
    char ms[32];
    uint64_t ns = e->cur_ns > e->origin_ns ? e->cur_ns - e->origin_ns : 0;
    cnsm_format_ms(ms, ns);
    fprintf(f, "%-*s %-16s %6u %12llu %10llu %14s\n", width, e->name,
            e->department[0] ? e->department : "-", e->weight,
            (unsigned long long)(e->cur.calls - e->origin_calls),
            (unsigned long long)(e->cur.errors - e->origin_errors), ms);
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  free(order);
}
