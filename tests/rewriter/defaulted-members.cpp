// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 -std=c++17 -Wall -Wextra -Wpedantic -Werror %s -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe | %FileCheck --check-prefix=OUT %s
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// A destructor or default constructor defaulted outside its class is
// user-provided, as `{}` would be, and its body is where a pimpl's
// implementation is destroyed; the rewriter gave it no probe (no braces
// to put one in), so through GCC it had no row at all while the plugin
// counted it.  Its `= default` is now written `{ probe }`, token for
// token, so the lines after it keep their numbers.  Members defaulted in
// their class stay as written (a body there would make a trivial type
// non-trivial), and so do copy and move operations, which `{}` would not
// copy.  A class template's such members get a row per instance, as its
// other members do.
#include <cstdio>
#include <memory>
#include <type_traits>

struct Impl {
  ~Impl() { std::printf("impl gone\n"); }
};
class Widget {
public:
  Widget();
  explicit Widget(int);
  ~Widget();
  Widget(Widget &&);

private:
  std::unique_ptr<Impl> impl_;
  int level_ = 7;
};
Widget::Widget() = default;
Widget::Widget(int level) : impl_(new Impl), level_(level) {}
Widget::~Widget() =
    default; // the line after it keeps its number
Widget::Widget(Widget &&) = default;

struct Base {
  virtual ~Base() noexcept;
};
Base::~Base() noexcept = default;
struct Derived : Base {
  ~Derived() override;
};
Derived::~Derived() = default;

template <class T> struct Holder {
  Holder();
  ~Holder();
  std::unique_ptr<T> held;
};
template <class T> Holder<T>::Holder() = default;
template <class T> Holder<T>::~Holder() = default;

// Left as written: a constexpr one (the compiler may evaluate it, where a
// guard cannot be), and one with an attribute after its declarator, which
// GCC allows on a declaration, not on a definition: either, given a body,
// made GCC refuse the whole file.
struct Literal {
  constexpr Literal();
  int x = 1;
};
constexpr Literal::Literal() = default;
static_assert(Literal().x == 1, "still constexpr");
struct Cold {
  ~Cold();
};
Cold::~Cold() __attribute__((cold)) = default;

struct Plain {
  ~Plain() = default; // in its class: trivial, no body
  int x;
};
static_assert(std::is_trivially_destructible<Plain>::value,
              "a member defaulted in its class stays trivial");

int main() {
  for (int i = 0; i < 3; i++)
    Widget w;
  {
    Widget a(2);
    Widget b(static_cast<Widget &&>(a));
  }
  delete static_cast<Base *>(new Derived);
  { Derived d; }
  { Holder<int> h[2]; Holder<long> l; }
  { Cold c; }
  std::printf("line %d\n", __LINE__);
}

// OUT: impl gone
// OUT-NEXT: line 91

// CHECK-DAG: "name":"defaulted-members.Widget::Widget","department":"root","value_weight":1,"calls":4,
// CHECK-DAG: "name":"defaulted-members.Widget::~Widget","department":"root","value_weight":1,"calls":5,
// CHECK-DAG: "name":"defaulted-members.Base::~Base","department":"root","value_weight":1,"calls":2,
// CHECK-DAG: "name":"defaulted-members.Derived::~Derived","department":"root","value_weight":1,"calls":2,
// CHECK-DAG: "name":"Holder<int>::Holder","department":"root","value_weight":1,"calls":2,
// CHECK-DAG: "name":"Holder<int>::~Holder","department":"root","value_weight":1,"calls":2,
// CHECK-DAG: "name":"Holder<long>::~Holder","department":"root","value_weight":1,"calls":1,
// CHECK-DAG: "name":"Impl::~Impl","department":"root","value_weight":1,"calls":1,
// CHECK-DAG: "name":"defaulted-members.main",
