// Running the pass twice changes nothing the second time.
// RUN: %clang_cc -O1 -Xclang -disable-llvm-passes -S -emit-llvm -o %t.ll %s
// RUN: %opt -passes=codensm -S %t.ll -o %t.once.ll
// RUN: %opt -passes=codensm,codensm -S %t.ll -o %t.twice.ll
// RUN: %opt -passes=codensm -S %t.once.ll -o %t.again.ll
// RUN: diff %t.once.ll %t.twice.ll
// RUN: sed "s/;.*//" %t.once.ll > %t.a && sed "s/;.*//" %t.again.ll > %t.b && diff %t.a %t.b
// RUN: %FileCheck %s < %t.twice.ll
// CHECK-COUNT-1: call void @__codensm_register
// CHECK: !codensm.instrumented = !{![[TABLES:[0-9]+]]}{{$}}
int f(int x) { return x + 1; }
