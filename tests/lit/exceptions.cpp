// Exits by unwinding: calls that may throw become invokes to a cleanup that
// counts an error and stops the clock before resuming, and existing landing
// pads become cleanups so a catch of another type still reaches the hook.
// RUN: %clangxx -O1 -fno-discard-value-names -S -emit-llvm -o - %s | %FileCheck %s
struct Other {};
void mayThrow(int);

// CHECK-LABEL: define {{.*}} @_Z9propagatei({{.*}} personality {{.*}}@__gxx_personality_v0
// CHECK: invoke void @_Z8mayThrowi(
// CHECK-NEXT: to label %{{.*}} unwind label %codensm.cleanup
// CHECK: codensm.cleanup:
// CHECK-NEXT: landingpad
// CHECK-NEXT: cleanup
// Slot 0's errors: byte 32 + 8 of the thread's chunk.
// CHECK: load {{.*}}@__codensm_home
// CHECK: getelementptr inbounds i8, {{.*}}, i64 40
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// No clock to stop here: a timed call runs in the twin (end of file).
// CHECK-NOT: __codensm_sample_stop
// CHECK: resume
int propagate(int x) {
  mayThrow(x);
  return x;
}

// CHECK-LABEL: define {{.*}} @_Z12catchesOtheri(
// CHECK: landingpad
// CHECK-NEXT: cleanup
// CHECK-NEXT: catch {{.*}} @_ZTI5Other
// Slot 1's errors: byte 32 + 32 + 8.
// CHECK: getelementptr inbounds i8, {{.*}}, i64 72
// CHECK: [[INC:%[^ ]+]] = add i64 %{{[^ ]+}}, 1
// CHECK-NEXT: store i64 [[INC]]
// CHECK: resume
int catchesOther(int x) {
  try {
    mayThrow(x);
  } catch (const Other &) {
    return -1;
  }
  return x;
}

// A noexcept function cannot let an exception out: no error exit.
// CHECK-LABEL: define {{.*}} @_Z7quietivi(
// CHECK-NOT: resume
// CHECK: ret
int quietiv(int x) noexcept { return x + 1; }

// The timed twin of propagate: its cleanup counts the error and stops the
// clock of the sampled call that unwinds through it.
// CHECK-LABEL: define internal {{.*}} @_Z9propagatei.codensm.timed(
// CHECK: codensm.cleanup:
// CHECK: getelementptr inbounds i8, {{.*}}, i64 40
// CHECK: call preserve_mostcc void @__codensm_sample_stop({{.*}}, i64 0, i64
// CHECK: resume
