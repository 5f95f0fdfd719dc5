// SPDX-License-Identifier: Apache-2.0
//===- Abi.h - the runtime contract, as LLVM types
//--------------------------===//
//
// include/codensm_abi.inc's rows expanded for the pass: the numbers, the
// error conventions and flags, the layouts as StructTypes and the runtime's
// entry points as FunctionTypes.  The runtime expands the same rows into C
// (include/codensm_abi.h); tests/abi checks that the offsets agree.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_ABI_LLVM_H
#define CODENSM_ABI_LLVM_H

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"

#include <utility>

namespace codensm {
namespace abi {

#define CNSM_ABI_CONST(Name, Value) constexpr unsigned Name = Value;
#include "codensm_abi.inc"

#define CNSM_ABI_ERRORS(Name, Value, Spelling)                                 \
  constexpr unsigned Errors_##Name = Value;
#include "codensm_abi.inc"

#define CNSM_ABI_FLAG(Name, Value) constexpr unsigned Flag_##Name = Value;
#include "codensm_abi.inc"

/// VOID first: the unused argument places of an entry row are VOID.
enum class Kind { VOID, I32, I64, PTR, DESC, UNIT };

/// One CNSM_ABI_FIELD row.
struct FieldRow {
  const char *Struct;
  Kind FieldKind;
  const char *Name;
};

#define CNSM_ABI_FIELD(Struct, CType, K, Name) {#Struct, Kind::K, #Name},
inline constexpr FieldRow Fields[] = {
#include "codensm_abi.inc"
};

constexpr bool same(const char *A, const char *B) {
  while (*A && *A == *B)
    ++A, ++B;
  return *A == *B;
}

/// Index of field Name in structure Struct; a missing field does not
/// compile where the index is a constant expression.
constexpr unsigned field(const char *Struct, const char *Name) {
  unsigned Index = 0;
  for (const FieldRow &Row : Fields) {
    if (!same(Row.Struct, Struct))
      continue;
    if (same(Row.Name, Name))
      return Index;
    ++Index;
  }
  throw "no such field in codensm_abi.inc";
}

/// The literal StructType of "slot", "function_info", "module_desc" or
/// "dir" (the directory's header).
llvm::StructType *structType(llvm::LLVMContext &Ctx, llvm::StringRef Struct);

/// A constant of structure Struct from its fields' values by name, placed
/// in the layout's order whatever the order given; every field must be
/// given (a missing or unknown one is a bug of the pass: asserts).
llvm::Constant *
structValue(llvm::LLVMContext &Ctx, llvm::StringRef Struct,
            llvm::ArrayRef<std::pair<const char *, llvm::Constant *>> Values);

/// The type of one of libcodensm's entry points; null for another name.
llvm::FunctionType *entryType(llvm::LLVMContext &Ctx, llvm::StringRef Name);

} // namespace abi
} // namespace codensm

#endif // CODENSM_ABI_LLVM_H
