// A function's file is the debug information's, its dots removed: a header
// reached through `-I src/kj/..` is src/kj/m.h, as through `-I src`
// (capnproto's CMake build gave one header both spellings).
// RUN: rm -rf %t && mkdir -p %t/src/kj
// RUN: printf 'static inline int h(int x) { return x + 1; }\n' > %t/src/kj/m.h
// RUN: cp %s %t/src/a.c
// RUN: cd %t && %clang -g -I src/kj/.. -S -emit-llvm -o - src/a.c | %FileCheck %s
// CHECK: c"src/kj/m.h\00"
// CHECK-NOT: c"src/kj/../kj/m.h\00"
#include "kj/m.h"
int use(int x) { return h(x); }
