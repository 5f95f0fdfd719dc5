// SPDX-License-Identifier: Apache-2.0
//===- Compat.h - LLVM 14..19 API differences in one place ---------------===//
//
// The plugin is built once per LLVM major (a plugin built for one major
// crashes another), but the source is the same.  Every #if on
// LLVM_VERSION_MAJOR lives here, so the pass itself reads as one recipe.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_COMPAT_H
#define CODENSM_COMPAT_H

#include "llvm/Config/llvm-config.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"

#if LLVM_VERSION_MAJOR >= 17
#include "llvm/IR/EHPersonalities.h"
#else
#include "llvm/Analysis/EHPersonalities.h"
#endif

#if LLVM_VERSION_MAJOR >= 16
#include "llvm/TargetParser/Triple.h"
#else
#include "llvm/ADT/Triple.h"
#endif

namespace codensm {

/// The generic data pointer type: i8* with typed pointers (LLVM 14), ptr
/// with opaque ones.  Type::getInt8PtrTy is gone in LLVM 19.
inline llvm::PointerType *dataPtrTy(llvm::LLVMContext &Ctx) {
#if LLVM_VERSION_MAJOR >= 17
  return llvm::PointerType::getUnqual(Ctx);
#else
  return llvm::PointerType::getUnqual(llvm::Type::getInt8Ty(Ctx));
#endif
}

/// A pointer to values of type Ty (opaque from LLVM 17 on).
inline llvm::PointerType *ptrTo(llvm::Type *Ty) {
#if LLVM_VERSION_MAJOR >= 17
  return llvm::PointerType::getUnqual(Ty->getContext());
#else
  return llvm::PointerType::getUnqual(Ty);
#endif
}

/// Coroutines before CoroSplit: the attribute became an enum in LLVM 15.
inline bool isPresplitCoroutine(const llvm::Function &F) {
#if LLVM_VERSION_MAJOR >= 15
  return F.isPresplitCoroutine();
#else
  return F.hasFnAttribute("coroutine.presplit");
#endif
}

/// StringRef::startswith/endswith became starts_with/ends_with in LLVM 16
/// and the old names were removed later; these work in every version.
inline bool startsWith(llvm::StringRef S, llvm::StringRef Prefix) {
  return S.size() >= Prefix.size() && S.substr(0, Prefix.size()) == Prefix;
}
inline bool endsWith(llvm::StringRef S, llvm::StringRef Suffix) {
  return S.size() >= Suffix.size() &&
         S.substr(S.size() - Suffix.size()) == Suffix;
}

inline llvm::Function *getIntrinsic(llvm::Module &M, llvm::Intrinsic::ID ID) {
#if LLVM_VERSION_MAJOR >= 20
  return llvm::Intrinsic::getOrInsertDeclaration(&M, ID);
#else
  return llvm::Intrinsic::getDeclaration(&M, ID);
#endif
}

} // namespace codensm

#endif // CODENSM_COMPAT_H
