// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -std=gnu++17 -O1 -Wall -Werror %s -o %t/exe 2> %t/err.txt
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck --check-prefix=HELPER %s
// clang-format on
// Members of class templates defined out of their class (under other
// parameter names), and members of partial specializations, in or out of
// the class: each instance has its row and its calls, as through the
// plugin. Before, their instances were looked for among the primary
// template's members declared in the class only, none was found, and the
// functions were silently not instrumented (jsoncpp, yaml-cpp, leveldb's
// SkipList: a billion calls in one run).  A helper
// only an uninstantiated template names is in no object: no row.
#include <cstdio>

template <typename T> struct Setting {
  T v{};
  void set(const T &x);
};
template <typename U> void Setting<U>::set(const U &x) { v = x; }

template <typename T, typename S> struct As {
  int run() const { return 1; }
};
template <typename T> struct As<T, void> {
  int run() const;
  int twice() const { return 2 * run(); }
};
template <typename X> int As<X, void>::run() const { return 2; }

// Members of a class nested in a class template, member templates of a
// class template, lambdas and local classes of a function template: one
// row per instance, named as the plugin names it, or one for all
// instances (Box<...>::Box, Outer<...>::Inner::f) where the probe cannot
// tell them apart.
template <typename T> struct Outer {
  struct Inner {
    int f() const { return 3; }
  };
  int g() const { return Inner().f(); }
  template <typename W> int ne(W) const { return 4; }
};
template <typename T> int apply(T x) {
  auto add_one = [](T v) { return static_cast<int>(v) + 1; };
  struct Local {
    static int h(int v) { return v; }
  };
  return Local::h(add_one(x));
}
template <typename T> struct Box {
  explicit Box(int n) : n(n) {}
  int get() const { return n; }
  int n;
};
namespace {
struct Hidden {};
} // namespace

static inline int only_a_pattern_names() { return 7; }
template <typename T> int unused_template(T v) {
  return static_cast<int>(v) + only_a_pattern_names();
}

int main(int argc, char **) {
  Setting<int> i;
  Setting<double> d;
  int sum = 0;
  for (int n = 0; n < 5 * argc; ++n) {
    i.set(n);
    d.set(n);
    sum += As<int, int>().run() + As<int, void>().run() + As<char, void>().twice();
    sum += Outer<int>().ne(1L) + apply(n) - n - 1 - 4;
    sum += Outer<int>().g() + Outer<long>().g() - 6;
    sum += Box<int>(1).get() + Box<Hidden>(2).get() - 3;
  }
  d.set(0.5);
  std::printf("%d\n", sum);
  return sum == 35 ? 0 : 1;
}

// CHECK-DAG: "name":"Setting<int>::set","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"Setting<double>::set","department":"root","value_weight":1,"calls":6,
// CHECK-DAG: "name":"As<int, int>::run","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"As<int, void>::run","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"As<char, void>::run","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"As<char, void>::twice","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"Outer<int>::ne<long>","department":"root","value_weight":1,"calls":5,
// (tr splits the lambda's name at its brace)
// CHECK-DAG: lambda(int)#1}::operator()","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"apply<int>(...)::Local::h","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"Outer<...>::Inner::f","department":"root","value_weight":1,"calls":10,
// CHECK-DAG: "name":"Box<...>::Box","department":"root","value_weight":1,"calls":10,
// CHECK-DAG: "name":"Box<...>::get","department":"root","value_weight":1,"calls":10,
// HELPER-NOT: only_a_pattern_names
// HELPER: "name":"{{[^"]*}}main","department"
// HELPER-NOT: only_a_pattern_names
