// Recursion: a function in a cycle of the unit's call graph (walk calls
// itself; ping and pong call each other) is flagged RECURSIVE (8) and
// keeps its depth (+1 after the entry, -1 after each exit, after the stop
// has read it); expanded, the depth is a 16-bit counter after the chunk's
// targets (1184 + 2 * slot), in the thread's real chunk (made real by the
// entry, so the exits need no test).  A function that
// is not recursive keeps no depth.
// RUN: %clang -O0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=CALLS
// RUN: %clang -O1 -fno-inline -S -emit-llvm -o - %s | %FileCheck %s

int walk(int n) { return n ? 1 + walk(n - 1) : 0; }
int pong(int n);
int ping(int n) { return n ? pong(n - 1) : 0; }
int pong(int n) { return n ? ping(n - 1) : 1; }
int plain(int n) { return walk(n) + ping(n); }

// The flags: walk, ping and pong recursive (8), plain not (0).
// CALLS-DAG: @__codensm_functions = internal constant [4 x {{.*}} i32 8, i64 {{-?[0-9]+}} }, {{.*}} i32 8, i64 {{-?[0-9]+}} }, {{.*}} i32 8, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i64 {{-?[0-9]+}} }]
// CALLS-LABEL: define {{.*}} @walk(
// CALLS: call i64 @__codensm_enter({{.*}}, i64 0)
// CALLS-NEXT: call void @__codensm_depth({{.*}}, i64 0, i64 1)
// CALLS: call void @__codensm_exit({{.*}}, i64 0,
// CALLS-NEXT: call void @__codensm_depth({{.*}}, i64 0, i64 -1)
// CALLS-LABEL: define {{.*}} @ping(
// CALLS: call i64 @__codensm_enter({{.*}}, i64 1)
// CALLS-NEXT: call void @__codensm_depth({{.*}}, i64 1, i64 1)
// CALLS-LABEL: define {{.*}} @pong(
// CALLS: call i64 @__codensm_enter({{.*}}, i64 2)
// CALLS-NEXT: call void @__codensm_depth({{.*}}, i64 2, i64 1)
// CALLS-LABEL: define {{.*}} @plain(
// CALLS: call i64 @__codensm_enter({{.*}}, i64 3)
// CALLS-NOT: __codensm_depth
// CALLS: ret i32

// A sampled call goes on in walk's timed twin before the depth's +1,
// which the twin then keeps itself.
// A frame entered inside an open frame of walk (its depth above 0) counts
// itself inline and takes no sample test (ABI 8): its call (32), a sample
// of weight 1 (48) with the runtime's probe ticks (56), and one call more
// before the next timed one (its target, 1056).
// CHECK-LABEL: define {{.*}} @walk(
// CHECK: getelementptr inbounds i8, {{.*}}, i64 1184
// CHECK: [[DEPTH:%.*]] = load volatile i16
// CHECK-NEXT: [[NESTED:%.*]] = icmp ne i16 [[DEPTH]], 0
// CHECK-NEXT: br i1 [[NESTED]], label %[[IN:[0-9]+]], label %[[OUT:[0-9]+]]
// CHECK: [[IN]]:
// CHECK-NEXT: getelementptr inbounds i8, {{.*}}, i64 32
// CHECK-NOT: xaddq
// CHECK: add i64 {{.*}}, 1
// CHECK: getelementptr inbounds i8, {{.*}}, i64 48
// CHECK: add i64 {{.*}}, 1
// CHECK: [[PROBE:%.*]] = load atomic i64, {{.*}}@__codensm_probe_ticks monotonic
// CHECK: getelementptr inbounds i8, {{.*}}, i64 56
// CHECK: add i64 {{.*}}, [[PROBE]]
// CHECK: getelementptr inbounds i8, {{.*}}, i64 1056
// CHECK: add i32 {{.*}}, 1
// CHECK: [[OUT]]:
// CHECK-NEXT: getelementptr inbounds i8, {{.*}}, i64 32
// CHECK: "xaddq $0, $1"
// CHECK-NOT: volatile i16
// CHECK: tail call {{.*}} @walk.codensm.timed(
// CHECK-NEXT: ret i32
// CHECK: getelementptr inbounds i8, {{.*}}, i64 1184
// CHECK: load volatile i16
// CHECK-NEXT: add i16 {{.*}}, 1
// CHECK-NEXT: store volatile i16
// The exit's -1 needs no test that the chunk is real: the entry's +1 did.
// CHECK-NOT: __codensm_chunk
// CHECK: load volatile i16
// CHECK-NEXT: add i16 {{.*}}, -1
// CHECK-NEXT: store volatile i16
// CHECK: ret i32
// plain (slot 3) tests its target, 1056 + 4 * 3, and has no depth.
// CHECK-LABEL: define {{.*}} @plain(
// CHECK: getelementptr inbounds i8, {{.*}}, i64 1068
// CHECK: icmp uge i32
// CHECK-NOT: volatile i16
// CHECK: ret i32
// The twin: +1, the stop (which reads the depth), then -1.
// CHECK-LABEL: define internal {{.*}} @walk.codensm.timed(
// CHECK: getelementptr inbounds i8, {{.*}}, i64 1184
// CHECK: load volatile i16
// CHECK-NEXT: add i16 {{.*}}, 1
// CHECK-NEXT: store volatile i16
// CHECK: __codensm_sample_stop
// CHECK-NOT: __codensm_chunk
// CHECK: load volatile i16
// CHECK-NEXT: add i16 {{.*}}, -1
// CHECK-NEXT: store volatile i16
// CHECK: ret i32
