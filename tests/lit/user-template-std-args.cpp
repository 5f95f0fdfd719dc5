// A user function is the team's whatever its template arguments, its return
// type or its parameters name: only the scope it is declared in counts.
// RUN: %clangxx -std=c++17 -O0 -S -emit-llvm -o - %s | %FileCheck %s
// CHECK-DAG: c"app::sum_sizes<int, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char>{{ ?}}>{{ ?}}>\00"
// CHECK-DAG: c"Json::fixNumericLocale<__gnu_cxx::__normal_iterator<char*, std::vector<char, std::allocator<char>{{ ?}}>{{ ?}}>{{ ?}}>\00"
// CHECK-DAG: c"app::make<int>\00"
// CHECK-DAG: c"user-template-std-args.app::label(...)::Local::get\00"
// CHECK-DAG: c"user-template-std-args.main\00"
// CHECK-NOT: c"{{([^".]*\.)?(std|__gnu_cxx)}}::
#include <string>
#include <vector>

namespace app {
template <typename A, typename B> int sum_sizes(const A &a, const B &b) {
  return (int)(sizeof(a) + b.size());
}
template <typename T> std::vector<T> make(T v) { return {v}; }
int label(const std::string &s) {
  struct Local {
    int get(const std::string &t) { return (int)t.size(); }
  };
  return Local().get(s);
}
} // namespace app

namespace Json {
template <typename Iter> void fixNumericLocale(Iter begin, Iter end) {
  for (; begin != end; ++begin)
    if (*begin == ',')
      *begin = '.';
}
} // namespace Json

int main() {
  std::vector<char> text{'1', ',', '5'};
  Json::fixNumericLocale(text.begin(), text.end());
  return app::sum_sizes(1, std::string("ab")) + app::make(1)[0] +
         app::label("xyz") - 10;
}
