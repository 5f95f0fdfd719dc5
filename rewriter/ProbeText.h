// SPDX-License-Identifier: Apache-2.0
//===- ProbeText.h - the C and C++ text codensm-rewrite inserts ----------===//
//
// What the pass builds in IR, written as source: a prologue at the top of
// the file declaring the hot path and the probe (C: a
// struct with __attribute__((cleanup)); C++: a guard object whose
// destructor sees unwinding through __cxa_uncaught_exceptions), a probe at
// each instrumented function's entry, and an epilogue at the end with the
// unit's table, descriptor, thread's home (directory and chunk 0), the hot
// path's definition (the pass's inline expansion in C: count, rare sample) and
// the constructor and destructor that register it.  The epilogue's structs come
// from include/codensm_abi.h and its initialisers follow codensm_abi.inc's
// rows, so the rewriter and the runtime cannot disagree on a layout.
//
// Probes add no line to the file: line numbers stay the user's, and one
// #line after the prologue names the user's file.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_PROBETEXT_H
#define CODENSM_REWRITE_PROBETEXT_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace codensm {
namespace rewrite {

/// One row of the unit's function table (include/codensm_abi.inc).
struct FunctionRow {
  std::string Name, Department, File;
  unsigned Line = 0, Weight = 1, Errors = 0, Flags = 0;
  uint64_t SymbolHash =
      0; ///< of its linkage name; 0 when no other unit calls it
};

/// One caller->callee edge of the unit (codensm_abi.inc's edge_info):
/// the caller's slot, the callee's slot or abi::EDGE_EXTERNAL, and then
/// the callee's symbol hash.
struct EdgeRow {
  unsigned Caller = 0, Callee = 0;
  uint64_t CalleeSymbol = 0;
};

/// The top of an instrumented file, ending with a #line that gives the
/// user's file its own name and line numbers back.  Cxx11: with the
/// templates that tell a template's instances apart (Instances.h).
std::string prologue(bool Cxx, bool Cxx11, llvm::StringRef SourcePath);

/// The probe at the start of a function's body (no newline).  Recursive:
/// it keeps the function's depth in the thread (Recursion.h).  Calm (C++):
/// the function cannot fail (Unwind.h), and its guard reads neither the
/// thread's uncaught exceptions nor its error epoch.  ReturnType,
/// when not empty, also declares the variable that return statements
/// check the error convention on (see returnCheck).  PatternTag, when not
/// empty, makes the slot the instance's (instanceSlot).
std::string entryProbe(bool Cxx, unsigned Slot, bool Timed, bool Recursive,
                       bool Calm, llvm::StringRef ReturnType,
                       llvm::StringRef PatternTag = "");

/// The probe of a small leaf (Leaf.h): its call counted, nothing more (no
/// newline).  PatternTag as for entryProbe.
std::string countProbe(bool Cxx, unsigned Slot, llvm::StringRef PatternTag);

/// The overload that gives the instance tagged Tag of the template whose
/// first slot is Base its slot (Instances.h).
std::string instanceSlot(unsigned Base, llvm::StringRef Tag, unsigned Slot);

/// The text around a return's value that records whether it is an error
/// (Check tests the variable "V", see ErrorCheck.h): Before goes before the
/// value, After after it.
struct ReturnWrap {
  std::string Before, After;
};
ReturnWrap returnCheck(unsigned Slot, llvm::StringRef Check);

/// The text around a call that counts its edge, whose slot is Slot:
/// Before goes before the call, After after it (a comma expression, so
/// the call's value and type are the expression's).
ReturnWrap edgeCount(bool Cxx, unsigned Slot);

/// The end of an instrumented file: the table of Rows, the Edges its call
/// sites count (in slots after the rows') and its registration.
std::string epilogue(bool Cxx, llvm::StringRef ModuleName,
                     llvm::StringRef SourcePath,
                     const std::vector<FunctionRow> &Rows,
                     const std::vector<EdgeRow> &Edges, bool InitialExecTls);

/// S as a C string literal.
std::string cString(llvm::StringRef S);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_PROBETEXT_H
