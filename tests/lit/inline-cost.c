// The hooks cost the inliner nothing: helper, with an entry hook, two exit
// hooks and three edge hooks, is inlined into both callers as the plain
// build inlines it.  Priced as the calls they are (-codensm-hooks-free-to-
// inline=0), they took helper over -O2's threshold and it stayed a call.
// RUN: %clang -O2 -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -O2 -S -emit-llvm -mllvm -codensm-hooks-free-to-inline=0 -o - %s | %FileCheck %s --check-prefix=PRICED

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
