// With CodeNSMFrontend.so (-fplugin=), clang's front end tells the pass
// where each function is defined, without debug information: a system
// header's functions (a library included with -isystem) are not the team's
// code and are not instrumented, unless CODENSM_TRACK says so; a project
// header's helper is named by the header; each function has its line.
// With the pass alone, as before: everything instrumented, named by the
// unit, no line.  Loading CodeNSMFrontend.so loads CodeNSM.so, so -mllvm
// options need no other -fplugin=.
// RUN: rm -rf %t && mkdir -p %t/src %t/include %t/sys
// RUN: cp %s %t/src/a.cpp && cp %S/Inputs/helpers.h %S/Inputs/third-party.h %t/include/ && mv %t/include/third-party.h %t/sys/
// RUN: cd %t && %clangxx_fe -O1 -Iinclude -isystem sys -S -emit-llvm -o fe.ll src/a.cpp
// RUN: %FileCheck %s --input-file=%t/fe.ll
// RUN: %FileCheck %s --input-file=%t/fe.ll --check-prefix=LEFT-OUT
// RUN: cd %t && %clangxx_fe -O1 -Iinclude -isystem sys -mllvm -codensm-timing=off -S -emit-llvm -o - src/a.cpp | %FileCheck %s --check-prefix=OPTIONS
// RUN: cd %t && %clangxx -O1 -Iinclude -isystem sys -S -emit-llvm -o - src/a.cpp | %FileCheck %s --check-prefix=PASS-ONLY
// Two units in one compiler process (clang runs -cc1 in its own): the
// second's own third_scale is instrumented, though the first's system
// header defined one of the same linkage name.
// RUN: cp %S/Inputs/source-facts-b.cpp %t/src/b.cpp
// RUN: cd %t/src && %clangxx_fe -O1 -I../include -isystem ../sys -S -emit-llvm a.cpp b.cpp
// RUN: %FileCheck %s --input-file=%t/src/b.ll --check-prefix=SECOND
// SECOND: c"b.third_scale\00"
// CHECK-DAG: @[[USE:__codensm_str[.0-9]*]] = {{.*}} c"src/a.use\00"
// CHECK-DAG: @[[FILE:__codensm_str[.0-9]*]] = {{.*}} c"src/a.cpp\00"
// CHECK-DAG: @[[TWICE:__codensm_str[.0-9]*]] = {{.*}} c"include/helpers.twice\00"
// CHECK-DAG: @[[HEADER:__codensm_str[.0-9]*]] = {{.*}} c"include/helpers.h\00"
// CHECK-DAG: c"third::tracked\00"
// Every name string comes before the table.
// LEFT-OUT-NOT: c"{{[^"]*}}third_scale
// LEFT-OUT-NOT: c"third::add
// LEFT-OUT-NOT: c"third::Counter
// LEFT-OUT: @__codensm_functions =
// CHECK: @__codensm_functions =
// CHECK-SAME: @[[USE]]{{[^}]*}}@[[FILE]]{{(, i32 0, i32 0\))?}}, i32 47,
// CHECK-SAME: @[[TWICE]]{{[^}]*}}@[[HEADER]]{{(, i32 0, i32 0\))?}}, i32 2,
// CHECK: @llvm.x86.rdtsc
// OPTIONS: @__codensm_module
// OPTIONS-NOT: @llvm.x86.rdtsc
// PASS-ONLY-DAG: c"src/a.twice\00"
// PASS-ONLY-DAG: c"third::add<int>\00"
// PASS-ONLY-DAG: c"third::Counter::bump\00"
// PASS-ONLY-DAG: c"src/a.third_scale\00"
// PASS-ONLY-NOT: c"include/helpers.twice\00"
#include "helpers.h"
#include <third-party.h>

int use(int x) {
  third::Counter c;
  c.bump();
  return twice(x) + third::add(x, c.n) + third::tracked(x) + third_scale(x);
}
