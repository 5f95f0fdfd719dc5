// RUN: rm -rf %t && mkdir -p %t/proj && cp %s %t/proj/t.c && cd %t/proj
// RUN: printf 'static int NAME(int x) { return x + 1; }\n' > named.h
// RUN: printf 'int declared_again(int);\n#ifndef ONCE\n#define ONCE\nstatic int once(int x) { return x * 2; }\n#endif\n' > partly.h
// RUN: %gcc -O0 t.c -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// RUN: test "$(grep -c '"name":"named\.' %t.jsonl)" = 0
// GCC reads one copy of a header for all its entries.  named.h defines a
// function named by a macro at each entry (as pcre2test.c includes
// pcre2_printint.c for 8, 16 and 32 bits): the copy's one probe, the first
// entry's slot, counted f16's calls as f8's (f8 3, no f16).  Such a header
// now gets no probes.  partly.h is entered twice too, but only its first
// entry defines a function: it keeps its probe.
#define NAME f8
#include "named.h"
#undef NAME
#define NAME f16
#include "named.h"
#include "partly.h"
#include "partly.h"

int main(void) {
  int s = f8(1) + f16(1) + f16(2) + once(1) + once(2);
  return s == 13 ? 0 : 1;
}

// CHECK-DAG: "name":"partly.once","department":"root","value_weight":1,"calls":2,"errors":0
// CHECK-DAG: "name":"t.main","department":"root","value_weight":1,"calls":1,"errors":0
