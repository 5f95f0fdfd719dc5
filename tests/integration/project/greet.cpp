// A C++ function called from C.
#include <string>

namespace itest {
std::size_t greeting_length(const std::string &who) {
  return ("hello, " + who).size();
}
} // namespace itest

extern "C" int greet(void) {
  return static_cast<int>(itest::greeting_length("world"));
}
