// Exits by unwinding: calls that may throw become invokes to a cleanup that
// counts an error and stops the clock before resuming, and existing landing
// pads become cleanups so a catch of another type still reaches the hook.
// The cleanup's work is one call of the runtime's __codensm_exit (unit,
// slot, start, is_error 1, error mark), not the inline hot path: an
// exception costs microseconds, and every pad's inline copy cost code size
// and compile time.
// RUN: %clangxx -O1 -fno-discard-value-names -S -emit-llvm -o - %s | %FileCheck %s
struct Other {};
void mayThrow(int);

// CHECK-LABEL: define {{.*}} @_Z9propagatei({{.*}} personality {{.*}}@__gxx_personality_v0
// CHECK: invoke void @_Z8mayThrowi(
// CHECK-NEXT: to label %{{.*}} unwind label %codensm.cleanup
// CHECK: codensm.cleanup:
// CHECK-NEXT: landingpad
// CHECK-NEXT: cleanup
// Slot 0, and no clock to stop here (start 0): a timed call runs in the
// twin (end of file).
// CHECK-NEXT: call void @__codensm_exit({{.*}}, i64 0, i64 0, i64 1, i64 %{{[^ )]+}})
// CHECK-NEXT: resume
// A return is no error: its exit calls nothing.
// CHECK-NOT: call {{.*}}@__codensm_exit
// CHECK-NOT: call {{.*}}@__codensm_error
int propagate(int x) {
  mayThrow(x);
  return x;
}

// CHECK-LABEL: define {{.*}} @_Z12catchesOtheri(
// CHECK: landingpad
// CHECK-NEXT: cleanup
// CHECK-NEXT: catch {{.*}} @_ZTI5Other
// Slot 1.
// CHECK: call void @__codensm_exit({{.*}}, i64 1, i64 0, i64 1, i64 %{{[^ )]+}})
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
// CHECK: call void @__codensm_exit({{.*}}, i64 0, i64 [[START:%[^ ,]+]], i64 1,
// CHECK-NOT: i64 0, i64 0, i64 1
// CHECK: resume
