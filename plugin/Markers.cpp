//===- Markers.cpp - the hooks as the optimiser sees them ----------------===//
#include "Markers.h"
#include "Compat.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Metadata.h"

using namespace llvm;

namespace codensm {

static const char *const InstrumentedMetadata = "codensm.instrumented";

/// Never throws and always returns; nothing more is promised, so no pass
/// moves user code across it.
static FunctionCallee declareHook(Module &M, const char *Name, Type *Result,
                                  ArrayRef<Type *> Params) {
  return declareRuntimeFunction(M, Name, FunctionType::get(Result, Params, false),
                                {Attribute::WillReturn});
}

static CallInst *createHook(IRBuilder<> &B, FunctionCallee Hook,
                            ArrayRef<Value *> Args) {
  CallInst *Call = B.CreateCall(Hook, Args);
  Call->setDoesNotThrow();
  Call->addFnAttr(Attribute::NoMerge);
  return Call;
}

CallInst *createEnterHook(IRBuilder<> &B, Constant *Desc, unsigned Slot) {
  Module &M = *B.GetInsertBlock()->getModule();
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  PointerType *Ptr = dataPtrTy(Ctx);
  CallInst *Call =
      createHook(B, declareHook(M, EnterHookName, I64, {Ptr, I64}),
                 {ConstantExpr::getPointerCast(Desc, Ptr), ConstantInt::get(I64, Slot)});
  Call->setName("codensm.start");
  return Call;
}

CallInst *createExitHook(IRBuilder<> &B, Constant *Desc, unsigned Slot,
                         Value *Start) {
  Module &M = *B.GetInsertBlock()->getModule();
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  PointerType *Ptr = dataPtrTy(Ctx);
  return createHook(
      B, declareHook(M, ExitHookName, Type::getVoidTy(Ctx), {Ptr, I64, I64}),
      {ConstantExpr::getPointerCast(Desc, Ptr), ConstantInt::get(I64, Slot), Start});
}

bool markInstrumented(Module &M) {
  if (M.getNamedMetadata(InstrumentedMetadata))
    return false;
  M.getOrInsertNamedMetadata(InstrumentedMetadata);
  return true;
}

void recordTables(Module &M, const ModuleTables &Tables) {
  LLVMContext &Ctx = M.getContext();
  Metadata *Fields[] = {
      ValueAsMetadata::get(Tables.Desc), ValueAsMetadata::get(Tables.TlsBlock),
      ConstantAsMetadata::get(ConstantInt::get(
          Type::getInt32Ty(Ctx), static_cast<unsigned>(Tables.Timing)))};
  M.getOrInsertNamedMetadata(InstrumentedMetadata)
      ->addOperand(MDNode::get(Ctx, Fields));
}

std::vector<ModuleTables> findTables(const Module &M) {
  std::vector<ModuleTables> Found;
  const NamedMDNode *Named = M.getNamedMetadata(InstrumentedMetadata);
  if (!Named)
    return Found;
  for (const MDNode *Node : Named->operands()) {
    if (Node->getNumOperands() != 3)
      continue;
    ModuleTables Tables;
    Tables.Desc = mdconst::dyn_extract_or_null<GlobalVariable>(Node->getOperand(0));
    Tables.TlsBlock =
        mdconst::dyn_extract_or_null<GlobalVariable>(Node->getOperand(1));
    auto *Timing = mdconst::dyn_extract_or_null<ConstantInt>(Node->getOperand(2));
    if (!Tables.Desc || !Tables.TlsBlock || !Timing)
      continue; // an optimiser dropped the tables: nothing left to expand
    Tables.Timing = static_cast<TimingMode>(Timing->getZExtValue());
    Found.push_back(Tables);
  }
  return Found;
}

} // namespace codensm
