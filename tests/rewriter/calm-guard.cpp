// RUN: %rewrite %s -- -std=c++17 > %t.cpp
// RUN: %FileCheck %s < %t.cpp
// RUN: %rewrite %s -- -std=c++17 -fno-exceptions -DNO_EXCEPTIONS > %t-noexc.cpp
// RUN: %FileCheck --check-prefix=NOEXC %s < %t-noexc.cpp
// The calm guard (Unwind.h): a function no exception can leave, without an
// error convention, reads neither the thread's uncaught exceptions nor its
// error epoch.  Every doubt keeps the full guard, which tells unwinding.
#include <new>
#include <typeinfo>

int elsewhere(int x);              // defined in another unit: may throw
int quiet_elsewhere(int x) noexcept; // says it cannot

struct Box {
  int *p;
  int n;
  // Bodies calling nothing, but too long for a bare count (a loop).
  int sum() const {
    int s = 0;
    for (int i = 0; i < n; i++)
      s += p[i];
    return s;
  }
  // CHECK: int sum() const {__codensm_calm __codensm_p{{[0-9]+}}(
  virtual int size() const;
  virtual int count() const noexcept;
  virtual ~Box() {}
};

int Box::size() const { return n + (n > 0 ? p[0] : 0); }

// Calls only what cannot throw: calm.
int twice(const Box &b) {
  int s = 0;
  for (int i = 0; i < 2; i++)
    s += b.sum() + quiet_elsewhere(i);
  return s;
}
// CHECK: int twice(const Box &b) {__codensm_calm __codensm_p{{[0-9]+}}(

// Calls what may throw, directly or through a function of this unit.
int loud(int x) {
  for (int i = 0; i < x; i++)
    x += elsewhere(i);
  return x;
}
// CHECK: int loud(int x) {__codensm_guard __codensm_p{{[0-9]+}}(
int through(int x) {
  for (int i = 0; i < 2; i++)
    x += loud(i);
  return x;
}
// CHECK: int through(int x) {__codensm_guard __codensm_p{{[0-9]+}}(

// A virtual call may reach any override: its declaration speaks.
int virtual_call(const Box &b) {
  int s = 0;
  for (int i = 0; i < 2; i++)
    s += b.size();
  return s;
}
// CHECK: int virtual_call(const Box &b) {__codensm_guard __codensm_p{{[0-9]+}}(
int virtual_noexcept(const Box &b) {
  int s = 0;
  for (int i = 0; i < 2; i++)
    s += b.count();
  return s;
}
// CHECK: int virtual_noexcept(const Box &b) {__codensm_calm __codensm_p{{[0-9]+}}(

// Through a pointer: its type speaks.
int by_pointer(int (*f)(int), int (*g)(int) noexcept, int x) {
  for (int i = 0; i < 2; i++)
    x += g(i);
  return f ? x : x + 1;
}
// CHECK: int by_pointer(int (*f)(int), int (*g)(int) noexcept, int x) {__codensm_calm __codensm_p{{[0-9]+}}(
int by_loud_pointer(int (*f)(int), int x) {
  for (int i = 0; i < 2; i++)
    x += f(i);
  return x;
}
// CHECK: int by_loud_pointer(int (*f)(int), int x) {__codensm_guard __codensm_p{{[0-9]+}}(

#ifndef NO_EXCEPTIONS
// What throws by itself.
int thrower(int x) {
  for (int i = 0; i < x; i++)
    if (i > 10)
      throw i;
  return x;
}
// CHECK: int thrower(int x) {__codensm_guard __codensm_p{{[0-9]+}}(
int catches_all(int x) {
  for (int i = 0; i < x; i++)
    try {
      x += elsewhere(i);
    } catch (...) {
    }
  return x;
}
// A try does not make a body calm (kept simple: its calls still count).
// CHECK: int catches_all(int x) {__codensm_guard __codensm_p{{[0-9]+}}(
struct Bigger : Box {};
const Box &cast(const void *p, const Box &b) {
  for (int i = 0; i < 2; i++)
    if (p)
      return dynamic_cast<const Bigger &>(b); // std::bad_cast
  return b;
}
// CHECK: const Box &cast(const void *p, const Box &b) {__codensm_guard __codensm_p{{[0-9]+}}(
const Box *cast_pointer(const void *p, const Box *b) {
  for (int i = 0; i < 2; i++)
    if (p)
      return dynamic_cast<const Bigger *>(b); // null, never a throw
  return b;
}
// CHECK: const Box *cast_pointer(const void *p, const Box *b) {__codensm_calm __codensm_p{{[0-9]+}}(
#endif

// new may throw std::bad_alloc; new (std::nothrow) may not.
int *allocate(int n) {
  for (int i = 0; i < 2; i++)
    n += i;
  return new int[n];
}
// CHECK: int *allocate(int n) {__codensm_guard __codensm_p{{[0-9]+}}(
int *allocate_quietly(int n) {
  for (int i = 0; i < 2; i++)
    n += i;
  return new (std::nothrow) int[n];
}
// CHECK: int *allocate_quietly(int n) {__codensm_calm __codensm_p{{[0-9]+}}(

// A cycle is never known calm.
int ping(int x);
int pong(int x) {
  for (int i = 0; i < 2; i++)
    x += i;
  return x > 100 ? x : ping(x + 1);
}
// CHECK: int pong(int x) {__codensm_guard __codensm_p{{[0-9]+}}(
int ping(int x) {
  for (int i = 0; i < 2; i++)
    x += i;
  return pong(x);
}
// CHECK: int ping(int x) {__codensm_guard __codensm_p{{[0-9]+}}(

// A member initialiser is the constructor's too.
struct Loud {
  int v;
  Loud() : v(elsewhere(1)) {
    for (int i = 0; i < 2; i++)
      v += i;
  }
  // CHECK: Loud() : v(elsewhere(1)) {__codensm_guard __codensm_p{{[0-9]+}}(
};
struct Calm {
  int v;
  Calm() : v(quiet_elsewhere(1)) {
    for (int i = 0; i < 2; i++)
      v += i;
  }
  // CHECK: Calm() : v(quiet_elsewhere(1)) {__codensm_calm __codensm_p{{[0-9]+}}(
};
int make_both() {
  Calm c;
  Loud l;
  return c.v + l.v;
}

// A template is calm only if each of its instances is.
template <class T> int apply_all(T f) {
  int s = 0;
  for (int i = 0; i < 2; i++)
    s += f(i);
  return s;
}
// CHECK: template <class T> int apply_all(T f) {__codensm_guard __codensm_p{{[0-9]+}}(
template <class T> int apply_quiet(T f) {
  int s = 0;
  for (int i = 0; i < 2; i++)
    s += f(i);
  return s;
}
// CHECK: template <class T> int apply_quiet(T f) {__codensm_calm __codensm_p{{[0-9]+}}(
int instances() {
  return apply_all(quiet_elsewhere) + apply_all(elsewhere) +
         apply_quiet(quiet_elsewhere) + apply_quiet([](int x) { return x; });
}

// An error convention can fail by its returns: the full guard.
__attribute__((annotate("codensm:errors=negative"))) int checked(int x) {
  for (int i = 0; i < 2; i++)
    x -= i;
  return x;
}
// CHECK: int checked(int x) {__codensm_guard __codensm_p{{[0-9]+}}(

// Without exceptions nothing unwinds: calm wherever no convention says
// otherwise.
// NOEXC: int loud(int x) {__codensm_calm __codensm_p{{[0-9]+}}(
// NOEXC: int by_loud_pointer(int (*f)(int), int x) {__codensm_calm __codensm_p{{[0-9]+}}(
// NOEXC: int *allocate(int n) {__codensm_calm __codensm_p{{[0-9]+}}(
// NOEXC: int checked(int x) {__codensm_guard __codensm_p{{[0-9]+}}(
