// Timed twins: a loop-free function of at most 200 instructions (or one
// with a loop, of at most 32) whose own entry is timed gets, after the
// optimiser, a copy of its body with one more parameter, the thread's chunk
// its entry read (internal, never inlined, with the unlikely code).  Its
// sampled path only tail-calls the twin with its own arguments, passed as
// it took them (sret, byval), and the chunk: no call of its own, so a
// function that makes none needs no frame; its own exits stop nothing, so
// no start is kept in a register.  The twin's entry tells the runtime and
// reads the clock; its exits stop it, untested.  A function the copy could not stand for
// keeps the start in a register: variable arguments, its own return
// address, computed goto; so do longer functions with loops and weak or
// inline (ODR) ones, whose twins would cost more build than they save.
// RUN: %clang -O1 -fno-discard-value-names -S -emit-llvm -o - %s | %FileCheck %s
// RUN: %clang -fplugin=%plugin -O1 -fno-discard-value-names -mllvm -codensm-timed-twins=0 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=OFF
// RUN: %clang -fplugin=%plugin -O1 -fno-discard-value-names -mllvm -codensm-twin-loop-max-instructions=200 -mllvm -codensm-twin-odr -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=ALL
#include <stdarg.h>

struct big {
  long a[8];
};
long use(long);

// CHECK-LABEL: define {{.*}} @work(i32 noundef %x)
// CHECK-NOT: @__codensm_sample_start(
// CHECK: %codensm.chunk0 = load
// CHECK: codensm.sample:
// CHECK-NEXT: [[R:%.*]] = tail call i32 @work.codensm.timed(i32 noundef %x, {{.*}} %codensm.chunk0)
// CHECK-NEXT: ret i32 [[R]]
// CHECK-NOT: rdtsc
// CHECK-NOT: @__codensm_sample_start(
// CHECK-NOT: __codensm_sample_stop
// CHECK: ret i32
// OFF-LABEL: define {{.*}} @work(
// OFF-NOT: @work.codensm.timed
// OFF: __codensm_sample_stop
int work(int x) { return (int)use(x * 7) + x; }

// CHECK-LABEL: define {{.*}} @mk({{.*}} sret(%struct.big) {{.*}} %agg.result, i64 noundef %x)
// CHECK: tail call void @mk.codensm.timed({{.*}} sret(%struct.big) {{.*}} %agg.result, i64 noundef %x, {{.*}} %codensm.chunk0)
// CHECK-NEXT: ret void
struct big mk(long x) {
  struct big b = {{x, x + 1, x + 2, x + 3, x + 4, x + 5, x + 6, 0}};
  b.a[7] = use(x);
  return b;
}

// CHECK-LABEL: define {{.*}} @sumbig({{.*}} byval(%struct.big) {{.*}} %b)
// CHECK: call i64 @sumbig.codensm.timed({{.*}} byval(%struct.big) {{.*}} %b, {{.*}} %codensm.chunk0)
long sumbig(struct big b) {
  return use(b.a[0] + b.a[3] + b.a[7]);
}

// No twin: a loop of over 32 instructions (unless
// -codensm-twin-loop-max-instructions says more), a weak definition (unless
// -codensm-twin-odr), variable arguments, the return address, computed goto.
// CHECK-LABEL: define {{.*}} @looping(
// CHECK-NOT: codensm.timed
// CHECK: __codensm_sample_stop
// ALL-LABEL: define {{.*}} @looping(
// ALL: tail call {{.*}} @looping.codensm.timed(
int looping(int x) {
  int s = 0;
  for (int i = 0; i < x; i++) {
    s += (int)use(i * x + s) / (i + 1) - (int)use(s - i) % (x + 3);
    s ^= (int)use(s * 3 + i) >> (i & 7);
    if (s > x * 5)
      s = (int)use(s) - x;
    s += (int)use(s + x) * (i | 1) - (int)use(x - s) / (s | 1);
  }
  return s;
}

// A short loop (at most 32 instructions) gets a twin.
// CHECK-LABEL: define {{.*}} @shortloop(
// CHECK: tail call {{.*}} @shortloop.codensm.timed(
int shortloop(int x) {
  while (x > 3)
    x = (int)use(x);
  return x;
}

// CHECK-LABEL: define weak {{.*}} @overridable(
// CHECK-NOT: codensm.timed
// CHECK: __codensm_sample_stop
// ALL-LABEL: define weak {{.*}} @overridable(
// ALL: tail call {{.*}} @overridable.codensm.timed(
__attribute__((weak)) long overridable(long x) { return use(x) + 1; }

// CHECK-LABEL: define {{.*}} @vsum(
// CHECK-NOT: codensm.timed
// CHECK: __codensm_sample_stop
// ALL-LABEL: define {{.*}} @vsum(
// ALL-NOT: codensm.timed
// ALL: __codensm_sample_stop
int vsum(int n, ...) {
  va_list ap;
  va_start(ap, n);
  int s = va_arg(ap, int);
  va_end(ap);
  return (int)use(s + n);
}

// CHECK-LABEL: define {{.*}} @caller_of(
// CHECK-NOT: codensm.timed
// CHECK: __codensm_sample_stop
void *caller_of(long n) {
  use(n);
  return __builtin_return_address(0);
}

// CHECK-LABEL: define {{.*}} @jumps(
// CHECK-NOT: codensm.timed
// CHECK: __codensm_sample_stop
int jumps(int n) {
  static void *const where[] = {&&one, &&two};
  int s = (int)use(n);
  goto *where[n & 1];
one:
  s += 1;
two:
  return s + n;
}

// The twins, after the module's own functions: the entry tells the
// runtime with the chunk it was given and reads the clock, unless the
// runtime answered that the frame is nested inside an open frame of its
// function (15): its start is then 0, and each exit stops a start that is
// not.
// CHECK-LABEL: define internal {{.*}}@work.codensm.timed(
// CHECK-SAME: i32 noundef %x, {{.*}} %codensm.chunk) {{.*}}#[[TWIN:[0-9]+]] !section_prefix ![[UNLIKELY:[0-9]+]]
// CHECK-NEXT: entry:
// CHECK-NEXT: [[W:%.*]] = call preserve_mostcc i64 @__codensm_sample_start({{.*}}, i64 0, {{.*}} %codensm.chunk)
// CHECK-NEXT: [[TIMED:%.*]] = icmp ne i64 [[W]], 15
// CHECK-NEXT: br i1 [[TIMED]], label %codensm.clock, label %codensm.sample.end
// CHECK: codensm.clock:
// CHECK-NEXT: [[T:%.*]] = call i64 @llvm.x86.rdtsc()
// CHECK-NEXT: [[M:%.*]] = and i64 [[T]], -16
// CHECK-NEXT: %codensm.stamp = or i64 [[M]], [[W]]
// CHECK: codensm.sample.end:
// CHECK-NEXT: %codensm.started = phi i64 [ 0, %entry ], [ %codensm.stamp, %codensm.clock ]
// CHECK: icmp ne i64 %codensm.started, 0
// CHECK: [[END:%.*]] = call i64 @llvm.x86.rdtsc()
// CHECK-NEXT: call preserve_mostcc void @__codensm_sample_stop({{.*}}, i64 0, i64 %codensm.started, i64 [[END]])
// CHECK: ret i32
// CHECK-LABEL: define internal {{.*}}@mk.codensm.timed(
// CHECK: __codensm_sample_stop
// CHECK-LABEL: define internal {{.*}}@sumbig.codensm.timed(
// CHECK: __codensm_sample_stop
// CHECK-LABEL: define internal {{.*}}@shortloop.codensm.timed(
// CHECK-NOT: define internal {{.*}}codensm.timed
// CHECK-DAG: attributes #[[TWIN]] = { noinline
// CHECK-DAG: ![[UNLIKELY]] = !{!"function_section_prefix", !"unlikely"}
