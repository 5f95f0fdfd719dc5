; Other CPUs count with an atomic add and read the runtime's clock; targets
; without thread-local storage or a hosted runtime are left alone.
; The functions here are tiny but stand for timed ones (the untimed policy,
; which would count them without timing, is trivial.c's).
; RUN: sed 's/TRIPLE/aarch64-unknown-linux-gnu/' %s | %opt -codensm-untimed-instructions=0 -passes=codensm -S -o - | %FileCheck %s --check-prefix=ARM
; RUN: sed 's/TRIPLE/aarch64-unknown-linux-gnu/' %s | %opt -codensm-untimed-instructions=0 -codensm-timing=every -passes=codensm -S -o - | %FileCheck %s --check-prefix=ARM-EVERY
; RUN: sed 's/TRIPLE/nvptx64-nvidia-cuda/' %s | %opt -codensm-untimed-instructions=0 -passes=codensm -S -o - | %FileCheck %s --check-prefix=GPU
; RUN: sed 's/TRIPLE/wasm32-unknown-unknown/' %s | %opt -codensm-untimed-instructions=0 -passes=codensm -S -o - | %FileCheck %s --check-prefix=GPU
source_filename = "targets.c"
target triple = "TRIPLE"

; ARM-LABEL: define i32 @f(
; ARM: load {{.*}}@__codensm_home
; ARM: atomicrmw add {{.*}}, i64 1 monotonic
; ARM: call i64 @__codensm_sample_start(
; ARM-NOT: asm
; ARM-EVERY-LABEL: define i32 @f(
; ARM-EVERY: atomicrmw add {{.*}}, i64 1 monotonic
; ARM-EVERY: call i64 @__codensm_clock()
; ARM-EVERY: call i64 @__codensm_clock()
; ARM-EVERY-NOT: asm
; The function is there, unchanged, and nothing of ours is.
; GPU-NOT: codensm
; GPU: define i32 @f(i32 %x) {
; GPU-NEXT: ret i32 %x
; GPU-NOT: codensm
define i32 @f(i32 %x) {
  ret i32 %x
}
