// A deleting destructor (D0) calls the complete one (D1), and with a
// virtual base the complete one calls the base-object one (D2): variants
// of one destructor, one row.  Each instrumented, a delete through a vtable
// counted twice (StructorAliases.h): the delegating variant gets no probe,
// and the variant it calls counts the call.
// RUN: %clang_cc -O0 -Xclang -disable-llvm-passes -S -emit-llvm -o %t.ll %s
// RUN: %opt -passes=codensm-instrument -S %t.ll -o - | %FileCheck %s

// CHECK-LABEL: define {{.*}}void @_ZN7DiamondD2Ev(
// CHECK: call i64 @__codensm_enter(
// CHECK-LABEL: define {{.*}}void @_ZN7DiamondD1Ev(
// CHECK-NOT: @__codensm_enter(
// CHECK: call void @_ZN7DiamondD2Ev(
// CHECK-NOT: @__codensm_enter(
// CHECK: ret void
// CHECK-LABEL: define {{.*}}void @_ZN7DiamondD0Ev(
// CHECK-NOT: @__codensm_enter(
// CHECK: call void @_ZN7DiamondD1Ev(
// CHECK-NOT: @__codensm_enter(
// CHECK: ret void
struct Shared {
  virtual ~Shared();
};
Shared::~Shared() {}
struct Diamond : virtual Shared {
  ~Diamond() override;
};
Diamond::~Diamond() {}
