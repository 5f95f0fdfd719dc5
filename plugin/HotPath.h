//===- HotPath.h - the inline code that counts and times a call ---------===//
//
// The hooks reach the optimiser as two calls into the runtime (Markers.h),
// which keeps the IR every pass walks small.  After the optimiser,
// ExpandHooksPass replaces each call with the code built here: one
// non-locked xadd to count, a test of the sample mask, and on the rare
// sampled call a cold helper that reads the clock.  The layouts are those
// of runtime/codensm_abi.h.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_HOTPATH_H
#define CODENSM_HOTPATH_H

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace codensm {

/// Declares one of libcodensm's entry points (runtime/codensm_abi.h).  None
/// throws, so each is nounwind (EscapeEnumerator must not wrap our own
/// calls in invokes); Extra adds what a particular one promises.
llvm::FunctionCallee
declareRuntimeFunction(llvm::Module &M, llvm::StringRef Name,
                       llvm::FunctionType *Ty,
                       llvm::ArrayRef<llvm::Attribute::AttrKind> Extra = {});

enum class TimingMode { Sampled = 0, Every = 1, Off = 2 };

// Must match runtime/codensm_abi.h.
enum SlotField { SlotCalls = 0, SlotErrors = 1, SlotSamples = 2, SlotTicks = 3 };
enum BlockField { BlockAttached = 0, BlockSlots = 4 };

/// IR for the counters of one module's thread_local block.
class HotPath {
public:
  HotPath(llvm::Module &M, llvm::GlobalVariable *TlsBlock);

  /// Address of one counter of slot Index in this thread's block.
  llvm::Constant *slotField(unsigned Index, SlotField Field) const;
  llvm::Value *slotField(llvm::IRBuilder<> &B, llvm::Value *Index,
                         SlotField Field) const;

  /// Adds Amount to a counter only this thread writes.
  void emitIncrement(llvm::IRBuilder<> &B, llvm::Value *Counter,
                     llvm::Value *Amount) const;
  /// Adds one call and returns the count before it.
  llvm::Value *emitCountCall(llvm::IRBuilder<> &B, llvm::Value *Calls) const;
  llvm::Value *emitReadClock(llvm::IRBuilder<> &B) const;
  /// Links this thread's block into the runtime the first time the thread
  /// calls into the module.
  void emitAttach(llvm::IRBuilder<> &B, llvm::Constant *Desc) const;
  /// One more sample of slot Index, with the ticks since Start.
  void emitStop(llvm::IRBuilder<> &B, llvm::Value *Index,
                llvm::Value *Start) const;
  /// `(calls before this one & __codensm_sample_mask) == 0`.
  llvm::Value *emitIsSampled(llvm::IRBuilder<> &B, llvm::Value *Before) const;

private:
  llvm::Module &M;
  llvm::LLVMContext &Ctx;
  llvm::GlobalVariable *TlsBlock;
  llvm::Type *BlockTy;
  llvm::IntegerType *I32, *I64;
  bool IsX86_64;
};

} // namespace codensm

#endif // CODENSM_HOTPATH_H
