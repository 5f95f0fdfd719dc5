// The unit's home (directory and chunk 0): the compiler's TLS model by default (a
// shared library's code reaches it through __tls_get_addr), initial-exec
// with -codensm-tls-model=initial-exec (one load from the GOT's offset).
// RUN: %clang -O2 -fPIC -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=IR-DEFAULT
// RUN: %clang -fplugin=%plugin -mllvm -codensm-tls-model=initial-exec -O2 -fPIC -S -emit-llvm -o - %s | %FileCheck %s --check-prefix=IR-IE
// RUN: %clang -O2 -fPIC -S -o - %s | %FileCheck %s --check-prefix=ASM-DEFAULT
// RUN: %clang -fplugin=%plugin -mllvm -codensm-tls-model=initial-exec -O2 -fPIC -S -o - %s | %FileCheck %s --check-prefix=ASM-IE
// IR-DEFAULT: @__codensm_home = internal thread_local global
// IR-IE: @__codensm_home = internal thread_local(initialexec) global
// ASM-DEFAULT-LABEL: tick:
// ASM-DEFAULT: __tls_get_addr
// ASM-IE-LABEL: tick:
// ASM-IE-NOT: __tls_get_addr
// ASM-IE: __codensm_home@GOTTPOFF
// ASM-IE: retq
int tick(int x) { return x + 1; }
