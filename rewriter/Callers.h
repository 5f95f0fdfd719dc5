// SPDX-License-Identifier: Apache-2.0
//===- Callers.h - the caller->callee edges a unit's call sites count ----===//
//
// As the pass's Edges.h does on the IR, on the AST: each direct call that
// an instrumented function of the main file makes, in its body, to a
// function instrumented in this unit, or that may be instrumented in
// another (declared here, defined elsewhere, not the C or C++ library),
// counts its (caller, callee) edge where it is made, in a slot after the
// unit's functions' (include/codensm_abi.inc, edge_info; runtime/
// callers.c).  A callee of this unit is named by its slot, one elsewhere
// by the hash of its linkage name, which the unit that defines it lists.
//
// Text is rewritten only where that is safe: calls written in the main
// file outside any macro; not in unevaluated operands (sizeof, _Generic,
// noexcept, typeid, __builtin_constant_p), not to constexpr functions (a
// constant expression cannot hold the count), not C++ member and operator
// calls, nor calls of a template's body (its instances share the text).
// Calls through a pointer name no callee, as for the pass.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_CALLERS_H
#define CODENSM_REWRITE_CALLERS_H

#include "ProbeText.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Mangle.h"
#include "clang/Basic/SourceLocation.h"
#include "llvm/ADT/DenseMap.h"

#include <utility>
#include <vector>

namespace codensm {
namespace rewrite {

struct CallerEdges {
  std::vector<EdgeRow> Edges; ///< sorted by caller, as the runtime needs
  /// Each counted call site, in the main file, with its edge's index.
  std::vector<std::pair<clang::CharSourceRange, unsigned>> Sites;
};

/// The edges of Callers (each function with its slot, in slot order),
/// calling functions of Slots (this unit's instrumented functions by
/// canonical declaration) or declared elsewhere.  A caller calling more
/// different functions than MaxCallees (a dispatcher) counts none, as the
/// pass's -codensm-callers-max-callees.
CallerEdges findCallerEdges(
    clang::ASTContext &Ctx, clang::MangleContext &Mangler,
    const std::vector<std::pair<const clang::FunctionDecl *, unsigned>>
        &Callers,
    const llvm::DenseMap<const clang::FunctionDecl *, unsigned> &Slots,
    unsigned MaxCallees);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_CALLERS_H
