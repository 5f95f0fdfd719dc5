// SPDX-License-Identifier: Apache-2.0
//===- Callers.cpp - the caller->callee edges a unit's call sites count --===//
#include "Callers.h"
#include "Naming.h"
#include "Selection.h"

#include "clang/AST/ExprCXX.h"
#include "clang/Basic/Builtins.h"
#include "clang/Lex/Lexer.h"

#include <map>

using namespace clang;

namespace codensm {
namespace rewrite {

/// The calls of one function's body that are evaluated where they are
/// written: not those of the lambdas, blocks and captured regions inside
/// it (functions of their own), nor of operands that are never evaluated
/// or only in part.
static void collectCalls(const Stmt *S, std::vector<const CallExpr *> &Calls) {
  if (!S || isa<LambdaExpr>(S) || isa<BlockExpr>(S) || isa<CapturedStmt>(S) ||
      isa<UnaryExprOrTypeTraitExpr>(S) || isa<GenericSelectionExpr>(S) ||
      isa<ChooseExpr>(S) || isa<CXXNoexceptExpr>(S) || isa<CXXTypeidExpr>(S))
    return;
  if (const auto *Call = dyn_cast<CallExpr>(S)) {
    if (Call->getBuiltinCallee() == Builtin::BI__builtin_constant_p)
      return;
    if (S->getStmtClass() == Stmt::CallExprClass)
      Calls.push_back(Call);
  }
  for (const Stmt *Child : S->children())
    collectCalls(Child, Calls);
}

/// Where the call is written, when its text may be wrapped: wholly in the
/// main file, outside any macro.
static CharSourceRange rewritableRange(const CallExpr &Call, ASTContext &Ctx) {
  const SourceManager &SM = Ctx.getSourceManager();
  if (!Call.getBeginLoc().isFileID() || !Call.getEndLoc().isFileID())
    return {};
  CharSourceRange Range = Lexer::makeFileCharRange(
      CharSourceRange::getTokenRange(Call.getSourceRange()), SM,
      Ctx.getLangOpts());
  if (Range.isInvalid() || !SM.isWrittenInMainFile(Range.getBegin()))
    return {};
  return Range;
}

namespace {
/// A callee as an edge names it: (external?, slot or symbol hash).
using CalleeKey = std::pair<bool, uint64_t>;
} // namespace

/// How Call's edge names its callee, or nothing when the call counts no
/// edge: a builtin, a constexpr function, a function of this unit left
/// out (counted nowhere), or one of the C and C++ libraries.
static std::optional<CalleeKey>
calleeOf(const CallExpr &Call, ASTContext &Ctx, MangleContext &Mangler,
         const llvm::DenseMap<const FunctionDecl *, unsigned> &Slots) {
  const FunctionDecl *Callee = Call.getDirectCallee();
  if (!Callee || Callee->getBuiltinID() || Callee->isConstexpr())
    return std::nullopt;
  if (auto It = Slots.find(Callee->getCanonicalDecl()); It != Slots.end())
    return CalleeKey{false, It->second};
  if (Callee->isDefined() || !Callee->isExternallyVisible())
    return std::nullopt;
  const SourceManager &SM = Ctx.getSourceManager();
  if (SM.isInSystemHeader(
          SM.getExpansionLoc(Callee->getCanonicalDecl()->getLocation())))
    return std::nullopt; // libc, libm, the C++ library
  std::string Name = linkageName(Callee, Mangler);
  if (isStandardLibraryName(Name) ||
      llvm::StringRef(Name).startswith("__codensm"))
    return std::nullopt;
  return CalleeKey{true, symbolHash(Name)};
}

CallerEdges findCallerEdges(
    ASTContext &Ctx, MangleContext &Mangler,
    const std::vector<std::pair<const FunctionDecl *, unsigned>> &Callers,
    const llvm::DenseMap<const FunctionDecl *, unsigned> &Slots,
    unsigned MaxCallees) {
  CallerEdges Found;
  for (auto [Caller, CallerSlot] : Callers) {
    std::vector<const CallExpr *> Calls;
    collectCalls(Caller->getBody(), Calls);
    std::vector<EdgeRow> Edges;
    std::vector<std::pair<CharSourceRange, unsigned>> Sites;
    std::map<CalleeKey, unsigned> Index;
    for (const CallExpr *Call : Calls) {
      std::optional<CalleeKey> Key = calleeOf(*Call, Ctx, Mangler, Slots);
      CharSourceRange Range =
          Key ? rewritableRange(*Call, Ctx) : CharSourceRange();
      if (Range.isInvalid())
        continue;
      auto [It, New] = Index.try_emplace(
          *Key, static_cast<unsigned>(Found.Edges.size() + Edges.size()));
      if (New) {
        EdgeRow E;
        E.Caller = CallerSlot;
        E.Callee = Key->first ? abi::EDGE_EXTERNAL
                              : static_cast<unsigned>(Key->second);
        E.CalleeSymbol = Key->first ? Key->second : 0;
        Edges.push_back(E);
      }
      Sites.push_back({Range, It->second});
    }
    if (Edges.size() > MaxCallees)
      continue; // a dispatcher: its calls stay unattributed
    Found.Edges.insert(Found.Edges.end(), Edges.begin(), Edges.end());
    Found.Sites.insert(Found.Sites.end(), Sites.begin(), Sites.end());
  }
  return Found;
}

} // namespace rewrite
} // namespace codensm
