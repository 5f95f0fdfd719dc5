/* SPDX-License-Identifier: Apache-2.0
 *
 * edges.h - the ingest contract's "callers" and "causes" extensions: an
 * element's "callers" (the calls of the delta by instrumented caller)
 * and "root_causes" (its error exits by the deepest instrumented
 * function whose error led to them), read and checked (pure, fuzzed
 * through parse.c). */
#ifndef CNSM_EDGES_H
#define CNSM_EDGES_H

#include <cjson/cJSON.h>

#include "ingest.h"

/* Validates item, element index's "callers" (list CNSM_EDGE_CALLERS) or
 * "root_causes" (CNSM_EDGE_CAUSES), and appends its entries to b's
 * edges (d says where).  Returns 0, or -1 with *err naming the element
 * and the field (the batch's entries are then b's to free). */
int cnsm_edges_parse(const cJSON *item, long index, enum cnsm_edge_list list,
                     struct cnsm_batch *b, struct cnsm_fn_delta *d,
                     struct cnsm_ingest_error *err);

#endif
