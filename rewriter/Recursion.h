// SPDX-License-Identifier: Apache-2.0
//===- Recursion.h - which functions of a unit may call themselves -------===//
//
// A function on a cycle of the unit's call graph (a direct call of itself,
// or through other functions of the unit) keeps its depth per thread, so
// that only its outermost frames are timed (include/codensm_abi.inc,
// RECURSIVE), as the plugin's markRecursive does on the IR.  Recursion
// through pointers, other units or template instances is not seen.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_RECURSION_H
#define CODENSM_REWRITE_RECURSION_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "llvm/ADT/DenseSet.h"

namespace codensm {
namespace rewrite {

/// The canonical declarations of the unit's functions on a call cycle.
llvm::DenseSet<const clang::FunctionDecl *>
recursiveFunctions(clang::ASTContext &Ctx);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_RECURSION_H
