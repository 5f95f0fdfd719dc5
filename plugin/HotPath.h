// SPDX-License-Identifier: Apache-2.0
//===- HotPath.h - the inline code that counts and times a call ---------===//
//
// The hooks reach the optimiser as two calls into the runtime (Markers.h),
// which keeps the IR every pass walks small.  After the optimiser,
// ExpandHooksPass replaces each call with the code built here: find this
// thread's chunk of the function's slot (two loads, and on a thread's first
// call of the chunk a cold runtime call), one non-locked xadd to count, a
// test of the sample mask, and on the rare sampled call a cold helper that
// reads the clock.  The layouts are those of include/codensm_abi.inc.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_HOTPATH_H
#define CODENSM_HOTPATH_H

#include "Abi.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace codensm {

/// Declares one of libcodensm's entry points (include/codensm_abi.inc).
/// None throws, so each is nounwind (EscapeEnumerator must not wrap our
/// own calls in invokes); Extra adds what a particular one promises.
llvm::FunctionCallee
declareRuntimeFunction(llvm::Module &M, llvm::StringRef Name,
                       llvm::ArrayRef<llvm::Attribute::AttrKind> Extra = {});

enum class TimingMode { Sampled = 0, Every = 1, Off = 2 };

enum SlotField : unsigned {
  SlotCalls = abi::field("slot", "calls"),
  SlotErrors = abi::field("slot", "errors"),
  SlotSamples = abi::field("slot", "samples"),
  SlotTicks = abi::field("slot", "ticks"),
};

/// The counters of one instrumented unit: the function naming the unit to
/// the runtime and the thread_local home of this thread's chunks.
class HotPath {
public:
  HotPath(llvm::Module &M, llvm::Function *Unit, llvm::GlobalVariable *TlsHome);

  /// This thread's chunk holding slot Slot (a constant): never null, the
  /// runtime's sentinel until the thread's first call of one of the
  /// chunk's functions.
  llvm::Value *emitChunk(llvm::IRBuilder<> &B, uint64_t Slot) const;
  /// Whether Slot is in chunk 0, which the home holds itself: one load.
  static bool inHome(uint64_t Slot) { return Slot < abi::CHUNK_SLOTS; }
  /// This thread's chunk 0 of the unit, from its home.
  llvm::Value *emitHomeChunk(llvm::IRBuilder<> &B) const;
  /// Any other chunk in two steps, so that hooks side by side load the
  /// directory and a chunk once: this thread's directory, and its chunk of
  /// Slot (not in chunk 0).
  llvm::Value *emitDir(llvm::IRBuilder<> &B) const;
  llvm::Value *emitChunkOf(llvm::IRBuilder<> &B, llvm::Value *Dir,
                           uint64_t Slot) const;
  /// The same, but a real chunk: the sentinel is replaced by a rare call
  /// that allocates the thread's chunk (-codensm-timing=every's entries).
  llvm::Value *emitRealChunk(llvm::IRBuilder<> &B, uint64_t Slot) const;
  /// The address of Slot's recursion depth (a 16-bit counter) in Chunk.
  llvm::Value *depthField(llvm::IRBuilder<> &B, llvm::Value *Chunk,
                          uint64_t Slot) const;
  /// Chunk itself, or the thread's real chunk of Slot when Chunk is the
  /// sentinel (its header's real is 0).
  llvm::Value *emitMadeReal(llvm::IRBuilder<> &B, llvm::Value *Chunk,
                            uint64_t Slot) const;
  /// Address of one counter of slot Slot within Chunk.
  llvm::Value *slotField(llvm::IRBuilder<> &B, llvm::Value *Chunk,
                         uint64_t Slot, SlotField Field) const;

  /// Adds Amount to a counter only this thread writes.
  void emitIncrement(llvm::IRBuilder<> &B, llvm::Value *Counter,
                     llvm::Value *Amount) const;
  /// Adds one call and returns the count before it.
  llvm::Value *emitCountCall(llvm::IRBuilder<> &B, llvm::Value *Calls) const;
  llvm::Value *emitReadClock(llvm::IRBuilder<> &B) const;
  /// The ticks since Start of a timed call of slot Slot in Chunk (its
  /// sample counted at its entry).
  void emitStop(llvm::IRBuilder<> &B, llvm::Value *Chunk, uint64_t Slot,
                llvm::Value *Start) const;
  /// A frame of a recursive function entered inside an open frame of its
  /// function, counted as the runtime's sampled path would weigh it: its
  /// call, a sample of weight 1 with the probe's ticks, and one more call
  /// before the slot's target (codensm_abi.inc, ABI 8).
  void emitNestedFrame(llvm::IRBuilder<> &B, llvm::Value *Chunk,
                       uint64_t Slot) const;
  /// `calls before this one >= the slot's target` (the chunk's next[]).
  llvm::Value *emitIsSampled(llvm::IRBuilder<> &B, llvm::Value *Before,
                             llvm::Value *Chunk, uint64_t Slot) const;
  /// The unit, as the runtime's entry points take it.
  llvm::Constant *unitArg() const;
  /// A call to one of the runtime's rare entry points (__codensm_chunk,
  /// __codensm_sample_start, __codensm_sample_stop): cold, and on x86-64
  /// preserve_most through the GOT, so it clobbers no register the
  /// instrumented function keeps values in (the runtime's trampolines
  /// keep that promise) and a small leaf function needs no frame for it.
  llvm::CallInst *emitRareCall(llvm::IRBuilder<> &B, llvm::StringRef Name,
                               llvm::ArrayRef<llvm::Value *> Args) const;

private:
  /// The address of one of the home's pointers (codensm_abi.inc).
  llvm::Value *homeField(llvm::IRBuilder<> &B, const char *Field) const;

  llvm::Module &M;
  llvm::LLVMContext &Ctx;
  llvm::Function *Unit;
  llvm::GlobalVariable *TlsHome;
  llvm::IntegerType *I8, *I64;
  llvm::PointerType *Ptr;
  bool IsX86_64;
};

} // namespace codensm

#endif // CODENSM_HOTPATH_H
