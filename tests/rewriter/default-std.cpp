// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 %s -o %t/default 2> %t/default.err
// RUN: %FileCheck %s --check-prefix=QUIET --allow-empty < %t/default.err
// RUN: env CODENSM_REPORT=1 %t/default 2> %t/default.report | %FileCheck %s --check-prefix=DEFAULT-OUT
// RUN: %FileCheck %s --check-prefix=DEFAULT < %t/default.report
// RUN: %gxx -O2 -std=c++14 %s -o %t/cxx14
// RUN: env CODENSM_REPORT=1 %t/cxx14 2> %t/cxx14.report | %FileCheck %s --check-prefix=CXX14-OUT
// RUN: %FileCheck %s --check-prefix=CXX14 < %t/cxx14.report
// clang-format on
// Without -std, clang parses as clang 14 does (gnu++14) and g++ 12
// compiles as GCC does (gnu++17): the rewriter saw the other branch of
// every #if on __cplusplus, so the function GCC compiled had no probe and
// the one it never saw was announced as never called (re2's StringPiece),
// and a file using std::optional was compiled without instrumentation.
// codensm-g++ now has clang parse with GCC's own default.
#if __cplusplus >= 201703L
#include <optional>
static std::optional<int> half(int x) {
  if (x % 2)
    return std::nullopt;
  return x / 2;
}
int which() { return 17; }
#else
static int half(int x) { return x / 2; }
int which() { return 14; }
#endif
#include <cstdio>

int main() {
  std::printf("C++%d\n", which());
  return half(8) ? 0 : 1;
}

// QUIET-NOT: without instrumentation
// DEFAULT-OUT: C++17
// DEFAULT: default-std.half root 1 1 0
// DEFAULT: default-std.which root 1 1 0
// CXX14-OUT: C++14
// CXX14: default-std.half root 1 1 0
// CXX14: default-std.which root 1 1 0
