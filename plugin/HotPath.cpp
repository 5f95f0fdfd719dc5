//===- HotPath.cpp - the inline code that counts and times a call -------===//
#include "HotPath.h"
#include "Compat.h"

#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

using namespace llvm;

namespace codensm {

FunctionCallee declareRuntimeFunction(Module &M, StringRef Name,
                                      FunctionType *Ty,
                                      ArrayRef<Attribute::AttrKind> Extra) {
  LLVMContext &Ctx = M.getContext();
  AttributeList Attrs = AttributeList().addFnAttribute(Ctx, Attribute::NoUnwind);
  for (Attribute::AttrKind Kind : Extra)
    Attrs = Attrs.addFnAttribute(Ctx, Kind);
  return M.getOrInsertFunction(Name, Ty, Attrs);
}

HotPath::HotPath(Module &M, GlobalVariable *TlsBlock)
    : M(M), Ctx(M.getContext()), TlsBlock(TlsBlock),
      BlockTy(TlsBlock->getValueType()), I32(Type::getInt32Ty(Ctx)),
      I64(Type::getInt64Ty(Ctx)),
      IsX86_64(Triple(M.getTargetTriple()).getArch() == Triple::x86_64) {}

Constant *HotPath::slotField(unsigned Index, SlotField Field) const {
  Constant *Indices[] = {ConstantInt::get(I32, 0),
                         ConstantInt::get(I32, BlockSlots),
                         ConstantInt::get(I64, Index),
                         ConstantInt::get(I64, Field)};
  return ConstantExpr::getInBoundsGetElementPtr(BlockTy, TlsBlock, Indices);
}

Value *HotPath::slotField(IRBuilder<> &B, Value *Index, SlotField Field) const {
  if (auto *Const = dyn_cast<ConstantInt>(Index))
    return slotField(Const->getZExtValue(), Field);
  Value *Indices[] = {ConstantInt::get(I32, 0), ConstantInt::get(I32, BlockSlots),
                      Index, ConstantInt::get(I64, Field)};
  return B.CreateInBoundsGEP(BlockTy, TlsBlock, Indices);
}

/// On x86-64 one non-locked `add` to memory: no lock prefix (other threads
/// only read), and a signal handler on this thread cannot split it and lose
/// a count.  Elsewhere an atomic add.
void HotPath::emitIncrement(IRBuilder<> &B, Value *Counter,
                            Value *Amount) const {
  if (!IsX86_64) {
    B.CreateAtomicRMW(AtomicRMWInst::Add, Counter, Amount, MaybeAlign(8),
                      AtomicOrdering::Monotonic);
    return;
  }
  PointerType *PtrI64 = ptrTo(I64);
  CallInst *Call;
  auto *Const = dyn_cast<ConstantInt>(Amount);
  if (Const && Const->isOne()) {
    InlineAsm *Inc = InlineAsm::get(
        FunctionType::get(B.getVoidTy(), {PtrI64, PtrI64}, false), "incq $0",
        "=*m,*m,~{flags}", /*hasSideEffects=*/true);
    Call = B.CreateCall(Inc, {Counter, Counter});
    Call->addParamAttr(1, Attribute::get(Ctx, Attribute::ElementType, I64));
  } else {
    InlineAsm *Add = InlineAsm::get(
        FunctionType::get(B.getVoidTy(), {PtrI64, I64, PtrI64}, false),
        "addq $1, $0", "=*m,er,*m,~{flags}", true);
    Call = B.CreateCall(Add, {Counter, Amount, Counter});
    Call->addParamAttr(2, Attribute::get(Ctx, Attribute::ElementType, I64));
  }
  Call->addParamAttr(0, Attribute::get(Ctx, Attribute::ElementType, I64));
  Call->setDoesNotThrow();
}

/// On x86-64 a single non-locked `xadd`, as cheap as an add and as safe
/// against a signal handler on the same thread; elsewhere an atomic
/// fetch-add.
Value *HotPath::emitCountCall(IRBuilder<> &B, Value *Calls) const {
  if (!IsX86_64)
    return B.CreateAtomicRMW(AtomicRMWInst::Add, Calls, ConstantInt::get(I64, 1),
                             MaybeAlign(8), AtomicOrdering::Monotonic);
  PointerType *PtrI64 = ptrTo(I64);
  InlineAsm *Xadd = InlineAsm::get(
      FunctionType::get(I64, {PtrI64, I64, PtrI64}, false), "xaddq $0, $1",
      "=r,=*m,0,*m,~{flags}", /*hasSideEffects=*/true);
  CallInst *Call = B.CreateCall(Xadd, {Calls, ConstantInt::get(I64, 1), Calls},
                                "codensm.calls");
  Call->addParamAttr(0, Attribute::get(Ctx, Attribute::ElementType, I64));
  Call->addParamAttr(2, Attribute::get(Ctx, Attribute::ElementType, I64));
  Call->setDoesNotThrow();
  return Call;
}

/// rdtsc inline on x86-64, where the runtime calibrates it; a runtime call
/// elsewhere (llvm.readcyclecounter is not portable enough).
Value *HotPath::emitReadClock(IRBuilder<> &B) const {
  CallInst *Read;
  if (IsX86_64) {
    Read = B.CreateCall(getIntrinsic(M, Intrinsic::x86_rdtsc), {});
  } else {
    FunctionCallee Clock = declareRuntimeFunction(
        M, "__codensm_clock", FunctionType::get(I64, false));
    Read = B.CreateCall(Clock, {});
  }
  Read->setDoesNotThrow();
  return Read;
}

void HotPath::emitAttach(IRBuilder<> &B, Constant *Desc) const {
  Constant *AttachedIndices[] = {ConstantInt::get(I32, 0),
                                 ConstantInt::get(I32, BlockAttached)};
  Value *Attached = B.CreateAlignedLoad(
      I64,
      ConstantExpr::getInBoundsGetElementPtr(BlockTy, TlsBlock, AttachedIndices),
      Align(8));
  Instruction *Here = &*B.GetInsertPoint();
  Instruction *AttachTerm = SplitBlockAndInsertIfThen(
      B.CreateICmpEQ(Attached, ConstantInt::get(I64, 0)), Here, false,
      MDBuilder(Ctx).createBranchWeights(1, 1000));
  AttachTerm->getParent()->setName("codensm.attach");
  IRBuilder<> AB(AttachTerm);
  AB.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  PointerType *Ptr = dataPtrTy(Ctx);
  FunctionCallee Attach = declareRuntimeFunction(
      M, "__codensm_attach",
      FunctionType::get(Type::getVoidTy(Ctx), {Ptr, Ptr}, false));
  AB.CreateCall(Attach, {ConstantExpr::getPointerCast(Desc, Ptr),
                         ConstantExpr::getPointerCast(TlsBlock, Ptr)})
      ->setDoesNotThrow();
  B.SetInsertPoint(Here); // the split moved it into a new block
}

void HotPath::emitStop(IRBuilder<> &B, Value *Index, Value *Start) const {
  Value *End = emitReadClock(B);
  // A thread that moved to a CPU whose counter lags must not add 2^64 ticks.
  Value *Elapsed = B.CreateSelect(B.CreateICmpUGT(End, Start),
                                  B.CreateSub(End, Start),
                                  ConstantInt::get(I64, 0));
  emitIncrement(B, slotField(B, Index, SlotSamples), ConstantInt::get(I64, 1));
  emitIncrement(B, slotField(B, Index, SlotTicks), Elapsed);
}

Value *HotPath::emitIsSampled(IRBuilder<> &B, Value *Before) const {
  auto *Mask = cast<GlobalVariable>(M.getOrInsertGlobal("__codensm_sample_mask", I64));
  LoadInst *MaskValue = B.CreateAlignedLoad(I64, Mask, Align(8));
  MaskValue->setAtomic(AtomicOrdering::Monotonic);
  return B.CreateICmpEQ(B.CreateAnd(Before, MaskValue), ConstantInt::get(I64, 0),
                        "codensm.sampled");
}

} // namespace codensm
