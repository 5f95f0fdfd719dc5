// -codensm-inline-as-plain tells the inliner the hooks cost nothing:
// helper, with an entry hook, two exit hooks and three edge hooks, is then
// inlined into both callers as the plain build inlines it.  By default the
// hooks are priced as the calls they are until expansion, which takes
// helper over -O2's threshold: it stays a call (less code and compile time).
// Except the entry and exits of a function timed in its own body only
// (the untimed-inlined policy, which helper falls under: no loop, a few
// instructions), which become one increment once inlined and are priced
// so: by default helper is inlined as plain inlines it; with the policy
// off its hooks are priced again.
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -mllvm -codensm-inline-as-plain -o - %s | %FileCheck %s
// RUN: %clang -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -mllvm -codensm-untimed-inlined-instructions=0 -o - %s | %FileCheck %s --check-prefix=PRICED
// RUN: %clang_cc -O2 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=PLAIN

extern int ext1(int), ext2(int), ext3(int);
static int helper(int x) {
  if (x < 0)
    return ext1(x);
  int a = ext2(x) + ext3(x + 1);
  return a * 7 + x;
}
int caller1(int x) { return helper(x) + 1; }
int caller2(int x) { return helper(x + 2) * 3; }

// CHECK-LABEL: define {{.*}} @caller1(
// CHECK-NOT: @helper
// CHECK: call i32 @ext1(
// CHECK-LABEL: define {{.*}} @caller2(
// CHECK-NOT: @helper
// CHECK: call i32 @ext1(
// CHECK-NOT: define internal {{.*}} @helper(

// PRICED-LABEL: define {{.*}} @caller1(
// PRICED: call {{.*}} @helper(
// PRICED: define internal {{.*}} @helper(

// PLAIN-LABEL: define {{.*}} @caller1(
// PLAIN-NOT: @helper
// PLAIN: call i32 @ext1(
// PLAIN-NOT: define internal {{.*}} @helper(
