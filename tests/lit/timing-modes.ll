; -codensm-timing: sampled (default) checks the sample mask; every reads the
; clock on every call; off never reads it.
; RUN: %opt -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=SAMPLED
; RUN: %opt -codensm-timing=every -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=EVERY
; RUN: %opt -codensm-timing=off -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=OFF
source_filename = "timing.c"
target triple = "x86_64-pc-linux-gnu"

; SAMPLED: @__codensm_sample_mask
; SAMPLED: rdtsc
; EVERY-LABEL: define i32 @f(
; EVERY-NOT: load atomic i64, {{.*}}@__codensm_sample_mask
; EVERY: incq
; EVERY: br i1 true, label %codensm.sample
; EVERY: rdtsc
; EVERY: rdtsc
; OFF-LABEL: define i32 @f(
; OFF: @__codensm_sample_mask
; OFF: call i64 @codensm.sample_start()
; OFF-NOT: @codensm.sample_stop
; OFF: ret i32
; OFF-LABEL: define internal i64 @codensm.sample_start()
; OFF: call void @__codensm_attach
; OFF-NOT: rdtsc
; OFF: ret i64 0
define i32 @f(i32 %x) {
  ret i32 %x
}

; A function that calls a returns_twice function is counted but not timed
; (flag 2 in the table), whatever the mode.
; EVERY-LABEL: define i32 @forks(
; EVERY-NOT: rdtsc
; EVERY: ret i32
declare i32 @vfork() returns_twice
define i32 @forks() {
  %p = call i32 @vfork()
  ret i32 %p
}
