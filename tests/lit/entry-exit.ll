; The hooks: a count and a sampled clock read at entry, a time stop before
; every ret, the thread's counter storage (one thread_local pointer to a
; directory of chunks, starting at a constant empty directory), the table,
; and its registration; first as the optimiser sees them, then expanded.
; The functions here are tiny but stand for timed ones (the untimed policies,
; which would count them without timing, are trivial.c's and
; untimed-inlined.c's).
; RUN: %opt -codensm-untimed-instructions=0 -codensm-untimed-inlined-instructions=0 -passes=codensm-instrument -S %s -o - | %FileCheck %s --check-prefix=MARK
; The expanded form checked here keeps a sampled call's start in a register
; to the exits, as inlined copies and functions without a timed twin do
; (timed-twins.ll checks the default for a function's own body).
; RUN: %opt -codensm-untimed-instructions=0 -codensm-untimed-inlined-instructions=0 -codensm-timed-twins=0 -passes=codensm -S %s -o - | %FileCheck %s
; RUN: %opt -codensm-untimed-instructions=0 -codensm-untimed-inlined-instructions=0 -passes=codensm -S %s -o - | %FileCheck %s --check-prefix=EXPANDED
; Expanded, no hook is left a call but an unwinding exit (exceptions.cpp):
; twice's cleanup, where its calls of work may unwind, stays one call of
; __codensm_exit (slot 1, no start: twice is not timed in place, is_error 1).
; EXPANDED-NOT: __codensm_enter
; EXPANDED-NOT: call {{.*}}__codensm_exit
; EXPANDED: landingpad
; EXPANDED-NEXT: cleanup
; EXPANDED-NEXT: call void @__codensm_exit({{.*}}, i64 1, i64 0, i64 1, i64 %codensm.mark
; EXPANDED-NEXT: resume
; EXPANDED-NOT: __codensm_enter
; EXPANDED-NOT: call {{.*}}__codensm_exit
; EXPANDED-NOT: define {{.*}}@codensm.sample_
; The same call in twice's timed twin stops its sampled call's clock too.
; EXPANDED-LABEL: define internal {{.*}}@twice.codensm.timed(
; EXPANDED-NOT: call {{.*}}__codensm_exit
; EXPANDED: landingpad
; EXPANDED-NEXT: cleanup
; EXPANDED-NEXT: call void @__codensm_exit({{.*}}, i64 1, i64 %codensm.started, i64 1, i64 %codensm.mark
; EXPANDED-NOT: __codensm_enter
; EXPANDED-NOT: call {{.*}}__codensm_exit
; EXPANDED-NOT: define {{.*}}@codensm.sample_
source_filename = "entry-exit.c"
target triple = "x86_64-pc-linux-gnu"

; Two functions: one chunk; the empty directory is the 4-word header and
; one chunk pointer, to the runtime's sentinel chunk.
; CHECK-DAG: @__codensm_empty_dir = internal constant [5 x {{.*}}] [{{.*}} null, {{.*}} null, {{.*}} null, {{.*}} null, {{.*}} @__codensm_sentinel], align 8
; The thread's home: its directory, first the empty one, and its chunk 0,
; first the sentinel.
; CHECK-DAG: @__codensm_home = internal thread_local global { {{.*}}@__codensm_empty_dir{{.*}}, {{.*}}@__codensm_sentinel }, align 8
; CHECK-DAG: @__codensm_module = internal constant {{.*}} { i32 10, i32 2, {{.*}}@__codensm_functions{{.*}}@__codensm_dir_ref{{.*}}@__codensm_empty_dir{{.*}}@__codensm_runtime_state
; CHECK-DAG: c"entry-exit.work\00"
; CHECK-DAG: c"entry-exit.twice\00"
; CHECK-DAG: @__codensm_sentinel = external global
; CHECK-DAG: @llvm.global_ctors = appending global {{.*}} @codensm.module_ctor
; CHECK-DAG: @llvm.global_dtors = appending global {{.*}} @codensm.module_dtor

; Before the optimiser the hooks are two runtime calls naming the unit by
; @__codensm_unit (a function returning the descriptor: the call graph
; does not walk through a function into the table), nomerge so that no
; pass folds two functions' hooks into one, declared to touch only memory
; the program cannot see; the exits get the entry's value and whether the
; exit is an error (0 here: no convention).
; MARK-LABEL: define i32 @work(
; MARK: %codensm.start = call i64 @__codensm_enter({{.*}}@__codensm_unit{{.*}}, i64 0) [[ATTR:#[0-9]+]]
; MARK: %m = mul
; MARK-NEXT: call void @__codensm_exit({{.*}}@__codensm_unit{{.*}}, i64 0, i64 %codensm.start, i64 0, i64 0) [[ATTR]]
; MARK: %s = sub
; MARK-NEXT: call void @__codensm_exit({{.*}}@__codensm_unit{{.*}}, i64 0, i64 %codensm.start, i64 0, i64 0) [[ATTR]]
; MARK-DAG: declare i64 @__codensm_enter({{.*}}) [[DECL:#[0-9]+]]
; MARK-DAG: attributes [[ATTR]] = { nomerge nounwind }
; LLVM 16 spells inaccessiblememonly as a memory effect.
; MARK-DAG: attributes [[DECL]] = { {{inaccessiblememonly nounwind willreturn|nounwind willreturn memory\(inaccessiblemem: readwrite\)}} }
; MARK-DAG: !codensm.instrumented = !{![[TABLES:[0-9]+]]}
; MARK-DAG: ![[TABLES]] = !{{{.*}}@__codensm_unit, {{.*}}@__codensm_home, i32 0, i32 2, {{.*}}@__codensm_edges}

; After it, inline code: the thread's chunk 0, straight from its home (the
; pointer after the directory's; never null; chunk-reuse.ll has a chunk
; reached through the directory), the count in slot 0 (after the
; chunk's 32-byte header), the test against the chunk's mask (0 in the
; sentinel, so a thread's first call always takes the sampled path), the
; runtime's rare sample_start with the chunk counted in, and at each exit
; a stop of the timed calls.
; CHECK-LABEL: define i32 @work(
; CHECK-NOT: %codensm.dir
; CHECK: %codensm.chunk0 = load {{.*}}@__codensm_home{{.*}}, i64 8)
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.chunk0, i64 32
; CHECK: %codensm.calls = call i64 asm sideeffect "xaddq $0, $1", "=r,=*m,0,*m,~{flags}"
; Slot 0's target, after the header (32) and 32 slots of 32 bytes.
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.chunk0, i64 1056
; CHECK: %codensm.next = load i32
; CHECK-NEXT: [[LOW:%.*]] = trunc i64 %codensm.calls to i32
; CHECK-NEXT: %codensm.sampled = icmp uge i32 [[LOW]], %codensm.next
; CHECK: codensm.sample:
; The start's call returns the period (log2) the call was chosen at, which
; the start time carries in its 4 low bits to the stop (its weight).
; CHECK-NEXT: [[E:%.*]] = call preserve_mostcc i64 @__codensm_sample_start({{.*}}@__codensm_unit{{.*}}, i64 0, {{.*}} %codensm.chunk0)
; A frame nested inside an open frame of its function (15) reads no clock
; and starts nothing: its exits see 0, as for a call not timed.
; CHECK-NEXT: [[TIMED:%.*]] = icmp ne i64 [[E]], 15
; CHECK-NEXT: br i1 [[TIMED]], label %codensm.clock, label %codensm.sample.end
; CHECK: codensm.clock:
; CHECK-NEXT: [[T:%.*]] = call i64 @llvm.x86.rdtsc()
; CHECK-NEXT: [[TM:%.*]] = and i64 [[T]], -16
; CHECK-NEXT: [[STAMP:%.*]] = or i64 [[TM]], [[E]]
; CHECK: codensm.sample.end:
; CHECK-NEXT: [[STARTED:%.*]] = phi i64 [ 0, %codensm.sample ], [ [[STAMP]], %codensm.clock ]
; CHECK: [[START:%.*]] = phi i64 [ 0, %{{.*}} ], [ [[STARTED]], %codensm.sample.end ]
; Both returns stop the clock of a timed call (slot 0).
; CHECK: icmp ne i64 [[START]], 0
; The clock is read in the instrumented code, right after the start's call
; and right before the stop's: the interval is the body's alone.
; CHECK: codensm.stop{{.*}}:
; CHECK-NEXT: [[END1:%.*]] = call i64 @llvm.x86.rdtsc()
; CHECK-NEXT: call preserve_mostcc void @__codensm_sample_stop({{.*}}@__codensm_unit{{.*}}, i64 0, i64 [[START]], i64 [[END1]])
; CHECK: ret i32 %m
; CHECK: codensm.stop{{.*}}:
; CHECK-NEXT: [[END2:%.*]] = call i64 @llvm.x86.rdtsc()
; CHECK-NEXT: call preserve_mostcc void @__codensm_sample_stop({{.*}}@__codensm_unit{{.*}}, i64 0, i64 [[START]], i64 [[END2]])
; CHECK: ret i32 %s
define i32 @work(i32 %x) {
entry:
  %c = icmp sgt i32 %x, 3
  br i1 %c, label %big, label %small
big:
  %m = mul i32 %x, 2
  ret i32 %m
small:
  %s = sub i32 %x, 1
  ret i32 %s
}

; Slot 1: the same chunk, the second 32-byte slot after the header.
; CHECK-LABEL: define i32 @twice(
; CHECK-NOT: %codensm.dir
; CHECK: %codensm.chunk0 = load
; CHECK-NEXT: getelementptr inbounds i8, {{.*}} %codensm.chunk0, i64 64
; CHECK: %codensm.calls = call i64 asm sideeffect "xaddq
define i32 @twice(i32 %x) {
  %a = call i32 @work(i32 %x)
  %b = call i32 @work(i32 %x)
  %r = add i32 %a, %b
  ret i32 %r
}

; CHECK-LABEL: define internal void @codensm.module_ctor()
; CHECK-NEXT: call void @__codensm_register({{.*}}@__codensm_module
; CHECK-LABEL: define internal void @codensm.module_dtor()
; CHECK-NEXT: call void @__codensm_unregister({{.*}}@__codensm_module

; The rare calls are preserve_most (x86-64), through the GOT: they
; clobber no register the function keeps values in.
; CHECK-DAG: declare preserve_mostcc i64 @__codensm_sample_start({{.*}}) [[RARE:#[0-9]+]]
; CHECK-DAG: declare preserve_mostcc void @__codensm_sample_stop({{.*}}) [[RARE]]
; CHECK-DAG: attributes [[RARE]] = { cold {{.*}}nonlazybind{{.*}} }
