/* A library's header, included with -isystem as Google Test often is. */
#include <codensm.h>
static inline int third_scale(int x) { return 3 * x + (x > 7); }
namespace third {
template <class T> T add(T a, T b) { return a + b; }
struct Counter {
  int n = 0;
  void bump() { n += third_scale(n); }
};
CODENSM_TRACK inline int tracked(int x) { return add(x, x) + 1; }
} // namespace third
