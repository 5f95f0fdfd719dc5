// What is not instrumented: naked functions, available_externally bodies
// (C99 extern inline), global initialisers, and the plugin's own code.
// RUN: %clang -O1 -S -emit-llvm -o - %s | %FileCheck %s
// CHECK-DAG: @__codensm_functions = internal constant [1 x
// CHECK-DAG: c"skipped.counted\00"
// CHECK-LABEL: define {{.*}} @bare(
// CHECK-NOT: codensm
// CHECK: }
// CHECK-LABEL: define {{.*}} @counted(
// CHECK: "xaddq $0, $1"
__attribute__((naked)) void bare(void) { __asm__("ret"); }
extern inline __attribute__((gnu_inline)) int twice(int x) { return 2 * x; }
int counted(int x) { return twice(x); }
