// SPDX-License-Identifier: Apache-2.0
//===- Annotations.cpp - codensm:... annotations on functions ------------===//
//
// llvm.global.annotations is an array of { function, annotation string,
// file, line[, args] } (four fields in LLVM 14, five from 15).  Pointers are
// typed casts in LLVM 14 and plain from 15, so every operand goes through
// stripPointerCasts().
//
//===----------------------------------------------------------------------===//
#include "Annotations.h"
#include "Compat.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"

using namespace llvm;

namespace codensm {

/// The C string a constant points at, or "" when it is not one.
static StringRef constantString(const Value *V) {
  const auto *GV = dyn_cast_or_null<GlobalVariable>(V->stripPointerCasts());
  if (!GV || !GV->hasInitializer())
    return "";
  const auto *Data = dyn_cast<ConstantDataSequential>(GV->getInitializer());
  if (!Data || !Data->isString())
    return "";
  return Data->getAsString().split('\0').first;
}

bool applyAnnotation(StringRef Text, FunctionAnnotations &A) {
  std::pair<StringRef, StringRef> KeyValue = Text.split('=');
  StringRef Key = KeyValue.first, Value = KeyValue.second;
  if (Key == "skip" && Value.empty()) {
    A.Skip = true;
    return true;
  }
  if (Key == "track" && Value.empty()) {
    A.Track = true;
    return true;
  }
  if (Key == "department" && !Value.empty() && Value.size() <= 128) {
    A.Department = Value.str();
    return true;
  }
  if (Key == "weight") {
    unsigned Weight;
    if (Value.getAsInteger(10, Weight) || Weight > abi::MAX_WEIGHT)
      return false;
    A.Weight = Weight;
    return true;
  }
  if (Key == "errors") {
    A.Errors = parseErrorConvention(Value);
    return A.Errors.has_value();
  }
  return false;
}

Error badAnnotation(StringRef File, unsigned Line, StringRef Text,
                    StringRef Function) {
  return createStringError(
      inconvertibleErrorCode(),
      "%s:%u: bad annotation \"%s\" on %s (see include/codensm.h)",
      File.str().c_str(), Line, Text.str().c_str(), Function.str().c_str());
}

Expected<AnnotationMap> collectAnnotations(Module &M) {
  AnnotationMap Result;
  GlobalVariable *Annotations = M.getGlobalVariable("llvm.global.annotations");
  if (!Annotations || !Annotations->hasInitializer())
    return Result;
  auto *Array = dyn_cast<ConstantArray>(Annotations->getInitializer());
  if (!Array)
    return Result;

  for (const Use &Entry : Array->operands()) {
    auto *Fields = dyn_cast<ConstantStruct>(Entry.get());
    if (!Fields || Fields->getNumOperands() < 4)
      continue;
    auto *F = dyn_cast<Function>(Fields->getOperand(0)->stripPointerCasts());
    StringRef Text = constantString(Fields->getOperand(1));
    if (!F || !startsWith(Text, "codensm:"))
      continue;
    if (!applyAnnotation(Text.drop_front(strlen("codensm:")), Result[F])) {
      StringRef File = constantString(Fields->getOperand(2));
      uint64_t Line = 0;
      if (auto *LineConst = dyn_cast<ConstantInt>(Fields->getOperand(3)))
        Line = LineConst->getZExtValue();
      return badAnnotation(File, unsigned(Line), Text, F->getName());
    }
  }
  return Result;
}

} // namespace codensm
