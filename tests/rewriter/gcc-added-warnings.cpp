// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: printf 'errors:\n  gcc-added-warnings.code: negative\n' > %t/codensm.yaml
// RUN: env CODENSM_CONFIG=%t/codensm.yaml %gxx -std=c++17 -O2 -Wall -Wextra -Wpedantic -Werror -Wredundant-tags -Wmismatched-tags -Wpadded -Wtemplates -Wnamespaces -Wlarger-than=100 -Wold-style-cast -Wuseless-cast -Wzero-as-null-pointer-constant -Wconversion -Wsign-conversion -Wshadow -Wmissing-declarations %s -o %t/exe 2> %t/err.txt
// RUN: test ! -s %t/err.txt
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// What GCC says of the instrumented form is what it says of the user's
// source, under warnings beyond -Wall -Wextra, each of which alone had the
// file compiled without instrumentation:
//  - -Wredundant-tags: `struct cnsm_module_desc *` and the like where C++
//    needs no class-key;
//  - -Wpadded: the guard's trailing padding;
//  - -Wtemplates, -Wnamespaces: the instance tags' templates, the
//    anonymous namespace of the guard and the declaration in std;
//  - -Wlarger-than=100: the unit's table of functions.
// The counts, errors and callers say the build was instrumented.
class Counter {
public:
  explicit Counter(int s) : n_(s) {}
  int add(int k) {
    n_ += k;
    return n_;
  }

private:
  int n_;
};
static int twice(int x) { return x * 2; }
static int code(int x) { return x < 0 ? -1 : twice(x); }
static int thrower(int x) {
  if (x > 5)
    throw x;
  return x;
}
int main() {
  Counter c(1);
  auto add = [&c](int k) { return c.add(k); };
  int r = add(2) + code(-4) + code(2);
  try {
    r += thrower(9);
  } catch (int) {
    r += 1;
  }
  return r == 7 ? 0 : 1;
}
// clang-format off
// CHECK: "name":"Counter::Counter","department":"root","value_weight":1,"calls":1,"errors":0,
// CHECK: "name":"Counter::add","department":"root","value_weight":1,"calls":1,"errors":0,
// CHECK: "name":"gcc-added-warnings.twice","department":"root","value_weight":1,"calls":1,"errors":0,
// CHECK-NEXT: "name":"gcc-added-warnings.code","calls":1}
// CHECK: "name":"gcc-added-warnings.code","department":"root","value_weight":1,"calls":2,"errors":1,
// CHECK: "name":"gcc-added-warnings.main","calls":2}
// CHECK: "name":"gcc-added-warnings.thrower","department":"root","value_weight":1,"calls":1,"errors":1,
// CHECK: "name":"gcc-added-warnings.main","calls":1}
// CHECK: "name":"gcc-added-warnings.main","department":"root","value_weight":1,"calls":1,"errors":0,
// CHECK: "name":"gcc-added-warnings.main(...)::$_0::operator()","department":"root","value_weight":1,"calls":1,"errors":0,
// clang-format on
