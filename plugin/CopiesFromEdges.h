// SPDX-License-Identifier: Apache-2.0
//===- CopiesFromEdges.h - copies counted by their call's edge ---===//
//
// A call site that counts its caller->callee edge, and whose callee the
// optimiser inlined there, counts twice for one call: the edge's add, and
// one add later the callee's inlined entry.  Where every site of an edge
// is so followed by its callee's copy, the edge's count is the copies'
// count as well: the copies count nothing, and the edge is flagged
// EDGE_COUNTS_CALLEE (include/codensm_abi.inc), so that the runtime adds
// its count to the callee's calls.  On Redis a GET makes about 40 such
// pairs; speedtest1 and Lua as many in proportion.
//
// Only for a copy that is never timed, and where nothing else needs it to
// have made the callee's chunk real: the callee counts no edge of its own
// (whose counts go untested into chunks the runtime makes real with the
// callee's), or an entry that stays runs before each copy in that chunk;
// and the copy's error count, which normally trusts the entry, makes the
// chunk real itself (ExpandHooks.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_COPIES_FROM_EDGES_H
#define CODENSM_COPIES_FROM_EDGES_H

#include "Markers.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/Instructions.h"

#include <utility>
#include <vector>

namespace codensm {

struct CopiesFromEdges {
  /// Entry hooks that count nothing: an edge right before each counts it.
  llvm::DenseSet<const llvm::CallInst *> Entries;
  /// (unit, slot) of their functions: their error counts test the chunk.
  llvm::DenseSet<std::pair<const llvm::Function *, uint64_t>> Slots;
};

/// Finds them among Counts (the entry, edge and depth hooks of the module,
/// in program order), and raises their edges' flags in Units' tables.
/// Enter and Edge are the hooks' declarations (either may be null).
/// Every entry that stays makes its chunk real where it is (a twin's
/// through the runtime's sampled start).
CopiesFromEdges findCopiesFromEdges(
    const std::vector<std::pair<llvm::CallInst *, llvm::BasicBlock *>> &Counts,
    const std::vector<ModuleTables> &Units, const llvm::Function *Enter,
    const llvm::Function *Edge);

} // namespace codensm

#endif // CODENSM_COPIES_FROM_EDGES_H
