// The trivial-function policies.  Leaf, loop-free functions of at most N
// instructions: under trivial_instructions they get no probe and are
// listed with flag 4 (not instrumented); under untimed_instructions (32
// by default) they are counted but never timed, flag 2, and their probe is
// one increment (no sample test, no start time kept to the exits).  A
// function that calls out, loops or is larger is instrumented and timed;
// TRACK always wins, and so does any annotation (the team cares about a
// function it described); 0 turns either policy off; .codensm.yaml sets
// them, the command line overrides it.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/t.c
// RUN: cd %t && %clang -fplugin=%plugin -O2 -mllvm -codensm-trivial-instructions=8 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=POLICY
// RUN: cd %t && %clang -O2 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=UNTIMED
// RUN: cd %t && %clang -O2 -S -o - t.c | %FileCheck %s --check-prefix=MACHINE
// RUN: printf 'trivial_instructions: 8\n' > %t/.codensm.yaml
// RUN: cd %t && %clang -O2 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=POLICY
// RUN: cd %t && %clang -fplugin=%plugin -O2 -mllvm -codensm-trivial-instructions=0 -mllvm -codensm-untimed-instructions=0 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=ALL
// RUN: printf 'untimed_instructions: 0\n' > %t/.codensm.yaml
// RUN: cd %t && %clang -O2 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=ALL
#include "codensm.h"

struct point { int x, y; };
void sink(int);

int getter(const struct point *p) { return p->x; }
int clamp(int v) { return v < 0 ? 0 : v > 99 ? 99 : v; }
int caller(int v) { sink(v); return v; }
int looper(int n) { int s = 0; for (int i = 0; i < n; i++) s += i; return s; }
CODENSM_TRACK int tracked(int v) { return v + 1; }
CODENSM_ERRORS_WHEN_NEGATIVE int checked(int v) { return v - 1; }
int larger(int a, int b, int c) {
  int r = a * b + c;
  r ^= r >> 3;
  r += a / (b | 1);
  r -= c % 7;
  r *= 31;
  return r + (a << 2);
}

// Table rows: name, department, file, line, weight, errors, flags.
// POLICY-DAG: c"t.getter\00"
// POLICY-DAG: @__codensm_functions = internal constant [7 x {{.*}} i32 0, i32 4, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 4, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 1, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i64 {{-?[0-9]+}} }]
// POLICY-LABEL: define {{.*}} @getter(
// POLICY-NOT: codensm
// POLICY: ret i32
// POLICY-LABEL: define {{.*}} @clamp(
// POLICY-NOT: codensm
// POLICY: ret i32
// POLICY-LABEL: define {{.*}} @caller(
// POLICY: __codensm_home
// POLICY-LABEL: define {{.*}} @looper(
// POLICY: __codensm_home
// POLICY-LABEL: define {{.*}} @tracked(
// POLICY: __codensm_home
// POLICY-LABEL: define {{.*}} @checked(
// POLICY: __codensm_home
// POLICY-LABEL: define {{.*}} @larger(
// POLICY: __codensm_home

// ALL-DAG: @__codensm_functions = internal constant [7 x {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 1, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }]
// ALL-LABEL: define {{.*}} @getter(
// ALL: __codensm_home
// ALL-LABEL: define {{.*}} @clamp(
// ALL: __codensm_home

// UNTIMED-DAG: @__codensm_functions = internal constant [7 x {{.*}} i32 0, i32 2, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 1, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i64 {{-?[0-9]+}} }]
// An untimed function's probe: its real chunk, one increment, nothing at
// the exit.
// UNTIMED-LABEL: define {{.*}} @getter(
// UNTIMED-NOT: __codensm_sample_start
// UNTIMED: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// UNTIMED-NEXT: store i64 [[INC]]
// UNTIMED-NOT: __codensm_sample
// UNTIMED: ret i32
// The increment (a load, an add and a store in the IR) is one add to
// memory in the machine code: a signal cannot split it.
// MACHINE-LABEL: getter:
// MACHINE: {{(addq \$1,|incq)}} {{[0-9]+}}(%r{{[a-z0-9]+}})
// MACHINE: retq
// Timed: the sampled path starts the clock, here or in a twin.
// UNTIMED-LABEL: define {{.*}} @caller(
// UNTIMED: {{__codensm_sample_start|codensm.timed}}
// UNTIMED-LABEL: define {{.*}} @looper(
// UNTIMED: {{__codensm_sample_start|codensm.timed}}
// UNTIMED-LABEL: define {{.*}} @tracked(
// UNTIMED: {{__codensm_sample_start|codensm.timed}}
// UNTIMED-LABEL: define {{.*}} @checked(
// UNTIMED: {{__codensm_sample_start|codensm.timed}}
// UNTIMED-LABEL: define {{.*}} @larger(
// UNTIMED-NOT: __codensm_sample_start
// UNTIMED: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// UNTIMED-NEXT: store i64 [[INC]]
// UNTIMED-NOT: __codensm_sample
// UNTIMED: ret i32
