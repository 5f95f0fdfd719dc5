/* SPDX-License-Identifier: Apache-2.0
 *
 * retention.h - bounded history: minute buckets rolled up into hours,
 * hours into days, and buckets past a maximum age dropped. */
#ifndef CNSM_RETENTION_H
#define CNSM_RETENTION_H

#include <stdint.h>

#include "store.h"

/* Ages in seconds; 0 means "never" (keep at this granularity, or keep
 * forever).  Nonzero ages must not decrease from one to the next. */
struct cnsm_retention {
  int64_t minutes; /* --retain-minutes: older minute buckets become hours */
  int64_t hours;   /* --retain-hours: older hour buckets become days */
  int64_t days;    /* --retain-days: older buckets are dropped */
};

#define CNSM_RETAIN_MINUTES_DEFAULT (7 * 86400)
#define CNSM_RETAIN_HOURS_DEFAULT (90 * 86400)
#define CNSM_RETAIN_DAYS_DEFAULT 0 /* kept forever */
#define CNSM_RETENTION_EVERY_S 600 /* how often serve applies it */

/* What one run did, in rows of counts. */
struct cnsm_retention_stats {
  int64_t into_hours, into_days, dropped;
};

/* Checks the ages' order; 0, or -1 with the reason in err[errlen]. */
int cnsm_retention_check(const struct cnsm_retention *r, char *err,
                         size_t errlen);

/* Applies r as of now, after folding the minutes closed by now into
 * hist_totals (cnsm_hist_fold), one project's minute (hour) at a time,
 * each in a write transaction that holds the retention lock (one
 * replica at a time), so that ingest waits for one slice at most.
 * Returns 0, or -1 after saying why on stderr (the slices done stay
 * done). */
int cnsm_retention_run(struct cnsm_conn *c, const struct cnsm_retention *r,
                       int64_t now, struct cnsm_retention_stats *stats);

struct cnsm_retention_thread;

/* Starts a thread applying r to st now and every CNSM_RETENTION_EVERY_S
 * seconds, logging what it did, and folding hist_totals and tidying the
 * store (cnsm_store_tidy) every CNSM_FOLD_EVERY_S.  NULL if it cannot
 * start. */
struct cnsm_retention_thread *
cnsm_retention_start(struct cnsm_store *st, const struct cnsm_retention *r);

/* Stops and joins the thread (a run in progress finishes first). */
void cnsm_retention_stop(struct cnsm_retention_thread *t);

#endif
