// SPDX-License-Identifier: Apache-2.0
//===- Abi.cpp - codensm_abi.inc's layouts and entry points as LLVM types
//--===//
#include "Abi.h"
#include "Compat.h"

#include <vector>

using namespace llvm;

namespace codensm {
namespace abi {

static Type *typeOf(LLVMContext &Ctx, Kind K) {
  switch (K) {
  case Kind::I32:
    return Type::getInt32Ty(Ctx);
  case Kind::I64:
    return Type::getInt64Ty(Ctx);
  case Kind::VOID:
    return Type::getVoidTy(Ctx);
  case Kind::PTR:
  case Kind::DESC:
  case Kind::UNIT:
    return dataPtrTy(Ctx);
  }
  return nullptr;
}

StructType *structType(LLVMContext &Ctx, StringRef Struct) {
  std::vector<Type *> Members;
  for (const FieldRow &Row : Fields)
    if (Struct == Row.Struct)
      Members.push_back(typeOf(Ctx, Row.FieldKind));
  return StructType::get(Ctx, Members);
}

Constant *structValue(LLVMContext &Ctx, StringRef Struct,
                      ArrayRef<std::pair<const char *, Constant *>> Values) {
  std::vector<Constant *> Members;
  for (const FieldRow &Row : Fields) {
    if (Struct != Row.Struct)
      continue;
    Constant *Value = nullptr;
    for (const auto &Given : Values)
      if (StringRef(Given.first) == Row.Name)
        Value = Given.second;
    assert(Value && "a field of codensm_abi.inc was not given");
    Members.push_back(Value);
  }
  assert(Members.size() == Values.size() && "a field not in codensm_abi.inc");
  return ConstantStruct::get(structType(Ctx, Struct), Members);
}

/// One CNSM_ABI_ENTRY row: the result and up to five argument kinds.
struct EntryRow {
  const char *Name;
  Kind Result;
  Kind Args[5];
};

#define CNSM_ABI_ENTRY(Ret, Name, Args) {#Name, Kind::Ret, {CNSM_KINDS Args}},
#define CNSM_KINDS(...) CNSM_KINDS_N(__VA_ARGS__, 5, 4, 3, 2, 1, )
#define CNSM_KINDS_N(_1, _2, _3, _4, _5, N, ...)                               \
  CNSM_KINDS_##N(_1, _2, _3, _4, _5)
#define CNSM_KINDS_1(a, b, c, d, e) Kind::a
#define CNSM_KINDS_2(a, b, c, d, e) Kind::a, Kind::b
#define CNSM_KINDS_3(a, b, c, d, e) Kind::a, Kind::b, Kind::c
#define CNSM_KINDS_4(a, b, c, d, e) Kind::a, Kind::b, Kind::c, Kind::d
#define CNSM_KINDS_5(a, b, c, d, e) Kind::a, Kind::b, Kind::c, Kind::d, Kind::e
static const EntryRow Entries[] = {
#include "codensm_abi.inc"
};

FunctionType *entryType(LLVMContext &Ctx, StringRef Name) {
  for (const EntryRow &Row : Entries) {
    if (Name != Row.Name)
      continue;
    std::vector<Type *> Params;
    for (Kind K : Row.Args)
      if (K != Kind::VOID)
        Params.push_back(typeOf(Ctx, K));
    return FunctionType::get(typeOf(Ctx, Row.Result), Params, false);
  }
  return nullptr;
}

} // namespace abi
} // namespace codensm
