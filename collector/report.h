/* SPDX-License-Identifier: Apache-2.0
 *
 * report.h - `codensm-collector report`: the roll-ups as a table for
 * people or as JSON for scripts. */
#ifndef CNSM_REPORT_H
#define CNSM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "rollup.h"

/* Prints the roll-ups of project (NULL: every project) over the last
 * since seconds (0: all time), of the counts whose labels match (labels
 * NULL, or a NULL field: every value), to out, as a table or as JSON
 * {"generated_at", "since", "projects": [roll-up, ...]}.
 * Returns 0, 1 if the project is unknown, -1 on a database error. */
int cnsm_report_run(struct cnsm_conn *db, const char *project, int64_t since,
                    const char *since_text,
                    const struct cnsm_label_filter *labels, int json,
                    FILE *out);

#endif
