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
; CHECK: %codensm.calls = load atomic i64, {{.*}} @__codensm_tls, {{.*}}i32 4, i64 0, i64 0) monotonic
; CHECK-NEXT: call void asm sideeffect "incq $0"{{.*}}i32 4, i64 0, i64 0)
; CHECK: load atomic i64, {{.*}}@__codensm_sample_mask monotonic
; CHECK: %codensm.sampled = icmp eq i64
; CHECK: codensm.sample:
; CHECK: codensm.attach:
; CHECK-NEXT: call void @__codensm_attach({{.*}}@__codensm_module{{.*}}@__codensm_tls
; CHECK: call i64 @llvm.x86.rdtsc()
; CHECK: %codensm.start = phi i64 [ 0, %{{.*}} ], [ %{{.*}}, %{{.*}} ]
; Both returns stop the clock (samples in field 2, ticks in field 3).
; CHECK: codensm.stop:
; CHECK: call i64 @llvm.x86.rdtsc()
; CHECK: "incq $0"{{.*}}i32 4, i64 0, i64 2)
; CHECK: "addq $1, $0"{{.*}}i32 4, i64 0, i64 3)
; CHECK: ret i32 %m
; CHECK: codensm.stop{{.*}}:
; CHECK: call i64 @llvm.x86.rdtsc()
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

; CHECK-LABEL: define internal void @codensm.module_ctor()
; CHECK-NEXT: call void @__codensm_register({{.*}}@__codensm_module
; CHECK-LABEL: define internal void @codensm.module_dtor()
; CHECK-NEXT: call void @__codensm_unregister({{.*}}@__codensm_module
