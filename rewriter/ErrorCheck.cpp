// SPDX-License-Identifier: Apache-2.0
//===- ErrorCheck.cpp - a return-value convention as a C expression ------===//
#include "ErrorCheck.h"

using namespace clang;

namespace codensm {
namespace rewrite {

/// The signed integer type of Bits bits, as C spells it.
static const char *signedOfWidth(uint64_t Bits) {
  switch (Bits) {
  case 8:
    return "signed char";
  case 16:
    return "short";
  case 32:
    return "int";
  case 64:
    return "long long";
  default:
    return "__int128";
  }
}

/// V converted to Type, in the cast the language reads without warnings.
static std::string cast(const ASTContext &Ctx, const char *Type) {
  return Ctx.getLangOpts().CPlusPlus
             ? std::string("static_cast<") + Type + ">(V)"
             : std::string("(") + Type + ")(V)";
}

std::string errorCheck(const ASTContext &Ctx, QualType T,
                       ErrorConvention Errors) {
  if (Errors == ErrorsNone || T.isNull() || T->isDependentType())
    return "";
  QualType C = T.getCanonicalType().getUnqualifiedType();
  bool Scoped = C->isScopedEnumeralType();
  // A scoped enum has no ! of its own: test its value.
  std::string Value = Scoped ? cast(Ctx, "long long") : "V";
  bool Integer = C->isIntegralOrEnumerationType() && !C->isBooleanType();
  bool Tested = C->isBooleanType() || Integer || C->isRealFloatingType() ||
                C->isPointerType() || C->isMemberPointerType() ||
                C->isNullPtrType();
  if (!Tested)
    return "";
  switch (Errors) {
  case ErrorsNegative:
    if (C->isRealFloatingType())
      return "V < 0";
    if (!Integer)
      return "";
    if (C->isSignedIntegerOrEnumerationType())
      return Scoped ? cast(Ctx, signedOfWidth(Ctx.getTypeSize(C))) + " < 0"
                    : "V < 0";
    // The IR knows no sign: a 32- or 64-bit unsigned value with its top bit
    // set is negative to the pass; a smaller one is zero-extended, never.
    if (Ctx.getTypeSize(C) < 32)
      return "";
    return cast(Ctx, signedOfWidth(Ctx.getTypeSize(C))) + " < 0";
  case ErrorsNonzero:
    return "!!" + Value;
  case ErrorsZero:
  case ErrorsNull:
  case ErrorsFalse:
    return "!" + Value;
  default:
    return "";
  }
}

} // namespace rewrite
} // namespace codensm
