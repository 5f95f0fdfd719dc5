; The hooks: a count and a sampled clock read at entry, a time stop before
; every ret, the slot table, and its registration.
; RUN: %opt -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "entry-exit.c"
target triple = "x86_64-pc-linux-gnu"

; CHECK-DAG: @__codensm_tls = internal thread_local global {{.*}} zeroinitializer, align 64
; CHECK-DAG: @__codensm_module = internal constant {{.*}} { i32 1, i32 2,
; CHECK-DAG: c"entry-exit.work\00"
; CHECK-DAG: c"entry-exit.twice\00"
; CHECK-DAG: @__codensm_sample_mask = external {{.*}}global i64
; CHECK-DAG: @llvm.global_ctors = appending global {{.*}} @codensm.module_ctor
; CHECK-DAG: @llvm.global_dtors = appending global {{.*}} @codensm.module_dtor

; CHECK-LABEL: define i32 @work(
; CHECK: %codensm.calls = call i64 asm sideeffect "xaddq $0, $1"{{.*}}@__codensm_tls, {{.*}}i32 4, i64 0, i64 0)
; CHECK: load atomic i64, {{.*}}@__codensm_sample_mask monotonic
; CHECK: %codensm.sampled = icmp eq i64
; CHECK: codensm.sample:
; CHECK-NEXT: [[T:%.*]] = call i64 @codensm.sample_start()
; CHECK: %codensm.start = phi i64 [ 0, %{{.*}} ], [ [[T]], %codensm.sample ]
; Both returns stop the clock of a timed call (slot 0).
; CHECK: codensm.stop:
; CHECK-NEXT: call void @codensm.sample_stop(i64 0, i64 %codensm.start)
; CHECK: ret i32 %m
; CHECK: codensm.stop{{.*}}:
; CHECK-NEXT: call void @codensm.sample_stop(i64 0, i64 %codensm.start)
; CHECK: ret i32 %s
define i32 @work(i32 %x) {
entry:
  %c = icmp sgt i32 %x, 3
  br i1 %c, label %big, label %small
big:
  %m = mul i32 %x, 2
  ret i32 %m
small:
  %s = sub i32 %x, 1
  ret i32 %s
}

; CHECK-LABEL: define i32 @twice(
; CHECK: i32 4, i64 1, i64 0)
define i32 @twice(i32 %x) {
  %a = call i32 @work(i32 %x)
  %b = call i32 @work(i32 %x)
  %r = add i32 %a, %b
  ret i32 %r
}

; The rare part, shared by the module's functions: attach the thread's block
; once, read the clock; add a sample and its ticks (fields 2 and 3).
; CHECK-LABEL: define internal i64 @codensm.sample_start()
; CHECK: load i64, {{.*}}@__codensm_tls{{(, i32 0, i32 0\))?}}, align
; CHECK: codensm.attach:
; CHECK-NEXT: call void @__codensm_attach({{.*}}@__codensm_module{{.*}}@__codensm_tls
; CHECK: [[NOW:%.*]] = call i64 @llvm.x86.rdtsc()
; CHECK-NEXT: ret i64 [[NOW]]
; CHECK-LABEL: define internal void @codensm.sample_stop(i64 %0, i64 %1)
; CHECK: call i64 @llvm.x86.rdtsc()
; CHECK: getelementptr {{.*}}@__codensm_tls, i32 0, i32 4, i64 %0, i64 2
; CHECK-NEXT: "incq $0"
; CHECK: getelementptr {{.*}}@__codensm_tls, i32 0, i32 4, i64 %0, i64 3
; CHECK-NEXT: "addq $1, $0"

; CHECK-LABEL: define internal void @codensm.module_ctor()
; CHECK-NEXT: call void @__codensm_register({{.*}}@__codensm_module
; CHECK-LABEL: define internal void @codensm.module_dtor()
; CHECK-NEXT: call void @__codensm_unregister({{.*}}@__codensm_module
