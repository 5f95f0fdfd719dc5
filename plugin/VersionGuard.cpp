// SPDX-License-Identifier: Apache-2.0
//===- VersionGuard.cpp - refuse to run inside another LLVM major --------===//
//
// A plugin built for one LLVM major crashes a clang of another (the C++ ABI
// of LLVM changes between majors), and the pass plugin API version does not
// catch it.  Before any static initialiser of this plugin touches LLVM (the
// cl::opt globals do), find which libLLVM the host process has loaded and,
// if its major is not ours, stop the compiler with a message that says which
// plugin to use instead.  A host with LLVM linked statically cannot be
// checked this way and is trusted.
//
//===----------------------------------------------------------------------===//
#include "llvm/Config/llvm-config.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <link.h>
#include <unistd.h>

namespace {

/// The major version in "libLLVM-14.so.1", "libLLVM.so.19.1" or
/// "libLLVM-19.so", or 0 when Path is not a libLLVM.
int llvmMajorOf(const char *Path) {
  const char *Base = std::strrchr(Path, '/');
  Base = Base ? Base + 1 : Path;
  if (std::strncmp(Base, "libLLVM", 7) != 0)
    return 0;
  const char *Rest = Base + 7;
  if (*Rest == '-')
    ++Rest;
  else if (std::strncmp(Rest, ".so.", 4) == 0)
    Rest += 4;
  else
    return 0;
  return std::atoi(Rest);
}

int findHostMajor(struct dl_phdr_info *Info, size_t, void *Found) {
  int Major = Info->dlpi_name ? llvmMajorOf(Info->dlpi_name) : 0;
  if (Major > 0) {
    *static_cast<int *>(Found) = Major;
    return 1; // stop iterating
  }
  return 0;
}

// Priority 101 runs before the default-priority initialisers of this file's
// neighbours (the cl::opt registrations).
__attribute__((constructor(101))) void refuseForeignLLVM() {
  int HostMajor = 0;
  dl_iterate_phdr(findHostMajor, &HostMajor);
  if (HostMajor == 0 || HostMajor == LLVM_VERSION_MAJOR)
    return;
  std::fprintf(stderr,
               "error: CodeNSM.so was built for LLVM %d, but this compiler "
               "runs LLVM %d.\n"
               "       Use the CodeNSM plugin built for LLVM %d "
               "(lib/codensm/llvm-%d/CodeNSM.so), or build one with\n"
               "       cmake -DLLVM_DIR=/usr/lib/llvm-%d/lib/cmake/llvm.\n",
               LLVM_VERSION_MAJOR, HostMajor, HostMajor, HostMajor, HostMajor);
  _exit(1);
}

} // namespace
