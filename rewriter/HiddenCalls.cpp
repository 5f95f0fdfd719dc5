// SPDX-License-Identifier: Apache-2.0
//===- HiddenCalls.cpp - calls the AST does not write as calls -----------===//
#include "HiddenCalls.h"

#include "clang/AST/Expr.h"

using namespace clang;

namespace codensm {
namespace rewrite {

bool dynamicTls(const ValueDecl *D) {
  const auto *Var = dyn_cast<VarDecl>(D);
  return Var && Var->getTLSKind() == VarDecl::TLS_Dynamic;
}

bool guardedStaticLocal(const VarDecl *Var, const ASTContext &Ctx) {
  const Expr *Init = Var->getInit();
  return Var->isStaticLocal() && Init &&
         !Init->isConstantInitializer(const_cast<ASTContext &>(Ctx),
                                      Var->getType()->isReferenceType());
}

} // namespace rewrite
} // namespace codensm
