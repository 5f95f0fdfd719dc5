// SPDX-License-Identifier: Apache-2.0
//===- Emitted.h - which of a unit's helpers no emitted code refers to ---===//
//
// A compiler emits a static or inline function only when code it emits
// refers to it.  clang's "used" bit says that a function is referred to at
// all, also when only from the body of another helper the unit never
// calls: jansson.h's json_decrefp calls json_decref, so every unit of
// jansson had json_decref "used", and the rewriter gave ten units a row
// for a function none of their objects contains (announced as never
// called), where the plugin, which sees the IR, gives none.  This follows
// the references from what is emitted for sure: functions that are not
// discardable, and whatever a variable's initializer names.
//
// Only plain functions are judged: not members, templates and their
// instances, operators, or functions an attribute keeps (used, retain,
// constructor, destructor) or names (alias, cleanup).  The others, and the
// references from their bodies, count as emitted when used, so a doubt
// keeps a row: a helper wrongly left out would lose its calls' counts.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_EMITTED_H
#define CODENSM_REWRITE_EMITTED_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "llvm/ADT/DenseSet.h"

namespace codensm {
namespace rewrite {

/// The canonical declarations of the plain discardable functions with a
/// body that no code the unit emits refers to.
llvm::DenseSet<const clang::FunctionDecl *>
neverEmittedHelpers(clang::ASTContext &Ctx);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_EMITTED_H
