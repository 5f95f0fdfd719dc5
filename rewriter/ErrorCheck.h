// SPDX-License-Identifier: Apache-2.0
//===- ErrorCheck.h - a return-value convention as a C expression --------===//
//
// The pass tests the value a function returns, in the IR type it returns
// (Config.h's ErrorConvention; CodeNSM.cpp's errorCondition).  The same
// tests, written in C for a variable "V" of the function's return type, so
// a function instrumented by codensm-rewrite counts the same errors:
//   negative  V < 0 for signed integers and floating point; unsigned
//             integers of 32 bits or more as the IR sees them (signed
//             compare), never for smaller unsigned ones, bool or pointers
//   nonzero   !!V        zero, null, false   !V
// Types the pass has no test for (structs, void, references) get none.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_ERRORCHECK_H
#define CODENSM_REWRITE_ERRORCHECK_H

#include "Config.h"

#include "clang/AST/ASTContext.h"

#include <string>

namespace codensm {
namespace rewrite {

/// The test of Errors on a value V of type T, or "" when there is none.
std::string errorCheck(const clang::ASTContext &Ctx, clang::QualType T,
                       ErrorConvention Errors);

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_ERRORCHECK_H
