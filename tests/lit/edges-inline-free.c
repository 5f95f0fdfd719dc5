// -codensm-edges-inline-free tells the inliner an edge hook costs nothing
// (expanded, it is one add).  helper is loop-free and small, so its entry
// and exit are priced as the increment they become once inlined (the
// untimed-inlined policy), but each of its eight call sites counts an
// edge, priced by default as the call it is until expansion: that takes
// helper over -O2's threshold and it stays a call where plain inlines it.
// With the option it is inlined as plain inlines it.
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=PRICED
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -mllvm -codensm-edges-inline-free -o - %s | %FileCheck %s --check-prefix=FREE
// RUN: %clang_cc -O2 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=FREE

extern int e1(int), e2(int), e3(int), e4(int), e5(int), e6(int), e7(int),
    e8(int);
int helper(int x) {
  return e1(x) + e2(x) + e3(x) + e4(x) + e5(x) + e6(x) + e7(x) + e8(x);
}
int caller1(int x) { return helper(x) + 1; }

// PRICED-LABEL: define {{.*}} @caller1(
// PRICED: call i32 @helper(

// FREE-LABEL: define {{.*}} @caller1(
// FREE-NOT: @helper(
// FREE: call i32 @e1(
// FREE-NOT: @helper(
// FREE: ret i32
