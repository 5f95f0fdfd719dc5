// .codensm.yaml: include/exclude globs (exclude wins), departments by path
// prefix, weights and error conventions by name prefix (longest wins), and
// the default department (the file's directory).
// RUN: rm -rf %t && mkdir -p %t/src/payments/fraud %t/src/search %t/tools %t/other
// RUN: cp %S/Inputs/shop.yaml %t/.codensm.yaml
// RUN: cp %s %t/src/payments/card.c && cp %s %t/src/payments/fraud/score.c
// RUN: cp %s %t/src/search/legacy.c && cp %s %t/src/search/index.c
// RUN: cp %s %t/tools/cli.c && cp %s %t/other/misc.c
// RUN: cd %t/src/payments && %clang -S -emit-llvm -o - card.c | %FileCheck %s --check-prefix=CARD
// RUN: cd %t && %clang -S -emit-llvm -o - src/payments/fraud/score.c | %FileCheck %s --check-prefix=FRAUD
// RUN: cd %t && %clang -S -emit-llvm -o - src/search/index.c | %FileCheck %s --check-prefix=INDEX
// RUN: cd %t && %clang -S -emit-llvm -o - tools/cli.c | %FileCheck %s --check-prefix=INDEX
// RUN: cd %t && %clang -S -emit-llvm -o - src/search/legacy.c | %FileCheck %s --check-prefix=OUT
// RUN: cd %t && %clang -S -emit-llvm -o - other/misc.c | %FileCheck %s --check-prefix=OUT

// Names are relative to the configuration's directory wherever clang runs.
// CARD-DAG: c"src/payments/card.charge\00"
// CARD-DAG: c"src/payments/card.refund\00"
// CARD-DAG: c"payments\00"
// The function table: name, department, file, line, weight, errors (1 = negative), flags.
// CARD-DAG: @__codensm_functions = internal constant {{.*}} i32 0, i32 9, i32 1, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 5, i32 1, i32 0, i64 {{-?[0-9]+}} }]

// FRAUD-DAG: c"src/payments/fraud/score.charge\00"
// FRAUD-DAG: c"risk\00"
// FRAUD-DAG: @__codensm_functions = internal constant {{.*}} i32 0, i32 1, i32 1, i32 0, i64 {{-?[0-9]+}} }, {{.*}} i32 0, i32 1, i32 1, i32 0, i64 {{-?[0-9]+}} }]

// INDEX-DAG: @__codensm_home = internal thread_local
// INDEX-DAG: c"{{src/search/index|tools/cli}}.charge\00"
// INDEX-DAG: c"{{src/search|tools}}\00"

// OUT-NOT: __codensm
// OUT: define {{.*}} @charge(
// OUT-NOT: __codensm
int charge(int cents) { return cents > 0 ? 0 : -1; }
int refund(int cents) { return cents; }
