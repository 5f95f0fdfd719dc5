// RUN: rm -rf %t && mkdir -p %t/src %t/vendor
// RUN: printf 'include: ["src/**"]\nexclude: ["vendor"]\nweights: {"src/app.keep": 5}\n' > %t/.codensm.yaml
// RUN: cp %s %t/src/app.c && cp %s %t/vendor/lib.c
// RUN: cd %t && %rewrite src/app.c -- -I%include > app.out
// RUN: %FileCheck %s --check-prefix=APP < app.out
// RUN: cd %t && %rewrite vendor/lib.c -- -I%include > lib.out
// RUN: %FileCheck %s --check-prefix=LIB < lib.out
// .codensm.yaml's include and exclude, weights by name, CODENSM_SKIP and
// CODENSM_TRACK, with names relative to the configuration's directory.
#include "codensm.h"

int keep(int x) { return x; }
CODENSM_SKIP int skipped(int x) { return x; }
CODENSM_TRACK CODENSM_DEPARTMENT("core") int tracked(int x) { return x; }

// APP: CODENSM_SKIP int skipped(int x) { return x; }
// APP: {"src/app.keep", "src", "src/app.c", 12u, 5u, 0u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// APP-NEXT: {"src/app.tracked", "core", "src/app.c", 14u, 1u, 0u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// APP-NEXT: }{{;}}

// An excluded file keeps only its CODENSM_TRACK functions.
// LIB: int keep(int x) { return x; }
// LIB: {"vendor/lib.tracked", "core", "vendor/lib.c", 14u, 1u, 0u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// LIB-NEXT: }{{;}}
