// SPDX-License-Identifier: Apache-2.0
//===- Emitted.cpp - which of a unit's helpers no emitted code refers to -===//
#include "Emitted.h"

#include "clang/AST/Attr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"

using namespace clang;

namespace codensm {
namespace rewrite {

namespace {

/// Which functions each function's body refers to (nullptr: code outside
/// any function, a variable's initializer), and the unit's functions.
struct References : RecursiveASTVisitor<References> {
  llvm::DenseMap<const FunctionDecl *,
                 llvm::SmallVector<const FunctionDecl *, 4>>
      From;
  llvm::SmallVector<const FunctionDecl *, 64> Defined;
  llvm::StringSet<> NamedByAttributes; ///< alias("f"), ifunc("f")
  const FunctionDecl *Current = nullptr;

  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return true; }

  void refer(const FunctionDecl *FD) {
    if (FD)
      From[Current].push_back(FD->getCanonicalDecl());
  }

  bool TraverseDecl(Decl *D) {
    auto *FD = dyn_cast_or_null<FunctionDecl>(D);
    if (!FD || !FD->doesThisDeclarationHaveABody())
      return RecursiveASTVisitor::TraverseDecl(D);
    Defined.push_back(FD);
    const FunctionDecl *Outer = Current;
    Current = FD->getCanonicalDecl();
    bool Continue = RecursiveASTVisitor::TraverseDecl(D);
    Current = Outer;
    return Continue;
  }
  bool VisitDeclRefExpr(DeclRefExpr *E) {
    refer(dyn_cast<FunctionDecl>(E->getDecl()));
    return true;
  }
  bool VisitVarDecl(VarDecl *V) {
    if (const auto *Cleanup = V->getAttr<CleanupAttr>())
      refer(Cleanup->getFunctionDecl());
    return true;
  }
  bool VisitDecl(Decl *D) {
    if (const auto *Alias = D->getAttr<AliasAttr>())
      NamedByAttributes.insert(Alias->getAliasee());
    if (const auto *IFunc = D->getAttr<IFuncAttr>())
      NamedByAttributes.insert(IFunc->getResolver());
    return true;
  }
};

} // namespace

/// Whether the compiler may emit FD whatever refers to it: an attribute
/// keeps it (used, retain, constructor, destructor), or it is virtual: a
/// unit that needs no vtable of its class still holds a copy where GCC
/// devirtualizes a call speculatively (-O2) and inlines it there, and a
/// copy without a probe loses those calls (leveldb's EnvWrapper::NowMicros).
static bool keptByAttributeOrVirtual(const FunctionDecl *FD) {
  const auto *Method = dyn_cast<CXXMethodDecl>(FD);
  return FD->hasAttr<UsedAttr>() || FD->hasAttr<RetainAttr>() ||
         FD->hasAttr<ConstructorAttr>() || FD->hasAttr<DestructorAttr>() ||
         (Method && Method->isVirtual());
}

/// Whether FD is a plain function whose every reference is written in the
/// unit as a name (the only ones judged by their references; Emitted.h).
static bool plain(const FunctionDecl *FD) {
  return !isa<CXXMethodDecl>(FD) &&
         FD->getTemplatedKind() == FunctionDecl::TK_NonTemplate &&
         !FD->isOverloadedOperator() && !FD->getLiteralIdentifier();
}

llvm::DenseSet<const FunctionDecl *> neverEmittedHelpers(ASTContext &Ctx) {
  References Refs;
  Refs.TraverseDecl(Ctx.getTranslationUnitDecl());

  // Roots: what is emitted for sure, and in doubt what is used.  The other
  // discardable functions are emitted when emitted code refers to them.
  llvm::DenseSet<const FunctionDecl *> Discardable, Emitted;
  llvm::SmallVector<const FunctionDecl *, 64> Work;
  auto emit = [&](const FunctionDecl *FD) {
    if (Emitted.insert(FD).second)
      Work.push_back(FD);
  };
  for (const FunctionDecl *FD : Refs.Defined) {
    // A template's pattern is never emitted itself: what its body names is
    // emitted through the instances (visited as functions of their own),
    // or not at all (a helper only an uninstantiated template names).
    if (FD->isDependentContext())
      continue;
    const FunctionDecl *Canonical = FD->getCanonicalDecl();
    bool Named =
        FD->getIdentifier() && Refs.NamedByAttributes.count(FD->getName());
    if (!isDiscardableGVALinkage(Ctx.GetGVALinkageForFunction(FD)) ||
        keptByAttributeOrVirtual(FD) || Named)
      emit(Canonical);
    else if (!plain(FD) && FD->isUsed())
      emit(Canonical); // in doubt
    else
      Discardable.insert(Canonical);
  }
  Work.push_back(nullptr); // what variables' initializers name
  while (!Work.empty()) {
    const FunctionDecl *Referrer = Work.pop_back_val();
    auto It = Refs.From.find(Referrer);
    if (It == Refs.From.end())
      continue;
    for (const FunctionDecl *FD : It->second)
      emit(FD);
  }
  llvm::DenseSet<const FunctionDecl *> Never;
  for (const FunctionDecl *FD : Discardable)
    if (!Emitted.count(FD))
      Never.insert(FD);
  return Never;
}

} // namespace rewrite
} // namespace codensm
