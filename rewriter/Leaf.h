// SPDX-License-Identifier: Apache-2.0
//===- Leaf.h - which functions are accessors, counted but never timed ---===//
//
// The pass's untimed policy (plugin/Trivial.h: `untimed_instructions`,
// default 32) counts the IR a function's body is made of; the rewriter has
// only the AST, so it estimates the same count there.  A leaf is a body
// that calls nothing (no call, no constructor or destructor that is not
// trivial, no new, delete, throw, dynamic_cast or typeid, no lambda or
// block, no thread_local with a dynamic initialiser), has no loop and no
// goto, and does at most N operations as the IR would: a load through a
// pointer, a store that is not to a local, an arithmetic or comparison, a
// branch, a return; a local's own reads and writes and the casts vanish,
// as clang's SROA and the pass's count make them vanish.  Calling nothing,
// such a function cannot be left by an exception, so its probe is the
// count alone: no guard, no sample test, no start time.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_LEAF_H
#define CODENSM_REWRITE_LEAF_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"

namespace codensm {
namespace rewrite {

/// Whether FD (a function with a body: an instance rather than a template's
/// pattern, whose calls may not be resolved) is a leaf of at most
/// MaxOperations operations; never when MaxOperations is 0.
bool isSmallLeaf(const clang::FunctionDecl *FD, const clang::ASTContext &Ctx,
                 unsigned MaxOperations);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_LEAF_H
