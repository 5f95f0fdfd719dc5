; Instrumented functions name their unit by @__codensm_unit, a function
; returning the descriptor, never by the descriptor: the call graph of the
; new pass manager follows every constant a function references, and from
; the descriptor it would walk the whole function table once per function
; (quadratic compile time: 10,000 one-line functions cost 27x at -O0).
; The functions here are tiny but stand for timed ones (the untimed policy,
; which would count them without timing, is trivial.c's).
; RUN: %opt -codensm-untimed-instructions=0 -passes=codensm-instrument -S %s -o - | %FileCheck %s --check-prefix=MARK
; RUN: %opt -codensm-untimed-instructions=0 -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "unit-key.c"
target triple = "x86_64-pc-linux-gnu"

; MARK-LABEL: define i32 @f(
; MARK-NOT: @__codensm_module
; MARK: call i64 @__codensm_enter({{.*}}@__codensm_unit
; MARK-NOT: @__codensm_module
; MARK: ret i32
; CHECK-LABEL: define i32 @f(
; CHECK-NOT: @__codensm_module
; CHECK: tail call i32 @f.codensm.timed(
; CHECK-NOT: @__codensm_module
; CHECK: ret i32
define i32 @f(i32 %x) {
  ret i32 %x
}

; CHECK-LABEL: define internal {{.*}} @__codensm_unit()
; CHECK-NEXT: ret {{.*}}@__codensm_module

; The timed twin (timed-twins.c) starts and stops the clock, naming the
; unit the same way.
; CHECK-LABEL: define internal i32 @f.codensm.timed(
; CHECK-NOT: @__codensm_module
; CHECK: call preserve_mostcc i64 @__codensm_sample_start({{.*}}@__codensm_unit
; CHECK-NOT: @__codensm_module
; CHECK: call preserve_mostcc void @__codensm_sample_stop({{.*}}@__codensm_unit
; CHECK-NOT: @__codensm_module
; CHECK: ret i32
