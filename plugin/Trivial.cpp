// SPDX-License-Identifier: Apache-2.0
//===- Trivial.cpp - which functions are too small to be worth a probe ----===//
#include "Trivial.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"

using namespace llvm;

namespace codensm {

/// An instruction the optimiser removes from a small function: the front
/// end's spills of parameters and locals, merges (phis, jumps) and
/// bookkeeping.
static bool vanishes(const Instruction &I) {
  if (isa<AllocaInst>(I) || isa<CastInst>(I) || isa<DbgInfoIntrinsic>(I) ||
      isa<PHINode>(I))
    return true;
  if (const auto *Br = dyn_cast<BranchInst>(&I))
    return Br->isUnconditional();
  if (const auto *II = dyn_cast<IntrinsicInst>(&I))
    return II->isLifetimeStartOrEnd() || II->isAssumeLikeIntrinsic();
  if (const auto *Load = dyn_cast<LoadInst>(&I))
    return isa<AllocaInst>(Load->getPointerOperand()->stripPointerCasts());
  if (const auto *Store = dyn_cast<StoreInst>(&I))
    return isa<AllocaInst>(Store->getPointerOperand()->stripPointerCasts());
  return false;
}

/// Whether a call leaves the function: anything but an intrinsic or
/// inline assembly.
static bool callsOut(const Instruction &I) {
  const auto *Call = dyn_cast<CallBase>(&I);
  if (!Call || Call->isInlineAsm())
    return false;
  const Function *Callee = Call->getCalledFunction();
  return !Callee || !Callee->isIntrinsic();
}

/// Whether F's control flow has a cycle (a loop, or a goto backwards).
static bool hasCycle(const Function &F) {
  enum State : char { Unseen, Open, Done };
  DenseMap<const BasicBlock *, State> Seen;
  SmallVector<std::pair<const BasicBlock *, const_succ_iterator>, 16> Stack;
  const BasicBlock *Entry = &F.getEntryBlock();
  Seen[Entry] = Open;
  Stack.push_back({Entry, succ_begin(Entry)});
  while (!Stack.empty()) {
    auto &[BB, Next] = Stack.back();
    if (Next == succ_end(BB)) {
      Seen[BB] = Done;
      Stack.pop_back();
      continue;
    }
    const BasicBlock *Succ = *Next++;
    State &S = Seen[Succ];
    if (S == Open)
      return true;
    if (S == Unseen) {
      S = Open;
      Stack.push_back({Succ, succ_begin(Succ)});
    }
  }
  return false;
}

/// Whether F has at most MaxInstructions instructions that do work and,
/// unless CallsAllowed, calls no function; and no cycle.
static bool loopFreeWithin(const Function &F, unsigned MaxInstructions,
                           bool CallsAllowed) {
  if (MaxInstructions == 0 || F.isDeclaration())
    return false;
  unsigned Work = 0;
  for (const BasicBlock &BB : F)
    for (const Instruction &I : BB) {
      if (!CallsAllowed && callsOut(I))
        return false;
      if (!vanishes(I) && ++Work > MaxInstructions)
        return false;
    }
  return !hasCycle(F);
}

bool isLoopFree(const Function &F) {
  return !F.isDeclaration() && !hasCycle(F);
}

bool isTrivial(const Function &F, unsigned MaxInstructions) {
  return loopFreeWithin(F, MaxInstructions, /*CallsAllowed=*/false);
}

bool isStraightAndSmall(const Function &F, unsigned MaxInstructions) {
  return loopFreeWithin(F, MaxInstructions, /*CallsAllowed=*/true);
}

} // namespace codensm
