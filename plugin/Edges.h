// SPDX-License-Identifier: Apache-2.0
//===- Edges.h - the caller->callee edges a unit counts ------------------===//
//
// Every call site of an instrumented function that names its callee (a
// direct call) counts its (caller, callee) edge, where the call is made,
// in a slot after the unit's function slots (include/codensm_abi.inc,
// edge_info; runtime/callers.c).  A callee instrumented in this unit is
// named by its slot; one only declared here by the hash of its linkage
// name, which the unit defining it lists beside its function.  Calls the
// runtime could never attribute are not counted: intrinsics, the C and
// C++ libraries (TargetLibraryInfo's functions, the standard library's
// names), functions of this unit left uninstrumented, calls through
// pointers, whose callee the call site does not name, and the calls of a
// dispatcher (a caller of more than -codensm-callers-max-callees
// functions), whose counts would spread over a chunk per callee.
//
// One edge of an internal function whose every call site counts an edge
// needs no counter: the callee's own calls are the sum of its edges, so
// that edge's calls are the callee's less the others' (EDGE_FROM_CALLEE;
// runtime/callers.c).  A static helper with a single caller then costs one
// count a call, not two.  And a call site that runs exactly once each time
// its caller runs (a function's first call, in its entry block) counts
// nothing either: its calls are its caller's (edge_info.per_call).
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_EDGES_H
#define CODENSM_EDGES_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Module.h"

#include "Naming.h"

#include <cstdint>
#include <vector>

namespace codensm {

struct EdgeTable {
  struct Edge {
    unsigned Caller;         ///< the caller's slot
    unsigned Callee;         ///< the callee's slot, or abi::EDGE_EXTERNAL
    uint64_t CalleeSymbol;   ///< for an external callee
    bool FromCallee = false; ///< no site counts it (EDGE_FROM_CALLEE)
    unsigned PerCall = 0;    ///< sites run once a call of the caller
  };
  std::vector<Edge> Edges;
  /// Each counting call site with its edge's index in Edges (none of an
  /// edge FromCallee).
  std::vector<std::pair<llvm::CallBase *, unsigned>> Sites;
  /// Callers left uncounted for calling more than MaxCallees functions.
  unsigned Dispatchers = 0;
  /// Edges FromCallee, and the call sites they leave uncounted; call sites
  /// run once a call of their caller.
  unsigned FromCallee = 0, UncountedSites = 0, OncePerCallSites = 0;
};

/// The edges of the functions Slots lists as instrumented (function ->
/// slot); Counted says which slots carry probes (the trivial-function
/// policy lists functions it leaves without one).  A caller that calls
/// more than MaxCallees different functions counts none of its calls.
/// FromCallees: derive an edge of each function only counting sites call,
/// and leave uncounted the sites that run once a call of their caller.
EdgeTable
findEdges(llvm::Module &M,
          const llvm::DenseMap<const llvm::Function *, unsigned> &Slots,
          const std::vector<bool> &Counted, unsigned MaxCallees,
          bool FromCallees, bool FromCallers);

} // namespace codensm

#endif // CODENSM_EDGES_H
