// From -O1 up, clang emits a destructor that only calls its unique base's
// as an alias of the base's (-mconstructor-aliases): the pass makes it a
// function again, with the alias's name and linkage, that calls the base's
// and is instrumented as any function, so it counts its own calls as at
// -O0 (StructorAliases.h).  A complete-object structor aliased to its own
// class's base-object one (D1 to D2, C1 to C2) shares that row and stays an
// alias; so does an alias the user wrote.
// RUN: %clang_cc -O1 -Xclang -disable-llvm-passes -S -emit-llvm -o %t.ll %s
// RUN: %FileCheck %s --check-prefix=CLANG < %t.ll
// RUN: %opt -passes=codensm-instrument -S %t.ll -o - | %FileCheck %s
// RUN: %clangxx -O2 -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=O2

// What clang hands the pass: the derived destructors are aliases.
// CLANG-DAG: @_ZN7DerivedD2Ev = {{.*}}alias {{.*}}@_ZN4BaseD2Ev
// CLANG-DAG: @_ZN8Derived2D2Ev = {{.*}}alias {{.*}}@_ZN7DerivedD2Ev

// CHECK-DAG: @_ZN4BaseD1Ev = dso_local unnamed_addr alias {{.*}}@_ZN4BaseD2Ev{{$}}
// CHECK-DAG: @_ZN7DerivedD1Ev = dso_local unnamed_addr alias {{.*}}@_ZN7DerivedD2Ev{{$}}
// CHECK-DAG: @_ZN8Derived2D1Ev = dso_local unnamed_addr alias {{.*}}@_ZN8Derived2D2Ev{{$}}
// CHECK-DAG: @_ZN5PointC1Ei = dso_local unnamed_addr alias {{.*}}@_ZN5PointC2Ei{{$}}
// CHECK-DAG: @api = dso_local alias {{.*}}@impl{{$}}
// CHECK-DAG: c"destructor-aliases.Derived::~Derived\00"
// CHECK-DAG: c"destructor-aliases.Derived2::~Derived2\00"
// CHECK-NOT: @_ZN7DerivedD2Ev = {{.*}}alias
// CHECK-NOT: @_ZN8Derived2D2Ev = {{.*}}alias

// Derived's calls Base's, Derived2's Derived's (not Base's: at -O0 it
// calls Derived's, which counts too), each counting its own call first.
// CHECK-LABEL: define dso_local void @_ZN7DerivedD2Ev(
// CHECK-SAME: unnamed_addr
// CHECK-SAME: align 2
// CHECK-NEXT: call i64 @__codensm_enter(
// CHECK: tail call void @_ZN4BaseD2Ev(
// CHECK: call void @__codensm_exit(
// CHECK-NEXT: ret void
// CHECK-LABEL: define dso_local void @_ZN8Derived2D2Ev(
// CHECK-NEXT: call i64 @__codensm_enter(
// CHECK: tail call void @_ZN7DerivedD2Ev(
// CHECK: call void @__codensm_exit(
// CHECK-NEXT: ret void

// Optimised, the symbols are still there, each with its own slot.
// O2-DAG: define dso_local void @_ZN7DerivedD2Ev(
// O2-DAG: define dso_local void @_ZN8Derived2D2Ev(
// O2-DAG: @_ZN7DerivedD1Ev = dso_local unnamed_addr alias
// O2-DAG: c"destructor-aliases.Derived::~Derived\00"
// O2-DAG: c"destructor-aliases.Derived2::~Derived2\00"
struct Base {
  virtual ~Base();
};
Base::~Base() {}
struct Derived : Base {
  ~Derived() override;
};
Derived::~Derived() {}
struct Derived2 : Derived {
  ~Derived2() override;
};
Derived2::~Derived2() {}
struct Point {
  Point(int);
  int x;
};
Point::Point(int v) : x(v) {}
extern "C" int impl(int x) { return x + 1; }
extern "C" int api(int) __attribute__((alias("impl")));
