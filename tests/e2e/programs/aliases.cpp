// SPDX-License-Identifier: Apache-2.0
// Destructors clang emits as aliases from -O1 up (-mconstructor-aliases):
// one that only calls its unique base's is an alias of the base's, and
// must still count its own calls, as at -O0 (plugin/StructorAliases.h).
// Also: an alias of such an alias, both deleted through a vtable (the
// deleting destructor is a function of its own, which calls the complete
// one: counted once, plugin/StructorAliases.h), a destructor whose base's
// is in the other unit (aliases_remote.cpp: a function at every level), a
// constructor whose complete-object symbol aliases its base-object one
// (one row), and an alias the user wrote (counted in its target).
// Annotations on a constructor and a destructor hold.  And empty
// destructors clang replaces by their base's (below).
#include <codensm.h>
#include <cstdio>

struct Base {
  virtual ~Base();
  int tag = 1;
};
Base::~Base() { std::printf("~Base %d\n", tag); }

struct Derived : Base {
  ~Derived() override;
};
Derived::~Derived() {}

struct Derived2 : Derived {
  ~Derived2() override;
};
Derived2::~Derived2() {}

struct Remote {
  ~Remote();
};
struct FromRemote : Remote {
  ~FromRemote();
};
FromRemote::~FromRemote() {}

struct Point {
  Point(int);
  int x;
};
// clang's code generation drops a constructor's or destructor's
// annotations; the front end hands them to the pass (SourceFacts.h).
CODENSM_WEIGHT(3) Point::Point(int v) : x(v) {}

// With a virtual base, the complete destructor (D1) calls the base-object
// one (D2), and the deleting one (D0) calls D1: one count a call each.
struct Shared {
  virtual ~Shared();
};
CODENSM_DEPARTMENT("teardown") Shared::~Shared() {}
struct Diamond : virtual Shared {
  ~Diamond() override;
};
Diamond::~Diamond() {}

// Empty destructors clang gives no alias but, from -O1 up, replaces by
// their base's at every use: inline (in the class, = default, or the
// compiler's), or of a class in an anonymous namespace.  Built without
// constructor aliases (-Xclang -mno-constructor-aliases, as codensm-clang,
// target_codensm() and pkg-config's flags give it), each is a function.
struct InClass : Base {
  ~InClass() override {}
};
struct Defaulted : Base {
  ~Defaulted() override = default;
};
struct Implicit : Base {};
namespace {
struct Hidden : Base {
  ~Hidden() override {}
};
} // namespace

extern "C" int impl(int x) { return x + 1; }
extern "C" int api(int) __attribute__((alias("impl")));

__attribute__((noinline)) void destroy(Base *b) { delete b; }

int main() {
  for (int i = 0; i < 3; i++) {
    Derived d;
  }
  for (int i = 0; i < 2; i++) {
    Derived2 d;
  }
  destroy(new Derived);
  destroy(new Derived2);
  for (int i = 0; i < 4; i++) {
    FromRemote r;
  }
  for (int i = 0; i < 3; i++) {
    Diamond d;
  }
  delete static_cast<Shared *>(new Diamond);
  for (int i = 0; i < 3; i++) {
    InClass a;
    Defaulted b;
    Implicit c;
    Hidden d;
  }
  destroy(new InClass);
  destroy(new Defaulted);
  destroy(new Hidden);
  int sum = 0;
  for (int i = 0; i < 5; i++) {
    Point p(i);
    sum += api(p.x) + impl(i);
  }
  std::printf("%d\n", sum);
  return sum == 30 ? 0 : 1;
}
