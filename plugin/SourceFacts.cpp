// SPDX-License-Identifier: Apache-2.0
//===- SourceFacts.cpp - the front end's table of function definitions ---===//

#include "SourceFacts.h"

#include "llvm/ADT/StringMap.h"

using namespace llvm;

namespace {
/// The one table of the process.  Only clang's front end writes it, before
/// code generation starts; the pass only reads it, on the same thread.
StringMap<codensm::SourceFunction> &table() {
  static StringMap<codensm::SourceFunction> Functions;
  return Functions;
}
} // namespace

extern "C" void codensm_begin_source_unit(void) { table().clear(); }

extern "C" void codensm_note_source_function(const char *LinkageName,
                                             const char *File, unsigned Line,
                                             unsigned Flags) {
  codensm::SourceFunction &Entry = table()[LinkageName];
  Entry.File = File;
  Entry.Line = Line;
  Entry.SystemHeader = Flags & CODENSM_SOURCE_SYSTEM_HEADER;
}

extern "C" void codensm_note_source_annotation(const char *LinkageName,
                                               const char *Text) {
  table()[LinkageName].Annotations.push_back(Text);
}

namespace codensm {

const SourceFunction *sourceFunction(StringRef LinkageName) {
  auto Found = table().find(LinkageName);
  if (Found != table().end())
    return &Found->second;
  // Clang emits a library's inline redefinition of a builtin (glibc's
  // _FORTIFY_SOURCE memcpy, memset, strcpy, ...: gnu_inline, always_inline)
  // as <name>.inline, while its front end saw <name>: without this, every
  // fortified call of a Debian build counted as the unit's own function.
  if (LinkageName.consume_back(".inline")) {
    Found = table().find(LinkageName);
    if (Found != table().end())
      return &Found->second;
  }
  return nullptr;
}

} // namespace codensm
