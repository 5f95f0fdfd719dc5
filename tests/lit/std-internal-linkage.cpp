// The standard library is left out by the namespace a function is declared
// in, whatever its linkage: std::count_if with a lambda and a std::map keyed
// by an anonymous-namespace type are internal instances, and still std's.
// RUN: %clangxx -std=c++17 -O0 -S -emit-llvm -o - %s | %FileCheck %s
// CHECK-DAG: @__codensm_functions = internal constant [5 x
// CHECK-DAG: c"std-internal-linkage.app::count_big\00"
// CHECK-DAG: c"std-internal-linkage.app::count_big(...)::$_0::operator()\00"
// CHECK-DAG: c"std-internal-linkage.app::(anonymous namespace)::Key::operator<\00"
// CHECK-DAG: c"std-internal-linkage.app::remember\00"
// CHECK-DAG: c"std-internal-linkage.main\00"
// CHECK-NOT: c"{{([^".]*\.)?(std|__gnu_cxx)}}::
#include <algorithm>
#include <map>
#include <vector>

namespace app {
namespace {
struct Key {
  int k;
  bool operator<(const Key &o) const { return k < o.k; }
};
} // namespace

long count_big(const std::vector<int> &v) {
  return std::count_if(v.begin(), v.end(), [](int x) { return x > 2; });
}

int remember(std::map<Key, int> &seen, int k) {
  seen[Key{k}] += 1;
  return (int)seen.size();
}
} // namespace app

int main() {
  std::vector<int> v{1, 2, 3, 4};
  std::map<app::Key, int> seen;
  return (int)app::count_big(v) + app::remember(seen, 1) - 3;
}
