// A function declared in std is library code even when the team wrote it
// (a std::hash specialisation); CODENSM_TRACK still brings it in.
// RUN: %clangxx -std=c++17 -O0 -S -emit-llvm -o - %s | %FileCheck %s
// CHECK-DAG: @__codensm_functions = internal constant [2 x
// CHECK-DAG: c"std::hash<app::Tracked>::operator()\00"
// CHECK-DAG: c"std-track.main\00"
// CHECK-NOT: c"std::hash<app::Plain>
#include "codensm.h"
#include <cstddef>
#include <functional>

namespace app {
struct Plain { int v; };
struct Tracked { int v; };
} // namespace app

template <> struct std::hash<app::Plain> {
  std::size_t operator()(const app::Plain &p) const { return (std::size_t)p.v; }
};
template <> struct std::hash<app::Tracked> {
  CODENSM_TRACK std::size_t operator()(const app::Tracked &t) const {
    return (std::size_t)t.v;
  }
};

int main() {
  return (int)(std::hash<app::Plain>()(app::Plain{1}) +
               std::hash<app::Tracked>()(app::Tracked{2})) - 3;
}
