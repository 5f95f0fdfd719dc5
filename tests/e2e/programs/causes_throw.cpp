// SPDX-License-Identifier: Apache-2.0
// Root causes of exceptions: load -> parse -> read_block.  Of 6 loads, 2
// fail because read_block throws (the exception passes through parse and
// load), 1 because parse throws by itself; each exception is caught in
// main.  probe() throws and is caught inside load before each parse: an
// error exit is attributed to the latest error beneath it, so probe's,
// handled and followed by parse's, is never load's cause.
#include <cstdio>
#include <stdexcept>

__attribute__((noinline)) void read_block(int i) {
  if (i < 2)
    throw std::runtime_error("disk");
}

__attribute__((noinline)) void parse(int i) {
  if (i == 2)
    throw std::invalid_argument("syntax");
  read_block(i);
}

__attribute__((noinline)) void probe() { throw 1; }

__attribute__((noinline)) void load(int i) {
  try {
    probe();
  } catch (int) {
  }
  parse(i);
}

int main() {
  int failed = 0;
  for (int i = 0; i < 6; i++) {
    try {
      load(i);
    } catch (const std::exception &) {
      failed++;
    }
  }
  std::printf("failed=%d\n", failed);
  return 0;
}
