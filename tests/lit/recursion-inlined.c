// A recursive function timed in its own body only (the untimed-inlined
// policy) keeps its depth in its own body and its twin, not in its
// inlined copies: a copy is never timed, so its depth would only make a
// timed frame of the function below it count as nested, with no time.
// up (slot 1, depth at 1184 + 2) is inlined in outer and in down; down
// (slot 0, at 1184) keeps its own.
// RUN: %clang -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -O2 -mllvm -codensm-untimed-inlined-instructions=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF

int down(int n);
static inline __attribute__((always_inline)) int up(int n) {
  return n > 0 ? down(n - 1) + 1 : 0;
}
int down(int n) { return n > 0 ? up(n - 1) - 1 : 0; }
int outer(int n) { return up(n) * 2; }

// CHECK-LABEL: define {{.*}} @down(
// CHECK-NOT: i64 1186
// CHECK: getelementptr inbounds i8, {{.*}}, i64 1184
// CHECK: load volatile i16
// CHECK-NOT: i64 1186
// CHECK: ret i32
// CHECK-LABEL: define {{.*}} @outer(
// CHECK-NOT: volatile i16
// CHECK: ret i32
// CHECK-LABEL: define internal {{.*}} @down.codensm.timed(
// CHECK: load volatile i16
// Policy off, every copy of up is timed, and keeps its depth.
// OFF-LABEL: define {{.*}} @outer(
// OFF: getelementptr inbounds i8, {{.*}}, i64 1186
// OFF: load volatile i16
