// RUN: rm -rf %t && mkdir -p %t
// RUN: %rewrite %s -- -I%include > %t/rewritten.c
// RUN: %FileCheck %s < %t/rewritten.c
// RUN: %FileCheck %s --check-prefix=TABLE < %t/rewritten.c
// RUN: %gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 -I%include %s -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s --check-prefix=COUNTS
// The pass's untimed policy through GCC: a small leaf (it calls nothing,
// has no loop, and does at most `untimed_instructions` operations as the
// IR would, 32 by default) is counted exactly and never timed, as the
// plugin counts an accessor.  Its probe is the count alone, a declaration
// (C89 takes no statement before the body's declarations; c89.c): no cleanup, no
// sample test, no start time.  Its row says UNTIMED (flags 2), so the
// runtime sends its calls with no time and no histogram, and the collector
// shows it as not timed rather than as a time of 0.
#include <codensm.h>
#include <stdio.h>

struct point {
  int x, y;
};

static int get_x(const struct point *p) { return p->x; }
// CHECK: static int get_x(const struct point *p) {__UINT64_TYPE__ __codensm_t0 __attribute__((__unused__)) = __codensm_tally{{[(]}}(__UINT64_TYPE__)0u); return p->x; }

static int clamp(int v, int lo, int hi) {
  int r = v;
  if (v < lo)
    r = lo;
  else if (v > hi)
    r = hi;
  return r;
}
// CHECK: static int clamp(int v, int lo, int hi) {__UINT64_TYPE__ __codensm_t1 __attribute__((__unused__)) = __codensm_tally{{[(]}}(__UINT64_TYPE__)1u);

// A loop: timed.
static int sum_to(int n) {
  int s = 0, i;
  for (i = 0; i < n; i++)
    s += i;
  return s;
}
// CHECK: static int sum_to(int n) {struct __codensm_probe __codensm_p2 {{.*}} = __codensm_p2.t0 = __codensm_count{{[(]}}

// A call: timed (its callee's time is its own).
static int twice_x(const struct point *p) { return 2 * get_x(p); }
// CHECK: static int twice_x(const struct point *p) {struct __codensm_probe __codensm_p3 {{.*}} = __codensm_p3.t0 = __codensm_count{{[(]}}

// A leaf of more than 32 operations: timed.
static int mix(const struct point *p, const struct point *q) {
  return (p->x * q->y - p->y * q->x) ^ (p->x + q->x) ^ (p->y + q->y) ^
         (p->x - q->y) ^ (p->y - q->x) ^ (p->x * p->y) ^ (q->x * q->y) ^
         (p->x | q->x) ^ (p->y & q->y);
}
// CHECK: static int mix(const struct point *p, const struct point *q) {struct __codensm_probe __codensm_p4 {{.*}} = __codensm_p4.t0 = __codensm_count{{[(]}}

// A weight says the team cares: timed, as the plugin times it.
CODENSM_WEIGHT(5) static int bump(int v) {
  return v + 1;
}
// CHECK: static int bump(int v) {struct __codensm_probe __codensm_p5 {{.*}} = __codensm_p5.t0 = __codensm_count{{[(]}}

// A cleanup function runs at its variable's end: timed.
static void forget(int *p) { *p = 0; }
static int scoped(int v) {
  int kept __attribute__((cleanup(forget))) = v;
  return kept + 1;
}
// CHECK: static int scoped(int v) {struct __codensm_probe __codensm_p7 {{.*}} = __codensm_p7.t0 = __codensm_count{{[(]}}

/* Called through pointers, so that GCC keeps every call. */
static int (*volatile get_x_ptr)(const struct point *) = get_x;
static int (*volatile clamp_ptr)(int, int, int) = clamp;
static int (*volatile mix_ptr)(const struct point *,
                               const struct point *) = mix;
static int (*volatile bump_ptr)(int) = bump;

int main(void) {
  struct point a = {3, 4}, b = {5, 6};
  long total = 0;
  int i;
  for (i = 0; i < 1000; i++) {
    total += get_x_ptr(&a) + clamp_ptr(i, 10, 20) + mix_ptr(&a, &b);
    total += bump_ptr(i) + twice_x(&b);
  }
  total += sum_to(100) + scoped(2);
  printf("%ld\n", total);
  return 0;
}

// TABLE: {"untimed-leaves.get_x", "root", "{{/.*}}/untimed-leaves.c", 23u, 1u, 0u, 2u,
// TABLE: {"untimed-leaves.clamp", "root", "{{/.*}}/untimed-leaves.c", 26u, 1u, 0u, 2u,
// TABLE: {"untimed-leaves.sum_to", "root", "{{/.*}}/untimed-leaves.c", 37u, 1u, 0u, 0u,
// TABLE: {"untimed-leaves.mix", "root", "{{/.*}}/untimed-leaves.c", 50u, 1u, 0u, 0u,
// The edge's add, one non-locked addq on x86-64, and the leaf's count,
// that add once the thread's chunk is real.
// TABLE: static __codensm_hot void __codensm_count_edge(__UINT64_TYPE__ slot) {{[{]}}
// TABLE: __asm__ __volatile__("addq $1, %0" : "+m"(*calls));
// TABLE: static __codensm_hot __UINT64_TYPE__ __codensm_tally(__UINT64_TYPE__ slot) {{[{]}}
// TABLE-NEXT: if (__builtin_expect((long)(__codensm_chunk_of(slot)->header.real == 0), 0L))
// TABLE-NEXT: (void)__codensm_chunk(__codensm_unit, slot / CNSM_CHUNK_SLOTS);
// TABLE-NEXT: __codensm_count_edge(slot);

// Exact calls; the leaves with no time and no histogram, the others timed.
// COUNTS-DAG: "name":"untimed-leaves.get_x","department":"root","value_weight":1,"calls":2000,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"untimed-leaves.clamp","department":"root","value_weight":1,"calls":1000,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"untimed-leaves.mix","department":"root","value_weight":1,"calls":1000,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
// COUNTS-DAG: "name":"untimed-leaves.bump","department":"root","value_weight":5,"calls":1000,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
// COUNTS-DAG: "name":"untimed-leaves.twice_x","department":"root","value_weight":1,"calls":1000,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
// COUNTS-DAG: "name":"untimed-leaves.forget","department":"root","value_weight":1,"calls":1,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"untimed-leaves.scoped","department":"root","value_weight":1,"calls":1,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
// COUNTS-DAG: "name":"untimed-leaves.sum_to","department":"root","value_weight":1,"calls":1,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
