// Without debug information clang says nothing of where a function is
// defined: a header's static helper keeps its translation unit's name.
// RUN: rm -rf %t && mkdir -p %t/src %t/include
// RUN: cp %s %t/src/a.c && cp %S/Inputs/helpers.h %t/include/
// RUN: cd %t && %clang -Iinclude -S -emit-llvm -o - src/a.c | %FileCheck %s
// CHECK-DAG: c"src/a.twice\00"
// CHECK-DAG: c"src/a.use\00"
// CHECK-NOT: c"include/helpers.
#include "helpers.h"
int use(int x) { return twice(x); }
