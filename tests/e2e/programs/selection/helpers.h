// SPDX-License-Identifier: Apache-2.0
// A header's static inline helper, compiled into both translation units.
static inline int clamp_score(int x) { return x < 0 ? 0 : x > 100 ? 100 : x; }
