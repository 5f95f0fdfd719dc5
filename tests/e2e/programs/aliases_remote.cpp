// SPDX-License-Identifier: Apache-2.0
// The other unit of aliases.cpp: a base class destructor it cannot alias.
#include <cstdio>

struct Remote {
  ~Remote();
};
Remote::~Remote() { std::puts("~Remote"); }
