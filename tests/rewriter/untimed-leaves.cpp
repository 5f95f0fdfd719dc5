// RUN: rm -rf %t && mkdir -p %t
// RUN: %rewrite %s -- -std=c++17 -I%include > %t/rewritten.cpp
// RUN: %FileCheck %s < %t/rewritten.cpp
// RUN: %gxx -std=c++17 -O2 -Wall -Wextra -Wpedantic -Werror -pthread %s -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe | %FileCheck --check-prefix=OUT %s
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s --check-prefix=COUNTS
// C++ leaves through GCC (untimed-leaves.c has the policy): a leaf calls
// nothing, so no exception can leave it, and its probe is the count alone,
// with no guard and no destructor.  What calls without a call expression
// keeps a leaf out: a constructor or destructor that is not trivial (a
// local std::string, a member's), new and delete, throw, dynamic_cast, a
// thread_local with a dynamic initialiser (reached through its wrapper), a
// static local initialised at run time (a guarded call); and a destructor
// is never one (its members' and bases' destructors run after its body).
// A template's instances are leaves when each of them is.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

struct Point {
  int x_, y_;
  Point(int x, int y) : x_(x), y_(y) {}
  // CHECK: Point(int x, int y) : x_(x), y_(y) {__UINT64_TYPE__ __codensm_t0 __attribute__((__unused__)) = __codensm_tally(0u);}
  int x() const { return x_; }
  // CHECK: int x() const {__UINT64_TYPE__ __codensm_t1 __attribute__((__unused__)) = __codensm_tally(1u); return x_; }
  ~Point() { x_ = 0; }
  // CHECK: ~Point() {__codensm_guard __codensm_p2(2u, true, false); x_ = 0; }
};

struct Named {
  std::string name;
  int n = 0;
  Named() {}
  // CHECK: Named() {__codensm_guard __codensm_p3(3u, true, false);}
  int count() const { return n; }
  // CHECK: int count() const {__UINT64_TYPE__ __codensm_t4 {{.*}} = __codensm_tally(4u); return n; }
  size_t length() const { return name.size(); }
  // CHECK: size_t length() const {__codensm_guard __codensm_p5(5u, true, false);
};

template <class T> T first(const T *p) { return *p; }
// CHECK: template <class T> T first(const T *p) {__UINT64_TYPE__ __codensm_t6 {{.*}} = __codensm_tally(__codensm_islot(static_cast<__codensm_tag<__codensm_v<unsigned, 6u>, {{.*}}> *>(__null))); return *p; }

int local_string(int v) {
  std::string s = "x";
  // CHECK: int local_string(int v) {__codensm_guard
  return v + static_cast<int>(s.size());
}

int checked(int v) {
  // CHECK: int checked(int v) {__codensm_guard
  if (v < 0)
    throw std::invalid_argument("negative");
  return v;
}

int tl_init() { return 7; }
thread_local int tl_value = tl_init();
int read_tl() { return tl_value; }
// CHECK: int read_tl() {__codensm_guard

int read_static(int v) {
  // CHECK: int read_static(int v) {__codensm_guard
  static int base = tl_init();
  return base + v;
}

// Calls no expression names (a review's finds): a default member
// initialiser's new in an aggregate's braces, a static thread_local member
// with a dynamic initialiser, a builtin that is operator new.
struct Box {
  int *p = new int(7);
};
int box_value() {
  Box b{};
  // CHECK: int box_value() {__codensm_guard
  int v = *b.p;
  delete b.p;
  return v;
}
struct Counter {
  static thread_local int hits;
};
thread_local int Counter::hits = tl_init();
int read_hits(Counter &c) { return c.hits; }
// CHECK: int read_hits(Counter &c) {__codensm_guard
#if defined(__clang__) // what the rewriter parses; GCC has no such builtin
void *grab(size_t n) { return __builtin_operator_new(n); }
// CHECK: void *grab(size_t n) {__codensm_guard
#endif

int main() {
  Named named;
  named.name = "abc";
  long total = 0;
  for (int i = 0; i < 100; i++) {
    Point p(i, 2 * i);
    total += p.x() + named.count() + static_cast<long>(named.length());
    total += first(&i) + static_cast<long>(first(&total) % 3);
    total += local_string(i) + read_tl() + read_static(i);
  }
  // Three threads, each its first calls of the leaves in a new chunk.
  std::thread threads[3];
  for (auto &t : threads)
    t = std::thread([] {
      Point p(1, 2);
      volatile int sink = p.x();
      (void)sink;
    });
  for (auto &t : threads)
    t.join();
  int errors = 0;
  for (int i = -5; i < 5; i++) {
    try {
      total += checked(i);
    } catch (const std::invalid_argument &) {
      errors++;
    }
  }
  Counter counter;
  total += box_value() + read_hits(counter);
  std::printf("%ld %d\n", total, errors);
  return 0;
}
// OUT: {{[0-9]+}} 5

// COUNTS-DAG: "name":"Point::Point","department":"root","value_weight":1,"calls":103,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"Point::x","department":"root","value_weight":1,"calls":103,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"Point::~Point","department":"root","value_weight":1,"calls":103,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
// COUNTS-DAG: "name":"Named::count","department":"root","value_weight":1,"calls":100,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"Named::length","department":"root","value_weight":1,"calls":100,"errors":0,"total_ms":{{[0-9.e-]+}},"hist"
// COUNTS-DAG: "name":"first<int>","department":"root","value_weight":1,"calls":100,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"first<long>","department":"root","value_weight":1,"calls":100,"errors":0,"total_ms":0,"file"
// COUNTS-DAG: "name":"untimed-leaves.checked","department":"root","value_weight":1,"calls":10,"errors":5,
// COUNTS-DAG: "name":"untimed-leaves.read_tl","department":"root","value_weight":1,"calls":100,
// COUNTS-DAG: "name":"untimed-leaves.read_static","department":"root","value_weight":1,"calls":100,
