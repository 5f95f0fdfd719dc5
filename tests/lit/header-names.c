// A function defined in a header is named by the header's module, so a
// static inline helper is one function whichever TU has it; its default
// department is the header's too.  -g and -gline-tables-only both say
// where a function is defined.
// RUN: rm -rf %t && mkdir -p %t/src %t/include
// RUN: cp %s %t/src/a.c && cp %s %t/src/b.c && cp %S/Inputs/helpers.h %t/include/
// RUN: printf 'departments:\n  include: shared\n' > %t/.codensm.yaml
// RUN: cd %t && %clang -g -Iinclude -S -emit-llvm -o - src/a.c | %FileCheck %s --check-prefixes=CHECK,A
// RUN: cd %t/src && %clang -gline-tables-only -I../include -S -emit-llvm -o - b.c | %FileCheck %s --check-prefixes=CHECK,B
// CHECK-DAG: c"include/helpers.twice\00"
// CHECK-DAG: c"shared\00"
// A-DAG: c"src/a.use\00"
// B-DAG: c"src/b.use\00"
// CHECK-NOT: c"src/{{[ab]}}.twice
#include "helpers.h"
int use(int x) { return twice(x); }
