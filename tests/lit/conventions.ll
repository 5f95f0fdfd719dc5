; Error conventions on return values: < 0 for integers and floats,
; zext(condition) added to the errors field (1) on each normal exit.
; RUN: rm -rf %t && mkdir -p %t
; RUN: printf 'errors:\n  conventions.neg: negative\n  conventions.fneg: negative\n  conventions.nz: nonzero\n  conventions.none: zero\n' > %t/.codensm.yaml
; RUN: cd %t && %opt -codensm-config=%t/.codensm.yaml -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "conventions.c"
target triple = "x86_64-pc-linux-gnu"

; CHECK-LABEL: define i32 @neg(
; CHECK: [[C:%.*]] = icmp slt i32 %x, 0
; CHECK-NEXT: [[Z:%.*]] = zext i1 [[C]] to i64
; CHECK-NEXT: call void asm sideeffect "addq $1, $0"{{.*}}i32 4, i64 0, i64 1), i64 [[Z]]
define i32 @neg(i32 %x) {
  ret i32 %x
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
; A convention on void counts nothing.
; CHECK-LABEL: define void @none(
; CHECK-NOT: i64 3, i64 1)
; CHECK: ret void
define void @none() {
  ret void
}
