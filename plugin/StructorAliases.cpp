// SPDX-License-Identifier: Apache-2.0
//===- StructorAliases.cpp - a row for each destructor clang aliases ------===//
//
// See StructorAliases.h.  Runs where the pass runs, at the start of the
// pipeline: clang's CodeGen has made its aliases by then, and no inlining
// has happened yet, so the new function is counted as any other.
//
//===----------------------------------------------------------------------===//
#include "StructorAliases.h"
#include "Compat.h"
#include "Naming.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Support/Debug.h"

#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace llvm;

#define DEBUG_TYPE "codensm"

namespace codensm {

/// Whether Name is the Itanium mangling of a constructor or destructor.
static bool isStructor(StringRef Name) {
  if (!startsWith(Name, "_Z"))
    return false;
  std::string Mangled = Name.str();
  ItaniumPartialDemangler Parser;
  return !Parser.partialDemangle(Mangled.c_str()) && Parser.isCtorOrDtor();
}

/// Whether A and B are two variants of one constructor or destructor:
/// their manglings differ only in the variant's digit after C or D
/// (_ZN7DerivedD0Ev, _ZN7DerivedD1Ev), and both demangle to the same
/// structor with the same parameters (not class C1's and class C2's).
static bool otherVariants(StringRef A, StringRef B) {
  if (A.size() != B.size() || A == B || !startsWith(A, "_Z"))
    return false;
  size_t At = 0;
  unsigned Differences = 0;
  for (size_t I = 0; I < A.size(); ++I)
    if (A[I] != B[I]) {
      At = I;
      ++Differences;
    }
  if (Differences != 1 || At == 0 || (A[At - 1] != 'C' && A[At - 1] != 'D') ||
      !isDigit(A[At]) || !isDigit(B[At]))
    return false;
  std::string MangledA = A.str(), MangledB = B.str();
  ItaniumPartialDemangler ParserA, ParserB;
  if (ParserA.partialDemangle(MangledA.c_str()) ||
      ParserB.partialDemangle(MangledB.c_str()) || !ParserA.isCtorOrDtor() ||
      !ParserB.isCtorOrDtor())
    return false;
  auto Owned = [](char *S) {
    std::string Copy = S ? S : "";
    std::free(S);
    return Copy;
  };
  return Owned(ParserA.getFunctionName(nullptr, nullptr)) ==
             Owned(ParserB.getFunctionName(nullptr, nullptr)) &&
         Owned(ParserA.getFunctionParameters(nullptr, nullptr)) ==
             Owned(ParserB.getFunctionParameters(nullptr, nullptr));
}

bool delegatesToOtherVariant(const Function &F) {
  if (!startsWith(F.getName(), "_Z"))
    return false;
  for (const BasicBlock &BB : F)
    for (const Instruction &I : BB)
      if (const auto *Call = dyn_cast<CallBase>(&I))
        // The callee may be an alias (D1 of D2): a global value, by name.
        if (const auto *Callee = dyn_cast<GlobalValue>(
                Call->getCalledOperand()->stripPointerCasts()))
          if (otherVariants(F.getName(), Callee->getName()))
            return true;
  return false;
}

/// The function A names in the end, through aliases and casts; null when
/// it names something else (a variable, an offset into an object).
static Function *aliasedFunction(const GlobalAlias &A) {
  const Constant *C = A.getAliasee()->stripPointerCasts();
  while (const auto *Next = dyn_cast<GlobalAlias>(C))
    C = Next->getAliasee()->stripPointerCasts();
  return const_cast<Function *>(dyn_cast<Function>(C));
}

/// Whether a call of Target with the arguments of a function of type Ty
/// behaves as the alias did: the same number of arguments, pointers cast
/// to the pointer types Target takes (a Derived* for a Base*, the same
/// with opaque pointers), and no argument that only a musttail call could
/// pass on (inalloca, preallocated, swifterror) or whose attribute names
/// a type (byval, sret, byref: the types differ with typed pointers).  A
/// destructor has none of these; anything else stays an alias.
static bool forwardable(const Function &Target, FunctionType *Ty) {
  FunctionType *TargetTy = Target.getFunctionType();
  if (Ty->isVarArg() || TargetTy->isVarArg() ||
      Ty->getNumParams() != TargetTy->getNumParams() ||
      Target.hasFnAttribute(Attribute::Naked) || Target.hasFnAttribute("thunk"))
    return false;
  auto Castable = [](Type *From, Type *To) {
    return From == To ||
           (From->isPointerTy() && To->isPointerTy() &&
            From->getPointerAddressSpace() == To->getPointerAddressSpace());
  };
  if (!Castable(TargetTy->getReturnType(), Ty->getReturnType()))
    return false;
  static const Attribute::AttrKind Unforwardable[] = {
      Attribute::InAlloca, Attribute::Preallocated, Attribute::SwiftError,
      Attribute::ByVal,    Attribute::StructRet,    Attribute::ByRef};
  for (unsigned I = 0; I < Ty->getNumParams(); ++I) {
    if (!Castable(Ty->getParamType(I), TargetTy->getParamType(I)))
      return false;
    for (Attribute::AttrKind Kind : Unforwardable)
      if (Target.hasParamAttribute(I, Kind))
        return false;
  }
  return true;
}

/// A definition standing for alias A: A's name, type, linkage, visibility
/// and comdat (an alias is in its aliasee's), Target's calling convention,
/// attributes and alignment; its body calls Target and returns what it
/// returns.
static Function *createForwarder(GlobalAlias &A, Function &Target,
                                 FunctionType *Ty) {
  Module &M = *A.getParent();
  Function *F =
      Function::Create(Ty, A.getLinkage(), A.getAddressSpace(), "", &M);
  F->takeName(&A);
  F->setVisibility(A.getVisibility());
  F->setDLLStorageClass(A.getDLLStorageClass());
  F->setUnnamedAddr(A.getUnnamedAddr());
  F->setDSOLocal(A.isDSOLocal());
  F->setPartition(A.getPartition());
  F->setComdat(Target.getComdat());
  if (Target.hasSection())
    F->setSection(Target.getSection());
  F->setAlignment(Target.getAlign());
  F->setCallingConv(Target.getCallingConv());
  F->setAttributes(Target.getAttributes());

  IRBuilder<> B(BasicBlock::Create(M.getContext(), "", F));
  FunctionType *TargetTy = Target.getFunctionType();
  std::vector<Value *> Args;
  for (Argument &Arg : F->args())
    Args.push_back(
        B.CreateBitOrPointerCast(&Arg, TargetTy->getParamType(Arg.getArgNo())));
  CallInst *Call = B.CreateCall(TargetTy, &Target, Args);
  AttributeList Attrs = Target.getAttributes();
  std::vector<AttributeSet> ParamAttrs;
  for (unsigned I = 0; I < TargetTy->getNumParams(); ++I)
    ParamAttrs.push_back(Attrs.getParamAttrs(I));
  Call->setAttributes(AttributeList::get(M.getContext(), AttributeSet(),
                                         Attrs.getRetAttrs(), ParamAttrs));
  Call->setCallingConv(Target.getCallingConv());
  Call->setTailCall();
  if (Ty->getReturnType()->isVoidTy())
    B.CreateRetVoid();
  else
    B.CreateRet(B.CreateBitOrPointerCast(Call, Ty->getReturnType()));
  return F;
}

namespace {

/// Replaces the aliases of one module, each after the alias it aliases:
/// Derived2's destructor aliasing Derived's, itself an alias of Base's,
/// calls Derived's once that is a function, as at -O0.
class AliasReplacer {
public:
  explicit AliasReplacer(Module &M) {
    for (GlobalAlias &A : M.aliases())
      if (isStructor(A.getName()) && !isStandardLibraryName(A.getName())) {
        Pending.insert(&A);
        Work.push_back(&A);
      }
  }

  unsigned run() {
    for (GlobalAlias *A : Work)
      replace(A);
    return Count;
  }

private:
  void replace(GlobalAlias *A);

  std::vector<GlobalAlias *> Work;        ///< in module order: the same output
  SmallPtrSet<GlobalAlias *, 16> Pending; ///< not looked at yet
  /// D1 and D2 of one class both aliasing the base's D2: one function.
  std::map<std::pair<std::string, Function *>, Function *> Made;
  unsigned Count = 0;
};

} // namespace

void AliasReplacer::replace(GlobalAlias *A) {
  if (!Pending.erase(A))
    return; // done already (and perhaps erased)
  if (auto *Inner = dyn_cast<GlobalAlias>(A->getAliasee()->stripPointerCasts()))
    replace(Inner);
  // Read after the inner alias is done: it may be a function now.
  const auto *Direct =
      dyn_cast<GlobalValue>(A->getAliasee()->stripPointerCasts());
  Function *Target = aliasedFunction(*A);
  auto *Ty = dyn_cast<FunctionType>(A->getValueType());
  if (!Direct || !Target || Target->isDeclaration() || !Ty)
    return;
  std::string Name = qualifiedFunctionName(A->getName());
  if (Name == qualifiedFunctionName(Direct->getName()) ||
      !forwardable(*Target, Ty))
    return;
  Function *&F = Made[{Name, Target}];
  if (F && F->getFunctionType() == Ty) {
    A->setAliasee(ConstantExpr::getPointerCast(F, A->getType()));
    return;
  }
  LLVM_DEBUG(dbgs() << "codensm: alias " << A->getName() << " of "
                    << Direct->getName() << " becomes a function\n");
  F = createForwarder(*A, *Target, Ty);
  A->replaceAllUsesWith(ConstantExpr::getPointerCast(F, A->getType()));
  A->eraseFromParent();
  ++Count;
}

unsigned replaceStructorAliases(Module &M) { return AliasReplacer(M).run(); }

} // namespace codensm
