// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 -std=c++17 -pthread %s -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe | %FileCheck --check-prefix=OUT %s
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// An exception unwinding through a function is its error; a function a
// destructor calls during another exception's unwinding returns normally.
// The guard tells them apart by the thread's count of uncaught exceptions,
// read through a pointer each thread keeps to its __cxa_eh_globals (not
// std::uncaught_exceptions at every entry and exit, which cost a call
// 12 ns): so each thread must read its own, here three threads' at once.
#include <cstdio>
#include <stdexcept>
#include <thread>
#include <vector>

void note() {}
struct Cleanup {
  ~Cleanup() { note(); }
};
int may_throw(int i) {
  Cleanup c;
  if (i % 2)
    throw std::runtime_error("odd");
  return i;
}
int caller(int i) { return may_throw(i) + 1; }

void worker(int *caught) {
  for (int i = 0; i < 10; i++) {
    try {
      caller(i);
    } catch (const std::exception &) {
      ++*caught;
    }
  }
}

int main() {
  int caught[3] = {0, 0, 0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; t++)
    threads.emplace_back(worker, &caught[t]);
  for (std::thread &t : threads)
    t.join();
  std::printf("caught %d\n", caught[0] + caught[1] + caught[2]);
}

// OUT: caught 15

// CHECK-DAG: "name":"exceptions-threads.may_throw","department":"root","value_weight":1,"calls":30,"errors":15,
// CHECK-DAG: "name":"exceptions-threads.caller","department":"root","value_weight":1,"calls":30,"errors":15,
// CHECK-DAG: "name":"exceptions-threads.note","department":"root","value_weight":1,"calls":30,"errors":0,
// CHECK-DAG: "name":"Cleanup::~Cleanup","department":"root","value_weight":1,"calls":30,"errors":0,
// CHECK-DAG: "name":"exceptions-threads.worker","department":"root","value_weight":1,"calls":3,"errors":0,
