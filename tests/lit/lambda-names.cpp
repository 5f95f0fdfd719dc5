// Lambdas read as c++filt writes them: the enclosing function's name and
// "(...)", then {lambda(<parameters>)#<n>}, n counting the lambdas with
// those parameters in that function; a closure's constructor and
// destructor are ::lambda and ::~lambda.
// RUN: %clangxx -std=c++17 -O0 -S -emit-llvm -o - %s | %FileCheck %s
// CHECK-DAG: c"app::run(...)::{lambda(int)#1}::operator()\00"
// CHECK-DAG: c"app::run(...)::{lambda(int)#2}::operator()\00"
// CHECK-DAG: c"app::run(...)::{lambda(double)#1}::operator()\00"
// CHECK-DAG: c"app::run(...)::{lambda(int)#3}::operator()\00"
// CHECK-DAG: c"app::run(...)::{lambda(int)#3}::lambda\00"
// CHECK-DAG: c"app::run(...)::{lambda(int)#3}::~lambda\00"
// CHECK-DAG: c"app::apply<int>(...)::{lambda()#1}::operator()\00"
// CHECK-NOT: c"{{[^"]*}}'lambda
// CHECK-NOT: c"{{[^"]*}}::~\00"
#include <string>

namespace app {
inline int run(int v) {
  auto big = [](int x) { return x > 2; };
  auto bigger = [](int x) { return x > 3; };
  auto real = [](double x) { return x > 3.5; };
  std::string name = "four";
  auto longer = [name](int x) { return x > (int)name.size(); };
  auto copy = longer; // the closure's copy constructor, and two destructors
  return big(v) + bigger(v) + real(v) + copy(v);
}
template <typename T> T apply(T v) {
  auto twice = [v]() { return v * 2; };
  return twice();
}
} // namespace app

int main() { return app::run(5) + app::apply(1) - 5; }
