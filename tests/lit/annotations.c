// Annotations from codensm.h beat the configuration; CODENSM_SKIP removes a
// function; CODENSM_TRACK instruments it in an excluded file.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/pay.c
// RUN: printf 'departments:\n  "": engine\nweights:\n  pay.: 2\n' > %t/.codensm.yaml
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-expand-O0 -S -emit-llvm -o - pay.c | %FileCheck %s
// RUN: printf 'exclude: ["pay.c"]\n' > %t/.codensm.yaml
// RUN: cd %t && %clang -S -emit-llvm -o - pay.c | %FileCheck %s --check-prefix=EXCLUDED
// RUN: printf 'int f(void) __attribute__((annotate("codensm:weight=lots")));\nint f(void) { return 0; }\n' > %t/bad.c
// RUN: cd %t && %not %clang -c bad.c -o bad.o 2>&1 | %FileCheck %s --check-prefix=BAD
#include "codensm.h"

// Declared with the annotation in a "header", defined without it.
CODENSM_DEPARTMENT("payments") CODENSM_WEIGHT(9) int charge(int cents);
int charge(int cents) { return cents > 0 ? 0 : -1; }

CODENSM_ERRORS_WHEN_NULL const char *lookup(int id) { return id ? "x" : 0; }
CODENSM_ERRORS_WHEN_FALSE _Bool valid(int id) { return id > 0; }
CODENSM_SKIP int hot(int x) { return x + 1; }
CODENSM_TRACK int tracked(int x) { return x - 1; }
int plain(int x) { return x; }

// CHECK-NOT: c"pay.hot\00"
// CHECK-DAG: c"pay.charge\00"
// CHECK-DAG: c"payments\00"
// CHECK-DAG: c"engine\00"
// name, department, file, line, weight, errors (4 = null, 5 = false), flags
// CHECK-DAG: @__codensm_functions = internal constant [5 x {{.*}} i32 0, i32 9, i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i32 4, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i32 5, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i32 0, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 2, i32 0, i32 0, i64 {{-?[0-9]+}} }]
// CHECK-LABEL: define {{.*}} @lookup(
// The convention: the returned pointer is null.
// CHECK: [[RET:%.*]] = select
// CHECK-NEXT: [[C:%.*]] = icmp eq {{.*}} [[RET]], null
// CHECK-NEXT: [[Z:%.*]] = zext i1 [[C]] to i64
// An error exit adds one to slot 1's errors: byte 32 (header) + 32 + 8.
// CHECK-NEXT: [[E:%.*]] = icmp ne i64 [[Z]], 0
// CHECK: getelementptr inbounds i8, {{.*}}, i64 72
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK-LABEL: define {{.*}} @hot(
// CHECK-NOT: codensm
// CHECK: ret

// EXCLUDED-DAG: @__codensm_functions = internal constant [1 x
// EXCLUDED-DAG: c"pay.tracked\00"

// BAD: error: codensm: {{.*}}bad.c:2: bad annotation "codensm:weight=lots" on f
