// SPDX-License-Identifier: Apache-2.0
//===- HiddenCalls.h - calls the AST does not write as calls -------------===//
//
// Some code calls out though no CallExpr says so: a thread_local with a
// dynamic initialiser is reached through a wrapper function, and a static
// local initialised at run time takes a guarded call on its first pass
// (__cxa_guard_acquire, which may throw).  The small-leaf estimate
// (Leaf.h) and the unwinding analysis (Unwind.h) both refuse them.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_HIDDENCALLS_H
#define CODENSM_REWRITE_HIDDENCALLS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"

namespace codensm {
namespace rewrite {

/// Whether D is a thread_local with a dynamic initialiser.
bool dynamicTls(const clang::ValueDecl *D);

/// Whether Var is a static local whose initialiser runs at run time.
bool guardedStaticLocal(const clang::VarDecl *Var,
                        const clang::ASTContext &Ctx);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_HIDDENCALLS_H
