// RUN: %rewrite %s -- -std=c++17 > %t.cpp
// RUN: %FileCheck %s < %t.cpp
// C++: a guard object after each '{' (its destructor runs at every return
// and while an exception unwinds), in an anonymous namespace so each unit's
// guard calls its own unit; names are the pass's: qualified, ODR code
// without a module, lambdas as c++filt writes them.  A small leaf, which
// no exception can leave, has the count alone (untimed-leaves.cpp); a
// function no exception can leave, the calm guard (calm-guard.cpp).

// CHECK: namespace __cxxabiv1 {{[{]}}
// CHECK-NEXT: struct __cxa_eh_globals;
// CHECK-NEXT: extern "C" __cxa_eh_globals *__cxa_get_globals({{[)]}}
// CHECK: static __thread const unsigned *__codensm_uncaught_count;
// CHECK: namespace {{[{]}}
// CHECK-NEXT: struct __codensm_guard {{[{]}}
// CHECK: struct __codensm_calm {{[{]}}
// CHECK: #line 1 "{{.*}}cxx-guard.cpp"

namespace shop {
struct Cart {
  int total() const { return n; }
  // CHECK: int total() const {__UINT64_TYPE__ __codensm_t{{[0-9]+}} __attribute__((__unused__)) = __codensm_tally({{[0-9]+}}u); return n; }
  int n = 0;
  ~Cart();
};
Cart::~Cart() {}
// CHECK: Cart::~Cart() {__codensm_calm __codensm_p{{[0-9]+}}(
} // namespace shop

constexpr int square(int x) { return x * x; }
// CHECK: constexpr int square(int x) { return x * x; }

int elsewhere(int x); // may throw, for all this unit knows

int apply(int x) {
  // CHECK: int apply(int x) {__codensm_guard __codensm_p{{[0-9]+}}({{[0-9]+}}u, true, false);{{$}}
  auto f = [](int y) { return y + 1; };
  // CHECK: auto f = [](int y) {__UINT64_TYPE__ __codensm_t{{[0-9]+}} __attribute__((__unused__)) = __codensm_tally({{[0-9]+}}u); return y + 1; };
  return f(x) + square(2) + shop::Cart().total() + elsewhere(x);
}

// CHECK-DAG: {"cxx-guard.shop::Cart::~Cart", "root"{{,}}
// CHECK-DAG: {"shop::Cart::total", "root"{{,}}
// CHECK-DAG: {"cxx-guard.apply(...)::$_0::operator()", "root"{{,}}
// CHECK-DAG: {"cxx-guard.apply", "root"{{,}}
// CHECK-NOT: square
// CHECK: __codensm_module =
