// clang-format off
// RUN: rm -rf %t && mkdir -p %t/src/lib
// RUN: printf '#pragma once\nnamespace lib {\nvoid fail(const char *file, int line, const char *msg = nullptr);\n}\n' > %t/src/lib/common.h
// RUN: printf '#pragma once\n#include "common.h"\n#pragma GCC system_header\nnamespace lib { inline int twice(int x) { return 2 * x; } }\n#include "a-inl.h"\n' > %t/src/lib/a.h
// RUN: printf '#pragma once\n#include "common.h"\nnamespace lib { template <typename T> T thrice(T x) { return 3 * x; } }\n' > %t/src/lib/a-inl.h
// RUN: cp %s %t/src/lib/main.cpp
// RUN: cd %t && %gxx -O2 -I%t/src src/lib/main.cpp -o %t/exe 2> %t/err.txt
// RUN: %FileCheck %s --check-prefix=ERR --allow-empty < %t/err.txt
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe | %FileCheck %s --check-prefix=OUT
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// capnproto's KJ headers each say `#pragma GCC system_header`, which makes
// the rest of the header, and the headers it includes after it, system
// headers for clang.  The rewriter did not copy those (a-inl.h here), so GCC
// read their originals, which included the originals of headers it had
// copied (common.h): #pragma once took them for other files, GCC refused
// the redeclared default argument, and every unit including <kj/async.h>
// was compiled without instrumentation.  Every header of the project is
// copied now, and the functions after the pragma are left out, as the
// plugin leaves them out.
#include "a.h"
#include <cstdio>
void lib::fail(const char *f, int l, const char *m) {
  std::printf("%s:%d %s\n", f, l, m ? m : "");
}
__attribute__((noinline)) int work(int i) {
  return lib::twice(i) + lib::thrice(i);
}
int main() {
  int s = 0;
  for (int i = 0; i < 10; i++)
    s += work(i);
  std::printf("%d\n", s);
}
// ERR-NOT: warning
// OUT: 225
// CHECK: "name":"src/lib/main.work","department":"src/lib","value_weight":1,"calls":10,
// CHECK-NOT: twice
// CHECK-NOT: thrice
