// SPDX-License-Identifier: Apache-2.0
//===- Instances.h - a template's instances told apart in its one body ----===//
//
// The pass sees each instance of a template as its own function and gives
// it its own row.  The rewriter writes one probe in the pattern's body,
// so the probe finds its instance's slot by overload resolution: it calls
// __codensm_islot with a null pointer to a tag type made of the pattern's
// number and its template parameters, as written in the pattern
// (__codensm_tag<__codensm_v<unsigned, 3u>, T, __codensm_v<decltype(K),
// K>>), and the end of the file declares one overload per instance, its
// tag spelled with the instance's arguments, returning its slot.  The call
// depends on the parameters, so the overloads are found by ADL when GCC
// instantiates the body, at the end of the unit.  A prologue template
// answers the pattern's first slot for anything else.
//
// Only what can be spelled at the end of the file qualifies: a function
// template or a member of a class template or of one of its partial
// specializations, defined in the class or out of it (not both, nor nested
// in another template), with type and integral parameters, whose instances'
// arguments are public types reachable by name (not in an anonymous
// namespace, not lambdas or local classes) and integers.  Other templates
// keep one row for all their instances.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_INSTANCES_H
#define CODENSM_REWRITE_INSTANCES_H

#include "clang/AST/ASTContext.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <string>
#include <vector>

namespace codensm {
namespace rewrite {

/// The tag arguments of a pattern (its parameters) and of each instance
/// (their arguments), in the same order.
struct InstanceTags {
  std::string Pattern;
  std::vector<std::string> Instances;
};

/// Every function of the unit instantiated from a template with a body, by
/// the canonical declaration of the pattern it comes from: instances of
/// function templates, of members of class templates (defined in the class
/// or out of it, of partial specializations, of nested classes), of member
/// templates, and of lambdas and local classes in templates.
using InstancesByPattern =
    llvm::DenseMap<const clang::FunctionDecl *,
                   std::vector<const clang::FunctionDecl *>>;
InstancesByPattern instancesByPattern(clang::ASTContext &Ctx);

/// The template parameters Record is written with when it is a class
/// template's pattern or a partial specialization; null otherwise.
const clang::TemplateParameterList *
classTemplateParameters(const clang::CXXRecordDecl *Record);

/// Tags for Pattern and its Instances, or none when one cannot be spelled.
std::optional<InstanceTags>
instanceTags(const clang::FunctionDecl *Pattern,
             llvm::ArrayRef<const clang::FunctionDecl *> Instances,
             const clang::ASTContext &Ctx);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_INSTANCES_H
