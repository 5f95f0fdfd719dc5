; Error conventions on return values: < 0 for integers and floats.  The
; exit hook gets zext(condition); expanded, a taken branch finds the
; thread's chunk and adds one to the slot's errors field (offset 32 + 8).
; RUN: rm -rf %t && mkdir -p %t
; RUN: printf 'errors:\n  conventions.neg: negative\n  conventions.uneg: negative\n  conventions.sneg: negative\n  conventions.fneg: negative\n  conventions.nz: nonzero\n  conventions.none: zero\n' > %t/.codensm.yaml
; RUN: cd %t && %opt -codensm-config=%t/.codensm.yaml -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "conventions.c"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @neg(
; CHECK: [[C:%.*]] = icmp slt i32 %x, 0
; CHECK-NEXT: [[Z:%.*]] = zext i1 [[C]] to i64
; CHECK-NEXT: [[E:%.*]] = icmp ne i64 [[Z]], 0
; CHECK-NEXT: br i1 [[E]], label %codensm.error
; CHECK: codensm.error:
; CHECK: load {{.*}}@__codensm_home
; CHECK: getelementptr inbounds i8, {{.*}}, i64 40
; CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
; CHECK-NEXT: store i64 [[INC]]
define i32 @neg(i32 %x) {
  ret i32 %x
}
; An unsigned 16-bit return (zeroext: uint16_t) is never negative; a
; signed one (signext: int16_t) is.
; CHECK-LABEL: define zeroext i16 @uneg(
; CHECK-NOT: icmp slt
; CHECK: ret i16
define zeroext i16 @uneg(i16 %x) {
  ret i16 %x
}
; CHECK-LABEL: define signext i16 @sneg(
; CHECK: icmp slt i16 %x, 0
; CHECK: ret i16
define signext i16 @sneg(i16 %x) {
  ret i16 %x
}
; CHECK-LABEL: define double @fneg(
; CHECK: fcmp olt double %x, 0.0
define double @fneg(double %x) {
  ret double %x
}
; CHECK-LABEL: define i64 @nz(
; CHECK: icmp ne i64 %x, 0
define i64 @nz(i64 %x) {
  ret i64 %x
}
; A convention on void counts nothing: no error branch.
; CHECK-LABEL: define void @none(
; CHECK: %codensm.calls = call i64 asm
; CHECK-NOT: codensm.error
; CHECK: ret void
define void @none() {
  ret void
}
