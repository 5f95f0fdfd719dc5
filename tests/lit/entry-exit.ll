; The hooks: a count and a sampled clock read at entry, a time stop before
; every ret, the slot table, and its registration; first as the optimiser
; sees them, then expanded.
; RUN: %opt -passes=codensm-instrument -S %s -o - | %FileCheck %s --check-prefix=MARK
; RUN: %opt -passes=codensm -S %s -o - | %FileCheck %s
; RUN: %opt -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=EXPANDED
; EXPANDED-NOT: __codensm_enter
; EXPANDED-NOT: __codensm_exit
; EXPANDED-NOT: define {{.*}}@codensm.sample_
source_filename = "entry-exit.c"
target triple = "x86_64-pc-linux-gnu"

; CHECK-DAG: @__codensm_tls = internal thread_local global {{.*}} zeroinitializer, align 64
; CHECK-DAG: @__codensm_module = internal constant {{.*}} { i32 1, i32 2,
; CHECK-DAG: c"entry-exit.work\00"
; CHECK-DAG: c"entry-exit.twice\00"
; CHECK-DAG: @__codensm_sample_mask = external {{.*}}global i64
; CHECK-DAG: @llvm.global_ctors = appending global {{.*}} @codensm.module_ctor
; CHECK-DAG: @llvm.global_dtors = appending global {{.*}} @codensm.module_dtor

; Before the optimiser the hooks are two runtime calls, nomerge so that no
; pass folds two functions' hooks into one; the exits get the entry's value.
; MARK-LABEL: define i32 @work(
; MARK: %codensm.start = call i64 @__codensm_enter({{.*}}@__codensm_module{{.*}}, i64 0) [[ATTR:#[0-9]+]]
; MARK: %m = mul
; MARK-NEXT: call void @__codensm_exit({{.*}}@__codensm_module{{.*}}, i64 0, i64 %codensm.start) [[ATTR]]
; MARK: %s = sub
; MARK-NEXT: call void @__codensm_exit({{.*}}@__codensm_module{{.*}}, i64 0, i64 %codensm.start) [[ATTR]]
; MARK-DAG: declare i64 @__codensm_enter({{.*}}) [[DECL:#[0-9]+]]
; MARK-DAG: attributes [[ATTR]] = { nomerge nounwind }
; MARK-DAG: attributes [[DECL]] = { nounwind willreturn }
; MARK-DAG: !codensm.instrumented = !{![[TABLES:[0-9]+]]}
; MARK-DAG: ![[TABLES]] = !{{{.*}}@__codensm_module, {{.*}}@__codensm_tls, i32 0}

; After it, inline code: the count, the sample test, the runtime's rare
; sample_start, and at each exit a stop of the timed calls.
; CHECK-LABEL: define i32 @work(
; CHECK: %codensm.calls = call i64 asm sideeffect "xaddq $0, $1", "=r,=*m,0,*m,~{flags}"{{.*}}@__codensm_tls, {{.*}}i32 4, i64 0, i64 0)
; CHECK: load atomic i64, {{.*}}@__codensm_sample_mask monotonic
; CHECK: %codensm.sampled = icmp eq i64
; CHECK: codensm.sample:
; CHECK-NEXT: [[T:%.*]] = call i64 @__codensm_sample_start({{.*}}@__codensm_module
; CHECK: [[START:%.*]] = phi i64 [ 0, %{{.*}} ], [ [[T]], %codensm.sample ]
; Both returns stop the clock of a timed call (slot 0).
; CHECK: icmp ne i64 [[START]], 0
; CHECK: codensm.stop{{.*}}:
; CHECK-NEXT: call void @__codensm_sample_stop({{.*}}@__codensm_module{{.*}}, i64 0, i64 [[START]])
; CHECK: ret i32 %m
; CHECK: codensm.stop{{.*}}:
; CHECK-NEXT: call void @__codensm_sample_stop({{.*}}@__codensm_module{{.*}}, i64 0, i64 [[START]])
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
