// SPDX-License-Identifier: Apache-2.0
//===- ExpandHooks.cpp - the hooks become inline code after the optimiser -===//
//
// Runs at the end of the optimisation pipeline (OptimizerLast: every -O
// level and the compile step of thin and full LTO), when inlining has
// copied the hook calls wherever their functions' bodies went.  Each
// @__codensm_enter becomes
//     chunk = this thread's chunk of the slot (the sentinel before its
//             first use, whose targets 0 send the call to the runtime)
//     old = xadd(chunk.calls, 1)
//     t0  = (uint32_t)old >= chunk.next[slot]
//           ? (e = __codensm_sample_start(unit, slot, chunk),
//              e == 15 ? 0 : (clock() & ~15) | e)
//           : 0             (e: the period, log2, it weighs; 15 nested)
// (of a function never timed, and of an inlined copy of one timed in its
// own body only, only `chunk.calls += 1` in its real chunk)
// and each @__codensm_exit(t0, is_error)
//     if (is_error) chunk.errors += 1, __codensm_error(unit, slot, mark)
//     if (t0) __codensm_sample_stop(unit, slot, t0, clock())
// where mark, the thread's error epoch at entry (@__codensm_error_mark in
// functions that can fail), becomes one load of a thread_local; and each
// call site's @__codensm_edge(unit, slot)
//     chunk = this thread's chunk of the slot (real: the caller's entry ran)
//     chunk.calls += 1
// where the rare calls go into the runtime (runtime/hooks.c).  Under
// -codensm-timing=every the clock is read inline on every call instead.
//
//===----------------------------------------------------------------------===//
#include "CodeNSM.h"
#include "Compat.h"
#include "CopiesFromEdges.h"
#include "HotPath.h"
#include "Markers.h"
#include "TimedTwins.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Local.h"

#include <memory>

using namespace llvm;

// At -O0 the hooks stay calls into the runtime (__codensm_enter and
// __codensm_exit count exactly and time the same samples): the inline hot
// path is some twenty instructions and three blocks per function, which
// the code generator pays for in every build.  A file of 5,000 one-line
// functions compiles at -O0 in 5.7x the plain time with it and 1.5x
// without; a debug build runs slowly anyway, and the calls cost it some
// nanoseconds each.
static cl::opt<bool> ClExpandAtO0(
    "codensm-expand-O0",
    cl::desc("Make the hook calls inline code at -O0 too (by default an "
             "unoptimised build keeps them as calls into the runtime, which "
             "compiles several times faster)"),
    cl::init(false), cl::Hidden);

static cl::opt<bool> ClExpand(
    "codensm-expand",
    cl::desc("Make the hook calls inline code after the optimiser (when off "
             "they stay calls into the runtime: same counts, slower)"),
    cl::init(true), cl::Hidden);

static cl::opt<bool> ClChunkReuse(
    "codensm-chunk-reuse",
    cl::desc("Count into a chunk pointer a dominating block already holds "
             "known real, rather than loading it again from the directory"),
    cl::init(true), cl::Hidden);

namespace codensm {
namespace {

/// The expansion state of one instrumented translation unit.
struct UnitHooks {
  ModuleTables Tables;
  std::unique_ptr<HotPath> Path;
};

/// The directory and chunks the entries of one of the optimiser's blocks
/// already loaded: inlining leaves a caller's and its callees' entries
/// side by side (an unrolled loop of an inlined helper, several helpers in
/// a row), and the later ones use them again instead of loading them after
/// each count (an asm statement the code generator cannot move loads
/// across).  A chunk loaded before the runtime replaced the sentinel is
/// still right: the sentinel sends each call to the runtime, which counts
/// it in the thread's chunk.
struct LoadedChunks {
  const BasicBlock *Block = nullptr;
  const UnitHooks *Unit = nullptr;
  Value *Dir = nullptr;
  DenseMap<uint64_t, Value *> Chunks; ///< by chunk index
  /// The ones an edge's count already made real (never the sentinel).
  DenseMap<uint64_t, Value *> Real;
  /// Chunks an earlier hook of the block surely made real, though the
  /// value loaded may predate it: a load after the hook is real.
  DenseSet<uint64_t> MadeReal;
  /// The directory loaded after a hook made a chunk real.  Dir may be
  /// older: a thread's first call replaces the empty directory, whose
  /// chunks are all the sentinel, by its own.
  Value *DirAfterReal = nullptr;
};

/// Where a thread's chunk is surely real already: after any expanded hook
/// of that unit's chunk (an entry reaches the runtime while its chunk is
/// the sentinel, an edge's count and a depth make theirs real first), so
/// in every block that hook's block dominates.  A block's test that the
/// chunk is real is left out there: on Redis most edge counts sit in
/// blocks below their function's entry, each with its own test and cold
/// call.
class KnownRealChunks {
public:
  /// Block holds a hook of Unit's chunk Chunk (its block before expansion).
  void addSource(const BasicBlock *Block, const void *Unit, uint64_t Chunk) {
    Sources.insert({Block, Unit, Chunk});
  }
  /// Whether a block strictly dominating Block made Unit's chunk real.
  bool knownReal(const BasicBlock *Block, const void *Unit, uint64_t Chunk);
  /// Block's expansion holds Real, Unit's chunk Chunk known real, defined
  /// where it dominates every block Block dominates.
  void addRealValue(const BasicBlock *Block, const void *Unit, uint64_t Chunk,
                    Value *Real) {
    RealValues.insert({{Block, Unit, Chunk}, Real});
  }
  /// Such a value of the nearest block strictly dominating Block, or null.
  Value *dominatingReal(const BasicBlock *Block, const void *Unit,
                        uint64_t Chunk);

private:
  /// How far up the dominator tree a query looks: bounds the compile
  /// time of huge functions (a longer way only keeps a test).
  static constexpr unsigned MaxDepth = 64;
  const BasicBlock *
  nearestDominating(const BasicBlock *Block,
                    function_ref<bool(const BasicBlock *)> Found);
  DenseSet<std::tuple<const BasicBlock *, const void *, uint64_t>> Sources;
  DenseMap<std::tuple<const BasicBlock *, const void *, uint64_t>, Value *>
      RealValues;
  const Function *TreeOf = nullptr;
  std::unique_ptr<DominatorTree> Tree;
};

/// The nearest block strictly dominating Block that Found accepts, within
/// MaxDepth steps up the dominator tree, or null.
const BasicBlock *KnownRealChunks::nearestDominating(
    const BasicBlock *Block, function_ref<bool(const BasicBlock *)> Found) {
  const Function *F = Block->getParent();
  if (TreeOf != F) {
    // Built at the function's first query, before its blocks are split
    // (a split keeps the head, so the original blocks' dominance holds).
    Tree = std::make_unique<DominatorTree>(const_cast<Function &>(*F));
    TreeOf = F;
  }
  DomTreeNode *Node = Tree->getNode(Block);
  for (unsigned Up = 0; Node && Up < MaxDepth; ++Up) {
    Node = Node->getIDom();
    if (Node && Found(Node->getBlock()))
      return Node->getBlock();
  }
  return nullptr;
}

bool KnownRealChunks::knownReal(const BasicBlock *Block, const void *Unit,
                                uint64_t Chunk) {
  return nearestDominating(Block, [&](const BasicBlock *Up) {
    return Sources.count({Up, Unit, Chunk});
  });
}

Value *KnownRealChunks::dominatingReal(const BasicBlock *Block,
                                       const void *Unit, uint64_t Chunk) {
  Value *Real = nullptr;
  nearestDominating(Block, [&](const BasicBlock *Up) {
    return (Real = RealValues.lookup({Up, Unit, Chunk})) != nullptr;
  });
  return Real;
}

class HookExpander {
public:
  explicit HookExpander(Module &M) : M(M), Ctx(M.getContext()) {}
  bool run();

private:
  UnitHooks *unitOf(const CallInst *Hook);
  void useBlock(const BasicBlock *Block, const UnitHooks &Unit);
  Value *chunkFor(IRBuilder<> &B, const BasicBlock *Block, UnitHooks &Unit,
                  uint64_t Slot);
  Value *loadChunk(IRBuilder<> &B, const BasicBlock *Block, UnitHooks &Unit,
                   uint64_t Slot, bool AfterReal);
  void expandEnter(CallInst *Hook, const BasicBlock *Block, UnitHooks &Unit);
  Value *expandSampledEntry(CallInst *Hook, Instruction *At, UnitHooks &Unit,
                            Value *Chunk, Value *&Real);
  void noteRealAfterEntry(const BasicBlock *Block, UnitHooks &Unit,
                          uint64_t Slot, Value *Real);
  void expandTwinEntry(CallInst *Hook, Function &Twin, UnitHooks &Unit);
  void expandExit(CallInst *Hook, UnitHooks &Unit);
  bool staysRuntimeCall(CallInst *Hook, const UnitHooks &Unit) const;
  void expandErrorCount(CallInst *Hook, UnitHooks &Unit, uint64_t Slot);
  void expandErrorMark(CallInst *Hook);
  void expandEdge(CallInst *Hook, const BasicBlock *Block, UnitHooks &Unit);
  void expandDepth(CallInst *Hook, const BasicBlock *Block, UnitHooks &Unit);
  Value *realChunkFor(IRBuilder<> &B, const BasicBlock *Block, UnitHooks &Unit,
                      uint64_t Slot);
  Value *chunkMadeRealBefore(IRBuilder<> &B, const BasicBlock *Block,
                             UnitHooks &Unit, uint64_t Slot);

  Module &M;
  LLVMContext &Ctx;
  DenseMap<const Value *, UnitHooks> Units; ///< by unit function
  LoadedChunks Loaded;
  KnownRealChunks KnownReal;
  TwinMap Twins; ///< by the function's own entry hook
  /// Each twin's own entry, by the copy of the function's entry hook it
  /// holds (TimedTwins.h).
  DenseMap<const CallInst *, Function *> TwinEntries;
  /// The real chunks timed entries join (noteRealAfterEntry); those no
  /// later count used are removed with their cold reloads.
  SmallVector<PHINode *, 16> RealJoins;
  /// Inlined copies whose calls their call sites' edges count.
  CopiesFromEdges Copies;
};

/// The calls to any of Hooks in program order, each with the block it is
/// in.
std::vector<std::pair<CallInst *, BasicBlock *>>
callsInOrder(Module &M, std::initializer_list<Function *> Hooks) {
  std::vector<std::pair<CallInst *, BasicBlock *>> Calls;
  if (llvm::all_of(Hooks, [](Function *H) { return !H || H->use_empty(); }))
    return Calls;
  for (Function &F : M)
    for (BasicBlock &BB : F)
      for (Instruction &I : BB)
        if (auto *Call = dyn_cast<CallInst>(&I))
          if (Value *Callee = Call->getCalledOperand();
              Callee && llvm::is_contained(Hooks, Callee))
            Calls.push_back({Call, &BB});
  return Calls;
}

/// The unit the hook names; null when the hook is not
/// ours to expand (then it stays a runtime call, which works as well).
/// The slot must be a constant, as the pass placed it.
UnitHooks *HookExpander::unitOf(const CallInst *Hook) {
  if (!isa<ConstantInt>(Hook->getArgOperand(1)))
    return nullptr;
  auto It = Units.find(Hook->getArgOperand(0)->stripPointerCasts());
  return It == Units.end() ? nullptr : &It->second;
}

static uint64_t slotOf(CallInst *Hook) {
  return cast<ConstantInt>(Hook->getArgOperand(1))->getZExtValue();
}

/// The loads cached are those of Block's hooks of Unit.
void HookExpander::useBlock(const BasicBlock *Block, const UnitHooks &Unit) {
  if (Loaded.Block != Block || Loaded.Unit != &Unit) {
    Loaded = LoadedChunks();
    Loaded.Block = Block;
    Loaded.Unit = &Unit;
  }
}

Value *HookExpander::chunkFor(IRBuilder<> &B, const BasicBlock *Block,
                              UnitHooks &Unit, uint64_t Slot) {
  return loadChunk(B, Block, Unit, Slot, /*AfterReal=*/false);
}

/// The chunk of Slot loaded once per block: from the block's first
/// directory load, or (AfterReal) from one after a hook made it real.
Value *HookExpander::loadChunk(IRBuilder<> &B, const BasicBlock *Block,
                               UnitHooks &Unit, uint64_t Slot, bool AfterReal) {
  useBlock(Block, Unit);
  uint64_t Index = Slot / abi::CHUNK_SLOTS;
  Value *&Chunk = AfterReal ? Loaded.Real[Index] : Loaded.Chunks[Index];
  Value *&Dir = AfterReal ? Loaded.DirAfterReal : Loaded.Dir;
  // A chunk known real serves an entry as well: its count and its sample
  // test read the thread's own targets.
  if (!Chunk && !AfterReal && ClChunkReuse)
    Chunk = Loaded.Real.lookup(Index);
  if (!Chunk && ClChunkReuse)
    Chunk = KnownReal.dominatingReal(Block, &Unit, Index);
  if (!Chunk) {
    if (HotPath::inHome(Slot)) {
      Chunk = Unit.Path->emitHomeChunk(B);
    } else {
      if (!Dir)
        Dir = Unit.Path->emitDir(B);
      Chunk = Unit.Path->emitChunkOf(B, Dir, Slot);
    }
    if (AfterReal)
      KnownReal.addRealValue(Block, &Unit, Index, Chunk);
  }
  return Chunk;
}

/// A sampled call's start, where B is (Hook: an entry of Chunk's slot): the
/// runtime's sample_start, then the clock, read after the runtime's call so
/// that the interval holds the body, not the call's way back; its low bits
/// carry the period the call was chosen at to the stop (its weight).  A
/// frame nested inside an open frame of its function (NESTED_FRAME) reads
/// no clock and starts nothing (0): the outer frame's time holds it, and a
/// recursion whose outer calls are slow, so timed every time, sends every
/// nested frame here (bench/ tree: two clock reads were 21 of its 31 ns).
static Value *emitSampleStart(IRBuilder<> &B, const HotPath &Path,
                              CallInst *Hook, Value *Chunk) {
  CallInst *Weight =
      Path.emitRareCall(B, "__codensm_sample_start",
                        {Path.unitArg(), Hook->getArgOperand(1), Chunk});
  Type *I64 = B.getInt64Ty();
  BasicBlock *Head = B.GetInsertBlock();
  Instruction *After = &*B.GetInsertPoint();
  Instruction *TimedTerm = SplitBlockAndInsertIfThen(
      B.CreateICmpNE(Weight, ConstantInt::get(I64, abi::NESTED_FRAME)), After,
      false);
  TimedTerm->getParent()->setName("codensm.clock");
  IRBuilder<> TB(TimedTerm);
  TB.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  Value *Stamp = TB.CreateOr(
      TB.CreateAnd(Path.emitReadClock(TB),
                   ConstantInt::get(I64, ~uint64_t(abi::SAMPLE_WEIGHT_MASK))),
      Weight, "codensm.stamp");
  After->getParent()->setName("codensm.sample.end");
  B.SetInsertPoint(After);
  PHINode *Start = B.CreatePHI(I64, 2, "codensm.started");
  Start->addIncoming(ConstantInt::get(I64, 0), Head);
  Start->addIncoming(Stamp, TimedTerm->getParent());
  return Start;
}

/// A twin's copy of its function's entry: the start of the sampled call
/// the function counted and chose, told to the runtime with the chunk the
/// function read (the twin's last parameter).  The twin's exits test its
/// start as the function's do: a nested frame's is 0.
void HookExpander::expandTwinEntry(CallInst *Hook, Function &Twin,
                                   UnitHooks &Unit) {
  IRBuilder<> B(Hook);
  B.SetCurrentDebugLocation(Hook->getDebugLoc());
  Value *Started =
      emitSampleStart(B, *Unit.Path, Hook, Twin.getArg(Twin.arg_size() - 1));
  Hook->replaceAllUsesWith(Started);
  Hook->eraseFromParent();
}

/// The count and sample test of a timed entry (Hook), placed before At:
/// returns the call's start at At (0 when it is not timed), and in Real
/// the thread's real chunk there when it is known (the chunk tested, or a
/// join of it and the chunk the sampled path loaded again), else null.
Value *HookExpander::expandSampledEntry(CallInst *Hook, Instruction *At,
                                        UnitHooks &Unit, Value *Chunk,
                                        Value *&Real) {
  const HotPath &Path = *Unit.Path;
  uint64_t Slot = slotOf(Hook);
  Type *I64 = Type::getInt64Ty(Ctx);
  IRBuilder<> B(At);
  B.SetCurrentDebugLocation(Hook->getDebugLoc());
  Value *Before =
      Path.emitCountCall(B, Path.slotField(B, Chunk, Slot, SlotCalls));
  BasicBlock *Head = B.GetInsertBlock();
  Value *Sampled = Path.emitIsSampled(B, Before, Chunk, Slot);
  Instruction *SampleTerm = SplitBlockAndInsertIfThen(
      Sampled, At, false, MDBuilder(Ctx).createBranchWeights(1, 63));
  SampleTerm->getParent()->setName("codensm.sample");
  IRBuilder<> SB(SampleTerm);
  SB.SetCurrentDebugLocation(Hook->getDebugLoc());
  if (auto Twin = Twins.find(Hook); Twin != Twins.end()) {
    // The sampled call goes on in the twin, which starts the clock and
    // whose exits stop it; this body's exits have nothing to stop, and
    // its sampled path calls nothing (TimedTwins.h).
    CallInst *Call =
        callTwin(SB, *Hook->getFunction(), *Twin->second.Body, Chunk);
    if (Call->getType()->isVoidTy())
      SB.CreateRetVoid();
    else
      SB.CreateRet(Call);
    SampleTerm->eraseFromParent();
    // Only the unsampled path goes on, and the sentinel is always
    // sampled: the chunk tested is the thread's real one.
    Real = ClChunkReuse ? Chunk : nullptr;
    return ConstantInt::get(I64, 0);
  }
  Value *Started = emitSampleStart(SB, Path, Hook, Chunk);
  // The sampled path may have tested the sentinel, which the runtime
  // has just replaced; the unsampled one tested the real chunk.
  Value *Reloaded = ClChunkReuse ? Path.emitChunk(SB, Slot) : nullptr;
  B.SetInsertPoint(At); // first in the block after the split
  PHINode *Phi = B.CreatePHI(I64, 2, "codensm.start");
  Phi->addIncoming(ConstantInt::get(I64, 0), Head);
  Phi->addIncoming(Started, SampleTerm->getParent());
  Real = nullptr;
  if (Reloaded) {
    PHINode *RealPhi = B.CreatePHI(Chunk->getType(), 2, "codensm.real");
    RealPhi->addIncoming(Chunk, Head);
    RealPhi->addIncoming(Reloaded, SampleTerm->getParent());
    Real = RealPhi;
  }
  return Phi;
}

/// Whether Hook, a timed entry, is of a function that keeps its recursion
/// depth: its depth's +1 follows in the block (CodeNSM.cpp places it right
/// after the entry, and inlining keeps them together).
static bool entersRecursion(const CallInst *Hook) {
  for (const Instruction *I = Hook->getNextNode(); I; I = I->getNextNode()) {
    const auto *Call = dyn_cast<CallInst>(I);
    const Function *Callee = Call ? Call->getCalledFunction() : nullptr;
    if (!Callee || Callee->getName() != DepthHookName)
      continue;
    const auto *Delta = dyn_cast<ConstantInt>(Call->getArgOperand(2));
    if (Call->getArgOperand(0) == Hook->getArgOperand(0) &&
        Call->getArgOperand(1) == Hook->getArgOperand(1) && Delta &&
        Delta->isOne())
      return true;
  }
  return false;
}

/// Block: the block the optimiser left the hook in; expanding the entries
/// before it in that block splits it, and they are expanded in order.
void HookExpander::expandEnter(CallInst *Hook, const BasicBlock *Block,
                               UnitHooks &Unit) {
  const HotPath &Path = *Unit.Path;
  IRBuilder<> B(Hook);
  B.SetCurrentDebugLocation(Hook->getDebugLoc());
  uint64_t Slot = slotOf(Hook);
  Value *Start = nullptr;
  Type *I64 = Type::getInt64Ty(Ctx);
  // An inlined copy of a small function timed in its own body only: its
  // exits see a call that was never timed and stop nothing.
  if (Unit.Tables.Timing == TimingMode::Sampled && isUntimedInlinedCopy(Hook))
    Hook->replaceAllUsesWith(ConstantInt::get(I64, 0));
  if (Unit.Tables.Timing == TimingMode::Every) {
    Value *Chunk = Path.emitRealChunk(B, Slot);
    Path.emitIncrement(B, Path.slotField(B, Chunk, Slot, SlotCalls),
                       ConstantInt::get(I64, 1));
    if (!Hook->use_empty()) {
      // The sample counts at the entry: a call that never returns (a
      // longjmp out of it) stands for itself with no time.
      Path.emitIncrement(B, Path.slotField(B, Chunk, Slot, SlotSamples),
                         ConstantInt::get(I64, 1));
      Start = Path.emitReadClock(B);
    }
  } else if (Hook->use_empty()) {
    // A function that is never timed (an accessor under the untimed
    // policy, -codensm-timing=off, setjmp): the count alone, into the
    // thread's real chunk, which a block's other counts share.  No sample
    // test, and no start time kept to the exits: on Redis that test and
    // that register were most of what an accessor's probe cost.
    Value *Chunk = realChunkFor(B, Block, Unit, Slot);
    Path.emitIncrement(B, Path.slotField(B, Chunk, Slot, SlotCalls),
                       ConstantInt::get(I64, 1));
  } else {
    Value *Chunk = chunkFor(B, Block, Unit, Slot);
    Value *Real = nullptr;
    if (Unit.Tables.Timing == TimingMode::Sampled && entersRecursion(Hook)) {
      // A frame of a recursion the pass counts, entered inside an open
      // frame of its function (its depth, raised after this entry, above
      // 0), is never timed: the outer frame's time holds it.  It counts
      // inline what the runtime's sampled path would have (ABI 8): its
      // call, a sample of weight 1 whose ticks are the probe's (which the
      // estimate takes off again), and one more call before the next
      // timed one, so that only outermost frames move the sampling on.
      // Every frame of a deep recursion whose outermost calls are slow
      // went to the runtime (bench/ tree: 10 ns a frame).
      Value *Depth =
          B.CreateAlignedLoad(B.getInt16Ty(), Path.depthField(B, Chunk, Slot),
                              Align(2), true, "codensm.depth");
      Instruction *NestedTerm = nullptr, *OuterTerm = nullptr;
      SplitBlockAndInsertIfThenElse(
          B.CreateICmpNE(Depth, B.getInt16(0), "codensm.is_nested"), Hook,
          &NestedTerm, &OuterTerm);
      NestedTerm->getParent()->setName("codensm.nested");
      OuterTerm->getParent()->setName("codensm.outer");
      IRBuilder<> NB(NestedTerm);
      NB.SetCurrentDebugLocation(Hook->getDebugLoc());
      Path.emitNestedFrame(NB, Chunk, Slot);
      Value *OuterReal = nullptr;
      Value *OuterStart =
          expandSampledEntry(Hook, OuterTerm, Unit, Chunk, OuterReal);
      B.SetInsertPoint(Hook); // first in the block both paths join
      if (isa<Constant>(OuterStart)) {
        Start = OuterStart;
      } else {
        PHINode *Phi = B.CreatePHI(I64, 2, "codensm.start");
        Phi->addIncoming(ConstantInt::get(I64, 0), NestedTerm->getParent());
        Phi->addIncoming(OuterStart, OuterTerm->getParent());
        Start = Phi;
      }
      // A nested frame's chunk is real: its outer frame's entry made it.
      if (OuterReal == Chunk) {
        Real = Chunk;
      } else if (OuterReal) {
        PHINode *RealPhi = B.CreatePHI(Chunk->getType(), 2, "codensm.real");
        RealPhi->addIncoming(Chunk, NestedTerm->getParent());
        RealPhi->addIncoming(OuterReal, OuterTerm->getParent());
        RealJoins.push_back(RealPhi);
        Real = RealPhi;
      }
    } else {
      Start = expandSampledEntry(Hook, Hook, Unit, Chunk, Real);
      if (Real && Real != Chunk)
        RealJoins.push_back(cast<PHINode>(Real));
    }
    if (Real)
      noteRealAfterEntry(Block, Unit, Slot, Real);
  }
  if (Start)
    Hook->replaceAllUsesWith(Start);
  Hook->eraseFromParent();
}

/// After a timed entry, Real is this thread's real chunk of Slot: the
/// block's later counts and the blocks it dominates count into it rather
/// than loading the directory and the chunk again.
void HookExpander::noteRealAfterEntry(const BasicBlock *Block, UnitHooks &Unit,
                                      uint64_t Slot, Value *Real) {
  if (!ClChunkReuse)
    return;
  useBlock(Block, Unit);
  uint64_t Index = Slot / abi::CHUNK_SLOTS;
  if (Loaded.Real.count(Index))
    return;
  Loaded.Real[Index] = Real;
  KnownReal.addRealValue(Block, &Unit, Index, Real);
}

/// An exit that is an error whatever happens (a call unwinding through a
/// cleanup pad, or a return the optimiser folded to an error value) stays
/// the runtime's __codensm_exit, which counts the error, its root cause and
/// a sampled call's time as the inline code would: an error already calls
/// the runtime (its cause), and an exception costs microseconds, so one
/// call is all the pad needs.  Expanded, each pad held the chunk's loads,
/// the increment, the cause's call and a sampled start's test, clock read
/// and stop, in every function and inlined copy a C++ exception can leave:
/// fmtlib's os-test.cc grew 345 KB of .text against 126 KB plain, 304 KB
/// with its pads as calls.  The end's clock is then read in the runtime, a
/// call later than inline: a sampled call that fails runs a few ns long,
/// next to the microseconds of an exception.  -codensm-timing=every keeps
/// its own inline stop (its start carries no sample weight).
bool HookExpander::staysRuntimeCall(CallInst *Hook,
                                    const UnitHooks &Unit) const {
  auto *IsError = dyn_cast<ConstantInt>(Hook->getArgOperand(3));
  if (!IsError || IsError->isZero())
    return false;
  return isa<Constant>(Hook->getArgOperand(2)) ||
         Unit.Tables.Timing == TimingMode::Sampled;
}

/// is_error: a constant 0 adds nothing; a constant 1 (here only an exit
/// of -codensm-timing=every that stops a clock) counts straight away; a
/// computed one counts under a branch, so the common successful exit
/// touches no counter.
void HookExpander::expandErrorCount(CallInst *Hook, UnitHooks &Unit,
                                    uint64_t Slot) {
  Value *IsError = Hook->getArgOperand(3);
  auto *Const = dyn_cast<ConstantInt>(IsError);
  if (Const && Const->isZero())
    return;
  Instruction *At = Hook;
  if (!Const) {
    IRBuilder<> B(Hook);
    At = SplitBlockAndInsertIfThen(
        B.CreateICmpNE(IsError, ConstantInt::get(IsError->getType(), 0)), Hook,
        false, MDBuilder(Ctx).createBranchWeights(1, 1000));
    At->getParent()->setName("codensm.error");
  }
  IRBuilder<> EB(At);
  EB.SetCurrentDebugLocation(Hook->getDebugLoc());
  // The entry of this call found or made the thread's real chunk, unless
  // it was a copy its edge counts (CopiesFromEdges.h): then this rare path
  // makes it real.
  Value *Chunk = Copies.Slots.count({Unit.Tables.Unit, Slot})
                     ? Unit.Path->emitRealChunk(EB, Slot)
                     : Unit.Path->emitChunk(EB, Slot);
  Unit.Path->emitIncrement(EB,
                           Unit.Path->slotField(EB, Chunk, Slot, SlotErrors),
                           ConstantInt::get(Type::getInt64Ty(Ctx), 1));
  Unit.Path->emitRareCall(
      EB, "__codensm_error",
      {Unit.Path->unitArg(), Hook->getArgOperand(1), Hook->getArgOperand(4)});
}

/// An edge's count: the calls field of its slot in this thread's real
/// chunk, untested.  Unlike an entry's, the count cannot go to the
/// sentinel (no sampled path follows to move it), but the caller's entry
/// ran before it, and the runtime made the chunks of the caller's edges
/// real with the caller's own (ABI 6).  A test here, its branch and its
/// cold call, cost each counted call site of SQLite and Redis two
/// instructions and the code generator a block.
void HookExpander::expandEdge(CallInst *Hook, const BasicBlock *Block,
                              UnitHooks &Unit) {
  uint64_t Slot = slotOf(Hook);
  IRBuilder<> B(Hook);
  B.SetCurrentDebugLocation(Hook->getDebugLoc());
  Value *Chunk = chunkMadeRealBefore(B, Block, Unit, Slot);
  Unit.Path->emitIncrement(B, Unit.Path->slotField(B, Chunk, Slot, SlotCalls),
                           ConstantInt::get(Type::getInt64Ty(Ctx), 1));
  Hook->eraseFromParent();
}

/// This thread's real chunk of Slot, found once per chunk and block.
Value *HookExpander::realChunkFor(IRBuilder<> &B, const BasicBlock *Block,
                                  UnitHooks &Unit, uint64_t Slot) {
  useBlock(Block, Unit);
  uint64_t Index = Slot / abi::CHUNK_SLOTS;
  if (!Loaded.Real.count(Index) && (Loaded.MadeReal.count(Index) ||
                                    KnownReal.knownReal(Block, &Unit, Index)))
    return chunkMadeRealBefore(B, Block, Unit, Slot);
  Value *Found = chunkFor(B, Block, Unit, Slot);
  Value *&Chunk = Loaded.Real[Slot / abi::CHUNK_SLOTS];
  if (!Chunk) {
    Instruction *Here = &*B.GetInsertPoint();
    Chunk = Unit.Path->emitMadeReal(B, Found, Slot);
    B.SetInsertPoint(Here);
    KnownReal.addRealValue(Block, &Unit, Slot / abi::CHUNK_SLOTS, Chunk);
  }
  return Chunk;
}

/// This thread's chunk of Slot where an earlier hook of this call made it
/// real (a frame's exit: its entry did): loaded without the test.
Value *HookExpander::chunkMadeRealBefore(IRBuilder<> &B,
                                         const BasicBlock *Block,
                                         UnitHooks &Unit, uint64_t Slot) {
  // Not the block's first loads: they may predate the hook that made the
  // chunk real.
  return loadChunk(B, Block, Unit, Slot, /*AfterReal=*/true);
}

/// A recursive function's depth: a plain (volatile) 16-bit add in the
/// thread's real chunk.  The exit's -1 needs no test that the chunk is
/// real: the frame's +1 made it so, and a thread's chunk stays real.  Only this
/// thread writes it, and a signal handler that calls the function leaves it as
/// it found it, so no atomic is needed; volatile keeps the code generator from
/// folding an entry's +1 into an exit's -1 around the runtime's read.
void HookExpander::expandDepth(CallInst *Hook, const BasicBlock *Block,
                               UnitHooks &Unit) {
  uint64_t Slot = slotOf(Hook);
  auto *Delta = cast<ConstantInt>(Hook->getArgOperand(2));
  // An inlined copy of a function timed in its own body only is never
  // timed: its depth would only make a timed frame of its own body below
  // it count as nested, with no time (CodeNSM.cpp, markDepthsOwnBodyOnly).
  // A twin is its function's own body (its hooks' home, TimedTwins.cpp).
  if (Unit.Tables.Timing == TimingMode::Sampled && isUntimedInlinedCopy(Hook)) {
    Hook->eraseFromParent();
    return;
  }
  IRBuilder<> B(Hook);
  B.SetCurrentDebugLocation(Hook->getDebugLoc());
  Value *Chunk = Delta->isNegative() ? chunkMadeRealBefore(B, Block, Unit, Slot)
                                     : realChunkFor(B, Block, Unit, Slot);
  Type *I16 = Type::getInt16Ty(Ctx);
  Value *Field = Unit.Path->depthField(B, Chunk, Slot);
  LoadInst *Depth = B.CreateAlignedLoad(I16, Field, Align(2),
                                        /*isVolatile=*/true, "codensm.depth");
  B.CreateAlignedStore(
      B.CreateAdd(Depth, ConstantInt::get(I16, Delta->getSExtValue(), true)),
      Field, Align(2), /*isVolatile=*/true);
  Hook->eraseFromParent();
}

/// The runtime's thread_local error epoch, read where the mark was: one
/// load (initial-exec: libcodensm is loaded with the program, and its
/// static TLS block holds the epoch).
void HookExpander::expandErrorMark(CallInst *Hook) {
  Type *I64 = Type::getInt64Ty(Ctx);
  auto *Epoch = M.getGlobalVariable(ErrorEpochName);
  if (!Epoch) {
    Epoch = new GlobalVariable(M, I64, false, GlobalValue::ExternalLinkage,
                               nullptr, ErrorEpochName, nullptr,
                               GlobalValue::InitialExecTLSModel);
  }
  IRBuilder<> B(Hook);
  B.SetCurrentDebugLocation(Hook->getDebugLoc());
  Value *Mark = B.CreateAlignedLoad(I64, B.CreatePointerCast(Epoch, ptrTo(I64)),
                                    Align(8), "codensm.mark");
  Hook->replaceAllUsesWith(Mark);
  Hook->eraseFromParent();
}

void HookExpander::expandExit(CallInst *Hook, UnitHooks &Unit) {
  uint64_t Slot = slotOf(Hook);
  Value *Start = Hook->getArgOperand(2);
  if (staysRuntimeCall(Hook, Unit))
    return;
  expandErrorCount(Hook, Unit, Slot);
  // A constant start is a call that was never timed (or whose entry was
  // proved unreachable): nothing to stop.
  if (!isa<Constant>(Start) && Unit.Tables.Timing != TimingMode::Off) {
    IRBuilder<> B(Hook);
    B.SetCurrentDebugLocation(Hook->getDebugLoc());
    if (Unit.Tables.Timing == TimingMode::Every) {
      Unit.Path->emitStop(B, Unit.Path->emitRealChunk(B, Slot), Slot, Start);
    } else {
      Instruction *StopAt = SplitBlockAndInsertIfThen(
          B.CreateICmpNE(Start, ConstantInt::get(Start->getType(), 0)), Hook,
          false, MDBuilder(Ctx).createBranchWeights(1, 63));
      StopAt->getParent()->setName("codensm.stop");
      IRBuilder<> SB(StopAt);
      SB.SetCurrentDebugLocation(Hook->getDebugLoc());
      Value *End = Unit.Path->emitReadClock(SB);
      Unit.Path->emitRareCall(
          SB, "__codensm_sample_stop",
          {Unit.Path->unitArg(), Hook->getArgOperand(1), Start, End});
    }
  }
  Hook->eraseFromParent();
}

bool HookExpander::run() {
  Function *Enter = M.getFunction(EnterHookName);
  Function *Exit = M.getFunction(ExitHookName);
  Function *Mark = M.getFunction(ErrorMarkHookName);
  Function *Edge = M.getFunction(EdgeHookName);
  Function *Depth = M.getFunction(DepthHookName);
  if (llvm::all_of(std::initializer_list<Function *>{Enter, Exit, Edge, Depth},
                   [](Function *H) { return !H || H->use_empty(); }))
    return false;
  std::vector<ModuleTables> AllTables = findTables(M);
  for (const ModuleTables &Tables : AllTables) {
    UnitHooks &Unit = Units[Tables.Unit];
    Unit.Tables = Tables;
    Unit.Path = std::make_unique<HotPath>(M, Tables.Unit, Tables.TlsHome);
  }
  Twins = makeTimedTwins(M, [this](const CallInst &Hook) {
    const UnitHooks *Unit = unitOf(&Hook);
    return Unit && Unit->Tables.Timing == TimingMode::Sampled;
  });
  for (const auto &Own : Twins)
    TwinEntries[Own.second.Entry] = Own.second.Body;
  // Entries and edge counts together, in program order: a block's later
  // ones use the directory and chunks its earlier ones loaded.
  std::vector<std::pair<CallInst *, BasicBlock *>> Counts =
      callsInOrder(M, {Enter, Edge, Depth});
  std::vector<std::pair<CallInst *, BasicBlock *>> Exits =
      callsInOrder(M, {Exit});
  Copies = findCopiesFromEdges(Counts, AllTables, Enter, Edge);
  // A copy its edge counts makes no chunk real.
  for (auto [Hook, Block] : Counts)
    if (UnitHooks *Unit = unitOf(Hook); Unit && !Copies.Entries.count(Hook))
      KnownReal.addSource(Block, Unit, slotOf(Hook) / abi::CHUNK_SLOTS);
  // Entries first: each exit's start time is an entry's result, replaced
  // by the expanded entry's value.
  for (auto [Hook, Block] : Counts)
    if (UnitHooks *Unit = unitOf(Hook)) {
      if (Copies.Entries.count(Hook)) {
        // Its exits (a timed function's copy) stop nothing.
        Hook->replaceAllUsesWith(ConstantInt::get(Hook->getType(), 0));
        Hook->eraseFromParent();
        continue;
      }
      uint64_t Index = slotOf(Hook) / abi::CHUNK_SLOTS;
      if (Function *Twin = TwinEntries.lookup(Hook))
        expandTwinEntry(Hook, *Twin, *Unit);
      else if (Hook->getCalledOperand() == Enter)
        expandEnter(Hook, Block, *Unit);
      else if (Hook->getCalledOperand() == Edge)
        expandEdge(Hook, Block, *Unit);
      else
        expandDepth(Hook, Block, *Unit);
      useBlock(Block, *Unit);
      Loaded.MadeReal.insert(Index);
    }
  for (auto &Found : callsInOrder(M, {Mark}))
    expandErrorMark(Found.first);
  for (auto &Found : Exits) // the block matters only to the entries
    if (UnitHooks *Unit = unitOf(Found.first))
      expandExit(Found.first, *Unit);
  for (PHINode *Join : RealJoins)
    if (Join->use_empty()) {
      Value *Reload = Join->getIncomingValue(1);
      Join->eraseFromParent();
      RecursivelyDeleteTriviallyDeadInstructions(Reload);
    }
  for (Function *Hook : {Enter, Exit, Mark, Edge, Depth})
    if (Hook && Hook->use_empty())
      Hook->eraseFromParent();
  return true;
}

} // namespace

PreservedAnalyses ExpandHooksPass::run(Module &M, ModuleAnalysisManager &) {
  bool Wanted = ClExpand && (!Unoptimised || ClExpandAtO0);
  return Wanted && HookExpander(M).run() ? PreservedAnalyses::none()
                                         : PreservedAnalyses::all();
}

} // namespace codensm
