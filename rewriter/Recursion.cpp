// SPDX-License-Identifier: Apache-2.0
//===- Recursion.cpp - which functions of a unit may call themselves -----===//
#include "Recursion.h"

#include "clang/Analysis/CallGraph.h"
#include "llvm/ADT/SCCIterator.h"

using namespace clang;

namespace codensm {
namespace rewrite {

llvm::DenseSet<const FunctionDecl *> recursiveFunctions(ASTContext &Ctx) {
  CallGraph Graph;
  Graph.addToCallGraph(Ctx.getTranslationUnitDecl());
  llvm::DenseSet<const FunctionDecl *> Found;
  for (auto SCC = llvm::scc_begin(&Graph); !SCC.isAtEnd(); ++SCC) {
    if (!SCC.hasCycle())
      continue;
    for (const CallGraphNode *Node : *SCC)
      if (const auto *FD = dyn_cast_or_null<FunctionDecl>(Node->getDecl()))
        Found.insert(FD->getCanonicalDecl());
  }
  return Found;
}

} // namespace rewrite
} // namespace codensm
