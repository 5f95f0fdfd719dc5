/* SPDX-License-Identifier: Apache-2.0
 *
 * hist.h - the latency histograms of the ingest contract's "histogram"
 * extension: reading an element's "hist" field (pure, fuzzed through
 * parse.c) and reading a percentile off summed bucket counts (the
 * roll-ups, rollup_hist.c).  The buckets themselves are
 * include/codensm_hist.h's. */
#ifndef CNSM_HIST_H
#define CNSM_HIST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ingest.h"

/* Validates item, element index's "hist", and appends its pairs to b's
 * (d->hist_at, d->nhist say where).  Returns 0, or -1 with *err naming
 * the element and "hist" (the batch's pairs are then b's to free). */
int cnsm_hist_parse(const cJSON *item, long index, struct cnsm_batch *b,
                    struct cnsm_fn_delta *d, struct cnsm_ingest_error *err);

/* The pct-th percentile (1..100) of a histogram of n buckets, ascending,
 * with their counts: the value (ns) that stands for the first bucket
 * where the cumulative count reaches pct/100 of the total; -1 when the
 * total is 0. */
double cnsm_hist_percentile(const uint32_t *bucket, const double *count,
                            size_t n, unsigned pct);

#endif
