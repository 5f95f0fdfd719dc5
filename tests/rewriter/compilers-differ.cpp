// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -std=gnu++17 -O1 -Wall -Werror %s -o %t/exe 2> %t/err.txt
// RUN: %FileCheck --check-prefix=WARN %s < %t/err.txt
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// The rewriter parses as clang; GCC compiles what it wrote. Code that tells
// the two apart (fmtlib's format-test.cc declares a type under
// #if FMT_HAS_FEATURE(cxx_strong_enums)) gave clang a template instance
// whose type GCC never declares, and the overload naming that instance at
// the end of the file made GCC refuse the whole file, compiled then without
// instrumentation. Now the file is rewritten once more, with one row for
// all the instances of each template, after one warning; the row's name
// writes the inline namespace as the other rows' names do.
#ifdef __clang__
enum class only_clang_declares { a = 1 };
#endif
namespace lib {
inline namespace v1 {
template <class T> int twice(T v) { return static_cast<int>(v) * 2; }
} // namespace v1
} // namespace lib
using lib::twice;
int plain(int x) { return x + 1; }
int main() {
#ifdef __clang__
  int extra = twice(only_clang_declares::a);
#else
  int extra = 0;
#endif
  return twice(1) + twice(2.0) + plain(-1) + extra == 6 ? 0 : 1;
}
// clang-format off
// WARN: codensm-gcc: warning: one row for all the instances of each template (GCC refused the rows naming each: {{.*}}compilers-differ.cpp, in the code CodeNSM adds after its last line: error: {{.*}}only_clang_declares
// WARN-NOT: without instrumentation
// CHECK-DAG: "name":"lib::v1::twice<...>","department":"root","value_weight":1,"calls":2,"errors":0
// CHECK-DAG: "name":"compilers-differ.plain","department":"root","value_weight":1,"calls":1,"errors":0
// CHECK-DAG: "name":"compilers-differ.main","department":"root","value_weight":1,"calls":1,"errors":0
// clang-format on
