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
; Without a twin, an entry's sampled path rejoins the unsampled one: there
; the chunk is loaded again after the runtime's call (the one tested may
; have been the sentinel), and the two join into the real chunk that the
; blocks below count into (NOTWIN, @branchy).  A join no count uses (after
; @caller's last inlined entry) is removed with its loads.
; RUN: %opt -codensm-untimed-instructions=0 -codensm-untimed-inlined-instructions=0 -codensm-edges-from-callees=0 -codensm-edges-from-callers=0 -passes='codensm-instrument,always-inline,function(simplifycfg),codensm-expand' -S %s -o - | %FileCheck %s
; RUN: %opt -codensm-untimed-instructions=0 -codensm-untimed-inlined-instructions=0 -codensm-edges-from-callees=0 -codensm-edges-from-callers=0 -codensm-timed-twins=0 -passes='codensm-instrument,always-inline,function(simplifycfg),codensm-expand' -S %s -o - | %FileCheck %s --check-prefix=NOTWIN
source_filename = "chunk-reuse.c"
target triple = "x86_64-pc-linux-gnu"

; Thirty-two functions first, so that the ones below count in chunk 1,
; which a thread reaches through its directory (chunk 0 is its home's own
; pointer, entry-exit.ll): the directory's chunk pointer 1 is at 40, after
; its 32-byte header and chunk 0's pointer.
define void @filler0() {
  ret void
}
define void @filler1() {
  ret void
}
define void @filler2() {
  ret void
}
define void @filler3() {
  ret void
}
define void @filler4() {
  ret void
}
define void @filler5() {
  ret void
}
define void @filler6() {
  ret void
}
define void @filler7() {
  ret void
}
define void @filler8() {
  ret void
}
define void @filler9() {
  ret void
}
define void @filler10() {
  ret void
}
define void @filler11() {
  ret void
}
define void @filler12() {
  ret void
}
define void @filler13() {
  ret void
}
define void @filler14() {
  ret void
}
define void @filler15() {
  ret void
}
define void @filler16() {
  ret void
}
define void @filler17() {
  ret void
}
define void @filler18() {
  ret void
}
define void @filler19() {
  ret void
}
define void @filler20() {
  ret void
}
define void @filler21() {
  ret void
}
define void @filler22() {
  ret void
}
define void @filler23() {
  ret void
}
define void @filler24() {
  ret void
}
define void @filler25() {
  ret void
}
define void @filler26() {
  ret void
}
define void @filler27() {
  ret void
}
define void @filler28() {
  ret void
}
define void @filler29() {
  ret void
}
define void @filler30() {
  ret void
}
define void @filler31() {
  ret void
}

define internal i32 @helper(i32 %x) alwaysinline {
  %y = add i32 %x, 1
  ret i32 %y
}

; CHECK-LABEL: define i32 @caller(
; CHECK: %codensm.dir = load {{.*}}@__codensm_home
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.dir, i64 40
; CHECK: %codensm.chunk = load
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 64
; CHECK: xaddq
; The edges to helper and its inlined entries count into the chunk the
; entry tested: only a real chunk gets past an entry's sample test (the
; sentinel's targets send every call to the sampled path), so nothing is
; loaded again, and no chunk is tested.
; CHECK-NOT: @__codensm_home
; CHECK-NOT: @__codensm_chunk(
; CHECK: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 128
; CHECK-NOT: @__codensm_home
; CHECK: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 32
; CHECK: xaddq
; CHECK-NOT: @__codensm_home
; CHECK-NOT: @__codensm_chunk(
; CHECK: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 128
; CHECK-NOT: @__codensm_home
; CHECK: getelementptr inbounds i8, {{.*}} %codensm.chunk, i64 32
; CHECK: xaddq
; CHECK-NOT: @__codensm_home
; CHECK-NOT: @__codensm_chunk(
; CHECK-NOT: codensm.real
; CHECK: ret i32
define i32 @caller(i32 %x) {
  %a = call i32 @helper(i32 %x)
  %b = call i32 @helper(i32 %a)
  ret i32 %b
}

; NOTWIN-LABEL: define i32 @branchy(
; NOTWIN: %codensm.chunk = load
; NOTWIN: xaddq
; NOTWIN: codensm.sample:
; NOTWIN: @__codensm_sample_start
; NOTWIN: [[DIR:%codensm.dir[0-9]+]] = load {{.*}}@__codensm_home
; NOTWIN-NEXT: getelementptr inbounds i8, {{.*}} [[DIR]], i64 40
; NOTWIN: [[RELOAD:%codensm.chunk[0-9]+]] = load
; NOTWIN: %codensm.real = phi {{[^ ]+}} [ %codensm.chunk, %{{[^ ]+}} ], [ [[RELOAD]], %codensm.sample.end ]
; NOTWIN-NOT: @__codensm_home
; NOTWIN: then:
; NOTWIN-NOT: @__codensm_home
; NOTWIN: getelementptr inbounds i8, {{.*}} %codensm.real, i64 160
; NOTWIN-NOT: @__codensm_home
; NOTWIN: getelementptr inbounds i8, {{.*}} %codensm.real, i64 32
; NOTWIN: xaddq
; NOTWIN: ret i32
define i32 @branchy(i32 %x) {
entry:
  %c = icmp sgt i32 %x, 0
  br i1 %c, label %then, label %done
then:
  %a = call i32 @helper(i32 %x)
  br label %done
done:
  %r = phi i32 [ %a, %then ], [ 0, %entry ]
  ret i32 %r
}
