// SPDX-License-Identifier: Apache-2.0
//===- Edges.cpp - the caller->callee edges a unit counts ----------------===//
#include "Edges.h"
#include "Abi.h"
#include "Compat.h"
#include "Naming.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Instructions.h"

#include <algorithm>
#include <map>
#include <utility>

using namespace llvm;

namespace codensm {

/// Whether a call to G, only declared here (or available_externally), may
/// reach a function another instrumented unit defines.
static bool mayBeInstrumentedElsewhere(const Function &G,
                                       const TargetLibraryInfo &TLI) {
  if (G.hasLocalLinkage() || G.isIntrinsic() ||
      startsWith(G.getName(), "__codensm"))
    return false;
  LibFunc Known;
  if (TLI.getLibFunc(G, Known))
    return false; // libc, libm, operator new: never instrumented
  return !isStandardLibraryName(G.getName());
}

/// The calls Callee's call sites name it in: every use of a function whose
/// address is never taken, but for uses the optimiser drops (assume-like).
static unsigned callSitesOf(const Function &Callee) {
  unsigned Sites = 0;
  for (const Use &U : Callee.uses())
    if (auto *Call = dyn_cast<CallBase>(U.getUser());
        Call && Call->isCallee(&U))
      ++Sites;
  return Sites;
}

/// The call sites in F's entry block before anything that may not go on
/// to the next instruction (a call that may not return or may throw, a
/// volatile access, a trap): each runs exactly once each time F is
/// entered, so its calls are F's.  In the front end's code a call is
/// rarely known to return, so it is F's first call, if any.
static SmallPtrSet<const CallBase *, 2> sitesOncePerCall(Function &F) {
  SmallPtrSet<const CallBase *, 2> Once;
  for (Instruction &I : F.getEntryBlock()) {
    if (auto *Call = dyn_cast<CallBase>(&I))
      Once.insert(Call); // only edge sites are looked up
    if (!isGuaranteedToTransferExecutionToSuccessor(&I))
      break;
  }
  return Once;
}

/// Marks FromCallee one edge into each function of this unit that only the
/// counting call sites of Table call (internal, address never taken, no
/// call from an uninstrumented function or a dispatcher): of its edges, the
/// one with the most sites, whose sites then count nothing.  Its calls are
/// the callee's less its other edges', exactly, whatever happens between a
/// caller's entry and its call (a longjmp, an exception, an exit).
static void
deriveEdgesFromCallees(const DenseMap<const Function *, unsigned> &Slots,
                       EdgeTable &Table) {
  std::vector<unsigned> SitesOfEdge(Table.Edges.size());
  DenseMap<unsigned, unsigned> SitesOfCallee; // slot -> sites of its edges
  for (unsigned Edge = 0; Edge < Table.Edges.size(); ++Edge)
    SitesOfEdge[Edge] = Table.Edges[Edge].PerCall;
  for (auto [Call, Edge] : Table.Sites)
    ++SitesOfEdge[Edge];
  for (unsigned Edge = 0; Edge < Table.Edges.size(); ++Edge)
    if (Table.Edges[Edge].Callee != abi::EDGE_EXTERNAL)
      SitesOfCallee[Table.Edges[Edge].Callee] += SitesOfEdge[Edge];
  DenseMap<unsigned, unsigned> Busiest; // callee slot -> its busiest edge
  for (unsigned Edge = 0; Edge < Table.Edges.size(); ++Edge) {
    unsigned Callee = Table.Edges[Edge].Callee;
    auto Best = Busiest.find(Callee);
    if (Callee != abi::EDGE_EXTERNAL &&
        (Best == Busiest.end() ||
         SitesOfEdge[Edge] > SitesOfEdge[Best->second]))
      Busiest[Callee] = Edge;
  }
  for (auto [F, Slot] : Slots) {
    auto Edge = Busiest.find(Slot);
    if (Edge == Busiest.end() || !F->hasLocalLinkage() ||
        F->hasAddressTaken() || callSitesOf(*F) != SitesOfCallee.lookup(Slot))
      continue;
    EdgeTable::Edge &Derived = Table.Edges[Edge->second];
    Derived.FromCallee = true;
    Table.OncePerCallSites -= Derived.PerCall;
    Table.UncountedSites += Derived.PerCall;
    Derived.PerCall = 0;
    ++Table.FromCallee;
  }
  auto Uncounted = [&](const std::pair<CallBase *, unsigned> &Site) {
    return Table.Edges[Site.second].FromCallee;
  };
  auto Kept = std::remove_if(Table.Sites.begin(), Table.Sites.end(), Uncounted);
  Table.UncountedSites += Table.Sites.end() - Kept;
  Table.Sites.erase(Kept, Table.Sites.end());
}

EdgeTable findEdges(Module &M,
                    const DenseMap<const Function *, unsigned> &Slots,
                    const std::vector<bool> &Counted, unsigned MaxCallees,
                    bool FromCallees, bool FromCallers) {
  TargetLibraryInfoImpl TLII(Triple(M.getTargetTriple()));
  TargetLibraryInfo TLI(TLII);
  EdgeTable Table;
  for (Function &F : M) {
    auto Caller = Slots.find(&F);
    if (Caller == Slots.end() || !Counted[Caller->second])
      continue;
    // This caller's sites and its edges, (external?, callee slot or
    // symbol) -> index among them.
    std::vector<std::pair<CallBase *, unsigned>> Sites;
    std::vector<EdgeTable::Edge> Edges;
    std::map<std::pair<bool, uint64_t>, unsigned> Index;
    SmallPtrSet<const CallBase *, 2> Once;
    if (FromCallers)
      Once = sitesOncePerCall(F);
    for (BasicBlock &BB : F)
      for (Instruction &I : BB) {
        auto *Call = dyn_cast<CallBase>(&I);
        Function *G = Call ? Call->getCalledFunction() : nullptr;
        if (!G || Call->isInlineAsm())
          continue;
        unsigned Callee = abi::EDGE_EXTERNAL;
        uint64_t Symbol = 0;
        if (auto Defined = Slots.find(G); Defined != Slots.end()) {
          if (!Counted[Defined->second])
            continue;
          Callee = Defined->second;
        } else if ((G->isDeclaration() || G->hasAvailableExternallyLinkage()) &&
                   mayBeInstrumentedElsewhere(*G, TLI)) {
          Symbol = symbolHash(G->getName());
        } else {
          continue; // defined here and left out: counted nowhere
        }
        bool External = Callee == abi::EDGE_EXTERNAL;
        auto [It, New] =
            Index.try_emplace({External, External ? Symbol : Callee},
                              static_cast<unsigned>(Edges.size()));
        if (New)
          Edges.push_back({Caller->second, Callee, Symbol});
        if (Once.contains(Call))
          ++Edges[It->second].PerCall;
        else
          Sites.push_back({Call, It->second});
      }
    // A dispatcher (a switch over thousands of handlers, an interpreter's
    // opcode table) would spread a thread's counts over as many chunks
    // as the callees it reaches: its calls are left unattributed, like
    // calls through a table of pointers.
    if (Edges.size() > MaxCallees) {
      ++Table.Dispatchers;
      continue;
    }
    unsigned First = Table.Edges.size();
    for (const EdgeTable::Edge &E : Edges)
      Table.OncePerCallSites += E.PerCall;
    Table.Edges.insert(Table.Edges.end(), Edges.begin(), Edges.end());
    for (auto [Call, Edge] : Sites)
      Table.Sites.push_back({Call, First + Edge});
  }
  if (FromCallees)
    deriveEdgesFromCallees(Slots, Table);
  return Table;
}

} // namespace codensm
