// clang-format off
// RUN: rm -rf %t && mkdir -p %t
// RUN: %gxx -O2 -DUSER_UNIT -c %s -o %t/user.o
// RUN: %gxx -O2 -c %s -o %t/main.o
// RUN: %gxx %t/user.o %t/main.o -o %t/exe
// RUN: rm -f %t.jsonl && env CODENSM_ENDPOINT=file://%t.jsonl %t/exe
// RUN: tr '{' '\n' < %t.jsonl | %FileCheck %s
// clang-format on
// An inline virtual function in a unit that needs no vtable of its class
// (USER_UNIT makes no Wrapper): clang's front end does not mark it used
// there, but GCC at -O2 devirtualizes e->Now() speculatively, emits a copy
// of Wrapper::Now and inlines it.  That copy had no probe (the rewriter
// took the function for one no object holds), and every call through it
// was lost: Wrapper::Now reported 0 of 20 (leveldb's EnvWrapper::NowMicros
// 24 of 54).  A virtual function now always gets its probe.
struct Env {
  virtual ~Env();
  virtual long Now() = 0;
};
struct Wrapper : Env {
  explicit Wrapper(Env *t) : t_(t) {}
  ~Wrapper() override;
  long Now() override { return t_->Now(); }
  Env *t_;
};
long elapsed(Env *e);

#ifdef USER_UNIT
long elapsed(Env *e) { return e->Now() + e->Now(); }
#else
Env::~Env() {}
Wrapper::~Wrapper() {}
struct Real : Env {
  long Now() override { return 1; }
};
int main(int argc, char **) {
  Real r;
  Wrapper w(&r);
  long s = 0;
  for (int i = 0; i < 10 * argc; ++i)
    s += elapsed(&w);
  return s == 20 ? 0 : 1;
}
#endif

// CHECK-DAG: "name":"Wrapper::Now","department":"root","value_weight":1,"calls":20,
// CHECK-DAG: "name":"Real::Now","department":"root","value_weight":1,"calls":20,
