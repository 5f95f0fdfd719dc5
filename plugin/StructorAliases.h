// SPDX-License-Identifier: Apache-2.0
//===- StructorAliases.h - a row for each destructor clang aliases --------===//
//
// From -O1 up, clang emits a destructor that does nothing but call its
// unique base's as an alias of the base's (CodeGen's
// TryEmitBaseDestructorAsAlias, under -mconstructor-aliases, the default):
// `@_ZN7DerivedD2Ev = alias ... @_ZN4BaseD2Ev`.  The pass instruments
// functions, and an alias has no body: calls of Derived::~Derived ran
// Base::~Base's probe only, and Derived::~Derived's row counted 0 and was
// reported as never called (snappy).  At -O0, and through GCC, the derived
// destructor is a function calling the base's, and both rows count.
//
// Before functions are chosen, each such alias becomes that function
// again: a definition with the alias's name, linkage, visibility and
// comdat that calls the aliasee (a tail call) and returns; it is then
// chosen and instrumented as any function, and counts as at -O0.  Only
// aliases of a constructor or destructor whose qualified name differs
// from its aliasee's are replaced: a complete-object structor aliased to
// the base-object one of the same class (C1 to C2, D1 to D2) shares its
// row already, and an alias the user wrote (__attribute__((alias))) is
// left alone, as at -O0 and through GCC, where it counts in its target.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_STRUCTORALIASES_H
#define CODENSM_STRUCTORALIASES_H

#include "llvm/IR/Module.h"

namespace codensm {

/// Replaces in M each alias of a C++ constructor or destructor by another
/// class's (named differently) with a function of its own that calls the
/// aliasee, as described above.  Aliases of the same name to the same
/// aliasee (D1 and D2 both aliasing the base's D2) become aliases of one
/// such function.  Returns how many functions it made.
unsigned replaceStructorAliases(llvm::Module &M);

/// Whether F is a variant of a C++ constructor or destructor that calls
/// another variant of the same one (same class, same parameters): the
/// deleting destructor (D0) always calls the complete one (D1), and a
/// complete destructor of a class with virtual bases calls the base-object
/// one (D2).  Both variants share the row, so counting both counted each
/// `delete` through a vtable twice (GCC's rewriter counts the body once);
/// the pass leaves such a variant out, and its callee counts the call.
/// Looked at before inlining, where the pass runs: the call is there.
bool delegatesToOtherVariant(const llvm::Function &F);

} // namespace codensm

#endif // CODENSM_STRUCTORALIASES_H
