/*
 * RUN: rm -rf %t && mkdir -p %t
 * RUN: printf 'errors:\n  gcc-added-warnings.parse: negative\n' > %t/codensm.yaml
 * RUN: env CODENSM_CONFIG=%t/codensm.yaml %gcc -std=c89 -pedantic-errors -O2 -Wall -Wextra -Werror -Wtraditional-conversion -Wlarger-than=100 -Wlong-long -Wpadded -Wconversion -Wsign-conversion -Wshadow -Wcast-qual -Wundef -Wredundant-decls -Wmissing-prototypes -Wstrict-prototypes -Wold-style-definition -Wdeclaration-after-statement -Wc++-compat %s -o %t/exe 2> %t/err.txt
 * RUN: test ! -s %t/err.txt
 * RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
 * RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
 * What GCC says of the instrumented form is what it says of the user's
 * source, under warnings beyond -Wall -Wextra (pcre2's build with more
 * flags and -Werror had every file compiled without instrumentation):
 *  - -Wtraditional-conversion: the probes passed 5u, and the C probe's
 *    cleanup an int, to parameters of 64 bits and __builtin_expect's long;
 *  - -Wlarger-than=100: the unit's table of functions is larger;
 *  - -Wpadded, -Wlong-long (32-bit targets), -Wframe-larger-than= and
 *    -Wstack-usage= of the added definitions (not of the user's functions,
 *    whose frames hold the probe: those two can still be added).
 * The counts, errors and callers say the build was instrumented.
 */

int main(void);
static int twice(int x) { return x * 2; }
static int parse(int x) {
  if (x > 10)
    return -1;
  return twice(x);
}
static int fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }
int main(void) {
  int r = parse(3) + parse(20) + fact(4);
  return r == 29 ? 0 : 1;
}
/*
 * CHECK: "name":"gcc-added-warnings.twice","department":"root","value_weight":1,"calls":1,"errors":0,
 * CHECK-NEXT: "name":"gcc-added-warnings.parse","calls":1}
 * CHECK: "name":"gcc-added-warnings.parse","department":"root","value_weight":1,"calls":2,"errors":1,
 * CHECK: "name":"gcc-added-warnings.main","calls":2}
 * CHECK: "name":"gcc-added-warnings.fact","department":"root","value_weight":1,"calls":4,"errors":0,
 * CHECK-NEXT: "name":"gcc-added-warnings.fact","calls":3}
 * CHECK-NEXT: "name":"gcc-added-warnings.main","calls":1}
 * CHECK: "name":"gcc-added-warnings.main","department":"root","value_weight":1,"calls":1,"errors":0,
 */
