// A header template instantiated with a TU's own type is that TU's code
// (two TUs' instances are different functions): it keeps the TU's module,
// while the header's plain static function takes the header's.
// RUN: rm -rf %t && mkdir -p %t/src %t/include
// RUN: cp %s %t/src/a.cpp && cp %S/Inputs/helpers.hpp %t/include/
// RUN: cd %t && %clangxx -g -O0 -Iinclude -S -emit-llvm -o - src/a.cpp | %FileCheck %s
// CHECK-DAG: c"src/a.weigh<(anonymous namespace)::Local>\00"
// CHECK-DAG: c"include/helpers.halve\00"
// CHECK-NOT: c"include/helpers.weigh
#include "helpers.hpp"
namespace {
struct Local { int a, b; };
} // namespace
int use() { return weigh(Local{1, 2}) + halve(4); }
