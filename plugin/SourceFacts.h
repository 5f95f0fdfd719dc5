// SPDX-License-Identifier: Apache-2.0
//===- SourceFacts.h - what clang's front end knew about each function ---===//
//
// The IR does not say which file defines a function, nor whether that file
// is a system header; without debug information nothing does.  When clang
// also loads CodeNSMFrontend.so (-fplugin=, as codensm-clang and
// target_codensm() do), its AST consumer runs before code generation and
// records, for each function it may emit, the file and line that define it
// and whether that file is a system header, keyed by the linkage name.
// CodeNSMFrontend.so links this plugin, so the one copy of CodeNSM.so in
// the compiler holds the table and the pass reads it.  The front end
// empties it as it starts each translation unit.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_SOURCEFACTS_H
#define CODENSM_SOURCEFACTS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

/// Called by CodeNSMFrontend.so as it starts a unit: the driver may run
/// several units' front ends and code generation in one process, one after
/// the other, and a unit must not see another's functions.
extern "C" __attribute__((visibility("default"))) void
codensm_begin_source_unit(void);

/// Called by CodeNSMFrontend.so: one function definition of the unit.
/// File is absolute; Flags is a sum of CODENSM_SOURCE_*.
#define CODENSM_SOURCE_SYSTEM_HEADER 1u
extern "C" __attribute__((visibility("default"))) void
codensm_note_source_function(const char *LinkageName, const char *File,
                             unsigned Line, unsigned Flags);

/// Called by CodeNSMFrontend.so: a "codensm:" annotation of a constructor
/// or destructor (each variant's linkage name), which clang's code
/// generation leaves out of llvm.global.annotations (clang 14 adds none
/// for them), so CODENSM_WEIGHT, CODENSM_SKIP, ... on one were lost.
extern "C" __attribute__((visibility("default"))) void
codensm_note_source_annotation(const char *LinkageName, const char *Text);

namespace codensm {

struct SourceFunction {
  std::string File; ///< absolute, as the front end presumed it (#line too)
  unsigned Line = 0;
  bool SystemHeader = false;
  /// Its "codensm:" annotations the IR does not carry (constructors and
  /// destructors), whole.
  std::vector<std::string> Annotations;
};

/// What the front end recorded for the function of that linkage name, or
/// null (no front end, or a function it did not see: one clang made).
const SourceFunction *sourceFunction(llvm::StringRef LinkageName);

} // namespace codensm

#endif
