; Root causes: a function that can fail reads the thread's error epoch at
; its entry (before the optimiser a call, @__codensm_error_mark; after it
; one load of the runtime's thread_local, initial-exec), and its error
; exits hand that mark to the runtime's cold @__codensm_error after
; counting the error.  A function that cannot fail (no convention, no
; unwinding) reads nothing.
; The functions here are tiny but stand for timed ones (the untimed policy,
; which would count them without timing, is trivial.c's).
; RUN: rm -rf %t && mkdir -p %t
; RUN: printf 'errors:\n  error-causes.fails: negative\n' > %t/.codensm.yaml
; RUN: cd %t && %opt -codensm-untimed-instructions=0 -codensm-config=%t/.codensm.yaml -passes=codensm-instrument -S %s -o - | %FileCheck %s --check-prefix=MARK
; RUN: cd %t && %opt -codensm-untimed-instructions=0 -codensm-config=%t/.codensm.yaml -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "error-causes.c"
target triple = "x86_64-pc-linux-gnu"

; MARK-LABEL: define i32 @fails(
; MARK: %codensm.start = call i64 @__codensm_enter({{.*}}, i64 0)
; MARK-NEXT: %codensm.mark = call i64 @__codensm_error_mark()
; MARK: [[C:%.*]] = icmp slt i32 %x, 0
; MARK-NEXT: [[Z:%.*]] = zext i1 [[C]] to i64
; MARK-NEXT: call void @__codensm_exit({{.*}}, i64 0, i64 %codensm.start, i64 [[Z]], i64 %codensm.mark)
; MARK-LABEL: define i32 @quiet(
; MARK: call i64 @__codensm_enter({{.*}}, i64 1)
; MARK-NOT: __codensm_error_mark
; MARK: ret i32

; CHECK-DAG: @__codensm_error_epoch = external thread_local(initialexec) global i64
; CHECK-LABEL: define i32 @fails(
; CHECK: [[M:%codensm.mark[0-9]*]] = load i64, {{.*}}@__codensm_error_epoch
; CHECK: codensm.error:
; CHECK: getelementptr inbounds i8, {{.*}}, i64 40
; CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
; CHECK-NEXT: store i64 [[INC]]
; CHECK-NEXT: call preserve_mostcc void @__codensm_error({{.*}}@__codensm_unit{{.*}}, i64 0, i64 [[M]])
; CHECK: ret i32 %x
; CHECK-LABEL: define i32 @quiet(
; CHECK: %codensm.calls = call i64 asm
; CHECK-NOT: __codensm_error
; CHECK: ret i32
define i32 @fails(i32 %x) nounwind {
  ret i32 %x
}

define i32 @quiet(i32 %x) nounwind {
  ret i32 %x
}
