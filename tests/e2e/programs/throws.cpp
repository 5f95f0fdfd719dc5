// SPDX-License-Identifier: Apache-2.0
// Exceptions: risky() throws on 3 of 10 calls; viaOther() catches another
// type first, so the exception passes through its landing pad; passOn(),
// inlined at its only call site, lets it through its copy in main's frame.
#include <cstdio>
#include <stdexcept>

struct Unrelated {};

__attribute__((noinline)) int risky(int i) {
  if (i % 3 == 1)
    throw std::runtime_error("bad input");
  return i * 2;
}

__attribute__((noinline)) int viaOther(int i) {
  try {
    return risky(i);
  } catch (const Unrelated &) {
    return -1;
  }
}

__attribute__((always_inline)) inline int passOn(int i) { return risky(i) + 1; }

int main() {
  int sum = 0, caught = 0;
  for (int i = 0; i < 10; ++i) {
    try {
      sum += viaOther(i);
    } catch (const std::runtime_error &e) {
      ++caught;
    }
    try {
      sum += passOn(i);
    } catch (const std::runtime_error &e) {
      ++caught;
    }
  }
  std::printf("sum=%d caught=%d\n", sum, caught);
  return 0;
}
