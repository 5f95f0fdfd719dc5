// Names: <module>.<qualified name without parameters>, demangled; inline
// and template code (linkonce_odr) by qualified name alone, flagged ODR.
// RUN: %clangxx -std=c++17 -O0 -S -emit-llvm -o - %s | %FileCheck %s
// CHECK-DAG: c"names.shop::Cart::total\00"
// CHECK-DAG: c"names.shop::Cart::add\00"
// CHECK-DAG: c"shop::Cart::count\00"
// CHECK-DAG: c"shop::largest<int>\00"
// CHECK-DAG: c"names.main\00"
// CHECK-DAG: c"names.(anonymous namespace)::helper\00"
// CHECK-DAG: c"names.main(...)::$_0::operator()\00"
// CHECK-NOT: c"{{[^"]*}}__cxx_global_var_init
// CHECK-NOT: c"{{[^"]*}}_GLOBAL__sub_I
namespace shop {
struct Cart {
  int items[4] = {0, 0, 0, 0};
  int n = 0;
  void add(int price);
  int total() const;
  int count() const { return n; } // inline: linkonce_odr
};
void Cart::add(int price) { items[n++ % 4] = price; }
int Cart::total() const { return items[0] + items[1] + items[2] + items[3]; }
template <typename T> T largest(T a, T b) { return a > b ? a : b; }
} // namespace shop

namespace {
int helper(int x) { return x * 2; }
}
static int initialised = helper(21); // a global initialiser, not counted

int main() {
  shop::Cart cart;
  cart.add(3);
  auto twice = [](int v) { return v * 2; };
  return shop::largest(cart.total(), twice(cart.count())) + initialised - 45;
}

// Inline code of the standard library is not counted.
// RUN: %clangxx -std=c++17 -O0 -S -emit-llvm -o - %S/Inputs/uses-std.cpp | %FileCheck %s --check-prefix=STD
// STD-DAG: c"uses-std.count_words\00"
// STD-DAG: c"uses-std.make_label\00"
// STD-NOT: c"{{[^"]*}}std::
