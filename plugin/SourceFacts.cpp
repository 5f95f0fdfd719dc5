// SPDX-License-Identifier: Apache-2.0
//===- SourceFacts.cpp - the front end's table of function definitions ---===//

#include "SourceFacts.h"

#include "llvm/ADT/StringMap.h"

using namespace llvm;

namespace {
/// The one table of the process.  Only clang's front end writes it, before
/// code generation starts; the pass only reads it, on the same thread.
struct SourceTable {
  StringMap<codensm::SourceFunction> Functions;
  bool Filled = false;
};

SourceTable &table() {
  static SourceTable Table;
  return Table;
}
} // namespace

extern "C" void codensm_begin_source_unit(void) {
  SourceTable &T = table();
  T.Functions.clear();
  T.Filled = false;
}

extern "C" void codensm_note_source_function(const char *LinkageName,
                                             const char *File, unsigned Line,
                                             unsigned Flags) {
  SourceTable &T = table();
  T.Filled = true;
  codensm::SourceFunction &Entry = T.Functions[LinkageName];
  Entry.File = File;
  Entry.Line = Line;
  Entry.SystemHeader = Flags & CODENSM_SOURCE_SYSTEM_HEADER;
}

namespace codensm {

bool haveSourceFacts() { return table().Filled; }

const SourceFunction *sourceFunction(StringRef LinkageName) {
  const SourceTable &T = table();
  auto Found = T.Functions.find(LinkageName);
  return Found == T.Functions.end() ? nullptr : &Found->second;
}

} // namespace codensm
