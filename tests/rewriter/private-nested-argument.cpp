// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 %s -o %t/exe 2> %t/warnings.txt
// RUN: %FileCheck %s --check-prefix=QUIET --allow-empty < %t/warnings.txt
// RUN: env CODENSM_REPORT=1 %t/exe 2>&1 | %FileCheck %s
// clang-format on
// An instance whose argument is a class nested in a class template whose
// own argument is private (Box<Map<Outer::Priv *>::Entry>, as re2's
// PODArray<SparseArray<NFA::Thread *>::IndexValue>) cannot be named at the
// end of the file.  The rewriter named it all the same, GCC refused the
// overloads, and codensm-gcc rewrote the file again with one row for all
// the instances of every template in it (twice<...>), after a warning.
// Now Box<...>::get alone is one row, as for a private argument itself.
template <typename T> T twice(T t) { return t + t; }
template <typename T> struct Box {
  T v;
  T get() const { return v; }
};
template <typename V> struct Map {
  struct Entry {
    V v;
  };
  Box<Entry> b;
};
class Outer {
  struct Priv {
    int x;
  };

public:
  int run() {
    Map<Priv *> m{};
    return m.b.get().v ? 1 : 0;
  }
  // A pack's element is an argument too (std::tuple<Priv>).
  int packed() { return size(Pack<int, Priv>{}) + size(Pack<int>{}); }
  template <typename... T> struct Pack {};
  template <typename T> static int size(T) { return 1; }
};
int main() {
  if (twice(1) + twice(2L) != 6)
    return 1;
  Outer o;
  Box<int> i{0};
  return o.run() + i.get() + o.packed() - 2;
}

// QUIET-NOT: one row for all the instances
// CHECK: Box<...>::get root 1 2 0
// CHECK: Outer::size<...> root 1 2 0
// CHECK: twice<int> root 1 1 0
// CHECK: twice<long> root 1 1 0
