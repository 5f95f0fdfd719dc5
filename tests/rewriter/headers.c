// RUN: rm -rf %t && mkdir -p %t/proj/inc %t/proj/tests %t/sys %t/outside
// RUN: printf 'departments: {"inc": "shared"}\n' > %t/proj/.codensm.yaml
// RUN: printf '#include "more.h"\nstatic inline int clamp(int x) { return x < 0 ? 0 : x; }\nstatic inline int unused_helper(int x) { return x; }\nint warned(void) { int unused; return 0; }\n' > %t/proj/inc/helpers.h
// RUN: printf 'static inline int twice(int x) { return 2 * x; }\n' > %t/proj/inc/more.h
// RUN: printf 'int lib_fn(int x) { return x; }\n' > %t/proj/lib.c
// RUN: printf '#include "../lib.c"\n' > %t/proj/tests/common.h
// RUN: printf 'static inline int sys_fn(int x) { return x; }\n' > %t/sys/sys.h
// RUN: printf 'static inline int far_fn(int x) { return x; }\n' > %t/outside/far.h
// RUN: cp %s %t/proj/tests/t.c
// RUN: cd %t/proj && %rewrite -header-dir=%t/h tests/t.c -- -Iinc -isystem %t/sys -I%t/outside -I%include > %t/t.out
// RUN: %FileCheck %s --check-prefix=TABLE < %t/t.out
// RUN: %FileCheck %s --check-prefix=HELPERS < %t/h%t/proj/inc/helpers.h
// RUN: %FileCheck %s --check-prefix=LIB < %t/h%t/proj/lib.c
// RUN: test -f %t/h%t/proj/inc/more.h && test -f %t/h%t/proj/tests/common.h
// RUN: test ! -e %t/h%t/sys && test ! -e %t/h%t/outside
// Without -header-dir, headers are left alone.
// RUN: cd %t/proj && %rewrite tests/t.c -- -Iinc -isystem %t/sys -I%t/outside -I%include | %FileCheck %s --check-prefix=MAIN-ONLY
// Through codensm-gcc: GCC reads the copies, and its messages name the
// original header and line.
// RUN: cd %t/proj && %gcc -Wall -Iinc -isystem %t/sys -I%t/outside -c tests/t.c -o %t/t.o 2>&1 | %FileCheck %s --check-prefix=GCC
// RUN: nm %t/t.o | %FileCheck %s --check-prefix=NM
// The dependency file names the original headers, never their copies.
// RUN: cd %t/proj && %gcc -MD -MF %t/t.d -Iinc -isystem %t/sys -I%t/outside -c tests/t.c -o %t/t.o
// RUN: %FileCheck %s --check-prefix=DEPS < %t/t.d
// The project's headers (under .codensm.yaml's root, not -isystem): their
// functions get probes in copies, named by the header, in the header's
// department; a helper this unit never calls gets none.  (Each is a small
// leaf, so counted and never timed: flags 2, untimed-leaves.c.)
#include "common.h"
#include "far.h"
#include "helpers.h"
#include "sys.h"

int main(void) { return clamp(twice(lib_fn(1))) + sys_fn(0) + far_fn(0); }

// TABLE: {{[{]}}"lib.lib_fn", "root", "lib.c", 1u, 1u, 0u, 2u, UINT64_C({{[0-9]+}})},
// TABLE-NEXT: {{[{]}}"inc/more.twice", "shared", "inc/more.h", 1u, 1u, 0u, 2u, UINT64_C({{[0-9]+}})},
// TABLE-NEXT: {{[{]}}"inc/helpers.clamp", "shared", "inc/helpers.h", 2u, 1u, 0u, 2u, UINT64_C({{[0-9]+}})},
// TABLE-NEXT: {{[{]}}"inc/helpers.warned", "shared", "inc/helpers.h", 4u, 1u, 0u, 2u, UINT64_C({{[0-9]+}})},
// TABLE-NEXT: {{[{]}}"tests/t.main", "tests", "tests/t.c", 34u, 1u, 0u, 0u, UINT64_C({{[0-9]+}})},
// TABLE-NEXT: };

// HELPERS: #line 1 "inc/helpers.h"
// HELPERS-NEXT: #include "more.h"
// HELPERS-NEXT: static inline int clamp(int x) {__UINT64_TYPE__ __codensm_t2 {{.*}}__codensm_tally
// HELPERS-NEXT: static inline int unused_helper(int x) { return x; }

// LIB: #line 1 "{{.*}}tests/../lib.c"
// LIB-NEXT: int lib_fn(int x) {__UINT64_TYPE__ __codensm_t0 {{.*}}__codensm_tally

// MAIN-ONLY: {{[{]}}"tests/t.main", "tests", "tests/t.c", 34u, 1u, 0u, 0u, UINT64_C({{[0-9]+}})},
// MAIN-ONLY-NEXT: };

// GCC: inc/helpers.h:4:{{[0-9]+}}: warning: unused variable 'unused'
// GCC-NOT: codensm-gcc: warning
// NM: U __codensm_sample_start

// DEPS: t.o:
// DEPS-NEXT: {{^}} tests/t.c
// DEPS-NOT: codensm-gcc.
// DEPS: {{^}} {{.*}}/proj/inc/helpers.h
// DEPS-NOT: codensm-gcc.
// NM: T lib_fn
