// RUN: %rewrite %s -- -I%include > %t.c
// RUN: gcc -fsyntax-only -Wall -I%include %t.c 2>&1 | %FileCheck %s
// GCC's messages about the rewritten file point at the user's file and
// line: the probes add no line and #line names the file.

int unused_here(void) {
  int unused = 1;
  return 0;
}
// CHECK: line-directive.c:7:7: warning: unused variable 'unused'

#warning "still line 12"
// CHECK: line-directive.c:12:2: warning: #warning "still line 12"
