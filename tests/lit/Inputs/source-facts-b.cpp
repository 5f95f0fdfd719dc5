// The same linkage name as third-party.h's third_scale, defined here.
static int third_scale(int x) { return 5 * x + 1; }
int other(int v) { return third_scale(v) + 2; }
