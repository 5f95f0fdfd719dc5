// RUN: rm -rf %t && mkdir -p %t/proj/inc && cp %s %t/proj/t.c
// RUN: printf 'static inline int inner(int x) { return x + 1; }\nstatic inline int wrapper(int x) { return inner(x); }\nstatic inline int leaf(int x) { return x * 2; }\nstatic inline int middle(int x) { return leaf(x); }\nstatic inline int by_pointer(int x) { return x - 1; }\n' > %t/proj/inc/h.h
// RUN: cd %t/proj && %rewrite -header-dir=%t/h t.c -- -Iinc -I%include > %t/t.out
// RUN: %FileCheck %s --check-prefix=TABLE < %t/t.out
// RUN: cd %t/proj && %gcc -O1 -Iinc t.c -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s --check-prefix=COUNTS
// A header's helper gets a row only when code the unit emits refers to it,
// as the compiler emits it: inner is named only by wrapper, which nothing
// calls, so neither is in the object (clang's "used" bit said inner was:
// jansson's units each announced json_decref and json_incref, which they
// did not contain, as never called).  A helper called by a helper that is
// called, and one named by a variable's initializer, keep theirs.  The
// same holds for the main file's static functions (pcre2's sljitLir.c
// announced four that no object holds).
#include "h.h"

static int (*const table[])(int) = {by_pointer};

// The same in the main file: GCC emits neither (the plugin sees neither).
static int only_named_by_unused(int x) { return x; }
__attribute__((unused)) static int unused_here(int x) {
  return only_named_by_unused(x);
}

// An attribute keeps a function nothing names, and what it calls.
static int started;
static inline int start_value(void) { return 1; }
__attribute__((constructor)) static void start(void) { started = start_value(); }

int main(void) { return middle(1) + table[0](1) - 2 - started + 1; }

// TABLE: static const struct cnsm_function_info __codensm_functions{{\[\]}} = {
// TABLE-NEXT: {{[{]}}"inc/h.leaf", "inc", "inc/h.h", 3u,
// TABLE-NEXT: {{[{]}}"inc/h.middle", "inc", "inc/h.h", 4u,
// TABLE-NEXT: {{[{]}}"inc/h.by_pointer", "inc", "inc/h.h", 5u,
// TABLE-NEXT: {{[{]}}"t.start_value", "root", "t.c", {{[0-9]+}}u,
// TABLE-NEXT: {{[{]}}"t.start", "root", "t.c", {{[0-9]+}}u,
// TABLE-NEXT: {{[{]}}"t.main", "root", "t.c", {{[0-9]+}}u,
// TABLE-NEXT: {{^}}};
// COUNTS-DAG: "name":"inc/h.leaf","department":"inc","value_weight":1,"calls":1,
// COUNTS-DAG: "name":"inc/h.middle","department":"inc","value_weight":1,"calls":1,
// COUNTS-DAG: "name":"inc/h.by_pointer","department":"inc","value_weight":1,"calls":1,
// COUNTS-DAG: "name":"t.start_value","department":"root","value_weight":1,"calls":1,
// COUNTS-DAG: "name":"t.start","department":"root","value_weight":1,"calls":1,
// COUNTS-DAG: "name":"t.main","department":"root","value_weight":1,"calls":1,
