// clang-format off
// RUN: rm -rf %t && mkdir -p %t/src %t/build
// RUN: printf 'struct Piece {\n  int n;\n  int size() const { return n; }\n};\n' > %t/src/piece.h
// RUN: cp %s %t/src/main.cc
// RUN: cd %t/build && %gxx -O2 ../src/main.cc -o exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/build/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// An out-of-tree build (the compiler in build/, the sources in src/, no
// .codensm.yaml): a function of a header outside the root was given its
// unit's file with the header's line (re2's PODArray<int>::data at
// dfa.cc:24, where the plugin says pod_array.h:24).  Now each function's
// file is the one its body is written in, relative to the root when under
// it, else absolute, as the plugin writes it without debug information.
#include "piece.h"

int main() {
  Piece p{3};
  return p.size() == 3 ? 0 : 1;
}

// CHECK-DAG: "name":"Piece::size",{{.*}}"file":"{{/.*}}/src/piece.h","line":3
// CHECK-DAG: "name":"main.main",{{.*}}"file":"{{/.*}}/src/main.cc","line":17
