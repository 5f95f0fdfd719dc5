; Names longer than the ingest contract's 512 bytes are cut to 512: their
; start, "~" and a hash of the whole, so they stay unique and stable.
; RUN: %opt -passes=codensm -S %s -o - | %FileCheck %s
source_filename = "long.c"
target triple = "x86_64-pc-linux-gnu"

; CHECK: c"long.f{{(x{245})(x{244})}}~{{([0-9a-f]{16})}}\00"
; CHECK-NOT: c"long.f{{(x{245})(x{245})}}
define i32 @fxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx(i32 %x) {
  ret i32 %x
}
; A short name is left as it is.
; CHECK-DAG: c"long.short\00"
define i32 @short(i32 %x) {
  ret i32 %x
}
