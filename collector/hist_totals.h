/* SPDX-License-Identifier: Apache-2.0
 *
 * hist_totals.h - the all-time histogram sums /metrics reads (table
 * hist_totals), folded in from the minute rows of hist after ingest
 * instead of by it.  See hist_totals.c. */
#ifndef CNSM_HIST_TOTALS_H
#define CNSM_HIST_TOTALS_H

#include <stdint.h>

#include "store.h"

/* How often serve folds the minutes that closed (retention.c's thread). */
#define CNSM_FOLD_EVERY_S 5

/* Reads project's fold mark into *mark (0 for a project with none: no
 * row folded yet); *mark must live until the statement ran (cnsm_defer).
 * The rows of hist with bucket < *mark are summed in hist_totals, the
 * others not yet.  0 or -1. */
int cnsm_hist_mark_read(struct cnsm_conn *c, const char *project,
                        int64_t *mark);

/* Folds every project's rows of hist from its mark up to the minute of
 * now (not included: ingest still adds to it) into hist_totals, one
 * project's minute per write transaction holding the project's lock,
 * and moves the marks there.  *rows gets how many sums were added.
 * Returns 0, or -1 after saying why on stderr (the minutes done stay
 * done). */
int cnsm_hist_fold(struct cnsm_conn *c, int64_t now, int64_t *rows);

/* The SQL that gives, for project $1, every (name, hbucket, all-time
 * calls) with calls > 0 ordered by name and hbucket: hist_totals plus
 * the rows not folded yet, read in one statement (one snapshot). */
extern const char cnsm_hist_all_time_sql[];

#endif
