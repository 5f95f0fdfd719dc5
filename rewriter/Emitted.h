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
// discardable, those an attribute keeps (used, retain, constructor,
// destructor) or names (alias, ifunc), and whatever a variable's
// initializer names.
//
// Only plain functions are judged by their references: members, templates
// and their instances, and operators count as emitted when used, and so
// do the references from their bodies, so a doubt keeps a row: a function
// wrongly left out would lose its calls' counts.  The set is the one rule
// of which static and inline functions get a row (Selection.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_EMITTED_H
#define CODENSM_REWRITE_EMITTED_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "llvm/ADT/DenseSet.h"

namespace codensm {
namespace rewrite {

/// The canonical declarations of the discardable functions with a body
/// that the unit does not emit.
llvm::DenseSet<const clang::FunctionDecl *>
neverEmittedHelpers(clang::ASTContext &Ctx);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_EMITTED_H
