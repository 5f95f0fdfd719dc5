// A build system's selection (target_codensm's INCLUDE and EXCLUDE):
// -codensm-include and -codensm-exclude match -codensm-source-path, or the
// path relative to -codensm-glob-root, or to the root without either; exclude wins; a file must also be
// selected by .codensm.yaml (here: exclude "*_test.c"); CODENSM_TRACK still
// instruments a function of a file left out.
// RUN: rm -rf %t && mkdir -p %t/lib %t/app
// RUN: printf 'exclude: ["*_test.c"]\n' > %t/.codensm.yaml
// RUN: cp %s %t/lib/a.c && cp %s %t/lib/a_test.c && cp %s %t/app/main.c
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-include='lib/**' -mllvm -codensm-source-path=lib/a.c -S -emit-llvm -o - lib/a.c | %FileCheck %s --check-prefix=IN
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-include='lib/**' -mllvm -codensm-source-path=app/main.c -S -emit-llvm -o - lib/a.c | %FileCheck %s --check-prefix=OUT
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-include='lib/**' -mllvm -codensm-exclude=a.c -mllvm -codensm-source-path=lib/a.c -S -emit-llvm -o - lib/a.c | %FileCheck %s --check-prefix=OUT
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-include='lib/*.c' -S -emit-llvm -o - lib/a.c | %FileCheck %s --check-prefix=IN
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-include='lib/*.c' -S -emit-llvm -o - app/main.c | %FileCheck %s --check-prefix=OUT
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-include='lib/**' -mllvm -codensm-source-path=lib/a_test.c -S -emit-llvm -o - lib/a_test.c | %FileCheck %s --check-prefix=OUT
// -codensm-glob-root (target_codensm's): the globs match the source's path
// relative to that directory, with ".." outside it.
// RUN: cd %t/app && %clang -fplugin=%plugin -mllvm -codensm-glob-root=%t/lib -mllvm -codensm-include=a.c -S -emit-llvm -o - %t/lib/a.c | %FileCheck %s --check-prefix=IN
// RUN: cd %t/app && %clang -fplugin=%plugin -mllvm -codensm-glob-root=%t/app -mllvm -codensm-include=lib/a.c -S -emit-llvm -o - %t/lib/a.c | %FileCheck %s --check-prefix=OUT
// RUN: cd %t/app && %clang -fplugin=%plugin -mllvm -codensm-glob-root=%t/app -mllvm -codensm-include=../lib/a.c -S -emit-llvm -o - ../lib/a.c | %FileCheck %s --check-prefix=IN
// RUN: cd %t && %clang -fplugin=%plugin -mllvm -codensm-glob-root=%t/lib/ -mllvm -codensm-exclude=a.c -S -emit-llvm -o - lib/a.c | %FileCheck %s --check-prefix=OUT

// Selected: both functions, named relative to the root, not to the
// build system's directory.
// IN-DAG: c"lib/a.work\00"
// IN-DAG: c"lib/a.audit\00"

// Left out: only the tracked function.
// OUT-NOT: .work\00"
// OUT: c"{{lib/a|lib/a_test|app/main}}.audit\00"
// OUT-NOT: .work\00"
#include <codensm.h>

int work(int x) { return x + 1; }
CODENSM_TRACK int audit(int x) { return x - 1; }
