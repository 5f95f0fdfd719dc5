// The untimed-inlined policy.  A loop-free function of at most N
// instructions (64 by default; calls allowed) is timed in its own body
// only: where it is inlined, its copy is counted (one increment of its
// slot) but carries no sample test and no start time.  A function with a
// loop stays timed where inlined; an annotated one too; 0 turns the
// policy off; .codensm.yaml sets it, the command line overrides it; under
// -codensm-timing=every every copy is timed.  The inliner prices the
// entry and exits of such a function at nothing (what they become once
// inlined), so it inlines it where the plain build does.
// Slots: twice 0, user 1, wrap 2, spin 3, tracked 4.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/t.c
// RUN: cd %t && %clang -fplugin=%plugin -O2 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=POLICY
// RUN: cd %t && %clang -fplugin=%plugin -O2 -mllvm -codensm-untimed-inlined-instructions=0 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=OFF
// RUN: cd %t && %clang -fplugin=%plugin -O2 -mllvm -codensm-timing=every -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=EVERY
// RUN: cd %t && %clang -O0 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=PRICE
// RUN: printf 'untimed_inlined_instructions: 0\n' > %t/.codensm.yaml
// RUN: cd %t && %clang -O2 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=OFF
// RUN: cd %t && %clang -fplugin=%plugin -O2 -mllvm -codensm-untimed-inlined-instructions=64 -mllvm -codensm-copies-from-edges=0 -S -emit-llvm -o - t.c | %FileCheck %s --check-prefix=POLICY
#include "codensm.h"

static int wrap(int (*fn)(int), int v) { return fn(v) + 1; }
static int spin(int n) {
  int s = 0;
  for (int i = 0; i < n; i++)
    s += i * i;
  return s;
}
int twice(int (*fn)(int), int v) { return fn(v) * 2; }
static CODENSM_TRACK int tracked(int (*fn)(int), int v) { return fn(v) - 1; }
int user(int (*fn)(int), int v, int n) {
  return wrap(fn, v) + spin(n) + twice(fn, v) + tracked(fn, v);
}

// twice's own body is timed (its twin, at the end, starts and stops the
// clock).
// POLICY-LABEL: define {{.*}} @twice(
// POLICY: tail call {{.*}} @twice.codensm.timed(
// Inlined in user: wrap (slot 2, at 32 + 2 * 32 bytes into the chunk) and
// twice (slot 0, at 32) are counted, never sampled; spin (a loop) and
// tracked (annotated) are.
// POLICY-LABEL: define {{.*}} @user(
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY: tail call {{.*}} @user.codensm.timed(
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY: getelementptr inbounds i8, {{.*}}, i64 96
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY: @__codensm_sample_start({{.*}}, i64 3,
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY: getelementptr inbounds i8, {{.*}}, i64 32{{$}}
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY: @__codensm_sample_start({{.*}}, i64 4,
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY: ret i32
// POLICY-NOT: @__codensm_sample_start({{.*}}, i64 {{0|2}},
// POLICY-LABEL: define internal {{.*}} @__codensm_unit(
// POLICY-LABEL: define internal {{.*}} @twice.codensm.timed(
// POLICY: @__codensm_sample_start({{.*}}, i64 0,
// POLICY: @__codensm_sample_stop({{.*}}, i64 0,

// Policy off: every inlined copy is sampled.
// OFF-LABEL: define {{.*}} @user(
// OFF-DAG: @__codensm_sample_start({{.*}}, i64 0,
// OFF-DAG: @__codensm_sample_start({{.*}}, i64 1,
// OFF-DAG: @__codensm_sample_start({{.*}}, i64 2,
// OFF-DAG: @__codensm_sample_start({{.*}}, i64 3,
// OFF-DAG: @__codensm_sample_stop({{.*}}, i64 2,
// OFF-DAG: @__codensm_sample_stop({{.*}}, i64 0,
// OFF: ret i32

// Every call timed: the clock read inline for wrap's copy too (its
// samples field at 32 + 2 * 32 + 16).
// EVERY-LABEL: define {{.*}} @user(
// EVERY: getelementptr inbounds i8, {{.*}}, i64 112
// EVERY: ret i32

// Before the optimiser: wrap's hooks are free to the inliner, spin's are
// priced as calls.
// PRICE-LABEL: define internal {{.*}} @wrap(
// PRICE: call i64 @__codensm_enter({{.*}}, i64 2) #[[FREE:[0-9]+]], !codensm.home !{{[0-9]+}}, !codensm.timed_in_own_body
// PRICE: call void @__codensm_exit({{.*}}, i64 2, {{.*}}) #[[FREE]]
// PRICE-LABEL: define internal {{.*}} @spin(
// PRICE: call i64 @__codensm_enter({{.*}}, i64 3) #[[PRICED:[0-9]+]], !codensm.home !{{[0-9]+}}{{$}}
// PRICE-DAG: attributes #[[FREE]] = { {{.*}}"call-inline-cost"="0"
// PRICE-DAG: attributes #[[PRICED]] = { nomerge nounwind }
