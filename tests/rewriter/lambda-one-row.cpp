// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 %s -o %t/exe
// RUN: env CODENSM_REPORT=1 %t/exe 2>&1 | %FileCheck %s
// clang-format on
// A lambda in a function template with several instances in the unit has
// one row for all of them (its instances cannot be told apart in the
// source), named as the plugin names each, with "<...>" for the template's
// arguments and "..." for the closure's parameters where they differ.  It
// was named by the AST's printer, "parser(T *)::(anonymous class)::
// operator()<...>" (re2's RE2::CRadix, Hex and Octal).
typedef int (*Fn)(const char *);
template <typename T> Fn parser(T *) {
  return [](const char *s) -> int { return static_cast<int>(sizeof(T)) + s[0]; };
}
template <typename T> int apply(T v) {
  auto twice = [](T x) { return x + x; };
  return static_cast<int>(twice(v));
}
// An operator's own '<' and '>' are not its template's brackets.
struct P {
  int v;
};
struct Q {
  int v;
};
template <class T> bool operator>(const T &a, const T &b) {
  auto greater = [](int x, int y) { return x > y; };
  return greater(a.v, b.v);
}
int main() {
  int i;
  long l;
  Fn a = parser(&i), b = parser(&l);
  bool g = P{2} > P{1} && Q{2} > Q{1};
  return g && a("\x01") + b("\x01") + apply(1) + apply(2L) == 20 ? 0 : 1;
}

// CHECK: apply<...>(...)::{lambda(...)#1}::operator() root 1 2 0
// CHECK: operator><...>(...)::{lambda(int, int)#1}::operator() root 1 2 0
// CHECK: parser<...>(...)::{lambda(char const*)#1}::operator() root 1 2 0
