// SPDX-License-Identifier: Apache-2.0
//===- Annotations.h - codensm:... annotations on functions --------------===//
//
// include/codensm.h turns CODENSM_DEPARTMENT("x"), CODENSM_WEIGHT(9),
// CODENSM_ERRORS_WHEN_*, CODENSM_SKIP and CODENSM_TRACK into
// __attribute__((annotate("codensm:..."))), which clang records in
// llvm.global.annotations.  An annotation beats the configuration.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_ANNOTATIONS_H
#define CODENSM_ANNOTATIONS_H

#include "Config.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace codensm {

struct FunctionAnnotations {
  std::optional<std::string> Department;
  std::optional<unsigned> Weight;
  std::optional<ErrorConvention> Errors;
  bool Skip = false;
  bool Track = false;
};

/// Applies one annotation's text after "codensm:" ("department=x",
/// "weight=9", "errors=null", "skip", "track") to A; false when it is
/// malformed.  Shared with codensm-rewrite, which reads the same text from
/// clang's AST instead of the IR.
bool applyAnnotation(llvm::StringRef Text, FunctionAnnotations &A);

/// The error for a malformed annotation (its whole text, "codensm:..."),
/// naming where it is written and the function it is on.
llvm::Error badAnnotation(llvm::StringRef File, unsigned Line,
                          llvm::StringRef Text, llvm::StringRef Function);

using AnnotationMap =
    llvm::DenseMap<const llvm::Function *, FunctionAnnotations>;

/// Reads every codensm: annotation of M.  A malformed one is an error naming
/// the function, its source position and the annotation.
llvm::Expected<AnnotationMap> collectAnnotations(llvm::Module &M);

} // namespace codensm

#endif // CODENSM_ANNOTATIONS_H
