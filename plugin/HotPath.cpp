// SPDX-License-Identifier: Apache-2.0
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
                                      ArrayRef<Attribute::AttrKind> Extra) {
  LLVMContext &Ctx = M.getContext();
  FunctionType *Ty = abi::entryType(Ctx, Name);
  assert(Ty && "not an entry point of codensm_abi.inc");
  AttributeList Attrs =
      AttributeList().addFnAttribute(Ctx, Attribute::NoUnwind);
  for (Attribute::AttrKind Kind : Extra)
    Attrs = Attrs.addFnAttribute(Ctx, Kind);
  return M.getOrInsertFunction(Name, Ty, Attrs);
}

HotPath::HotPath(Module &M, Function *Unit, GlobalVariable *TlsHome)
    : M(M), Ctx(M.getContext()), Unit(Unit), TlsHome(TlsHome),
      I8(Type::getInt8Ty(Ctx)), I64(Type::getInt64Ty(Ctx)), Ptr(dataPtrTy(Ctx)),
      IsX86_64(Triple(M.getTargetTriple()).getArch() == Triple::x86_64) {}

Constant *HotPath::unitArg() const {
  return ConstantExpr::getPointerCast(Unit, Ptr);
}

CallInst *HotPath::emitRareCall(IRBuilder<> &B, StringRef Name,
                                ArrayRef<Value *> Args) const {
  FunctionCallee Callee = declareRuntimeFunction(M, Name, {Attribute::Cold});
  CallInst *Call = B.CreateCall(Callee, Args);
  Call->setDoesNotThrow();
  if (IsX86_64) {
    if (auto *F = dyn_cast<Function>(Callee.getCallee())) {
      F->setCallingConv(CallingConv::PreserveMost);
      F->addFnAttr(Attribute::NonLazyBind);
    }
    Call->setCallingConv(CallingConv::PreserveMost);
  }
  return Call;
}

/// chunk = home.chunk0 for a slot of chunk 0, else home.dir's chunk
/// pointer Slot / CHUNK_SLOTS (never null: the sentinel chunk until the
/// thread's first call).
Value *HotPath::emitChunk(IRBuilder<> &B, uint64_t Slot) const {
  return inHome(Slot) ? emitHomeChunk(B) : emitChunkOf(B, emitDir(B), Slot);
}

Value *HotPath::homeField(IRBuilder<> &B, const char *Field) const {
  uint64_t Offset = M.getDataLayout()
                        .getStructLayout(abi::structType(Ctx, "home"))
                        ->getElementOffset(abi::field("home", Field));
  Value *Home = B.CreatePointerCast(TlsHome, Ptr);
  return B.CreatePointerCast(B.CreateConstInBoundsGEP1_64(I8, Home, Offset),
                             ptrTo(Ptr));
}

Value *HotPath::emitDir(IRBuilder<> &B) const {
  return B.CreateAlignedLoad(Ptr, homeField(B, "dir"), Align(8), "codensm.dir");
}

Value *HotPath::emitHomeChunk(IRBuilder<> &B) const {
  return B.CreateAlignedLoad(Ptr, homeField(B, "chunk0"), Align(8),
                             "codensm.chunk0");
}

Value *HotPath::emitChunkOf(IRBuilder<> &B, Value *Dir, uint64_t Slot) const {
  assert(!inHome(Slot) && "chunk 0 is the home's own (emitHomeChunk)");
  uint64_t Index = Slot / abi::CHUNK_SLOTS;
  const DataLayout &DL = M.getDataLayout();
  uint64_t Offset = DL.getTypeAllocSize(abi::structType(Ctx, "dir")) +
                    Index * DL.getPointerSize();
  Value *Entry = B.CreateConstInBoundsGEP1_64(I8, Dir, Offset);
  return B.CreateAlignedLoad(Ptr, B.CreatePointerCast(Entry, ptrTo(Ptr)),
                             Align(8), "codensm.chunk");
}

/// A chunk whose header says it is not real (the sentinel) is replaced by
/// the thread's own, allocated by the runtime: a rare call.
Value *HotPath::emitRealChunk(IRBuilder<> &B, uint64_t Slot) const {
  return emitMadeReal(B, emitChunk(B, Slot), Slot);
}

/// Chunk, loaded by the caller (perhaps before the runtime replaced the
/// sentinel), or the thread's real chunk when it is still the sentinel.
Value *HotPath::emitMadeReal(IRBuilder<> &B, Value *Chunk,
                             uint64_t Slot) const {
  Value *RealField = B.CreatePointerCast(
      B.CreateConstInBoundsGEP1_64(I8, Chunk,
                                   8 * abi::field("chunk_header", "real")),
      ptrTo(I64));
  Value *Real = B.CreateAlignedLoad(I64, RealField, Align(8));
  BasicBlock *Head = B.GetInsertBlock();
  Instruction *Here = &*B.GetInsertPoint();
  Instruction *AllocTerm = SplitBlockAndInsertIfThen(
      B.CreateICmpEQ(Real, ConstantInt::get(I64, 0)), Here, false,
      MDBuilder(Ctx).createBranchWeights(1, 100000));
  AllocTerm->getParent()->setName("codensm.newchunk");
  IRBuilder<> AB(AllocTerm);
  AB.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  CallInst *Allocated =
      emitRareCall(AB, "__codensm_chunk",
                   {unitArg(), ConstantInt::get(I64, Slot / abi::CHUNK_SLOTS)});
  B.SetInsertPoint(Here); // first in the block after the split
  PHINode *Phi = B.CreatePHI(Ptr, 2, "codensm.chunk");
  Phi->addIncoming(Chunk, Head);
  Phi->addIncoming(Allocated, AllocTerm->getParent());
  return Phi;
}

Value *HotPath::depthField(IRBuilder<> &B, Value *Chunk, uint64_t Slot) const {
  uint64_t Offset = abi::CHUNK_DEPTH_OFFSET + 2 * (Slot % abi::CHUNK_SLOTS);
  return B.CreatePointerCast(B.CreateConstInBoundsGEP1_64(I8, Chunk, Offset),
                             ptrTo(Type::getInt16Ty(Ctx)));
}

Value *HotPath::slotField(IRBuilder<> &B, Value *Chunk, uint64_t Slot,
                          SlotField Field) const {
  uint64_t Offset = abi::CHUNK_HEADER_BYTES +
                    (Slot % abi::CHUNK_SLOTS) * abi::SLOT_BYTES + 8 * Field;
  return B.CreatePointerCast(B.CreateConstInBoundsGEP1_64(I8, Chunk, Offset),
                             ptrTo(I64));
}

/// On x86-64 a plain load, add and store, which instruction selection
/// makes one non-locked `add` to memory (the expansion runs after the
/// optimiser and only at -O1 and above, where the selector folds them):
/// no lock prefix (other threads only read), and a signal handler on this
/// thread cannot split one instruction and lose a count.  Until round
/// five this was an inline asm `incq`, the same instruction, but every
/// inline asm costs the code generator a parse of its own (some 600,000
/// instructions of llc each): 10% of llc's instructions on a file of
/// one-line functions.  Elsewhere an atomic add.
void HotPath::emitIncrement(IRBuilder<> &B, Value *Counter,
                            Value *Amount) const {
  if (!IsX86_64) {
    B.CreateAtomicRMW(AtomicRMWInst::Add, Counter, Amount, MaybeAlign(8),
                      AtomicOrdering::Monotonic);
    return;
  }
  Value *Old = B.CreateAlignedLoad(I64, Counter, Align(8));
  B.CreateAlignedStore(B.CreateAdd(Old, Amount, "codensm.add"), Counter,
                       Align(8));
}

/// On x86-64 a single non-locked `xadd`, as cheap as an add and as safe
/// against a signal handler on the same thread; elsewhere an atomic
/// fetch-add.
Value *HotPath::emitCountCall(IRBuilder<> &B, Value *Calls) const {
  if (!IsX86_64)
    return B.CreateAtomicRMW(AtomicRMWInst::Add, Calls,
                             ConstantInt::get(I64, 1), MaybeAlign(8),
                             AtomicOrdering::Monotonic);
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

void HotPath::emitNestedFrame(IRBuilder<> &B, Value *Chunk,
                              uint64_t Slot) const {
  Constant *One = ConstantInt::get(I64, 1);
  emitIncrement(B, slotField(B, Chunk, Slot, SlotCalls), One);
  emitIncrement(B, slotField(B, Chunk, Slot, SlotSamples), One);
  // The runtime measures the probe once, before the first timed call.
  auto *ProbeTicks =
      cast<GlobalVariable>(M.getOrInsertGlobal("__codensm_probe_ticks", I64));
  LoadInst *Probe =
      B.CreateAlignedLoad(I64, ProbeTicks, Align(8), "codensm.probe");
  Probe->setAtomic(AtomicOrdering::Monotonic);
  emitIncrement(B, slotField(B, Chunk, Slot, SlotTicks), Probe);
  // The target moves with the count: the distance to the next timed
  // call is counted in outermost frames only.
  Type *I32 = Type::getInt32Ty(Ctx);
  uint64_t Offset = abi::CHUNK_TARGETS_OFFSET + 4 * (Slot % abi::CHUNK_SLOTS);
  Value *Target = B.CreatePointerCast(
      B.CreateConstInBoundsGEP1_64(I8, Chunk, Offset), ptrTo(I32));
  if (!IsX86_64) {
    B.CreateAtomicRMW(AtomicRMWInst::Add, Target, ConstantInt::get(I32, 1),
                      MaybeAlign(4), AtomicOrdering::Monotonic);
    return;
  }
  Value *Old = B.CreateAlignedLoad(I32, Target, Align(4));
  B.CreateAlignedStore(B.CreateAdd(Old, ConstantInt::get(I32, 1)), Target,
                       Align(4));
}

/// rdtsc inline on x86-64, where the runtime calibrates it; a runtime call
/// elsewhere (llvm.readcyclecounter is not portable enough).
Value *HotPath::emitReadClock(IRBuilder<> &B) const {
  CallInst *Read;
  if (IsX86_64)
    Read = B.CreateCall(getIntrinsic(M, Intrinsic::x86_rdtsc), {});
  else
    Read = B.CreateCall(declareRuntimeFunction(M, "__codensm_clock"), {});
  Read->setDoesNotThrow();
  return Read;
}

void HotPath::emitStop(IRBuilder<> &B, Value *Chunk, uint64_t Slot,
                       Value *Start) const {
  Value *End = emitReadClock(B);
  // A thread that moved to a CPU whose counter lags must not add 2^64 ticks.
  Value *Elapsed =
      B.CreateSelect(B.CreateICmpUGT(End, Start), B.CreateSub(End, Start),
                     ConstantInt::get(I64, 0));
  emitIncrement(B, slotField(B, Chunk, Slot, SlotTicks), Elapsed);
}

/// before >= the slot's target in the chunk's next[] (codensm_abi.h), in
/// 32 bits: the runtime sets the target after each timed call, a random
/// distance on.
Value *HotPath::emitIsSampled(IRBuilder<> &B, Value *Before, Value *Chunk,
                              uint64_t Slot) const {
  Type *I32 = Type::getInt32Ty(Ctx);
  uint64_t Offset = abi::CHUNK_TARGETS_OFFSET + 4 * (Slot % abi::CHUNK_SLOTS);
  Value *TargetField = B.CreatePointerCast(
      B.CreateConstInBoundsGEP1_64(I8, Chunk, Offset), ptrTo(I32));
  Value *Target =
      B.CreateAlignedLoad(I32, TargetField, Align(4), "codensm.next");
  return B.CreateICmpUGE(B.CreateTrunc(Before, I32), Target, "codensm.sampled");
}

} // namespace codensm
