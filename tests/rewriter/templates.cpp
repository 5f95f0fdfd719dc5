// RUN: %rewrite %s -- -std=c++17 > %t.cpp
// RUN: %FileCheck %s < %t.cpp
// RUN: %gxx -std=c++17 -O2 -Wall -Wextra -Werror -Wold-style-cast %s -o %t.exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t.exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s --check-prefix=COUNTS
// A template's instances each get a row, named as the pass names them: the
// pattern's one probe finds its instance's slot by overload resolution on
// a tag of its parameters; the end of the file declares one overload per
// instance.  What cannot be spelled there (an anonymous namespace's type,
// a deduced return type) keeps one row for all instances.
#include <string>

namespace app {
template <class T, int K> int f(T) { return K; }
// CHECK: template <class T, int K> int f(T) {__UINT64_TYPE__ __codensm_t[[F:[0-9]+]] __attribute__((__unused__)) = __codensm_tally(__codensm_islot(static_cast<__codensm_tag<__codensm_v<unsigned, [[F]]u>, T, __codensm_v<decltype(K), K>> *>(__null))); return K; }
template <class T> struct Box {
  int get() const { return sizeof(T); }
};
template <class... Ts> int count(Ts...) { return sizeof...(Ts); }
template <class T> auto deduced(T x) { return x; }
namespace {
struct Local {};
} // namespace
template <class T> int g(T) { return 1; }
} // namespace app

int main() {
  int s = app::f<int, 1>(1) + app::f<std::string, -2>(std::string()) +
          app::f<int, 1>(2);
  s += app::Box<int>().get() + app::Box<double>().get();
  s += app::count(1, 2.0) + app::count('c');
  s += app::deduced(1) + app::deduced(2L);
  s += app::g(app::Local()) + app::g(1);
  return s == 20 ? 0 : 1;
}

// The rewritten file holds these lines too: "{{[{]}}" keeps a pattern
// from matching its own text.
// CHECK: {{[{]}}"app::f<int, 1>", "{{[^"]*}}", "{{[^"]*}}templates.cpp", 14u, 1u, 0u, 3u, UINT64_C({{[0-9]+}})},
// CHECK-NEXT: {{[{]}}"app::f<std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >, -2>",
// CHECK-NEXT: {{[{]}}"app::Box<int>::get",
// CHECK-NEXT: {{[{]}}"app::Box<double>::get",
// CHECK-NEXT: {{[{]}}"app::count<int, double>",
// CHECK-NEXT: {{[{]}}"app::count<char>",
// CHECK-NEXT: {{[{]}}"app::deduced<...>", {{.*}}, UINT64_C(0)},
// CHECK-NEXT: {{[{]}}"{{.*}}templates.app::g<...>",
// CHECK: static __inline__ __UINT64_TYPE__ __codensm_islot(__codensm_tag<__codensm_v<unsigned, [[F]]u>, int, __codensm_v<int, static_cast<int>(1ll)>> *) {
// CHECK-NEXT: return [[F]]u;
// CHECK: __codensm_islot(__codensm_tag<__codensm_v<unsigned, [[F]]u>, std::basic_string<char, std::char_traits<char>, std::allocator<char>>, __codensm_v<int, static_cast<int>(-2ll)>> *) {

// COUNTS: "name":"app::f<int, 1>",{{.*}}"calls":2,
// COUNTS: "name":"app::f<std::__cxx11::basic_string<{{.*}}"calls":1,
// COUNTS: "name":"app::Box<int>::get",{{.*}}"calls":1,
// COUNTS: "name":"app::Box<double>::get",{{.*}}"calls":1,
// COUNTS: "name":"app::count<int, double>",{{.*}}"calls":1,
// COUNTS: "name":"app::count<char>",{{.*}}"calls":1,
// COUNTS: "name":"app::deduced<...>",{{.*}}"calls":2,
