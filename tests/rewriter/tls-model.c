// The unit's home (directory and chunk 0): GCC's TLS model for the output by default,
// initial-exec with -codensm-tls-model=initial-exec (as the plugin's
// option), which a shared library built by codensm-gcc then reaches
// without __tls_get_addr.
// RUN: %rewrite %s -- | %FileCheck %s --check-prefix=DEFAULT
// RUN: %rewrite -codensm-tls-model=initial-exec %s -- | %FileCheck %s --check-prefix=IE
// RUN: %not %rewrite -codensm-tls-model=local %s -- 2>&1 | %FileCheck %s --check-prefix=BAD
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gcc -O2 -fPIC -shared -mllvm -codensm-tls-model=initial-exec %s -o %t/ie.so
// RUN: objdump -d %t/ie.so | %FileCheck %s --check-prefix=IE-SO
// DEFAULT: static __thread struct cnsm_home __codensm_home = {&__codensm_empty_dir.header, &__codensm_sentinel};
// IE: static __thread struct cnsm_home __codensm_home __attribute__((tls_model("initial-exec"))) = {&__codensm_empty_dir.header, &__codensm_sentinel};
// BAD: codensm-rewrite: -codensm-tls-model=local: dynamic or initial-exec
// IE-SO: <tick>:
// IE-SO-NOT: __tls_get_addr
// IE-SO: ret
int tick(int x) { return x + 1; }
