// SPDX-License-Identifier: Apache-2.0
//===- Unwind.cpp - which functions no exception can leave ---------------===//
#include "Unwind.h"
#include "HiddenCalls.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"

using namespace clang;

namespace codensm {
namespace rewrite {

namespace {

/// Whether T (a function's type) says no exception leaves it.  An
/// exception specification still to be computed says nothing.
bool declaredNothrow(QualType T) {
  const auto *Proto = T->getAs<FunctionProtoType>();
  return Proto && !isUnresolvedExceptionSpec(Proto->getExceptionSpecType()) &&
         Proto->isNothrow();
}

bool declaredNothrow(const FunctionDecl *FD) {
  return FD->hasAttr<NoThrowAttr>() || declaredNothrow(FD->getType());
}

/// The function type a call goes through: a pointer's, a reference's or
/// a member pointer's pointee.
QualType calleeType(const CallExpr *Call) {
  QualType T = Call->getCallee()->getType();
  if (const auto *Pointer = T->getAs<PointerType>())
    return Pointer->getPointeeType();
  if (const auto *Member = T->getAs<MemberPointerType>())
    return Member->getPointeeType();
  return T.getNonReferenceType();
}

/// Walks a body, and stops at the first thing that may throw or call
/// what may (returning false ends RecursiveASTVisitor's walk).
class ThrowWalker : public RecursiveASTVisitor<ThrowWalker> {
public:
  ThrowWalker(const ASTContext &Ctx,
              llvm::function_ref<bool(const FunctionDecl *)> MayUnwind)
      : Ctx(Ctx), MayUnwind(MayUnwind) {}

  bool mayThrow() const { return May; }
  bool shouldVisitImplicitCode() const { return true; }

  // What runs elsewhere: a lambda's and a block's bodies are functions of
  // their own (a capture's initialiser runs here).
  bool TraverseLambdaExpr(LambdaExpr *L) {
    for (Expr *Init : L->capture_inits())
      if (Init && !TraverseStmt(Init))
        return false;
    return true;
  }
  bool TraverseBlockExpr(BlockExpr *) { return true; }

  bool VisitCallExpr(CallExpr *Call) {
    const FunctionDecl *Callee = Call->getDirectCallee();
    if (!Callee)
      return declaredNothrow(calleeType(Call)) || may();
    // A virtual call may reach any override: only its declaration speaks
    // for them all (an override may not throw more).
    const auto *Method = dyn_cast<CXXMethodDecl>(Callee);
    if (Method && Method->isVirtual())
      return declaredNothrow(Method) || may();
    return !MayUnwind(Callee) || may();
  }
  bool VisitCXXConstructExpr(CXXConstructExpr *E) {
    return E->getConstructor()->isTrivial() ||
           !MayUnwind(E->getConstructor()) || may();
  }
  bool VisitCXXInheritedCtorInitExpr(CXXInheritedCtorInitExpr *) {
    return may();
  }
  bool VisitCXXNewExpr(CXXNewExpr *E) {
    const FunctionDecl *New = E->getOperatorNew();
    return (New && declaredNothrow(New)) || may();
  }
  bool VisitCXXDeleteExpr(CXXDeleteExpr *E) {
    const FunctionDecl *Delete = E->getOperatorDelete();
    if (Delete && !declaredNothrow(Delete))
      return may();
    return destroys(E->getDestroyedType());
  }
  bool VisitCXXBindTemporaryExpr(CXXBindTemporaryExpr *E) {
    const CXXDestructorDecl *Dtor = E->getTemporary()->getDestructor();
    return !Dtor || !MayUnwind(Dtor) || may();
  }
  bool VisitVarDecl(VarDecl *Var) {
    // A static local's guarded initialisation, a thread_local's wrapper.
    if (guardedStaticLocal(Var, Ctx) || dynamicTls(Var))
      return may();
    if (Var->hasLocalStorage() && Var->needsDestruction(Ctx))
      return destroys(Var->getType());
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *Ref) {
    return !dynamicTls(Ref->getDecl()) || may();
  }
  bool VisitMemberExpr(MemberExpr *Member) {
    return !dynamicTls(Member->getMemberDecl()) || may();
  }
  bool VisitCXXDefaultArgExpr(CXXDefaultArgExpr *E) {
    return TraverseStmt(E->getExpr()); // not among the node's children
  }
  bool VisitCXXDefaultInitExpr(CXXDefaultInitExpr *E) {
    return TraverseStmt(E->getExpr());
  }
  bool VisitCXXThrowExpr(CXXThrowExpr *) { return may(); }
  bool VisitCXXDynamicCastExpr(CXXDynamicCastExpr *E) {
    // An expression has no reference type: the cast to one is a glvalue.
    return !E->isGLValue() || may(); // std::bad_cast
  }
  bool VisitCXXTypeidExpr(CXXTypeidExpr *E) {
    return !E->isPotentiallyEvaluated() || may(); // std::bad_typeid
  }
  bool VisitCoroutineBodyStmt(CoroutineBodyStmt *) { return may(); }
  bool VisitCoreturnStmt(CoreturnStmt *) { return may(); }

private:
  /// Whether destroying a T may throw.
  bool destroys(QualType T) {
    const CXXRecordDecl *Record =
        Ctx.getBaseElementType(T)->getAsCXXRecordDecl();
    const CXXDestructorDecl *Dtor = Record ? Record->getDestructor() : nullptr;
    return !Dtor || Dtor->isTrivial() || !MayUnwind(Dtor) || may();
  }
  bool may() {
    May = true;
    return false;
  }

  const ASTContext &Ctx;
  llvm::function_ref<bool(const FunctionDecl *)> MayUnwind;
  bool May = false;
};

} // namespace

bool UnwindAnalysis::mayUnwind(const FunctionDecl *FD) {
  if (!Ctx.getLangOpts().CXXExceptions)
    return false;
  if (declaredNothrow(FD))
    return false;
  const FunctionDecl *Def = FD->getDefinition();
  if (!Def)
    return true; // defined elsewhere: its declaration said nothing
  if (Def->isTrivial())
    return false;
  auto [It, New] =
      Known.try_emplace(Def->getCanonicalDecl(), State::InProgress);
  if (!New)
    return It->second != State::Cannot; // a cycle (in progress): may
  // A destructor's members and bases are destroyed after its body, and
  // an unresolved specification says nothing; a constructor's or a
  // destructor's function-try-block rethrows at the end of its handler.
  const Stmt *Body = Def->getBody();
  bool May = !Body || isa<CXXDestructorDecl>(Def) ||
             (isa<CXXTryStmt>(Body) &&
              (isa<CXXConstructorDecl>(Def) || isa<CXXDestructorDecl>(Def)));
  if (!May) {
    auto Callees = [this](const FunctionDecl *Callee) {
      return mayUnwind(Callee);
    };
    ThrowWalker Walker(Ctx, Callees); // refers to Callees: a named lambda
    if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(Def))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (!Walker.TraverseStmt(Init->getInit()))
          break;
    if (!Walker.mayThrow())
      Walker.TraverseStmt(const_cast<Stmt *>(Body));
    May = Walker.mayThrow();
  }
  Known[Def->getCanonicalDecl()] = May ? State::May : State::Cannot;
  return May;
}

} // namespace rewrite
} // namespace codensm
