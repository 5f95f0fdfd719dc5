// SPDX-License-Identifier: Apache-2.0
//===- Leaf.cpp - which functions are accessors, counted but never timed -===//
#include "Leaf.h"
#include "HiddenCalls.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/AST/StmtOpenMP.h"
#include "clang/Basic/Builtins.h"

using namespace clang;

namespace codensm {
namespace rewrite {

namespace {

/// Whether E (parentheses and casts aside) names a variable of the
/// function's own frame, which clang keeps in a register: its reads and
/// writes vanish from the IR the pass counts, as its spills do there.
bool isLocal(const Expr *E) {
  const auto *Ref = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
  const auto *Var = Ref ? dyn_cast<VarDecl>(Ref->getDecl()) : nullptr;
  return Var && Var->hasLocalStorage() && !Var->getType()->isReferenceType();
}

/// Walks a body, counting its operations, and stops at the first thing a
/// leaf may not hold (returning false ends RecursiveASTVisitor's walk).
class LeafWalker : public RecursiveASTVisitor<LeafWalker> {
public:
  LeafWalker(const ASTContext &Ctx, unsigned Max) : Ctx(Ctx), Max(Max) {}

  bool leaf() const { return Leaf; }
  /* The semantic form of initialiser lists (default member initialisers
   * among them) and the implicit calls of a coroutine are implicit code. */
  bool shouldVisitImplicitCode() const { return true; }

  // What calls out, loops, jumps back or may hide either.
  bool VisitCallExpr(CallExpr *Call) {
    unsigned Builtin = Call->getBuiltinCallee();
    if (!Builtin || Ctx.BuiltinInfo.isLibFunction(Builtin) ||
        Ctx.BuiltinInfo.isPredefinedLibFunction(Builtin) ||
        Builtin == Builtin::BI__builtin_alloca ||
        Builtin == Builtin::BI__builtin_operator_new ||
        Builtin == Builtin::BI__builtin_operator_delete)
      return refuse();
    return add(1); // an intrinsic, as the pass's callsOut lets through
  }
  bool VisitCXXConstructExpr(CXXConstructExpr *E) {
    return E->getConstructor()->isTrivial() ? add(1) : refuse();
  }
  bool VisitCXXDefaultInitExpr(CXXDefaultInitExpr *E) {
    // A default member initialiser is not among the node's children.
    return TraverseStmt(E->getExpr());
  }
  bool VisitCXXNewExpr(CXXNewExpr *) { return refuse(); }
  bool VisitCXXDeleteExpr(CXXDeleteExpr *) { return refuse(); }
  bool VisitCXXThrowExpr(CXXThrowExpr *) { return refuse(); }
  bool VisitCXXDynamicCastExpr(CXXDynamicCastExpr *) { return refuse(); }
  bool VisitCXXTypeidExpr(CXXTypeidExpr *) { return refuse(); }
  bool VisitCXXBindTemporaryExpr(CXXBindTemporaryExpr *) { return refuse(); }
  bool VisitCXXInheritedCtorInitExpr(CXXInheritedCtorInitExpr *) {
    return refuse();
  }
  bool VisitLambdaExpr(LambdaExpr *) { return refuse(); }
  bool VisitBlockExpr(BlockExpr *) { return refuse(); }
  bool VisitVAArgExpr(VAArgExpr *) { return refuse(); }
  bool VisitForStmt(ForStmt *) { return refuse(); }
  bool VisitWhileStmt(WhileStmt *) { return refuse(); }
  bool VisitDoStmt(DoStmt *) { return refuse(); }
  bool VisitCXXForRangeStmt(CXXForRangeStmt *) { return refuse(); }
  bool VisitGotoStmt(GotoStmt *) { return refuse(); }
  bool VisitIndirectGotoStmt(IndirectGotoStmt *) { return refuse(); }
  bool VisitAsmStmt(AsmStmt *) { return refuse(); }
  bool VisitCXXTryStmt(CXXTryStmt *) { return refuse(); }
  bool VisitCapturedStmt(CapturedStmt *) { return refuse(); }
  bool VisitOMPExecutableDirective(OMPExecutableDirective *) {
    return refuse(); // calls of the OpenMP runtime
  }
  bool VisitVarDecl(VarDecl *Var) {
    // A variable length array, a destructor or a C cleanup function to run,
    // a thread_local's wrapper.
    if (Var->getType()->isVariablyModifiedType() ||
        Var->needsDestruction(Ctx) || Var->hasAttr<CleanupAttr>() ||
        dynamicTls(Var))
      return refuse();
    // A static local with a dynamic initialiser takes a guarded call.
    return guardedStaticLocal(Var, Ctx) ? refuse() : true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *Ref) {
    // A C++ thread_local may be reached through its wrapper function.
    return dynamicTls(Ref->getDecl()) ? refuse() : true;
  }
  bool VisitCoroutineBodyStmt(CoroutineBodyStmt *) { return refuse(); }

  // The operations the IR keeps.
  bool VisitBinaryOperator(BinaryOperator *Op) {
    if (Op->getOpcode() == BO_Comma)
      return true;
    if (Op->getOpcode() == BO_Assign)
      return add(isLocal(Op->getLHS()) ? 0 : 1); // the store
    if (Op->isCompoundAssignmentOp())
      return add(isLocal(Op->getLHS()) ? 1 : 3); // load, operation, store
    return add(1);
  }
  bool VisitUnaryOperator(UnaryOperator *Op) {
    if (Op->isIncrementDecrementOp())
      return add(isLocal(Op->getSubExpr()) ? 1 : 3);
    switch (Op->getOpcode()) {
    case UO_Minus:
    case UO_Not:
    case UO_LNot:
      return add(1);
    default: // &, *, +, __extension__, __real__, __imag__: addresses
      return true;
    }
  }
  bool VisitImplicitCastExpr(ImplicitCastExpr *Cast) {
    if (Cast->getCastKind() != CK_LValueToRValue)
      return true; // casts vanish from the pass's count
    return add(isLocal(Cast->getSubExpr()) ? 0 : 1); // a load
  }
  bool VisitMemberExpr(MemberExpr *Member) {
    if (dynamicTls(Member->getMemberDecl())) // a static thread_local member
      return refuse();
    return add(!Member->isArrow() && isLocal(Member->getBase()) ? 0 : 1);
  }
  bool VisitArraySubscriptExpr(ArraySubscriptExpr *) { return add(1); }
  bool VisitAbstractConditionalOperator(AbstractConditionalOperator *) {
    return add(1);
  }
  bool VisitAtomicExpr(AtomicExpr *) { return add(1); }
  bool VisitIfStmt(IfStmt *) { return add(1); }
  bool VisitSwitchStmt(SwitchStmt *) { return add(1); }
  bool VisitSwitchCase(SwitchCase *) { return add(1); }
  bool VisitReturnStmt(ReturnStmt *) { return add(1); }

private:
  bool add(unsigned Operations) {
    Work += Operations;
    return Work <= Max || refuse();
  }
  bool refuse() {
    Leaf = false;
    return false;
  }

  const ASTContext &Ctx;
  const unsigned Max;
  unsigned Work = 0;
  bool Leaf = true;
};

} // namespace

bool isSmallLeaf(const FunctionDecl *FD, const ASTContext &Ctx,
                 unsigned MaxOperations) {
  // A destructor also destroys its members and bases after its body; a
  // variadic function reads its arguments through va_arg's calls.
  if (MaxOperations == 0 || !FD->getBody() || FD->isVariadic() ||
      isa<CXXDestructorDecl>(FD) || FD->isDependentContext())
    return false;
  LeafWalker Walker(Ctx, MaxOperations);
  // A constructor's initialisers run before its body: the bases', the
  // members' (implicit ones included), and default member initialisers.
  if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (!Walker.TraverseStmt(Init->getInit()))
        return false;
  Walker.TraverseStmt(FD->getBody());
  return Walker.leaf();
}

} // namespace rewrite
} // namespace codensm
