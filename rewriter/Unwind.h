// SPDX-License-Identifier: Apache-2.0
//===- Unwind.h - which functions no exception can leave -----------------===//
//
// The C++ guard tells an exception unwinding its frame from a return by
// the thread's count of uncaught exceptions, read at entry and at exit,
// and reads the thread's error epoch at entry for the error's root cause:
// three thread-local loads and two registers held across the body, in
// every function.  A function no exception can leave, and that has no
// error convention, can never fail, and its guard needs none of them
// (ProbeText.h: the calm guard).  On a loop of small accessors through
// codensm-g++ the full guard cost 393 M instructions against 203 M for the
// calm one (plain g++: 28 M).
//
// Which functions: declared non-throwing (noexcept, throw(), C library
// functions, destructors), or whose body and member initialisers throw
// nothing and call only functions that are non-throwing themselves,
// declared so or found so in this unit, as far as the unit's definitions
// go (a cycle, a function defined elsewhere, a virtual call, a call
// through a pointer, a new or a dynamic_cast to a reference may throw
// unless its type says it cannot).  A guess either way costs nothing but
// speed where it says "may"; where it said "cannot" wrongly, an exception
// leaving the function would be counted as a return, so every doubt says
// "may".
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_UNWIND_H
#define CODENSM_REWRITE_UNWIND_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "llvm/ADT/DenseMap.h"

namespace codensm {
namespace rewrite {

class UnwindAnalysis {
public:
  explicit UnwindAnalysis(const clang::ASTContext &Ctx) : Ctx(Ctx) {}

  /// Whether an exception may leave a call of FD (an instance rather than
  /// a template's pattern).  Always true in a unit built with exceptions
  /// (C++) whose FD may throw; false without exceptions.
  bool mayUnwind(const clang::FunctionDecl *FD);

private:
  enum class State { InProgress, Cannot, May };

  const clang::ASTContext &Ctx;
  llvm::DenseMap<const clang::FunctionDecl *, State> Known;
};

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_UNWIND_H
