/* SPDX-License-Identifier: Apache-2.0
 *
 * codensm_hist.h - the buckets of the wire's latency histogram, shared by
 * the runtime (which fills them) and the collector (which reads
 * percentiles from them).
 *
 * HdrHistogram's log-linear layout: a value v (nanoseconds) below 16 has a
 * bucket of its own; above, v's power of two e = floor(log2 v) is split
 * into 16 equal sub-buckets, so a bucket spans [lo, lo * (1 + 1/16)) at
 * most and its midpoint is within 1/33 of any value in it.  Bucket indices
 * are dense from 0 to CNSM_HIST_BUCKETS - 1 (every uint64_t has one), and
 * ordered as the values are, so a percentile is a walk from index 0. */
#ifndef CODENSM_HIST_H
#define CODENSM_HIST_H

#include <stdint.h>

#include "codensm_abi.h"

#define CNSM_HIST_SUB ((uint64_t)1 << CNSM_HIST_SUB_BITS) /* 16 */

/* The bucket of v nanoseconds. */
static inline uint32_t cnsm_hist_index(uint64_t v) {
  if (v < CNSM_HIST_SUB)
    return (uint32_t)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v);
  unsigned shift = e - CNSM_HIST_SUB_BITS;
  return (uint32_t)((e - CNSM_HIST_SUB_BITS + 1) * CNSM_HIST_SUB +
                    ((v >> shift) & (CNSM_HIST_SUB - 1)));
}

/* The smallest value of bucket i (i < CNSM_HIST_BUCKETS). */
static inline uint64_t cnsm_hist_lower(uint32_t i) {
  if (i < CNSM_HIST_SUB)
    return i;
  unsigned e = i / CNSM_HIST_SUB + CNSM_HIST_SUB_BITS - 1;
  uint64_t sub = i % CNSM_HIST_SUB;
  return (CNSM_HIST_SUB + sub) << (e - CNSM_HIST_SUB_BITS);
}

/* The value that stands for bucket i: its midpoint (below 16 ns, the
 * value itself). */
static inline double cnsm_hist_value(uint32_t i) {
  if (i < CNSM_HIST_SUB)
    return (double)i;
  uint64_t lo = cnsm_hist_lower(i);
  unsigned e = i / CNSM_HIST_SUB + CNSM_HIST_SUB_BITS - 1;
  uint64_t width = (uint64_t)1 << (e - CNSM_HIST_SUB_BITS);
  return (double)lo + (double)width / 2;
}

#endif
