// A C++ function called from C, and a destructor with an empty body,
// which clang replaces by its base's from -O1 up unless target_codensm()
// turns its constructor aliases off (greet.cpp is built at -O2).
#include <string>

namespace itest {
std::size_t greeting_length(const std::string &who) {
  return ("hello, " + who).size();
}

struct Message {
  virtual ~Message();
  int sent = 0;
};
Message::~Message() { sent = -1; }

struct Greeting : Message {
  ~Greeting() override {}
};
} // namespace itest

extern "C" int greet(void) {
  itest::Greeting greeting;
  return static_cast<int>(itest::greeting_length("world")) + greeting.sent;
}
