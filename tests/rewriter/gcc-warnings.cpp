// clang-format off
// RUN: rm -rf %t && mkdir -p %t/inc %t/empty
// RUN: echo 'inline int helper() { return 2; }' > %t/inc/helper.h
// RUN: %gxx -std=gnu++17 -O2 -pedantic-errors -Wall -Wextra -Werror -Wmissing-include-dirs -I%t/inc -I%t/empty %s -o %t/exe 2> %t/err.txt
// RUN: test ! -s %t/err.txt
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// What GCC says of the instrumented form is what it says of the user's
// source: fmtlib's build (-pedantic-errors, -Werror, -Wmissing-include-dirs)
// had every file refused, and compiled without instrumentation:
//  - an include directory with no header copied got a copy's directory
//    that did not exist (-Wmissing-include-dirs);
//  - a class of the main file with a base in an anonymous namespace
//    (-Wsubobject-linkage, which GCC never says of the main file, and the
//    #line to the user's source had made the main file another);
//  - a template's instance spelled at the end of the file with a GNU type
//    (unsigned __int128, -Wpedantic), where the user wrote an alias.
// Each alone made GCC refuse; the counts say the build was instrumented.
#include "helper.h"
namespace {
struct Base {
  virtual ~Base() = default;
  virtual int size() const { return 1; }
};
} // namespace
struct Derived : Base {
  int size() const override { return 2; }
};
template <class T> int width(T) { return static_cast<int>(sizeof(T)); }
int main() {
  Derived d;
  __uint128_t big = 1;
  return width(big) + width(3) + d.size() + helper() == 24 ? 0 : 1;
}
// clang-format off
// CHECK-DAG: "name":"helper","department":"root","value_weight":1,"calls":1,"errors":0
// CHECK-DAG: "name":"Derived::size","department":"root","value_weight":1,"calls":1,"errors":0
// CHECK-DAG: "name":"width<unsigned __int128>","department":"root","value_weight":1,"calls":1,"errors":0
// CHECK-DAG: "name":"width<int>","department":"root","value_weight":1,"calls":1,"errors":0
// CHECK-DAG: "name":"gcc-warnings.main","department":"root","value_weight":1,"calls":1,"errors":0
// clang-format on
