// Through clang -fpass-plugin at every optimisation level the hooks are
// there, and at -O2 a static helper inlined into its caller keeps its own
// count (the pass runs before inlining).
// RUN: %clang -O0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O0
// RUN: %clang -O2 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2
// RUN: %clang -Os -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2
// RUN: %clang -O3 -g -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2
// RUN: %clang -O2 -flto=thin -c -o %t.thin.bc %s
// RUN: %llvm_dis %t.thin.bc -o - | %FileCheck %s --check-prefix=O2
// RUN: %clang -O2 -flto -c -o %t.full.bc %s
// RUN: %llvm_dis %t.full.bc -o - | %FileCheck %s --check-prefix=O2

// O0: define {{.*}} @caller(
// O0: "xaddq $0, $1"{{.*}}i32 4, i64 0, i64 0)
// O0: define {{.*}} @helper(
// O0: "xaddq $0, $1"{{.*}}i32 4, i64 1, i64 0)

// O2-NOT: define {{.*}} @helper(
// O2: define {{.*}} @caller(
// LLVM 15+ folds the slot address to a byte offset: 32 + 32 * slot.
// O2-DAG: "xaddq $0, $1"{{.*}}{{i32 4, i64 0, i64 0\)|@__codensm_tls, i64 32\)}}
// O2-DAG: "xaddq $0, $1"{{.*}}{{i32 4, i64 1, i64 0\)|@__codensm_tls, i64 64\)}}
static int helper(int x) { return x * 3; }
int caller(int x) { return helper(x) + 1; }
