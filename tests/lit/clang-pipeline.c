// Through clang -fpass-plugin at every optimisation level the hooks are
// there, and at -O2 a static helper inlined into its caller keeps its own
// count (the pass runs before inlining).  At -O0 they stay calls into the
// runtime (compile time: the inline hot path is the larger part of what an
// unoptimised build pays), unless -codensm-expand-O0 asks for it.
// The functions here are tiny but stand for timed ones (the untimed policies,
// which would count them without timing, are trivial.c's and untimed-inlined.c's).
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -O0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=CALLS
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -O0 -mllvm -codensm-expand-O0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O0
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -O2 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -Os -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -O3 -g -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -O2 -flto=thin -c -o %t.thin.bc %s
// RUN: %llvm_dis %t.thin.bc -o - | %FileCheck %s --check-prefix=O2
// RUN: %clang -fplugin=%plugin -mllvm -codensm-untimed-instructions=0 -mllvm -codensm-untimed-inlined-instructions=0 -O2 -flto -c -o %t.full.bc %s
// RUN: %llvm_dis %t.full.bc -o - | %FileCheck %s --check-prefix=O2

// CALLS: define {{.*}} @caller(
// CALLS: [[T:%.*]] = call i64 @__codensm_enter({{.*}}, i64 0)
// CALLS: call void @__codensm_exit({{.*}}, i64 0, i64 [[T]], i64 0, i64 0)
// CALLS: define {{.*}} @helper(
// CALLS: call i64 @__codensm_enter({{.*}}, i64 1)
// CALLS-NOT: xaddq

// Slot 0 is byte 32 of chunk 0 (after its header), slot 1 byte 64.
// O0: define {{.*}} @caller(
// O0: load {{.*}}@__codensm_home
// O0: getelementptr inbounds i8, {{.*}}, i64 32
// O0: "xaddq $0, $1"
// O0: define {{.*}} @helper(
// O0: getelementptr inbounds i8, {{.*}}, i64 64
// O0: "xaddq $0, $1"

// O2-NOT: define {{.*}} @helper(
// O2: define {{.*}} @caller(
// The inlined helper's hooks are expanded in the caller: its own slot 0,
// then the helper's slot 1 (byte 64 of the same chunk).
// O2: getelementptr inbounds i8, {{.*}}, i64 32
// O2: "xaddq $0, $1"
// O2: getelementptr inbounds i8, {{.*}}, i64 64
// O2: "xaddq $0, $1"
static int helper(int x) { return x * 3; }
int caller(int x) { return helper(x) + 1; }
