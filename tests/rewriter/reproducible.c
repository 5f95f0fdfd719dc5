// RUN: rm -rf %t && mkdir -p %t/src && cp %s %t/src/unit.c && cd %t
// RUN: %gcc -g -O2 -c src/unit.c -o one.o
// RUN: %gcc -g -O2 -c src/unit.c -o two.o
// RUN: cmp one.o two.o
// RUN: readelf --debug-dump=info one.o | %FileCheck --check-prefix=DWARF %s
// RUN: %gcc -O1 src/unit.c -o unit && ./unit | %FileCheck --check-prefix=OUT %s
// The instrumented copy GCC compiles lives in a new temporary directory
// each time; its path was the debug information's unit name and
// __BASE_FILE__, so no two builds of one source gave the same object
// (reproducible builds, build caches). GCC now names the copy as it names
// the source.
#include <stdio.h>

int main(void) {
  printf("%s %s\n", __FILE__, __BASE_FILE__);
  return 0;
}
// DWARF: DW_AT_name {{.*}}: src/unit.c
// DWARF-NOT: codensm-gcc.
// OUT: src/unit.c src/unit.c
