// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 %s -o %t/exe
// RUN: env CODENSM_REPORT=1 %t/exe 2>&1 | %FileCheck %s
// clang-format on
// A template instantiated with function pointer types (a callback, re2's
// RE2::Apply) has a row per instance, as through the plugin: the type is
// as nameable as its result and parameters.  It had one apply<...> row.
struct S {
  S(int x) : v(x) {}
  int v;
};
template <typename F> long apply(F f, int x) { return f(x); }
static int inc(int x) { return x + 1; }
static long wide(const S &s) { return s.v; }
int main() {
  long r = apply(inc, 1) + apply(inc, 2) + apply(wide, 3);
  return r == 8 ? 0 : 1;
}

// CHECK: apply<int (*)(int)> root 1 2 0
// CHECK: apply<long (*)(S const&)> root 1 1 0
