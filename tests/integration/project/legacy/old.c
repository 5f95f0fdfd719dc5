/* Excluded from instrumentation by target_codensm(EXCLUDE legacy). */
int legacy_twice(int x) { return 2 * x; }
