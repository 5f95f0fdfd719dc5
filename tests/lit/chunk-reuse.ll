; Entries that inlining leaves side by side in one block load the thread's
; directory and chunk once: the caller's entry and the two inlined copies
; of its helper's (one block once simplifycfg has merged the inlined
; bodies) count through the same %codensm.chunk.  (Its tests of the
; sentinel stay right: an entry's count in the sentinel reaches the
; runtime.)
; The functions here are tiny but stand for timed ones (the untimed policies,
; which would count them without timing, are trivial.c's and
; untimed-inlined.c's), and helper's one edge, which would be derived from
; its calls, is counted at its call sites (edges-from-callee.c's case).
; RUN: %opt -codensm-untimed-instructions=0 -codensm-untimed-inlined-instructions=0 -codensm-edges-from-callees=0 -codensm-edges-from-callers=0 -passes='codensm-instrument,always-inline,function(simplifycfg),codensm-expand' -S %s -o - | %FileCheck %s
source_filename = "chunk-reuse.c"
target triple = "x86_64-pc-linux-gnu"

define internal i32 @helper(i32 %x) alwaysinline {
  %y = add i32 %x, 1
  ret i32 %y
}

; CHECK-LABEL: define i32 @caller(
; CHECK: %codensm.dir = load {{.*}}@__codensm_dir
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.dir, i64 32
; CHECK: %codensm.chunk = load
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 64
; CHECK: xaddq
; The edges to helper count into the chunk the entry made real: the
; directory is loaded once more, after the entry (the first call replaced
; the empty one), and the chunk is never tested.
; CHECK: %[[DIR:codensm.dir[0-9]+]] = load {{.*}}@__codensm_dir
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %[[DIR]], i64 32
; CHECK-NOT: @__codensm_dir
; CHECK-NOT: @__codensm_chunk(
; CHECK: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 32
; CHECK: xaddq
; CHECK-NOT: @__codensm_dir
; CHECK-NOT: @__codensm_chunk(
; CHECK: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 32
; CHECK: xaddq
; CHECK-NOT: @__codensm_dir
; CHECK-NOT: @__codensm_chunk(
; CHECK: ret i32
define i32 @caller(i32 %x) {
  %a = call i32 @helper(i32 %x)
  %b = call i32 @helper(i32 %a)
  ret i32 %b
}
