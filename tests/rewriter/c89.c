/*
 * RUN: %gcc -std=c89 -pedantic-errors -Wall -Wextra -Werror -Wdeclaration-after-statement -c %s -o %t.o 2> %t.err
 * RUN: %FileCheck %s --allow-empty --check-prefix=ERR < %t.err
 * RUN: nm %t.o | %FileCheck %s
 * The inserted text is C89 under the strictest warnings (cJSON builds so):
 * a constant brace initialiser, a scalar whose initialiser starts the
 * call, no declaration after a statement, __inline__ in codensm_abi.h;
 * a small leaf's count alone a declaration too (twice: its chunk made
 * real by __codensm_chunk), the other probes' sampled calls (quadruple).
 * ERR-NOT: warning
 * CHECK: U __codensm_chunk
 * CHECK: U __codensm_register
 * CHECK: U __codensm_sample_start
 * CHECK: U __codensm_sample_stop
 */

int twice(int x) {
  int y = x * 2;
  return y;
}

int quadruple(int x) {
  int y = twice(x);
  return twice(y);
}
