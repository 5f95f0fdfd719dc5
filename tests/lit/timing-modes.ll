; -codensm-timing: sampled (default) checks the slot's sampling target and
; reads the clock only in the timed call's cold blocks; every reads it on
; every call (and replaces the sentinel chunk by a real one first, as no
; sampled path will); off never reads it and only counts, into the real
; chunk (no sample test: nothing is timed).
; The functions here are tiny but stand for timed ones (the untimed policy,
; which would count them without timing, is trivial.c's).
; RUN: %opt -codensm-untimed-instructions=0 -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=SAMPLED
; RUN: %opt -codensm-untimed-instructions=0 -codensm-timing=every -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=EVERY
; RUN: %opt -codensm-untimed-instructions=0 -codensm-timing=off -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=OFF
source_filename = "timing.c"
target triple = "x86_64-pc-linux-gnu"

; SAMPLED-LABEL: define i32 @f(
; SAMPLED: %codensm.next = load i32
; SAMPLED-NOT: rdtsc
; The sampled call goes on in the function's timed twin (timed-twins.c),
; which starts the clock and whose exit stops it; the function itself
; reads no clock.
; SAMPLED: codensm.sample:
; SAMPLED-NEXT: tail call i32 @f.codensm.timed(
; SAMPLED-NOT: rdtsc
; SAMPLED: ret i32
; EVERY-LABEL: define i32 @f(
; EVERY-NOT: @__codensm_sample_
; EVERY: codensm.newchunk:
; EVERY-NEXT: call {{.*}} @__codensm_chunk(
; The call and its sample count at the entry (a call left by a longjmp
; stands for itself with no time), the ticks at the exit.
; EVERY: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
; EVERY-NEXT: store i64 [[INC]]
; EVERY: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
; EVERY-NEXT: store i64 [[INC]]
; EVERY: [[T0:%.*]] = call i64 @llvm.x86.rdtsc()
; EVERY: [[T1:%.*]] = call i64 @llvm.x86.rdtsc()
; EVERY: sub i64 [[T1]], [[T0]]
; EVERY-NOT: add i64 {{.*}}, 1{{$}}
; EVERY: [[TICKS:%codensm.add.*]] = add i64 %{{.*}}, %{{.*}}
; EVERY-NEXT: store i64 [[TICKS]]
; EVERY: ret i32
; OFF-LABEL: define i32 @f(
; OFF-NOT: %codensm.next
; OFF: codensm.newchunk:
; OFF-NEXT: call {{.*}} @__codensm_chunk(
; OFF: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
; OFF-NEXT: store i64 [[INC]]
; OFF-NOT: @__codensm_sample_
; OFF-NOT: rdtsc
; OFF: ret i32
define i32 @f(i32 %x) {
  ret i32 %x
}

; A function that calls a returns_twice function is counted but not timed
; (flag 2 in the table), whatever the mode.
; EVERY-LABEL: define i32 @forks(
; EVERY-NOT: rdtsc
; EVERY: ret i32
; SAMPLED-LABEL: define i32 @forks(
; SAMPLED-NOT: @__codensm_sample_
; SAMPLED: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
; SAMPLED-NEXT: store i64 [[INC]]
; SAMPLED-NOT: @__codensm_sample_
; SAMPLED: ret i32
declare i32 @vfork() returns_twice
define i32 @forks() {
  %p = call i32 @vfork()
  ret i32 %p
}

; SAMPLED-LABEL: define internal i32 @f.codensm.timed(
; SAMPLED-NEXT: [[W:%.*]] = call preserve_mostcc i64 @__codensm_sample_start(
; SAMPLED-NEXT: icmp ne i64 [[W]], 15
; SAMPLED: codensm.clock:
; SAMPLED-NEXT: call i64 @llvm.x86.rdtsc()
; SAMPLED: codensm.stop:
; SAMPLED-NEXT: call i64 @llvm.x86.rdtsc()
; SAMPLED-NEXT: call preserve_mostcc void @__codensm_sample_stop(
; SAMPLED: ret i32
