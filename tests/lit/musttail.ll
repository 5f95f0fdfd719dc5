; A musttail call must stay right before its ret: the exit hook goes before
; the call.
; RUN: %opt -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "musttail.c"
target triple = "x86_64-pc-linux-gnu"

declare i32 @g(i32)
; CHECK-LABEL: define i32 @f(
; CHECK: codensm.stop
; CHECK: %r = musttail call i32 @g(i32 %x)
; CHECK-NEXT: ret i32 %r
define i32 @f(i32 %x) {
  %r = musttail call i32 @g(i32 %x)
  ret i32 %r
}
