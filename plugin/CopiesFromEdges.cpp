// SPDX-License-Identifier: Apache-2.0
//===- CopiesFromEdges.cpp - copies counted by their call's edge ---===//
#include "CopiesFromEdges.h"
#include "Abi.h"
#include "Compat.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/Support/CommandLine.h"

#include <map>
#include <memory>

using namespace llvm;

#define DEBUG_TYPE "codensm"
STATISTIC(NumCopiesFromEdges, "Inlined copies counted by their site's edge");
STATISTIC(NumEdgesCountingCallee, "Edges counting their callee's copies");

static cl::opt<bool> ClCopiesFromEdges(
    "codensm-copies-from-edges",
    cl::desc("Let the count of an edge whose every site is followed by an "
             "inlined copy of its callee (a leaf, never timed there) stand "
             "for the copies' calls, which then count nothing"),
    cl::init(true), cl::Hidden);

namespace codensm {
namespace {

constexpr unsigned CallerField = abi::field("edge_info", "caller");
constexpr unsigned CalleeField = abi::field("edge_info", "callee");
constexpr unsigned FlagsField = abi::field("edge_info", "flags");

/// One unit's edges as the search needs them, by edge index.
struct UnitEdges {
  const ModuleTables *Tables = nullptr;
  std::vector<unsigned> Caller, Callee, Flags;
  std::vector<unsigned> Sites; ///< the edge's hooks left in the module
  std::vector<std::vector<const CallInst *>> Copies; ///< right after them
};

unsigned fieldOf(const Constant *Info, unsigned Field) {
  return cast<ConstantInt>(Info->getAggregateElement(Field))->getZExtValue();
}

UnitEdges readEdges(const ModuleTables &Tables) {
  UnitEdges U;
  U.Tables = &Tables;
  const Constant *Init = Tables.Edges->getInitializer();
  unsigned N = cast<ArrayType>(Init->getType())->getNumElements();
  for (unsigned E = 0; E < N; ++E) {
    const Constant *Info = Init->getAggregateElement(E);
    U.Caller.push_back(fieldOf(Info, CallerField));
    U.Callee.push_back(fieldOf(Info, CalleeField));
    U.Flags.push_back(fieldOf(Info, FlagsField));
  }
  U.Sites.assign(N, 0);
  U.Copies.resize(N);
  return U;
}

const Value *unitArg(const CallInst *Hook) {
  return Hook->getArgOperand(0)->stripPointerCasts();
}

/// The entry hook of Callee's inlined copy that runs every time, and only
/// when, the edge hook At has run: the next hook of At's block, reached
/// through instructions that always go on to the next one, an entry of
/// Callee in At's unit that only counts (never timed there).  Null if
/// none.
const CallInst *copyAfter(const CallInst *At, const Function *Enter,
                          unsigned Callee) {
  for (const Instruction *I = At->getNextNode(); I; I = I->getNextNode()) {
    const auto *Call = dyn_cast<CallInst>(I);
    const Function *F = Call ? Call->getCalledFunction() : nullptr;
    if (F && startsWith(F->getName(), "__codensm_")) {
      if (F != Enter || unitArg(Call) != unitArg(At))
        return nullptr;
      auto *Slot = dyn_cast<ConstantInt>(Call->getArgOperand(1));
      bool Counted = Slot && Slot->getZExtValue() == Callee &&
                     (Call->use_empty() || isUntimedInlinedCopy(Call));
      return Counted ? Call : nullptr;
    }
    if (!isGuaranteedToTransferExecutionToSuccessor(I))
      return nullptr;
  }
  return nullptr;
}

/// The entry hooks that stay, by function, unit and chunk: each leaves its
/// chunk real, and with it (the runtime makes them real together, ABI 6)
/// the chunks of the edges of every function in that chunk.
class ChunkKeepers {
public:
  void add(const CallInst *Entry) {
    auto *Slot = cast<ConstantInt>(Entry->getArgOperand(1));
    Keepers[{Entry->getFunction(), unitArg(Entry),
             Slot->getZExtValue() / abi::CHUNK_SLOTS}]
        .push_back(Entry);
  }
  /// Whether one of them of At's unit and chunk Chunk runs before At
  /// wherever At runs.
  bool realAt(const CallInst *At, uint64_t Chunk) {
    auto It = Keepers.find({At->getFunction(), unitArg(At), Chunk});
    if (It == Keepers.end())
      return false;
    for (const CallInst *Keeper : It->second) {
      if (Keeper->getParent() == At->getParent()) {
        if (Keeper->comesBefore(At))
          return true;
      } else if (treeOf(*At->getFunction())
                     .dominates(Keeper->getParent(), At->getParent())) {
        return true;
      }
    }
    return false;
  }

private:
  DominatorTree &treeOf(const Function &F) {
    std::unique_ptr<DominatorTree> &Tree = Trees[&F];
    if (!Tree)
      Tree = std::make_unique<DominatorTree>(const_cast<Function &>(F));
    return *Tree;
  }
  std::map<std::tuple<const Function *, const Value *, uint64_t>,
           SmallVector<const CallInst *, 4>>
      Keepers;
  std::map<const Function *, std::unique_ptr<DominatorTree>> Trees;
};

/// Raises EDGE_COUNTS_CALLEE in the flags of U's edges Counting.
void flagEdges(const UnitEdges &U, const std::vector<unsigned> &Counting) {
  GlobalVariable *Edges = U.Tables->Edges;
  const Constant *Init = Edges->getInitializer();
  auto *ArrayTy = cast<ArrayType>(Init->getType());
  auto *InfoTy = cast<StructType>(ArrayTy->getElementType());
  std::vector<Constant *> Infos;
  for (unsigned E = 0; E < ArrayTy->getNumElements(); ++E)
    Infos.push_back(Init->getAggregateElement(E));
  for (unsigned E : Counting) {
    std::vector<Constant *> Fields;
    for (unsigned Field = 0; Field < InfoTy->getNumElements(); ++Field)
      Fields.push_back(Infos[E]->getAggregateElement(Field));
    Fields[FlagsField] = ConstantInt::get(InfoTy->getElementType(FlagsField),
                                          U.Flags[E] | abi::EDGE_COUNTS_CALLEE);
    Infos[E] = ConstantStruct::get(InfoTy, Fields);
  }
  Edges->setInitializer(ConstantArray::get(ArrayTy, Infos));
}

} // namespace

CopiesFromEdges findCopiesFromEdges(
    const std::vector<std::pair<CallInst *, BasicBlock *>> &Counts,
    const std::vector<ModuleTables> &Units, const Function *Enter,
    const Function *Edge) {
  CopiesFromEdges Found;
  if (!ClCopiesFromEdges || !Enter || !Edge)
    return Found;
  // Not under -codensm-timing=every: there an entry also counts a sample.
  DenseMap<const Value *, UnitEdges> ByUnit;
  for (const ModuleTables &Tables : Units)
    if (Tables.Edges && Tables.Edges->hasInitializer() &&
        Tables.Timing != TimingMode::Every)
      ByUnit[Tables.Unit] = readEdges(Tables);
  for (auto [Hook, Block] : Counts) {
    auto It = Hook->getCalledOperand() == Edge ? ByUnit.find(unitArg(Hook))
                                               : ByUnit.end();
    auto *Slot = dyn_cast<ConstantInt>(Hook->getArgOperand(1));
    if (It == ByUnit.end() || !Slot)
      continue;
    UnitEdges &U = It->second;
    uint64_t E = Slot->getZExtValue() - U.Tables->FunctionCount;
    if (Slot->getZExtValue() < U.Tables->FunctionCount || E >= U.Sites.size())
      continue;
    ++U.Sites[E];
    if (const CallInst *Copy = copyAfter(Hook, Enter, U.Callee[E]))
      U.Copies[E].push_back(Copy);
  }
  DenseSet<const CallInst *> Candidates;
  for (auto &[UnitFn, U] : ByUnit)
    for (const auto &Copies : U.Copies)
      Candidates.insert(Copies.begin(), Copies.end());
  ChunkKeepers Keepers;
  for (auto [Hook, Block] : Counts)
    if (Hook->getCalledOperand() == Enter && ByUnit.count(unitArg(Hook)) &&
        isa<ConstantInt>(Hook->getArgOperand(1)) && !Candidates.count(Hook))
      Keepers.add(Hook);
  for (auto &[UnitFn, U] : ByUnit) {
    // A callee whose copies count nothing must need its chunk for nothing
    // else: none of its callers' calls is derived from its calls
    // (EDGE_FROM_CALLEE), and where it counts edges of its own (their
    // counts untested: its entry made their chunks real), each copy must
    // find its chunk made real already, by an entry that stays.
    unsigned N = U.Tables->FunctionCount;
    std::vector<bool> FromCallee(N, false), CountsEdges(N, false);
    for (unsigned E = 0; E < U.Sites.size(); ++E) {
      if (U.Sites[E] && U.Caller[E] < N)
        CountsEdges[U.Caller[E]] = true;
      if ((U.Flags[E] & abi::EDGE_FROM_CALLEE) && U.Callee[E] < N)
        FromCallee[U.Callee[E]] = true;
    }
    std::vector<unsigned> Counting;
    for (unsigned E = 0; E < U.Sites.size(); ++E) {
      unsigned Callee = U.Callee[E];
      if (!U.Sites[E] || U.Copies[E].size() != U.Sites[E] || U.Flags[E] ||
          Callee >= N || FromCallee[Callee])
        continue;
      if (CountsEdges[Callee] &&
          !llvm::all_of(U.Copies[E], [&](const CallInst *Copy) {
            return Keepers.realAt(Copy, Callee / abi::CHUNK_SLOTS);
          }))
        continue;
      Counting.push_back(E);
      NumCopiesFromEdges += U.Copies[E].size();
      ++NumEdgesCountingCallee;
      Found.Entries.insert(U.Copies[E].begin(), U.Copies[E].end());
      Found.Slots.insert({cast<Function>(UnitFn), Callee});
    }
    if (!Counting.empty())
      flagEdges(U, Counting);
  }
  return Found;
}

} // namespace codensm
