/* A header's static helpers, as Redis's sds.h has them. */
static inline int twice(int x) { return 2 * x; }
